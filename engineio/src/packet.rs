//! Engine.IO packets and their encoding in a single WebSocket frame.
//!
//! A packet is a type digit followed by its data. Text messages keep their type digit in the
//! shared buffer so that a message encoded once (a broadcast) reaches every WebSocket as the
//! same bytes, without a copy per recipient.

use bytes::{BufMut, Bytes, BytesMut};
use thiserror::Error;

use crate::handshake::OpenPacket;

/// A text message: UTF-8 data shared by reference counting.
///
/// Cloning is cheap. The buffer keeps the `4` type digit in front of the data, so the
/// WebSocket frame of a message is the buffer itself.
///
/// ```
/// use engineio::packet::Text;
/// let text = Text::new("hello");
/// assert_eq!(text.as_str(), "hello");
/// assert_eq!(&text.frame()[..], b"4hello");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Text(Bytes);

impl Text {
    /// Copies `data` once into a new shared buffer.
    pub fn new(data: &str) -> Self {
        let mut buf = BytesMut::with_capacity(data.len() + 1);
        buf.put_u8(b'4');
        buf.put_slice(data.as_bytes());
        Self(buf.freeze())
    }

    /// Wraps an encoded message frame (`4` followed by UTF-8) without copying.
    pub fn from_frame(frame: Bytes) -> Result<Self, PacketError> {
        match frame.first() {
            Some(b'4') => {
                std::str::from_utf8(&frame[1..]).map_err(|_| PacketError::InvalidUtf8)?;
                Ok(Self(frame))
            }
            _ => Err(PacketError::UnknownType),
        }
    }

    /// The message data.
    pub fn as_str(&self) -> &str {
        // The constructors validated the buffer; this check cannot fail.
        std::str::from_utf8(&self.0[1..]).unwrap_or_default()
    }

    /// The message data as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0[1..]
    }

    /// The encoded packet, type digit included: the text of its WebSocket frame.
    pub fn frame(&self) -> Bytes {
        self.0.clone()
    }

    /// Length of the data in bytes.
    pub fn len(&self) -> usize {
        self.0.len() - 1
    }

    /// Whether the data is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<&str> for Text {
    fn from(data: &str) -> Self {
        Self::new(data)
    }
}

impl From<String> for Text {
    fn from(data: String) -> Self {
        Self::new(&data)
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// One Engine.IO packet.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// `0`: the handshake, sent by the server.
    Open(OpenPacket),
    /// `1`: the transport is about to close.
    Close,
    /// `2`: heartbeat request; `2probe` starts an upgrade.
    Ping(Probe),
    /// `3`: heartbeat answer; `3probe` answers the upgrade probe.
    Pong(Probe),
    /// `4`: a text message.
    Message(Text),
    /// A binary message: a binary WebSocket frame, or `b` + base64 in a text packet.
    Binary(Bytes),
    /// `5`: the client switches to the new transport.
    Upgrade,
    /// `6`: nothing, used to release a pending poll during an upgrade.
    Noop,
}

/// Whether a ping or pong is the upgrade probe (`probe` as its data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// A heartbeat.
    No,
    /// Part of the upgrade handshake.
    Yes,
}

/// A packet that could not be decoded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketError {
    /// Empty input where a packet was expected.
    #[error("empty packet")]
    Empty,
    /// The first character is not a packet type.
    #[error("unknown packet type")]
    UnknownType,
    /// Data after a type that takes none, or a ping/pong with data other than `probe`.
    #[error("unexpected packet data")]
    UnexpectedData,
    /// The open packet's JSON is not valid.
    #[error("invalid open packet")]
    InvalidOpen,
    /// A text packet that is not UTF-8.
    #[error("invalid utf-8")]
    InvalidUtf8,
    /// A `b` packet whose base64 does not decode.
    #[error("invalid base64")]
    InvalidBase64,
    /// An Engine.IO v3 payload whose packet length is not a number or does not fit.
    #[error("invalid packet length")]
    InvalidLength,
}

