//! A packet from its map, with the checks of `socket.io-msgpack-parser`'s decoder (`type` an
//! integer from 0 to 4, `nsp` a string, `data` of the shape the type requires, `id` an
//! integer or absent) and the stricter ones of this crate (see the [module](super) docs).

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::decoder::DecoderConfig;
use crate::msgpack::value::{Binaries, Reader};
use crate::msgpack::FormatError;
use crate::packet::{is_reserved_event, NamespaceName, Packet, PacketKind, PacketType};
use crate::parser::ParseError;
use crate::payload::{leaf, Leaf, Payload};

/// 2^64, past the largest ack id.
const ID_LIMIT: f64 = 18_446_744_073_709_551_616.0;

/// Decodes one message into a packet.
pub(super) fn packet(message: &Bytes, config: &DecoderConfig) -> Result<Packet, ParseError> {
    let mut reader = Reader::new(message, config);
    let fields = Fields::read(&mut reader)?;
    if reader.left() > 0 {
        return Err(FormatError::TrailingBytes(reader.left()).into());
    }
    fields.into_packet(reader.into_binaries(), config)
}

/// The fields of the packet map that the decoder reads (an official client also sends
/// `options`, which is ignored, as is any other key). `undefined` reads as absent.
#[derive(Debug, Default)]
struct Fields {
    kind: Option<Value>,
    nsp: Option<Value>,
    data: Option<Value>,
    id: Option<Value>,
}

impl Fields {
    fn read(reader: &mut Reader<'_>) -> Result<Self, ParseError> {
        // Not a map: `decoded.type` is undefined in the package, "invalid packet type".
        let len = reader.map_len()?.ok_or(ParseError::UnknownType)?;
        let mut fields = Self::default();
        for _ in 0..len {
            let key = reader.key()?;
            reader.start_field(key == "data");
            let value = reader.item(0)?.defined();
            // A later field replaces an earlier one of the same key, as in a JavaScript object.
            match key.as_str() {
                "type" => fields.kind = value,
                "nsp" => fields.nsp = value,
                "data" => fields.data = value,
                "id" => fields.id = value,
                _ => {}
            }
        }
        Ok(fields)
    }

    fn into_packet(self, binaries: Binaries, config: &DecoderConfig) -> Result<Packet, ParseError> {
        let kind = packet_type(self.kind.as_ref())?;
        let namespace = match &self.nsp {
            Some(Value::String(name)) => NamespaceName::new(name).ok(),
            _ => None,
        };
        let namespace = namespace.ok_or(ParseError::InvalidNamespace)?;
        let id = ack_id(self.id.as_ref())?;
        if binaries.placeholder_like && !binaries.list.is_empty() {
            return Err(ParseError::BadPlaceholder);
        }
        let (data, binaries) = match self.data {
            Some(mut data) if binaries.replaced && !binaries.list.is_empty() => {
                let list = renumber(&mut data, &binaries.list);
                (Some(data), Binaries { list, ..binaries })
            }
            data => (data, binaries),
        };
        let kind = packet_kind(kind, data, id, binaries, config)?;
        Ok(Packet::new(namespace, kind))
    }
}

/// What the packet carries, from data of the shape its type requires.
fn packet_kind(
    kind: PacketType,
    data: Option<Value>,
    id: Option<u64>,
    binaries: Binaries,
    config: &DecoderConfig,
) -> Result<PacketKind, ParseError> {
    Ok(match (kind, data) {
        (PacketType::Connect, None) => PacketKind::Connect(None),
        (PacketType::Connect, Some(auth @ Value::Object(_))) => {
            PacketKind::Connect(Some(json_only(auth, &binaries, config)?))
        }
        (PacketType::Disconnect, None) => PacketKind::Disconnect,
        (PacketType::Event, Some(Value::Array(items))) => event(items, id, binaries, config)?,
        (PacketType::Ack, Some(args @ Value::Array(_))) => PacketKind::Ack {
            id: id.ok_or(ParseError::MissingAckId)?,
            args: Payload::from_parts(args, binaries.list),
        },
        (PacketType::ConnectError, Some(data @ (Value::Object(_) | Value::String(_)))) => {
            PacketKind::ConnectError(json_only(data, &binaries, config)?)
        }
        _ => return Err(ParseError::InvalidPayload(kind)),
    })
}

