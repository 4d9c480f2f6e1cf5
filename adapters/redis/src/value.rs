//! Values on the Redis wire: MessagePack as notepack.io writes and reads it, and JSON as
//! `JSON.stringify` writes it.
//!
//! Everything a message carries goes through one model, [`rmpv::Value`], because it has a
//! binary type: a payload's placeholders become `bin` values on the way out and attachments
//! again on the way in. In JSON (where Node writes what `JSON.stringify` makes of a Buffer) a
//! binary value becomes `{"type":"Buffer","data":[...]}`, lossy as it is in Node.

use bytes::Bytes;
use rmpv::Value as Mp;
use serde_json::{Map, Number, Value as Json};
use socketio::Payload;

/// How deep a received MessagePack value may nest: deeper ones are refused rather than walked
/// (every walk here recurses). Socket.IO's own JSON parser stops at 128.
const MAX_DEPTH: usize = 256;

/// 2^63: integral floats below this become MessagePack integers, as in notepack.
const INTEGER_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// A JSON number as notepack writes a JS number: an integer when it is integral (notepack never
/// writes an integral float), a float64 otherwise.
fn number_to_mp(number: &Number) -> Mp {
    if let Some(unsigned) = number.as_u64() {
        return Mp::from(unsigned);
    }
    if let Some(signed) = number.as_i64() {
        return Mp::from(signed);
    }
    let float = number.as_f64().unwrap_or_default();
    if float.fract() == 0.0 && float.abs() < INTEGER_LIMIT {
        // Exact: the value is integral and in range.
        return match float >= 0.0 {
            true => Mp::from(float as u64),
            false => Mp::from(float as i64),
        };
    }
    Mp::F64(float)
}

/// The attachment a `{"_placeholder":true,"num":N}` object stands for, if it is one.
fn placeholder<'a>(map: &Map<String, Json>, attachments: &'a [Bytes]) -> Option<&'a Bytes> {
    if map.get("_placeholder") != Some(&Json::Bool(true)) {
        return None;
    }
    let num = map.get("num")?.as_u64()?;
    attachments.get(usize::try_from(num).ok()?)
}

/// JSON with placeholders into `attachments` as a MessagePack value: placeholders become `bin`.
/// A placeholder-like object without its attachment stays an object, as the encoder sends it.
pub(crate) fn json_to_mp(value: &Json, attachments: &[Bytes]) -> Mp {
    match value {
        Json::Null => Mp::Nil,
        Json::Bool(flag) => Mp::Boolean(*flag),
        Json::Number(number) => number_to_mp(number),
        Json::String(text) => Mp::from(text.as_str()),
        Json::Array(items) => Mp::Array(items.iter().map(|v| json_to_mp(v, attachments)).collect()),
        Json::Object(map) => match placeholder(map, attachments) {
            Some(bytes) => Mp::Binary(bytes.to_vec()),
            None => Mp::Map(
                map.iter()
                    .map(|(key, v)| (Mp::from(key.as_str()), json_to_mp(v, attachments)))
                    .collect(),
            ),
        },
    }
}

/// A payload as a MessagePack value.
pub fn payload_to_mp(payload: &Payload) -> Mp {
    json_to_mp(payload.value(), payload.attachments())
}

/// A MessagePack value as a payload: `bin` values become attachments.
///
/// Objects of the value shaped like placeholders cannot be told from the attachments' own. When
/// one of them points at no attachment (a client would refuse the packet), the binaries stay
/// in the JSON as Buffer objects, as `JSON.stringify` writes them, rather than being lost.
pub fn mp_to_payload(value: Mp) -> Payload {
    let mut attachments = Vec::new();
    let json = mp_to_json(value, &mut |bytes| {
        let placeholder = serde_json::json!({ "_placeholder": true, "num": attachments.len() });
        attachments.push(Bytes::from(bytes));
        placeholder
    });
    if attachments.is_empty() {
        // Placeholder-like objects in plain JSON are sent as they are.
        return Payload::from(json);
    }
    match Payload::new(json.clone(), attachments.clone()) {
        Ok(payload) => payload,
        Err(_) => Payload::from(inline_attachments(json, &attachments)),
    }
}

