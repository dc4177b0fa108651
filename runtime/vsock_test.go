package runtime

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

func vsockJob(mode string, conns ...string) Job {
	job := Job{Module: vsockWasm, Args: []string{"vsockguest", mode}}
	for _, c := range conns {
		job.Connections = append(job.Connections, []byte(c))
	}
	return job
}

func TestVsockEchoesEachConnection(t *testing.T) {
	res := run(t, shared(t), vsockJob("echo", "hello there", "second request!", ""))
	require.True(t, res.Succeeded(), "stderr=%q trap=%q", res.Stderr, res.Trap)
	assert.Equal(t, [][]byte{[]byte("HELLO THERE"), []byte("SECOND REQUEST!"), {}}, res.Responses)
	assert.Equal(t, strings.Join([]string{
		// Without a completion hook recv says EOF once the request is in.
		`conn 0 got "hello there" end 0`,
		`close 0 recv after close 0`,
		`conn 1 got "second request!" end 0`,
		`close 0 recv after close 0`,
		`conn 2 got "" end 0`,
		`close 0 recv after close 0`,
		// No connection left: -1.
		`accept -1 after 3`,
	}, "\n")+"\n", string(res.Stdout))
}

func TestVsockWithoutConnections(t *testing.T) {
	res := run(t, shared(t), vsockJob("echo"))
	require.True(t, res.Succeeded())
	assert.Equal(t, "accept -1 after 0\n", string(res.Stdout))
	assert.Nil(t, res.Responses)
}

// suffixTracker says a response is whole once it ends in suffix, and
// keeps every chunk it was given.
type suffixTracker struct {
	suffix string
	resp   []byte
	seen   []string
}

func (s *suffixTracker) Sent(p []byte) bool {
	s.seen = append(s.seen, string(p))
	s.resp = append(s.resp, p...)
	return bytes.HasSuffix(s.resp, []byte(s.suffix))
}

func TestVsockTrackerGatesEOF(t *testing.T) {
	tr := &suffixTracker{suffix: "DONE"}
	job := vsockJob("hook", "GET / HTTP/1.1\r\n\r\n")
	job.TrackResponse = func() ResponseTracker { return tr }
	res := run(t, shared(t), job)
	require.True(t, res.Succeeded(), "stderr=%q", res.Stderr)
	assert.Equal(t, "got \"GET / HTTP/1.1\\r\\n\\r\\n\" end -1\nafter partial -1\nafter done 0\n", string(res.Stdout))
	assert.Equal(t, [][]byte{[]byte("partial DONE")}, res.Responses)
	// The tracker gets each sent byte once, not the response per poll.
	assert.Equal(t, []string{"partial ", "DONE"}, tr.seen)
}

func TestVsockTrackingIsLinearInTheResponse(t *testing.T) {
	// A guest that sends its response one byte at a time and polls recv
	// after each: the host's work on the response must grow with its
	// size, not with its size times the number of polls. (The completion
	// hook this replaced was given the whole response on every change:
	// n(n+1)/2 bytes for n sends.)
	for _, n := range []int{500, 1000, 2000} {
		tr := &suffixTracker{suffix: "never"}
		job := vsockJob("dribble", "req")
		job.Args = append(job.Args, strconv.Itoa(n))
		job.TrackResponse = func() ResponseTracker { return tr }
		res := run(t, shared(t), job)
		require.True(t, res.Succeeded(), "stderr=%q trap=%q", res.Stderr, res.Trap)
		assert.Equal(t, fmt.Sprintf("polls %d all -1\n", n), string(res.Stdout))
		given := 0
		for _, c := range tr.seen {
			given += len(c)
		}
		assert.Equal(t, n, given, "bytes given to the tracker for %d sent", n)
	}
}

func TestVsockRejectsHostileArguments(t *testing.T) {
	res := run(t, shared(t), vsockJob("hostile", "req"))
	require.True(t, res.Succeeded(), "stderr=%q trap=%q", res.Stderr, res.Trap)
	assert.Equal(t, strings.Join([]string{
		"recv unknown -2 -2",
		"recv oob -2 -2 -2",
		"recv zero 0 -2",
		"send oob -2 -2",
		"send unknown -2",
		"close unknown -2 -2",
		"send ok 2",
		"close 0 0 send closed -2",
		"accept again -1",
	}, "\n")+"\n", string(res.Stdout))
	assert.Equal(t, [][]byte{[]byte("ok")}, res.Responses)
}

