// Command helper is the jail tests' probe: a static Go binary run inside
// the jail that tries things and prints what happened, one fact per line.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: helper MODE ...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "seccomp", "probe":
		// The probes make real mount, reboot, kexec... calls: they are
		// only for the inside of a jail, where they must fail. As root
		// on a host they would succeed.
		if os.Geteuid() == 0 {
			fmt.Fprintln(os.Stderr, "helper: refusing to probe as root (run it inside the jail)")
			os.Exit(2)
		}
	}
	switch os.Args[1] {
	case "seccomp":
		seccompAll()
	case "probe":
		os.Exit(probe(os.Args[2]))
	case "ps":
		ps()
	case "net":
		network()
	case "spawn-and-spin":
		spawnAndSpin(os.Args[2])
	case "sleep":
		time.Sleep(time.Hour)
	case "memhog":
		memhog()
	case "forkbomb":
		forkbomb()
	case "write":
		n, _ := strconv.ParseInt(os.Args[3], 10, 64)
		write(os.Args[2], n)
	case "flood":
		flood()
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
}

// probes are the calls the jail must deny, each made with arguments that
// would succeed (or fail differently) without seccomp.
var probes = []string{
	"ptrace", "mount", "umount2", "pivot_root", "unshare", "setns",
	"socket_inet", "socket_inet6", "socket_netlink", "bpf", "perf_event_open",
	"keyctl", "add_key", "request_key", "kexec_load", "reboot",
	"init_module", "finit_module", "delete_module", "process_vm_readv",
	"clone_newuser", "clone_newns", "clone3", "io_uring_setup", "open_by_handle_at",
	// prctl: only naming is allowed; the parent-death signal cannot be
	// changed.
	"prctl_set_pdeathsig", "prctl_clear_pdeathsig", "prctl_get_pdeathsig", "prctl_set_child_subreaper", "prctl_set_dumpable",
	// Controls: allowed.
	"socket_unix", "getpid", "prctl_set_name", "prctl_set_vma_anon_name",
}

// seccompAll runs every probe in its own process (a killing rule must not
// end the survey) and prints "name: result".
func seccompAll() {
	self, _ := os.Executable()
	for _, p := range probes {
		cmd := exec.Command(self, "probe", p)
		out, err := cmd.Output()
		var ee *exec.ExitError
		switch {
		case err == nil:
			fmt.Printf("%s: %s\n", p, strings.TrimSpace(string(out)))
		case errors.As(err, &ee):
			ws := ee.Sys().(syscall.WaitStatus)
			if ws.Signaled() {
				fmt.Printf("%s: signal=%s\n", p, unix.SignalName(ws.Signal()))
			} else {
				fmt.Printf("%s: exit=%d %s\n", p, ws.ExitStatus(), strings.TrimSpace(string(out)))
			}
		default:
			fmt.Printf("%s: spawn error %v\n", p, err)
		}
	}
}

