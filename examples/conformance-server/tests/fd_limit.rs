//! The conformance server as it ships, in a process of its own limited to 128 file
//! descriptors (`ulimit -n 128`), flooded with 200 idle TCP connections: accepting fails
//! with "too many open files" for a while, and the server must neither exit nor stop
//! accepting. Once the idle connections go, a new client is served.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server process, killed when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(error) = self.0.kill() {
            eprintln!("the server was already gone: {error}");
        }
        if let Err(error) = self.0.wait() {
            eprintln!("cannot reap the server: {error}");
        }
    }
}

impl Server {
    /// Starts the server binary with at most 128 descriptors; returns it and its port.
    fn start() -> (Self, u16) {
        let binary = env!("CARGO_BIN_EXE_conformance-server");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -n 128 && exec "$0" --port 0"#)
            .arg(binary)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let server = Self(child);
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        (server, port)
    }

    fn alive(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }

    /// How many descriptors the server has open.
    fn descriptors(&self) -> usize {
        let fds = format!("/proc/{}/fd", self.0.id());
        std::fs::read_dir(fds).map_or(0, Iterator::count)
    }
}

#[test]
fn the_server_survives_running_out_of_file_descriptors() {
    let (mut server, port) = Server::start();
    let mut idle = Vec::new();
    for _ in 0..200 {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(stream) => idle.push(stream),
            Err(error) => panic!(
                "connection {} refused ({error}); the server alive: {}",
                idle.len(),
                server.alive()
            ),
        }
    }
    // The server accepts until it holds every descriptor it may have.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.descriptors() < 124 {
        assert!(server.alive(), "the server exited while accepting");
        assert!(
            Instant::now() < deadline,
            "{} descriptors",
            server.descriptors()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Time for several failed accepts.
    std::thread::sleep(Duration::from_millis(500));
    assert!(server.alive(), "the server exited when accepting failed");

    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let request = "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\
                   Connection: close\r\n\r\n";
    client.write_all(request.as_bytes()).unwrap();
    drop(idle);
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut response = String::new();
    client.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\r\n\r\n0{\"sid\":"), "{response}");
    assert!(server.alive());
}
