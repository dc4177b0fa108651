package seccomp

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The table compiles on this libseccomp, every non-optional name is known,
// and the program is a whole number of BPF instructions within the kernel's
// limit.
func TestCompile(t *testing.T) {
	prog, err := Compile()
	require.NoError(t, err)
	require.NotEmpty(t, prog)
	require.Zero(t, len(prog)%8)
	t.Logf("%d BPF instructions", len(prog)/8)
}

// A call is never both allowed unconditionally and killed.
func TestTableConsistent(t *testing.T) {
	allows := map[string]bool{}
	for _, g := range allowed {
		for _, n := range g {
			require.False(t, allows[n], "duplicate allow %s", n)
			allows[n] = true
		}
	}
	for _, n := range hostile {
		require.False(t, allows[n], "%s is both allowed and hostile", n)
	}
	for _, n := range []string{"clone", "clone3", "socket", "socketpair", "personality", "mknod", "mknodat", "prctl"} {
		require.False(t, allows[n], "%s must only be allowed with argument rules", n)
	}
}
