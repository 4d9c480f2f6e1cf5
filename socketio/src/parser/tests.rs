//! The examples of the protocol spec in both directions, and the JavaScript parser's
//! acceptance rules.

use bytes::Bytes;
use engineio::packet::Message;
use serde_json::{json, Value};

use crate::decoder::Decoder;
use crate::decoder::{Decoded, DecoderConfig};
use crate::packet::{NamespaceName, Packet, PacketKind, PacketType};
use crate::parser::{decode, ParseError};
use crate::payload::Payload;

fn root() -> NamespaceName {
    NamespaceName::root()
}

fn admin() -> NamespaceName {
    NamespaceName::from_wire("/admin")
}

fn placeholder(num: u64) -> Value {
    json!({ "_placeholder": true, "num": num })
}

fn event(
    namespace: NamespaceName,
    name: &str,
    args: Value,
    attachments: &[&'static [u8]],
    ack: Option<u64>,
) -> Packet {
    let attachments = attachments.iter().map(|b| Bytes::from_static(b)).collect();
    let args = Payload::from_parts(args, attachments);
    Packet::new(
        namespace,
        PacketKind::Event {
            name: name.to_owned(),
            args,
            ack,
        },
    )
}

fn ack(namespace: NamespaceName, id: u64, args: Value, attachments: &[&'static [u8]]) -> Packet {
    let attachments = attachments.iter().map(|b| Bytes::from_static(b)).collect();
    Packet::ack(namespace, id, Payload::from_parts(args, attachments))
}

/// The packets of the spec's "Packet encoding" tables and sample session, with their text
/// and attachments.
fn spec_examples() -> Vec<(Packet, &'static str, Vec<&'static [u8]>)> {
    let buf: &'static [u8] = &[1, 2, 3, 4];
    vec![
        (Packet::connect(root(), None), "0", vec![]),
        (
            Packet::connect(root(), Some(json!({"sid": "wZX3oN0bSVIhsaknAAAI"}))),
            r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#,
            vec![],
        ),
        (Packet::connect(admin(), None), "0/admin,", vec![]),
        (
            Packet::connect(admin(), Some(json!({"sid": "oSO0OpakMV_3jnilAAAA"}))),
            r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
            vec![],
        ),
        (
            Packet::connect(admin(), Some(json!({"token": "123"}))),
            r#"0/admin,{"token":"123"}"#,
            vec![],
        ),
        (
            Packet::connect_error(root(), "Not authorized"),
            r#"4{"message":"Not authorized"}"#,
            vec![],
        ),
        (
            event(root(), "foo", json!([]), &[], None),
            r#"2["foo"]"#,
            vec![],
        ),
        (
            event(admin(), "bar", json!([]), &[], None),
            r#"2/admin,["bar"]"#,
            vec![],
        ),
        (
            event(root(), "hello", json!([1]), &[], None),
            r#"2["hello",1]"#,
            vec![],
        ),
        (
            event(root(), "hey", json!(["Jude"]), &[], None),
            r#"2["hey","Jude"]"#,
            vec![],
        ),
        (
            event(root(), "baz", json!([placeholder(0)]), &[buf], None),
            r#"51-["baz",{"_placeholder":true,"num":0}]"#,
            vec![buf],
        ),
        (
            event(
                admin(),
                "baz",
                json!([placeholder(0), placeholder(1)]),
                &[&[1, 2], &[3, 4]],
                None,
            ),
            r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            vec![&[1, 2], &[3, 4]],
        ),
        (
            event(admin(), "x", json!([placeholder(0)]), &[buf], Some(456)),
            r#"51-/admin,456["x",{"_placeholder":true,"num":0}]"#,
            vec![buf],
        ),
        (
            event(root(), "foo", json!([]), &[], Some(12)),
            r#"212["foo"]"#,
            vec![],
        ),
        (ack(root(), 12, json!([]), &[]), "312[]", vec![]),
        (
            event(admin(), "foo", json!([]), &[], Some(13)),
            r#"2/admin,13["foo"]"#,
            vec![],
        ),
        (
            ack(admin(), 13, json!(["bar"]), &[]),
            r#"3/admin,13["bar"]"#,
            vec![],
        ),
        (ack(admin(), 456, json!([]), &[]), "3/admin,456[]", vec![]),
        (
            event(root(), "foo", json!([placeholder(0)]), &[buf], Some(14)),
            r#"51-14["foo",{"_placeholder":true,"num":0}]"#,
            vec![buf],
        ),
        (
            ack(root(), 14, json!(["bar"]), &[]),
            r#"314["bar"]"#,
            vec![],
        ),
        (
            event(root(), "foo", json!([]), &[], Some(15)),
            r#"215["foo"]"#,
            vec![],
        ),
        (
            ack(root(), 15, json!(["bar", placeholder(0)]), &[buf]),
            r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
            vec![buf],
        ),
        (Packet::disconnect(root()), "1", vec![]),
        (Packet::disconnect(admin()), "1/admin,", vec![]),
    ]
}

/// Decodes a text message and its attachments with a fresh default decoder.
fn decode_all(text: &str, attachments: &[&'static [u8]]) -> Result<Option<Packet>, ParseError> {
    let mut decoder = Decoder::default();
    let mut packet = decoder.feed_text(text)?;
    for attachment in attachments {
        assert!(packet.is_none(), "complete before its attachments: {text}");
        packet = decoder.feed_binary(Bytes::from_static(attachment))?;
    }
    Ok(packet)
}

fn decode_err(text: &str) -> ParseError {
    match decode(text, &DecoderConfig::default()) {
        Err(err) => err,
        Ok(decoded) => panic!("{text} decoded as {decoded:?}"),
    }
}

fn decode_ok(text: &str) -> Packet {
    match decode(text, &DecoderConfig::default()) {
        Ok(Decoded::Complete(packet)) => packet,
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn spec_examples_encode() {
    for (packet, text, attachments) in spec_examples() {
        let encoded = packet.encode();
        assert_eq!(encoded.text().map(|t| t.as_str()), Some(text));
        let binaries: Vec<Message> = encoded.messages().skip(1).collect();
        let expected: Vec<Message> = attachments
            .iter()
            .map(|b| Message::Binary(Bytes::from_static(b)))
            .collect();
        assert_eq!(binaries, expected, "attachments of {text}");
        assert_eq!(encoded.message_count(), 1 + attachments.len());
    }
}

#[test]
fn spec_examples_decode() {
    for (packet, text, attachments) in spec_examples() {
        let decoded = decode_all(text, &attachments);
        assert!(
            matches!(&decoded, Ok(Some(p)) if *p == packet),
            "{text}: {decoded:?}"
        );
    }
}

#[test]
fn binary_types_follow_attachments() {
    let types: Vec<_> = spec_examples()
        .iter()
        .map(|(p, ..)| p.packet_type())
        .collect();
    assert_eq!(types.iter().filter(|t| t.is_binary()).count(), 5);
    assert!(types.contains(&PacketType::BinaryAck) && types.contains(&PacketType::ConnectError));
}

#[test]
fn header_errors() {
    assert!(matches!(decode_err(""), ParseError::Empty));
    for text in ["7", "999", "x", "-1", "é"] {
        assert!(
            matches!(decode_err(text), ParseError::UnknownType),
            "{text}"
        );
    }
    for text in [
        "5",
        r#"5-["x"]"#,
        r#"5a-["x"]"#,
        r#"61["x"]"#,
        "599999999999999999999999-[]",
    ] {
        assert!(
            matches!(decode_err(text), ParseError::BadAttachmentCount),
            "{text}"
        );
    }
    let err = decode_err(r#"511-["x"]"#);
    assert!(
        matches!(err, ParseError::TooManyAttachments { count: 11, max: 10 }),
        "{err}"
    );
    assert!(matches!(
        decode_err(r#"299999999999999999999["x"]"#),
        ParseError::BadAckId
    ));
    assert!(matches!(decode_err("3[]"), ParseError::MissingAckId));
    assert!(matches!(
        decode_err(r#"6/admin,1-["x"]"#),
        ParseError::BadAttachmentCount
    ));
}

#[test]
fn huge_announced_counts_reserve_little() {
    let config = DecoderConfig {
        max_attachments: usize::MAX,
        ..DecoderConfig::default()
    };
    let decoded = decode(&format!(r#"5{}-["x"]"#, usize::MAX), &config);
    assert!(matches!(decoded, Ok(Decoded::Incomplete(p)) if p.remaining() == usize::MAX));
}

/// The inputs the JavaScript parser's test suite rejects as "invalid payload", plus the
/// spec's rule that events and acks carry data.
#[test]
fn payload_shapes_follow_the_javascript_parser() {
    let invalid = |text: &str, kind: PacketType| {
        let err = decode_err(text);
        assert!(
            matches!(err, ParseError::InvalidPayload(k) if k == kind),
            "{text}: {err}"
        );
    };
    invalid(r#"0/admin,"invalid""#, PacketType::Connect);
    invalid("0[]", PacketType::Connect);
    invalid("1/admin,{}", PacketType::Disconnect);
    invalid("2/admin,{}", PacketType::Event);
    invalid(r#"2[{"toString":"foo"}]"#, PacketType::Event);
    invalid(r#"2[true,"foo"]"#, PacketType::Event);
    invalid(r#"2[null,"bar"]"#, PacketType::Event);
    invalid("2[]", PacketType::Event);
    invalid("2", PacketType::Event);
    invalid(
        r#"51-[{"_placeholder":true,"num":0}]"#,
        PacketType::BinaryEvent,
    );
    invalid("3/admin,1{}", PacketType::Ack);
    invalid("31", PacketType::Ack);
    invalid("4", PacketType::ConnectError);
    invalid("4[]", PacketType::ConnectError);
    invalid("4true", PacketType::ConnectError);
    for text in [
        r#"442["some","data""#,
        r#"2/admin,"invalid"#,
        "2admin,[\"x\"]",
        "0{",
        "2[1e999]",
    ] {
        assert!(
            matches!(decode_err(text), ParseError::InvalidJson(_)),
            "{text}"
        );
    }
    let reserved = |text: &str, name: &str| {
        let err = decode_err(text);
        assert!(
            matches!(&err, ParseError::ReservedEvent(n) if n == name),
            "{text}: {err}"
        );
    };
    reserved(r#"2["connect"]"#, "connect");
    reserved(r#"2["disconnect","123"]"#, "disconnect");
    reserved(
        r#"51-["newListener",{"_placeholder":true,"num":0}]"#,
        "newListener",
    );
}

#[test]
fn reserved_events_pass_when_allowed() {
    let config = DecoderConfig {
        reject_reserved_events: false,
        ..DecoderConfig::default()
    };
    let decoded = decode(r#"2["disconnecting"]"#, &config);
    let name = match decoded {
        Ok(Decoded::Complete(Packet {
            kind: PacketKind::Event { name, .. },
            ..
        })) => name,
        other => panic!("{other:?}"),
    };
    assert_eq!(name, "disconnecting");
}

#[test]
fn placeholders_must_name_an_announced_attachment() {
    for bad in [
        r#"{"num":1}"#,
        r#"{"num":-1}"#,
        "{}",
        r#"{"num":"0"}"#,
        r#"{"num":0.5}"#,
    ] {
        let placeholder = bad
            .replace('{', r#"{"_placeholder":true,"#)
            .replace(",}", "}");
        let text = format!(r#"51-["x",{placeholder}]"#);
        assert!(
            matches!(decode_err(&text), ParseError::BadPlaceholder),
            "{text}"
        );
    }
    // `_placeholder` must be `true` to mark a placeholder, as in the JavaScript parser.
    let packet = decode_all(r#"51-["x",{"_placeholder":"yes","num":7}]"#, &[b"\x00"]);
    assert!(matches!(packet, Ok(Some(_))));
}

#[test]
fn placeholders_in_plain_packets_stay_json() {
    let packet = decode_ok(r#"2["x",{"_placeholder":true,"num":0}]"#);
    let args = packet
        .payload()
        .cloned()
        .unwrap_or_else(|| Payload::from(Value::Null));
    assert!(!args.has_attachments());
    assert_eq!(args.attachment(&args.value()[0]), None);
    assert_eq!(
        packet.encode_text(),
        r#"2["x",{"_placeholder":true,"num":0}]"#
    );
}

#[test]
fn javascript_leniencies() {
    let numeric = decode_ok(r#"2[1,"a",{}]"#);
    assert!(matches!(&numeric.kind, PacketKind::Event { name, .. } if name == "1"));
    assert_eq!(numeric.encode_text(), r#"2["1","a",{}]"#);
    assert_eq!(decode_ok("1/admin"), Packet::disconnect(admin()));
    assert_eq!(decode_ok("0/admin,7"), Packet::connect(admin(), None));
    assert_eq!(
        decode_ok(r#"50-["x"]"#),
        event(root(), "x", json!([]), &[], None)
    );
    assert_eq!(
        decode_ok(r#"2007["x"]"#),
        event(root(), "x", json!([]), &[], Some(7))
    );
    assert_eq!(
        decode_ok(r#"4"Unauthorized""#),
        Packet {
            namespace: root(),
            kind: PacketKind::ConnectError(json!("Unauthorized")),
        }
    );
    let odd = decode_ok(r#"2/a b/ü,["é"]"#);
    assert_eq!(odd.namespace, "/a b/ü");
}