/// A message of either kind, as the layer above sends and receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(Text),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// The message as a packet.
    pub fn into_packet(self) -> Packet {
        match self {
            Message::Text(text) => Packet::Message(text),
            Message::Binary(data) => Packet::Binary(data),
        }
    }

    /// The size of the message data in bytes.
    pub fn len(&self) -> usize {
        match self {
            Message::Text(text) => text.len(),
            Message::Binary(data) => data.len(),
        }
    }

    /// Whether the message data is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One WebSocket frame's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text frame; the bytes are UTF-8.
    Text(Bytes),
    /// A binary frame.
    Binary(Bytes),
}

impl Packet {
    /// The type digit of a text packet, `None` for a binary message.
    pub fn type_digit(&self) -> Option<u8> {
        Some(match self {
            Packet::Open(_) => b'0',
            Packet::Close => b'1',
            Packet::Ping(_) => b'2',
            Packet::Pong(_) => b'3',
            Packet::Message(_) => b'4',
            Packet::Upgrade => b'5',
            Packet::Noop => b'6',
            Packet::Binary(_) => return None,
        })
    }

    /// Encodes the packet as one WebSocket frame.
    pub fn to_frame(&self) -> Frame {
        match self {
            Packet::Message(text) => Frame::Text(text.frame()),
            Packet::Binary(data) => Frame::Binary(data.clone()),
            other => {
                let mut buf = String::new();
                other.write_text(&mut buf);
                Frame::Text(Bytes::from(buf))
            }
        }
    }

    /// Appends the text encoding of a packet that is not binary.
    pub(crate) fn write_text(&self, out: &mut String) {
        match self {
            Packet::Open(open) => {
                out.push('0');
                out.push_str(&open.to_json());
            }
            Packet::Ping(probe) | Packet::Pong(probe) => {
                out.push(char::from(self.type_digit().unwrap_or(b'2')));
                if *probe == Probe::Yes {
                    out.push_str("probe");
                }
            }
            Packet::Message(text) => {
                out.push('4');
                out.push_str(text.as_str());
            }
            Packet::Binary(_) => {}
            other => out.push(char::from(other.type_digit().unwrap_or(b'6'))),
        }
    }

    /// Decodes a text packet: a WebSocket text frame or one packet of a polling payload.
    ///
    /// A text packet starting with `b` is a binary message in base64, on either transport,
    /// as the reference's parser reads it (clients send binary as binary frames on a
    /// WebSocket, but the parser does not tell the transports apart).
    pub fn decode_text(frame: Bytes) -> Result<Packet, PacketError> {
        let (&kind, data) = frame.split_first().ok_or(PacketError::Empty)?;
        if kind == b'b' {
            return decode_base64(data);
        }
        let no_data = |packet| match data.is_empty() {
            true => Ok(packet),
            false => Err(PacketError::UnexpectedData),
        };
        match kind {
            b'0' => OpenPacket::from_json(data).map(Packet::Open),
            b'1' => no_data(Packet::Close),
            b'2' => probe(data).map(Packet::Ping),
            b'3' => probe(data).map(Packet::Pong),
            b'4' => Text::from_frame(frame).map(Packet::Message),
            b'5' => no_data(Packet::Upgrade),
            b'6' => no_data(Packet::Noop),
            _ => Err(PacketError::UnknownType),
        }
    }

    /// Decodes a WebSocket frame.
    pub fn decode_frame(frame: Frame) -> Result<Packet, PacketError> {
        match frame {
            Frame::Text(bytes) => Packet::decode_text(bytes),
            Frame::Binary(bytes) => Ok(Packet::Binary(bytes)),
        }
    }
}

/// The bytes of a binary message written as base64 (after its `b`).
fn decode_base64(data: &[u8]) -> Result<Packet, PacketError> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map(|bytes| Packet::Binary(Bytes::from(bytes)))
        .map_err(|_| PacketError::InvalidBase64)
}

fn probe(data: &[u8]) -> Result<Probe, PacketError> {
    match data {
        b"" => Ok(Probe::No),
        b"probe" => Ok(Probe::Yes),
        _ => Err(PacketError::UnexpectedData),
    }
}

#[cfg(test)]
mod tests;
