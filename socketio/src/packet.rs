//! The Socket.IO packet model: a namespace and what the packet carries.
//!
//! The model has no "binary" packet kinds: an event or an ack whose payload has attachments
//! is sent as `BINARY_EVENT` or `BINARY_ACK` by the encoder, and the decoder folds those back
//! into [`PacketKind::Event`] and [`PacketKind::Ack`]. So a packet can never disagree with its
//! own attachments.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;
use thiserror::Error;

use crate::payload::Payload;

#[cfg(test)]
pub(crate) mod strategy;

/// Event names that have a meaning of their own on a socket and that a client may not emit.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Whether `name` is one of the [`RESERVED_EVENTS`], which the server rejects from a client.
///
/// ```
/// assert!(socketio::packet::is_reserved_event("disconnect"));
/// assert!(!socketio::packet::is_reserved_event("chat message"));
/// ```
pub fn is_reserved_event(name: &str) -> bool {
    RESERVED_EVENTS.contains(&name)
}

/// The type digit that starts an encoded packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// `0`: connection to a namespace, or its acceptance.
    Connect = 0,
    /// `1`: disconnection from a namespace.
    Disconnect = 1,
    /// `2`: an event without attachments.
    Event = 2,
    /// `3`: an acknowledgement without attachments.
    Ack = 3,
    /// `4`: refusal of a connection to a namespace.
    ConnectError = 4,
    /// `5`: an event followed by binary attachments.
    BinaryEvent = 5,
    /// `6`: an acknowledgement followed by binary attachments.
    BinaryAck = 6,
}

impl PacketType {
    /// The type of an ASCII digit, `None` for anything else.
    ///
    /// ```
    /// use socketio::packet::PacketType;
    /// assert_eq!(PacketType::from_digit(b'5'), Some(PacketType::BinaryEvent));
    /// assert_eq!(PacketType::from_digit(b'7'), None);
    /// ```
    pub fn from_digit(digit: u8) -> Option<Self> {
        Some(match digit {
            b'0' => Self::Connect,
            b'1' => Self::Disconnect,
            b'2' => Self::Event,
            b'3' => Self::Ack,
            b'4' => Self::ConnectError,
            b'5' => Self::BinaryEvent,
            b'6' => Self::BinaryAck,
            _ => return None,
        })
    }

    /// The ASCII digit of this type.
    pub fn digit(self) -> u8 {
        b'0' + self as u8
    }

    /// Whether packets of this type are followed by attachments.
    pub fn is_binary(self) -> bool {
        matches!(self, Self::BinaryEvent | Self::BinaryAck)
    }

    fn name(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Disconnect => "disconnect",
            Self::Event => "event",
            Self::Ack => "ack",
            Self::ConnectError => "connect_error",
            Self::BinaryEvent => "binary_event",
            Self::BinaryAck => "binary_ack",
        }
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A namespace name that can be written in a packet: it starts with `/` and has no `,`.
///
/// The comma ends the namespace in the encoding, so one inside a name would make the packet
/// decode differently. Cloning is cheap: the name is shared.
///
/// ```
/// use socketio::packet::NamespaceName;
/// assert_eq!(NamespaceName::new("/admin").map(|n| n.is_root()), Ok(false));
/// assert!(NamespaceName::new("admin").is_err());
/// assert!(NamespaceName::default().is_root());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NamespaceName(Arc<str>);

/// A namespace name that cannot be written in a packet.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NamespaceError {
    /// The name does not start with `/`.
    #[error("namespace must start with '/'")]
    MissingSlash,
    /// The name contains a `,`, which ends a namespace in the encoding.
    #[error("namespace must not contain ','")]
    Comma,
}

impl NamespaceName {
    /// Checks and wraps a namespace name.
    pub fn new(name: &str) -> Result<Self, NamespaceError> {
        if !name.starts_with('/') {
            return Err(NamespaceError::MissingSlash);
        }
        if name.contains(',') {
            return Err(NamespaceError::Comma);
        }
        Ok(Self(Arc::from(name)))
    }

    /// The main namespace, `/`.
    pub fn root() -> Self {
        Self(Arc::from("/"))
    }

