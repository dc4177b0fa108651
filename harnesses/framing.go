package harnesses

import (
	"bufio"
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
)

// bytesFramed counts the bytes every responseFramer has examined: the
// host's work on responses is linear exactly when this is, which tests
// check without timing anything.
var bytesFramed atomic.Int64

// Where a responseFramer is in the response.
const (
	frameHead      = iota // status line and headers, up to the empty line
	frameLength           // a body of Content-Length bytes
	frameChunkSize        // a chunk-size line of a chunked body
	frameChunkData        // a chunk's data
	frameChunkEnd         // the CRLF after a chunk's data
	frameTrailer          // after the last chunk: trailers up to an empty line
	frameDone             // whole, and parseResponse agrees
	frameBroken           // never whole: the bytes are not a response parseResponse reads
)

// maxChunkLine bounds a chunk-size line, as Go's chunked reader does.
const maxChunkLine = 4096

// responseFramer is the serve harness's ResponseTracker: it says when the
// bytes sent so far are one whole HTTP/1.x response, in the sense of
// parseResponse (which run.result is read with), looking at each byte
// once. Re-parsing the response on every poll, as before, was quadratic
// for a response streamed in small pieces (a server-sent event stream).
//
// It finds where the response can end from its framing (the head's empty
// line; Content-Length, chunked or neither), then confirms once with
// parseResponse: where the two could disagree (a malformed response), the
// answer is parseResponse's, so the framer is an accelerator, never a
// second definition of a response.
type responseFramer struct {
	resp  []byte // everything sent so far
	state int
	at    int   // next byte of resp to examine
	line  int   // start of the line being read (head, chunk size, trailer)
	need  int64 // bytes still wanted by frameLength and frameChunkData
}

func newResponseFramer() ResponseTracker { return &responseFramer{} }

// Sent implements ResponseTracker.
func (f *responseFramer) Sent(p []byte) bool {
	f.resp = append(f.resp, p...)
	for f.at < len(f.resp) && f.state != frameDone && f.state != frameBroken {
		f.step()
	}
	if f.state == frameLength && f.need == 0 {
		f.confirm()
	}
	return f.state == frameDone
}

// step examines resp from at: one line, or one run of body bytes.
func (f *responseFramer) step() {
	switch f.state {
	case frameLength, frameChunkData:
		n := min(f.need, int64(len(f.resp)-f.at))
		bytesFramed.Add(n)
		f.at += int(n)
		f.line = f.at
		f.need -= n
		if f.need > 0 {
			return
		}
		if f.state == frameLength {
			f.confirm()
		} else {
			f.state = frameChunkEnd
		}
		return
	}
	nl := bytes.IndexByte(f.resp[f.at:], '\n')
	if nl < 0 {
		bytesFramed.Add(int64(len(f.resp) - f.at))
		f.at = len(f.resp)
		if f.state == frameChunkSize && f.at-f.line > maxChunkLine {
			f.state = frameBroken
		}
		return
	}
	bytesFramed.Add(int64(nl + 1))
	end := f.at + nl
	raw := f.resp[f.line:end]
	line := bytes.TrimSuffix(raw, []byte("\r"))
	first := f.line == 0
	f.at, f.line = end+1, end+1
	switch f.state {
	case frameHead:
		if len(line) == 0 && !first {
			f.bodyFraming()
		}
	case frameChunkSize:
		f.chunkSize(line)
	case frameChunkEnd:
		// The CRLF after the data; Go's reader wants exactly "\r\n".
		if string(raw) != "\r" {
			f.state = frameBroken
			return
		}
		f.state = frameChunkSize
	case frameTrailer:
		if len(line) == 0 {
			f.confirm()
		}
	}
}

// bodyFraming reads the head, now whole, and decides how the body ends.
func (f *responseFramer) bodyFraming() {
	head, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(f.resp[:f.at])), nil)
	if err != nil {
		f.state = frameBroken
		return
	}
	switch {
	case head.StatusCode/100 == 1 || head.StatusCode == http.StatusNoContent || head.StatusCode == http.StatusNotModified:
		f.confirm()
	case slices.Contains(head.TransferEncoding, "chunked"):
		f.state = frameChunkSize
	case head.ContentLength >= 0:
		f.state, f.need = frameLength, head.ContentLength
	default:
		// Neither: the body runs to the end of the bytes, so what was sent
		// so far already reads as a response.
		f.confirm()
	}
}

// chunkSize reads a chunk-size line as Go's chunked reader does.
func (f *responseFramer) chunkSize(line []byte) {
	if semi := bytes.IndexByte(line, ';'); semi >= 0 {
		line = line[:semi]
	}
	line = bytes.TrimRight(line, " \t")
	size, err := strconv.ParseUint(string(line), 16, 63)
	if err != nil || len(line) > 16 {
		f.state = frameBroken
		return
	}
	if size == 0 {
		f.state = frameTrailer
		return
	}
	f.state, f.need = frameChunkData, int64(size)
}

// confirm has parseResponse read the response where the framing says it
// ends: it is whole if that succeeds, and never will be otherwise.
func (f *responseFramer) confirm() {
	bytesFramed.Add(int64(len(f.resp)))
	if _, err := parseResponse(f.resp); err != nil {
		f.state = frameBroken
		return
	}
	f.state = frameDone
}
