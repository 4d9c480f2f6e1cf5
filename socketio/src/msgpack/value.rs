//! Reading MessagePack values as notepack.io 2.2 reads them, into JSON whose binary leaves are
//! placeholders into the attachments of the packet.
//!
//! The reader walks the message itself, with `rmp` naming the markers, rather than through a
//! generic value tree: notepack gives meaning to the marker of an extension (fixext 1 of type 0
//! is `undefined`, ext 8 of type 0 an `ArrayBuffer`, whatever its length), which a decoded
//! tree no longer shows. Every length is checked against the bytes left before anything is
//! taken or reserved.

use bytes::Bytes;
use rmp::Marker;
use serde_json::{Map, Number, Value};

use crate::decoder::{DecoderConfig, MAX_JSON_DEPTH};
use crate::msgpack::{date, FormatError};
use crate::parser::ParseError;
use crate::payload::{leaf, Leaf};

/// A value as JavaScript sees it: JSON, or `undefined`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Item {
    /// A value JSON can hold.
    Value(Value),
    /// `undefined`, which JSON leaves out.
    Undefined,
}

impl Item {
    /// The value; `None` for `undefined`.
    pub(super) fn defined(self) -> Option<Value> {
        match self {
            Item::Value(value) => Some(value),
            Item::Undefined => None,
        }
    }
}

/// The binaries of the field being read and what was seen of them.
#[derive(Debug, Default)]
pub(super) struct Binaries {
    /// The binaries, in the order met: placeholder `num` N is `list[N]`.
    pub(super) list: Vec<Bytes>,
    /// Whether a map of the peer is shaped like a placeholder, which could not be told from
    /// the binaries' own placeholders.
    pub(super) placeholder_like: bool,
    /// The deepest level at which a binary sits (0 for the field itself).
    pub(super) deepest: usize,
    /// Whether a key of a map came twice (or was made `undefined`): a binary of the value it
    /// had is no longer in the data, and the placeholders must be numbered again.
    pub(super) replaced: bool,
}

