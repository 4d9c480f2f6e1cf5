//! The adapter's errors.

use thiserror::Error;

/// The Redis adapter or emitter could not do what was asked.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The Redis client failed: a bad URL, no connection, a command that got no answer within
    /// the command timeout, or an error reply.
    #[error("redis: {0}")]
    Redis(#[from] fred::error::Error),
    /// The last command on the publishing connection failed, so a request that waits for
    /// answers is refused at once rather than left to time out.
    #[error("redis unreachable: {0}")]
    Unreachable(String),
    /// The publish queue holds its limit of messages or bytes: this message is refused (the
    /// queued ones keep their place). `cause` is the last failure of Redis, if any.
    #[error("redis publish queue full ({messages} messages, {bytes} bytes held){}", cause_of(.cause))]
    QueueFull {
        /// Messages held.
        messages: usize,
        /// Bytes held.
        bytes: usize,
        /// Why the queue does not drain, when Redis said so.
        cause: Option<String>,
    },
    /// One message larger than the whole byte limit of the publish queue.
    #[error("redis message of {size} bytes exceeds the publish queue's {limit} bytes")]
    TooLarge {
        /// The message's size (channel and payload).
        size: usize,
        /// The queue's byte limit.
        limit: usize,
    },
    /// As many requests wait for answers as the adapter keeps: this one is refused.
    #[error("too many pending requests ({0}): request refused")]
    TooManyRequests(usize),
    /// The adapter was shut down.
    #[error("the redis adapter is shut down")]
    Closed,
    /// An emitted value could not be serialized.
    #[error("cannot serialize the arguments: {0}")]
    Payload(#[from] socketio::PayloadError),
    /// The event name is reserved (`connect`, `disconnect`, ...).
    #[error("\"{0}\" is a reserved event name")]
    Reserved(String),
}

fn cause_of(cause: &Option<String>) -> String {
    match cause {
        Some(cause) => format!(": Redis last failed with {cause}"),
        None => String::new(),
    }
}

impl Error {
    /// The error as the socketio layer sees it.
    pub(crate) fn to_adapter(&self) -> socketio::adapter::AdapterError {
        socketio::adapter::AdapterError::Transport(self.to_string())
    }
}
