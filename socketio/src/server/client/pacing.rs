//! How a connection slows its client down while the async callbacks its events started are
//! behind.
//!
//! A client's events start their callbacks on the connection's task, and one that awaits goes
//! on as a task of its own, so a client that sends faster than its handlers finish would grow
//! the number of such tasks without bound. Each of them holds a [`Running`] ticket; at
//! [`Config::max_pending_handlers`](crate::server::config::Config) tickets the connection
//! asks its engine session to hold the client's messages ([`EngineSocket::hold_messages`]).
//! Held messages wait in the session under its inbound mark, then the transports stop
//! reading: the client is slowed to the pace of its handlers, and nothing is dropped. When
//! half of them have finished, the last ticket dropped past that point signals the
//! connection, which takes the messages again.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use engineio::server::Socket as EngineSocket;

/// The callbacks running for one connection's events, against their bound.
pub(crate) struct Pacing {
    running: AtomicUsize,
    max: usize,
    /// The engine session holds the client's messages.
    held: AtomicBool,
    engine: EngineSocket,
}

impl Pacing {
    /// At most `max` callbacks running (at least one).
    pub(crate) fn new(engine: EngineSocket, max: usize) -> Arc<Self> {
        Arc::new(Self {
            running: AtomicUsize::new(0),
            max: max.max(1),
            held: AtomicBool::new(false),
            engine,
        })
    }

    /// A ticket for a callback that goes on as a task.
    pub(crate) fn ticket(self: &Arc<Self>) -> Running {
        self.running.fetch_add(1, Ordering::SeqCst);
        Running(self.clone())
    }

    /// How many callbacks run now.
    pub(crate) fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// On the connection's task, after it handled what came: holds the client's messages at
    /// the bound, takes them again once half of the callbacks have finished.
    pub(crate) fn check(&self) {
        if !self.held.load(Ordering::SeqCst) {
            if self.running() < self.max {
                return;
            }
            self.hold(true);
        }
        // Read after the hold is visible: a ticket dropped before it may not have seen it,
        // and then no signal comes.
        if self.running() <= self.resume_at() {
            self.hold(false);
        }
    }

    fn hold(&self, hold: bool) {
        self.held.store(hold, Ordering::SeqCst);
        if let Err(error) = self.engine.hold_messages(hold) {
            // The session is ending: its close delivers what it holds.
            tracing::trace!(%error, hold, "cannot change the hold of a closing session");
        }
    }

    fn resume_at(&self) -> usize {
        self.max / 2
    }
}

/// Held by a callback's task while it runs.
pub(crate) struct Running(Arc<Pacing>);

impl Drop for Running {
    fn drop(&mut self) {
        let pacing = &self.0;
        let before = pacing.running.fetch_sub(1, Ordering::SeqCst);
        // Only the drop that reaches the resume point wakes the connection (its `check` takes
        // the messages again); the others would wake it for nothing.
        if before - 1 == pacing.resume_at() && pacing.held.load(Ordering::SeqCst) {
            if let Err(error) = pacing.engine.signal() {
                tracing::trace!(%error, "no signal for a closing session");
            }
        }
    }
}
