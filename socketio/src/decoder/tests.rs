//! The decoder's state machine, and properties over hostile input: nothing panics, and what
//! decodes re-encodes to a text that decodes to the same packet.

use bytes::Bytes;
use engineio::packet::{Message, Text};
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::binary::Binary;
use crate::decoder::Decoder;
use crate::decoder::DecoderConfig;
use crate::packet::strategy;
use crate::packet::{Packet, PacketKind};
use crate::parser::ParseError;
use crate::payload::from_payload;

const TWO: &str = r#"52-["x",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]"#;

#[test]
fn attachments_complete_in_order() -> Result<(), ParseError> {
    let mut decoder = Decoder::default();
    assert_eq!(decoder.feed_text(TWO)?, None);
    assert_eq!(decoder.remaining_attachments(), 2);
    assert_eq!(decoder.feed_binary(Bytes::from_static(b"first"))?, None);
    assert_eq!(decoder.remaining_attachments(), 1);
    let packet = decoder.feed_binary(Bytes::from_static(b"second"))?;
    assert_eq!(decoder.remaining_attachments(), 0);
    let args = packet
        .as_ref()
        .and_then(Packet::payload)
        .map(from_payload::<(Binary, Binary)>);
    // Placeholder 1 comes first in the JSON, so the second attachment is the first argument.
    let Some(Ok((one, two))) = args else {
        panic!("{args:?}")
    };
    assert_eq!((&one[..], &two[..]), (&b"second"[..], &b"first"[..]));
    Ok(())
}

