// One program, many behaviours: stdin names the one to show, so a single
// compiled module serves every runtime test.
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    let mut cmd = String::new();
    std::io::stdin().read_to_string(&mut cmd).unwrap();
    match cmd.trim() {
        "panic" => panic!("boom from the guest"),
        "loop" => loop {
            std::hint::black_box(0u64);
        },
        "alloc" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![7u8; 8 << 20]);
            }
        }
        "print" => loop {
            println!("{}", "y".repeat(80));
        },
        "exit3" => std::process::exit(3),
        "time" => {
            let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            println!("{}", since.as_secs());
        }
        "rand" => {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(42);
            println!("{} {}", rand::random::<u64>(), h.finish());
        }
        other => println!("unknown command {other:?}"),
    }
}
