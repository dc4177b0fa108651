/*
 * rocket-sandbox: SQLite's settings for the guest (wasm32-wasip1).
 *
 * Force-included (`-include`, CFLAGS_wasm32_wasip1, toolchain/crates.go)
 * into every C file the dependency build compiles for the guest. An
 * -include'd header is read after all -D flags of the command line, so
 * these win over libsqlite3-sys's own (-DSQLITE_THREADSAFE=1, which needs
 * pthread.h, absent from bookworm's wasi-libc; the guest has one thread).
 * LONGDOUBLE_TYPE as libsqlite3-sys itself does for wasm
 * (rust-lang/rust#74393), whose special case matches only the old target
 * name "wasm32-wasi". SQLite defines SQLITE_OMIT_LOAD_EXTENSION and
 * SQLITE_OMIT_WAL itself on __wasi__. Other C code (ring) never reads
 * these names. The host's builds (the sqlx macros link SQLite into the
 * compiler) do not see this file.
 */
#undef SQLITE_THREADSAFE
#define SQLITE_THREADSAFE 0
#undef LONGDOUBLE_TYPE
#define LONGDOUBLE_TYPE double
