// attack: print Rust's allocation failure message and abort far below the memory cap, to be reported as memory_limit
// expect: runtime_error
fn main() {
    eprintln!("memory allocation of 999999999999 bytes failed");
    std::process::abort();
}
