package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/server"
)

// canarySecret is put into the service's own environment (see TestMain);
// no response may ever contain it.
const canarySecret = "canary-7f3c9a1e-host-secret"

// attack is one file of testdata/attacks, parsed from its header.
type attack struct {
	name    string
	what    string
	expect  []string
	harness string
	args    json.RawMessage
	stub    string
}

func loadAttacks(t *testing.T) []attack {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testdata, "attacks", "*.rs"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []attack
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		a := attack{name: strings.TrimSuffix(filepath.Base(f), ".rs"), harness: "program", stub: string(b)}
		pad := 0
		sc := bufio.NewScanner(strings.NewReader(a.stub))
		for sc.Scan() {
			key, value, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "// "), ": ")
			if !strings.HasPrefix(sc.Text(), "// ") || !ok {
				break
			}
			switch key {
			case "attack":
				a.what = value
			case "expect":
				a.expect = strings.Split(value, "|")
			case "harness":
				a.harness = value
			case "args":
				require.True(t, json.Valid([]byte(value)), "%s: args is not JSON", f)
				a.args = json.RawMessage(value)
			case "pad-to-bytes":
				pad, err = strconv.Atoi(value)
				require.NoError(t, err)
			}
		}
		require.NotEmpty(t, a.what, "%s: no // attack: line", f)
		require.NotEmpty(t, a.expect, "%s: no // expect: line", f)
		if pad > len(a.stub) {
			a.stub += "//" + strings.Repeat("x", pad-len(a.stub)-3) + "\n"
		}
		out = append(out, a)
	}
	return out
}

// hostSecrets are strings that would prove host data reached a response.
func hostSecrets(t *testing.T) []string {
	t.Helper()
	secrets := []string{canarySecret, "LEAKED"}
	if b, err := os.ReadFile("/etc/passwd"); err == nil {
		secrets = append(secrets, strings.SplitN(string(b), "\n", 2)[0])
	}
	if b, err := os.ReadFile("/etc/shadow"); err == nil && len(b) > 0 {
		secrets = append(secrets, strings.SplitN(string(b), "\n", 2)[0])
	}
	if h, err := os.Hostname(); err == nil && len(h) >= 8 {
		secrets = append(secrets, h)
	}
	return secrets
}

func TestAttackCorpus(t *testing.T) {
	secrets := hostSecrets(t)
	for _, a := range loadAttacks(t) {
		t.Run(a.name, func(t *testing.T) {
			body, err := json.Marshal(map[string]any{"harness": a.harness, "stub": a.stub, "args": a.args})
			require.NoError(t, err)
			code, raw := post(t, "/api/v1/execute", "application/json", body)
			status := statusOf(t, code, raw)
			assert.Contains(t, a.expect, status, "%s (HTTP %d): %.2000s", a.what, code, raw)
			if status == server.StatusInvalidRequest {
				assert.NotEqual(t, http.StatusOK, code)
			}
			for _, s := range secrets {
				assert.NotContains(t, string(raw), s, "%s: the response shows host data", a.what)
			}
		})
	}
}
