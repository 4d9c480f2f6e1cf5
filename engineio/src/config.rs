//! Protocol options, with the reference server's defaults.

use std::time::Duration;

/// A transport of the Engine.IO protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    WebSocket,
}

impl TransportKind {
    /// The name used in the `transport` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Polling => "polling",
            TransportKind::WebSocket => "websocket",
        }
    }

    /// Parses the `transport` query parameter.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "polling" => Some(TransportKind::Polling),
            "websocket" => Some(TransportKind::WebSocket),
            _ => None,
        }
    }
}

/// Options of the protocol core. The defaults are the reference server's.
///
/// ```
/// use engineio::Config;
/// use std::time::Duration;
/// let config = Config { ping_interval: Duration::from_millis(300), ..Config::default() };
/// assert_eq!(config.ping_timeout, Duration::from_secs(20));
/// assert_eq!(config.max_payload, 1_000_000);
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// Time between two server pings (`pingInterval`, 25 s).
    pub ping_interval: Duration,
    /// Time the server waits for a pong after a ping (`pingTimeout`, 20 s).
    pub ping_timeout: Duration,
    /// Time an upgrade may take before it is cancelled (`upgradeTimeout`, 10 s).
    pub upgrade_timeout: Duration,
    /// Largest message or polling body, in bytes, accepted from a client
    /// (`maxHttpBufferSize`, 1 MB).
    pub max_payload: usize,
    /// Whether clients may use long-polling.
    pub polling: bool,
    /// Whether clients may use WebSocket.
    pub websocket: bool,
    /// Whether a polling session may upgrade to WebSocket (`allowUpgrades`).
    pub allow_upgrades: bool,
    /// Packets a session may hold for a client that does not read them. When a client falls
    /// this far behind, its session ends with `transport error` instead of growing without
    /// bound. The reference server has no such limit.
    pub max_buffered_packets: usize,
    /// Whether Engine.IO v3 clients (Socket.IO v2) are served (`allowEIO3`, off).
    pub allow_eio3: bool,
    /// The inbound high-water mark, in messages: a session holds at most this many of the
    /// client's messages that the handler has not taken yet. A transport that reaches it
    /// pauses (a polling POST waits, the WebSocket is not read) until the session's driver
    /// has taken them for the handler; the client is slowed down, never cut off. 1 024; the
    /// reference has no such mark.
    pub max_inbound_messages: usize,
    /// The inbound high-water mark, in bytes of message data, with the same effect as
    /// [`Config::max_inbound_messages`]; one message over it is always taken, so it never
    /// refuses a message within [`Config::max_payload`]. 1 MB.
    pub max_inbound_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            upgrade_timeout: Duration::from_millis(10_000),
            max_payload: 1_000_000,
            polling: true,
            websocket: true,
            allow_upgrades: true,
            max_buffered_packets: 10_000,
            allow_eio3: false,
            max_inbound_messages: 1024,
            max_inbound_bytes: 1_000_000,
        }
    }
}

impl Config {
    /// Whether the transport is enabled.
    pub fn allows(&self, transport: TransportKind) -> bool {
        match transport {
            TransportKind::Polling => self.polling,
            TransportKind::WebSocket => self.websocket,
        }
    }

    /// Whether a session may speak this protocol revision.
    pub fn accepts(&self, protocol: crate::Protocol) -> bool {
        protocol == crate::Protocol::V4 || self.allow_eio3
    }

    /// The transports a session that started on `transport` may upgrade to.
    pub fn upgrades(&self, transport: TransportKind) -> Vec<String> {
        match transport {
            TransportKind::Polling if self.allow_upgrades && self.websocket => {
                vec![TransportKind::WebSocket.as_str().to_owned()]
            }
            _ => Vec::new(),
        }
    }
}
