//! Parsers: how packets become Engine.IO messages and back, as Node's `parser` option.
//!
//! A [`Parser`] is held once for a whole server (an `Arc<dyn Parser>`). It encodes each packet
//! once into an [`EncodedPacket`], whose messages every recipient of a broadcast clones for a
//! reference count, and it makes one [`PacketDecoder`] per connection, with that connection's
//! reassembly state and the limits of a [`DecoderConfig`].
//!
//! - [`JsonParser`], the default: `socket.io-parser`'s text messages with binary attachments
//!   (see [`codec`](crate::codec), [`decode`] and [`Decoder`]);
//! - [`MsgpackParser`](crate::msgpack::MsgpackParser): `socket.io-msgpack-parser`'s one binary
//!   message per packet.
//!
//! A server calls it this way:
//!
//! ```
//! use std::sync::Arc;
//! use socketio::msgpack::MsgpackParser;
//! use socketio::parser::{JsonParser, Parser};
//! use socketio::{DecoderConfig, NamespaceName, Packet};
//!
//! for parser in [Arc::new(JsonParser) as Arc<dyn Parser>, Arc::new(MsgpackParser)] {
//!     // Once per broadcast, whatever the number of recipients.
//!     let packet = Packet::event(NamespaceName::root(), "tick", serde_json::json!([1]).into());
//!     let encoded = parser.encode(&packet)?;
//!     // Once per connection, with the server's limits.
//!     let mut decoder = parser.decoder(DecoderConfig::default());
//!     let mut decoded = None;
//!     for message in encoded.messages() {
//!         decoded = decoder.feed(message)?;
//!     }
//!     assert_eq!(decoded, Some(packet));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::error::Error as StdError;
use std::fmt;

use engineio::packet::Message;
use thiserror::Error;

use crate::codec::{EncodedPacket, MessageKind};
use crate::decoder::{Decoder, DecoderConfig};
use crate::msgpack::FormatError;
use crate::packet::{Packet, PacketType};

mod text;

pub use text::decode;

#[cfg(test)]
mod depth_tests;
#[cfg(test)]
mod tests;

