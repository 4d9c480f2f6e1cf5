//! The messages a server publishes, on their way to Redis.
//!
//! Publishing never waits for the caller: the adapter's publish-style methods are synchronous
//! (a broadcast must never block its caller's task on Redis), so messages go through a
//! bounded queue to one task, which sends whatever has piled up as one pipeline (one round
//! trip for many messages) and keeps their order.
//!
//! # Overflow policy
//!
//! The queue holds at most [`QueueLimits::messages`] messages and [`QueueLimits::bytes`]
//! bytes (65 536 and 16 MiB by default). A message counts from the moment [`Outbox::push`]
//! takes it until the last copy of its payload is gone: queued here, in the pipeline being
//! sent, or held by the Redis client (while it reconnects it keeps the commands it was given,
//! and a command written to a Redis that stopped answering stays in flight). The payload's
//! buffer owns the two permits that count it, so the limits cover the client's copies too.
//!
//! A message that does not fit is **refused**: [`Outbox::push`] returns
//! [`Error::QueueFull`] (with the last failure of Redis as its cause) and the adapter
//! operation that published it fails with an `AdapterError`; the queued messages keep their
//! place and order. The first refusal of a run is traced at `warn` with its cause, and the
//! number refused when the queue takes messages again.
//!
//! A pipeline that gets no answer within the command timeout is reported failed (traced at
//! `warn`, with the number of messages and the cause) and the task goes on with the next one.
//! Its messages may still reach Redis late (a pipeline already written, or still held by the
//! client while it reconnects), or never: they keep counting against the limits until the
//! client lets go of them.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use fred::clients::Client;
use fred::interfaces::PubsubInterface;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore, TryAcquireError};

use crate::config::QueueLimits;
use crate::error::Error;

/// How many queued messages go out in one pipeline at most.
const MAX_BATCH: usize = 512;

/// What one message costs beyond its channel and payload: the queue's and the client's
/// bookkeeping.
pub(crate) const MESSAGE_OVERHEAD: usize = 256;

/// A message to publish.
pub(crate) struct Outgoing {
    channel: String,
    payload: Bytes,
    sharded: bool,
}

/// A payload and the permits that count it, released when the last copy of the payload
/// (ours or the client's) is dropped.
struct Counted {
    payload: Vec<u8>,
    _permits: (OwnedSemaphorePermit, OwnedSemaphorePermit),
}

impl AsRef<[u8]> for Counted {
    fn as_ref(&self) -> &[u8] {
        &self.payload
    }
}

/// Whether the last command on the publishing connection succeeded, and if not, why.
#[derive(Default)]
pub(crate) struct Health(Mutex<Option<String>>);

impl Health {
    pub(crate) fn failed(&self, cause: &impl std::fmt::Display) {
        *self.lock() = Some(cause.to_string());
    }

    pub(crate) fn succeeded(&self) {
        *self.lock() = None;
    }

    /// The last failure, while no command succeeded since.
    pub(crate) fn last_failure(&self) -> Option<String> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sending side of the queue.
pub(crate) struct Outbox {
    sender: mpsc::Sender<Outgoing>,
    messages: Arc<Semaphore>,
    bytes: Arc<Semaphore>,
    limits: QueueLimits,
    health: Arc<Health>,
    /// Whether the last message was refused, and how many were since the queue last took one.
    refusing: AtomicBool,
    refused: AtomicUsize,
}

impl Outbox {
    /// The queue and its receiving end, for [`publish_loop`].
    pub(crate) fn new(
        limits: QueueLimits,
        health: Arc<Health>,
    ) -> (Self, mpsc::Receiver<Outgoing>) {
        // Every queued message holds a message permit, so the channel is never the one full.
        let (sender, queue) = mpsc::channel(limits.messages);
        let outbox = Self {
            sender,
            messages: Arc::new(Semaphore::new(limits.messages)),
            bytes: Arc::new(Semaphore::new(limits.bytes)),
            limits,
            health,
            refusing: AtomicBool::new(false),
            refused: AtomicUsize::new(0),
        };
        (outbox, queue)
    }

