//! A packet as the map `socket.io-msgpack-parser` sends, in notepack's compact forms.
//!
//! The keys come in the order of the package's README example (`type`, `nsp`, `data`, then
//! `id`); integers take their smallest form and other numbers float64, strings, binaries,
//! arrays and maps the smallest length header, as notepack writes them, so that a packet
//! Node would build with the same key order encodes to the same bytes.

use std::convert::Infallible;

use bytes::Bytes;
use rmp::encode::{self, ByteBuf, RmpWrite, ValueWriteError};
use serde_json::{Number, Value};

use crate::packet::{Packet, PacketKind};
use crate::parser::EncodeError;
use crate::payload::Payload;

/// Encodes `packet` into one message.
pub(super) fn packet(packet: &Packet) -> Result<Bytes, EncodeError> {
    let (kind, id) = match &packet.kind {
        PacketKind::Connect(_) => (0, None),
        PacketKind::Disconnect => (1, None),
        PacketKind::Event { ack, .. } => (2, *ack),
        PacketKind::Ack { id, .. } => (3, Some(*id)),
        PacketKind::ConnectError(_) => (4, None),
    };
    let has_data = !matches!(
        packet.kind,
        PacketKind::Disconnect | PacketKind::Connect(None)
    );
    let binary_len: usize = packet
        .payload()
        .map_or(0, |p| p.attachments().iter().map(Bytes::len).sum());
    let mut out = Writer(ByteBuf::with_capacity(64 + binary_len));
    out.map_len(2 + usize::from(has_data) + usize::from(id.is_some()))?;
    out.str("type")?;
    out.uint(kind);
    out.str("nsp")?;
    out.str(packet.namespace.as_str())?;
    if has_data {
        out.str("data")?;
        out.data(&packet.kind)?;
    }
    if let Some(id) = id {
        out.str("id")?;
        out.uint(id);
    }
    Ok(Bytes::from(out.0.into_vec()))
}

/// A buffer that MessagePack values are written into. Writing into memory cannot fail: the
/// errors `rmp` returns are `Infallible`, matched away in [`written`].
struct Writer(ByteBuf);

impl Writer {
    /// The data of a packet that has some.
    fn data(&mut self, kind: &PacketKind) -> Result<(), EncodeError> {
        match kind {
            PacketKind::Connect(Some(data)) | PacketKind::ConnectError(data) => {
                self.value(data, &[])
            }
            PacketKind::Event { name, args, .. } => self.args(Some(name), args),
            PacketKind::Ack { args, .. } => self.args(None, args),
            PacketKind::Connect(None) | PacketKind::Disconnect => Ok(()),
        }
    }

    /// An argument array, the event name first when there is one; arguments that are not an
    /// array are the only argument, as `Packet::event` would make them.
    fn args(&mut self, name: Option<&str>, args: &Payload) -> Result<(), EncodeError> {
        let items = match args.value() {
            Value::Array(items) => items.as_slice(),
            other => std::slice::from_ref(other),
        };
        self.array_len(usize::from(name.is_some()) + items.len())?;
        if let Some(name) = name {
            self.str(name)?;
        }
        let attachments = args.attachments();
        items
            .iter()
            .try_for_each(|item| self.value(item, attachments))
    }

    /// A JSON value; a placeholder for one of `attachments` is written as its `bin`.
    fn value(&mut self, value: &Value, attachments: &[Bytes]) -> Result<(), EncodeError> {
        match value {
            Value::Null => written(encode::write_nil(&mut self.0).map_err(infallible)),
            Value::Bool(flag) => {
                written(encode::write_bool(&mut self.0, *flag).map_err(infallible))
            }
            Value::Number(number) => self.number(number),
            Value::String(text) => self.str(text)?,
            Value::Array(items) => {
                self.array_len(items.len())?;
                for item in items {
                    self.value(item, attachments)?;
                }
            }
            Value::Object(map) => {
                if let Some(bytes) = attachment(value, attachments) {
                    return self.bin(bytes);
                }
                self.map_len(map.len())?;
                for (key, item) in map {
                    self.str(key)?;
                    self.value(item, attachments)?;
                }
            }
        }
        Ok(())
    }

    fn number(&mut self, number: &Number) {
        if let Some(unsigned) = number.as_u64() {
            self.uint(unsigned);
        } else if let Some(signed) = number.as_i64() {
            written(encode::write_sint(&mut self.0, signed).map(drop));
        } else {
            // Without arbitrary precision, a number that is no integer is an f64.
            let float = number.as_f64().unwrap_or_default();
            written(encode::write_f64(&mut self.0, float));
        }
    }

    fn uint(&mut self, value: u64) {
        written(encode::write_uint(&mut self.0, value).map(drop));
    }

    fn str(&mut self, text: &str) -> Result<(), EncodeError> {
        let len = length("string", text.len())?;
        written(encode::write_str_len(&mut self.0, len).map(drop));
        written(self.0.write_bytes(text.as_bytes()).map_err(infallible));
        Ok(())
    }

    fn bin(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let len = length("binary", bytes.len())?;
        written(encode::write_bin_len(&mut self.0, len).map(drop));
        written(self.0.write_bytes(bytes).map_err(infallible));
        Ok(())
    }

    fn array_len(&mut self, len: usize) -> Result<(), EncodeError> {
        let len = length("array", len)?;
        written(encode::write_array_len(&mut self.0, len).map(drop));
        Ok(())
    }

    fn map_len(&mut self, len: usize) -> Result<(), EncodeError> {
        let len = length("map", len)?;
        written(encode::write_map_len(&mut self.0, len).map(drop));
        Ok(())
    }
}

/// The attachment `value` stands for, if it is one of the payload's placeholders.
fn attachment<'a>(value: &Value, attachments: &'a [Bytes]) -> Option<&'a Bytes> {
    if attachments.is_empty() {
        return None;
    }
    match crate::payload::leaf(value) {
        crate::payload::Leaf::Placeholder(num) => attachments.get(usize::try_from(num).ok()?),
        _ => None,
    }
}

/// A length as MessagePack writes it: 32 bits at most.
fn length(what: &'static str, len: usize) -> Result<u32, EncodeError> {
    u32::try_from(len).map_err(|_| EncodeError::TooLong { what, len })
}

/// A write into memory, which cannot fail.
fn written(result: Result<(), ValueWriteError<Infallible>>) {
    result.unwrap_or_else(|error| match error {
        ValueWriteError::InvalidMarkerWrite(never) | ValueWriteError::InvalidDataWrite(never) => {
            match never {}
        }
    });
}

/// The error of a bare write as the error of a value write.
fn infallible(never: Infallible) -> ValueWriteError<Infallible> {
    match never {}
}
