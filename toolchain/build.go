package toolchain

// Build is one build of the prepared dependency profile that a stub can
// be compiled against: the crates it may name, where their dependencies
// are, the rustc flags that select the target and link for it, and the
// compiler's whole environment. The manifest has two: the guest's
// (Wasm), which the service uses, and the native reference's (Native),
// which the parity tool compares it with.
type Build struct {
	// Triple is the rustc target.
	Triple string
	// Externs maps each crate a stub may name to its rlib.
	Externs map[string]string
	// Deps holds the target's rlibs; HostDeps the proc-macros both
	// targets share.
	Deps, HostDeps string
	// Flags select the target: --target/--sysroot, the panic strategy and
	// the link flags.
	Flags []string
	// Env is the compiler's whole environment.
	Env []string
	// Native: the output is a host executable, not a wasm module.
	Native bool
}

// Wasm is the guest target: wasm32-wasip1 against the private sysroot,
// panics abort (wazero has no unwinding), the link flags set-up recorded.
// The compiler's environment is empty but for SQLX_OFFLINE (sqlxOffline),
// so env!() and option_env!() in a stub see nothing of the host.
func (m *Manifest) Wasm() Build {
	flags := []string{"--target", Target, "--sysroot", m.Sysroot, "-C", "panic=abort"}
	return Build{
		Triple:   Target,
		Externs:  m.Externs,
		Deps:     m.TargetDeps,
		HostDeps: m.HostDeps,
		Flags:    append(append(flags, m.LinkArgs...), linkObjectArgs(m.LinkObjects)...),
		Env:      []string{sqlxOffline},
	}
}

// sqlxOffline makes sqlx's query macros (query!, query_as!) read the
// project's .sqlx/ data (`cargo sqlx prepare`) and never connect to a
// database at compile time: without DATABASE_URL they would anyway, but a
// project's .env file, which sqlx loads into the compiler's environment,
// could otherwise name one. The macros find .sqlx/ through
// CARGO_MANIFEST_DIR, the project's virtual root.
const sqlxOffline = "SQLX_OFFLINE=true"

// Native is the native reference: the same profile built for the host,
// the host's own std and linker, panics unwind as under cargo. Its
// compiler needs PATH to find the system linker (cc). An error says how
// to build it when it is missing or stale.
func (m *Manifest) Native() (Build, error) {
	if err := m.HasReference(); err != nil {
		return Build{}, err
	}
	return Build{
		Triple:   NativeTarget,
		Externs:  m.NativeExterns,
		Deps:     m.NativeDeps,
		HostDeps: m.HostDeps,
		Env:      []string{"PATH=/usr/bin:/bin", sqlxOffline},
		Native:   true,
	}, nil
}

// linkObjectArgs links each object into a module.
func linkObjectArgs(objs []string) []string {
	var args []string
	for _, o := range objs {
		args = append(args, "-C", "link-arg="+o)
	}
	return args
}
