//! Requests this node made and waits answers for, by request id.
//!
//! Three kinds: a collection of a known number of answers (fetch sockets, all rooms), which
//! resolves when the last one comes and gives what came when the time is up; and two streams
//! handed to the server as they come (server-side emit answers, broadcast ack reports), whose
//! entries end at a deadline since nobody can tell when the last one came.
//!
//! Every entry has a deadline: answers that come later are dropped, and entries past their
//! deadline are removed whenever a request is registered (no timer task per request), so an
//! entry whose requester went away without waiting is not kept either.
//!
//! # Overflow policy
//!
//! The table holds at most `max_pending_requests` entries (16 384 by default, per namespace).
//! A request past that is refused: [`Pending::collect`], [`Pending::replies`] and
//! [`Pending::acks`] return [`Error::TooManyRequests`], which the adapter returns to the
//! caller as an `AdapterError`; nothing is published for it and the pending ones go on.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use rmpv::Value as Mp;
use socketio::adapter::{AckEvent, AckSink};
use socketio::Payload;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::error::Error;

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

struct Entry {
    waiter: Waiter,
    deadline: Instant,
}

#[derive(Default)]
struct Table {
    entries: HashMap<String, Entry>,
    /// The entries by deadline, soonest first.
    deadlines: BTreeSet<(Instant, String)>,
}

impl Table {
    fn insert(&mut self, id: &str, entry: Entry) {
        self.deadlines.insert((entry.deadline, id.to_owned()));
        if let Some(old) = self.entries.insert(id.to_owned(), entry) {
            self.deadlines.remove(&(old.deadline, id.to_owned()));
        }
    }

    fn remove(&mut self, id: &str) -> Option<Waiter> {
        let entry = self.entries.remove(id)?;
        self.deadlines.remove(&(entry.deadline, id.to_owned()));
        Some(entry.waiter)
    }

    /// Removes the entries whose deadline passed.
    fn expire(&mut self, now: Instant) {
        while let Some((deadline, _)) = self.deadlines.first() {
            if *deadline > now {
                break;
            }
            if let Some((_, id)) = self.deadlines.pop_first() {
                self.entries.remove(&id);
            }
        }
    }

    /// The live entry `id` (not past its deadline).
    fn live(&mut self, id: &str, now: Instant) -> Option<&mut Waiter> {
        self.entries
            .get_mut(id)
            .filter(|entry| entry.deadline > now)
            .map(|entry| &mut entry.waiter)
    }
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
pub(crate) struct Pending {
    table: Mutex<Table>,
    limit: usize,
}

impl Pending {
    /// A table of at most `limit` requests.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            table: Mutex::default(),
            limit,
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn register(&self, id: &str, waiter: Waiter, ttl: Duration) -> Result<(), Error> {
        let now = Instant::now();
        let mut table = self.table();
        table.expire(now);
        if table.entries.len() >= self.limit {
            return Err(Error::TooManyRequests(self.limit));
        }
        let deadline = now + ttl;
        table.insert(id, Entry { waiter, deadline });
        Ok(())
    }

    /// Whether `id` is one of this node's requests (how a node recognizes its own echo).
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.table().entries.contains_key(id)
    }

