//! Requests this node made and waits answers for, by request id.
//!
//! Three kinds: a collection of a known number of answers (fetch sockets, all rooms), which
//! resolves when the last one comes and gives what came when the time is up; and two streams
//! handed to the server as they come (server-side emit answers, broadcast ack reports), whose
//! entries are dropped after a time since nobody can tell when the last one came.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmpv::Value as Mp;
use socketio::adapter::{AckEvent, AckSink};
use socketio::Payload;
use tokio::sync::oneshot;

/// Answers being collected.
struct Collect {
    expected: usize,
    answers: Vec<Mp>,
    done: Option<oneshot::Sender<Vec<Mp>>>,
}

enum Waiter {
    Collect(Collect),
    Replies(AckSink<Payload>),
    Acks(AckSink<AckEvent>),
}

/// What a request ended with when its time was up.
#[derive(Debug)]
pub(crate) struct Partial {
    /// The answers that came.
    pub(crate) answers: Vec<Mp>,
    /// How many were expected.
    pub(crate) expected: usize,
}

/// The pending requests of one namespace adapter.
#[derive(Clone, Default)]
pub(crate) struct Pending {
    table: Arc<Mutex<HashMap<String, Waiter>>>,
}

impl Pending {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, Waiter>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `id` is one of this node's requests (how a node recognizes its own echo).
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.table().contains_key(id)
    }

    /// Registers a request that waits for `expected` answers.
    pub(crate) fn collect(&self, id: &str, expected: usize) -> oneshot::Receiver<Vec<Mp>> {
        let (done, rx) = oneshot::channel();
        let collect = Collect {
            expected,
            answers: Vec::with_capacity(expected),
            done: Some(done),
        };
        self.table().insert(id.to_owned(), Waiter::Collect(collect));
        rx
    }

    /// Waits for the answers of a request registered with [`Pending::collect`]; after
    /// `timeout`, gives up and returns what came.
    pub(crate) async fn wait(
        &self,
        id: &str,
        rx: oneshot::Receiver<Vec<Mp>>,
        timeout: Duration,
    ) -> Result<Vec<Mp>, Partial> {
        if let Ok(Ok(answers)) = tokio::time::timeout(timeout, rx).await {
            return Ok(answers);
        }
        match self.table().remove(id) {
            Some(Waiter::Collect(collect)) => Err(Partial {
                answers: collect.answers,
                expected: collect.expected,
            }),
            _ => Err(Partial {
                answers: Vec::new(),
                expected: 0,
            }),
        }
    }

    /// Registers a stream of server-side emit answers, kept for `ttl`.
    pub(crate) fn replies(&self, id: &str, sink: AckSink<Payload>, ttl: Duration) {
        self.table().insert(id.to_owned(), Waiter::Replies(sink));
        self.expire(id, ttl);
    }

    /// Registers a stream of broadcast ack reports, kept for `ttl`.
    pub(crate) fn acks(&self, id: &str, sink: AckSink<AckEvent>, ttl: Duration) {
        self.table().insert(id.to_owned(), Waiter::Acks(sink));
        self.expire(id, ttl);
    }

    fn expire(&self, id: &str, ttl: Duration) {
        let (pending, id) = (self.clone(), id.to_owned());
        tokio::spawn(async move {
            tokio::time::sleep(ttl).await;
            pending.table().remove(&id);
        });
    }

    /// One answer to a collecting request; resolves it when it is the last expected one.
    pub(crate) fn answer(&self, id: &str, answer: Mp) {
        let mut table = self.table();
        let Some(Waiter::Collect(collect)) = table.get_mut(id) else {
            return;
        };
        collect.answers.push(answer);
        if collect.answers.len() < collect.expected {
            return;
        }
        if let Some(Waiter::Collect(mut collect)) = table.remove(id) {
            if let Some(done) = collect.done.take() {
                let _ = done.send(collect.answers);
            }
        }
    }

    /// A server-side emit answer; the sink runs outside the table's lock.
    pub(crate) fn reply(&self, id: &str, answer: Payload) {
        let sink = match self.table().get(id) {
            Some(Waiter::Replies(sink)) => sink.clone(),
            _ => return,
        };
        sink(answer);
    }

    /// A broadcast ack report; the sink runs outside the table's lock.
    pub(crate) fn ack(&self, id: &str, event: AckEvent) {
        let sink = match self.table().get(id) {
            Some(Waiter::Acks(sink)) => sink.clone(),
            _ => return,
        };
        sink(event);
    }

    /// Forgets every request (the adapter is closing).
    pub(crate) fn clear(&self) {
        self.table().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn collections_resolve_on_the_last_answer_or_give_what_came() {
        let pending = Pending::default();
        let rx = pending.collect("a", 2);
        pending.answer("a", Mp::from(1));
        assert!(pending.contains("a"));
        pending.answer("a", Mp::from(2));
        let got = pending.wait("a", rx, Duration::from_secs(1)).await;
        assert_eq!(got.ok(), Some(vec![Mp::from(1), Mp::from(2)]));
        assert!(!pending.contains("a"));

        let rx = pending.collect("b", 3);
        pending.answer("b", Mp::from(1));
        pending.answer("unknown", Mp::from(9));
        let partial = pending.wait("b", rx, Duration::from_millis(20)).await;
        let partial = partial.expect_err("timed out");
        assert_eq!((partial.answers.len(), partial.expected), (1, 3));
    }

    #[tokio::test]
    async fn streams_reach_their_sink_until_they_expire() {
        let pending = Pending::default();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        pending.acks(
            "c",
            Arc::new(move |event| drop(tx.send(event))),
            Duration::from_millis(30),
        );
        pending.ack("c", AckEvent::ClientCount(2));
        assert_eq!(rx.recv().await, Some(AckEvent::ClientCount(2)));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(!pending.contains("c"));
    }
}
