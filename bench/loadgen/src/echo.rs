//! The echo scenarios, over WebSocket and over long-polling: N clients each keep K echo events
//! in flight (`42["echo","<64 bytes>"]`, answered by the same packet) during a measured window
//! that follows a warm-up; echoes per second, latency percentiles, the server's CPU time per
//! echo.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::fleet::{self, Fleet};
use crate::measure::{micros, CpuWindow, Record};
use crate::polling::PollingClient;
use crate::proto;
use crate::wire::{Received, Wire};
use crate::ws::WsClient;
use crate::{Options, Result, Target};

/// How long a client waits for the echoes still in flight when the window closes.
const DRAIN: Duration = Duration::from_secs(10);

/// The parameters of an echo run.
struct Params {
    clients: usize,
    concurrency: usize,
    in_flight: usize,
    warmup: Duration,
    window: Duration,
}

impl Params {
    fn from(options: &Options) -> Result<Self> {
        Ok(Self {
            clients: options.get("n", 100)?,
            concurrency: options.get("concurrency", 100)?,
            in_flight: options.get("in-flight", 1)?,
            warmup: Duration::from_millis(options.get("warmup-ms", 1000)?),
            window: Duration::from_millis(options.get("window-ms", 5000)?),
        })
    }
}

/// The measured window, the same for every client: echoes answered inside it count.
#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    end: Instant,
}

/// Waits for the controller to open the window (all clients connected).
async fn window(mut go: watch::Receiver<Option<Window>>) -> Result<Window> {
    let window = go.wait_for(Option::is_some).await?;
    (*window).ok_or_else(|| "no window".into())
}

/// Removes the echo `seq` from those in flight, returning when it was sent.
fn answered(pending: &mut VecDeque<(u64, Instant)>, seq: u64) -> Option<Instant> {
    let at = pending.iter().position(|(sent, _)| *sent == seq)?;
    pending.remove(at).map(|(_, when)| when)
}

/// One WebSocket client: `in_flight` echoes outstanding until the window closes; returns the
/// latencies (µs) of the echoes answered inside the window.
async fn ws_part(
    mut client: WsClient,
    go: watch::Receiver<Option<Window>>,
    in_flight: usize,
) -> Result<Vec<u32>> {
    let window = window(go).await?;
    let mut pending = VecDeque::with_capacity(in_flight);
    let mut latencies = Vec::new();
    let mut seq = in_flight as u64;
    let wire = client.wire();
    for first in 0..seq {
        client.feed(wire.echo(first)).await?;
        pending.push_back((first, Instant::now()));
    }
    let drain_end = window.end + DRAIN;
    while !pending.is_empty() {
        let packet = tokio::time::timeout_at(drain_end.into(), client.next())
            .await
            .map_err(|_| format!("{} echoes unanswered", pending.len()))??;
        let Received::Echo(answer) = Received::read(&packet) else {
            continue;
        };
        let now = Instant::now();
        let sent = answered(&mut pending, answer).ok_or("an echo that was not sent")?;
        if now >= window.start && now < window.end {
            latencies.push(micros(now - sent));
        }
        if now < window.end {
            client.feed(wire.echo(seq)).await?;
            pending.push_back((seq, now));
            seq += 1;
        }
    }
    client.drop_connection();
    Ok(latencies)
}

/// One long-polling client: one echo at a time until the window closes.
async fn polling_part(
    mut client: PollingClient,
    go: watch::Receiver<Option<Window>>,
) -> Result<Vec<u32>> {
    let window = window(go).await?;
    let mut latencies = Vec::new();
    let drain_end = window.end + DRAIN;
    let mut seq = 0;
    while Instant::now() < window.end {
        let sent = Instant::now();
        client.send(&proto::echo_packet(seq)).await?;
        loop {
            let packet = tokio::time::timeout_at(drain_end.into(), client.next())
                .await
                .map_err(|_| "echo unanswered")??;
            if proto::echo_seq(&packet) == Some(seq) {
                break;
            }
        }
        let now = Instant::now();
        if now >= window.start && now < window.end {
            latencies.push(micros(now - sent));
        }
        seq += 1;
    }
    client.close().await;
    Ok(latencies)
}

