//! The adapter's errors.

use thiserror::Error;

/// The Redis adapter or emitter could not do what was asked.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The Redis client failed: a bad URL, no connection, or an error reply.
    #[error("redis: {0}")]
    Redis(#[from] fred::error::Error),
    /// The connection to Redis is down (or Redis did not answer in time).
    #[error("redis: not connected")]
    Disconnected,
    /// An emitted value could not be serialized.
    #[error("cannot serialize the arguments: {0}")]
    Payload(#[from] socketio::PayloadError),
    /// The event name is reserved (`connect`, `disconnect`, ...).
    #[error("\"{0}\" is a reserved event name")]
    Reserved(String),
}
