package jail

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

func TestRunFilesAndExitCode(t *testing.T) {
	j := newTestJail(t)
	res := run(t, j, Command{
		Path: "/bin/sh",
		Args: []string{"-c", `cat in.txt sub/dir/data; echo oops >&2
			tr a-z A-Z < in.txt > out.txt
			mkdir -p res && echo nested > res/n.txt
			ln -s /usr/bin/env link.txt
			mkfifo fifo.txt
			exit 7`},
		Env:     []string{"PATH=/usr/bin"},
		Files:   map[string][]byte{"in.txt": []byte("hello\n"), "sub/dir/data": []byte("deep\n")},
		Collect: []string{"out.txt", "res/n.txt", "in.txt", "missing.txt", "link.txt", "fifo.txt"},
	})
	assert.Equal(t, 7, res.ExitCode)
	assert.False(t, res.Signaled)
	assert.Equal(t, outcome.LimitNone, res.Limit)
	assert.Equal(t, "hello\ndeep\n", string(res.Stdout))
	assert.Equal(t, "oops\n", string(res.Stderr))
	assert.Equal(t, map[string][]byte{
		"out.txt":   []byte("HELLO\n"),
		"res/n.txt": []byte("nested\n"),
		"in.txt":    []byte("hello\n"),
	}, res.Files, "missing files, symlinks and FIFOs are absent")
	assert.Positive(t, res.Usage.Wall)
	assert.Positive(t, res.Usage.CPU)
	assert.Positive(t, res.Usage.PeakMemoryBytes)

	res = run(t, j, sh("exit 0"))
	assert.Equal(t, 0, res.ExitCode)

	// A signal death: 128+signal, Signaled. (The target is PID 1 of its
	// namespace, which ignores signals it sends itself; seccomp's SIGSYS
	// is forced.)
	res = run(t, j, Command{Path: helperBin, Args: []string{"probe", "ptrace"}})
	assert.True(t, res.Signaled)
	assert.Equal(t, 128+int(syscall.SIGSYS), res.ExitCode)
	// A child's signal death is the shell's exit code.
	res = run(t, j, sh("sh -c 'kill -KILL $$'"))
	assert.False(t, res.Signaled)
	assert.Equal(t, 128+9, res.ExitCode)
}

func TestRejectsBadFileNames(t *testing.T) {
	j := newTestJail(t)
	for _, name := range []string{"../x", "/etc/x", "a/../../x", "", "./a"} {
		_, err := j.Run(context.Background(), Command{Path: "/bin/true", Files: map[string][]byte{name: nil}})
		assert.Error(t, err, name)
		_, err = j.Run(context.Background(), Command{Path: "/bin/true", Collect: []string{name}})
		assert.Error(t, err, name)
	}
	assertNoLeftovers(t, j)
}

func TestEnvIsExactlyCommandEnv(t *testing.T) {
	t.Setenv("JAIL_TEST_SECRET", "server-secret")
	j := newTestJail(t)
	res := run(t, j, Command{Path: "/usr/bin/env", Env: []string{"A=1", "B=two words"}})
	assert.Equal(t, "A=1\nB=two words\n", string(res.Stdout))
	res = run(t, j, Command{Path: "/usr/bin/env"})
	assert.Empty(t, string(res.Stdout))
}