/// The echo scenario over WebSocket (`in-flight` echoes per client, 1 by default), in the
/// `--parser`'s form.
pub(crate) async fn websocket(target: &Target, options: &Options) -> Result<Record> {
    let params = Params::from(options)?;
    let wire = Wire::from(options)?;
    let (go, ready) = watch::channel(None);
    let addr = target.addr;
    let in_flight = params.in_flight.max(1);
    let fleet = fleet::launch(
        params.clients,
        params.concurrency,
        move || WsClient::connect(addr, wire),
        move |client| ws_part(client, ready.clone(), in_flight),
    )
    .await;
    let scenario = match in_flight {
        1 => wire.scenario("echo"),
        _ => wire.scenario(&format!("echo-x{in_flight}")),
    };
    let mut record = measure(&scenario, target, &params, fleet, &go).await?;
    record.set("in_flight", in_flight);
    Ok(record)
}

/// The echo scenario over long-polling only, one echo in flight per client.
pub(crate) async fn polling(target: &Target, options: &Options) -> Result<Record> {
    let params = Params::from(options)?;
    let (go, ready) = watch::channel(None);
    let addr: SocketAddr = target.addr;
    let fleet = fleet::launch(
        params.clients,
        params.concurrency,
        move || PollingClient::connect(addr),
        move |client| polling_part(client, ready.clone()),
    )
    .await;
    let mut record = measure("polling-echo", target, &params, fleet, &go).await?;
    record.set("in_flight", 1);
    Ok(record)
}

/// Opens the window once every client is connected and reads the CPU times at its edges:
/// the server's CPU seconds (when its pid is known) and the load generator's share of a core.
async fn open_window(
    target: &Target,
    params: &Params,
    go: &watch::Sender<Option<Window>>,
) -> Result<(Window, Option<f64>, f64)> {
    let start = Instant::now() + params.warmup;
    let window = Window {
        start,
        end: start + params.window,
    };
    go.send_replace(Some(window));
    tokio::time::sleep_until(window.start.into()).await;
    let cpu = CpuWindow::start(target.pid)?;
    tokio::time::sleep_until(window.end.into()).await;
    let (server_cpu, own_cpu) = cpu.finish(params.window)?;
    Ok((window, server_cpu, own_cpu))
}

/// Runs the window, then gathers the clients' latencies into a record.
async fn measure(
    scenario: &str,
    target: &Target,
    params: &Params,
    fleet: Fleet<Vec<u32>>,
    go: &watch::Sender<Option<Window>>,
) -> Result<Record> {
    let (window, server_cpu, own_cpu) = open_window(target, params, go).await?;
    let (stop, _) = fleet::stop_signal();
    let (connected, failed) = (fleet.connected, fleet.failed);
    let first_failure = fleet.first_failure.clone();
    let outcome = fleet.finish(window.end + DRAIN, &stop).await;
    let mut latencies: Vec<u32> = outcome.results.into_iter().flatten().collect();
    let echoes = latencies.len();
    let seconds = params.window.as_secs_f64();
    let mut record = Record::new(scenario, &target.label);
    record
        .set("clients", params.clients)
        .set("connected", connected)
        .set("failed", failed)
        .set("errors", outcome.errors)
        .set("window_s", seconds)
        .set("warmup_s", params.warmup.as_secs_f64())
        .set("echoes", echoes)
        .set("echoes_per_s", echoes as f64 / seconds)
        .set("loadgen_cpu_pct", own_cpu * 100.0)
        .set_percentiles("latency", &mut latencies);
    if let Some(cpu) = server_cpu {
        record.set("server_cpu_s", cpu);
        record.set("cpu_us_per_echo", cpu * 1e6 / echoes.max(1) as f64);
    }
    if let Some(error) = first_failure.or(outcome.first_error) {
        record.set("first_error", error);
    }
    Ok(record)
}
