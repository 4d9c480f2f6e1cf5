//! Payloads: JSON values whose binary leaves are placeholders into a list of attachments.
//!
//! A payload is kept the way it travels: `{"_placeholder":true,"num":N}` objects in the JSON
//! and the bytes of leaf `N` in `attachments[N]`. Encoding then only writes the JSON, and the
//! attachments go out as they are, shared [`Bytes`] that every recipient of a broadcast
//! clones for the price of a reference count.
//!
//! Typed values cross this boundary through serde with [`to_payload`] and [`from_payload`];
//! their binary leaves are [`Binary`](crate::binary::Binary) values.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::binary;

mod args;
#[cfg(test)]
mod tests;

pub use args::to_args;

/// The key that marks an object as a placeholder for an attachment.
pub(crate) const PLACEHOLDER_KEY: &str = "_placeholder";

/// JSON with binary leaves: placeholders in the value, their bytes in the attachments.
///
/// ```
/// use bytes::Bytes;
/// use serde_json::json;
/// use socketio::payload::Payload;
///
/// let value = json!(["file", {"_placeholder": true, "num": 0}]);
/// let payload = Payload::new(value, vec![Bytes::from_static(b"\x01\x02")])?;
/// let leaf = &payload.value()[1];
/// assert_eq!(payload.attachment(leaf), Some(&Bytes::from_static(b"\x01\x02")));
/// # Ok::<(), socketio::payload::PayloadError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    value: Value,
    attachments: Vec<Bytes>,
}

/// A payload that cannot be built or converted.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// A placeholder refers to no attachment, or its `num` is not an integer.
    #[error("placeholder refers to none of the {attachments} attachments")]
    BadPlaceholder {
        /// How many attachments the payload has.
        attachments: usize,
    },
    /// The value's `Serialize` implementation failed.
    #[error("cannot serialize the payload: {0}")]
    Serialize(#[source] serde_json::Error),
    /// The payload does not have the shape of the requested type.
    #[error("payload does not match the expected type: {0}")]
    Deserialize(#[source] serde_json::Error),
}

/// What a JSON value is with respect to attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leaf {
    /// Plain JSON.
    Json,
    /// A placeholder for attachment `num`.
    Placeholder(u64),
    /// An object marked as a placeholder whose `num` is not an unsigned integer.
    BadPlaceholder,
}

/// Classifies `value` the way the JavaScript parser does: an object whose `_placeholder` is
/// `true` is a placeholder, whatever other keys it has.
pub(crate) fn leaf(value: &Value) -> Leaf {
    let Value::Object(map) = value else {
        return Leaf::Json;
    };
    if map.get(PLACEHOLDER_KEY) != Some(&Value::Bool(true)) {
        return Leaf::Json;
    }
    match map.get("num").and_then(Value::as_u64) {
        Some(num) => Leaf::Placeholder(num),
        None => Leaf::BadPlaceholder,
    }
}

/// Whether every placeholder in `value` refers to one of `count` attachments.
///
/// The walk keeps its own stack: a user-built value may be deeper than the call stack allows.
pub(crate) fn placeholders_in_range(value: &Value, count: usize) -> bool {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match (leaf(value), value) {
            (Leaf::Placeholder(num), _) if num < count as u64 => {}
            (Leaf::Placeholder(_) | Leaf::BadPlaceholder, _) => return false,
            (Leaf::Json, Value::Array(items)) => stack.extend(items),
            (Leaf::Json, Value::Object(map)) => stack.extend(map.values()),
            (Leaf::Json, _) => {}
        }
    }
    true
}

impl Payload {
    /// A payload from its parts, after checking that every placeholder has an attachment.
    pub fn new(value: Value, attachments: Vec<Bytes>) -> Result<Self, PayloadError> {
        if !placeholders_in_range(&value, attachments.len()) {
            let attachments = attachments.len();
            return Err(PayloadError::BadPlaceholder { attachments });
        }
        Ok(Self { value, attachments })
    }

    /// A payload from parts the caller already checked.
    pub(crate) fn from_parts(value: Value, attachments: Vec<Bytes>) -> Self {
        Self { value, attachments }
    }

    /// The JSON, with placeholders where the binary leaves are.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The binary leaves, in placeholder order.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// Whether the payload has binary leaves, which makes its packet a binary one.
    pub fn has_attachments(&self) -> bool {
        !self.attachments.is_empty()
    }