/// Placeholders that point at an attachment replaced by its bytes as a Buffer object.
fn inline_attachments(value: Json, attachments: &[Bytes]) -> Json {
    match value {
        Json::Array(items) => Json::Array(
            items
                .into_iter()
                .map(|v| inline_attachments(v, attachments))
                .collect(),
        ),
        Json::Object(map) => match placeholder(&map, attachments) {
            Some(bytes) => buffer_json(bytes.to_vec()),
            None => Json::Object(
                map.into_iter()
                    .map(|(key, v)| (key, inline_attachments(v, attachments)))
                    .collect(),
            ),
        },
        other => other,
    }
}

/// A MessagePack value as plain JSON, `bin` values as Node's `Buffer.toJSON()` objects.
pub(crate) fn mp_to_plain_json(value: Mp) -> Json {
    mp_to_json(value, &mut buffer_json)
}

/// What `JSON.stringify` makes of a Buffer.
// The signature of a binary handler, which owns the bytes.
#[allow(clippy::needless_pass_by_value)]
fn buffer_json(bytes: Vec<u8>) -> Json {
    serde_json::json!({ "type": "Buffer", "data": bytes })
}

/// Converts a MessagePack value; each `bin` value becomes what `on_binary` makes of it.
fn mp_to_json(value: Mp, on_binary: &mut dyn FnMut(Vec<u8>) -> Json) -> Json {
    match value {
        Mp::Nil => Json::Null,
        Mp::Boolean(flag) => Json::Bool(flag),
        Mp::Integer(int) => match (int.as_u64(), int.as_i64()) {
            (Some(unsigned), _) => Json::from(unsigned),
            (None, Some(signed)) => Json::from(signed),
            (None, None) => Json::Null,
        },
        Mp::F32(float) => float_json(f64::from(float)),
        Mp::F64(float) => float_json(float),
        Mp::String(text) => Json::String(utf8_lossy(text)),
        Mp::Binary(bytes) => on_binary(bytes),
        Mp::Array(items) => Json::Array(
            items
                .into_iter()
                .map(|v| mp_to_json(v, on_binary))
                .collect(),
        ),
        Mp::Map(entries) => Json::Object(
            entries
                .into_iter()
                .map(|(key, v)| (key_string(key), mp_to_json(v, on_binary)))
                .collect(),
        ),
        Mp::Ext(kind, data) => ext_json(kind, data, on_binary),
    }
}

/// A float; integral ones read back as integers, the way JavaScript numbers print.
fn float_json(float: f64) -> Json {
    if float.fract() == 0.0 && float.abs() < INTEGER_LIMIT {
        // Exact: the value is integral and in range.
        return match float >= 0.0 {
            true => Json::from(float as u64),
            false => Json::from(float as i64),
        };
    }
    Number::from_f64(float).map_or(Json::Null, Json::Number)
}

fn utf8_lossy(text: rmpv::Utf8String) -> String {
    text.into_str().unwrap_or_default()
}

/// A map key as JavaScript names the property, `String(key)`: an array joins its items with
/// commas and a map is `[object Object]`. A name is thus never longer than its key; the JSON
/// text of a key would escape the quotes of the keys nested in it once per level, and a
/// message of a hundred bytes would name a key of gigabytes.
fn key_string(key: Mp) -> String {
    match key {
        Mp::String(text) => utf8_lossy(text),
        Mp::Nil => "null".to_owned(),
        Mp::Array(items) => {
            let names: Vec<String> = items.into_iter().map(item_string).collect();
            names.join(",")
        }
        Mp::Map(_) => "[object Object]".to_owned(),
        other => mp_to_plain_json(other).to_string(),
    }
}

