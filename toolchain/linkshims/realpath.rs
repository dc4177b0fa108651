//! realpath(3) for wasm32-wasip1 guests.
//!
//! Debian bookworm's wasi-libc (2022) has no realpath, so a module whose
//! code reaches std::fs::canonicalize (rocket_dyn_templates normalizes
//! its template directory with it) fails to link with "undefined symbol:
//! realpath". The guest's file systems have no symbolic links (the
//! sandbox's project tree), so the canonical path is the absolute path
//! (the working directory joined to a relative one) with `.`, `..` and
//! repeated slashes resolved, provided it exists. Built as a bare object
//! (no std, no panics) and linked into every module; it is not part of
//! the dependency profile.
#![no_std]

use core::ffi::{c_char, c_int, c_void};

const PATH_MAX: usize = 4096;
/// WASI's errno values.
const ENAMETOOLONG: c_int = 37;
const ENOMEM: c_int = 48;
const EINVAL: c_int = 28;

extern "C" {
    static mut errno: c_int;
    fn getcwd(buf: *mut c_char, size: usize) -> *mut c_char;
    fn stat(path: *const c_char, buf: *mut c_void) -> c_int;
    fn malloc(size: usize) -> *mut c_void;
}

/// Appends the components of the NUL-terminated `path` to `out[..*len]`,
/// resolving `.` and `..`. Returns false when the result would not fit.
/// Every index is checked by hand (no bounds-check panics: the object
/// has no panic handler of its own).
unsafe fn push_components(out: *mut u8, len: &mut usize, mut path: *const c_char) -> bool {
    loop {
        while *path as u8 == b'/' {
            path = path.add(1);
        }
        if *path == 0 {
            return true;
        }
        let start = path;
        let mut n = 0usize;
        while *path != 0 && *path as u8 != b'/' {
            path = path.add(1);
            n += 1;
        }
        let dot = n >= 1 && *start as u8 == b'.';
        if n == 1 && dot {
            continue;
        }
        if n == 2 && dot && *start.add(1) as u8 == b'.' {
            while *len > 1 && *out.add(*len - 1) != b'/' {
                *len -= 1;
            }
            if *len > 1 {
                *len -= 1; // the slash, unless it is the root's
            }
            continue;
        }
        let sep = if *len > 1 { 1 } else { 0 };
        if *len + sep + n + 1 > PATH_MAX {
            return false;
        }
        if sep == 1 {
            *out.add(*len) = b'/';
            *len += 1;
        }
        core::ptr::copy_nonoverlapping(start as *const u8, out.add(*len), n);
        *len += n;
    }
}

#[no_mangle]
pub unsafe extern "C" fn realpath(path: *const c_char, resolved: *mut c_char) -> *mut c_char {
    if path.is_null() {
        errno = EINVAL;
        return core::ptr::null_mut();
    }
    let mut buf = [0u8; PATH_MAX];
    let out = buf.as_mut_ptr();
    *out = b'/';
    let mut len = 1usize;
    if *path as u8 != b'/' {
        let mut cwd = [0 as c_char; PATH_MAX];
        if getcwd(cwd.as_mut_ptr(), PATH_MAX).is_null() {
            return core::ptr::null_mut();
        }
        if !push_components(out, &mut len, cwd.as_ptr()) {
            errno = ENAMETOOLONG;
            return core::ptr::null_mut();
        }
    }
    if !push_components(out, &mut len, path) {
        errno = ENAMETOOLONG;
        return core::ptr::null_mut();
    }
    *out.add(len) = 0;
    // It must exist (stat sets errno when it does not).
    let mut st = [0u64; 32];
    if stat(out as *const c_char, st.as_mut_ptr() as *mut c_void) != 0 {
        return core::ptr::null_mut();
    }
    let dst = if resolved.is_null() {
        let p = malloc(len + 1) as *mut c_char;
        if p.is_null() {
            errno = ENOMEM;
            return p;
        }
        p
    } else {
        resolved
    };
    core::ptr::copy_nonoverlapping(out as *const c_char, dst, len + 1);
    dst
}
