//! Acknowledgements the server waits for: one emit's answer, or the answers a broadcast (or a
//! server-side emit) collects from many clients and servers.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::{oneshot, Notify};

use super::error::{AckError, PartialAcks};
use crate::adapter::{AckEvent, AckSink};
use crate::payload::{from_payload, Payload, PayloadError};

/// Now, on tokio's clock (which tests can pause), as the engine reads it: acknowledgement
/// deadlines are instants of this clock.
pub(crate) fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

/// Where a client's ACK goes: one emit's waiter, or a broadcast's collector.
pub(crate) enum AckWaiter {
    One(oneshot::Sender<Result<Payload, AckError>>),
    /// A broadcast (from this node or another): the first argument is collected.
    Broadcast(AckSink<Payload>),
}

impl AckWaiter {
    pub(crate) fn deliver(self, payload: Payload) {
        match self {
            // The emitter may have stopped waiting (its timeout): nothing to tell then.
            AckWaiter::One(tx) => drop(tx.send(Ok(payload))),
            AckWaiter::Broadcast(sink) => sink(first_arg(&payload)),
        }
    }

    /// Tells the emitter that no answer will come, for this reason.
    pub(crate) fn fail(self, error: AckError) {
        if let AckWaiter::One(tx) = self {
            drop(tx.send(Err(error)));
        }
    }

    /// Whether nobody waits for the answer any more (the emitter gave up).
    pub(crate) fn is_abandoned(&self) -> bool {
        match self {
            AckWaiter::One(tx) => tx.is_closed(),
            AckWaiter::Broadcast(_) => false,
        }
    }
}

/// The first argument of an answer, as one value with its attachments.
pub(crate) fn first_arg(payload: &Payload) -> Payload {
    let first = payload.value().get(0).cloned().unwrap_or_default();
    let attachments = payload.attachments().to_vec();
    Payload::new(first.clone(), attachments).unwrap_or_else(|_| Payload::from(first))
}

/// Collects the answers of many: how many clients each other node sent to, and each client's
/// first ack argument (or, for a server-side emit, each server's answer). Done when every
/// other node reported and every expected answer came; answers after that are ignored, so
/// its memory is bounded by the number of answers expected.
pub(crate) struct Collector<R> {
    shared: Arc<Shared<R>>,
}

struct Shared<R> {
    count: Mutex<Count<R>>,
    done: Notify,
}

struct Count<R> {
    /// Still being told what to expect: not done whatever came.
    open: bool,
    servers: usize,
    reports: usize,
    expected: usize,
    answered: usize,
    responses: Vec<R>,
    invalid: Option<PayloadError>,
}

impl<R> Count<R> {
    fn done(&self) -> bool {
        !self.open && self.reports >= self.servers && self.answered >= self.expected
    }
}

impl<R: DeserializeOwned + Send + 'static> Collector<R> {
    /// Waits for `answers` answers, plus what `servers` other nodes report; more can be
    /// added with [`Collector::expect`] until [`Collector::seal`].
    pub(crate) fn new(answers: usize, servers: usize) -> Self {
        let count = Count {
            open: true,
            servers,
            reports: 0,
            expected: answers,
            answered: 0,
            responses: Vec::with_capacity(answers.min(1024)),
            invalid: None,
        };
        let shared = Shared {
            count: Mutex::new(count),
            done: Notify::new(),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// Waits for `answers` more answers and `servers` more reports.
    pub(crate) fn expect(&self, answers: usize, servers: usize) {
        {
            let mut count = self.shared.lock();
            count.expected += answers;
            count.servers += servers;
        }
        self.shared.check();
    }

    /// Nothing more to expect: done as soon as what was expected came.
    pub(crate) fn seal(&self) {
        self.shared.lock().open = false;
        self.shared.check();
    }

    /// Where the reports and answers go.
    pub(crate) fn sink(&self) -> AckSink<AckEvent> {
        let shared = self.shared.clone();
        Arc::new(move |event| shared.take(event))
    }

    /// Where the answers go, one value each.
    pub(crate) fn answers(&self) -> AckSink<Payload> {
        let shared = self.shared.clone();
        Arc::new(move |answer| shared.take(AckEvent::Ack(answer)))
    }

    /// Seals, waits until done or `limit`, and hands back the answers, or why the call failed.
    pub(crate) async fn wait(self, limit: Duration) -> Result<Vec<R>, PartialAcks<R>> {
        self.seal();
        let shared = &self.shared;
        let wait = async {
            loop {
                let notified = shared.done.notified();
                let mut notified = std::pin::pin!(notified);
                notified.as_mut().enable();
                if shared.lock().done() {
                    return;
                }
                notified.await;
            }
        };
        // Timing out is an outcome here: the answers that came are handed back either way.
        let _timed_out = tokio::time::timeout(limit, wait).await.is_err();
        let mut count = shared.lock();
        let responses = std::mem::take(&mut count.responses);
        let error = match (count.done(), count.invalid.take()) {
            (false, _) => AckError::Timeout,
            (true, Some(error)) => AckError::Payload(error),
            (true, None) => return Ok(responses),
        };
        Err(PartialAcks { responses, error })
    }
}

impl<R: DeserializeOwned> Shared<R> {
    fn lock(&self) -> MutexGuard<'_, Count<R>> {
        self.count.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take(&self, event: AckEvent) {
        {
            let mut count = self.lock();
            if count.done() {
                return;
            }
            match event {
                AckEvent::ClientCount(clients) => {
                    count.expected += clients;
                    count.reports += 1;
                }
                AckEvent::Ack(answer) => {
                    count.answered += 1;
                    match from_payload::<R>(&answer) {
                        Ok(response) => count.responses.push(response),
                        Err(error) => {
                            count.invalid.get_or_insert(error);
                        }
                    }
                }
            }
        }
        self.check();
    }

    fn check(&self) {
        if self.lock().done() {
            self.done.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn collects_until_every_server_and_client_answered() {
        let collector = Collector::<String>::new(1, 1);
        collector.seal();
        let sink = collector.sink();
        sink(AckEvent::Ack(Payload::from(json!("local"))));
        sink(AckEvent::ClientCount(1));
        sink(AckEvent::Ack(Payload::from(json!("remote"))));
        // Past done: ignored.
        sink(AckEvent::Ack(Payload::from(json!("late"))));
        let answers = collector.wait(Duration::from_secs(5)).await;
        assert_eq!(answers.ok(), Some(vec!["local".into(), "remote".into()]));
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_hands_back_what_came_and_a_bad_answer_is_counted() {
        let collector = Collector::<u32>::new(3, 0);
        let answers = collector.answers();
        answers(Payload::from(json!(1)));
        answers(Payload::from(json!("not a number")));
        let partial = collector.wait(Duration::from_millis(10)).await.err();
        let partial = partial.expect("one answer is missing");
        assert_eq!(partial.responses, [1]);
        assert!(matches!(partial.error, AckError::Timeout));

        let collector = Collector::<u32>::new(1, 0);
        collector.answers()(Payload::from(json!("x")));
        let partial = collector.wait(Duration::from_secs(1)).await.err();
        assert!(matches!(
            partial.map(|p| p.error),
            Some(AckError::Payload(_))
        ));
    }
}
