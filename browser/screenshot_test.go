package browser

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// screenshotsEnv, set to 1, makes the run write the README's screenshots
// into docs/ (make screenshots). Without it they are taken and checked
// but not written, so `make test` leaves the tree as it was: a
// screenshot holds timings and a seed, and its bytes differ each run.
const screenshotsEnv = "ROCKET_SANDBOX_SCREENSHOTS"

// screenshot takes what the tab shows, scrolled to the element top
// selects (CSS) at the window's top, checks it is a picture of the
// window, and writes it to docs/name when asked to.
func screenshot(t *testing.T, ctx context.Context, name, top string) {
	t.Helper()
	// Focus rings off: the page as a reader meets it.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur();
		document.querySelector(`+"`"+top+"`"+`).scrollIntoView({block: "start"})`))
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(buf))
	require.NoError(t, err, "a PNG")
	assert.Equal(t, 1280, img.Bounds().Dx(), "the window's width")
	if os.Getenv(screenshotsEnv) != "1" {
		return
	}
	out := filepath.Join("..", "docs", name)
	require.NoError(t, os.WriteFile(out, buf, 0o644))
	t.Logf("wrote %s (%d bytes)", out, len(buf))
}
