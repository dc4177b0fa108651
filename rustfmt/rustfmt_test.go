package rustfmt

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
)

// recordingRunner answers every command with res and keeps the last one.
type recordingRunner struct {
	cmd jail.Command
	res jail.Result
}

func (r *recordingRunner) Run(_ context.Context, cmd jail.Command) (jail.Result, error) {
	r.cmd = cmd
	return r.res, nil
}

// The stub goes in on standard input and nothing else is given: no
// source file, no environment, an empty configuration named by path.
func TestTheStubIsTheOnlyInput(t *testing.T) {
	r := &recordingRunner{res: jail.Result{Stdout: []byte("fn main() {}\n")}}
	out, err := New("/usr/bin/rustfmt", r).Format(context.Background(), []byte("fn  main(){}"), "", jail.Limits{WallTimeMS: 5})
	require.NoError(t, err)
	assert.True(t, out.OK)
	assert.Equal(t, "fn main() {}\n", string(out.Formatted))
	assert.Equal(t, "/usr/bin/rustfmt", r.cmd.Path)
	assert.Equal(t, []string{"--edition", "2021", "--emit", "stdout", "--color", "never", "--config-path", "rustfmt.toml"}, r.cmd.Args)
	assert.Equal(t, []byte("fn  main(){}"), r.cmd.Stdin)
	assert.Equal(t, map[string][]byte{"rustfmt.toml": nil}, r.cmd.Files)
	assert.Empty(t, r.cmd.Env)
	assert.Empty(t, r.cmd.Collect)
	assert.EqualValues(t, 5, r.cmd.Limits.WallTimeMS)
}

// A failure is rustfmt's message at main.rs's lines; a limit says which.
func TestFailuresSayWhy(t *testing.T) {
	for _, tc := range []struct {
		res  jail.Result
		want string
	}{
		{jail.Result{ExitCode: 1, Stderr: []byte("error: x\n --> <stdin>:2:3\n")}, "error: x\n --> main.rs:2:3\n"},
		{jail.Result{ExitCode: 1}, "rustfmt exited with status 1\n"},
		{jail.Result{Limit: outcome.LimitTime, Stdout: []byte("partial")}, "rustfmt did not finish within its time limit\n"},
		{jail.Result{Limit: outcome.LimitMemory}, "rustfmt ran out of its memory limit\n"},
		{jail.Result{Limit: outcome.LimitOutput}, "the formatted source is larger than rustfmt's output limit\n"},
	} {
		out, err := New("rustfmt", &recordingRunner{res: tc.res}).Format(context.Background(), []byte("x"), "2024", jail.Limits{})
		require.NoError(t, err)
		assert.False(t, out.OK)
		assert.Empty(t, out.Formatted)
		assert.Equal(t, tc.want, out.Stderr)
	}
	_, err := New("rustfmt", &recordingRunner{}).Format(context.Background(), []byte("x"), "2019", jail.Limits{})
	assert.Error(t, err)
}
