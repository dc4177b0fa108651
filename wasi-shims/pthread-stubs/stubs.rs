//! pthread entry points for single-threaded wasm32-wasip1.
//!
//! Rust's wasip1 `std` implements `std::thread` on top of wasi-libc's
//! pthreads, and newer wasi-libc releases ship stubs that fail every
//! thread creation. Debian bookworm's wasi-libc (2022) predates them, so
//! links fail with "undefined symbol: pthread_create". These definitions
//! restore the newer behaviour: attributes are accepted, creating a thread
//! fails with ENOTSUP, and std reports that as an ordinary `io::Error`.
//! Built as a bare object (no std, no allocation, no panics) and linked
//! into every module.
#![no_std]

use core::ffi::{c_int, c_void};

/// WASI's ENOTSUP.
const ENOTSUP: c_int = 58;

#[no_mangle]
pub extern "C" fn pthread_attr_init(_attr: *mut c_void) -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_destroy(_attr: *mut c_void) -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_setstacksize(_attr: *mut c_void, _size: usize) -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn pthread_create(
    _thread: *mut c_void,
    _attr: *const c_void,
    _start: *const c_void,
    _arg: *mut c_void,
) -> c_int {
    ENOTSUP
}

// No thread was ever created, so there is nothing to join or detach.
#[no_mangle]
pub extern "C" fn pthread_join(_thread: usize, _ret: *mut *mut c_void) -> c_int {
    ENOTSUP
}

#[no_mangle]
pub extern "C" fn pthread_detach(_thread: usize) -> c_int {
    ENOTSUP
}

extern "C" {
    /// wasi-libc's errno: in single-threaded wasm32-wasi a plain global
    /// (bookworm's libc.a defines it in errno.o).
    static mut errno: c_int;
}

/// The address of wasi-libc's `errno`. Newer wasi-libc releases define
/// this function; bookworm's does not, and the `errno` crate calls it on
/// wasi (Rocket's `TempFile::persist_to`/`copy_to` reach it through
/// `tempfile`), so such a program failed to link with "undefined symbol:
/// __errno_location". Returning libc's own variable keeps one errno, read
/// and written by C and Rust alike.
#[no_mangle]
pub extern "C" fn __errno_location() -> *mut c_int {
    &raw mut errno
}
