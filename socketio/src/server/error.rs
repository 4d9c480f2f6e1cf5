//! The errors of the server layer, and the refusal a connect middleware sends.
//!
//! An expected ending (a client leaving, a disconnect reason) is not an error; these are the
//! calls that could not do what was asked.

use std::fmt;

use serde_json::{json, Value};
use thiserror::Error;

use crate::adapter::AdapterError;
use crate::parser::EncodeError;
use crate::payload::PayloadError;

/// An event could not be emitted.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The event name is reserved (`connect`, `disconnect`, ...).
    #[error("\"{0}\" is a reserved event name")]
    Reserved(String),
    /// The arguments could not be serialized.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The server's parser cannot encode the packet.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The socket is disconnected.
    #[error("socket disconnected")]
    Disconnected,
}

impl EmitError {
    /// Reports an error of a fire-and-forget emit, whose caller gets no `Result`: a client
    /// that went away is expected (a debug line); a reserved name or arguments that do not
    /// serialize are mistakes in the application (an error line, every time).
    pub(crate) fn report(&self, what: &str) {
        match self {
            EmitError::Disconnected => tracing::debug!("{what} not sent: {self}"),
            EmitError::Reserved(_) | EmitError::Payload(_) | EmitError::Encode(_) => {
                tracing::error!("{what} not sent: {self}");
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
    /// The socket already waits for as many acknowledgements as the server allows
    /// (`max_pending_acks`).
    #[error("too many acknowledgements pending for this socket")]
    TooManyPending,
    /// The answer does not have the expected shape.
    #[error("invalid ack payload: {0}")]
    Payload(#[from] PayloadError),
    /// The event could not be sent.
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// The adapter could not publish the event to the other nodes.
    #[error(transparent)]
    Adapter(#[from] AdapterError),
}

/// Answers from many clients or servers did not all come, or did not all fit the type asked
/// for: the answers that did, and why the call failed.
///
/// The reference hands back whatever each client answered; a typed call cannot, so an answer
/// that does not deserialize still counts as an answer (the call does not wait for it until
/// the timeout), and the call fails with [`AckError::Payload`] once every one answered. Ask
/// for `serde_json::Value` to get every answer as the reference does.
#[derive(Error)]
#[error("{error}")]
pub struct PartialAcks<T> {
    /// The first argument of each answer that came in time and fit the type asked for.
    pub responses: Vec<T>,
    /// Why the call failed: [`AckError::Timeout`] when some did not answer in time (whatever
    /// else happened), [`AckError::Payload`] for the first answer that did not fit,
    /// [`AckError::Emit`] or [`AckError::Adapter`] when nothing could go out.
    pub error: AckError,
}

impl<T> PartialAcks<T> {
    /// A call that failed before any answer could come.
    pub(crate) fn none(error: impl Into<AckError>) -> Self {
        Self {
            responses: Vec::new(),
            error: error.into(),
        }
    }
}

impl<T> fmt::Debug for PartialAcks<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PartialAcks({}, {} responses)",
            self.error,
            self.responses.len()
        )
    }
}

/// A refusal from a connect middleware; the client gets CONNECT_ERROR
/// `{"message": ..., "data": ...}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectError {
    /// The error message.
    pub message: String,
    /// Extra data for the client (`err.data`).
    pub data: Option<Value>,
}

impl ConnectError {
    /// A refusal with a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            data: None,
        }
    }

    /// Adds data for the client.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// The CONNECT_ERROR payload of protocol v5.
    pub(crate) fn to_json(&self) -> Value {
        match &self.data {
            Some(data) => json!({ "message": self.message, "data": data }),
            None => json!({ "message": self.message }),
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