func TestFilesystem(t *testing.T) {
	j := newTestJail(t)
	check := func(script string) string {
		t.Helper()
		res := run(t, j, sh(script))
		return strings.TrimSpace(string(res.Stdout) + string(res.Stderr))
	}
	// Nothing of the host but the read-only paths.
	for _, p := range []string{"/home", "/root", "/sys", "/etc", "/etc/passwd", "/var", "/run", "/boot", "/dev/sda", "/dev/shm", "/dev/pts"} {
		assert.Equal(t, "absent", check("test -e "+p+" && echo present || echo absent"), p)
	}
	// A bound file is visible, read-only, and nothing next to it is.
	jp := newTestJail(t, func(p *Policy) { p.ReadOnlyPaths = append(p.ReadOnlyPaths, "/etc/passwd") })
	res := run(t, jp, sh("grep -c '^root:' /etc/passwd; ls /etc; echo x >> /etc/passwd"))
	assert.Equal(t, "1\npasswd\n", string(res.Stdout))
	assert.Contains(t, string(res.Stderr), "cannot create /etc/passwd")
	// /dev has exactly null, zero, urandom (and the fd symlinks).
	assert.Equal(t, "fd null stderr stdin stdout urandom zero", check("echo $(ls /dev)"))
	assert.Equal(t, "0", check("head -c 16 /dev/urandom | wc -c >/dev/null; head -c 5 /dev/zero | tr -d '\\000' | wc -c"))

	// Read-only binds and the root are not writable (not even by a
	// file's owner: the mount is read-only).
	for _, p := range []string{"/usr/x", "/usr/bin/x", "/x", "/dev/x", "/proc/x"} {
		out := check("echo x > " + p + " && echo WROTE")
		assert.NotContains(t, out, "WROTE", p)
	}
	assert.Contains(t, check("echo x > /usr/bin/x"), "Read-only file system")
	assert.Contains(t, check("touch /bin/x"), "Read-only file system")

	// /work is the writable working directory, /tmp is writable too.
	assert.Equal(t, "/work\nok\nok", check("pwd; echo a > f && cat f >/dev/null && echo ok; echo b > /tmp/f && echo ok"))

	// /work is capped at WorkDirBytes.
	res = run(t, j, Command{Path: helperBin, Args: []string{"write", "/work/big", strconv.Itoa(4 << 20)},
		Limits: Limits{WorkDirBytes: 1 << 20, FileSizeBytes: 64 << 20}})
	assert.Contains(t, string(res.Stdout), "no space left on device")
	wrote := parseWrote(t, res.Stdout)
	assert.LessOrEqual(t, wrote, int64(1<<20))

	// Neither /work nor /tmp allows executing what the job wrote.
	assert.Contains(t, check("cp /bin/true /work/t && /work/t; cp /bin/true /tmp/t && /tmp/t"), "Permission denied")
}

func parseWrote(t *testing.T, out []byte) int64 {
	t.Helper()
	var n int64
	_, err := fmt.Sscanf(string(out), "wrote=%d", &n)
	require.NoError(t, err, string(out))
	return n
}

func TestFileSizeLimit(t *testing.T) {
	j := newTestJail(t)
	res := run(t, j, Command{Path: helperBin, Args: []string{"write", "/work/big", strconv.Itoa(2 << 20)},
		Limits: Limits{FileSizeBytes: 1 << 20}})
	assert.Contains(t, string(res.Stdout), "file too large")
	assert.Equal(t, int64(1<<20), parseWrote(t, res.Stdout))
}

func TestNetwork(t *testing.T) {
	j := newTestJail(t)
	res := run(t, j, Command{Path: helperBin, Args: []string{"net"}})
	assert.Equal(t, "iface lo up=false\ninet socket: address family not supported by protocol\n", string(res.Stdout),
		"only a downed loopback, and no IP sockets at all")
}

func TestIdentity(t *testing.T) {
	j := newTestJail(t)
	res := run(t, j, sh("cat /proc/self/status; echo host=$(uname -n)"))
	status := string(res.Stdout)
	for _, want := range []string{
		"Uid:\t65534\t65534\t65534\t65534",
		"Gid:\t65534\t65534\t65534\t65534",
		"CapInh:\t0000000000000000",
		"CapPrm:\t0000000000000000",
		"CapEff:\t0000000000000000",
		"CapBnd:\t0000000000000000",
		"CapAmb:\t0000000000000000",
		"NoNewPrivs:\t1",
		"Seccomp:\t2",
		"host=sandbox",
	} {
		assert.Contains(t, status, want)
	}
	assert.Regexp(t, `(?m)^Groups:\s*$`, status, "no supplementary groups")

	// The policy's ids are used.
	j2 := newTestJail(t, func(p *Policy) { p.UID, p.GID, p.Hostname = 1234, 4321, "other" })
	res = run(t, j2, sh("echo $(id -u) $(id -g) $(uname -n)"))
	assert.Equal(t, "1234 4321 other\n", string(res.Stdout))

	// rlimits are set before exec.
	res = run(t, j, Command{Path: "/bin/cat", Args: []string{"/proc/self/limits"},
		Limits: Limits{CPUTimeMS: 3000, FileSizeBytes: 12345, OpenFiles: 77}})
	limits := strings.Join(strings.Fields(string(res.Stdout)), " ")
	assert.Contains(t, limits, "Max cpu time 3 4 seconds")
	assert.Contains(t, limits, "Max file size 12345 12345 bytes")
	assert.Contains(t, limits, "Max open files 77 77 files")
	assert.Contains(t, limits, "Max core file size 0 0 bytes")
}

