//! Acknowledgements the server waits for.

use std::fmt;

use thiserror::Error;
use tokio::sync::oneshot;

use crate::adapter::AckSink;
use crate::payload::{Payload, PayloadError};

/// Where a client's ACK goes: one emit's waiter, or a broadcast's collector.
pub(crate) enum AckWaiter {
    One(oneshot::Sender<Payload>),
    /// A broadcast from another node: the first argument goes back to it.
    Remote(AckSink<Payload>),
}

impl AckWaiter {
    pub(crate) fn deliver(self, payload: Payload) {
        match self {
            AckWaiter::One(tx) => {
                let _ = tx.send(payload);
            }
            AckWaiter::Remote(sink) => sink(first_arg(&payload)),
        }
    }
}

/// The first argument of an answer, as one value with its attachments.
pub(crate) fn first_arg(payload: &Payload) -> Payload {
    let first = payload.value().get(0).cloned().unwrap_or_default();
    let attachments = payload.attachments().to_vec();
    Payload::new(first.clone(), attachments).unwrap_or_else(|_| Payload::from(first))
}

/// An acknowledgement that did not come.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AckError {
    /// The timeout fired first.
    #[error("operation has timed out")]
    Timeout,
    /// The socket disconnected first.
    #[error("socket has been disconnected")]
    Disconnected,
    /// The answer does not have the expected shape.
    #[error("invalid ack payload: {0}")]
    Payload(#[from] PayloadError),
    /// The event could not be sent.
    #[error(transparent)]
    Emit(#[from] super::emit::EmitError),
}

/// A broadcast's acknowledgements when the timeout fired before every client answered:
/// the answers that did come.
#[derive(Error)]
#[error("operation has timed out")]
pub struct PartialAcks<T> {
    /// The first argument of each answer that came in time.
    pub responses: Vec<T>,
}

impl<T> fmt::Debug for PartialAcks<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartialAcks({} responses)", self.responses.len())
    }
}
