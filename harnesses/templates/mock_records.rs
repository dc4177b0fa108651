/// The mock harness's record channel (trusted code, at the crate root,
/// outside `mod app`, which is compiled with `forbid(unsafe_code)`): safe
/// wrappers over the host's `sandbox_harness` imports (runtime/record.go).
/// The key never leaves this module: only `take_key` makes a `Key`, once
/// per run, and the driver asks for it before any of the stub's code runs.
mod __rocket_sandbox_records {
    mod host {
        #[link(wasm_import_module = "sandbox_harness")]
        extern "C" {
            pub fn key(ptr: *mut u8, len: i32) -> i32;
            pub fn record(key: *const u8, ptr: *const u8, len: i32) -> i32;
        }
    }

    /// The run's record key.
    pub(crate) struct Key([u8; 16]);

    /// The run's key the first time it is asked for; `None` afterwards, and
    /// the host then believes no record of the run.
    pub(crate) fn take_key() -> Option<Key> {
        let mut key = [0u8; 16];
        // SAFETY: ptr/len describe `key`, valid for writes of 16 bytes.
        let given = unsafe { host::key(key.as_mut_ptr(), 16) } == 0;
        given.then_some(Key(key))
    }

    /// Writes one record.
    pub(crate) fn write(key: &Key, bytes: &[u8]) {
        let len = bytes.len().min(i32::MAX as usize) as i32;
        // SAFETY: the pointers and len describe `key.0` and `bytes`, valid
        // for reads; the host bounds-checks them anyway.
        unsafe {
            host::record(key.0.as_ptr(), bytes.as_ptr(), len);
        }
    }
}
