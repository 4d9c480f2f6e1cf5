//! Binary leaves of typed payloads.
//!
//! [`Binary`] is the type to put in a user struct or tuple where the value is bytes. JSON has
//! no bytes, so serde alone would turn them into an array of numbers. Instead, while
//! [`to_payload`](crate::payload::to_payload) runs, a thread-local collector takes each
//! `Binary`'s [`Bytes`] (a reference count, not a copy) and the JSON gets a placeholder; while
//! [`from_payload`](crate::payload::from_payload) runs, the thread-local holds the payload's
//! attachments and a placeholder deserializes into the attachment it names.
//!
//! A thread-local is sound here because serde is synchronous: the scope is entered, the
//! whole (de)serialization runs on this thread, and the scope is left, even by a panic.
//! Scopes nest, so a `Serialize` impl may itself call `to_payload`. Outside any scope a
//! `Binary` is plain serde bytes, so it still works with other formats.
//!
//! The one thing a scope cannot see is a `Binary` serialized by *another* serializer inside a
//! `to_payload` call (a custom `Serialize` that writes its own JSON); such bytes are still
//! collected, so that format would see a placeholder.

use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;

use bytes::Bytes;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::payload::PLACEHOLDER_KEY;

#[cfg(test)]
mod tests;

/// Bytes that travel as a binary attachment when they are part of a payload.
///
/// Cloning is cheap: the bytes are shared.
///
/// ```
/// use socketio::binary::Binary;
/// let data = Binary::from(vec![1, 2, 3]);
/// assert_eq!(&data[..], &[1, 2, 3]);
/// assert_eq!(data.into_bytes().len(), 3);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Binary(Bytes);

impl Binary {
    /// Wraps shared bytes.
    pub fn new(bytes: Bytes) -> Self {
        Self(bytes)
    }

    /// Wraps a static slice without copying it.
    pub fn from_static(bytes: &'static [u8]) -> Self {
        Self(Bytes::from_static(bytes))
    }

    /// The shared bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// The shared bytes, by value.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl Deref for Binary {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Binary {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Bytes> for Binary {
    fn from(bytes: Bytes) -> Self {
        Self(bytes)
    }
}

impl From<Vec<u8>> for Binary {
    fn from(bytes: Vec<u8>) -> Self {
        Self(Bytes::from(bytes))
    }
}

impl From<Binary> for Bytes {
    fn from(binary: Binary) -> Self {
        binary.0
    }
}

/// What `Binary` values meet when they are (de)serialized on this thread.
#[derive(Default)]
enum Scope {
    /// Not inside a payload: plain serde bytes.
    #[default]
    Plain,
    /// Inside `to_payload`: the attachments collected so far.
    Collect(Vec<Bytes>),
    /// Inside `from_payload`: the attachments placeholders refer to.
    Resolve(Vec<Bytes>),
}

thread_local! {
    static SCOPE: RefCell<Scope> = const { RefCell::new(Scope::Plain) };
}

/// Puts the enclosing scope back when a scope ends, including by unwinding.
struct ScopeGuard {
    outer: Option<Scope>,
}

impl ScopeGuard {
    fn enter(scope: Scope) -> Self {
        let outer = SCOPE.with(|current| current.replace(scope));
        Self { outer: Some(outer) }
    }

    /// Leaves the scope and returns what it held.
    fn leave(mut self) -> Scope {
        self.restore()
    }

    fn restore(&mut self) -> Scope {
        let outer = self.outer.take().unwrap_or_default();
        SCOPE.with(|current| current.replace(outer))
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        if self.outer.is_some() {
            self.restore();
        }
    }
}

/// Runs `serialize` with a fresh collector and returns its result with the collected bytes.
pub(crate) fn collecting<R>(serialize: impl FnOnce() -> R) -> (R, Vec<Bytes>) {
    let guard = ScopeGuard::enter(Scope::Collect(Vec::new()));
    let result = serialize();
    match guard.leave() {
        Scope::Collect(attachments) => (result, attachments),
        Scope::Plain | Scope::Resolve(_) => (result, Vec::new()),
    }
}

/// Runs `deserialize` with `attachments` for placeholders to resolve to.
pub(crate) fn resolving<R>(attachments: &[Bytes], deserialize: impl FnOnce() -> R) -> R {
    let guard = ScopeGuard::enter(Scope::Resolve(attachments.to_vec()));
    let result = deserialize();
    drop(guard);
    result
}

/// Adds `bytes` to the current collector and returns its placeholder number, if collecting.
fn collect(bytes: &Bytes) -> Option<usize> {
    SCOPE.with(|scope| match &mut *scope.borrow_mut() {
        Scope::Collect(attachments) => {
            attachments.push(bytes.clone());
            Some(attachments.len() - 1)
        }
        Scope::Plain | Scope::Resolve(_) => None,
    })
}

/// The attachment a placeholder names, from the current resolver.
fn resolve(num: u64) -> Result<Bytes, String> {
    SCOPE.with(|scope| match &*scope.borrow() {
        Scope::Resolve(attachments) => usize::try_from(num)
            .ok()
            .and_then(|num| attachments.get(num).cloned())
            .ok_or_else(|| format!("placeholder {num} refers to no attachment")),
        Scope::Plain | Scope::Collect(_) => Err("attachment placeholder outside a payload".into()),
    })
}

/// The JSON that stands for an attachment.
#[derive(Serialize, Deserialize)]
struct Placeholder {
    #[serde(rename = "_placeholder")]
    placeholder: bool,
    num: u64,
}

impl Serialize for Binary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match collect(&self.0) {
            Some(num) => Placeholder {
                placeholder: true,
                num: num as u64,
            }
            .serialize(serializer),
            None => serializer.serialize_bytes(&self.0),
        }
    }
}

impl<'de> Deserialize<'de> for Binary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A placeholder is a map and bytes may be an array, so JSON-like formats must say
        // what they hold; binary formats are not self-describing but have real bytes.
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(BinaryVisitor)
        } else {
            deserializer.deserialize_byte_buf(BinaryVisitor)
        }
    }
}

/// Reads a placeholder inside a payload, and serde bytes or an array of bytes elsewhere.
struct BinaryVisitor;

impl<'de> Visitor<'de> for BinaryVisitor {
    type Value = Binary;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an attachment placeholder or bytes")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Binary, A::Error> {
        let placeholder = Placeholder::deserialize(de::value::MapAccessDeserializer::new(map))?;
        if !placeholder.placeholder {
            return Err(de::Error::custom(format!("{PLACEHOLDER_KEY} is not true")));
        }
        resolve(placeholder.num)
            .map(Binary)
            .map_err(de::Error::custom)
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Binary, E> {
        Ok(Binary(Bytes::copy_from_slice(bytes)))
    }

    fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Binary, E> {
        Ok(Binary(Bytes::from(bytes)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Binary, A::Error> {
        // Only a length hint from the peer: cap it so it cannot make us allocate a lot.
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(byte) = seq.next_element::<u8>()? {
            bytes.push(byte);
        }
        Ok(Binary(Bytes::from(bytes)))
    }
}