/// The type: an integer from 0 to 4 (an integral float too, as `Number.isInteger` allows).
fn packet_type(value: Option<&Value>) -> Result<PacketType, ParseError> {
    let number = value.and_then(integer).ok_or(ParseError::UnknownType)?;
    Ok(match number {
        0 => PacketType::Connect,
        1 => PacketType::Disconnect,
        2 => PacketType::Event,
        3 => PacketType::Ack,
        4 => PacketType::ConnectError,
        _ => return Err(ParseError::UnknownType),
    })
}

/// The ack id, when there is one. Like the JavaScript decoder, an id on a packet that has no
/// use for it is checked, then ignored.
fn ack_id(value: Option<&Value>) -> Result<Option<u64>, ParseError> {
    value
        .map(|value| integer(value).ok_or(ParseError::BadAckId))
        .transpose()
}

/// A non-negative integer that fits in 64 bits, written as an integer or an integral float.
fn integer(value: &Value) -> Option<u64> {
    let Value::Number(number) = value else {
        return None;
    };
    if let Some(integer) = number.as_u64() {
        return Some(integer);
    }
    let float = number.as_f64().filter(|_| number.is_f64())?;
    // Exact: the value is integral and in range.
    (float.fract() == 0.0 && (0.0..ID_LIMIT).contains(&float)).then_some(float as u64)
}

/// An event from `[name, args...]`: the name is a string, or a number read as its text (the
/// key an `EventEmitter` files it under), as with the default parser.
fn event(
    items: Vec<Value>,
    ack: Option<u64>,
    binaries: Binaries,
    config: &DecoderConfig,
) -> Result<PacketKind, ParseError> {
    let mut items = items.into_iter();
    let name = match items.next() {
        Some(Value::String(name)) => name,
        Some(Value::Number(number)) => number.to_string(),
        _ => return Err(ParseError::InvalidPayload(PacketType::Event)),
    };
    if config.reject_reserved_events && is_reserved_event(&name) {
        return Err(ParseError::ReservedEvent(name));
    }
    let args = Payload::from_parts(Value::Array(items.collect()), binaries.list);
    Ok(PacketKind::Event { name, args, ack })
}

/// The data of a packet without attachments: each binary becomes the JSON of a Node `Buffer`,
/// `{"type":"Buffer","data":[...]}`, two levels deeper than the binary was.
fn json_only(
    mut value: Value,
    binaries: &Binaries,
    config: &DecoderConfig,
) -> Result<Value, ParseError> {
    if binaries.list.is_empty() {
        return Ok(value);
    }
    let max = config.max_json_depth.min(crate::decoder::MAX_JSON_DEPTH);
    if binaries.deepest + 2 > max {
        return Err(ParseError::TooDeep { max });
    }
    inline_buffers(&mut value, &binaries.list);
    Ok(value)
}

/// Replaces each placeholder in `value` with its binary's Buffer JSON. The reader refused the
/// peer's own placeholder-like maps next to binaries, so every placeholder here is one of
/// ours; the depth is bounded by the decoder's limit.
fn inline_buffers(value: &mut Value, binaries: &[Bytes]) {
    if let Leaf::Placeholder(num) = leaf(value) {
        let bytes = usize::try_from(num).ok().and_then(|num| binaries.get(num));
        if let Some(bytes) = bytes {
            let mut buffer = Map::new();
            buffer.insert("type".to_owned(), Value::from("Buffer"));
            buffer.insert("data".to_owned(), Value::from(bytes.to_vec()));
            *value = Value::Object(buffer);
        }
        return;
    }
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| inline_buffers(v, binaries)),
        Value::Object(map) => map.values_mut().for_each(|v| inline_buffers(v, binaries)),
        _ => {}
    }
}

/// Numbers the placeholders of `value` again in their order, and returns the binaries they
/// stand for in that order: those of values a later key replaced are left out. The reader
/// refused the peer's own placeholder-like maps next to binaries, so every placeholder here
/// is one of ours, each the only one of its binary.
fn renumber(value: &mut Value, binaries: &[Bytes]) -> Vec<Bytes> {
    let mut kept = Vec::with_capacity(binaries.len());
    renumber_into(value, binaries, &mut kept);
    kept
}

fn renumber_into(value: &mut Value, binaries: &[Bytes], kept: &mut Vec<Bytes>) {
    if let Leaf::Placeholder(num) = leaf(value) {
        let bytes = usize::try_from(num).ok().and_then(|num| binaries.get(num));
        if let Some(bytes) = bytes {
            *value = serde_json::json!({ "_placeholder": true, "num": kept.len() });
            kept.push(bytes.clone());
        }
        return;
    }
    match value {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| renumber_into(v, binaries, kept)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| renumber_into(v, binaries, kept)),
        _ => {}
    }
}
