package examples

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Side is one side's account of an example's tests: each test's outcome
// by name ("passed", "failed", "ignored"), or why none ran.
type Side struct {
	// Tests maps a test's name to its outcome.
	Tests map[string]string `json:"tests"`
	// Error says why the example's tests did not run (refused, did not
	// compile), empty when they did.
	Error string `json:"error,omitempty"`
}

// Count is how many tests had outcome.
func (s Side) Count(outcome string) int {
	n := 0
	for _, o := range s.Tests {
		if o == outcome {
			n++
		}
	}
	return n
}

// Sandbox runs e's tests through the `test` harness of the service at
// baseURL (POST /api/v1/execute), the example's files sent as a project,
// unmodified. limits, when not nil, is the request's limits object. A
// refusal or a compile error is a Side with Error; an error is a failure
// to ask (the service unreachable, an answer that does not parse).
func Sandbox(ctx context.Context, client *http.Client, baseURL string, e Example, limits map[string]any) (Side, error) {
	req := map[string]any{"harness": "test", "files": e.Project(), "args": map[string]any{}}
	if limits != nil {
		req["limits"] = limits
	}
	body, err := json.Marshal(req)
	if err != nil {
		return Side{}, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(baseURL, "/")+"/api/v1/execute", bytes.NewReader(body))
	if err != nil {
		return Side{}, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(hreq)
	if err != nil {
		return Side{}, fmt.Errorf("examples: %s: %w", e.Name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return Side{}, fmt.Errorf("examples: %s: %w", e.Name, err)
	}
	side := Side{Tests: map[string]string{}}
	if resp.StatusCode != http.StatusOK {
		var p struct {
			Status string `json:"status"`
			Error  string `json:"error"`
			Field  string `json:"field"`
		}
		if err := json.Unmarshal(raw, &p); err != nil || p.Status == "" {
			return Side{}, fmt.Errorf("examples: %s: HTTP %d: %.300s", e.Name, resp.StatusCode, raw)
		}
		// The list of what the profile has is the same in every refusal
		// that names a missing crate: the table keeps the reason.
		msg, _, _ := strings.Cut(p.Error, "; available: ")
		side.Error = truncate(fmt.Sprintf("refused (%d %s): %s %s", resp.StatusCode, p.Status, p.Field, msg), 300)
		return side, nil
	}
	var r struct {
		Status  string `json:"status"`
		Compile *struct {
			Success bool   `json:"success"`
			Stderr  string `json:"stderr"`
		} `json:"compile"`
		Run *struct {
			Result *struct {
				Tests []struct {
					Name   string `json:"name"`
					Status string `json:"status"`
					Reason string `json:"reason"`
				} `json:"tests"`
			} `json:"result"`
		} `json:"run"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return Side{}, fmt.Errorf("examples: %s: the answer does not parse: %w", e.Name, err)
	}
	if r.Compile != nil && !r.Compile.Success {
		side.Error = "compile error: " + firstError(r.Compile.Stderr)
		return side, nil
	}
	if r.Run == nil || r.Run.Result == nil {
		side.Error = "no test results (status " + r.Status + ")"
		return side, nil
	}
	for _, t := range r.Run.Result.Tests {
		switch t.Status {
		case "ok":
			side.Tests[t.Name] = "passed"
		case "ignored":
			side.Tests[t.Name] = "ignored"
		case "not_run":
			side.Tests[t.Name] = "not run"
		default:
			side.Tests[t.Name] = "failed"
		}
	}
	return side, nil
}

// firstError is the first error line of rustc's rendered diagnostics
// with the location line after it.
func firstError(stderr string) string {
	lines := strings.Split(stderr, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "error") {
			if i+1 < len(lines) && strings.Contains(lines[i+1], "-->") {
				l += " (" + strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i+1]), "-->")) + ")"
			}
			return truncate(l, 300)
		}
	}
	return truncate(strings.TrimSpace(stderr), 300)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
