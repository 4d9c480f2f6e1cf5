//! Acknowledgements the server waits for.

use std::fmt;

use thiserror::Error;
use tokio::sync::oneshot;

use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use crate::adapter::{AckEvent, AckSink, AdapterError};
use crate::payload::{from_payload, Payload, PayloadError};

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
    /// The adapter could not publish the event to the other nodes.
    #[error(transparent)]
    Adapter(#[from] AdapterError),
}

/// A broadcast's acknowledgements did not all come, or did not all have the expected shape:
/// the answers that did come and fit, and why the call failed.
///
/// The reference hands back whatever each client answered; a typed call cannot, so an answer
/// that does not deserialize still counts as an answer (the call does not wait for it until
/// the timeout), and the call fails with [`AckError::Payload`] once every client answered.
/// Ask for `serde_json::Value` to get every answer as the reference does.
#[derive(Error)]
#[error("{error}")]
pub struct BroadcastAckError<T> {
    /// The first argument of each answer that came in time and fit the type asked for.
    pub responses: Vec<T>,
    /// Why the call failed: [`AckError::Timeout`] when some client did not answer in time
    /// (whatever else happened), [`AckError::Payload`] for the first answer that did not fit,
    /// [`AckError::Emit`] or [`AckError::Adapter`] when the event could not go out.
    pub error: AckError,
}

impl<T> BroadcastAckError<T> {
    pub(crate) fn new(error: impl Into<AckError>) -> Self {
        Self {
            responses: Vec::new(),
            error: error.into(),
        }
    }
}

impl<T> fmt::Debug for BroadcastAckError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BroadcastAckError({}, {} responses)",
            self.error,
            self.responses.len()
        )
    }
}

/// Counts what a broadcast with acks gets back: how many clients each node sent it to, and
/// their answers. Done when every other node reported and every client answered.
pub(crate) struct AckTally<R> {
    servers: usize,
    reports: usize,
    expected: usize,
    answered: usize,
    responses: Vec<R>,
    invalid: Option<PayloadError>,
}

impl<R: DeserializeOwned> AckTally<R> {
    /// `local` clients of this node, and `servers` other nodes still to report.
    pub(crate) fn new(local: usize, servers: usize) -> Self {
        Self {
            servers,
            reports: 0,
            expected: local,
            answered: 0,
            responses: Vec::with_capacity(local),
            invalid: None,
        }
    }

    fn done(&self) -> bool {
        self.reports >= self.servers && self.answered >= self.expected
    }

    fn take(&mut self, event: AckEvent) {
        match event {
            AckEvent::ClientCount(count) => {
                self.expected += count;
                self.reports += 1;
            }
            AckEvent::Ack(answer) => {
                self.answered += 1;
                match from_payload::<R>(&answer) {
                    Ok(response) => self.responses.push(response),
                    Err(error) => {
                        self.invalid.get_or_insert(error);
                    }
                }
            }
        }
    }

    /// Takes reports until done (or the channel ends).
    pub(crate) async fn collect(&mut self, reports: &mut mpsc::UnboundedReceiver<AckEvent>) {
        while !self.done() {
            match reports.recv().await {
                Some(event) => self.take(event),
                None => break,
            }
        }
    }

    /// The answers, or why the call failed.
    pub(crate) fn finish(self) -> Result<Vec<R>, BroadcastAckError<R>> {
        let error = match (self.done(), self.invalid) {
            (false, _) => AckError::Timeout,
            (true, Some(error)) => AckError::Payload(error),
            (true, None) => return Ok(self.responses),
        };
        Err(BroadcastAckError {
            responses: self.responses,
            error,
        })
    }
}

/// A server-side emit's answers when the timeout fired before every node answered:
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
