package check

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestList(t *testing.T) {
	var empty List
	require.NoError(t, empty.Err())

	var inner List
	Range(&inner, "max_concurrent", -1, 1, 1024)
	Range(&inner, "ok", 5, 1, 10)
	RangeOrZero(&inner, "pids", int64(0), 1, 512) // 0 is allowed
	RangeOrZero(&inner, "memory_bytes", int64(9), 10, 20)
	OneOf(&inner, "engine", "jit", "auto", "compiler")
	inner.Add("engine", "a second complaint about one key is dropped")

	var outer List
	outer.Nest("service", inner.Err())
	outer.Nest("cache", nil)
	outer.Nest("jail", errors.New("plain error"))
	err := outer.Err()
	require.Error(t, err)
	assert.Equal(t, "service.max_concurrent: -1 is out of range 1..1024\n"+
		"service.memory_bytes: 9 is out of range 10..20 (or 0: the default)\n"+
		`service.engine: "jit" is not one of "auto", "compiler"`+"\n"+
		"jail: plain error", err.Error())

	var e *Error
	require.True(t, errors.As(fmt.Errorf("wrapped: %w", err), &e))
	assert.Len(t, e.Problems, 4)
	assert.Equal(t, "service.max_concurrent", e.Problems[0].Key)
}

func TestJoin(t *testing.T) {
	assert.Equal(t, "a.b", Join("a", "b"))
	assert.Equal(t, "b", Join("", "b"))
	assert.Equal(t, "a", Join("a", ""))
}

func TestWithDefaults(t *testing.T) {
	type inner struct{ A, B int }
	type section struct {
		N     int
		S     string
		L     []string
		In    inner
		Unset bool
	}
	d := section{N: 1, S: "d", L: []string{"d"}, In: inner{A: 1, B: 2}}
	assert.Equal(t, d, WithDefaults(section{}, d))
	got := WithDefaults(section{N: 5, In: inner{A: 7}}, d)
	assert.Equal(t, section{N: 5, S: "d", L: []string{"d"}, In: inner{A: 7}}, got, "set fields stay; a set nested section stays whole")
}
