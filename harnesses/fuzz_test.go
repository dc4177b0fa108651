package harnesses

import (
	"encoding/json"
	"testing"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// FuzzServeFraming: guest bytes, fed to the framer in the pieces the guest
// chose, never panic it, and whenever it calls a response whole, the
// parser run.result is read with reads the bytes so far. (Not the
// converse: for a malformed response that the parser refuses at the end
// its framing gives but accepts with more bytes — a trailer ended by a
// bare LF, found by this target — the framer says "never whole" rather
// than re-parse on every byte, so such a guest's own run ends at its
// deadline. Well-formed responses agree both ways: framing_test.go.)
func FuzzServeFraming(f *testing.F) {
	for _, c := range framingCases {
		f.Add([]byte(c), uint8(1))
		f.Add([]byte(c), uint8(7))
	}
	f.Fuzz(func(t *testing.T, resp []byte, piece uint8) {
		step := int(piece%16) + 1
		fr := newResponseFramer()
		for i := 0; i < len(resp); i += step {
			end := min(i+step, len(resp))
			whole := fr.Sent(resp[i:end])
			_, err := parseResponse(resp[:end])
			if whole && err != nil {
				t.Fatalf("after %d bytes the framer says whole, the parser says %v", end, err)
			}
			if whole {
				return
			}
		}
	})
}

// FuzzMockRecords: whatever a run's records hold (they come from the guest,
// through the harness's key-checked channel, but their bytes are the
// guest's), reading them into run.result never panics and gives JSON.
func FuzzMockRecords(f *testing.F) {
	f.Add([]byte(`{"kind":"response","status":200,"reason":"OK","headers":[["a","1"],["A","2"]],"body":"hi"}`), []byte(`{"kind":"error","error":"boom"}`))
	f.Add([]byte(`{"status":200,"body_encoding":"hex","body":"zz"}`), []byte(`not json`))
	f.Add([]byte{}, []byte{0xff})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		if _, err := mockResponse(a); err != nil {
			_ = err
		}
		run := &outcome.Run{Records: [][]byte{a, b}, Stdout: []byte("log\n")}
		out, err := interpretMock(run)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("run.result is not JSON: %q", out)
		}
	})
}
