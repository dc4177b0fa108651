package seccomp

import (
	"errors"
	"fmt"
	"io"
	"os"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Compile turns [Table] into a classic-BPF program for the native
// architecture: the raw bytes of an array of struct sock_filter, ready for
// seccomp(SECCOMP_SET_MODE_FILTER). Calls from another ABI (i386 via int
// 0x80, x32) kill the process: the table only speaks of native numbers.
func Compile() ([]byte, error) {
	return compile(libseccomp.ActErrno.SetReturnCode(int16(DefaultErrno)), Table())
}

// CompileResident is Compile for [ResidentTable].
func CompileResident() ([]byte, error) {
	return compile(libseccomp.ActErrno.SetReturnCode(int16(DefaultErrno)), ResidentTable())
}

// CompileFrontDoor is Compile for [FrontDoorTable], a denylist: what it
// does not name is allowed.
func CompileFrontDoor() ([]byte, error) { return compile(libseccomp.ActAllow, FrontDoorTable()) }

func compile(def libseccomp.ScmpAction, rules []Rule) ([]byte, error) {
	filter, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, fmt.Errorf("seccomp: new filter: %w", err)
	}
	defer filter.Release()
	if err := filter.SetBadArchAction(libseccomp.ActKillProcess); err != nil {
		return nil, fmt.Errorf("seccomp: bad-arch action: %w", err)
	}
	// The init sets no_new_privs itself, before loading; the exported
	// program does not carry this bit anyway.
	if err := filter.SetNoNewPrivsBit(false); err != nil {
		return nil, fmt.Errorf("seccomp: nnp bit: %w", err)
	}
	for _, r := range rules {
		if err := addRule(filter, r); err != nil {
			return nil, err
		}
	}
	return export(filter)
}

func addRule(filter *libseccomp.ScmpFilter, r Rule) error {
	call, err := libseccomp.GetSyscallFromName(r.Name)
	if err != nil {
		if r.Optional {
			return nil
		}
		return fmt.Errorf("seccomp: unknown system call %q: %w", r.Name, err)
	}
	var action libseccomp.ScmpAction
	switch r.Action {
	case Allow:
		action = libseccomp.ActAllow
	case Kill:
		action = libseccomp.ActKillProcess
	case Errno:
		action = libseccomp.ActErrno.SetReturnCode(int16(r.Errno))
	default:
		return fmt.Errorf("seccomp: %s: bad action %d", r.Name, r.Action)
	}
	if len(r.Args) == 0 {
		if err := filter.AddRule(call, action); err != nil {
			return fmt.Errorf("seccomp: rule %s: %w", r.Name, err)
		}
		return nil
	}
	conds := make([]libseccomp.ScmpCondition, 0, len(r.Args))
	for _, a := range r.Args {
		var c libseccomp.ScmpCondition
		switch a.Op {
		case OpEqual:
			c, err = libseccomp.MakeCondition(a.Index, libseccomp.CompareEqual, a.Value)
		case OpNotEqual:
			c, err = libseccomp.MakeCondition(a.Index, libseccomp.CompareNotEqual, a.Value)
		case OpMaskedEqual:
			c, err = libseccomp.MakeCondition(a.Index, libseccomp.CompareMaskedEqual, a.Mask, a.Value)
		default:
			err = fmt.Errorf("bad op %d", a.Op)
		}
		if err != nil {
			return fmt.Errorf("seccomp: rule %s: %w", r.Name, err)
		}
		conds = append(conds, c)
	}
	if err := filter.AddRuleConditional(call, action, conds); err != nil {
		return fmt.Errorf("seccomp: rule %s: %w", r.Name, err)
	}
	return nil
}

// export writes the program to an anonymous memory file and reads it back
// (libseccomp 2.5 exports only to a file descriptor).
func export(filter *libseccomp.ScmpFilter) ([]byte, error) {
	fd, err := unix.MemfdCreate("seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("seccomp: memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "seccomp-bpf")
	defer f.Close()
	if err := filter.ExportBPF(f); err != nil {
		return nil, fmt.Errorf("seccomp: export: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("seccomp: export: %w", err)
	}
	prog, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("seccomp: export: %w", err)
	}
	if len(prog) == 0 || len(prog)%8 != 0 || len(prog)/8 > 4096 {
		return nil, errors.New("seccomp: exported program has a bad size")
	}
	return prog, nil
}
