//! Why a session ended.

use std::fmt;

/// The reason a session closed, with the strings the reference server uses.
///
/// These are expected endings, not errors.
///
/// ```
/// use engineio::DisconnectReason;
/// assert_eq!(DisconnectReason::PingTimeout.as_str(), "ping timeout");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The client closed the connection or sent a close packet.
    TransportClose,
    /// The transport failed: a network error, an overlapping poll, an oversized message,
    /// a heartbeat in the wrong direction, or a client too slow to keep up.
    TransportError,
    /// The server closed the session.
    ForcedClose,
    /// No pong arrived within the ping timeout.
    PingTimeout,
    /// The client sent a packet that could not be decoded.
    ParseError,
    /// The server is shutting down.
    ServerShuttingDown,
}

impl DisconnectReason {
    /// The reference server's string for this reason.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::ForcedClose => "forced close",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ServerShuttingDown => "server shutting down",
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::DisconnectReason::*;

    /// The strings engine.io's socket passes to `close` and its transports' errors.
    #[test]
    fn every_reason_has_the_reference_string() {
        let all = [
            (TransportClose, "transport close"),
            (TransportError, "transport error"),
            (ForcedClose, "forced close"),
            (PingTimeout, "ping timeout"),
            (ParseError, "parse error"),
            (ServerShuttingDown, "server shutting down"),
        ];
        for (reason, text) in all {
            assert_eq!(reason.as_str(), text);
            assert_eq!(reason.to_string(), text);
        }
    }
}
