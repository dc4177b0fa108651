package incremental

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
)

// scripted plays a compiler in a jail: it records what each command got
// under WorkDir and answers the next result, leaving leave[i] under
// WorkDir.
type scripted struct {
	results []jail.Result
	leave   []map[string][]byte
	got     []map[string][]byte // WorkDir's files each command started with
	cmds    []jail.Command
}

func (s *scripted) Run(_ context.Context, cmd jail.Command) (jail.Result, error) {
	i := len(s.cmds)
	s.cmds = append(s.cmds, cmd)
	in := map[string][]byte{}
	for p, b := range cmd.Files {
		if underWorkDir(p) {
			in[p] = b
		}
	}
	s.got = append(s.got, in)
	res := s.results[i]
	res.Files = map[string][]byte{"main.wasm": []byte("module")}
	if cmd.CollectTrees != nil && i < len(s.leave) {
		for p, b := range s.leave[i] {
			res.Files[p] = b
		}
	}
	return res, nil
}

var (
	ok      = jail.Result{}
	failed  = jail.Result{ExitCode: 1}
	ice     = jail.Result{ExitCode: 101}
	killed  = jail.Result{ExitCode: 137, Signaled: true}
	limited = jail.Result{ExitCode: 137, Signaled: true, Limit: outcome.LimitMemory}
)

func dirOf(tag string) map[string][]byte {
	return map[string][]byte{WorkDir + "/main-x/s/dep-graph.bin": []byte(tag)}
}

func compile(t *testing.T, r *Runner, id string) jail.Result {
	t.Helper()
	res, err := r.Run(context.Background(), jail.Command{Path: "/usr/bin/rustc", Files: map[string][]byte{"main.rs": nil},
		Collect: []string{"main.wasm"}, Incremental: id})
	require.NoError(t, err)
	return res
}

// A clean compile keeps what it left; the next compile of the id starts
// from it; the directory is never part of the result, nor handed to the
// jail as an id.
func TestACleanCompileKeepsItsDirectoryForTheNext(t *testing.T) {
	s := openStore(t, Config{})
	j := &scripted{results: []jail.Result{ok, ok, ok}, leave: []map[string][]byte{dirOf("one"), dirOf("two"), dirOf("three")}}
	r := &Runner{Next: j, Store: s}
	res := compile(t, r, idN(0))
	assert.Equal(t, map[string][]byte{"main.wasm": []byte("module")}, res.Files, "the directory's files are not the caller's")
	assert.Empty(t, j.got[0], "the first compile starts cold")
	assert.Equal(t, []string{WorkDir}, j.cmds[0].CollectTrees)
	assert.Empty(t, j.cmds[0].Incremental, "the jail gets files, not an id")

	compile(t, r, idN(0))
	assert.Equal(t, dirOf("one"), j.got[1], "the second starts from what the first left")
	compile(t, r, idN(1))
	assert.Empty(t, j.got[2], "another id starts cold")
}

// A compile error keeps the stored directory as it was (what the failed
// compile left is not kept); an internal compiler error or a signal from
// a warm directory drops it and compiles again cold, and that answer is
// the result; a limit drops it.
func TestFailuresNeverKeepWhatTheyLeft(t *testing.T) {
	s := openStore(t, Config{})
	j := &scripted{
		results: []jail.Result{ok, failed, ok, ice, ok, killed, failed, limited, ok},
		leave:   []map[string][]byte{dirOf("good"), dirOf("bad"), nil, dirOf("ice"), dirOf("cold"), nil, nil, dirOf("x"), nil},
	}
	r := &Runner{Next: j, Store: s}
	compile(t, r, idN(0)) // 0: keeps "good"
	res := compile(t, r, idN(0))
	assert.Equal(t, 1, res.ExitCode)
	compile(t, r, idN(0)) // 2
	assert.Equal(t, dirOf("good"), j.got[2], "the compile error's directory was not kept")

	res = compile(t, r, idN(0)) // 3: an ICE from "good", then 4 cold
	assert.Equal(t, 0, res.ExitCode, "the cold compile's answer, not the ICE")
	require.Len(t, j.cmds, 5)
	assert.Empty(t, j.got[4], "the retry starts cold")
	got, ok := s.Load(idN(0))
	require.True(t, ok)
	assert.Equal(t, dirOf("cold"), got)

	res = compile(t, r, idN(0)) // 5: killed from warm, 6: the cold retry fails to compile
	assert.Equal(t, 1, res.ExitCode)
	_, ok = s.Load(idN(0))
	assert.False(t, ok, "dropped")

	require.NoError(t, s.Save(idN(0), dirOf("warm")))
	res = compile(t, r, idN(0)) // 7: a limit
	assert.Equal(t, outcome.LimitMemory, res.Limit)
	assert.Len(t, j.cmds, 8, "a limit is not retried")
	assert.NotContains(t, res.Files, WorkDir+"/main-x/s/dep-graph.bin")
	_, ok = s.Load(idN(0))
	assert.False(t, ok, "a limit drops the directory")
}

// Without an id, or without a store, a command passes through as it is.
func TestCommandsWithoutADirectoryPassThrough(t *testing.T) {
	j := &scripted{results: []jail.Result{ok, ok}}
	compile(t, &Runner{Next: j, Store: openStore(t, Config{})}, "")
	compile(t, &Runner{Next: j}, idN(0))
	for _, c := range j.cmds {
		assert.Nil(t, c.CollectTrees)
		assert.Empty(t, c.Incremental)
	}
}
