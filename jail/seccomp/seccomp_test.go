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

// The resident table compiles, never both allows and kills a call, and
// allows nothing that opens a file, makes a socket or runs a program.
func TestResidentTable(t *testing.T) {
	prog, err := CompileResident()
	require.NoError(t, err)
	require.Zero(t, len(prog)%8)
	allows := map[string]bool{}
	for _, g := range residentAllowed {
		for _, n := range g {
			require.False(t, allows[n], "duplicate allow %s", n)
			allows[n] = true
		}
	}
	for _, n := range append(append([]string{}, hostile...), residentHostile...) {
		require.False(t, allows[n], "%s is both allowed and killed", n)
	}
	for _, r := range ResidentTable() {
		if r.Action == Allow {
			require.NotContains(t, []string{"open", "openat", "openat2", "creat", "execve", "execveat",
				"socket", "socketpair", "fork", "vfork", "ptrace", "mount", "unshare"}, r.Name)
		}
	}
}

// The front door's table compiles, and kills exec, process creation and
// every hostile call of the compile table.
func TestFrontDoorTable(t *testing.T) {
	prog, err := CompileFrontDoor()
	require.NoError(t, err)
	require.Zero(t, len(prog)%8)
	kills := map[string]bool{}
	for _, r := range FrontDoorTable() {
		require.NotEqual(t, Allow, r.Action, "%s: a denylist names only what it refuses", r.Name)
		if r.Action == Kill && len(r.Args) == 0 {
			kills[r.Name] = true
		}
	}
	for _, n := range append([]string{"execve", "execveat", "fork", "vfork"}, hostile...) {
		require.True(t, kills[n], "%s kills the front door", n)
	}
}
