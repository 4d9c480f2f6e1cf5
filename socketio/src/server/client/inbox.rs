//! The connection's inbox: what other tasks hand to the connection, applied on its own task.
//!
//! Overflow policy: the inbox holds at most [`CAPACITY`] messages not yet applied, or the
//! server's `max_pending_acks` when that is more, so that a burst of emits with an ack can
//! reach that cap before the connection runs (the connection applies the messages whenever
//! it runs, so only a connection whose task cannot keep up with what is posted to it fills
//! the inbox). A command past that is refused where it was posted:
//! an acknowledgement waiter fails with `TooManyPending`, a registration is logged as an
//! error and dropped. The end of a connect flow (its namespace found, its middlewares done)
//! is never refused while the connection is open, so no joining socket is left behind.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use engineio::server::Socket as EngineSocket;
use serde_json::Value;

use crate::packet::NamespaceName;
use crate::recovery::Restored;
use crate::server::error::ConnectError;
use crate::server::namespace::Namespace;
use crate::server::socket::link::{Command, Link, Refused};
use crate::server::socket::Socket;

/// Messages not yet applied, at most (unless `max_pending_acks` is more).
pub(crate) const CAPACITY: usize = 4096;

/// What another task hands to the connection.
pub(crate) enum Message {
    /// A change to one socket's state.
    Socket(Command),
    /// The namespace a CONNECT asked for was looked up (a dynamic parent decided); boxed, as
    /// a refusal is larger than the other messages.
    Resolved(Box<Resolution>),
    /// A session recovery's lookup ended (boxed: a session is much larger than the other
    /// messages).
    Restored(Box<Lookup>),
    /// The connect middlewares of a joining socket decided.
    Admitted { socket: Socket, verdict: Verdict },
}

/// The end of a namespace lookup.
pub(crate) struct Resolution {
    pub(crate) name: NamespaceName,
    pub(crate) auth: Value,
    pub(crate) found: Result<Namespace, ConnectError>,
}

/// The end of a session lookup.
pub(crate) struct Lookup {
    pub(crate) namespace: Namespace,
    pub(crate) auth: Value,
    pub(crate) restored: Option<Restored>,
}

/// How the connect middlewares ended.
pub(crate) enum Verdict {
    Admitted,
    Refused(ConnectError),
    /// A middleware panicked (logged): the connection is closed, as the reference's client
    /// closes on an error thrown while it handles a packet.
    Failed,
}

struct Queue {
    messages: VecDeque<Message>,
    closed: bool,
}

/// The inbox of one connection.
pub(crate) struct Inbox {
    queue: Mutex<Queue>,
    capacity: usize,
    engine: EngineSocket,
}

impl Inbox {
    /// An inbox that holds [`CAPACITY`] messages, or `max_pending_acks` when that is more.
    pub(crate) fn new(engine: EngineSocket, max_pending_acks: usize) -> Self {
        Self {
            queue: Mutex::new(Queue {
                messages: VecDeque::new(),
                closed: false,
            }),
            capacity: CAPACITY.max(max_pending_acks),
            engine,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Posts a message and wakes the connection. `Err` gives the message back when the
    /// connection is over, or when the inbox is full and `bounded`.
    pub(crate) fn push(&self, message: Message, bounded: bool) -> Result<(), Rejected<Message>> {
        self.push_with(message, bounded, |message| message)
    }

    fn push_with<T>(
        &self,
        item: T,
        bounded: bool,
        wrap: impl FnOnce(T) -> Message,
    ) -> Result<(), Rejected<T>> {
        {
            let mut queue = self.lock();
            if queue.closed {
                return Err(Rejected::Closed(item));
            }
            if bounded && queue.messages.len() >= self.capacity {
                return Err(Rejected::Full(item));
            }
            queue.messages.push_back(wrap(item));
        }
        if self.engine.signal().is_err() {
            // The session is ending: the connection applies what is queued when it closes.
            tracing::trace!("inbox message queued for a closing session");
        }
        Ok(())
    }

    /// Everything posted so far, in order.
    pub(crate) fn take(&self) -> VecDeque<Message> {
        std::mem::take(&mut self.lock().messages)
    }

    /// Refuses every later message and returns what is left.
    pub(crate) fn close(&self) -> VecDeque<Message> {
        let mut queue = self.lock();
        queue.closed = true;
        std::mem::take(&mut queue.messages)
    }
}

/// What the inbox did not take, given back.
pub(crate) enum Rejected<T> {
    Closed(T),
    Full(T),
}

impl Link for Inbox {
    fn post(&self, command: Command) -> Result<(), Refused> {
        self.push_with(command, true, Message::Socket)
            .map_err(|rejected| match rejected {
                Rejected::Closed(command) => Refused::Closed(command),
                Rejected::Full(command) => Refused::Full(command),
            })
    }
}
