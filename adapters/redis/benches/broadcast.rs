//! Broadcast throughput through Redis between two servers: server A (no clients) emits
//! `BROADCASTS` events to its namespace; `CLIENTS` WebSocket clients on server B receive them
//! through the Redis adapter. Measured: the time from the first emit to the last delivery, as
//! broadcasts per second crossing Redis and deliveries per second on B, and the latency of
//! each broadcast's first delivery (p50, p99).
//!
//! `cargo bench -p socketio-redis --bench broadcast` with Redis on 127.0.0.1:6379 (or
//! `REDIS_URL`); `MODE=sharded` for the sharded protocol (classic by default); `CLIENTS`
//! (default 10) and `BROADCASTS` (default 20000).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use socketio::server::{serve, SocketIo};
use socketio_redis::{Mode, RedisAdapterConfig, RedisAdapterFactory, SubscriptionMode};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A 64-byte string: the argument of every event.
const PAYLOAD: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One of two servers on the same key, served on a free local port.
async fn server(mode: Mode, key: &str) -> (SocketIo, RedisAdapterFactory, String) {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let config = RedisAdapterConfig::new(&url).mode(mode).key(key);
    let redis = RedisAdapterFactory::connect(config)
        .await
        .expect("Redis answers");
    let io = SocketIo::builder().adapter(redis.clone()).build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(serve(listener, io.clone()));
    (io, redis, addr)
}

/// A Socket.IO client of the main namespace over a raw WebSocket.
async fn connect(addr: &str) -> Ws {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let _open = ws.next().await;
    ws.send(Message::text("40")).await.expect("send");
    let _connected = ws.next().await;
    ws
}

/// Counts the `tick` events of one client until it has `count`; reports the arrival of each
/// tick index to `arrivals`, answering pings on the way.
async fn receive(mut ws: Ws, count: usize, arrivals: mpsc::UnboundedSender<(usize, Instant)>) {
    let mut got = 0;
    while got < count {
        let Some(Ok(message)) = ws.next().await else {
            return;
        };
        let Message::Text(text) = message else {
            continue;
        };
        if text.as_str() == "2" {
            let _ = ws.send(Message::text("3")).await;
            continue;
        }
        let Some(rest) = text.as_str().strip_prefix("42[\"tick\",") else {
            continue;
        };
        let index = rest
            .split(',')
            .next()
            .and_then(|i| i.parse().ok())
            .unwrap_or(0);
        let _ = arrivals.send((index, Instant::now()));
        got += 1;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

async fn bench() {
    let (clients, broadcasts) = (env("CLIENTS", 10), env("BROADCASTS", 20_000));
    let mode = match std::env::var("MODE").as_deref() {
        Ok("sharded") => Mode::Sharded(SubscriptionMode::Dynamic),
        _ => Mode::Classic,
    };
    let key = format!("bench-{}", std::process::id());
    let (sender, redis_a, _) = server(mode, &key).await;
    let (receiver, redis_b, addr_b) = server(mode, &key).await;
    let (tx, mut arrivals) = mpsc::unbounded_channel();
    for _ in 0..clients {
        let ws = connect(&addr_b).await;
        tokio::spawn(receive(ws, broadcasts, tx.clone()));
    }
    drop(tx);
    // Both adapters subscribed: a warm-up broadcast crosses before the clock starts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start = Instant::now();
    let mut sent_at = Vec::with_capacity(broadcasts);
    for i in 0..broadcasts {
        sent_at.push(Instant::now());
        sender.try_emit("tick", &(i, PAYLOAD)).expect("emit");
        if i % 256 == 0 {
            // Lets the publishing task run between bursts, as request handlers would.
            tokio::task::yield_now().await;
        }
    }
    let mut first = vec![None; broadcasts];
    let (mut deliveries, mut last) = (0, start);
    let limit = Duration::from_secs(120);
    while let Ok(Some((index, at))) = tokio::time::timeout(limit, arrivals.recv()).await {
        deliveries += 1;
        last = at;
        let slot: &mut Option<Instant> = &mut first[index];
        slot.get_or_insert(at);
    }
    let elapsed = last.duration_since(start).as_secs_f64();
    let mut latencies: Vec<Duration> = first
        .iter()
        .zip(&sent_at)
        .filter_map(|(got, sent)| got.map(|got| got.duration_since(*sent)))
        .collect();
    latencies.sort();
    println!(
        "mode {mode:?}: {broadcasts} broadcasts x {clients} clients through Redis in {elapsed:.2} s: \
         {:.0} broadcasts/s, {:.0} deliveries/s ({deliveries} of {}); first delivery p50 {:?}, p99 {:?}",
        broadcasts as f64 / elapsed,
        deliveries as f64 / elapsed,
        broadcasts * clients,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    );
    sender.close().await;
    receiver.close().await;
    redis_a.shutdown().await;
    redis_b.shutdown().await;
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(bench());
}