func TestVsockResponsesShareTheStdoutCap(t *testing.T) {
	job := vsockJob("flood", "x")
	job.Limits = Limits{StdoutLimitBytes: 5_500, Timeout: 5 * time.Second}
	res := run(t, shared(t), job)
	assert.Equal(t, outcome.LimitOutput, res.Limit)
	assert.True(t, res.ResponsesTruncated)
	assert.False(t, res.StdoutTruncated)
	require.Len(t, res.Responses, 1)
	assert.Len(t, res.Responses[0], 5_500)
	within(t, res.Duration, 2*time.Second)
}

func TestVsockRunsAreIsolated(t *testing.T) {
	t.Parallel()
	e := shared(t)
	// The tracker factory holds each run at its accept until every run has
	// got there, so that all of them are mid-flight, connections accepted,
	// at the same moment.
	const runs = 4
	var arrived atomic.Int32
	allThere := make(chan struct{})
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			req := fmt.Sprintf("request of run %d", i)
			job := vsockJob("hook", req)
			job.TrackResponse = func() ResponseTracker {
				if arrived.Add(1) == runs {
					close(allThere)
				}
				select {
				case <-allThere:
				case <-time.After(5 * time.Second):
					t.Error("the runs never overlapped (or one saw another's connection)")
				}
				return &suffixTracker{suffix: "DONE"}
			}
			res, err := e.Run(t.Context(), job)
			if !assert.NoError(t, err) {
				return
			}
			assert.Equal(t, fmt.Sprintf("got %q end -1\nafter partial -1\nafter done 0\n", req), string(res.Stdout))
			assert.Equal(t, [][]byte{[]byte("partial DONE")}, res.Responses)
		})
	}
	wg.Wait()
}

func TestRecordChannel(t *testing.T) {
	// The harness's code asks for the key first and writes with it.
	res := run(t, shared(t), Job{Module: vsockWasm, Args: []string{"vsockguest", "records", "honest"}})
	require.True(t, res.Succeeded(), "stderr=%q trap=%q", res.Stderr, res.Trap)
	assert.Equal(t, "key 0\nrecord 0 0\n", string(res.Stdout))
	assert.Equal(t, [][]byte{[]byte("first"), []byte("second")}, res.Records)
	assert.False(t, res.RecordsForged)

	// Anything else that uses the channel without the key gives itself
	// away, and marks every record of the run untrustworthy; it never
	// learns the key, and hostile pointers are refused.
	res = run(t, shared(t), Job{Module: vsockWasm, Args: []string{"vsockguest", "records", "forge"}})
	require.True(t, res.Succeeded(), "stderr=%q trap=%q", res.Stderr, res.Trap)
	assert.Equal(t, "key 0\nrecord 0 0\nbad pointers -2 -2 -2 -2\nguessed key -1\nkey again -1 false\nstill 0\n", string(res.Stdout))
	assert.Equal(t, [][]byte{[]byte("first"), []byte("second"), []byte("third")}, res.Records)
	assert.True(t, res.RecordsForged)
}

func TestRecordsHaveTheirOwnBudget(t *testing.T) {
	job := Job{Module: vsockWasm, Args: []string{"vsockguest", "records", "honest"}}
	job.Limits.StdoutLimitBytes = 200
	res := run(t, shared(t), job)
	assert.Equal(t, [][]byte{[]byte("first"), []byte("second")}, res.Records)
	assert.False(t, res.RecordsTruncated)

	job.Limits.StdoutLimitBytes = 8
	res = run(t, shared(t), job)
	assert.Equal(t, [][]byte{[]byte("first")}, res.Records, "a record past the budget is dropped whole")
	assert.True(t, res.RecordsTruncated)
	assert.Equal(t, outcome.LimitOutput, res.Limit)
}