/// A cursor over one message.
pub(super) struct Reader<'a> {
    message: &'a Bytes,
    rest: &'a [u8],
    max_depth: usize,
    max_attachments: usize,
    /// Whether binaries are kept (the packet's data) or dropped (other fields).
    keep: bool,
    binaries: Binaries,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `message`, with `config`'s limits.
    pub(super) fn new(message: &'a Bytes, config: &DecoderConfig) -> Self {
        Self {
            message,
            rest: message,
            max_depth: config.max_json_depth.min(MAX_JSON_DEPTH),
            max_attachments: config.max_attachments,
            keep: false,
            binaries: Binaries::default(),
        }
    }

    /// How many bytes are left.
    pub(super) fn left(&self) -> usize {
        self.rest.len()
    }

    /// Starts a field: the packet's data keeps its binaries (those of an earlier `data`
    /// field, which this one replaces, are forgotten); other fields drop theirs.
    pub(super) fn start_field(&mut self, keep_binaries: bool) {
        self.keep = keep_binaries;
        if keep_binaries {
            self.binaries = Binaries::default();
        }
    }

    /// The binaries of the data field.
    pub(super) fn into_binaries(self) -> Binaries {
        self.binaries
    }

    /// The length of a map that starts here; `None` (and nothing read but the marker) when
    /// the value is not a map.
    pub(super) fn map_len(&mut self) -> Result<Option<usize>, FormatError> {
        match self.marker()? {
            marker @ (Marker::FixMap(_) | Marker::Map16 | Marker::Map32) => {
                self.length(marker).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The next value; `depth` is the level of the array or map it is in (0 for a field).
    pub(super) fn item(&mut self, depth: usize) -> Result<Item, ParseError> {
        let marker = self.marker()?;
        if let Some(value) = self.scalar(marker)? {
            return Ok(Item::Value(value));
        }
        let value = match marker {
            Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
                let len = self.length(marker)?;
                let data = self.take(len)?;
                self.binary(data, depth)?
            }
            Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
                let len = self.length(marker)?;
                self.array(len, self.nest(depth)?)?
            }
            Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => {
                let len = self.length(marker)?;
                self.map(len, self.nest(depth)?)?
            }
            Marker::Reserved => return Err(FormatError::ReservedMarker.into()),
            extension => return self.extension(extension, depth),
        };
        Ok(Item::Value(value))
    }

    /// A map key, named as JavaScript names the property: `String(key)`.
    pub(super) fn key(&mut self) -> Result<String, ParseError> {
        let marker = self.marker()?;
        match marker {
            Marker::F32 => return Ok(float_key(f64::from(f32::from_be_bytes(self.bytes()?)))),
            Marker::F64 => return Ok(float_key(f64::from_be_bytes(self.bytes()?))),
            _ => {}
        }
        match self.scalar(marker)? {
            Some(Value::String(text)) => return Ok(text),
            Some(other) => return Ok(other.to_string()),
            None => {}
        }
        if marker == Marker::FixExt1 {
            let [kind, _] = self.bytes()?;
            if kind == 0 {
                return Ok("undefined".to_owned());
            }
        }
        Err(FormatError::UnsupportedKey.into())
    }

    /// Nil, booleans, numbers and strings; `None` (nothing read) for any other marker.
    fn scalar(&mut self, marker: Marker) -> Result<Option<Value>, FormatError> {
        Ok(Some(match marker {
            Marker::Null => Value::Null,
            Marker::True => Value::Bool(true),
            Marker::False => Value::Bool(false),
            Marker::FixPos(n) => Value::from(n),
            Marker::FixNeg(n) => Value::from(n),
            Marker::U8 => Value::from(u8::from_be_bytes(self.bytes()?)),
            Marker::U16 => Value::from(u16::from_be_bytes(self.bytes()?)),
            Marker::U32 => Value::from(u32::from_be_bytes(self.bytes()?)),
            Marker::U64 => Value::from(u64::from_be_bytes(self.bytes()?)),
            Marker::I8 => Value::from(i8::from_be_bytes(self.bytes()?)),
            Marker::I16 => Value::from(i16::from_be_bytes(self.bytes()?)),
            Marker::I32 => Value::from(i32::from_be_bytes(self.bytes()?)),
            Marker::I64 => Value::from(i64::from_be_bytes(self.bytes()?)),
            Marker::F32 => float(f64::from(f32::from_be_bytes(self.bytes()?))),
            Marker::F64 => float(f64::from_be_bytes(self.bytes()?)),
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                let len = self.length(marker)?;
                // Node decodes invalid UTF-8 with replacement characters, as this does.
                Value::String(String::from_utf8_lossy(self.take(len)?).into_owned())
            }
            _ => return Ok(None),
        }))
    }

    fn array(&mut self, len: usize, depth: usize) -> Result<Value, ParseError> {
        // Nothing reserved up front: the length is the peer's word, and each level of a
        // nesting would reserve it before any item is there.
        let mut items = Vec::new();
        for _ in 0..len {
            // JSON writes `undefined` in an array as null.
            items.push(self.item(depth)?.defined().unwrap_or(Value::Null));
        }
        Ok(Value::Array(items))
    }

    fn map(&mut self, len: usize, depth: usize) -> Result<Value, ParseError> {
        let mut map = Map::new();
        for _ in 0..len {
            let key = self.key()?;
            // A later value of a key replaces an earlier one, as in a JavaScript object, and
            // JSON leaves out a key whose value is `undefined`.
            let earlier = match self.item(depth)?.defined() {
                Some(value) => map.insert(key, value),
                None => map.shift_remove(&key),
            };
            self.binaries.replaced |= self.keep && earlier.is_some();
        }
        let map = Value::Object(map);
        if self.keep && leaf(&map) != Leaf::Json {
            self.binaries.placeholder_like = true;
        }
        Ok(map)
    }

    /// An extension, as notepack 2.2 reads it.
    fn extension(&mut self, marker: Marker, depth: usize) -> Result<Item, ParseError> {
        let len = match marker {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            _ => self.length(marker)?,
        };
        let [kind] = self.bytes()?;
        let data = self.take(len)?;
        let value = match (marker, kind) {
            (Marker::FixExt1, 0) => return Ok(Item::Undefined),
            (Marker::FixExt8, 0) => date::from_millis(i64::from_be_bytes(fixed(data)?)),
            (Marker::Ext8 | Marker::Ext16 | Marker::Ext32, 0) => self.binary(data, depth)?,
            _ => {
                let depth = self.nest(depth)?;
                let kind = Value::from(i8::from_be_bytes([kind]));
                Value::Array(vec![kind, self.binary(data, depth)?])
            }
        };
        Ok(Item::Value(value))
    }

    /// A binary of the data as a placeholder for a new attachment that shares the message's
    /// buffer; `null` in other fields.
    fn binary(&mut self, data: &'a [u8], depth: usize) -> Result<Value, ParseError> {
        if !self.keep {
            return Ok(Value::Null);
        }
        let num = self.binaries.list.len();
        if num >= self.max_attachments {
            let max = self.max_attachments;
            return Err(ParseError::TooManyAttachments {
                count: num + 1,
                max,
            });
        }
        self.binaries.list.push(self.message.slice_ref(data));
        self.binaries.deepest = self.binaries.deepest.max(depth);
        Ok(serde_json::json!({ "_placeholder": true, "num": num }))
    }

    /// The level of a container inside one at `depth`, if the limit allows it.
    fn nest(&self, depth: usize) -> Result<usize, ParseError> {
        match depth + 1 {
            inner if inner > self.max_depth => Err(ParseError::TooDeep {
                max: self.max_depth,
            }),
            inner => Ok(inner),
        }
    }

    fn marker(&mut self) -> Result<Marker, FormatError> {
        let [byte] = self.bytes()?;
        Ok(Marker::from_u8(byte))
    }

    /// The length a marker announces: in the marker itself, or in the 1, 2 or 4 bytes after.
    fn length(&mut self, marker: Marker) -> Result<usize, FormatError> {
        let len = match marker {
            Marker::FixStr(n) | Marker::FixArray(n) | Marker::FixMap(n) => u32::from(n),
            Marker::Str8 | Marker::Bin8 | Marker::Ext8 => {
                u32::from(u8::from_be_bytes(self.bytes()?))
            }
            Marker::Str16 | Marker::Bin16 | Marker::Ext16 | Marker::Array16 | Marker::Map16 => {
                u32::from(u16::from_be_bytes(self.bytes()?))
            }
            _ => u32::from_be_bytes(self.bytes()?),
        };
        // A u32 fits in usize on every target this crate builds for (32 and 64 bits).
        Ok(usize::try_from(len).unwrap_or(usize::MAX))
    }

    /// The next `N` bytes.
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], FormatError> {
        fixed(self.take(N)?)
    }

    /// The next `len` bytes, if the message has them.
    fn take(&mut self, len: usize) -> Result<&'a [u8], FormatError> {
        if len > self.rest.len() {
            let left = self.rest.len();
            return Err(FormatError::Truncated { needed: len, left });
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(taken)
    }
}

/// A slice of exactly `N` bytes as an array.
fn fixed<const N: usize>(data: &[u8]) -> Result<[u8; N], FormatError> {
    data.try_into().map_err(|_| FormatError::Truncated {
        needed: N,
        left: data.len(),
    })
}

/// A float as JSON: `JSON.stringify` writes NaN and the infinities as null.
fn float(float: f64) -> Value {
    Number::from_f64(float).map_or(Value::Null, Value::Number)
}

/// A float key as `String(number)` writes it (Rust writes integral floats without a
/// fraction, as JavaScript does; only the exponent forms of huge and tiny numbers differ).
fn float_key(float: f64) -> String {
    if float.is_nan() {
        "NaN".to_owned()
    } else if float.is_infinite() {
        let sign = if float < 0.0 { "-" } else { "" };
        format!("{sign}Infinity")
    } else if float == 0.0 {
        // -0 too.
        "0".to_owned()
    } else {
        float.to_string()
    }
}
