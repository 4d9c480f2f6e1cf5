//! The per-connection decoder: text messages start packets, binary messages complete them.
//!
//! Engine.IO delivers a binary packet as its text message followed by one binary message per
//! attachment, and nothing of that connection comes in between. The decoder holds the packet
//! that waits, so a connection needs exactly one.

use bytes::Bytes;
use engineio::packet::Message;

use crate::packet::Packet;
use crate::parser::{decode, ParseError};

#[cfg(test)]
mod tests;

/// Limits and rules of a decoder, whatever the [`Parser`](crate::parser::Parser): a server
/// gives one to [`Parser::decoder`](crate::parser::Parser::decoder) for each connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoderConfig {
    /// The most attachments one packet may announce. Each attachment is a whole Engine.IO
    /// message held until the packet completes, so this bounds the memory of one packet.
    /// With the msgpack parser, the most binaries one packet may hold.
    pub max_attachments: usize,
    /// Whether events named in [`RESERVED_EVENTS`](crate::packet::RESERVED_EVENTS) are an
    /// error, as they are when a server reads a client.
    pub reject_reserved_events: bool,
    /// The deepest nesting of arrays and objects a payload may have. Each level is a
    /// recursion of the parser and of the drop of the parsed value, so this bounds the
    /// stack a peer can make us use. serde_json refuses more than [`MAX_JSON_DEPTH`] levels
    /// whatever this says, and so does the msgpack decoder.
    pub max_json_depth: usize,
}

/// The deepest nesting serde_json parses: its own recursion limit. Deeper payloads are an
/// error even when [`DecoderConfig::max_json_depth`] allows more.
pub const MAX_JSON_DEPTH: usize = 127;

impl Default for DecoderConfig {
    /// Ten attachments, reserved events rejected, [`MAX_JSON_DEPTH`] levels of JSON.
    fn default() -> Self {
        Self {
            max_attachments: 10,
            reject_reserved_events: true,
            max_json_depth: MAX_JSON_DEPTH,
        }
    }
}

/// The result of decoding a text message.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// A packet that needs nothing more.
    Complete(Packet),
    /// A binary packet that waits for its attachments.
    Incomplete(PartialPacket),
}

/// A binary packet whose text is decoded and whose attachments are still to come.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialPacket {
    packet: Packet,
    expected: usize,
    received: Vec<Bytes>,
}

impl PartialPacket {
    /// How many attachments are still missing.
    pub fn remaining(&self) -> usize {
        self.expected.saturating_sub(self.received.len())
    }

    /// A decoded binary packet that announced `expected` attachments.
    pub(crate) fn new(packet: Packet, expected: usize) -> Self {
        // The count is the peer's word, bounded only by the configured limit: reserve little.
        let received = Vec::with_capacity(expected.min(16));
        Self {
            packet,
            expected,
            received,
        }
    }

    /// Adds the next attachment; the packet is complete when it was the last one.
    pub fn push(mut self, attachment: Bytes) -> Decoded {
        self.received.push(attachment);
        self.settle()
    }

    /// Completes the packet once every attachment is in; a count of 0 completes at once.
    pub(crate) fn settle(mut self) -> Decoded {
        if self.received.len() < self.expected {
            return Decoded::Incomplete(self);
        }
        if let Some(payload) = self.packet.payload_mut() {
            payload.set_attachments(self.received);
        }
        Decoded::Complete(self.packet)
    }
}

/// Reassembles the packets of one connection from its Engine.IO messages.
///
/// After an error the decoder is empty again; the error means the peer broke the protocol,
/// so the caller is expected to close the connection.
///
/// ```
/// use bytes::Bytes;
/// use socketio::decoder::Decoder;
/// use socketio::payload::from_payload;
/// use socketio::binary::Binary;
///
/// let mut decoder = Decoder::default();
/// let text = r#"51-["upload",{"_placeholder":true,"num":0}]"#;
/// assert_eq!(decoder.feed_text(text)?, None);
/// assert_eq!(decoder.remaining_attachments(), 1);
/// let packet = decoder.feed_binary(Bytes::from_static(b"\x01\x02"))?.ok_or("incomplete")?;
/// let args = packet.payload().ok_or("not an event")?;
/// let (data,): (Binary,) = from_payload(args)?;
/// assert_eq!(&data[..], b"\x01\x02");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    config: DecoderConfig,
    pending: Option<PartialPacket>,
}

impl Decoder {
    /// A decoder with `config`'s limits and rules.
    pub fn new(config: DecoderConfig) -> Self {
        Self {
            config,
            pending: None,
        }
    }

    /// The limits and rules in use.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// Decodes a text message; `None` when the packet waits for attachments.
    pub fn feed_text(&mut self, text: &str) -> Result<Option<Packet>, ParseError> {
        if self.pending.take().is_some() {
            return Err(ParseError::UnexpectedText);
        }
        Ok(self.settle(decode(text, &self.config)?))
    }

    /// Takes an attachment of the waiting packet; the packet when it was the last one.
    pub fn feed_binary(&mut self, data: Bytes) -> Result<Option<Packet>, ParseError> {
        let partial = self.pending.take().ok_or(ParseError::UnexpectedBinary)?;
        Ok(self.settle(partial.push(data)))
    }

    /// Takes an Engine.IO message of either kind.
    pub fn feed(&mut self, message: Message) -> Result<Option<Packet>, ParseError> {
        match message {
            Message::Text(text) => self.feed_text(text.as_str()),
            Message::Binary(data) => self.feed_binary(data),
        }
    }

    /// How many attachments the waiting packet still needs; 0 when none waits.
    pub fn remaining_attachments(&self) -> usize {
        self.pending.as_ref().map_or(0, PartialPacket::remaining)
    }

    /// Drops a waiting packet, for a connection that goes away mid-packet.
    pub fn reset(&mut self) {
        self.pending = None;
    }

    fn settle(&mut self, decoded: Decoded) -> Option<Packet> {
        match decoded {
            Decoded::Complete(packet) => Some(packet),
            Decoded::Incomplete(partial) => {
                self.pending = Some(partial);
                None
            }
        }
    }
}
