//! Encoding packets into Engine.IO messages.
//!
//! The default Socket.IO parser writes a packet as one text message,
//! `<type>[<attachments>-][<namespace>,][<ack id>][<json>]`, followed by one binary message
//! per attachment. [`Packet::encode`] does this once into an [`EncodedPacket`] whose parts are
//! shared buffers, so a broadcast encodes once and every recipient clones reference counts.

use bytes::Bytes;
use engineio::packet::{Message, Text};
use serde::Serialize;
use serde_json::Value;

use crate::packet::{Packet, PacketKind};
use crate::payload::Payload;

#[cfg(test)]
mod proptests;

/// A packet encoded for Engine.IO: a text message and its binary attachments.
///
/// Every part is a shared buffer: sending one encoding to many sockets costs a reference
/// count per message and recipient, never a copy of the data.
///
/// ```
/// use socketio::binary::Binary;
/// use socketio::packet::{NamespaceName, Packet};
/// use socketio::payload::to_payload;
///
/// let args = to_payload(&(Binary::from_static(b"\x01\x02"),))?;
/// let encoded = Packet::event(NamespaceName::new("/admin")?, "x", args).encode();
/// assert_eq!(encoded.text().as_str(), r#"51-/admin,["x",{"_placeholder":true,"num":0}]"#);
/// assert_eq!(encoded.messages().count(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedPacket {
    text: Text,
    attachments: Vec<Bytes>,
}

impl EncodedPacket {
    /// The text message; [`Text::frame`] is its WebSocket frame, Engine.IO `4` included.
    pub fn text(&self) -> &Text {
        &self.text
    }

    /// The binary messages that follow the text, in order.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// All the Engine.IO messages of the packet, in sending order; each is a cheap clone.
    pub fn messages(&self) -> impl Iterator<Item = Message> + '_ {
        let text = std::iter::once(Message::Text(self.text.clone()));
        text.chain(self.attachments.iter().cloned().map(Message::Binary))
    }

    /// How many Engine.IO messages the packet takes: the text and one per attachment.
    pub fn message_count(&self) -> usize {
        1 + self.attachments.len()
    }

    /// The text message and the attachments.
    pub fn into_parts(self) -> (Text, Vec<Bytes>) {
        (self.text, self.attachments)
    }
}

impl Packet {
    /// Encodes the packet into its Engine.IO messages.
    ///
    /// ```
    /// use serde_json::json;
    /// use socketio::packet::{NamespaceName, Packet};
    ///
    /// let admin = NamespaceName::new("/admin")?;
    /// let connect = Packet::connect(admin.clone(), Some(json!({"token": "123"})));
    /// assert_eq!(connect.encode().text().as_str(), r#"0/admin,{"token":"123"}"#);
    /// assert_eq!(Packet::disconnect(admin).encode().text().as_str(), "1/admin,");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode(&self) -> EncodedPacket {
        let text = Text::new(&self.encode_text());
        let attachments = self
            .payload()
            .map(|p| p.attachments().to_vec())
            .unwrap_or_default();
        EncodedPacket { text, attachments }
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
