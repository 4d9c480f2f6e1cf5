use super::*;
use crate::packet::{Probe, Text};
use proptest::prelude::*;

fn text(s: &str) -> Result<Vec<Packet>, PacketError> {
    decode_text(&Bytes::copy_from_slice(s.as_bytes()))
}

/// The payload examples of the protocol's third revision, and the reference parser's (its
/// `parser-v3`) treatment of the edge cases.
#[test]
fn text_payload_examples() {
    assert_eq!(
        text("6:4hello2:4€").unwrap(),
        [
            Packet::Message(Text::new("hello")),
            Packet::Message(Text::new("€"))
        ]
    );
    assert_eq!(
        text("10:b4AQIDBA==").unwrap(),
        [Packet::Binary(Bytes::from_static(&[1, 2, 3, 4]))]
    );
    assert_eq!(text("1:2").unwrap(), [Packet::Ping(Probe::No)]);
    // An empty record is skipped.
    assert_eq!(text("0:1:6").unwrap(), [Packet::Noop]);
    // A character outside the BMP counts two UTF-16 units.
    assert_eq!(text("3:4😀").unwrap(), [Packet::Message(Text::new("😀"))]);
    assert_eq!(
        encode_text(&[
            Packet::Message(Text::new("😀")),
            Packet::Binary(Bytes::from_static(&[1]))
        ]),
        "3:4😀6:b4AQ=="
    );
}

#[test]
fn malformed_text_payloads_fail() {
    let invalid = Err(PacketError::InvalidLength);
    assert_eq!(text(""), Err(PacketError::Empty));
    assert_eq!(text("4hello"), invalid);
    assert_eq!(text(":4"), invalid);
    assert_eq!(text("x:4"), invalid);
    assert_eq!(text("9:4hello"), invalid);
    assert_eq!(
        text("2:4😀"),
        invalid,
        "a count that ends inside a character"
    );
    assert_eq!(text("6:4hello1"), invalid, "trailing digits");
    assert_eq!(text("99999999999:4"), invalid);
    assert_eq!(text("1:9"), Err(PacketError::UnknownType));
    assert_eq!(
        decode_text(&Bytes::from_static(b"2:4\xff")),
        Err(PacketError::InvalidUtf8)
    );
}

#[test]
fn malformed_binary_payloads_fail() {
    let bin = |b: &'static [u8]| decode_binary(&Bytes::from_static(b));
    let invalid = Err(PacketError::InvalidLength);
    assert_eq!(bin(b""), Err(PacketError::Empty));
    assert_eq!(bin(&[0, 2]), invalid, "no end of length");
    assert_eq!(bin(&[0, 0xff, b'4']), invalid, "no digit");
    assert_eq!(bin(&[0, 12, 0xff, b'4']), invalid, "a digit byte over 9");
    assert_eq!(bin(&[0, 5, 0xff, b'4']), invalid, "shorter than announced");
    assert_eq!(bin(&[2, 1, 0xff, b'4']), Err(PacketError::UnknownType));
    assert_eq!(bin(&[1, 2, 0xff, 3, 1]), Err(PacketError::UnknownType));
    assert_eq!(
        bin(&[0, 2, 0xff, b'4', 0xff]),
        Err(PacketError::InvalidUtf8)
    );
    assert_eq!(
        bin(&[0, 1, 0xff, b'2', 1, 1, 0xff, 4]).unwrap(),
        [Packet::Ping(Probe::No), Packet::Binary(Bytes::new())]
    );
}

fn packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        Just(Packet::Close),
        Just(Packet::Upgrade),
        Just(Packet::Noop),
        any::<bool>().prop_map(|p| Packet::Ping(if p { Probe::Yes } else { Probe::No })),
        any::<bool>().prop_map(|p| Packet::Pong(if p { Probe::Yes } else { Probe::No })),
        ".*".prop_map(|s| Packet::Message(Text::new(&s))),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| Packet::Binary(Bytes::from(b))),
    ]
}

proptest! {
    #[test]
    fn text_round_trip(packets in proptest::collection::vec(packet(), 1..8)) {
        let body = encode_text(&packets);
        prop_assert_eq!(decode_text(&Bytes::from(body)).unwrap(), packets);
    }

    #[test]
    fn binary_round_trip(packets in proptest::collection::vec(packet(), 1..8)) {
        let body = encode_binary(&packets);
        prop_assert_eq!(decode_binary(&Bytes::from(body)).unwrap(), packets);
    }

    #[test]
    fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let body = Bytes::from(body);
        let _ = decode_text(&body);
        let _ = decode_binary(&body);
    }
}
