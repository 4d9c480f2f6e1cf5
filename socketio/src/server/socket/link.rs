//! How a socket handle reaches the state its connection owns: commands posted to the
//! connection's inbox, which the connection applies on its own task before it handles the
//! client's next packet.
//!
//! A handler registered in a connection handler is therefore in place before the client's
//! first event is dispatched, and an acknowledgement waiter is in place before the ACK it waits
//! for can arrive (it is posted before its packet is sent).

use std::time::Instant;

use super::handler::{AnyFn, EndFn, ErrorFn, EventFn, ListenerId, MiddlewareFn, Place};
use crate::packet::NamespaceName;
use crate::room::SocketId;
use crate::server::ack::AckWaiter;
use crate::server::error::AckError;
use crate::server::reason::DisconnectReason;

/// A change to one socket's connection-owned state.
pub(crate) enum Op {
    On(String, EventFn),
    Off(String),
    OnAny(ListenerId, AnyFn, Place),
    OffAny(Option<ListenerId>),
    Use(MiddlewareFn),
    OnError(ErrorFn),
    OnDisconnecting(EndFn),
    OnDisconnect(EndFn),
    /// Wait for the ACK with this id (until `expires`, when set).
    ExpectAck {
        id: u64,
        waiter: AckWaiter,
        expires: Option<Instant>,
    },
    /// The socket was disconnected from the server side (its DISCONNECT is sent): finish
    /// leaving, running its disconnect handlers.
    Leave(DisconnectReason),
    /// Disconnect every socket of the connection and close it (`disconnect(true)`).
    CloseAll,
}

/// A command for one socket (the id tells a socket from a later one of the same namespace on
/// the same connection).
pub(crate) struct Command {
    pub(crate) socket: SocketId,
    pub(crate) namespace: NamespaceName,
    pub(crate) op: Op,
}

/// Why a command was not taken.
pub(crate) enum Refused {
    /// The connection is over.
    Closed(Command),
    /// The inbox holds as many commands as it may.
    Full(Command),
}

/// The connection's inbox, as a socket sees it.
pub(crate) trait Link: Send + Sync + 'static {
    /// Posts a command and wakes the connection.
    fn post(&self, command: Command) -> Result<(), Refused>;
}

impl Refused {
    /// Handles a refused command where it was posted: an ack waiter learns why, anything
    /// else is logged (a registration on a socket whose connection is over does nothing).
    pub(crate) fn report(self) {
        match self {
            Refused::Closed(Command {
                op: Op::ExpectAck { waiter, .. },
                ..
            }) => waiter.fail(AckError::Disconnected),
            Refused::Full(Command {
                op: Op::ExpectAck { waiter, .. },
                ..
            }) => waiter.fail(AckError::TooManyPending),
            Refused::Closed(command) => {
                tracing::debug!(socket = %command.socket, "command for a closed connection");
            }
            Refused::Full(command) => {
                tracing::error!(socket = %command.socket, "connection inbox full: command dropped");
            }
        }
    }
}
