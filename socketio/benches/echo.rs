//! Socket.IO event echo: N clients, each sending `42["echo","<64 bytes>"]` and waiting for
//! `42["echo-back",...]` before the next, R rounds; round trips per second, p50, p99.
//!
//! `cargo bench -p socketio --bench echo` (set `CLIENTS`, default 100, and `ROUNDS`, default
//! 1000, to change the load; set `TARGET=127.0.0.1:PORT` to measure another Socket.IO server,
//! e.g. `node tests/node/bench-sio-echo.mjs PORT`, or ours alone in another process, started
//! with `SERVE=127.0.0.1:PORT cargo bench -p socketio --bench echo`). The clients speak the
//! protocol over raw WebSockets (tokio-tungstenite) in this process; with the in-process
//! server the peak memory printed counts the server and the clients together.

mod common;

use std::time::{Duration, Instant};

use common::{env, peak_memory, percentile, run, server_under_test, Client, PAYLOAD};
use socketio::server::{Event, Socket, SocketIo};

/// Our server: `echo` is answered with `echo-back` and the same arguments.
fn echo_server() -> SocketIo {
    let io = SocketIo::builder().build();
    io.of("/").on_connection(|socket: Socket| {
        socket.on("echo", |socket: &Socket, event: Event| {
            socket.emit_payload("echo-back", event.payload().clone());
        });
    });
    io
}

/// One client: connects, then `rounds` echo round trips; returns each round's latency.
async fn client(target: String, rounds: usize) -> Vec<Duration> {
    let mut client = Client::connect(&target).await;
    let request = format!(r#"42["echo","{PAYLOAD}"]"#);
    let answer = format!(r#"42["echo-back","{PAYLOAD}"]"#);
    let mut latencies = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        client.send(request.as_str()).await;
        loop {
            let packet = client.next_packet().await;
            if packet.as_str() == answer {
                break;
            }
        }
        latencies.push(start.elapsed());
    }
    client.close().await;
    latencies
}

async fn bench(clients: usize, rounds: usize) {
    let Some((target, local)) = server_under_test(echo_server).await else {
        return;
    };
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| tokio::spawn(client(target.clone(), rounds)))
        .collect();
    let mut all = Vec::with_capacity(clients * rounds);
    for task in tasks {
        all.extend(task.await.expect("client task"));
    }
    let elapsed = start.elapsed();
    all.sort_unstable();
    println!(
        "sio echo: {clients} clients x {rounds} rounds, 64 B event: {:.0} round trips/s, \
         p50 {:?}, p99 {:?}, {}",
        all.len() as f64 / elapsed.as_secs_f64(),
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        peak_memory(local)
    );
}

fn main() {
    run(bench(env("CLIENTS", 100), env("ROUNDS", 1000)));
}