// Every call the policy denies is denied inside the jail: the hostile ones
// kill the caller (SIGSYS), sockets other than AF_UNIX fail with
// EAFNOSUPPORT, clone3 with ENOSYS (so libcs fall back to clone, which is
// checked). Without seccomp most of these would succeed for an
// unprivileged user (unshare(CLONE_NEWUSER), keyctl, ptrace, AF_INET in a
// fresh network namespace), so these results are the filter's.
func TestSeccomp(t *testing.T) {
	j := newTestJail(t)
	res := run(t, j, Command{Path: helperBin, Args: []string{"seccomp"}})
	require.Equal(t, 0, res.ExitCode, string(res.Stderr))
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(res.Stdout)), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		got[k] = v
	}
	want := map[string]string{
		"socket_inet": "errno=EAFNOSUPPORT", "socket_inet6": "errno=EAFNOSUPPORT", "socket_netlink": "errno=EAFNOSUPPORT",
		"clone3":      "errno=ENOSYS",
		"socket_unix": "ok", "getpid": "ok",
		// The parent-death signal stays the init's SIGKILL: it can be
		// neither changed nor cleared (nor read); only naming is allowed.
		"prctl_set_pdeathsig": "errno=EPERM", "prctl_clear_pdeathsig": "errno=EPERM", "prctl_get_pdeathsig": "errno=EPERM",
		"prctl_set_child_subreaper": "errno=EPERM", "prctl_set_dumpable": "errno=EPERM",
		"prctl_set_name": "ok",
	}
	// Allowed by the filter; the kernel may still refuse it (EINVAL
	// without CONFIG_ANON_VMA_NAME), but not with the filter's EPERM.
	assert.NotEqual(t, "errno=EPERM", got["prctl_set_vma_anon_name"])
	assert.NotContains(t, got["prctl_set_vma_anon_name"], "signal")
	delete(got, "prctl_set_vma_anon_name")
	for _, killed := range []string{"ptrace", "mount", "umount2", "pivot_root", "unshare", "setns", "bpf",
		"perf_event_open", "keyctl", "add_key", "request_key", "kexec_load", "reboot", "init_module",
		"finit_module", "delete_module", "process_vm_readv", "clone_newuser", "clone_newns",
		"io_uring_setup", "open_by_handle_at"} {
		want[killed] = "signal=SIGSYS"
	}
	assert.Equal(t, want, got)
}

func TestPIDNamespace(t *testing.T) {
	j := newTestJail(t)
	res := run(t, j, Command{Path: helperBin, Args: []string{"ps"}})
	assert.Equal(t, "1 helper\n", string(res.Stdout), "the job is PID 1 and sees nothing else")

	// Wait until the background child has exec'd sleep: under load, ps
	// could otherwise catch it still named sh, between fork and exec.
	res = run(t, j, Command{Path: "/bin/sh", Args: []string{"-c",
		`sleep 30 & until read c < /proc/$!/comm && [ "$c" = sleep ]; do :; done; ` + helperBin + " ps; kill %1"}})
	lines := strings.Split(strings.TrimSpace(string(res.Stdout)), "\n")
	require.Len(t, lines, 3, string(res.Stdout))
	assert.Equal(t, "1 sh", lines[0])
	assert.Contains(t, string(res.Stdout), " sleep\n")
	assert.Contains(t, string(res.Stdout), " helper\n")
}

