// attack: at run time, reach the network, the filesystem and the environment from the wasm guest
// expect: ok
fn main() {
    println!("tcp: {:?}", std::net::TcpStream::connect("127.0.0.1:8080").map(|_| "LEAKED"));
    println!("fs: {:?}", std::fs::read_dir("/").map(|_| "LEAKED"));
    println!("env: {:?}", std::env::vars().count());
    println!("spawn: {:?}", std::process::Command::new("/bin/sh").output().map(|_| "LEAKED"));
}
