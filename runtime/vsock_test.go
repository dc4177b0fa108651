package runtime

import (
	"bytes"
	"fmt"
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

func TestVsockCompletionHookGatesEOF(t *testing.T) {
	var seen []string
	job := vsockJob("hook", "GET / HTTP/1.1\r\n\r\n")
	job.ResponseComplete = func(resp []byte) bool {
		seen = append(seen, string(resp))
		return bytes.HasSuffix(resp, []byte("DONE"))
	}
	res := run(t, shared(t), job)
	require.True(t, res.Succeeded(), "stderr=%q", res.Stderr)
	assert.Equal(t, "got \"GET / HTTP/1.1\\r\\n\\r\\n\" end -1\nafter partial -1\nafter done 0\n", string(res.Stdout))
	assert.Equal(t, [][]byte{[]byte("partial DONE")}, res.Responses)
	// The hook runs once per change of the response, not once per poll.
	assert.Equal(t, []string{"", "partial ", "partial DONE"}, seen)
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
	// The completion hook holds each run at its first recv until every run
	// has got there, so that all of them are mid-flight, connections
	// accepted, at the same moment.
	const runs = 4
	var arrived atomic.Int32
	allThere := make(chan struct{})
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			req := fmt.Sprintf("request of run %d", i)
			job := vsockJob("hook", req)
			first := true
			job.ResponseComplete = func(resp []byte) bool {
				if first {
					first = false
					if arrived.Add(1) == runs {
						close(allThere)
					}
					select {
					case <-allThere:
					case <-time.After(5 * time.Second):
						t.Error("the runs never overlapped (or one saw another's connection)")
					}
				}
				return bytes.HasSuffix(resp, []byte("DONE"))
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