// processesWithToken lists host processes whose command line holds token.
func processesWithToken(token string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if bytes.Contains(cmdline, []byte(token)) {
			out = append(out, e.Name()+" "+string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return out
}

func TestWallTimeKillsWholeTree(t *testing.T) {
	j := newTestJail(t)
	token := fmt.Sprintf("jail-token-%d", time.Now().UnixNano())
	start := time.Now()
	res := run(t, j, Command{Path: helperBin, Args: []string{"spawn-and-spin", token},
		Limits: Limits{WallTimeMS: 500}})
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, outcome.LimitTime, res.Limit)
	assert.True(t, res.Signaled)
	assert.Contains(t, string(res.Stdout), "spawned")
	assert.GreaterOrEqual(t, res.Usage.Wall, 500*time.Millisecond)
	assert.Empty(t, processesWithToken(token), "the grandchild died with the job")

	// The context's deadline works the same way.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err := j.Run(ctx, Command{Path: helperBin, Args: []string{"spawn-and-spin", token}})
	require.NoError(t, err)
	assert.Equal(t, outcome.LimitTime, res.Limit)
	assert.Empty(t, processesWithToken(token))
	assertNoLeftovers(t, j)
}

func TestCancelKillsJob(t *testing.T) {
	j := newTestJail(t)
	token := fmt.Sprintf("jail-cancel-%d", time.Now().UnixNano())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err := j.Run(ctx, Command{Path: helperBin, Args: []string{"spawn-and-spin", token}})
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, processesWithToken(token))
	assertNoLeftovers(t, j)
}

func TestCPUTimeLimit(t *testing.T) {
	j := newTestJail(t)
	res := run(t, j, Command{Path: helperBin, Args: []string{"spawn-and-spin", "cpu"},
		Limits: Limits{CPUTimeMS: 1000, WallTimeMS: 20_000}})
	assert.Equal(t, outcome.LimitTime, res.Limit)
	assert.Less(t, res.Usage.Wall, 5*time.Second)
	assert.GreaterOrEqual(t, res.Usage.CPU, time.Second)
}

func TestMemoryLimit(t *testing.T) {
	j := newTestJail(t)
	res := run(t, j, Command{Path: helperBin, Args: []string{"memhog"}, Limits: Limits{MemoryBytes: 64 << 20}})
	assert.Equal(t, outcome.LimitMemory, res.Limit)
	assert.True(t, res.Signaled)
	assert.LessOrEqual(t, res.Usage.PeakMemoryBytes, int64(65<<20))
	assert.Greater(t, res.Usage.PeakMemoryBytes, int64(32<<20))
}

func TestPidsLimit(t *testing.T) {
	j := newTestJail(t)
	res := run(t, j, Command{Path: helperBin, Args: []string{"forkbomb"}, Limits: Limits{Pids: 24}})
	out := string(res.Stdout)
	require.Contains(t, out, "resource temporarily unavailable", out+string(res.Stderr))
	var started int
	_, err := fmt.Sscanf(out, "started=%d", &started)
	require.NoError(t, err)
	assert.Less(t, started, 24, "threads and processes together stay under the pids limit")
	assert.Equal(t, outcome.LimitNone, res.Limit)
	assertNoLeftovers(t, j)
}

func TestOutputLimit(t *testing.T) {
	j := newTestJail(t)
	res := run(t, j, Command{Path: helperBin, Args: []string{"flood"}, Limits: Limits{OutputBytes: 64 << 10}})
	assert.Equal(t, outcome.LimitOutput, res.Limit)
	assert.True(t, res.StdoutTruncated)
	assert.False(t, res.StderrTruncated)
	assert.Len(t, res.Stdout, 64<<10)
	assert.Equal(t, byte('x'), res.Stdout[0])

	// Under the cap nothing is flagged.
	res = run(t, j, Command{Path: "/bin/sh", Args: []string{"-c", "head -c 1000 /dev/zero"}, Limits: Limits{OutputBytes: 1000}})
	assert.Equal(t, outcome.LimitNone, res.Limit)
	assert.False(t, res.StdoutTruncated)
	assert.Len(t, res.Stdout, 1000)
}

