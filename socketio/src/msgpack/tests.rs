//! Spec vectors of `socket.io-msgpack-parser` 3.0.2 and notepack.io 2.2 in both directions,
//! and the decoder's refusals. The byte strings were checked against the package under Node
//! (`tests/tests/msgpack_parser.rs` checks them all again against the real package).

use bytes::Bytes;
use engineio::packet::Message;
use serde_json::{json, Value};

use crate::decoder::DecoderConfig;
use crate::msgpack::{FormatError, MsgpackDecoder, MsgpackParser};
use crate::packet::{NamespaceName, Packet, PacketKind};
use crate::parser::{ParseError, Parser};
use crate::payload::Payload;

/// MessagePack of a string.
pub(super) fn s(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    rmp::encode::write_str(&mut out, text).unwrap();
    out
}

/// MessagePack of an integer.
pub(super) fn int(value: i64) -> Vec<u8> {
    let mut out = Vec::new();
    rmp::encode::write_sint(&mut out, value).unwrap();
    out
}

/// MessagePack of a binary.
fn bin(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    rmp::encode::write_bin(&mut out, data).unwrap();
    out
}

/// A fixarray of encoded items.
fn array(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0x90 | u8::try_from(items.len()).unwrap()];
    items.iter().for_each(|item| out.extend_from_slice(item));
    out
}

/// A fixmap of string keys and encoded values, in order.
pub(super) fn map(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![0x80 | u8::try_from(entries.len()).unwrap()];
    for (key, value) in entries {
        out.extend(s(key));
        out.extend_from_slice(value);
    }
    out
}

/// notepack 2.2's `undefined`.
const UNDEFINED: [u8; 3] = [0xd4, 0x00, 0x00];

fn decode(bytes: &[u8]) -> Result<Packet, ParseError> {
    MsgpackDecoder::default().decode(&Bytes::copy_from_slice(bytes))
}

fn decoded(bytes: &[u8]) -> Packet {
    decode(bytes).unwrap_or_else(|err| panic!("{bytes:02x?}: {err}"))
}

fn encode(packet: &Packet) -> Vec<u8> {
    match MsgpackParser.encode(packet).unwrap().first() {
        Message::Binary(bytes) => bytes.to_vec(),
        other => panic!("not binary: {other:?}"),
    }
}

fn root() -> NamespaceName {
    NamespaceName::root()
}

fn admin() -> NamespaceName {
    NamespaceName::from_wire("/admin")
}

fn placeholder(num: u64) -> Value {
    json!({ "_placeholder": true, "num": num })
}

