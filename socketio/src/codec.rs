//! Encoding packets into Engine.IO messages.
//!
//! The default Socket.IO parser writes a packet as one text message,
//! `<type>[<attachments>-][<namespace>,][<ack id>][<json>]`, followed by one binary message
//! per attachment. [`Packet::encode`] does this once into an [`EncodedPacket`] whose messages
//! are shared buffers, so a broadcast encodes once and every recipient clones reference counts.
//! Other parsers (see [`parser`](crate::parser)) make an [`EncodedPacket`] of their own.

use engineio::packet::{Message, Text};
use serde::Serialize;
use serde_json::Value;

use crate::packet::{Packet, PacketKind};
use crate::payload::Payload;

#[cfg(test)]
mod proptests;

/// The kind of an Engine.IO message: what a transport must be able to carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A text message (`4<text>`).
    Text,
    /// A binary message (a binary WebSocket frame, `b<base64>` over polling).
    Binary,
}

impl MessageKind {
    /// The kind of `message`.
    pub fn of(message: &Message) -> Self {
        match message {
            Message::Text(_) => Self::Text,
            Message::Binary(_) => Self::Binary,
        }
    }
}

impl std::fmt::Display for MessageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Text => "text",
            Self::Binary => "binary",
        })
    }
}

/// A packet encoded for Engine.IO: the messages a [`Parser`](crate::parser::Parser) made of
/// it, in sending order.
///
/// Every message is a shared buffer: sending one encoding to many sockets costs a reference
/// count per message and recipient, never a copy of the data. The default parser writes a
/// text message followed by one binary message per attachment; the msgpack parser one binary
/// message.
///
/// ```
/// use socketio::binary::Binary;
/// use socketio::codec::MessageKind;
/// use socketio::packet::{NamespaceName, Packet};
/// use socketio::payload::to_payload;
///
/// let args = to_payload(&(Binary::from_static(b"\x01\x02"),))?;
/// let encoded = Packet::event(NamespaceName::new("/admin")?, "x", args).encode();
/// let text = encoded.text().map(|text| text.as_str());
/// assert_eq!(text, Some(r#"51-/admin,["x",{"_placeholder":true,"num":0}]"#));
/// let kinds: Vec<MessageKind> = encoded.kinds().collect();
/// assert_eq!(kinds, [MessageKind::Text, MessageKind::Binary]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedPacket {
    first: Message,
    rest: Vec<Message>,
}

impl EncodedPacket {
    /// A packet encoded as `first` and then the `rest` of its messages.
    pub fn new(first: Message, rest: Vec<Message>) -> Self {
        Self { first, rest }
    }

    /// The first message; for the default parser, the text of the packet.
    pub fn first(&self) -> &Message {
        &self.first
    }

    /// The text of the packet when its first message is text, as with the default parser;
    /// [`Text::frame`] is its WebSocket frame, Engine.IO `4` included.
    pub fn text(&self) -> Option<&Text> {
        match &self.first {
            Message::Text(text) => Some(text),
            Message::Binary(_) => None,
        }
    }

    /// All the Engine.IO messages of the packet, in sending order; each is a cheap clone.
    pub fn messages(&self) -> impl Iterator<Item = Message> + '_ {
        std::iter::once(&self.first).chain(&self.rest).cloned()
    }

    /// The kind of each message, in sending order.
    pub fn kinds(&self) -> impl Iterator<Item = MessageKind> + '_ {
        std::iter::once(&self.first)
            .chain(&self.rest)
            .map(MessageKind::of)
    }

    /// How many Engine.IO messages the packet takes.
    pub fn message_count(&self) -> usize {
        1 + self.rest.len()
    }

    /// Whether any message is binary: what a transport that carries only text (Engine.IO 3
    /// polling without binary support) could not send as it is.
    pub fn has_binary(&self) -> bool {
        self.kinds().any(|kind| kind == MessageKind::Binary)
    }
}

impl From<Message> for EncodedPacket {
    /// A packet encoded as one message.
    fn from(message: Message) -> Self {
        Self::new(message, Vec::new())
    }
}

impl Packet {
    /// Encodes the packet into its Engine.IO messages with the default parser: what
    /// [`JsonParser`](crate::parser::JsonParser) does.
    ///
    /// ```
    /// use serde_json::json;
    /// use socketio::packet::{NamespaceName, Packet};
    ///
    /// let admin = NamespaceName::new("/admin")?;
    /// let connect = Packet::connect(admin.clone(), Some(json!({"token": "123"})));
    /// assert_eq!(connect.encode_text(), r#"0/admin,{"token":"123"}"#);
    /// assert_eq!(Packet::disconnect(admin).encode_text(), "1/admin,");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode(&self) -> EncodedPacket {
        let text = Message::Text(Text::new(&self.encode_text()));
        let attachments = self.payload().map_or(&[][..], Payload::attachments);
        let attachments = attachments.iter().cloned().map(Message::Binary).collect();
        EncodedPacket::new(text, attachments)
    }

    /// The text message of the packet alone.
    pub fn encode_text(&self) -> String {
        let mut out = Vec::with_capacity(64);
        self.write_header(&mut out);
        match &self.kind {
            PacketKind::Connect(data) => data.iter().for_each(|data| write_json(&mut out, data)),
            PacketKind::Disconnect => {}
            PacketKind::Event { name, args, .. } => write_args(&mut out, Some(name), args),
            PacketKind::Ack { args, .. } => write_args(&mut out, None, args),
            PacketKind::ConnectError(data) => write_json(&mut out, data),
        }
        // Only ASCII and serde_json output went in, so the bytes are UTF-8; the lossy
        // conversion keeps this total without a panic path.
        String::from_utf8(out)
            .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
    }

    /// Writes everything before the JSON: type, attachment count, namespace and ack id.
    fn write_header(&self, out: &mut Vec<u8>) {
        let kind = self.packet_type();
        out.push(kind.digit());
        if kind.is_binary() {
            let count = self.payload().map_or(0, |p| p.attachments().len());
            out.extend_from_slice(count.to_string().as_bytes());
            out.push(b'-');
        }
        if !self.namespace.is_root() {
            out.extend_from_slice(self.namespace.as_str().as_bytes());
            out.push(b',');
        }
        let id = match &self.kind {
            PacketKind::Event { ack, .. } => *ack,
            PacketKind::Ack { id, .. } => Some(*id),
            _ => None,
        };
        if let Some(id) = id {
            out.extend_from_slice(id.to_string().as_bytes());
        }
    }
}

/// Writes an argument array, with the event name first when there is one. Arguments that
/// are not an array are written as the only argument, as `Packet::event` would make them.
fn write_args(out: &mut Vec<u8>, name: Option<&str>, args: &Payload) {
    let args = match args.value() {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    out.push(b'[');
    let mut first = true;
    if let Some(name) = name {
        write_json(out, name);
        first = false;
    }
    for arg in args {
        if !first {
            out.push(b',');
        }
        write_json(out, arg);
        first = false;
    }
    out.push(b']');
}

/// Appends the JSON text of `value`.
fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // serde_json fails only on a failing writer or a map with non-string keys; a `Vec` and a
    // `Value` or `str` have neither, so this branch is dead but keeps encoding total.
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.extend_from_slice(b"null");
    }
}