func TestConcurrentJobsAreIsolated(t *testing.T) {
	j := newTestJail(t)
	script := `echo mine > "$NAME"; sleep 0.5; echo $(ls /work); ` + helperBin + ` ps | wc -l`
	var wg sync.WaitGroup
	results := make([]Result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := sh(script)
			cmd.Env = append(cmd.Env, fmt.Sprintf("NAME=job%d", i))
			results[i] = run(t, j, cmd)
		}()
	}
	wg.Wait()
	for i, res := range results {
		// Only its own file, and only sh, helper and wc.
		assert.Equal(t, fmt.Sprintf("job%d\n3\n", i), string(res.Stdout), string(res.Stderr))
	}
}

func TestInitFailureIsAnError(t *testing.T) {
	j := newTestJail(t)
	_, err := j.Run(context.Background(), Command{Path: "/nonexistent/program"})
	require.ErrorContains(t, err, "exec /nonexistent/program")
	assertNoLeftovers(t, j)
}

func TestRustc(t *testing.T) {
	// The prepared toolchain `make setup` builds (make test runs it first).
	m, err := toolchain.Load(toolchain.DefaultStateDir())
	require.NoError(t, err)
	j := newTestJail(t, func(p *Policy) {
		p.ReadOnlyPaths = append(p.ReadOnlyPaths, m.ReadOnlyPaths()...)
	})
	res := run(t, j, Command{Path: m.Rustc, Args: []string{"--version"}})
	require.Equal(t, 0, res.ExitCode, string(res.Stderr))
	assert.True(t, strings.HasPrefix(string(res.Stdout), "rustc "), string(res.Stdout))

	// rustc spawning rust-lld, as the service does.
	src := "use std::collections::HashMap;\nfn main() { let mut m = HashMap::new(); m.insert(1, 2); println!(\"{:?}\", m); }\n"
	args := append([]string{"--edition", "2021", "--target", toolchain.Target, "--sysroot", m.Sysroot,
		"-C", "panic=abort"}, m.LinkArgs...)
	res = run(t, j, Command{
		Path:    m.Rustc,
		Args:    append(args, "main.rs", "-o", "main.wasm"),
		Env:     []string{},
		Files:   map[string][]byte{"main.rs": []byte(src)},
		Collect: []string{"main.wasm"},
	})
	require.Equal(t, 0, res.ExitCode, string(res.Stderr))
	require.Contains(t, res.Files, "main.wasm")
	assert.Equal(t, []byte("\x00asm"), res.Files["main.wasm"][:4])
	t.Logf("wasm compile: %+v", res.Usage)
}

// mountPoints lists the mount points of this mount namespace.
func mountPoints(t testing.TB) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	require.NoError(t, err)
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if fields := strings.Fields(line); len(fields) > 4 {
			out = append(out, fields[4])
		}
	}
	return out
}

// leftovers lists what a jail's jobs could leave behind: job directories,
// mounts under the state dir, job cgroups.
func leftovers(t testing.TB, j *Jail) []string {
	t.Helper()
	var out []string
	entries, err := os.ReadDir(j.policy.StateDir)
	require.NoError(t, err)
	for _, e := range entries {
		out = append(out, "dir "+e.Name())
	}
	for _, m := range mountPoints(t) {
		if strings.HasPrefix(m, j.policy.StateDir+"/") {
			out = append(out, "mount "+m)
		}
	}
	for _, dir := range cgroupParentDirs(t, j) {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			if e.IsDir() {
				out = append(out, "cgroup "+filepath.Join(dir, e.Name()))
			}
		}
		procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		require.NoError(t, err)
		if len(bytes.TrimSpace(procs)) > 0 {
			out = append(out, "procs in "+dir+": "+string(procs))
		}
	}
	return out
}

