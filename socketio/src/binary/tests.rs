//! `Binary` inside and outside payload scopes.

use bytes::Bytes;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::json;

use crate::binary::Binary;
use crate::payload::{from_payload, to_payload, Payload, PayloadError};

#[test]
fn outside_a_payload_binary_is_plain_bytes() -> Result<(), serde_json::Error> {
    let text = serde_json::to_string(&Binary::from_static(b"\x01\x02"))?;
    assert_eq!(text, "[1,2]");
    let back: Binary = serde_json::from_str(&text)?;
    assert_eq!(&back[..], b"\x01\x02");
    assert!(serde_json::from_str::<Binary>("[256]").is_err());
    assert!(serde_json::from_str::<Binary>(r#"{"_placeholder":true,"num":0}"#).is_err());
    Ok(())
}

#[test]
fn placeholders_must_be_marked_true() {
    let payload = Payload::new(
        json!([{"_placeholder": false, "num": 0}]),
        vec![Bytes::new()],
    );
    let result = payload.map(|p| from_payload::<(Binary,)>(&p).is_err());
    assert!(matches!(result, Ok(true)));
}

#[test]
fn arrays_of_numbers_still_read_as_binary() -> Result<(), PayloadError> {
    let (data,): (Binary,) = from_payload(&Payload::from(json!([[104, 105]])))?;
    assert_eq!(&data[..], b"hi");
    Ok(())
}

/// Serializes itself through a nested `to_payload`, to check that scopes nest.
struct Nested(Binary);

impl Serialize for Nested {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let inner = to_payload(&[&self.0]).map_err(serde::ser::Error::custom)?;
        (inner.attachments().len(), &self.0).serialize(serializer)
    }
}

#[test]
fn scopes_nest() -> Result<(), PayloadError> {
    let payload = to_payload(&(Binary::from_static(b"a"), Nested(Binary::from_static(b"b"))))?;
    assert_eq!(
        payload.value(),
        &json!([
            {"_placeholder": true, "num": 0},
            [1, {"_placeholder": true, "num": 1}],
        ])
    );
    let attachments: Vec<&[u8]> = payload.attachments().iter().map(|b| &b[..]).collect();
    assert_eq!(attachments, [b"a", b"b"]);
    Ok(())
}

/// Panics while serializing, to check that the scope is left on unwinding.
struct Explodes;

impl Serialize for Explodes {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("boom")
    }
}

#[test]
fn a_panic_leaves_the_scope() -> Result<(), serde_json::Error> {
    let result = std::panic::catch_unwind(|| to_payload(&(Binary::default(), Explodes)));
    assert!(result.is_err());
    assert_eq!(serde_json::to_string(&Binary::from_static(b"\x05"))?, "[5]");
    Ok(())
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Content {
    Text { text: String },
    File { name: String, data: Binary },
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Envelope {
    id: u32,
    #[serde(flatten)]
    content: Content,
}

#[test]
fn buffered_deserialization_still_resolves() -> Result<(), PayloadError> {
    let file = Content::File {
        name: "f".into(),
        data: Binary::from_static(b"zz"),
    };
    let envelope = Envelope {
        id: 1,
        content: file,
    };
    let payload = to_payload(&envelope)?;
    assert_eq!(
        payload.value()["data"],
        json!({"_placeholder": true, "num": 0})
    );
    assert_eq!(from_payload::<Envelope>(&payload)?, envelope);
    let text = to_payload(&Content::Text { text: "t".into() })?;
    assert_eq!(
        from_payload::<Content>(&text)?,
        Content::Text { text: "t".into() }
    );
    Ok(())
}

#[test]
fn conversions() {
    let binary = Binary::from(Bytes::from_static(b"abc"));
    assert_eq!(binary.as_ref(), b"abc");
    assert_eq!(Bytes::from(binary.clone()), Bytes::from_static(b"abc"));
    assert_eq!(binary.into_bytes().len(), 3);
    assert_eq!(Binary::from(vec![1]), Binary::new(Bytes::from_static(&[1])));
}