    /// Wraps a name the decoder read: it starts with `/` and stops before any `,`.
    pub(crate) fn from_wire(name: &str) -> Self {
        Self(Arc::from(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the main namespace, which the encoding leaves out.
    pub fn is_root(&self) -> bool {
        &*self.0 == "/"
    }
}

impl Default for NamespaceName {
    fn default() -> Self {
        Self::root()
    }
}

impl TryFrom<&str> for NamespaceName {
    type Error = NamespaceError;

    fn try_from(name: &str) -> Result<Self, NamespaceError> {
        Self::new(name)
    }
}

impl AsRef<str> for NamespaceName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for NamespaceName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for NamespaceName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for NamespaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for NamespaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a packet carries; each kind holds exactly the data its packet type allows.
#[derive(Debug, Clone, PartialEq)]
pub enum PacketKind {
    /// `CONNECT`: from a client, its optional `auth` object; from the server, `{"sid": ...}`.
    Connect(Option<Value>),
    /// `DISCONNECT`: leaves the namespace.
    Disconnect,
    /// `EVENT` or `BINARY_EVENT`.
    Event {
        /// The event name, the first element of the encoded array.
        name: String,
        /// The arguments: a payload whose value is an array (any other value is sent as the
        /// only argument).
        args: Payload,
        /// The id the receiver acknowledges with, when the sender wants an answer.
        ack: Option<u64>,
    },
    /// `ACK` or `BINARY_ACK`.
    Ack {
        /// The id of the acknowledged event.
        id: u64,
        /// The answer's arguments: a payload whose value is an array (any other value is sent
        /// as the only argument).
        args: Payload,
    },
    /// `CONNECT_ERROR`: an object (usually `{"message": ...}`) or a string.
    ConnectError(Value),
}

/// A Socket.IO packet: a namespace and what the packet carries.
///
/// ```
/// use serde_json::json;
/// use socketio::packet::{NamespaceName, Packet, PacketType};
///
/// let packet = Packet::event(NamespaceName::root(), "hello", json!([1]).into());
/// assert_eq!(packet.packet_type(), PacketType::Event);
/// assert_eq!(packet.encode_text(), r#"2["hello",1]"#);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// The namespace the packet belongs to.
    pub namespace: NamespaceName,
    /// The packet kind and its data.
    pub kind: PacketKind,
}

impl Packet {
    /// A packet of `kind` in `namespace`.
    pub fn new(namespace: NamespaceName, kind: PacketKind) -> Self {
        Self { namespace, kind }
    }

    /// A `CONNECT` packet with an optional payload (`auth` or `{"sid": ...}`).
    pub fn connect(namespace: NamespaceName, data: Option<Value>) -> Self {
        Self::new(namespace, PacketKind::Connect(data))
    }

    /// A `DISCONNECT` packet.
    pub fn disconnect(namespace: NamespaceName) -> Self {
        Self::new(namespace, PacketKind::Disconnect)
    }

    /// An event without an ack id; `args` that is not an array becomes the only argument.
    pub fn event(namespace: NamespaceName, name: impl Into<String>, args: Payload) -> Self {
        let name = name.into();
        let args = args.into_args();
        Self::new(
            namespace,
            PacketKind::Event {
                name,
                args,
                ack: None,
            },
        )
    }

    /// An ack for event `id`; `args` that is not an array becomes the only argument.
    pub fn ack(namespace: NamespaceName, id: u64, args: Payload) -> Self {
        let args = args.into_args();
        Self::new(namespace, PacketKind::Ack { id, args })
    }

    /// A `CONNECT_ERROR` packet with the `{"message": ...}` object the clients expect.
    pub fn connect_error(namespace: NamespaceName, message: &str) -> Self {
        let data = serde_json::json!({ "message": message });
        Self::new(namespace, PacketKind::ConnectError(data))
    }

    /// The type the encoder writes: binary when the payload has attachments.
    pub fn packet_type(&self) -> PacketType {
        match &self.kind {
            PacketKind::Connect(_) => PacketType::Connect,
            PacketKind::Disconnect => PacketType::Disconnect,
            PacketKind::ConnectError(_) => PacketType::ConnectError,
            PacketKind::Event { args, .. } if args.has_attachments() => PacketType::BinaryEvent,
            PacketKind::Event { .. } => PacketType::Event,
            PacketKind::Ack { args, .. } if args.has_attachments() => PacketType::BinaryAck,
            PacketKind::Ack { .. } => PacketType::Ack,
        }
    }

    /// The payload of an event or an ack.
    pub fn payload(&self) -> Option<&Payload> {
        match &self.kind {
            PacketKind::Event { args, .. } | PacketKind::Ack { args, .. } => Some(args),
            _ => None,
        }
    }

    pub(crate) fn payload_mut(&mut self) -> Option<&mut Payload> {
        match &mut self.kind {
            PacketKind::Event { args, .. } | PacketKind::Ack { args, .. } => Some(args),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_digits_round_trip() {
        for digit in b'0'..=b'6' {
            let kind = PacketType::from_digit(digit);
            assert_eq!(kind.map(PacketType::digit), Some(digit));
        }
        assert_eq!(PacketType::from_digit(b'/'), None);
        assert_eq!(PacketType::BinaryAck.to_string(), "binary_ack");
    }

    #[test]
    fn namespace_rules() {
        assert_eq!(NamespaceName::new("a"), Err(NamespaceError::MissingSlash));
        assert_eq!(NamespaceName::new(""), Err(NamespaceError::MissingSlash));
        assert_eq!(NamespaceName::new("/a,b"), Err(NamespaceError::Comma));
        assert_eq!(NamespaceName::new("/"), Ok(NamespaceName::root()));
        assert_eq!(
            NamespaceName::try_from("/chat").map(|n| n == "/chat"),
            Ok(true)
        );
    }

    #[test]
    fn reserved_events() {
        for name in RESERVED_EVENTS {
            assert!(is_reserved_event(name));
        }
        assert!(!is_reserved_event("Connect"));
        assert!(!is_reserved_event(""));
    }

    #[test]
    fn constructors_make_argument_arrays() {
        let packet = Packet::event(NamespaceName::root(), "x", serde_json::json!("one").into());
        let args = packet.payload().map(Payload::value);
        assert_eq!(args, Some(&serde_json::json!(["one"])));
        let packet = Packet::ack(NamespaceName::root(), 3, serde_json::json!([1, 2]).into());
        assert_eq!(
            packet.payload().map(Payload::value),
            Some(&serde_json::json!([1, 2]))
        );
    }
}