fn event(name: &str, args: Value, attachments: &[&'static [u8]], ack: Option<u64>) -> Packet {
    let attachments = attachments.iter().map(|b| Bytes::from_static(b)).collect();
    let args = Payload::from_parts(args, attachments);
    let kind = PacketKind::Event {
        name: name.to_owned(),
        args,
        ack,
    };
    Packet::new(root(), kind)
}

/// Packets and their bytes as the package writes them, with the keys in our order.
fn vectors() -> Vec<(Packet, Vec<u8>)> {
    let t = |n: i64| ("type", int(n));
    let nsp = |name: &str| ("nsp", s(name));
    vec![
        (Packet::connect(root(), None), map(&[t(0), nsp("/")])),
        (
            Packet::connect(admin(), Some(json!({"token": "123"}))),
            map(&[t(0), nsp("/admin"), ("data", map(&[("token", s("123"))]))]),
        ),
        (Packet::disconnect(admin()), map(&[t(1), nsp("/admin")])),
        (
            event("hello", json!(["you"]), &[], None),
            map(&[t(2), nsp("/"), ("data", array(&[s("hello"), s("you")]))]),
        ),
        (
            event("q", json!([]), &[], Some(4_294_967_296)),
            map(&[
                t(2),
                nsp("/"),
                ("data", array(&[s("q")])),
                ("id", vec![0xcf, 0, 0, 0, 1, 0, 0, 0, 0]),
            ]),
        ),
        (
            event("up", json!([{"a": placeholder(0)}]), &[b"\x01\x02"], None),
            map(&[
                t(2),
                nsp("/"),
                ("data", array(&[s("up"), map(&[("a", bin(b"\x01\x02"))])])),
            ]),
        ),
        (
            Packet::ack(admin(), 7, json!([1.5, -129, null, true]).into()),
            map(&[
                t(3),
                nsp("/admin"),
                (
                    "data",
                    array(&[
                        [0xcb_u8]
                            .iter()
                            .chain(&1.5_f64.to_be_bytes())
                            .copied()
                            .collect(),
                        vec![0xd1, 0xff, 0x7f],
                        vec![0xc0],
                        vec![0xc3],
                    ]),
                ),
                ("id", int(7)),
            ]),
        ),
        (
            Packet::new(root(), PacketKind::ConnectError(json!("Not authorized"))),
            map(&[t(4), nsp("/"), ("data", s("Not authorized"))]),
        ),
        (
            Packet::connect_error(admin(), "Invalid namespace"),
            map(&[
                t(4),
                nsp("/admin"),
                ("data", map(&[("message", s("Invalid namespace"))])),
            ]),
        ),
    ]
}

#[test]
fn the_readme_example() {
    let readme = b"\x83\xa4\x74\x79\x70\x65\x02\xa3\x6e\x73\x70\xa1\x2f\xa4\x64\x61\x74\x61\x92\xa5\x68\x65\x6c\x6c\x6f\xa3\x79\x6f\x75";
    let packet = event("hello", json!(["you"]), &[], None);
    assert_eq!(encode(&packet), readme);
    assert_eq!(decoded(readme), packet);
}

#[test]
fn vectors_encode_to_the_package_s_bytes_and_decode_back() {
    for (packet, bytes) in vectors() {
        assert_eq!(encode(&packet), bytes, "{packet:?}");
        assert_eq!(decoded(&bytes), packet, "{bytes:02x?}");
    }
}

#[test]
fn a_packet_is_one_binary_message() {
    let encoded = MsgpackParser.encode(&event("x", json!([]), &[b"ab"], None));
    let encoded = encoded.unwrap();
    assert_eq!(encoded.message_count(), 1);
    assert!(encoded.text().is_none() && encoded.has_binary());
    let mut decoder = MsgpackParser.decoder(DecoderConfig::default());
    let text = Message::Text(engineio::packet::Text::new("2[\"x\"]"));
    let err = decoder.feed(text);
    assert!(
        matches!(err, Err(ParseError::UnsupportedMessage(_))),
        "{err:?}"
    );
    assert!(matches!(decoder.feed(encoded.first().clone()), Ok(Some(_))));
}

#[test]
fn binaries_share_the_message_buffer() {
    let bytes = Bytes::from(encode(&event(
        "up",
        json!([placeholder(0)]),
        &[b"xyz"],
        None,
    )));
    let packet = MsgpackDecoder::default().decode(&bytes).unwrap();
    let attachment = &packet.payload().unwrap().attachments()[0];
    assert_eq!(&attachment[..], b"xyz");
    let inside = bytes.as_ptr_range();
    assert!(
        inside.contains(&attachment.as_ptr()),
        "the attachment was copied"
    );
}

/// What the official client sends: `options`, `undefined` data, keys in its own order.
#[test]
fn client_packets() {
    let connect = map(&[
        ("type", int(0)),
        ("data", UNDEFINED.to_vec()),
        ("nsp", s("/")),
    ]);
    assert_eq!(decoded(&connect), Packet::connect(root(), None));
    let emit = map(&[
        ("type", int(2)),
        ("data", array(&[s("chat"), s("hi")])),
        ("options", map(&[("compress", vec![0xc3])])),
        ("id", int(0)),
        ("nsp", s("/admin")),
    ]);
    let expected = Packet::new(admin(), event("chat", json!(["hi"]), &[], Some(0)).kind);
    assert_eq!(decoded(&emit), expected);
    let reply = map(&[
        ("type", int(0)),
        (
            "data",
            map(&[("sid", s("abc")), ("pid", UNDEFINED.to_vec())]),
        ),
        ("nsp", s("/")),
    ]);
    assert_eq!(
        decoded(&reply),
        Packet::connect(root(), Some(json!({"sid": "abc"})))
    );
}

#[test]
fn notepack_values() {
    let args = |items: Vec<Vec<u8>>| {
        let mut data = vec![s("x")];
        data.extend(items);
        map(&[("type", int(2)), ("nsp", s("/")), ("data", array(&data))])
    };
    let arg_values = |bytes: &[u8]| {
        let packet = decoded(bytes);
        let payload = packet.payload().cloned().unwrap();
        payload.into_parts()
    };
    // undefined: null in an array, left out of a map.
    let (value, _) = arg_values(&args(vec![
        UNDEFINED.to_vec(),
        map(&[("a", UNDEFINED.to_vec()), ("b", int(1))]),
    ]));
    assert_eq!(value, json!([null, {"b": 1}]));
    // ArrayBuffers (ext 8 of type 0) of 1 and 8 bytes are binaries, not undefined nor a Date.
    let (value, attachments) = arg_values(&args(vec![
        vec![0xc7, 1, 0, 0xaa],
        [&[0xc7, 8, 0][..], &[1; 8]].concat(),
    ]));
    assert_eq!(value, json!([placeholder(0), placeholder(1)]));
    assert_eq!(
        attachments,
        [Bytes::from_static(&[0xaa]), Bytes::from(vec![1; 8])]
    );
    // A Date (fixext 8 of type 0), other extensions as [type, binary].
    let date = [&[0xd7, 0][..], &1_700_000_000_123_i64.to_be_bytes()].concat();
    let timestamp = vec![0xd6, 0xff, 0, 0, 0, 1];
    let (value, attachments) = arg_values(&args(vec![date, timestamp, vec![0xd4, 5, 9]]));
    let expected = json!([
        "2023-11-14T22:13:20.123Z",
        [-1, placeholder(0)],
        [5, placeholder(1)]
    ]);
    assert_eq!(value, expected);
    assert_eq!(
        attachments,
        [Bytes::from_static(&[0, 0, 0, 1]), Bytes::from_static(&[9])]
    );
    // float32, NaN, big integers, keys that are not strings, invalid UTF-8.
    let nan = [&[0xcb][..], &f64::NAN.to_be_bytes()].concat();
    let keys = [
        &[0x84, 0x01, 0xc3, 0xc0, 0xc2, 0xc3, 0x01, 0xd4, 0, 0][..],
        &int(2),
    ]
    .concat();
    let (value, _) = arg_values(&args(vec![
        vec![0xca, 0x3f, 0xc0, 0, 0],
        nan,
        vec![0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        vec![0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
        keys,
        vec![0xa2, 0xc3, 0x28],
    ]));
    let keys = json!({"1": true, "null": false, "true": 1, "undefined": 2});
    let expected = json!([1.5, null, u64::MAX, i64::MIN, keys, "\u{fffd}("]);
    assert_eq!(value, expected);
}

#[test]
fn connect_and_connect_error_binaries_are_buffer_json() {
    let auth = map(&[("key", bin(&[1, 2])), ("n", int(1))]);
    let bytes = map(&[("type", int(0)), ("nsp", s("/")), ("data", auth)]);
    let buffer = json!({"type": "Buffer", "data": [1, 2]});
    let expected = Packet::connect(root(), Some(json!({"key": buffer, "n": 1})));
    assert_eq!(decoded(&bytes), expected);
    let error = map(&[("message", s("no")), ("data", array(&[bin(&[])]))]);
    let bytes = map(&[("type", int(4)), ("nsp", s("/")), ("data", error)]);
    let expected = json!({"message": "no", "data": [{"type": "Buffer", "data": []}]});
    assert_eq!(decoded(&bytes).kind, PacketKind::ConnectError(expected));
}

#[test]
fn lenient_where_the_package_is() {
    // Keys in any order, a later key replacing an earlier one, integral floats as integers.
    let f64_of = |float: f64| [&[0xcb][..], &float.to_be_bytes()].concat();
    let bytes = map(&[
        ("data", array(&[s("old")])),
        ("id", f64_of(3.0)),
        ("nsp", s("/")),
        ("type", f64_of(2.0)),
        ("data", array(&[int(5), s("a")])),
    ]);
    assert_eq!(decoded(&bytes), event("5", json!(["a"]), &[], Some(3)));
    // An id on a packet without acks is checked and ignored; reserved names may be allowed.
    let bytes = map(&[("type", int(1)), ("nsp", s("/")), ("id", int(9))]);
    assert_eq!(decoded(&bytes), Packet::disconnect(root()));
    let lax = MsgpackDecoder::new(DecoderConfig {
        reject_reserved_events: false,
        ..DecoderConfig::default()
    });
    let bytes = map(&[
        ("type", int(2)),
        ("nsp", s("/")),
        ("data", array(&[s("connect")])),
    ]);
    assert!(lax.decode(&Bytes::from(bytes)).is_ok());
}

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
