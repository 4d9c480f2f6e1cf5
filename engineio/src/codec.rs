//! How one transport of a session writes and reads packets: the protocol revision it speaks
//! and whether its client takes binary data (it does unless its request carries `b64`).
//!
//! ```
//! use bytes::Bytes;
//! use engineio::codec::{Body, Codec};
//! use engineio::packet::{Packet, Text};
//! use engineio::Protocol;
//!
//! let packets = [Packet::Message(Text::new("hi"))];
//! let v4 = Codec::new(Protocol::V4, true);
//! assert_eq!(v4.encode_payload(&packets), Body::Text("4hi".into()));
//! let v3 = Codec::new(Protocol::V3, true);
//! assert_eq!(v3.encode_payload(&packets), Body::Text("3:4hi".into()));
//! assert_eq!(v3.decode_payload(&Bytes::from_static(b"3:4hi"), false).unwrap(), packets);
//! ```

use bytes::Bytes;

use crate::eio3;
use crate::packet::{Frame, Packet, PacketError};
use crate::payload;
use crate::protocol::Protocol;

/// A polling body, as the codec wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A text body (`text/plain; charset=UTF-8`).
    Text(String),
    /// A binary body (`application/octet-stream`), only in Engine.IO v3.
    Binary(Vec<u8>),
}

impl Body {
    /// The bytes of the body.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Body::Text(text) => text.into_bytes(),
            Body::Binary(bytes) => bytes,
        }
    }

    /// The length of the body in bytes.
    pub fn len(&self) -> usize {
        match self {
            Body::Text(text) => text.len(),
            Body::Binary(bytes) => bytes.len(),
        }
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The packet codec of one transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codec {
    protocol: Protocol,
    binary: bool,
}

impl Codec {
    /// Engine.IO v4 with binary frames: the codec of every current client.
    pub const V4: Codec = Codec {
        protocol: Protocol::V4,
        binary: true,
    };

    /// A codec for `protocol`; `binary` is false when the client asked for base64 (`b64`).
    pub fn new(protocol: Protocol, binary: bool) -> Self {
        Self { protocol, binary }
    }

    /// The protocol revision.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Encodes a packet as one WebSocket frame. A binary message goes as a binary frame, or
    /// as base64 text to a client that asked for it.
    pub fn encode_frame(&self, packet: &Packet) -> Frame {
        match (self.protocol, packet) {
            (Protocol::V3, _) => eio3::packet::encode_frame(packet, self.binary),
            (Protocol::V4, Packet::Binary(_)) if !self.binary => {
                Frame::Text(Bytes::from(payload::encode(std::slice::from_ref(packet))))
            }
            (Protocol::V4, _) => packet.to_frame(),
        }
    }

    /// Decodes a WebSocket frame.
    pub fn decode_frame(&self, frame: Frame) -> Result<Packet, PacketError> {
        match self.protocol {
            Protocol::V3 => eio3::packet::decode_frame(frame),
            Protocol::V4 => Packet::decode_frame(frame),
        }
    }

    /// Encodes the packets of one polling response.
    pub fn encode_payload(&self, packets: &[Packet]) -> Body {
        match self.protocol {
            Protocol::V4 => Body::Text(payload::encode(packets)),
            Protocol::V3 if eio3::payload::needs_binary(packets, self.binary) => {
                Body::Binary(eio3::payload::encode_binary(packets))
            }
            Protocol::V3 => Body::Text(eio3::payload::encode_text(packets)),
        }
    }

    /// Decodes the body of a polling POST; `binary_content` when it came as
    /// `application/octet-stream`, which only Engine.IO v3 clients may send.
    pub fn decode_payload(
        &self,
        body: &Bytes,
        binary_content: bool,
    ) -> Result<Vec<Packet>, PacketError> {
        match (self.protocol, binary_content) {
            (Protocol::V4, false) => payload::decode(body),
            (Protocol::V4, true) => Err(PacketError::UnknownType),
            (Protocol::V3, false) => eio3::payload::decode_text(body),
            (Protocol::V3, true) => eio3::payload::decode_binary(body),
        }
    }

    /// The packets of a polling POST's body as an iterator that stops at the first one that
    /// does not decode. Engine.IO v4 decodes each packet as it is taken, so a body of many
    /// small packets costs no more than the body; a v3 body is decoded whole first (its
    /// length-prefixed records come from legacy clients only).
    pub fn payload_packets(&self, body: &Bytes, binary_content: bool) -> PayloadPackets {
        let decoded = match (self.protocol, binary_content) {
            (Protocol::V4, false) => return PayloadPackets::Lazy(payload::packets(body)),
            (Protocol::V4, true) => Err(PacketError::UnknownType),
            (Protocol::V3, false) => eio3::payload::decode_text(body),
            (Protocol::V3, true) => eio3::payload::decode_binary(body),
        };
        match decoded {
            Ok(packets) => PayloadPackets::Decoded(packets.into_iter()),
            Err(error) => PayloadPackets::Failed(Some(error)),
        }
    }
}

/// The iterator of [`Codec::payload_packets`].
#[derive(Debug)]
pub enum PayloadPackets {
    /// Engine.IO v4: decoded as taken.
    Lazy(payload::Packets),
    /// Engine.IO v3: decoded already.
    Decoded(std::vec::IntoIter<Packet>),
    /// The body did not decode: this error, once.
    Failed(Option<PacketError>),
}

impl Iterator for PayloadPackets {
    type Item = Result<Packet, PacketError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            PayloadPackets::Lazy(packets) => packets.next(),
            PayloadPackets::Decoded(packets) => packets.next().map(Ok),
            PayloadPackets::Failed(error) => error.take().map(Err),
        }
    }
}
