use super::*;
use proptest::prelude::*;

fn text(s: &'static str) -> Result<Packet, PacketError> {
    Packet::decode_text(Bytes::from_static(s.as_bytes()))
}

#[test]
fn spec_examples_decode() {
    assert_eq!(text("1"), Ok(Packet::Close));
    assert_eq!(text("2"), Ok(Packet::Ping(Probe::No)));
    assert_eq!(text("3"), Ok(Packet::Pong(Probe::No)));
    assert_eq!(text("2probe"), Ok(Packet::Ping(Probe::Yes)));
    assert_eq!(text("3probe"), Ok(Packet::Pong(Probe::Yes)));
    assert_eq!(text("4hello"), Ok(Packet::Message(Text::new("hello"))));
    assert_eq!(text("4"), Ok(Packet::Message(Text::new(""))));
    assert_eq!(text("5"), Ok(Packet::Upgrade));
    assert_eq!(text("6"), Ok(Packet::Noop));
    let open = text(
        r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
    );
    assert!(matches!(open, Ok(Packet::Open(o)) if o.sid == "lv_VI97HAXpY6yYWAAAC"));
}

#[test]
fn spec_examples_encode() {
    let frame = |p: Packet| p.to_frame();
    assert_eq!(
        frame(Packet::Ping(Probe::Yes)),
        Frame::Text(Bytes::from("2probe"))
    );
    assert_eq!(
        frame(Packet::Pong(Probe::No)),
        Frame::Text(Bytes::from("3"))
    );
    assert_eq!(
        frame(Packet::Message(Text::new("hé"))),
        Frame::Text(Bytes::from("4hé"))
    );
    assert_eq!(frame(Packet::Noop), Frame::Text(Bytes::from("6")));
    assert_eq!(
        frame(Packet::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
        Frame::Binary(Bytes::from_static(&[1, 2, 3, 4]))
    );
}

#[test]
fn malformed_packets_fail() {
    assert_eq!(text(""), Err(PacketError::Empty));
    assert_eq!(text("7"), Err(PacketError::UnknownType));
    assert_eq!(text("b$$"), Err(PacketError::InvalidBase64));
    assert_eq!(text("1x"), Err(PacketError::UnexpectedData));
    assert_eq!(text("2pro"), Err(PacketError::UnexpectedData));
    assert_eq!(text("5probe"), Err(PacketError::UnexpectedData));
    assert_eq!(text("0{"), Err(PacketError::InvalidOpen));
    let bad_utf8 = Packet::decode_text(Bytes::from_static(b"4\xc3"));
    assert_eq!(bad_utf8, Err(PacketError::InvalidUtf8));
}

/// `b` + base64 is a binary message in a text packet, a WebSocket text frame included, as the
/// reference's `decodePacket` reads any string.
#[test]
fn base64_text_packets_are_binary_messages() {
    let binary = |b: &'static [u8]| Ok(Packet::Binary(Bytes::from_static(b)));
    assert_eq!(text("bAQID"), binary(&[1, 2, 3]));
    assert_eq!(text("b"), binary(&[]));
    let frame = Frame::Text(Bytes::from_static(b"bAQIDBA=="));
    assert_eq!(Packet::decode_frame(frame), binary(&[1, 2, 3, 4]));
}

#[test]
fn text_is_shared_not_copied() {
    let text = Text::new("broadcast");
    let a = Packet::Message(text.clone()).to_frame();
    let b = Packet::Message(text).to_frame();
    match (a, b) {
        (Frame::Text(a), Frame::Text(b)) => assert_eq!(a.as_ptr(), b.as_ptr()),
        other => panic!("unexpected frames {other:?}"),
    }
}

fn packet() -> impl Strategy<Value = Packet> {
    let probe = || any::<bool>().prop_map(|p| if p { Probe::Yes } else { Probe::No });
    prop_oneof![
        Just(Packet::Close),
        Just(Packet::Upgrade),
        Just(Packet::Noop),
        probe().prop_map(Packet::Ping),
        probe().prop_map(Packet::Pong),
        ".*".prop_map(|s| Packet::Message(Text::new(&s))),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| Packet::Binary(Bytes::from(b))),
        ("[a-zA-Z0-9_-]{20}", 0u64..100_000).prop_map(|(sid, ms)| Packet::Open(OpenPacket {
            sid,
            upgrades: vec!["websocket".into()],
            ping_interval: ms,
            ping_timeout: ms / 2,
            max_payload: 1_000_000,
        })),
    ]
}

proptest! {
    #[test]
    fn frame_round_trip(packet in packet()) {
        prop_assert_eq!(Packet::decode_frame(packet.to_frame()), Ok(packet));
    }

    #[test]
    fn arbitrary_frames_never_panic(data in proptest::collection::vec(any::<u8>(), 0..128)) {
        let _ = Packet::decode_text(Bytes::from(data));
    }
}
