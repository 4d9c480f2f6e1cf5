//! End-to-end: the official `socket.io-client` sends far more events in one tick than its
//! slow async handlers can take. The server holds the client's messages at
//! `max_pending_handlers` running handlers (then its Engine.IO session stops reading the
//! transport), so what runs at once stays bounded, every event arrives in order, and the
//! session survives holds longer than the heartbeat allows a pong to take (the client's pong
//! waits behind the messages the server is not reading).

mod common_sio;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common_sio::{connect, Server};
use e2e::{NodeDriver, TIMEOUT};
use serde_json::json;
use socketio::server::{Event, Socket};

const EVENTS: u64 = 1500;
/// The first events' handlers wait longer than pingInterval + pingTimeout (300 + 1000 ms).
const SLOW: u64 = 8;
const MAX_RUNNING: usize = 8;

#[derive(Default)]
struct Seen {
    order: Mutex<Vec<u64>>,
    running: AtomicUsize,
    most: AtomicUsize,
}

async fn server(seen: &Arc<Seen>) -> Server {
    let builder = common_sio::builder().max_pending_handlers(MAX_RUNNING);
    let server = common_sio::start_with(builder).await;
    server.watch("/");
    let (seen, reporter) = (seen.clone(), server.reporter());
    server.io.on_connection(move |socket: Socket| {
        let (seen, reporter) = (seen.clone(), reporter.clone());
        socket.on("work", move |_socket: Socket, event: Event| {
            let (seen, reporter) = (seen.clone(), reporter.clone());
            async move {
                let n: u64 = event.arg(0).expect("an index");
                seen.order.lock().expect("lock").push(n);
                let running = seen.running.fetch_add(1, Ordering::SeqCst) + 1;
                seen.most.fetch_max(running, Ordering::SeqCst);
                let wait = if n < SLOW { 1500 } else { 1 };
                tokio::time::sleep(Duration::from_millis(wait)).await;
                seen.running.fetch_sub(1, Ordering::SeqCst);
                if n == EVENTS - 1 {
                    reporter.note("done", json!(n));
                }
            }
        });
    });
    server
}

#[tokio::test]
async fn a_flood_into_slow_handlers_is_paced_in_order_on_every_transport() {
    for transport in ["polling", "websocket"] {
        let seen = Arc::new(Seen::default());
        let mut server = server(&seen).await;
        let mut client = NodeDriver::sio();
        let opts = json!({"transports": [transport]});
        connect(&mut client, "s", &server.nsp_url("/"), opts).await;
        let cmd = json!({"cmd": "emit", "name": "s", "event": "work", "args": [], "count": EVENTS});
        client.command(cmd, TIMEOUT).await;
        assert_eq!(server.note("done").await, json!(EVENTS - 1), "{transport}");
        let order = seen.order.lock().expect("lock").clone();
        assert_eq!(
            order,
            (0..EVENTS).collect::<Vec<_>>(),
            "{transport}: in order"
        );
        let most = seen.most.load(Ordering::SeqCst);
        assert!(
            most <= MAX_RUNNING,
            "{transport}: {most} handlers ran at once"
        );
        assert_eq!(most, MAX_RUNNING, "{transport}: the bound was reached");
        // The holds outlasted a pong's deadline; the session is alive and well.
        client
            .command(json!({"cmd": "state", "name": "s"}), TIMEOUT)
            .await;
        let now = client.expect("state", TIMEOUT).await;
        assert_eq!(now["connected"], true, "{transport}: {now}");
        let sid = now["id"].as_str().expect("an id").to_owned();
        server.no_disconnect(&sid, Duration::from_millis(700)).await;
        client.exit().await;
    }
}
