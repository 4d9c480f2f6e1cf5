//! Many clients at once: each is a task that connects (a bounded number of handshakes in
//! flight) and then runs the scenario's part for one client, which answers heartbeats all along
//! since it keeps reading its connection.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinHandle;

use crate::Result;

/// How long the clients get to end by themselves once told to stop.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Clients that have connected (or failed to) and now run their part.
pub(crate) struct Fleet<T> {
    /// One task per client; `None` for a client that could not connect.
    tasks: Vec<JoinHandle<Result<Option<T>>>>,
    /// Clients connected.
    pub(crate) connected: usize,
    /// Clients that could not connect, and the first reason.
    pub(crate) failed: usize,
    pub(crate) first_failure: Option<String>,
    /// From the first connection attempt until every client had connected or failed.
    pub(crate) connect_time: Duration,
}

/// What the clients' parts returned.
pub(crate) struct Outcome<T> {
    /// The result of every client that connected and ended without an error.
    pub(crate) results: Vec<T>,
    /// Clients whose part failed (e.g. the server closed the connection), and the first reason.
    pub(crate) errors: usize,
    pub(crate) first_error: Option<String>,
}

/// Starts `count` clients, `in_flight` handshakes at a time, each connected by `connect` and
/// then handed to `part`; returns once every client has connected or failed.
pub(crate) async fn launch<K, T, C, CF, P, PF>(
    count: usize,
    in_flight: usize,
    connect: C,
    part: P,
) -> Fleet<T>
where
    K: Send + 'static,
    T: Send + 'static,
    C: Fn() -> CF + Send + Sync + 'static,
    CF: Future<Output = Result<K>> + Send,
    P: Fn(K) -> PF + Send + Sync + 'static,
    PF: Future<Output = Result<T>> + Send,
{
    let permits = Arc::new(Semaphore::new(in_flight.max(1)));
    let (connect, part) = (Arc::new(connect), Arc::new(part));
    let (report, mut reports) = mpsc::unbounded_channel::<std::result::Result<(), String>>();
    let start = Instant::now();
    let tasks = (0..count)
        .map(|_| {
            let (permits, report) = (Arc::clone(&permits), report.clone());
            let (connect, part) = (Arc::clone(&connect), Arc::clone(&part));
            tokio::spawn(async move {
                let permit = permits.acquire_owned().await?;
                let client = match connect().await {
                    Ok(client) => client,
                    Err(error) => {
                        let _ = report.send(Err(error.to_string()));
                        return Ok(None);
                    }
                };
                drop(permit);
                let _ = report.send(Ok(()));
                drop(report);
                part(client).await.map(Some)
            })
        })
        .collect();
    drop(report);
    let mut fleet = Fleet {
        tasks,
        connected: 0,
        failed: 0,
        first_failure: None,
        connect_time: Duration::ZERO,
    };
    while let Some(report) = reports.recv().await {
        match report {
            Ok(()) => fleet.connected += 1,
            Err(error) => {
                fleet.failed += 1;
                fleet.first_failure.get_or_insert(error);
            }
        }
    }
    fleet.connect_time = start.elapsed();
    fleet
}

impl<T> Fleet<T> {
    /// Waits for every client's part until `deadline`; then fires `stop` and gives the parts
    /// still running a few seconds to end before they are aborted (and counted as errors).
    pub(crate) async fn finish(self, deadline: Instant, stop: &watch::Sender<bool>) -> Outcome<T> {
        let mut outcome = Outcome {
            results: Vec::with_capacity(self.tasks.len()),
            errors: 0,
            first_error: None,
        };
        // Set when the deadline passes: the end of the grace the stopped parts get.
        let mut grace_end: Option<Instant> = None;
        for mut task in self.tasks {
            let ended = match tokio::time::timeout_at(deadline.into(), &mut task).await {
                Ok(ended) => ended,
                Err(_) => {
                    let end = *grace_end.get_or_insert_with(|| {
                        stop.send_replace(true);
                        Instant::now() + STOP_GRACE
                    });
                    match tokio::time::timeout_at(end.into(), &mut task).await {
                        Ok(ended) => ended,
                        Err(_) => {
                            task.abort();
                            Ok(Err("still running after the stop".into()))
                        }
                    }
                }
            };
            outcome.add(ended.map_err(|error| error.to_string()));
        }
        outcome
    }
}

impl<T> Outcome<T> {
    fn add(&mut self, ended: std::result::Result<Result<Option<T>>, String>) {
        let error = match ended {
            Ok(Ok(Some(result))) => {
                self.results.push(result);
                return;
            }
            Ok(Ok(None)) => return,
            Ok(Err(error)) => error.to_string(),
            Err(join_error) => join_error,
        };
        self.errors += 1;
        self.first_error.get_or_insert(error);
    }
}

/// A stop signal for the clients' parts, and the receiver each part watches.
pub(crate) fn stop_signal() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    watch::channel(false)
}
