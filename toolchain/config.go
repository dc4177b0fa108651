package toolchain

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Config says where set-up reads from and writes to.
type Config struct {
	// SourceDir is the project checkout (holding harnesses/ and
	// wasi-shims/). Default: the working directory.
	SourceDir string
	// StateDir receives the sysroot and the prepared artifacts.
	// Default: DefaultStateDir().
	StateDir string
	// Rustc and Cargo are Debian's rustc-web tools. The rustup toolchain
	// first on PATH is a different version whose output std would reject,
	// so these are absolute. Defaults: /usr/bin/rustc, /usr/bin/cargo.
	Rustc string
	Cargo string
	// Log receives progress lines. Default: os.Stderr.
	Log io.Writer
	// Reference also builds the native reference profile (for the parity
	// tool and its tests; the service does not need it).
	Reference bool
}

// Target is the only guest target.
const Target = "wasm32-wasip1"

// WasiLibDir holds Debian's wasi-libc (libc.a, crt1-command.o).
const WasiLibDir = "/usr/lib/wasm32-wasi"

// Linker is lld-22's own wasm linker (wasm-ld-22 -> /usr/lib/llvm-22/bin/lld).
// Not /usr/bin/rust-lld: that is only a link to lld-22 shipped by
// rust-web-llvm, which rustc-web merely recommends (docs/design.md).
const Linker = "/usr/bin/wasm-ld-22"

// StateDirEnv names the environment variable that places the state dir.
const StateDirEnv = "ROCKET_SANDBOX_STATE_DIR"

// StateDirFromEnv is the one reader of StateDirEnv: set-up, the service's
// configuration (where it wins over the file) and the tools all ask here.
// An empty value counts as set (the configuration refuses it).
func StateDirFromEnv() (string, bool) { return os.LookupEnv(StateDirEnv) }

// DefaultStateDir is $ROCKET_SANDBOX_STATE_DIR, else
// $XDG_CACHE_HOME/rocket-sandbox, else ~/.cache/rocket-sandbox.
func DefaultStateDir() string {
	if d, ok := StateDirFromEnv(); ok && d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "rocket-sandbox")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "rocket-sandbox")
	}
	return filepath.Join(home, ".cache", "rocket-sandbox")
}

func (c Config) withDefaults() (Config, error) {
	if c.SourceDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return c, fmt.Errorf("source dir: %w", err)
		}
		c.SourceDir = wd
	}
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir()
	}
	if c.Rustc == "" {
		c.Rustc = "/usr/bin/rustc"
	}
	if c.Cargo == "" {
		c.Cargo = "/usr/bin/cargo"
	}
	if c.Log == nil {
		c.Log = os.Stderr
	}
	var err error
	if c.SourceDir, err = filepath.Abs(c.SourceDir); err != nil {
		return c, err
	}
	if c.StateDir, err = filepath.Abs(c.StateDir); err != nil {
		return c, err
	}
	if _, err := os.Stat(filepath.Join(c.SourceDir, "harnesses", "Cargo.toml")); err != nil {
		return c, fmt.Errorf("source dir %s is not a rocket-sandbox checkout (no harnesses/Cargo.toml): %w", c.SourceDir, err)
	}
	return c, nil
}
