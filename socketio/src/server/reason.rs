//! Why a socket left its namespace.

use std::fmt;

/// The reason a socket disconnected, with the reference server's strings.
///
/// ```
/// use socketio::server::DisconnectReason;
/// assert_eq!(DisconnectReason::ClientNamespaceDisconnect.as_str(), "client namespace disconnect");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The connection was closed by the client (or a close packet).
    TransportClose,
    /// The connection failed, or sent more than allowed.
    TransportError,
    /// No pong in time.
    PingTimeout,
    /// The client sent an Engine.IO packet that could not be decoded.
    ParseError,
    /// The connection was closed by the server, e.g. after a Socket.IO packet that could not
    /// be decoded, or a packet out of order while its transport could close at once.
    ForcedClose,
    /// The connection joined no namespace in time, or sent a packet out of order while its
    /// close had to wait for the client's next poll.
    ForcedServerClose,
    /// The server is shutting down.
    ServerShuttingDown,
    /// The client left the namespace.
    ClientNamespaceDisconnect,
    /// The server disconnected the socket.
    ServerNamespaceDisconnect,
}

impl DisconnectReason {
    /// The reference server's string.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ForcedClose => "forced close",
            DisconnectReason::ForcedServerClose => "forced server close",
            DisconnectReason::ServerShuttingDown => "server shutting down",
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
        }
    }
}

impl DisconnectReason {
    /// Whether a client that left for this reason can come back with its session, with
    /// connection state recovery on (the reference's `RECOVERABLE_DISCONNECT_REASONS`): every
    /// reason but a parse error and a disconnect someone asked for.
    pub fn is_recoverable(self) -> bool {
        !matches!(
            self,
            DisconnectReason::ParseError
                | DisconnectReason::ClientNamespaceDisconnect
                | DisconnectReason::ServerNamespaceDisconnect
        )
    }
}

impl From<engineio::DisconnectReason> for DisconnectReason {
    fn from(reason: engineio::DisconnectReason) -> Self {
        match reason {
            engineio::DisconnectReason::TransportClose => DisconnectReason::TransportClose,
            engineio::DisconnectReason::PingTimeout => DisconnectReason::PingTimeout,
            engineio::DisconnectReason::ParseError => DisconnectReason::ParseError,
            engineio::DisconnectReason::ForcedClose => DisconnectReason::ForcedClose,
            engineio::DisconnectReason::ServerShuttingDown => DisconnectReason::ServerShuttingDown,
            _ => DisconnectReason::TransportError,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