func cgroupParentDirs(t testing.TB, j *Jail) []string {
	if j.cg.v2 {
		return []string{filepath.Join(cgroupRoot, j.cg.parentGroup)}
	}
	var dirs []string
	for _, s := range j.cg.subsystems {
		p, err := j.cg.parent(s.Name())
		require.NoError(t, err)
		dirs = append(dirs, filepath.Join(cgroupRoot, string(s.Name()), p))
	}
	return dirs
}

func assertNoLeftovers(t testing.TB, j *Jail) {
	t.Helper()
	assert.Empty(t, leftovers(t, j))
}

// After many jobs that end every way a job can end, nothing remains: no
// process, cgroup, mount or directory.
func TestNoLeaksAfterManyJobs(t *testing.T) {
	j := newTestJail(t)
	token := fmt.Sprintf("jail-leak-%d", time.Now().UnixNano())
	mountsBefore := mountPoints(t)

	kinds := []Command{
		sh("echo ok > out; exit 0"),
		sh("exit 3"),
		{Path: helperBin, Args: []string{"spawn-and-spin", token}, Limits: Limits{WallTimeMS: 100}},
		{Path: helperBin, Args: []string{"flood", token}, Limits: Limits{OutputBytes: 4096}},
		{Path: "/bin/sh", Args: []string{"-c", "sleep 60 & sleep 60 & kill -9 $$", token}},
		{Path: "/nonexistent", Args: []string{token}},
		{Path: helperBin, Args: []string{"memhog", token}, Limits: Limits{MemoryBytes: 48 << 20}},
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range 100 {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cmd := kinds[i%len(kinds)]
			cmd.Collect = []string{"out"}
			_, _ = j.Run(context.Background(), cmd)
		}()
	}
	wg.Wait()

	assertNoLeftovers(t, j)
	assert.Empty(t, processesWithToken(token))
	assert.ElementsMatch(t, mountsBefore, mountPoints(t))
}

// Recover removes what a crashed server left: a job cgroup with a live
// process in it, and anything in the state directory.
func TestRecover(t *testing.T) {
	j := newTestJail(t)
	token := fmt.Sprintf("jail-recover-%d", time.Now().UnixNano())

	// A crashed job: its cgroup with a process in it, and a stray file.
	require.NoError(t, os.MkdirAll(filepath.Join(j.policy.StateDir, "stray", "dir"), 0o700))
	cg, err := j.cg.create("deadbeefdeadbeef", DefaultLimits())
	require.NoError(t, err)
	sleeper := exec.Command(helperBin, "sleep", token)
	require.NoError(t, sleeper.Start())
	require.NoError(t, cg.add(sleeper.Process.Pid))
	waited := make(chan error, 1)
	go func() { waited <- sleeper.Wait() }()
	require.NotEmpty(t, leftovers(t, j))

	require.NoError(t, j.Recover())
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Fatal("Recover did not kill the leftover process")
	}
	assertNoLeftovers(t, j)
	assert.Empty(t, processesWithToken(token))

	// And the jail still works.
	res := run(t, j, sh("echo ok"))
	assert.Equal(t, "ok\n", string(res.Stdout))
}

// A command's Stdin is its standard input, whole; without it, standard
// input is at its end at once. A command that does not read it all still
// finishes.
func TestStdin(t *testing.T) {
	j := newTestJail(t)
	in := strings.Repeat("0123456789abcdef", 16<<10) // 256 KiB: more than a pipe holds
	cmd := sh("wc -c")
	cmd.Stdin = []byte(in)
	res := run(t, j, cmd)
	assert.Equal(t, strconv.Itoa(len(in)), strings.TrimSpace(string(res.Stdout)))
	assert.Equal(t, "0", strings.TrimSpace(string(run(t, j, sh("wc -c")).Stdout)))
	cmd = sh("head -c 3")
	cmd.Stdin = []byte(in)
	res = run(t, j, cmd)
	assert.Equal(t, "012", string(res.Stdout))
	assert.Zero(t, res.ExitCode)
}
