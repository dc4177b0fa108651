package sandbox

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// EncodeJSON is the service's JSON encoding: no HTML escaping (so
// program output such as <html> stays readable) and a final newline. It
// is deterministic: the same value always gives the same bytes.
func EncodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return buf.Bytes(), nil
}

// EncodeResponse is a response's wire form (EncodeJSON).
func EncodeResponse(resp Response) ([]byte, error) { return EncodeJSON(resp) }

// Encoded is a response in its wire form: the exact bytes to send, and
// its status.
type Encoded struct {
	Status outcome.Status
	Body   []byte
	// Cache, CompileMS and RunMS restate, for the request's log line, a
	// few of Body's fields without decoding it: where the answer came
	// from and, when this request computed it (Cache.Result is miss),
	// its compile and run times (-1: that step did not happen).
	Cache            CacheReport
	CompileMS, RunMS int64
	// Key is the request's result key when the answer is memoized (it
	// came from the memo, or was stored there), for Service.Recall;
	// empty otherwise. It is not sent.
	Key string
}

// EncodeAnswer is resp's wire form with its summary, as ExecuteEncoded
// answers a request this service computed.
func EncodeAnswer(resp Response) (Encoded, error) {
	body, err := EncodeResponse(resp)
	e := Encoded{Status: resp.Status, Body: body, CompileMS: -1, RunMS: -1}
	if resp.Cache != nil {
		e.Cache = *resp.Cache
	}
	if resp.Compile != nil {
		e.CompileMS = resp.Compile.DurationMS
	}
	if resp.Run != nil {
		e.RunMS = resp.Run.DurationMS
	}
	return e, err
}

// A memoized response is stored as the bytes to send, less its cache
// report (the one part that differs between answers: which tier has it),
// so that a hit is answered by splicing the report in, with no decoding
// and no encoding. The format: storedMagic, the offset in the body where
// the report goes (uint32, big endian), the status's length (one byte)
// and the status, room for the longest report (reportRoom bytes), then
// the body. The room lets a hit splice the report into the bytes it read
// (answerInPlace): the body before the offset (the status, harness, seed
// and limits, a few hundred bytes) moves into the room, and the body
// after it, the bulk, stays where it is.
const storedMagic = "RSP3"

// storeForm encodes resp as it is memoized.
func storeForm(resp Response) ([]byte, error) {
	// Encoded with a marker for a report, which is then cut out: where
	// it was is where a hit's report goes, wherever Response's field
	// order puts it. The marker's tier is a string no tier is, and no
	// field before the report (status, harness, seed, limits) can hold.
	resp.Cache = &CacheReport{Result: markerTier}
	full, err := EncodeResponse(resp)
	if err != nil {
		return nil, err
	}
	marker := cacheReports[markerTier]
	off := bytes.Index(full, []byte(marker))
	if off < 0 || len(resp.Status) > 255 {
		return nil, fmt.Errorf("memo: cannot place the cache report in the response")
	}
	out := make([]byte, 0, len(storedMagic)+5+len(resp.Status)+reportRoom+len(full)-len(marker))
	out = append(out, storedMagic...)
	out = binary.BigEndian.AppendUint32(out, uint32(off))
	out = append(out, byte(len(resp.Status)))
	out = append(out, resp.Status...)
	out = append(out, make([]byte, reportRoom)...)
	out = append(out, full[:off]...)
	return append(out, full[off+len(marker):]...), nil
}

const markerTier cache.Tier = "\x00memo"

// cacheReports are the cache reports of memo hits, as spliced in (the
// member and its comma: a report is never the last member).
var cacheReports = map[cache.Tier]string{}

// reportRoom is the length of the longest report a hit splices in.
var reportRoom int

func init() {
	for _, t := range []cache.Tier{cache.Memory, cache.Disk, cache.Redis, markerTier} {
		b, err := json.Marshal(&CacheReport{Result: t})
		if err != nil {
			panic(err)
		}
		cacheReports[t] = `"cache":` + string(b) + ","
		if t != markerTier {
			reportRoom = max(reportRoom, len(cacheReports[t]))
		}
	}
}

// storedParts splits a stored response: its status, the room before its
// body (where the body starts in stored), the body, the report's offset
// in it, and the report of tier. ok is false for bytes that are not a
// stored response (damaged, or another version's).
func storedParts(stored []byte, tier cache.Tier) (status outcome.Status, start int, body []byte, off int, report string, ok bool) {
	if len(stored) < len(storedMagic)+5 || string(stored[:len(storedMagic)]) != storedMagic {
		return "", 0, nil, 0, "", false
	}
	rest := stored[len(storedMagic):]
	off = int(binary.BigEndian.Uint32(rest))
	n := int(rest[4])
	rest = rest[5:]
	if len(rest) < n+reportRoom {
		return "", 0, nil, 0, "", false
	}
	status, body = outcome.Status(rest[:n]), rest[n+reportRoom:]
	start = len(storedMagic) + 5 + n + reportRoom
	report, ok = cacheReports[tier]
	if !ok || tier == markerTier || !status.Valid() || off < 1 || off >= len(body) || body[off-1] != ',' || body[off] != '"' {
		return "", 0, nil, 0, "", false
	}
	return status, start, body, off, report, true
}

// answerForm is a stored response as answered from tier: the stored
// body with the cache report spliced in, in new bytes (stored is left
// as it is). ok is false for bytes that are not a stored response.
func answerForm(stored []byte, tier cache.Tier) (Encoded, bool) {
	status, _, body, off, report, ok := storedParts(stored, tier)
	if !ok {
		return Encoded{}, false
	}
	out := make([]byte, 0, len(body)+len(report))
	out = append(out, body[:off]...)
	out = append(out, report...)
	out = append(out, body[off:]...)
	return Encoded{Status: status, Body: out, Cache: CacheReport{Result: tier}, CompileMS: -1, RunMS: -1}, true
}

// answerInPlace is answerForm in stored's own bytes, which it overwrites
// (the caller's copy, read from a tier, and used for nothing else): the
// body's head moves back into the room before it and the report goes
// between, so nothing is allocated and the bulk of the body is not
// copied.
func answerInPlace(stored []byte, tier cache.Tier) (Encoded, bool) {
	status, start, body, off, report, ok := storedParts(stored, tier)
	if !ok {
		return Encoded{}, false
	}
	from := start - len(report)
	copy(stored[from:], body[:off]) // overlapping: copy moves
	copy(stored[from+off:], report)
	return Encoded{Status: status, Body: stored[from:], Cache: CacheReport{Result: tier}, CompileMS: -1, RunMS: -1}, true
}
