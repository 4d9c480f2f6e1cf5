//! Payload construction, placeholders and typed conversion.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::binary::Binary;
use crate::payload::{from_payload, leaf, to_payload, Leaf, Payload, PayloadError};

fn ph(num: u64) -> Value {
    json!({ "_placeholder": true, "num": num })
}

#[test]
fn new_checks_placeholders() {
    let one = vec![Bytes::from_static(b"a")];
    assert!(Payload::new(json!([ph(0)]), one.clone()).is_ok());
    assert!(Payload::new(json!({"deep": [[ph(0)]]}), one.clone()).is_ok());
    let err = Payload::new(json!([ph(1)]), one.clone());
    assert!(matches!(
        err,
        Err(PayloadError::BadPlaceholder { attachments: 1 })
    ));
    let err = Payload::new(json!([{"_placeholder": true}]), one);
    assert!(matches!(err, Err(PayloadError::BadPlaceholder { .. })));
    assert!(Payload::new(json!({"_placeholder": false, "num": 9}), Vec::new()).is_ok());
}

#[test]
fn leaves_are_classified_like_the_javascript_parser() {
    assert_eq!(leaf(&ph(3)), Leaf::Placeholder(3));
    assert_eq!(
        leaf(&json!({"_placeholder": true, "num": 1, "extra": 0})),
        Leaf::Placeholder(1)
    );
    assert_eq!(
        leaf(&json!({"_placeholder": true, "num": -1})),
        Leaf::BadPlaceholder
    );
    assert_eq!(leaf(&json!({"_placeholder": 1, "num": 0})), Leaf::Json);
    assert_eq!(leaf(&json!([ph(0)])), Leaf::Json);
    assert_eq!(leaf(&json!("_placeholder")), Leaf::Json);
}

#[test]
fn deep_values_do_not_overflow_the_stack() {
    let mut value = ph(0);
    for _ in 0..100_000 {
        value = Value::Array(vec![value]);
    }
    let payload = Payload::new(value, vec![Bytes::new()]);
    assert!(payload.is_ok());
    // Dropping a deep `Value` recurses in serde_json; unwind it by hand.
    let mut value = payload.map(|p| p.into_parts().0).unwrap_or_default();
    while let Value::Array(mut items) = value {
        value = items.pop().unwrap_or_default();
    }
}

#[test]
fn attachment_resolves_a_leaf() {
    let payload = Payload::new(
        json!(["a", ph(1), ph(0)]),
        vec![Bytes::from("x"), Bytes::from("y")],
    );
    let Ok(payload) = payload else {
        panic!("{payload:?}")
    };
    assert_eq!(
        payload.attachment(&payload.value()[1]),
        Some(&Bytes::from("y"))
    );
    assert_eq!(payload.attachment(&payload.value()[0]), None);
    assert!(payload.has_attachments());
    let (value, attachments) = payload.into_parts();
    assert_eq!((value[2].clone(), attachments.len()), (ph(0), 2));
}

#[test]
fn args_read_one_by_one() -> Result<(), PayloadError> {
    let payload = Payload::new(json!(["hi", ph(0), {"n": 2}]), vec![Bytes::from("b")])?;
    assert_eq!(payload.arg::<&str>(0)?, "hi");
    assert_eq!(payload.arg::<Binary>(1)?.as_bytes(), &Bytes::from("b"));
    assert_eq!(payload.arg::<HashMap<String, u8>>(2)?.get("n"), Some(&2));
    assert_eq!(payload.arg::<Option<String>>(3)?, None);
    assert!(matches!(
        payload.arg::<u8>(0),
        Err(PayloadError::Deserialize(_))
    ));
    Ok(())
}

#[test]
fn non_arrays_become_a_single_argument() {
    let payload = Payload::from(json!({"a": 1})).into_args();
    assert_eq!(payload.value(), &json!([{"a": 1}]));
    let payload = Payload::from(json!([1])).into_args();
    assert_eq!(payload.value(), &json!([1]));
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Message<'a> {
    from: &'a str,
    body: String,
    files: BTreeMap<String, Binary>,
    thumbnail: Option<Binary>,
}

#[test]
fn structs_with_binary_fields_round_trip() -> Result<(), PayloadError> {
    let files = BTreeMap::from([
        ("a.txt".to_owned(), Binary::from_static(b"aaa")),
        ("b.txt".to_owned(), Binary::from_static(b"bbb")),
    ]);
    let message = Message {
        from: "ann",
        body: "hi".into(),
        files,
        thumbnail: None,
    };
    let payload = to_payload(&message)?;
    assert_eq!(payload.attachments().len(), 2);
    assert_eq!(payload.value()["files"]["b.txt"], ph(1));
    assert_eq!(payload.value()["thumbnail"], Value::Null);
    assert_eq!(from_payload::<Message<'_>>(&payload)?, message);
    Ok(())
}

#[test]
fn attachments_are_shared_not_copied() -> Result<(), PayloadError> {
    let bytes = Bytes::from(vec![7u8; 1024]);
    let payload = to_payload(&[Binary::new(bytes.clone())])?;
    assert_eq!(payload.attachments()[0].as_ptr(), bytes.as_ptr());
    let [back]: [Binary; 1] = from_payload(&payload)?;
    assert_eq!(back.as_ptr(), bytes.as_ptr());
    Ok(())
}

#[test]
fn plain_json_has_no_attachments() -> Result<(), PayloadError> {
    let payload = to_payload(&("x", 1, [true, false], None::<u8>))?;
    assert_eq!(payload.value(), &json!(["x", 1, [true, false], null]));
    assert!(!payload.has_attachments());
    Ok(())
}

#[test]
fn conversion_errors() {
    let keys = HashMap::from([((1, 2), 3)]);
    assert!(matches!(to_payload(&keys), Err(PayloadError::Serialize(_))));
    let payload = Payload::from(json!(["x", 1]));
    assert!(matches!(
        from_payload::<(u8, u8)>(&payload),
        Err(PayloadError::Deserialize(_))
    ));
    // A placeholder in plain JSON has no attachment to become.
    let payload = Payload::from(json!([ph(0)]));
    let err = from_payload::<(Binary,)>(&payload);
    assert!(
        matches!(&err, Err(e) if e.to_string().contains("refers to no attachment")),
        "{err:?}"
    );
}
