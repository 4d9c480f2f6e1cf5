//! The msgpack parser, wire-compatible with `socket.io-msgpack-parser` 3.x.
//!
//! Each packet is one binary Engine.IO message: a MessagePack map with the keys `type` (0 to
//! 4: there are no binary packet types), `nsp` (always there, `/` included), `data` (when the
//! packet has any) and `id` (an ack id). Binary values are MessagePack `bin` wherever they
//! are, so there are no attachments on the wire; in a decoded packet they are attachments of
//! its [`Payload`](crate::payload::Payload) all the same, so an application sees the same
//! [`Binary`](crate::binary::Binary) values whatever the parser.
//!
//! The official client encodes with notepack.io 2.2, whose MessagePack has quirks of its own;
//! the decoder reads them as a Node server with this parser would, then as `JSON.stringify`
//! would show them to a server with the default parser:
//!
//! | notepack 2.2 writes | for | decoded here as |
//! | --- | --- | --- |
//! | fixext 1, type 0 (`d4 00 00`) | `undefined` | left out of a map, `null` in an array |
//! | ext 8/16/32, type 0 | an `ArrayBuffer` or typed array (Node builds) | a binary |
//! | fixext 8, type 0 | a `Date` (milliseconds, int64) | its ISO text, `null` out of range |
//! | any other extension | `[type, Buffer]` | `[type, binary]` |
//! | `bin` | a `Buffer` | a binary |
//!
//! The encoder writes what notepack reads back the same way: `bin` for binaries, integers in
//! their smallest form, floats as float64, and no `undefined` at all (absent fields are left
//! out, as a Rust value has no `undefined` to send).
//!
//! In a `CONNECT` or `CONNECT_ERROR` packet, which carry JSON without attachments, a binary
//! becomes `{"type":"Buffer","data":[...]}`, the JSON of a Node `Buffer`: what a server with
//! the default parser sees of the same client.
//!
//! ```
//! use bytes::Bytes;
//! use engineio::packet::Message;
//! use socketio::msgpack::MsgpackParser;
//! use socketio::parser::Parser;
//! use socketio::{Binary, DecoderConfig, NamespaceName, Packet, from_payload, to_payload};
//!
//! // The example of the package's README: socket.emit("hello", "you").
//! let readme = b"\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa5hello\xa3you";
//! let hello = Packet::event(NamespaceName::root(), "hello", serde_json::json!(["you"]).into());
//! let encoded = MsgpackParser.encode(&hello)?;
//! assert_eq!(encoded.first(), &Message::Binary(Bytes::from_static(readme)));
//!
//! // Binary anywhere is `bin` in place, and an attachment again once decoded.
//! let args = to_payload(&("photo", Binary::from_static(b"\xff\xd8")))?;
//! let photo = Packet::event(NamespaceName::root(), "upload", args);
//! let mut decoder = MsgpackParser.decoder(DecoderConfig::default());
//! let decoded = decoder.feed(MsgpackParser.encode(&photo)?.first().clone())?;
//! let args = decoded.as_ref().and_then(Packet::payload).ok_or("not an event")?;
//! let (name, data): (String, Binary) = from_payload(args)?;
//! assert_eq!((name.as_str(), &data[..]), ("photo", &b"\xff\xd8"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Where this decoder is stricter than the package (see `docs/architecture.md`): the
//! namespace must be a namespace name (`/`, no `,`), an ack id a non-negative integer, an
//! event's first item a name (a string or a number), an ack must have an id, reserved event
//! names are refused as with the default parser, map keys must be strings, numbers, booleans,
//! `nil` or `undefined`, and an object shaped like a placeholder is refused next to real
//! binaries.

use bytes::Bytes;
use engineio::packet::Message;
use thiserror::Error;

use crate::codec::{EncodedPacket, MessageKind};
use crate::decoder::DecoderConfig;
use crate::packet::Packet;
use crate::parser::{EncodeError, PacketDecoder, ParseError, Parser};

mod date;
mod decode;
mod encode;
mod value;

#[cfg(test)]
mod limit_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod refusal_tests;
#[cfg(test)]
mod tests;

/// The parser of `socket.io-msgpack-parser` 3.x: one binary message per packet.
///
/// Over WebSocket a packet is a binary frame; over long-polling (Engine.IO 4) it is a
/// `b<base64>` record, which is how the official client sends and expects it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MsgpackParser;

impl Parser for MsgpackParser {
    fn encode(&self, packet: &Packet) -> Result<EncodedPacket, EncodeError> {
        let bytes = encode::packet(packet)?;
        Ok(Message::Binary(bytes).into())
    }

    fn decoder(&self, config: DecoderConfig) -> Box<dyn PacketDecoder> {
        Box::new(MsgpackDecoder::new(config))
    }
}

/// The decoder of one connection for the msgpack parser. Every message is a whole packet, so
/// it keeps nothing between messages but its limits.
///
/// Limits: at most [`DecoderConfig::max_attachments`] binaries in a packet, arrays and maps
/// nested at most [`DecoderConfig::max_json_depth`] levels (the data's own array or map is
/// the first; never more than [`MAX_JSON_DEPTH`](crate::decoder::MAX_JSON_DEPTH)). No length
/// the message announces is allocated before its bytes are there: a 5-byte message that
/// announces a 4 GiB string fails at once.
#[derive(Debug, Clone, Default)]
pub struct MsgpackDecoder {
    config: DecoderConfig,
}

impl MsgpackDecoder {
    /// A decoder with `config`'s limits and rules.
    pub fn new(config: DecoderConfig) -> Self {
        Self { config }
    }

    /// The limits and rules in use.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// Decodes one binary message; the binaries of the packet share its buffer.
    pub fn decode(&self, message: &Bytes) -> Result<Packet, ParseError> {
        decode::packet(message, &self.config)
    }
}

impl PacketDecoder for MsgpackDecoder {
    fn feed(&mut self, message: Message) -> Result<Option<Packet>, ParseError> {
        match message {
            Message::Binary(bytes) => self.decode(&bytes).map(Some),
            Message::Text(_) => Err(ParseError::UnsupportedMessage(MessageKind::Text)),
        }
    }
}

/// Bytes that are not MessagePack as notepack.io reads it.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatError {
    /// A value announces more bytes than the message has left.
    #[error("truncated: {needed} bytes announced, {left} left")]
    Truncated {
        /// The bytes the value needs.
        needed: usize,
        /// The bytes left in the message.
        left: usize,
    },
    /// The byte `0xc1`, which MessagePack never uses.
    #[error("reserved marker 0xc1")]
    ReservedMarker,
    /// Bytes after the packet's map.
    #[error("{0} bytes after the packet")]
    TrailingBytes(usize),
    /// A map key that is an array, a map, a binary or an extension.
    #[error("map key of an unsupported type")]
    UnsupportedKey,
}
