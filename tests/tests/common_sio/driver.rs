//! Shortcuts for the sio-driver (the official `socket.io-client` under Node) and the
//! eio-driver, and the pid of a driver's process (to freeze it).

use std::sync::Mutex;

use e2e::{NodeDriver, TIMEOUT};
use serde_json::{json, Value};

/// Spawns of the drivers are serialized, so that [`sio_with_pid`] can tell its child apart.
static SPAWN: Mutex<()> = Mutex::new(());

/// A sio-driver (use this rather than `NodeDriver::sio` in a file that uses [`sio_with_pid`]).
pub(crate) fn sio() -> NodeDriver {
    let _guard = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
    NodeDriver::sio()
}

/// An eio-driver, spawned under the same lock as [`sio`].
pub(crate) fn eio() -> NodeDriver {
    let _guard = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
    NodeDriver::eio()
}

/// A sio-driver and the pid of its Node process (found among this process's children).
pub(crate) fn sio_with_pid() -> (NodeDriver, u32) {
    let _guard = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
    let before = node_children();
    let driver = NodeDriver::sio();
    let new: Vec<u32> = node_children()
        .into_iter()
        .filter(|pid| !before.contains(pid))
        .collect();
    assert_eq!(new.len(), 1, "exactly one new sio-driver child: {new:?}");
    (driver, new[0])
}

/// The pids of this process's children that run `sio-driver.mjs`.
fn node_children() -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // "pid (comm) state ppid ...": the comm may hold spaces, so split after its ')'.
            let after = stat
                .rsplit_once(')')
                .map(|(_, rest)| rest)
                .unwrap_or_default();
            let ppid = after
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u32>().ok());
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            ppid == Some(me) && String::from_utf8_lossy(&cmdline).contains("sio-driver.mjs")
        })
        .collect()
}

/// Sends a signal (`STOP`, `CONT`) to one process of ours, by its pid.
pub(crate) fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}: {status}");
}

/// Connects socket `name` to `url` with `opts` and waits for its `connect`; returns its id.
pub(crate) async fn connect(client: &mut NodeDriver, name: &str, url: &str, opts: Value) -> String {
    let cmd = json!({"cmd": "connect", "name": name, "url": url, "opts": opts});
    client.command(cmd, TIMEOUT).await;
    let connected = named(client, "connect", name).await;
    connected["id"].as_str().expect("a socket id").to_owned()
}

/// The next event `ev` of socket `name`.
pub(crate) async fn named(client: &mut NodeDriver, ev: &str, name: &str) -> Value {
    client
        .expect_matching(|e| e["ev"] == ev && e["name"] == name, TIMEOUT)
        .await
}

/// The next incoming event of socket `name` (`{"ev":"event","event","args","ackId"}`).
pub(crate) async fn incoming(client: &mut NodeDriver, name: &str) -> Value {
    named(client, "event", name).await
}

/// The next incoming event `event` of socket `name`, skipping its other events.
pub(crate) async fn incoming_named(client: &mut NodeDriver, name: &str, event: &str) -> Value {
    loop {
        let got = incoming(client, name).await;
        if got["event"] == event {
            return got;
        }
    }
}

/// Emits `event` with `args` from socket `name`.
pub(crate) async fn emit(client: &mut NodeDriver, name: &str, event: &str, args: Value) {
    let cmd = json!({"cmd": "emit", "name": name, "event": event, "args": args});
    client.command(cmd, TIMEOUT).await;
}

/// Emits `event` with `args` and an ack from socket `name`; returns the ack's arguments.
pub(crate) async fn emit_ack(
    client: &mut NodeDriver,
    name: &str,
    event: &str,
    args: Value,
) -> Value {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = format!(
        "ack-{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let cmd =
        json!({"cmd": "emit", "name": name, "event": event, "args": args, "ack": true, "id": id});
    client.command(cmd, TIMEOUT).await;
    let answer = client
        .expect_matching(
            |e| (e["ev"] == "ack" || e["ev"] == "ackError") && e["id"] == id,
            TIMEOUT,
        )
        .await;
    assert_eq!(answer["ev"], "ack", "an ack for {event}: {answer}");
    answer["args"].clone()
}