func probe(name string) int {
	var r1 uintptr
	var errno syscall.Errno
	raw := func(n uintptr, a ...uintptr) {
		var args [6]uintptr
		copy(args[:], a)
		r1, _, errno = syscall.RawSyscall6(n, args[0], args[1], args[2], args[3], args[4], args[5])
	}
	str := func(s string) uintptr { b, _ := unix.BytePtrFromString(s); return uintptr(unsafe.Pointer(b)) }
	switch name {
	case "ptrace":
		raw(unix.SYS_PTRACE, unix.PTRACE_TRACEME)
		if errno == 0 {
			// Traced now: any signal would stop us. Report and leave.
			fmt.Println("ok")
			syscall.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
		}
	case "mount":
		raw(unix.SYS_MOUNT, str("none"), str("/tmp"), str("tmpfs"), 0, 0)
	case "umount2":
		raw(unix.SYS_UMOUNT2, str("/tmp"), unix.MNT_DETACH)
	case "pivot_root":
		raw(unix.SYS_PIVOT_ROOT, str("/tmp"), str("/tmp"))
	case "unshare":
		raw(unix.SYS_UNSHARE, unix.CLONE_NEWUSER)
	case "setns":
		fd, _ := unix.Open("/proc/self/ns/net", unix.O_RDONLY, 0)
		raw(unix.SYS_SETNS, uintptr(fd), 0)
	case "socket_inet":
		raw(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0)
	case "socket_inet6":
		raw(unix.SYS_SOCKET, unix.AF_INET6, unix.SOCK_DGRAM, 0)
	case "socket_netlink":
		raw(unix.SYS_SOCKET, unix.AF_NETLINK, unix.SOCK_RAW, 0)
	case "socket_unix":
		raw(unix.SYS_SOCKET, unix.AF_UNIX, unix.SOCK_STREAM, 0)
	case "bpf":
		var attr [128]byte
		raw(unix.SYS_BPF, unix.BPF_MAP_CREATE, uintptr(unsafe.Pointer(&attr[0])), 128)
	case "perf_event_open":
		var attr unix.PerfEventAttr
		attr.Type = unix.PERF_TYPE_SOFTWARE
		attr.Size = uint32(unsafe.Sizeof(attr))
		attr.Config = unix.PERF_COUNT_SW_TASK_CLOCK
		raw(unix.SYS_PERF_EVENT_OPEN, uintptr(unsafe.Pointer(&attr)), 0, ^uintptr(0), ^uintptr(0), 0)
	case "keyctl":
		raw(unix.SYS_KEYCTL, unix.KEYCTL_GET_KEYRING_ID, ^uintptr(2), 0) // KEY_SPEC_SESSION_KEYRING
	case "add_key":
		raw(unix.SYS_ADD_KEY, str("user"), str("probe"), str("x"), 1, ^uintptr(2))
	case "request_key":
		raw(unix.SYS_REQUEST_KEY, str("user"), str("probe"), 0, 0)
	case "kexec_load":
		raw(unix.SYS_KEXEC_LOAD, 0, 0, 0, 0)
	case "reboot":
		raw(unix.SYS_REBOOT, unix.LINUX_REBOOT_MAGIC1, unix.LINUX_REBOOT_MAGIC2, unix.LINUX_REBOOT_CMD_CAD_OFF)
	case "init_module":
		raw(unix.SYS_INIT_MODULE, 0, 0, str(""))
	case "finit_module":
		raw(unix.SYS_FINIT_MODULE, 0, str(""), 0)
	case "delete_module":
		raw(unix.SYS_DELETE_MODULE, str("probe"), 0)
	case "process_vm_readv":
		var buf [8]byte
		local := unix.Iovec{Base: &buf[0], Len: 8}
		remote := unix.Iovec{Base: &buf[0], Len: 8}
		raw(unix.SYS_PROCESS_VM_READV, uintptr(os.Getpid()), uintptr(unsafe.Pointer(&local)), 1, uintptr(unsafe.Pointer(&remote)), 1, 0)
	case "clone_newuser", "clone_newns":
		flag := uintptr(unix.CLONE_NEWUSER)
		if name == "clone_newns" {
			flag = unix.CLONE_NEWNS
		}
		// Fork-style: if it were allowed, the child exits at once.
		raw(unix.SYS_CLONE, flag|uintptr(unix.SIGCHLD), 0, 0, 0, 0)
		if errno == 0 && r1 == 0 {
			syscall.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
		}
	case "clone3":
		var args [11]uint64 // struct clone_args, exit_signal SIGCHLD
		args[4] = uint64(unix.SIGCHLD)
		raw(unix.SYS_CLONE3, uintptr(unsafe.Pointer(&args[0])), unsafe.Sizeof(args))
		if errno == 0 && r1 == 0 {
			syscall.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
		}
	case "io_uring_setup":
		var params [120]byte
		raw(unix.SYS_IO_URING_SETUP, 4, uintptr(unsafe.Pointer(&params[0])))
	case "open_by_handle_at":
		var h [64]byte
		dirfd := unix.AT_FDCWD
		raw(unix.SYS_OPEN_BY_HANDLE_AT, uintptr(dirfd), uintptr(unsafe.Pointer(&h[0])), 0)
	case "getpid":
		raw(unix.SYS_GETPID)
	case "prctl_set_pdeathsig":
		raw(unix.SYS_PRCTL, unix.PR_SET_PDEATHSIG, uintptr(unix.SIGTERM))
	case "prctl_clear_pdeathsig":
		raw(unix.SYS_PRCTL, unix.PR_SET_PDEATHSIG, 0)
	case "prctl_get_pdeathsig":
		var sig int32
		raw(unix.SYS_PRCTL, unix.PR_GET_PDEATHSIG, uintptr(unsafe.Pointer(&sig)))
	case "prctl_set_child_subreaper":
		raw(unix.SYS_PRCTL, unix.PR_SET_CHILD_SUBREAPER, 1)
	case "prctl_set_dumpable":
		raw(unix.SYS_PRCTL, unix.PR_SET_DUMPABLE, 1)
	case "prctl_set_name":
		raw(unix.SYS_PRCTL, unix.PR_SET_NAME, str("probe"))
	case "prctl_set_vma_anon_name":
		p, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err != nil {
			fmt.Println("mmap:", err)
			return 1
		}
		raw(unix.SYS_PRCTL, unix.PR_SET_VMA, unix.PR_SET_VMA_ANON_NAME, uintptr(unsafe.Pointer(&p[0])), 4096, str("probe"))
	default:
		fmt.Println("unknown probe")
		return 2
	}
	if errno != 0 {
		fmt.Printf("errno=%s\n", unix.ErrnoName(errno))
	} else {
		fmt.Println("ok")
	}
	return 0
}

