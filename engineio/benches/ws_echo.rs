//! WebSocket echo through the server: clients send a message and wait for its echo.
//!
//! `cargo bench -p engineio --bench ws_echo` (set `CLIENTS`, `ROUNDS` to change the load;
//! set `TARGET=127.0.0.1:PORT` to measure another Engine.IO server, e.g. the Node reference)

use std::time::{Duration, Instant};

use engineio::packet::Message;
use engineio::server::{serve, Builder, Handler, Socket};
use engineio::DisconnectReason;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as Ws;

struct Echo;

impl Handler for Echo {
    type Connection = Socket;
    fn on_connect(&self, socket: Socket) -> Socket {
        socket
    }
    fn on_message(&self, socket: &mut Socket, message: Message) {
        let _ = socket.send(message);
    }
    fn on_close(&self, _socket: Socket, _reason: DisconnectReason) {}
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One client: `rounds` request/echo round trips; returns each round's latency.
async fn client(target: String, rounds: usize) -> Vec<Duration> {
    let url = format!("ws://{target}/engine.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    ws.next().await.expect("open packet").expect("open packet");
    let payload = format!("4{}", "m".repeat(64));
    let mut latencies = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        ws.send(Ws::text(payload.clone())).await.expect("send");
        loop {
            match ws.next().await.expect("echo").expect("echo") {
                Ws::Text(t) if t.as_str() == payload => break,
                Ws::Text(t) if t.as_str() == "2" => ws.send(Ws::text("3")).await.expect("pong"),
                _ => {}
            }
        }
        latencies.push(start.elapsed());
    }
    let _ = ws.close(None).await;
    latencies
}

fn main() {
    let clients = env("CLIENTS", 100);
    let rounds = env("ROUNDS", 1000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let target = match std::env::var("TARGET") {
            Ok(target) => target,
            Err(_) => {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
                let addr = listener.local_addr().expect("addr");
                tokio::spawn(serve(listener, Builder::new().build(Echo)));
                addr.to_string()
            }
        };
        let start = Instant::now();
        let tasks: Vec<_> = (0..clients).map(|_| tokio::spawn(client(target.clone(), rounds))).collect();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("client"));
        }
        let elapsed = start.elapsed();
        all.sort();
        let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
        println!(
            "ws echo: {clients} clients x {rounds} rounds, 64 B text: {:.0} round trips/s, p50 {:?}, p99 {:?}",
            all.len() as f64 / elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99)
        );
    });
}
