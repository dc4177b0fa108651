package harnesses

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// framingCases are responses as a guest might send them, well-formed or
// not.
var framingCases = map[string]string{
	"content-length":       "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
	"content-length zero":  "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
	"lf only":              "HTTP/1.1 200 OK\ncontent-length: 2\n\nok",
	"chunked":              "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\n\r\n",
	"chunked with trailer": "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nx-t: 1\r\n\r\n",
	"event stream":         "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n" + strings.Repeat("8\r\ndata: 1\n\r\n", 5) + "0\r\n\r\n",
	"no content":           "HTTP/1.1 204 No Content\r\nserver: Rocket\r\n\r\n",
	"not modified":         "HTTP/1.1 304 Not Modified\r\ncontent-length: 10\r\n\r\n",
	"continue":             "HTTP/1.1 100 Continue\r\n\r\n",
	"no framing":           "HTTP/1.0 200 OK\r\n\r\nto the end",
	"bad status":           "HTTP/1.1 abc OK\r\ncontent-length: 0\r\n\r\n",
	"bad length":           "HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n",
	"bad chunk size":       "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
	"chunk without crlf":   "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n",
	"not http":             "GARBAGE\r\n\r\n",
	"empty first line":     "\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
}

func TestFramerAgreesWithParseResponse(t *testing.T) {
	// Fed a byte at a time, and in one piece, the framer says a response is
	// whole exactly when parseResponse (what run.result is read with)
	// reads the bytes so far.
	for name, resp := range framingCases {
		f := newResponseFramer()
		for i := 1; i <= len(resp); i++ {
			_, err := parseResponse([]byte(resp[:i]))
			got := f.Sent([]byte(resp[i-1 : i]))
			if !assert.Equal(t, err == nil, got, "%s: after %d of %d bytes (%q)", name, i, len(resp), resp[:i]) || got {
				break
			}
		}
		_, err := parseResponse([]byte(resp))
		assert.Equal(t, err == nil, newResponseFramer().Sent([]byte(resp)), "%s in one piece", name)
	}
}

func TestFramerWorkIsLinear(t *testing.T) {
	// An event stream sent one event at a time: each byte is examined a
	// bounded number of times, so twice the events is about twice the work
	// (parsing the whole response on every change was quadratic).
	work := func(events int) int64 {
		f := newResponseFramer()
		before := bytesFramed.Load()
		f.Sent([]byte("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"))
		for i := range events {
			data := fmt.Sprintf("data: %d\n\n", i%10)
			if f.Sent([]byte(fmt.Sprintf("%x\r\n%s\r\n", len(data), data))) {
				t.Fatal("whole before the last chunk")
			}
		}
		assert.True(t, f.Sent([]byte("0\r\n\r\n")))
		return bytesFramed.Load() - before
	}
	small, large := work(2_000), work(4_000)
	assert.Less(t, float64(large)/float64(small), 2.2, "work for 2000 events: %d, for 4000: %d", small, large)
}