    /// Queues a message for `PUBLISH` (or `SPUBLISH` when `sharded`), or refuses it.
    pub(crate) fn push(
        &self,
        channel: String,
        payload: Vec<u8>,
        sharded: bool,
    ) -> Result<(), Error> {
        let result = self.admit(&channel, payload).and_then(|payload| {
            let message = Outgoing {
                channel,
                payload,
                sharded,
            };
            self.sender.try_send(message).map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => self.full(),
                mpsc::error::TrySendError::Closed(_) => Error::Closed,
            })
        });
        match &result {
            Ok(()) => self.taken(),
            Err(error) => self.refuse(error),
        }
        result
    }

    /// The payload with the permits that count it, if it fits.
    fn admit(&self, channel: &str, payload: Vec<u8>) -> Result<Bytes, Error> {
        let size = channel.len() + payload.len() + MESSAGE_OVERHEAD;
        let cost = u32::try_from(size)
            .ok()
            .filter(|&cost| cost as usize <= self.limits.bytes);
        let Some(cost) = cost else {
            return Err(Error::TooLarge {
                size,
                limit: self.limits.bytes,
            });
        };
        let full = |_: TryAcquireError| self.full();
        let message = self.messages.clone().try_acquire_owned().map_err(full)?;
        let bytes = self
            .bytes
            .clone()
            .try_acquire_many_owned(cost)
            .map_err(full)?;
        Ok(Bytes::from_owner(Counted {
            payload,
            _permits: (message, bytes),
        }))
    }

    fn full(&self) -> Error {
        let (messages, bytes) = self.held();
        Error::QueueFull {
            messages,
            bytes,
            cause: self.health.last_failure(),
        }
    }

    /// Messages and bytes held: queued, being sent, or still held by the client.
    pub(crate) fn held(&self) -> (usize, usize) {
        let messages = self.limits.messages - self.messages.available_permits();
        let bytes = self.limits.bytes - self.bytes.available_permits();
        (messages, bytes)
    }

    fn refuse(&self, error: &Error) {
        self.refused.fetch_add(1, Ordering::Relaxed);
        if !self.refusing.swap(true, Ordering::Relaxed) {
            tracing::warn!(%error, "Redis publish refused; later refusals are counted");
        }
    }

    fn taken(&self) {
        if self.refusing.swap(false, Ordering::Relaxed) {
            let refused = self.refused.swap(0, Ordering::Relaxed);
            tracing::warn!(refused, "the Redis publish queue takes messages again");
        }
    }
}

/// Sends what is queued, a pipeline at a time, in order, until the queue closes.
pub(crate) async fn publish_loop(
    client: Client,
    mut queue: mpsc::Receiver<Outgoing>,
    health: Arc<Health>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        send(&client, batch.drain(..), &health).await;
    }
}

/// One pipeline of `PUBLISH` / `SPUBLISH`; its outcome goes to `health` and, when it failed,
/// to the log.
async fn send(client: &Client, messages: impl Iterator<Item = Outgoing>, health: &Health) {
    let pipeline = client.pipeline();
    let mut count = 0_usize;
    for message in messages {
        count += 1;
        let queued: Result<(), _> = match message.sharded {
            true => pipeline.spublish(message.channel, message.payload).await,
            false => pipeline.publish(message.channel, message.payload).await,
        };
        if let Err(error) = queued {
            tracing::warn!(%error, "cannot queue a Redis publish");
        }
    }
    let results = pipeline.try_all::<fred::types::Value>().await;
    // A pipeline that failed as a whole (a timeout) has one result, its error, for all.
    let whole = results.len() < count;
    let failed: Vec<_> = results.into_iter().filter_map(Result::err).collect();
    match failed.first() {
        None => health.succeeded(),
        Some(error) => {
            health.failed(error);
            let messages = if whole { count } else { failed.len() };
            tracing::warn!(%error, messages, "Redis publish failed");
        }
    }
}
