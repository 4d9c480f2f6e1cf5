//! The scenarios of a crowd of WebSocket clients.
//!
//! Connect: N WebSocket clients open their Socket.IO connection (Engine.IO handshake and `40`)
//! with C handshakes in flight; connects per second. They then stay connected and idle,
//! answering heartbeats, while the server's resident memory is read: the growth over the idle
//! server's, divided by N, is the memory per idle connection.
//!
//! Broadcast: N receivers and one sender connected to the main namespace; the sender sends M
//! events `42["broadcast",i,<sent µs>,"<64 bytes>"]` back to back and the server forwards each
//! to every other socket. Measured: deliveries per second, the time from the first send until
//! every delivery has arrived, the latency of each delivery (from its send, on the load
//! generator's clock), and how many of the N×M deliveries never arrived.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::fleet;
use crate::measure::{micros, rss_kib, CpuWindow, Record};
use crate::wire::{Received, Wire};
use crate::ws::WsClient;
use crate::{Options, Result, Target};

/// How long the clients get to end once the memory is read.
const TEARDOWN: Duration = Duration::from_secs(10);

/// One idle client: connected until `stop` fires, answering heartbeats.
async fn idle(mut client: WsClient, mut stop: watch::Receiver<bool>) -> Result<()> {
    client.hold(&mut stop).await?;
    client.drop_connection();
    Ok(())
}

/// Adds the server's memory per connection: its growth over `before`, read now.
fn add_memory(
    record: &mut Record,
    pid: Option<u32>,
    before: Option<u64>,
    clients: usize,
) -> Result<()> {
    let after = pid.map(rss_kib).transpose()?;
    if let (Some(before), Some(after)) = (before, after) {
        let growth = after.saturating_sub(before) as f64;
        record
            .set("rss_before_kib", before)
            .set("rss_after_kib", after)
            .set("kib_per_conn", growth / clients.max(1) as f64);
    }
    Ok(())
}

/// Runs the scenario; `--n` clients (10 000), `--concurrency` handshakes in flight (100),
/// `--settle-ms` of idleness before the memory is read (2000).
pub(crate) async fn connect(target: &Target, options: &Options) -> Result<Record> {
    let clients: usize = options.get("n", 10_000)?;
    let concurrency: usize = options.get("concurrency", 100)?;
    let settle = Duration::from_millis(options.get("settle-ms", 2000)?);
    let rss_before = target.pid.map(rss_kib).transpose()?;
    let cpu = CpuWindow::start(target.pid)?;
    let (stop, stopped) = fleet::stop_signal();
    let addr = target.addr;
    let fleet = fleet::launch(
        clients,
        concurrency,
        move || WsClient::connect(addr, Wire::Json),
        move |client| idle(client, stopped.clone()),
    )
    .await;
    let (time, connected) = (fleet.connect_time, fleet.connected);
    let (server_cpu, own_cpu) = cpu.finish(time)?;
    let mut record = Record::new("connect", &target.label);
    record
        .set("clients", clients)
        .set("concurrency", concurrency)
        .set("connected", connected)
        .set("failed", fleet.failed)
        .set("connect_s", time.as_secs_f64())
        .set("connects_per_s", connected as f64 / time.as_secs_f64())
        .set("loadgen_cpu_pct", own_cpu * 100.0);
    if let Some(cpu) = server_cpu {
        record.set("cpu_us_per_connect", cpu * 1e6 / connected.max(1) as f64);
    }
    tokio::time::sleep(settle).await;
    add_memory(&mut record, target.pid, rss_before, connected)?;
    let first_failure = fleet.first_failure.clone();
    stop.send_replace(true);
    // Clients whose connection ended while idle (e.g. a heartbeat missed) are errors here.
    let outcome = fleet.finish(Instant::now() + TEARDOWN, &stop).await;
    record.set("dropped", outcome.errors);
    if let Some(error) = first_failure.or(outcome.first_error) {
        record.set("first_error", error);
    }
    Ok(record)
}

/// The load generator's clock for send times: microseconds since the scenario started.
fn now_us() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// What one receiver got.
struct Receipt {
    /// The latency of every delivery, in µs.
    latencies: Vec<u32>,
    /// When its last delivery arrived.
    last: Option<Instant>,
}

