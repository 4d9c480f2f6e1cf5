//! What the msgpack decoder refuses: packets the package refuses too, those this crate is
//! stricter about (see the module docs), and bytes that are not MessagePack.

use crate::msgpack::tests::{array, bin, decode, decoded, int, map, s};
use crate::msgpack::FormatError;
use crate::parser::ParseError;

fn refused(bytes: &[u8]) -> ParseError {
    match decode(bytes) {
        Err(err) => err,
        Ok(packet) => panic!("{bytes:02x?} decoded as {packet:?}"),
    }
}

#[test]
fn invalid_packets_are_refused() {
    let packet = |kind: Vec<u8>, nsp: Vec<u8>, data: Option<Vec<u8>>| {
        let mut fields = vec![("type", kind), ("nsp", nsp)];
        fields.extend(data.map(|data| ("data", data)));
        map(&fields)
    };
    let root = || s("/");
    for kind in [
        int(5),
        int(-1),
        s("2"),
        vec![0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
        vec![0xc0],
    ] {
        let err = refused(&packet(kind, root(), None));
        assert!(matches!(err, ParseError::UnknownType), "{err}");
    }
    assert!(matches!(refused(&s("x")), ParseError::UnknownType));
    assert!(matches!(
        refused(&map(&[("nsp", root())])),
        ParseError::UnknownType
    ));
    for nsp in [int(1), s("admin"), s("/a,b"), vec![0xc0]] {
        let err = refused(&packet(int(1), nsp, None));
        assert!(matches!(err, ParseError::InvalidNamespace), "{err}");
    }
    assert!(matches!(
        refused(&map(&[("type", int(1))])),
        ParseError::InvalidNamespace
    ));
    let invalid = [
        (0, Some(s("x"))),
        (0, Some(vec![0xc0])),
        (0, Some(array(&[]))),
        (1, Some(array(&[]))),
        (2, Some(map(&[]))),
        (2, None),
        (2, Some(array(&[]))),
        (2, Some(array(&[vec![0xc3]]))),
        (2, Some(array(&[bin(b"x")]))),
        (3, Some(s("x"))),
        (4, Some(int(1))),
        (4, None),
    ];
    for (kind, data) in invalid {
        let err = refused(&packet(int(kind), root(), data));
        assert!(
            matches!(err, ParseError::InvalidPayload(_)),
            "{kind}: {err}"
        );
    }
    let with_id = |id: Vec<u8>| {
        map(&[
            ("type", int(2)),
            ("nsp", root()),
            ("data", array(&[s("x")])),
            ("id", id),
        ])
    };
    for id in [
        int(-1),
        s("1"),
        vec![0xc0],
        vec![0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
    ] {
        assert!(matches!(refused(&with_id(id)), ParseError::BadAckId));
    }
    let ack = packet(int(3), root(), Some(array(&[])));
    assert!(matches!(refused(&ack), ParseError::MissingAckId));
    let reserved = packet(int(2), root(), Some(array(&[s("disconnect")])));
    assert!(matches!(refused(&reserved), ParseError::ReservedEvent(name) if name == "disconnect"));
    let fake = map(&[("_placeholder", vec![0xc3]), ("num", int(0))]);
    let mixed = packet(
        int(2),
        root(),
        Some(array(&[s("x"), fake.clone(), bin(b"b")])),
    );
    assert!(matches!(refused(&mixed), ParseError::BadPlaceholder));
    // Without real binaries it is plain JSON, as with the default parser.
    let plain = packet(int(2), root(), Some(array(&[s("x"), fake])));
    assert!(!decoded(&plain).payload().unwrap().has_attachments());
}

#[test]
fn malformed_msgpack_is_refused() {
    let good = map(&[("type", int(1)), ("nsp", s("/"))]);
    let trailing = [&good[..], &[0xc0]].concat();
    assert!(matches!(
        refused(&trailing),
        ParseError::Msgpack(FormatError::TrailingBytes(1))
    ));
    for cut in 0..good.len() {
        let err = refused(&good[..cut]);
        let expected =
            cut == 0 || matches!(err, ParseError::Msgpack(FormatError::Truncated { .. }));
        assert!(expected, "{cut}: {err}");
    }
    let reserved = [&[0x81][..], &s("nsp"), &[0xc1]].concat();
    assert!(matches!(
        refused(&reserved),
        ParseError::Msgpack(FormatError::ReservedMarker)
    ));
    let array_key = [&[0x81, 0x90][..], &int(1)].concat();
    assert!(matches!(
        refused(&array_key),
        ParseError::Msgpack(FormatError::UnsupportedKey)
    ));
}
