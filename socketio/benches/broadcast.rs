//! Socket.IO broadcast fan-out: C clients in the main namespace; the first one sends
//! `42["go",M]` and the server emits M broadcasts in a loop, `io.emit("tick", &(i, sent_at,
//! "<64 bytes>"))`. Measured: the time until every client has every tick (deliveries per
//! second, C x M deliveries) and, per broadcast, the latency of its last delivery (from the
//! server's emit to the slowest client), p50 and p99.
//!
//! `cargo bench -p socketio --bench broadcast` (set `CLIENTS`, default 1000, and
//! `BROADCASTS`, default 200; set `TARGET=127.0.0.1:PORT` to measure another Socket.IO server
//! with the same `go` trigger, e.g. `node tests/node/bench-sio-broadcast.mjs PORT`, or ours
//! alone in another process, started with `SERVE=127.0.0.1:PORT` and this command). `sent_at`
//! is the server's wall clock in microseconds since the Unix epoch, read by the clients on the
//! same machine. The clients run in this process; with the in-process server the peak memory
//! printed counts the server and the clients together.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{env, peak_memory, percentile, run, server_under_test, Client, PAYLOAD};
use serde::de::IgnoredAny;
use socketio::server::{Event, Socket, SocketIo};
use tokio::sync::Semaphore;

/// Connections opened at once while the clients join (the listen backlog stays small).
const CONNECTING: usize = 64;

/// Microseconds since the Unix epoch: the clock shared with a server on the same machine.
fn now_micros() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    u64::try_from(since.as_micros()).expect("microseconds fit in u64")
}

/// Our server: `go` with a count makes it broadcast that many ticks to the main namespace.
fn broadcast_server() -> SocketIo {
    let io = SocketIo::builder().build();
    let emitter = io.clone();
    io.of("/").on_connection(move |socket: Socket| {
        let emitter = emitter.clone();
        socket.on("go", move |_: &Socket, event: Event| {
            let Ok(count) = event.arg::<usize>(0) else {
                return;
            };
            for i in 0..count {
                emitter.emit("tick", &(i, now_micros(), PAYLOAD));
            }
        });
    });
    io
}

/// Connects `clients` clients, `CONNECTING` at a time.
async fn connect_all(target: &str, clients: usize) -> Vec<Client> {
    let permits = Arc::new(Semaphore::new(CONNECTING));
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (target, permits) = (target.to_owned(), permits.clone());
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.expect("semaphore open");
                Client::connect(&target).await
            })
        })
        .collect();
    let mut connected = Vec::with_capacity(clients);
    for task in tasks {
        connected.push(task.await.expect("connect task"));
    }
    connected
}

/// A tick's index and emit time: `42["tick",i,sent_at,"..."]`.
fn parse_tick(packet: &str) -> Option<(usize, u64)> {
    let array = packet.strip_prefix("42")?;
    if !array.starts_with(r#"["tick","#) {
        return None;
    }
    let (_, index, sent, _) =
        serde_json::from_str::<(IgnoredAny, usize, u64, IgnoredAny)>(array).ok()?;
    Some((index, sent))
}

/// What one client saw: the delay of each tick (by index) and when it had them all.
struct Received {
    client: Client,
    delays: Vec<u64>,
    done: Instant,
}

/// Reads ticks until all `count` arrived; the driver first asks for them.
async fn receive(mut client: Client, count: usize, driver: bool) -> Received {
    if driver {
        client.send(format!(r#"42["go",{count}]"#)).await;
    }
    let mut delays = vec![0; count];
    let mut seen = 0;
    while seen < count {
        let packet = client.next_packet().await;
        if let Some((index, sent)) = parse_tick(&packet) {
            let slot = delays.get_mut(index).expect("tick index below the count");
            *slot = now_micros().saturating_sub(sent);
            seen += 1;
        }
    }
    let done = Instant::now();
    Received {
        client,
        delays,
        done,
    }
}

/// Per broadcast, the slowest delivery; and when the last client had every tick.
async fn collect(
    tasks: Vec<tokio::task::JoinHandle<Received>>,
    count: usize,
) -> (Vec<Duration>, Instant, Vec<Client>) {
    let mut slowest = vec![0; count];
    let mut last = None::<Instant>;
    let mut clients = Vec::with_capacity(tasks.len());
    for task in tasks {
        let received = task.await.expect("receiver task");
        for (max, delay) in slowest.iter_mut().zip(&received.delays) {
            *max = (*max).max(*delay);
        }
        last = Some(last.map_or(received.done, |t| t.max(received.done)));
        clients.push(received.client);
    }
    let mut slowest: Vec<_> = slowest.into_iter().map(Duration::from_micros).collect();
    slowest.sort_unstable();
    (slowest, last.expect("at least one client"), clients)
}

async fn bench(clients: usize, broadcasts: usize) {
    let Some((target, local)) = server_under_test(broadcast_server).await else {
        return;
    };
    let connected = connect_all(&target, clients.max(1)).await;
    let start = Instant::now();
    let tasks: Vec<_> = connected
        .into_iter()
        .enumerate()
        .map(|(n, client)| tokio::spawn(receive(client, broadcasts, n == 0)))
        .collect();
    let (slowest, last, clients) = collect(tasks, broadcasts).await;
    let elapsed = last.duration_since(start);
    let deliveries = clients.len() * broadcasts;
    println!(
        "sio broadcast: {} clients x {broadcasts} broadcasts, 64 B event: {deliveries} deliveries \
         in {elapsed:.2?}, {:.0} deliveries/s, last delivery p50 {:?}, p99 {:?}, {}",
        clients.len(),
        deliveries as f64 / elapsed.as_secs_f64(),
        percentile(&slowest, 0.50),
        percentile(&slowest, 0.99),
        peak_memory(local)
    );
    for client in clients {
        client.close().await;
    }
}

fn main() {
    run(bench(env("CLIENTS", 1000), env("BROADCASTS", 200)));
}