#[test]
fn binary_without_a_waiting_packet_is_an_error() {
    let mut decoder = Decoder::default();
    let err = decoder.feed_binary(Bytes::from_static(b"\x01"));
    assert!(matches!(err, Err(ParseError::UnexpectedBinary)));
    assert!(matches!(decoder.feed_text(r#"2["x"]"#), Ok(Some(_))));
    assert!(matches!(
        decoder.feed_binary(Bytes::new()),
        Err(ParseError::UnexpectedBinary)
    ));
}

#[test]
fn text_while_waiting_is_an_error_and_resets() {
    let mut decoder = Decoder::default();
    assert!(matches!(decoder.feed_text(TWO), Ok(None)));
    let err = decoder.feed_text(r#"2["x"]"#);
    assert!(matches!(err, Err(ParseError::UnexpectedText)));
    assert_eq!(decoder.remaining_attachments(), 0);
    assert!(matches!(decoder.feed_text(r#"2["x"]"#), Ok(Some(_))));
}

#[test]
fn errors_leave_the_decoder_empty() {
    let mut decoder = Decoder::default();
    assert!(decoder.feed_text("9").is_err());
    assert!(decoder
        .feed_text(r#"51-["x",{"_placeholder":true,"num":3}]"#)
        .is_err());
    assert_eq!(decoder.remaining_attachments(), 0);
    assert!(matches!(
        decoder.feed_binary(Bytes::new()),
        Err(ParseError::UnexpectedBinary)
    ));
}

#[test]
fn reset_drops_the_waiting_packet() {
    let mut decoder = Decoder::default();
    assert!(matches!(decoder.feed_text(TWO), Ok(None)));
    decoder.reset();
    assert_eq!(decoder.remaining_attachments(), 0);
    assert!(matches!(decoder.feed_text("1"), Ok(Some(_))));
}

#[test]
fn attachment_limit_is_configurable() {
    let mut decoder = Decoder::new(DecoderConfig {
        max_attachments: 1,
        ..Default::default()
    });
    assert_eq!(decoder.config().max_attachments, 1);
    let err = decoder.feed_text(TWO);
    assert!(matches!(
        err,
        Err(ParseError::TooManyAttachments { count: 2, max: 1 })
    ));
    let one = r#"61-5[{"_placeholder":true,"num":0}]"#;
    assert!(matches!(decoder.feed_text(one), Ok(None)));
    let packet = decoder.feed_binary(Bytes::from_static(b"ok"));
    assert!(matches!(
        packet,
        Ok(Some(Packet {
            kind: PacketKind::Ack { id: 5, .. },
            ..
        }))
    ));
}

#[test]
fn engineio_messages_of_both_kinds() {
    let mut decoder = Decoder::default();
    let text = Message::Text(Text::new(r#"51-["x",{"_placeholder":true,"num":0}]"#));
    assert!(matches!(decoder.feed(text), Ok(None)));
    let packet = decoder.feed(Message::Binary(Bytes::from_static(b"\xff")));
    let attachments = packet
        .ok()
        .flatten()
        .and_then(|p| p.payload().map(|a| a.attachments().to_vec()));
    assert_eq!(attachments, Some(vec![Bytes::from_static(b"\xff")]));
}

/// Text close to the grammar, so that decoding gets past the first checks: a header, then
/// JSON arrays with placeholders, any JSON, or a soup of JSON tokens.
fn protocol_text() -> impl Strategy<Value = String> {
    let kind = prop_oneof![3 => "[0-4]", 2 => "[56][0-3]-", 1 => "[0-7]([0-9]{0,2}-)?"];
    let namespace =
        prop_oneof![2 => Just(String::new()), 2 => "/[a-z]{1,4},", 1 => "/[a-z,/]{0,4}"];
    let header = (kind, namespace, "[0-9]{0,3}").prop_map(|(kind, ns, id)| kind + &ns + &id);
    let placeholder = (0u64..4).prop_map(|num| json!({ "_placeholder": true, "num": num }));
    let item = prop_oneof![strategy::json(), placeholder];
    let array = proptest::collection::vec(item, 0..4).prop_map(Value::Array);
    let soup = r#"(\[|\]|\{|\}|"|,|:|_placeholder|num|true|null|-?[0-9]{1,3}|[a-z ]){0,16}"#;
    let body = prop_oneof![
        3 => array.prop_map(|value| value.to_string()),
        1 => strategy::json().prop_map(|value| value.to_string()),
        1 => strategy::object().prop_map(|value| value.to_string()),
        1 => soup,
        1 => Just(String::new()),
    ];
    (header, body).prop_map(|(header, body)| header + &body)
}

/// A valid encoding with a slice of it replaced by noise.
fn mutated_encoding() -> impl Strategy<Value = String> {
    (
        strategy::packet(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        ".{0,4}",
    )
        .prop_map(|(packet, start, len, noise)| {
            let mut chars: Vec<char> = packet.encode_text().chars().collect();
            let start = start.index(chars.len() + 1);
            let end = start + len.index(chars.len() - start + 1).min(4);
            chars.splice(start..end, noise.chars());
            chars.into_iter().collect()
        })
}

#[derive(Debug, Clone)]
enum Input {
    Text(String),
    Binary(Vec<u8>),
}

fn inputs() -> impl Strategy<Value = Vec<Input>> {
    let input = prop_oneof![
        protocol_text().prop_map(Input::Text),
        any::<String>().prop_map(Input::Text),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Input::Binary),
    ];
    proptest::collection::vec(input, 0..12)
}

/// Decodes `text` and, when it decodes to a whole packet, checks that the re-encoding
/// decodes to that same packet.
fn check_canonical(text: &str) -> Result<(), TestCaseError> {
    let mut decoder = Decoder::default();
    let Ok(Some(packet)) = decoder.feed_text(text) else {
        return Ok(());
    };
    let again = Decoder::default().feed_text(&packet.encode_text());
    prop_assert!(
        matches!(&again, Ok(Some(p)) if *p == packet),
        "{text}: {again:?}"
    );
    Ok(())
}

proptest! {
    // Hostile input is cheap to generate and decode: try more of it than the default.
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = Decoder::default().feed_text(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in any::<Vec<u8>>()) {
        let _ = Decoder::default().feed_text(&String::from_utf8_lossy(&bytes));
        let _ = Decoder::default().feed_binary(Bytes::from(bytes));
    }

    #[test]
    fn protocol_like_text_never_panics(text in protocol_text()) {
        check_canonical(&text)?;
    }

    #[test]
    fn mutated_encodings_never_panic(text in mutated_encoding()) {
        check_canonical(&text)?;
    }

    #[test]
    fn message_sequences_never_panic(inputs in inputs()) {
        let mut decoder = Decoder::new(DecoderConfig { max_attachments: 3, ..Default::default() });
        for input in inputs {
            let _ = match input {
                Input::Text(text) => decoder.feed_text(&text),
                Input::Binary(bytes) => decoder.feed_binary(Bytes::from(bytes)),
            };
            prop_assert!(decoder.remaining_attachments() <= 3);
        }
    }
}

/// A decoder that takes as many attachments as a generated packet has.
fn unbounded_decoder() -> Decoder {
    Decoder::new(DecoderConfig {
        max_attachments: usize::MAX,
        ..Default::default()
    })
}

/// Feeds the messages of `packets`, one whole packet after the other, to one decoder.
fn decode_in_order(packets: &[Packet]) -> Result<Vec<Packet>, TestCaseError> {
    let mut decoder = unbounded_decoder();
    let mut decoded = Vec::new();
    for packet in packets {
        for message in packet.encode().messages() {
            let result = decoder.feed(message);
            prop_assert!(result.is_ok(), "{result:?} for {packet:?}");
            decoded.extend(result.ok().flatten());
        }
    }
    prop_assert_eq!(decoder.remaining_attachments(), 0);
    Ok(decoded)
}

/// A packet whose encoding has attachments.
fn binary_packet() -> impl Strategy<Value = Packet> {
    strategy::packet().prop_filter("no attachments", |p| p.encode().message_count() > 1)
}

proptest! {
    /// A packet's messages decode to the same packet whatever complete packets come before
    /// and after them: the packets, in any order, decode to themselves in that order.
    #[test]
    fn any_interleaving_of_complete_packets_decodes_the_same(
        (packets, shuffled) in proptest::collection::vec(strategy::packet(), 1..6)
            .prop_flat_map(|packets| (Just(packets.clone()), Just(packets).prop_shuffle()))
    ) {
        for packet in &packets {
            prop_assert_eq!(decode_in_order(std::slice::from_ref(packet))?, vec![packet.clone()]);
        }
        prop_assert_eq!(decode_in_order(&packets)?, packets);
        prop_assert_eq!(decode_in_order(&shuffled)?, shuffled);
    }

    /// Another packet's text among a binary packet's attachments is an error that drops the
    /// waiting packet; the attachments left over are errors too, and then the other packet
    /// decodes as if nothing had happened.
    #[test]
    fn a_packet_inside_a_binary_packet_is_an_error(
        binary in binary_packet(),
        other in strategy::packet(),
        at in any::<prop::sample::Index>(),
    ) {
        let attachments = binary.payload().map(|p| p.attachments().to_vec()).unwrap_or_default();
        let at = at.index(attachments.len());
        let mut decoder = unbounded_decoder();
        prop_assert!(matches!(decoder.feed_text(&binary.encode_text()), Ok(None)));
        for attachment in &attachments[..at] {
            prop_assert!(matches!(decoder.feed_binary(attachment.clone()), Ok(None)));
        }
        let err = decoder.feed_text(&other.encode_text());
        prop_assert!(matches!(err, Err(ParseError::UnexpectedText)), "{err:?}");
        prop_assert_eq!(decoder.remaining_attachments(), 0);
        for attachment in &attachments[at..] {
            let err = decoder.feed_binary(attachment.clone());
            prop_assert!(matches!(err, Err(ParseError::UnexpectedBinary)), "{err:?}");
        }
        let mut decoded = Vec::new();
        for message in other.encode().messages() {
            decoded.extend(decoder.feed(message).ok().flatten());
        }
        prop_assert_eq!(decoded, vec![other]);
    }
}

#[test]
fn a_huge_attachment_count_is_refused_or_reserves_little() {
    let mut decoder = Decoder::default();
    assert!(matches!(
        decoder.feed_text(r#"51000000-["x"]"#),
        Err(ParseError::TooManyAttachments {
            count: 1_000_000,
            max: 10
        })
    ));
    // A count past `usize::MAX` is no count, whatever the limit.
    let overflow = r#"518446744073709551616-["x"]"#;
    assert!(matches!(
        decoder.feed_text(overflow),
        Err(ParseError::BadAttachmentCount)
    ));
    let mut unbounded = unbounded_decoder();
    assert!(matches!(
        unbounded.feed_text(overflow),
        Err(ParseError::BadAttachmentCount)
    ));
    // Even a decoder told to take any count only reserves room for a few attachments: the
    // count is the peer's word, the attachments are what it actually sends.
    assert!(matches!(unbounded.feed_text(r#"51000000-["x"]"#), Ok(None)));
    assert_eq!(unbounded.remaining_attachments(), 1_000_000);
    let held = unbounded.pending.as_ref().map(|p| p.received.capacity());
    assert!(held.is_some_and(|capacity| capacity <= 16), "{held:?}");
}