/// Encodes packets into Engine.IO messages and makes the decoders of connections.
///
/// Implementations are shared by every connection of a server: encoding takes `&self`, and
/// what a connection must remember between messages lives in its [`PacketDecoder`].
///
/// A parser of our own, sending each packet as one JSON text message
/// (`{"type":2,"nsp":"/","data":["hi"]}`, as `socket.io-json-parser` does) and refusing
/// binary:
///
/// ```
/// use std::sync::Arc;
/// use engineio::packet::{Message, Text};
/// use serde_json::{json, Value};
/// use socketio::codec::{EncodedPacket, MessageKind};
/// use socketio::parser::{EncodeError, PacketDecoder, ParseError, Parser};
/// use socketio::{DecoderConfig, NamespaceName, Packet, PacketKind};
///
/// #[derive(Debug)]
/// struct ObjectParser;
///
/// impl Parser for ObjectParser {
///     fn encode(&self, packet: &Packet) -> Result<EncodedPacket, EncodeError> {
///         let (kind, data, id) = match &packet.kind {
///             PacketKind::Connect(data) => (0, data.clone(), None),
///             PacketKind::Disconnect => (1, None, None),
///             PacketKind::Event { args, .. } | PacketKind::Ack { args, .. }
///                 if args.has_attachments() =>
///             {
///                 return Err(EncodeError::custom("binary is not supported"));
///             }
///             PacketKind::Event { name, args, ack } => {
///                 let mut data = vec![Value::from(name.as_str())];
///                 data.extend(args.value().as_array().cloned().unwrap_or_default());
///                 (2, Some(Value::Array(data)), *ack)
///             }
///             PacketKind::Ack { id, args } => (3, Some(args.value().clone()), Some(*id)),
///             PacketKind::ConnectError(data) => (4, Some(data.clone()), None),
///         };
///         let nsp = packet.namespace.as_str();
///         let object = json!({"type": kind, "nsp": nsp, "data": data, "id": id});
///         Ok(Message::Text(Text::new(&object.to_string())).into())
///     }
///
///     fn decoder(&self, _config: DecoderConfig) -> Box<dyn PacketDecoder> {
///         Box::new(ObjectDecoder)
///     }
/// }
///
/// /// Each message is a whole packet: nothing to remember between messages.
/// #[derive(Debug)]
/// struct ObjectDecoder;
///
/// impl PacketDecoder for ObjectDecoder {
///     fn feed(&mut self, message: Message) -> Result<Option<Packet>, ParseError> {
///         let Message::Text(text) = message else {
///             return Err(ParseError::UnsupportedMessage(MessageKind::Binary));
///         };
///         let object: Value =
///             serde_json::from_str(text.as_str()).map_err(ParseError::InvalidJson)?;
///         let nsp = object["nsp"].as_str().and_then(|name| NamespaceName::new(name).ok());
///         let nsp = nsp.ok_or(ParseError::InvalidNamespace)?;
///         let (kind, id) = (object["type"].as_u64(), object["id"].as_u64());
///         let kind = match (kind, object["data"].clone(), id) {
///             (Some(0), Value::Null, _) => PacketKind::Connect(None),
///             (Some(0), auth @ Value::Object(_), _) => PacketKind::Connect(Some(auth)),
///             (Some(1), Value::Null, _) => PacketKind::Disconnect,
///             (Some(2), Value::Array(mut data), ack) if !data.is_empty() => {
///                 let Value::String(name) = data.remove(0) else {
///                     return Err(ParseError::custom("an event without a name"));
///                 };
///                 PacketKind::Event { name, args: Value::Array(data).into(), ack }
///             }
///             (Some(3), args @ Value::Array(_), Some(id)) => {
///                 PacketKind::Ack { id, args: args.into() }
///             }
///             (Some(4), data @ (Value::Object(_) | Value::String(_)), _) => {
///                 PacketKind::ConnectError(data)
///             }
///             _ => return Err(ParseError::custom("not a packet object")),
///         };
///         Ok(Some(Packet::new(nsp, kind)))
///     }
/// }
///
/// let parser: Arc<dyn Parser> = Arc::new(ObjectParser);
/// let packet = Packet::event(NamespaceName::new("/chat")?, "hi", json!(["there"]).into());
/// let encoded = parser.encode(&packet)?;
/// let text = encoded.text().map(Text::as_str);
/// assert_eq!(text, Some(r#"{"type":2,"nsp":"/chat","data":["hi","there"],"id":null}"#));
/// let mut decoder = parser.decoder(DecoderConfig::default());
/// assert_eq!(decoder.feed(encoded.first().clone())?, Some(packet));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Parser: fmt::Debug + Send + Sync {
    /// Encodes `packet` into its Engine.IO messages, once for all of its recipients.
    fn encode(&self, packet: &Packet) -> Result<EncodedPacket, EncodeError>;

    /// A decoder for one connection, with `config`'s limits and rules.
    fn decoder(&self, config: DecoderConfig) -> Box<dyn PacketDecoder>;
}

/// The decoding state of one connection: it takes the connection's Engine.IO messages in
/// order and gives back each packet once its last message is in.
///
/// An error means the peer broke the protocol: the caller closes the connection. The decoder
/// is empty again after it.
pub trait PacketDecoder: fmt::Debug + Send {
    /// Takes the next message; the packet it completes, if any.
    fn feed(&mut self, message: Message) -> Result<Option<Packet>, ParseError>;

    /// Forgets a packet that waits for more messages, for a connection that goes away in
    /// the middle of one. Decoders that never wait keep the default, which does nothing.
    fn reset(&mut self) {}
}

