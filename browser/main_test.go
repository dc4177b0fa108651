package browser

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/server"
)

// chromium is Debian's package's binary (the tests part of toolchain/debian-packages.txt).
const chromium = "/usr/bin/chromium"

// guideDir is Rocket's guide beside the clone, as `make run` serves it.
const guideDir = "../../shared/rocket-guide"

var (
	// baseURL is the service; siteURL a page of another origin that the
	// service allows (server.allowed_origins), otherURL one it does not.
	baseURL, siteURL, otherURL string
	// browser is the one Chromium of the run; each test opens its own tab.
	browser context.Context
)

func TestMain(m *testing.M) {
	jail.MaybeInit() // the jail re-executes this test binary as its init
	os.Exit(run(m))
}

func run(m *testing.M) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "browser: "+format+"\n", args...)
		return 1
	}
	if _, err := exec.LookPath(chromium); err != nil {
		return fail("%s is missing: the browser tests need Debian's chromium (make packages-test): %v", chromium, err)
	}
	// The pages of other origins, listening before the service starts so
	// that the allowed one can be configured.
	site, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail("listen: %v", err)
	}
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail("listen: %v", err)
	}
	siteURL, otherURL = "http://"+site.Addr().String(), "http://"+other.Addr().String()

	ctx := context.Background()
	cfg := config.Default()
	cfg.Runtime.TimeoutMS = 5000
	cfg.Server.GuideDir = guideDir
	cfg.Server.AllowedOrigins = []string{siteURL}
	state, err := os.MkdirTemp("", "rocket-sandbox-browser-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(state)
	// Fresh caches, so every run goes through the real pipeline.
	cfg.CachesIn(state)
	a, err := app.New(ctx, cfg)
	if err != nil {
		return fail("cannot start the service (did `make setup` run?): %v", err)
	}
	defer a.Close(ctx)
	srv := server.New(cfg.Server, a.Service(), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail("listen: %v", err)
	}
	go srv.Listener(ln)
	defer srv.Shutdown()
	baseURL = "http://" + ln.Addr().String()

	pages := &http.Server{Handler: sitePages(), ReadHeaderTimeout: 10 * time.Second}
	go pages.Serve(site)
	go pages.Serve(other)
	defer pages.Close()

	profile, err := os.MkdirTemp("", "rocket-sandbox-chromium-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(profile), // a fresh profile: no cache, no cookies
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.WindowSize(1280, 860),
	)
	if os.Geteuid() == 0 {
		// Chromium's own sandbox refuses to run as root.
		opts = append(opts, chromedp.NoSandbox)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	b, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(b); err != nil {
		return fail("cannot start %s: %v", chromium, err)
	}
	browser = b
	return m.Run()
}

// tab opens a tab of its own for t, closed when t ends, with a bound on
// everything t does in it (a bound, not a measurement: a hung page fails
// the test instead of the whole run).
func tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx), "open a tab")
	// Every page the tab loads records what its Content-Security-Policy
	// refused; a page of this service must not have anything refused.
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__violations = []; document.addEventListener("securitypolicyviolation",
			e => window.__violations.push(e.violatedDirective + " " + e.blockedURI))`,
	})
	require.NoError(t, err)
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancelTimeout)
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__violations || []`))
		assert.NoError(t, err)
		assert.Empty(t, v, "the page's policy refused nothing it needs")
	})
	return ctx
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, steps...))
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, "evaluate %s", js)
	return v
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(css)))
	require.NoError(t, err, "text of %s", css)
	return v
}

// typeInEditor replaces the editor's text the way a user does: focus it,
// select all, type (Input.insertText, as an input method does, so that
// typed newlines are not indented again).
func typeInEditor(t *testing.T, ctx context.Context, code string) {
	t.Helper()
	do(t, ctx,
		chromedp.Click(chromedp.CSS(".cm-content")),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent(kb.Delete),
	)
	_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: code})
	require.NoError(t, err)
	require.Equal(t, code, editorText(t, ctx), "the editor holds what was typed")
}

// editorText is the editor's document, line by line.
func editorText(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `Array.from(document.querySelectorAll("#editor .cm-line"), l => l.textContent).join("\n")`)
}

// pressRun runs the form with the keyboard shortcut the page documents.
func pressRun(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
}

// waitResult waits for a finished run's status badge and returns it.
func waitResult(t *testing.T, ctx context.Context) string {
	t.Helper()
	const badge = `#results[aria-busy="false"] .status-line .badge`
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(badge)))
	return text(t, ctx, badge)
}

// recordPhases keeps every progress line the results region shows, to
// read back with phases.
func recordPhases(t *testing.T, ctx context.Context) {
	t.Helper()
	eval[chromedp.Void](t, ctx, `window.__phases = [];
		new MutationObserver(() => {
			const p = document.querySelector("#results .phase");
			if (p && window.__phases[window.__phases.length - 1] !== p.textContent) window.__phases.push(p.textContent);
		}).observe(document.getElementById("results"), {subtree: true, childList: true, characterData: true})`)
}

func phases(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return eval[[]string](t, ctx, `window.__phases`)
}