    /// How many requests wait.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table().entries.len()
    }

    /// Registers a request that waits for `expected` answers for `timeout` at most.
    pub(crate) fn collect(
        &self,
        id: &str,
        expected: usize,
        timeout: Duration,
    ) -> Result<oneshot::Receiver<Vec<Mp>>, Error> {
        let (done, rx) = oneshot::channel();
        let collect = Collect {
            expected,
            answers: Vec::with_capacity(expected),
            done: Some(done),
        };
        self.register(id, Waiter::Collect(collect), timeout)?;
        Ok(rx)
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
    pub(crate) fn replies(
        &self,
        id: &str,
        sink: AckSink<Payload>,
        ttl: Duration,
    ) -> Result<(), Error> {
        self.register(id, Waiter::Replies(sink), ttl)
    }

    /// Registers a stream of broadcast ack reports, kept for `ttl`.
    pub(crate) fn acks(
        &self,
        id: &str,
        sink: AckSink<AckEvent>,
        ttl: Duration,
    ) -> Result<(), Error> {
        self.register(id, Waiter::Acks(sink), ttl)
    }

    /// Forgets a request (its message was refused).
    pub(crate) fn forget(&self, id: &str) {
        self.table().remove(id);
    }

    /// One answer to a collecting request; resolves it when it is the last expected one.
    pub(crate) fn answer(&self, id: &str, answer: Mp) {
        let mut table = self.table();
        let Some(Waiter::Collect(collect)) = table.live(id, Instant::now()) else {
            return;
        };
        collect.answers.push(answer);
        if collect.answers.len() < collect.expected {
            return;
        }
        let Some(Waiter::Collect(mut collect)) = table.remove(id) else {
            return;
        };
        let resolved = collect.done.take().map(|done| done.send(collect.answers));
        if let Some(Err(_)) = resolved {
            // The requester stopped waiting (its future was dropped): nobody to tell.
            tracing::debug!(id, "answers came for a request nobody waits for any more");
        }
    }

    /// A server-side emit answer; the sink runs outside the table's lock.
    pub(crate) fn reply(&self, id: &str, answer: Payload) {
        let sink = match self.table().live(id, Instant::now()) {
            Some(Waiter::Replies(sink)) => sink.clone(),
            _ => return,
        };
        sink(answer);
    }

    /// A broadcast ack report; the sink runs outside the table's lock.
    pub(crate) fn ack(&self, id: &str, event: AckEvent) {
        let sink = match self.table().live(id, Instant::now()) {
            Some(Waiter::Acks(sink)) => sink.clone(),
            _ => return,
        };
        sink(event);
    }

    /// Forgets every request (the adapter is closing).
    pub(crate) fn clear(&self) {
        let mut table = self.table();
        table.entries.clear();
        table.deadlines.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const LONG: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn collections_resolve_on_the_last_answer_or_give_what_came() {
        let pending = Pending::new(8);
        let rx = pending.collect("a", 2, LONG).expect("room");
        pending.answer("a", Mp::from(1));
        assert!(pending.contains("a"));
        pending.answer("a", Mp::from(2));
        let got = pending.wait("a", rx, Duration::from_secs(1)).await;
        assert_eq!(got.ok(), Some(vec![Mp::from(1), Mp::from(2)]));
        assert!(!pending.contains("a"));

        let rx = pending.collect("b", 3, LONG).expect("room");
        pending.answer("b", Mp::from(1));
        pending.answer("unknown", Mp::from(9));
        let partial = pending.wait("b", rx, Duration::from_millis(20)).await;
        let partial = partial.expect_err("timed out");
        assert_eq!((partial.answers.len(), partial.expected), (1, 3));
    }

    #[tokio::test(start_paused = true)]
    async fn streams_reach_their_sink_until_their_deadline() {
        let pending = Pending::new(8);
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let sink: AckSink<AckEvent> = Arc::new(move |event| {
            tx.try_send(event).expect("the test reads every event");
        });
        pending
            .acks("c", sink, Duration::from_millis(30))
            .expect("room");
        pending.ack("c", AckEvent::ClientCount(2));
        assert_eq!(rx.recv().await, Some(AckEvent::ClientCount(2)));
        tokio::time::advance(Duration::from_millis(31)).await;
        // Past its deadline: an answer is dropped, and the entry goes with the next request.
        pending.ack("c", AckEvent::ClientCount(3));
        assert!(rx.try_recv().is_err());
        assert!(pending.contains("c"));
        drop(pending.collect("d", 1, LONG).expect("room"));
        assert!(!pending.contains("c"));
    }

    /// The overflow policy: a request past the limit is refused, the pending ones go on, and
    /// room comes back as they end (answered, expired or forgotten).
    #[tokio::test(start_paused = true)]
    async fn requests_past_the_limit_are_refused() {
        let pending = Pending::new(2);
        let first = pending.collect("a", 1, LONG).expect("room");
        let sink: AckSink<Payload> = Arc::new(|_| {});
        pending
            .replies("b", sink.clone(), Duration::from_millis(10))
            .expect("room");
        let refused = pending.collect("c", 1, LONG).expect_err("full");
        assert!(matches!(refused, Error::TooManyRequests(2)), "{refused}");
        assert_eq!(
            refused.to_string(),
            "too many pending requests (2): request refused"
        );
        assert!(pending.replies("c", sink.clone(), LONG).is_err());
        assert_eq!(pending.len(), 2);

        pending.answer("a", Mp::from(1));
        assert_eq!(first.await.ok(), Some(vec![Mp::from(1)]));
        pending
            .replies("c", sink.clone(), LONG)
            .expect("room again");
        tokio::time::advance(Duration::from_millis(11)).await;
        pending.replies("d", sink.clone(), LONG).expect("b expired");
        pending.forget("d");
        pending.replies("e", sink, LONG).expect("d forgotten");
        assert_eq!(pending.len(), 2);
    }
}