    /// The JSON and the attachments.
    pub fn into_parts(self) -> (Value, Vec<Bytes>) {
        (self.value, self.attachments)
    }

    /// The attachment that `leaf`, a value inside this payload, is a placeholder for.
    pub fn attachment(&self, leaf: &Value) -> Option<&Bytes> {
        match self::leaf(leaf) {
            Leaf::Placeholder(num) => self.attachments.get(usize::try_from(num).ok()?),
            _ => None,
        }
    }

    /// Deserializes argument `index` of an argument list; a missing one reads as `null`, so
    /// an `Option` argument may be left out by the sender.
    ///
    /// ```
    /// use serde_json::json;
    /// use socketio::payload::Payload;
    ///
    /// let args = Payload::from(json!(["a", 2]));
    /// assert_eq!(args.arg::<u32>(1)?, 2);
    /// assert_eq!(args.arg::<Option<u32>>(2)?, None);
    /// # Ok::<(), socketio::payload::PayloadError>(())
    /// ```
    pub fn arg<'a, T: Deserialize<'a>>(&'a self, index: usize) -> Result<T, PayloadError> {
        let value = self.value.get(index).unwrap_or(&Value::Null);
        binary::resolving(&self.attachments, || T::deserialize(value))
            .map_err(PayloadError::Deserialize)
    }

    /// The payload as an argument list: a value that is not an array becomes its only item.
    pub(crate) fn into_args(self) -> Self {
        match self.value {
            Value::Array(_) => self,
            other => Self {
                value: Value::Array(vec![other]),
                ..self
            },
        }
    }

    /// Appends one argument to an argument list (a value that is not an array is left as it
    /// is): the offset of an event kept for connection state recovery.
    pub(crate) fn push_arg(&mut self, arg: Value) {
        if let Value::Array(items) = &mut self.value {
            items.push(arg);
        }
    }

    /// Hands over the attachments of a payload that was decoded before they arrived.
    pub(crate) fn set_attachments(&mut self, attachments: Vec<Bytes>) {
        self.attachments = attachments;
    }
}

/// Plain JSON without attachments. Placeholder-like objects in it are sent as they are.
impl From<Value> for Payload {
    fn from(value: Value) -> Self {
        Self {
            value,
            attachments: Vec::new(),
        }
    }
}

/// Serializes a typed value into a payload; its [`Binary`](crate::binary::Binary) leaves
/// become placeholders and their bytes become the attachments, without being copied.
///
/// ```
/// use socketio::binary::Binary;
/// use socketio::payload::to_payload;
///
/// let payload = to_payload(&("photo", Binary::from_static(b"\xff\xd8")))?;
/// assert_eq!(payload.value().to_string(), r#"["photo",{"_placeholder":true,"num":0}]"#);
/// assert_eq!(&payload.attachments()[0][..], b"\xff\xd8");
/// # Ok::<(), socketio::payload::PayloadError>(())
/// ```
pub fn to_payload<T: Serialize + ?Sized>(value: &T) -> Result<Payload, PayloadError> {
    let (value, attachments) = binary::collecting(|| serde_json::to_value(value));
    let value = value.map_err(PayloadError::Serialize)?;
    Ok(Payload { value, attachments })
}

/// Deserializes a payload into a typed value; placeholders read as
/// [`Binary`](crate::binary::Binary) values share the attachments' bytes.
///
/// Strings may be borrowed from the payload.
///
/// ```
/// use bytes::Bytes;
/// use serde_json::json;
/// use socketio::binary::Binary;
/// use socketio::payload::{from_payload, Payload};
///
/// let value = json!(["photo", {"_placeholder": true, "num": 0}]);
/// let payload = Payload::new(value, vec![Bytes::from_static(b"\xff\xd8")])?;
/// let (name, data): (&str, Binary) = from_payload(&payload)?;
/// assert_eq!((name, &data[..]), ("photo", &b"\xff\xd8"[..]));
/// # Ok::<(), socketio::payload::PayloadError>(())
/// ```
pub fn from_payload<'a, T: Deserialize<'a>>(payload: &'a Payload) -> Result<T, PayloadError> {
    binary::resolving(&payload.attachments, || T::deserialize(&payload.value))
        .map_err(PayloadError::Deserialize)
}