/// An array item as `Array.prototype.join` writes it: `null` as nothing.
fn item_string(item: Mp) -> String {
    match item {
        Mp::Nil => String::new(),
        other => key_string(other),
    }
}

/// Extensions notepack reads: the timestamp (-1) is a Date, which JSON shows as its ISO text;
/// the legacy `d4 00 00` is `undefined` (null here); other type-0 data is binary.
fn ext_json(kind: i8, data: Vec<u8>, on_binary: &mut dyn FnMut(Vec<u8>) -> Json) -> Json {
    match kind {
        -1 => crate::date::timestamp_iso(&data).map_or(Json::Null, Json::String),
        0 if data.len() == 1 => Json::Null,
        0 => on_binary(data),
        _ => Json::Null,
    }
}

/// Whether a value holds binary anywhere (what decides msgpack over JSON in the sharded
/// adapter, as Node's `hasBinary`).
pub(crate) fn has_binary(value: &Mp) -> bool {
    match value {
        Mp::Binary(_) => true,
        Mp::Array(items) => items.iter().any(has_binary),
        Mp::Map(entries) => entries.iter().any(|(_, v)| has_binary(v)),
        _ => false,
    }
}

/// MessagePack bytes of a value, in notepack's compact forms.
pub fn encode_msgpack(value: &Mp) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    // Writing into a Vec cannot fail; were it to, the message would be cut, so say so.
    if let Err(error) = rmpv::encode::write_value(&mut out, value) {
        tracing::error!(%error, "cannot encode a MessagePack message");
    }
    out
}

/// JSON text of a value, as `JSON.stringify` writes it (binary as Buffer objects).
pub fn encode_json(value: &Mp) -> Vec<u8> {
    serde_json::to_vec(&mp_to_plain_json(value.clone())).unwrap_or_default()
}

/// Reads a message: JSON when it starts with `{` (as Node sniffs), MessagePack otherwise.
pub(crate) fn decode(bytes: &[u8]) -> Option<Mp> {
    if bytes.first() == Some(&b'{') {
        let json: Json = serde_json::from_slice(bytes).ok()?;
        return Some(json_to_mp(&json, &[]));
    }
    let mut reader = bytes;
    rmpv::decode::read_value_with_max_depth(&mut reader, MAX_DEPTH).ok()
}

/// A map of string keys, in the given order (Node writes keys in insertion order).
pub(crate) fn map<const N: usize>(entries: [(&str, Mp); N]) -> Mp {
    Mp::Map(entries.into_iter().map(|(k, v)| (Mp::from(k), v)).collect())
}

/// The value under `key` of a map.
pub(crate) fn get<'a>(value: &'a Mp, key: &str) -> Option<&'a Mp> {
    let Mp::Map(entries) = value else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// Takes the value under `key` out of a map (to convert it without a copy).
pub(crate) fn take(value: &mut Mp, key: &str) -> Option<Mp> {
    let Mp::Map(entries) = value else {
        return None;
    };
    let index = entries.iter().position(|(k, _)| k.as_str() == Some(key))?;
    Some(entries.swap_remove(index).1)
}

/// A string, or a number written as text (JavaScript room names may be numbers).
pub(crate) fn as_text(value: &Mp) -> Option<String> {
    match value {
        Mp::String(text) => text.as_str().map(str::to_owned),
        Mp::Integer(_) | Mp::F32(_) | Mp::F64(_) => {
            Some(mp_to_plain_json(value.clone()).to_string())
        }
        _ => None,
    }
}

/// A list of strings (rooms); anything else reads as empty.
pub(crate) fn text_list(value: Option<&Mp>) -> Vec<String> {
    match value {
        Some(Mp::Array(items)) => items.iter().filter_map(as_text).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
#[path = "value/tests.rs"]
mod tests;
