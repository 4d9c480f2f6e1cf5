//! Async callbacks over in-memory polling, with paused time: the order in which one client's
//! event handlers start, handlers and middlewares that await, acks answered after an await,
//! panics, and async forms of every other callback.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{connected, open, poll, post, quiet_server, settle};
use serde_json::Value;
use socketio::server::{ConnectError, DisconnectReason, Event, RoomEvent, Socket, SocketIo};
use tokio::sync::Notify;

type Log = Arc<Mutex<Vec<String>>>;

fn entries(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

fn push(log: &Log, line: impl Into<String>) {
    log.lock().unwrap().push(line.into());
}

/// Polls until `want` packets came, in whatever bodies they arrive.
async fn poll_packets(io: &SocketIo, sid: &str, want: usize) -> Vec<String> {
    let mut packets = Vec::new();
    while packets.len() < want {
        let body = poll(io, sid).await;
        packets.extend(body.split('\u{1e}').map(str::to_owned));
    }
    packets
}

#[tokio::test(start_paused = true)]
async fn handlers_start_in_arrival_order_and_an_await_holds_back_nothing() {
    let io = quiet_server();
    let log = Log::default();
    let started = log.clone();
    io.on_connection(move |socket: Socket| {
        let started = started.clone();
        socket.on("work", move |socket: Socket, event: Event| {
            let started = started.clone();
            async move {
                let n: u64 = event.arg(0).unwrap();
                push(&started, format!("start {n}"));
                // The first event waits longest: the others must not wait behind it.
                tokio::time::sleep(Duration::from_millis(100 / (n + 1))).await;
                socket.emit("done", &n);
            }
        });
    });
    let sid = connected(&io, "/").await;
    let other = connected(&io, "/").await;
    let batch: Vec<String> = (0..5).map(|n| format!("42[\"work\",{n}]")).collect();
    post(&io, &sid, &batch.join("\u{1e}")).await;
    post(&io, &other, "42[\"work\",9]").await;
    // The other client's handler ends first (it waits 10 ms), whatever this one does.
    assert_eq!(poll(&io, &other).await, "42[\"done\",9]");
    let done = poll_packets(&io, &sid, 5).await;
    assert_eq!(
        done,
        ["4", "3", "2", "1", "0"].map(|n| format!("42[\"done\",{n}]"))
    );
    let mut starts = entries(&log);
    starts.retain(|line| line != "start 9");
    assert_eq!(
        starts,
        ["start 0", "start 1", "start 2", "start 3", "start 4"]
    );
}

#[tokio::test(start_paused = true)]
async fn an_ack_is_answered_after_an_await() {
    let io = quiet_server();
    io.on_connection(|socket: Socket| {
        socket.on("slow-ack", |_socket: Socket, mut event: Event| async move {
            let ack = event.take_ack().unwrap();
            let ms: u64 = event.arg(0).unwrap();
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ack.send(&ms);
        });
    });
    let sid = connected(&io, "/").await;
    post(&io, &sid, "4213[\"slow-ack\",250]").await;
    let before = tokio::time::Instant::now();
    assert_eq!(poll(&io, &sid).await, "4313[250]");
    assert!(before.elapsed() >= Duration::from_millis(250));
}

#[tokio::test(start_paused = true)]
async fn an_async_middleware_holds_back_only_the_event_it_decides_on() {
    let io = quiet_server();
    io.on_connection(|socket: Socket| {
        socket.use_middleware(|_socket: Socket, event: Event| async move {
            if event.name() == "held" {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            match event.name() {
                "refused" => Err("not now".to_owned()),
                _ => Ok(()),
            }
        });
        socket.on_error(|socket: Socket, error: String| async move {
            socket.emit("refused", &error);
        });
        for name in ["held", "free", "refused"] {
            socket.on(name, |socket: &Socket, event: Event| {
                socket.emit("handled", event.name());
            });
        }
    });
    let sid = connected(&io, "/").await;
    let started = tokio::time::Instant::now();
    post(
        &io,
        &sid,
        "42[\"held\"]\u{1e}42[\"free\"]\u{1e}42[\"refused\"]",
    )
    .await;
    let first = poll_packets(&io, &sid, 2).await;
    assert_eq!(
        first,
        ["42[\"handled\",\"free\"]", "42[\"refused\",\"not now\"]"]
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(poll(&io, &sid).await, "42[\"handled\",\"held\"]");
    assert!(started.elapsed() >= Duration::from_secs(1));
}

/// Collects what `tracing` writes on this thread while the guard lives.
fn capture_logs() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || Sink(sink.clone()))
        .finish();
    (buffer, tracing::subscriber::set_default(subscriber))
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_handler_is_logged_with_its_event_and_harms_nothing_else() {
    let (logs, _guard) = capture_logs();
    let io = quiet_server();
    io.on_connection(|socket: Socket| {
        socket.on("boom", |_socket: &Socket, _event: Event| {
            panic!("plain boom")
        });
        socket.on("later-boom", |_socket: Socket, _event: Event| async move {
            tokio::task::yield_now().await;
            panic!("async boom");
        });
        socket.on("ping", |socket: &Socket, _event: Event| {
            socket.emit("pong", &())
        });
    });
    let sid = connected(&io, "/").await;
    let other = connected(&io, "/").await;
    post(
        &io,
        &sid,
        "42[\"boom\"]\u{1e}42[\"later-boom\"]\u{1e}42[\"ping\"]",
    )
    .await;
    assert_eq!(poll(&io, &sid).await, "42[\"pong\"]");
    settle().await;
    post(&io, &sid, "42[\"ping\"]").await;
    assert_eq!(poll(&io, &sid).await, "42[\"pong\"]");
    post(&io, &other, "42[\"ping\"]").await;
    assert_eq!(poll(&io, &other).await, "42[\"pong\"]");
    assert_eq!(io.sockets().socket_count(), 2);
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("handler of event \"boom\" panicked") && logs.contains("plain boom"),
        "{logs}"
    );
    assert!(
        logs.contains("handler of event \"later-boom\" panicked") && logs.contains("async boom"),
        "{logs}"
    );
}

#[tokio::test(start_paused = true)]
async fn every_callback_can_be_async() {
    let io = quiet_server();
    let log = Log::default();
    let (rooms, connections) = (log.clone(), log.clone());
    io.sockets().on_room_event(move |event: RoomEvent| {
        let rooms = rooms.clone();
        async move {
            if let RoomEvent::CreateRoom(room) = &event {
                if &**room == "lobby" {
                    push(&rooms, "room lobby");
                }
            }
        }
    });
    io.use_middleware(|socket: Socket| async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        match socket.handshake().auth["token"].as_str() {
            Some("ok") => Ok(()),
            _ => Err(ConnectError::new("no token")),
        }
    });
    io.on_connection(move |socket: Socket| {
        let log = connections.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            socket.join("lobby");
            let (any, gone) = (log.clone(), log.clone());
            socket.on_any(move |_socket: Socket, event: Event| {
                let any = any.clone();
                async move { push(&any, format!("any {}", event.name())) }
            });
            socket.on_disconnect(move |_socket: Socket, reason: DisconnectReason| {
                let gone = gone.clone();
                async move { push(&gone, format!("gone {reason}")) }
            });
            socket.emit("ready", &());
        }
    });
    let refused = open(&io).await;
    post(&io, &refused, "40{\"token\":\"no\"}").await;
    assert_eq!(poll(&io, &refused).await, "44{\"message\":\"no token\"}");
    let sid = open(&io).await;
    post(&io, &sid, "40{\"token\":\"ok\"}").await;
    let joined = poll_packets(&io, &sid, 2).await;
    assert!(joined[0].starts_with("40{\"sid\":"), "{joined:?}");
    assert_eq!(joined[1], "42[\"ready\"]");
    post(&io, &sid, "42[\"hello\"]").await;
    settle().await;
    post(&io, &sid, "41").await;
    settle().await;
    assert_eq!(
        entries(&log),
        [
            "room lobby",
            "any hello",
            "gone client namespace disconnect"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_dynamic_namespace_predicate_can_await() {
    let io = quiet_server();
    let workspaces = io.of_fn(|name: String, auth: Value| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        name.starts_with("/ws-") && auth["member"] == true
    });
    workspaces.on_connection(|socket: Socket| {
        socket.emit("in", socket.namespace().as_str());
    });
    let sid = open(&io).await;
    post(&io, &sid, "40/ws-1,{\"member\":true}").await;
    let reply = poll_packets(&io, &sid, 2).await;
    assert!(reply[0].starts_with("40/ws-1,{\"sid\":"), "{reply:?}");
    assert_eq!(reply[1], "42/ws-1,[\"in\",\"/ws-1\"]");
    post(&io, &sid, "40/ws-2,{\"member\":false}").await;
    assert_eq!(
        poll(&io, &sid).await,
        "44/ws-2,{\"message\":\"Invalid namespace\"}"
    );
    assert!(io.has_namespace("/ws-1") && !io.has_namespace("/ws-2"));
}

/// Threads of this process now (Linux).
fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Threads:")).unwrap();
    line[8..].trim().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_waiting_handlers_cost_no_thread_each() {
    const SOCKETS: usize = 10_000;
    let io = quiet_server();
    let waiting = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let all_waiting = Arc::new(Notify::new());
    let (count, told) = (waiting.clone(), all_waiting.clone());
    io.on_connection(move |socket: Socket| {
        let (count, told) = (count.clone(), told.clone());
        socket.on("wait", move |_socket: Socket, event: Event| {
            let (count, told) = (count.clone(), told.clone());
            async move {
                let now = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                if now == SOCKETS {
                    told.notify_one();
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                if let Some(ack) = event.into_ack() {
                    ack.send(&());
                }
            }
        });
    });
    let before = threads();
    let mut sids = Vec::with_capacity(SOCKETS);
    for _ in 0..SOCKETS {
        sids.push(connected(&io, "/").await);
    }
    for sid in &sids {
        post(&io, sid, "421[\"wait\"]").await;
    }
    tokio::time::timeout(Duration::from_secs(60), all_waiting.notified())
        .await
        .unwrap();
    // Every handler is inside its wait now: ten thousand of them on the runtime's threads.
    let during = threads();
    assert!(
        during <= before + 8,
        "{before} threads before, {during} during"
    );
    for sid in &sids {
        assert_eq!(poll(&io, sid).await, "431[]");
    }
}
