//! Safe wrappers over the host imports. This is the crate's only `unsafe`:
//! the imports are plain functions taking guest-memory offsets, which the
//! host bounds-checks.

#[cfg(target_os = "wasi")]
mod imports {
    #[link(wasm_import_module = "sandbox_vsock")]
    extern "C" {
        pub fn accept() -> i32;
        pub fn recv(id: i32, ptr: *mut u8, len: i32) -> i32;
        pub fn send(id: i32, ptr: *const u8, len: i32) -> i32;
        pub fn close(id: i32) -> i32;
    }
}

fn clamp_len(len: usize) -> i32 {
    len.min(i32::MAX as usize) as i32
}

#[cfg(target_os = "wasi")]
pub fn accept() -> Option<i32> {
    // SAFETY: no arguments; the host returns an id or -1.
    let id = unsafe { imports::accept() };
    (id >= 0).then_some(id)
}

#[cfg(target_os = "wasi")]
pub fn recv(id: i32, buf: &mut [u8]) -> i32 {
    // SAFETY: ptr/len describe `buf`, which is valid for writes of len bytes.
    unsafe { imports::recv(id, buf.as_mut_ptr(), clamp_len(buf.len())) }
}

#[cfg(target_os = "wasi")]
pub fn send(id: i32, buf: &[u8]) -> i32 {
    // SAFETY: ptr/len describe `buf`, which is valid for reads of len bytes.
    unsafe { imports::send(id, buf.as_ptr(), clamp_len(buf.len())) }
}

#[cfg(target_os = "wasi")]
pub fn close(id: i32) {
    // SAFETY: plain value argument.
    unsafe {
        imports::close(id);
    }
}

// Off wasm there is no host: no connections ever arrive.
#[cfg(not(target_os = "wasi"))]
pub fn accept() -> Option<i32> {
    None
}

#[cfg(not(target_os = "wasi"))]
pub fn recv(_id: i32, _buf: &mut [u8]) -> i32 {
    let _ = clamp_len;
    0
}

#[cfg(not(target_os = "wasi"))]
pub fn send(_id: i32, _buf: &[u8]) -> i32 {
    -2
}

#[cfg(not(target_os = "wasi"))]
pub fn close(_id: i32) {}
