package native

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// Shell scripts stand in for reference executables: the engine only
// writes the bytes to a file and executes it.
func script(body string) []byte { return []byte("#!/bin/sh\n" + body + "\n") }

func TestExitCodeStdinAndOutput(t *testing.T) {
	var e Engine
	res, err := e.Run(context.Background(), wasmrt.Job{Module: script(`cat; echo "$ROCKET_SECRET_KEY" | wc -c >&2; exit 3`), Stdin: []byte("hi\n")})
	require.NoError(t, err)
	require.NotNil(t, res.ExitCode)
	assert.Equal(t, int32(3), *res.ExitCode)
	assert.Equal(t, "hi\n", string(res.Stdout))
	assert.Equal(t, "65", strings.TrimSpace(string(res.Stderr)), "runs with Env's secret key")
	assert.Equal(t, outcome.StatusRuntimeError, outcome.Of(&outcome.Compile{Success: true}, &res.Run))
}

func TestSuccessIsOK(t *testing.T) {
	var e Engine
	res, err := e.Run(context.Background(), wasmrt.Job{Module: script("true")})
	require.NoError(t, err)
	assert.True(t, res.Succeeded())
}

func TestSignalIsATrap(t *testing.T) {
	var e Engine
	res, err := e.Run(context.Background(), wasmrt.Job{Module: script("kill -ABRT $$")})
	require.NoError(t, err)
	assert.Nil(t, res.ExitCode)
	assert.Equal(t, "killed by signal 6", res.Trap)
}

func TestTimeoutIsTheTimeLimit(t *testing.T) {
	e := Engine{Timeout: 100 * time.Millisecond}
	res, err := e.Run(context.Background(), wasmrt.Job{Module: script("exec sleep 5")})
	require.NoError(t, err)
	assert.Equal(t, outcome.LimitTime, res.Limit)
}

func TestOutputIsCapped(t *testing.T) {
	e := Engine{OutputBytes: 10}
	res, err := e.Run(context.Background(), wasmrt.Job{Module: script("echo 0123456789abcdef")})
	require.NoError(t, err)
	assert.Equal(t, "0123456789", string(res.Stdout))
	assert.True(t, res.StdoutTruncated)
}

func TestConnectionsAreRefused(t *testing.T) {
	var e Engine
	_, err := e.Run(context.Background(), wasmrt.Job{Module: script("true"), Connections: [][]byte{[]byte("GET / HTTP/1.1\r\n\r\n")}})
	assert.ErrorIs(t, err, errConnections)
}
