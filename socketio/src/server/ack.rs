//! Acknowledgements the server waits for.

use std::fmt;

use thiserror::Error;
use tokio::sync::{mpsc, oneshot};

use crate::payload::{Payload, PayloadError};
use crate::room::SocketId;

/// Where a client's ACK goes: one emit's waiter, or a broadcast's collector.
pub(crate) enum AckWaiter {
    One(oneshot::Sender<Payload>),
    Many(mpsc::UnboundedSender<(SocketId, Payload)>),
}

impl AckWaiter {
    pub(crate) fn deliver(self, socket: &SocketId, payload: Payload) {
        match self {
            AckWaiter::One(tx) => {
                let _ = tx.send(payload);
            }
            AckWaiter::Many(tx) => {
                let _ = tx.send((socket.clone(), payload));
            }
        }
    }
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
    Emit(#[from] super::socket::EmitError),
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