// ps prints "pid comm" for every process this /proc shows.
func ps() {
	entries, _ := os.ReadDir("/proc")
	var lines []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		lines = append(lines, e.Name()+" "+strings.TrimSpace(string(comm)))
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
}

// network prints the interfaces of this network namespace with their flags,
// then tries to reach the host over loopback.
func network() {
	data, _ := os.ReadFile("/proc/self/net/dev")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		fmt.Println("socket:", err)
		return
	}
	for _, line := range strings.Split(string(data), "\n")[2:] {
		name, _, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		ifr, _ := unix.NewIfreq(name)
		up := "?"
		if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err == nil {
			up = strconv.FormatBool(ifr.Uint16()&unix.IFF_UP != 0)
		}
		fmt.Printf("iface %s up=%s\n", name, up)
	}
	_, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	fmt.Printf("inet socket: %v\n", err)
}

// spawnAndSpin starts a grandchild that outlives nothing, tagged with
// token on its command line, then spins.
func spawnAndSpin(token string) {
	self, _ := os.Executable()
	c := exec.Command(self, "sleep", token)
	if err := c.Start(); err != nil {
		fmt.Println("spawn:", err)
	}
	fmt.Println("spawned", c.Process.Pid)
	for {
	}
}

// memhog touches memory until it is killed.
func memhog() {
	var keep [][]byte
	for {
		b := make([]byte, 16<<20)
		for i := range b {
			b[i] = byte(i)
		}
		keep = append(keep, b)
	}
}

// forkbomb starts sleepers until the kernel refuses, then reports.
func forkbomb() {
	n := 0
	var lastErr error
	for range 1000 {
		c := exec.Command("/bin/sleep", "60")
		if err := c.Start(); err != nil {
			lastErr = err
			break
		}
		n++
	}
	fmt.Printf("started=%d err=%v\n", n, lastErr)
	os.Exit(0)
}

// write writes n bytes to path and reports the error.
func write(path string, n int64) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Println("create:", err)
		return
	}
	buf := make([]byte, 64<<10)
	var total int64
	for total < n {
		k, err := f.Write(buf[:min(int64(len(buf)), n-total)])
		total += int64(k)
		if err != nil {
			fmt.Printf("wrote=%d err=%v\n", total, err)
			return
		}
	}
	fmt.Printf("wrote=%d err=<nil>\n", total)
}

// flood writes to stdout forever.
func flood() {
	buf := []byte(strings.Repeat("x", 8191) + "\n")
	for {
		if _, err := os.Stdout.Write(buf); err != nil {
			return
		}
	}
}
