package sandbox

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// holdingEngine keeps modules by key like *runtime.Engine: a job without
// bytes runs only if its key is held. It records what each run was given.
type holdingEngine struct {
	mu     sync.Mutex
	held   map[string][]byte
	byKey  int // runs given a key and no bytes
	byData int // runs given bytes
	// evictOnHolds evicts everything right after Holds answers: the
	// race of an eviction between the lookup and the run.
	evictOnHolds bool
}

func (e *holdingEngine) Holds(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.held[key]
	if e.evictOnHolds {
		clear(e.held)
	}
	return ok
}

func (e *holdingEngine) Run(_ context.Context, job wasmrt.Job) (wasmrt.Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	bin, ok := e.held[job.ModuleKey]
	switch {
	case job.Module != nil:
		e.byData++
		e.held[job.ModuleKey], bin = job.Module, job.Module
	case !ok:
		return wasmrt.Result{}, wasmrt.ErrNoModule
	default:
		e.byKey++
	}
	code := int32(0)
	return wasmrt.Result{Run: outcome.Run{ExitCode: &code, Stdout: append(append([]byte{}, bin...), job.Stdin...)}}, nil
}

func (e *holdingEngine) evict() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.held)
}

// A cached compile whose module the engine holds is run by its key alone
// (the module's bytes are not read from the store); after an eviction
// the bytes are read again; and the module the run gets is the one its
// source compiled to either way.
func TestHeldModulesRunByKeyWithoutBytes(t *testing.T) {
	c, e := &countingCompiler{}, &holdingEngine{held: map[string][]byte{}}
	svc := newCachedService(t, c, e)
	stub := "fn main() {}\n"
	for i, stdin := range []string{"a", "b", "c"} {
		resp, err := svc.Execute(context.Background(), programReq(stub, stdin))
		require.NoError(t, err)
		assert.Equal(t, "module:"+stub+stdin, resp.Run.Stdout, "run %d", i)
		assert.Equal(t, len("module:"+stub), resp.Compile.ModuleBytes)
	}
	assert.EqualValues(t, 1, c.calls.Load())
	assert.Equal(t, 1, e.byData, "bytes once, when compiled")
	assert.Equal(t, 2, e.byKey, "then by key")

	e.evict()
	resp, err := svc.Execute(context.Background(), programReq(stub, "d"))
	require.NoError(t, err)
	assert.Equal(t, "module:"+stub+"d", resp.Run.Stdout)
	assert.Equal(t, 2, e.byData, "read from the store after the eviction")
	assert.EqualValues(t, 1, c.calls.Load(), "not compiled again")
}

// A module evicted between the lookup (held) and the run is run with its
// bytes from the store, not failed.
func TestModuleEvictedBeforeItsRunIsReadFromTheStore(t *testing.T) {
	c, e := &countingCompiler{}, &holdingEngine{held: map[string][]byte{}}
	svc := newCachedService(t, c, e)
	stub := "fn main() {}\n"
	_, err := svc.Execute(context.Background(), programReq(stub, "a"))
	require.NoError(t, err)
	e.evictOnHolds = true
	resp, err := svc.Execute(context.Background(), programReq(stub, "b"))
	require.NoError(t, err)
	assert.Equal(t, "module:"+stub+"b", resp.Run.Stdout)
	assert.Equal(t, 2, e.byData)
	assert.EqualValues(t, 1, c.calls.Load(), "not compiled again")
}
