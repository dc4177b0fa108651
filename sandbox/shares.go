package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/project"
)

// Shares are playground states (harness, stub, args, seed, limits) kept under an
// id a link can carry. They are content-addressed: the id is a hash of
// the state's canonical JSON, so the same state always has the same id,
// ids cannot be enumerated or guessed from one another, and a stored
// state can be checked against its id. They are kept in a store of
// their own, bounded in bytes like every cache (least recently used
// first out): a link can outlive its state, and then says so (404).

// shareIDBytes is how much of the hash an id keeps: 144 bits, which is
// 24 characters of base64url with no padding.
const shareIDBytes = 18

// shareIDLen is an id's length in characters.
var shareIDLen = base64.RawURLEncoding.EncodedLen(shareIDBytes)

// sharedState is the canonical form of a share: keys in sorted order,
// args canonical, the stub normalized as for a run.
type sharedState struct {
	Args    json.RawMessage       `json:"args"`
	Files   map[string]sharedFile `json:"files,omitempty"` // a project's (encoded in path order)
	Harness string                `json:"harness"`
	Limits  map[string]int64      `json:"limits,omitempty"`
	Seed    *uint64               `json:"seed,omitempty"`
	Stub    string                `json:"stub"`
}

// Share stores the state st (a request that is not run) and returns its
// id. It is checked as a request is (the harness exists; the stub is
// there, within the stub limit, UTF-8; args an object; a project's files
// within the file rules), but not planned:
// a state need not be a program that compiles.
func (s *Service) Share(st Request) (string, error) {
	if s.shares == nil {
		return "", errors.New("shares: no store")
	}
	if _, err := s.validate(st); err != nil {
		return "", err
	}
	if _, err := effective(st.Limits, s.defaultLimits, s.maxLimits); err != nil {
		return "", err
	}
	if len(st.Files) > 0 {
		// A project's files meet a request's file rules (limits on their
		// decoded bytes, paths, text where the service reads text).
		if err := project.Check(st.Files, project.Limits{MaxFiles: s.cfg.MaxFiles, MaxBytes: s.cfg.MaxFilesBytes}, st.Stub != ""); err != nil {
			return "", fileError(err)
		}
	}
	canon, err := canonicalState(st)
	if err != nil {
		return "", err
	}
	id := shareHash(canon)
	if s.shared != nil {
		// Every replica answers the link, whichever stored it.
		s.shared.Put(context.Background(), hex.EncodeToString(id), canon)
	}
	if err := s.shares.Put(hex.EncodeToString(id), canon); err != nil {
		if errors.Is(err, cache.ErrTooLarge) {
			return "", Errorf(CodeTooLarge, "state", "the state is %d bytes as JSON; shares keep at most the store's max_value_bytes", len(canon))
		}
		return "", fmt.Errorf("shares: store: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(id), nil
}

// Shared returns the canonical JSON of the state stored under id. An id
// that cannot be one is invalid; one that is not stored (never, or no
// longer) is CodeMissing.
func (s *Service) Shared(id string) (json.RawMessage, error) {
	if s.shares == nil {
		return nil, errors.New("shares: no store")
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(id)
	if len(id) != shareIDLen || err != nil || len(raw) != shareIDBytes {
		return nil, Invalid("id", "%q is not a share id (%d characters of base64url)", id, shareIDLen)
	}
	b, tier := s.shares.Get(hex.EncodeToString(raw))
	if tier == cache.Miss && s.shared != nil {
		// Stored by another replica: from the shared tier, checked
		// against the id below like any stored state, then kept here.
		if v, ok := s.shared.Get(context.Background(), hex.EncodeToString(raw)); ok && bytes.Equal(shareHash(v), raw) {
			b, tier = v, cache.Redis
			_ = s.shares.Put(hex.EncodeToString(raw), v)
		}
	}
	if tier == cache.Miss {
		return nil, Errorf(CodeMissing, "id", "no share %s is stored (shares are kept within a byte budget, least recently used first out)", id)
	}
	// The id is the state's hash: a value that does not hash to it was
	// not stored under it.
	if !bytes.Equal(shareHash(b), raw) {
		return nil, Errorf(CodeMissing, "id", "no share %s is stored", id)
	}
	return json.RawMessage(b), nil
}

// shareHash is the id, as bytes, of a state's canonical JSON.
func shareHash(canon []byte) []byte {
	sum := sha256.Sum256(append([]byte("rocket-sandbox share v1\n"), canon...))
	return sum[:shareIDBytes]
}

// canonicalState is st's canonical JSON: the same state, however it was
// written, gives the same bytes.
func canonicalState(st Request) ([]byte, error) {
	args, err := canonicalArgs(st.Args)
	if err != nil {
		return nil, fmt.Errorf("canonical args (validated as JSON): %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var files map[string]sharedFile
	if len(st.Files) > 0 {
		files = make(map[string]sharedFile, len(st.Files))
		for path, content := range st.Files {
			files[path] = sharedFile(content)
		}
	}
	state := sharedState{Args: args, Files: files, Harness: st.Harness, Seed: st.Seed}
	if st.Stub != "" {
		// As Execute: a project without a stub has none (its crate root
		// is a file), so the state reads back as the request it was.
		state.Stub = normalizeStub(st.Stub)
	}
	// The limits the state asks for, not the defaults it leaves.
	for _, f := range st.Limits.Fields() {
		if *f.Value != 0 {
			if state.Limits == nil {
				state.Limits = map[string]int64{}
			}
			state.Limits[f.Key] = *f.Value
		}
	}
	if err := enc.Encode(state); err != nil {
		return nil, fmt.Errorf("encode a share: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// sharedFile is a file of a shared state in its one canonical form, the
// request's own: UTF-8 content as a string, anything else as
// {"content": "<base64>", "encoding": "base64"}. So the same bytes are
// the same state (and id) however they were sent, and a state reads back
// as a request that sends them.
type sharedFile []byte

// MarshalJSON writes the file's form (strings without HTML escapes, as
// the state's encoder writes every other string).
func (f sharedFile) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var v any = string(f)
	if !utf8.Valid(f) {
		v = struct {
			Content  string `json:"content"`
			Encoding string `json:"encoding"`
		}{base64.StdEncoding.EncodeToString(f), FileEncodingBase64}
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