/// One receiver: reads broadcasts until it has all `expected`, or until `stop` fires (the
/// others then count as lost).
async fn receive(
    mut client: WsClient,
    expected: usize,
    mut stop: watch::Receiver<bool>,
) -> Result<Receipt> {
    let mut receipt = Receipt {
        latencies: Vec::with_capacity(expected),
        last: None,
    };
    while receipt.latencies.len() < expected {
        let packet = tokio::select! {
            packet = client.next() => packet?,
            _ = stop.changed() => break,
        };
        if let Received::Broadcast(sent_us) = Received::read(&packet) {
            let latency = now_us().saturating_sub(sent_us);
            receipt
                .latencies
                .push(micros(Duration::from_micros(latency)));
            receipt.last = Some(Instant::now());
        }
    }
    client.drop_connection();
    Ok(receipt)
}

/// Sends `messages` broadcasts back to back, each written as soon as it is made.
async fn send_burst(sender: &mut WsClient, messages: u32) -> Result<()> {
    for index in 0..messages {
        let packet = sender.wire().broadcast(index, now_us());
        sender.feed(packet).await?;
        sender.flush().await?;
    }
    Ok(())
}

/// The figures of the receivers' deliveries, counted from `start`.
fn add_deliveries(record: &mut Record, receipts: Vec<Receipt>, start: Instant, wanted: usize) {
    let last = receipts.iter().filter_map(|receipt| receipt.last).max();
    let all_in = last.map_or(Duration::ZERO, |last| last - start);
    let mut latencies: Vec<u32> = receipts
        .into_iter()
        .flat_map(|receipt| receipt.latencies)
        .collect();
    let delivered = latencies.len();
    record
        .set("delivered", delivered)
        .set("lost", wanted.saturating_sub(delivered))
        .set("all_delivered_ms", all_in.as_secs_f64() * 1e3)
        .set(
            "deliveries_per_s",
            delivered as f64 / all_in.as_secs_f64().max(1e-9),
        )
        .set_percentiles("latency", &mut latencies);
}

/// Runs the scenario: `--n` receivers (1000), `--m` messages (200), `--concurrency`
/// handshakes in flight (100); deliveries still missing `--loss-timeout-ms` (10 000) after
/// the last send are lost.
pub(crate) async fn broadcast(target: &Target, options: &Options) -> Result<Record> {
    let receivers: usize = options.get("n", 1000)?;
    let messages: u32 = options.get("m", 200)?;
    let concurrency: usize = options.get("concurrency", 100)?;
    let loss_timeout = Duration::from_millis(options.get("loss-timeout-ms", 10_000)?);
    let wire = Wire::from(options)?;
    let (stop, stopped) = fleet::stop_signal();
    let (addr, expected) = (target.addr, messages as usize);
    let fleet = fleet::launch(
        receivers,
        concurrency,
        move || WsClient::connect(addr, wire),
        move |client| receive(client, expected, stopped.clone()),
    )
    .await;
    let mut sender = WsClient::connect(addr, wire).await?;
    let cpu = CpuWindow::start(target.pid)?;
    let start = Instant::now();
    send_burst(&mut sender, messages).await?;
    let sent_in = start.elapsed();
    let (connected, first_failure) = (fleet.connected, fleet.first_failure.clone());
    let outcome = fleet.finish(Instant::now() + loss_timeout, &stop).await;
    let (_, own_cpu) = cpu.finish(start.elapsed())?;
    sender.drop_connection();
    let mut record = Record::new(&wire.scenario("broadcast"), &target.label);
    record
        .set("receivers", receivers)
        .set("messages", messages)
        .set("connected", connected)
        .set("errors", outcome.errors)
        .set("sent_ms", sent_in.as_secs_f64() * 1e3)
        .set("loadgen_cpu_pct", own_cpu * 100.0);
    add_deliveries(&mut record, outcome.results, start, receivers * expected);
    if let Some(error) = first_failure.or(outcome.first_error) {
        record.set("first_error", error);
    }
    Ok(record)
}
