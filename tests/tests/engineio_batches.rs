//! End-to-end: the official `engine.io-client` under Node sends a flood in one tick, which it
//! batches into POSTs of up to `maxPayload` (on polling) or writes frame after frame (on
//! WebSocket), to a handler that takes its time. The server's inbound mark paces the client
//! (its POSTs wait, its WebSocket is read more slowly) and never cuts it off: every message
//! arrives once, in order, and the session stays open.

use std::sync::Arc;
use std::time::Duration;

use e2e::{NodeDriver, TIMEOUT};
use engineio::packet::Message;
use engineio::server::{serve, Builder, Handler, Socket};
use engineio::DisconnectReason;
use serde_json::json;
use tokio::sync::{watch, Mutex};

/// Messages sent in one tick: some 2.7 MB, three full POSTs at least.
const FLOOD: usize = 300_000;

/// Counts the messages, checking that each is the next one (`m0`, `m1`, ...); pauses 1 ms
/// every 1 000 messages, on the session's task.
struct Counter {
    taken: watch::Sender<usize>,
    out_of_order: Arc<Mutex<Option<String>>>,
    closed: watch::Sender<Option<DisconnectReason>>,
}

impl Handler for Counter {
    type Connection = Socket;
    fn on_connect(&self, socket: Socket) -> Socket {
        socket
    }
    fn on_message(&self, _socket: &mut Socket, message: Message) {
        let taken = *self.taken.borrow();
        let expected = format!("m{taken}");
        let right = matches!(&message, Message::Text(text) if text.as_str() == expected);
        if !right {
            if let Ok(mut first) = self.out_of_order.try_lock() {
                first.get_or_insert_with(|| format!("{message:?} where {expected} was due"));
            }
        }
        if taken % 1000 == 999 {
            std::thread::sleep(Duration::from_millis(1));
        }
        self.taken.send_replace(taken + 1);
    }
    fn on_close(&self, _socket: Socket, reason: DisconnectReason) {
        self.closed.send_replace(Some(reason));
    }
}

async fn flood(transport: &str) {
    let (taken, mut seen) = watch::channel(0);
    let (closed, ended) = watch::channel(None);
    let out_of_order = Arc::new(Mutex::new(None));
    let handler = Counter {
        taken,
        out_of_order: out_of_order.clone(),
        closed,
    };
    // The reference's heartbeat, as a deployment has it.
    let engine = Builder::new().build(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(serve(listener, engine));
    let mut client = NodeDriver::eio();
    let opts = json!({"transports": [transport]});
    client
        .command(json!({"cmd": "open", "url": url, "opts": opts}), TIMEOUT)
        .await;
    let opened = client.expect("open", TIMEOUT).await;
    assert_eq!(opened["handshake"]["maxPayload"], 1_000_000);
    let cmd = json!({"cmd": "send", "text": "m", "count": FLOOD});
    client.command(cmd, TIMEOUT).await;
    let all = tokio::time::timeout(Duration::from_secs(120), seen.wait_for(|&n| n >= FLOOD))
        .await
        .map(|taken| taken.map(|n| *n));
    match all {
        Ok(Ok(_)) => {}
        Ok(Err(_)) => panic!("{transport}: the server is gone"),
        Err(_) => panic!("{transport}: {} of {FLOOD} taken in time", *seen.borrow()),
    }
    assert_eq!(*seen.borrow(), FLOOD, "{transport}");
    assert_eq!(*out_of_order.lock().await, None, "{transport}");
    assert_eq!(*ended.borrow(), None, "{transport}: the session ended");
    client.command(json!({"cmd": "state"}), TIMEOUT).await;
    let state = client.expect("state", TIMEOUT).await;
    assert_eq!(state["readyState"], "open", "{transport}");
    assert!(
        client
            .history()
            .iter()
            .all(|e| e["ev"] != "close" && e["ev"] != "error"),
        "{transport}: {:?}",
        client.history()
    );
}

#[tokio::test]
async fn a_flood_over_polling_is_paced_not_refused() {
    flood("polling").await;
}

#[tokio::test]
async fn a_flood_over_websocket_is_paced_not_refused() {
    flood("websocket").await;
}