/// The default parser, `socket.io-parser`: a text message per packet, followed by one binary
/// message per attachment.
///
/// ```
/// use socketio::parser::{JsonParser, Parser};
/// use socketio::{NamespaceName, Packet};
///
/// let packet = Packet::disconnect(NamespaceName::new("/admin")?);
/// let encoded = JsonParser.encode(&packet)?;
/// assert_eq!(encoded.text().map(|text| text.as_str()), Some("1/admin,"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonParser;

impl Parser for JsonParser {
    fn encode(&self, packet: &Packet) -> Result<EncodedPacket, EncodeError> {
        Ok(packet.encode())
    }

    fn decoder(&self, config: DecoderConfig) -> Box<dyn PacketDecoder> {
        Box::new(Decoder::new(config))
    }
}

impl PacketDecoder for Decoder {
    fn feed(&mut self, message: Message) -> Result<Option<Packet>, ParseError> {
        Decoder::feed(self, message)
    }

    fn reset(&mut self) {
        Decoder::reset(self);
    }
}

/// A packet that a parser cannot encode.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A string, a binary, an array or a map longer than the format can say.
    #[error("{what} of length {len}, longer than the encoding allows")]
    TooLong {
        /// What is too long: `string`, `binary`, `array` or `map`.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// The reason of a parser of the application.
    #[error("{0}")]
    Custom(#[source] Box<dyn StdError + Send + Sync>),
}

impl EncodeError {
    /// An error of a parser of the application.
    pub fn custom(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Custom(error.into())
    }
}

/// A message that is not a valid packet, or a message that came at the wrong time.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The message is empty.
    #[error("empty packet")]
    Empty,
    /// The packet type is missing or not one the parser knows.
    #[error("unknown packet type")]
    UnknownType,
    /// A binary packet without a `<digits>-` attachment count.
    #[error("invalid attachment count")]
    BadAttachmentCount,
    /// A packet announces, or holds, more attachments than the decoder accepts.
    #[error("too many attachments: {count} over a limit of {max}")]
    TooManyAttachments {
        /// The announced count, or the count reached when the decoder stopped.
        count: usize,
        /// The configured limit.
        max: usize,
    },
    /// The ack id is not an integer that fits in 64 bits.
    #[error("invalid ack id")]
    BadAckId,
    /// An ack without the id of the event it answers.
    #[error("ack packet without an id")]
    MissingAckId,
    /// The payload nests arrays and objects deeper than the decoder accepts.
    #[error("payload nested over a limit of {max} levels")]
    TooDeep {
        /// The configured limit.
        max: usize,
    },
    /// The payload is not JSON.
    #[error("invalid json payload: {0}")]
    InvalidJson(#[source] serde_json::Error),
    /// The message is not MessagePack as `socket.io-msgpack-parser` writes it.
    #[error("invalid msgpack: {0}")]
    Msgpack(#[from] FormatError),
    /// The namespace is missing or is not a namespace name.
    #[error("invalid namespace")]
    InvalidNamespace,
    /// The payload does not have the shape its packet type requires.
    #[error("invalid payload for a {0} packet")]
    InvalidPayload(PacketType),
    /// An event named like one the socket uses itself.
    #[error("reserved event name: {0}")]
    ReservedEvent(String),
    /// A placeholder whose `num` is not the index of an announced attachment, or (in a
    /// binary format) an object shaped like a placeholder next to real binaries.
    #[error("attachment placeholder out of range")]
    BadPlaceholder,
    /// A binary message while no packet waits for attachments.
    #[error("binary message while no attachment is expected")]
    UnexpectedBinary,
    /// A text message while a packet still waits for attachments.
    #[error("text message while attachments are expected")]
    UnexpectedText,
    /// A message of a kind the parser never reads (text for the msgpack parser).
    #[error("{0} message, which this parser does not read")]
    UnsupportedMessage(MessageKind),
    /// The reason of a parser of the application.
    #[error("{0}")]
    Custom(#[source] Box<dyn StdError + Send + Sync>),
}

impl ParseError {
    /// An error of a parser of the application.
    pub fn custom(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Custom(error.into())
    }
}
