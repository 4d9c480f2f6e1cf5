//! Spec vectors of `socket.io-msgpack-parser` 3.0.2 and notepack.io 2.2 in both directions,
//! and the decoder's refusals. The byte strings were checked against the package under Node
//! (`tests/tests/msgpack_parser.rs` checks them all again against the real package).

use bytes::Bytes;
use engineio::packet::Message;
use serde_json::{json, Value};

use crate::decoder::DecoderConfig;
use crate::msgpack::{MsgpackDecoder, MsgpackParser};
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
pub(super) fn bin(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    rmp::encode::write_bin(&mut out, data).unwrap();
    out
}

/// A fixarray of encoded items.
pub(super) fn array(items: &[Vec<u8>]) -> Vec<u8> {
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
pub(super) const UNDEFINED: [u8; 3] = [0xd4, 0x00, 0x00];

pub(super) fn decode(bytes: &[u8]) -> Result<Packet, ParseError> {
    MsgpackDecoder::default().decode(&Bytes::copy_from_slice(bytes))
}

pub(super) fn decoded(bytes: &[u8]) -> Packet {
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
    // `<Buffer 83 a4 74 79 70 65 02 a3 6e 73 70 a1 2f a4 64 61 74 61 92 a5 68 65 6c 6c 6f a3
    // 79 6f 75>`, as printed in the README.
    let readme = b"\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa5hello\xa3you";
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
    // A binary whose key comes again is gone: the others are numbered in their order.
    let twice = map(&[
        ("a", bin(&[1])),
        ("b", bin(&[2])),
        ("a", bin(&[3])),
        ("c", bin(&[4])),
    ]);
    let gone = map(&[("d", bin(&[5])), ("d", UNDEFINED.to_vec())]);
    let bytes = map(&[
        ("type", int(2)),
        ("nsp", s("/")),
        ("data", array(&[s("x"), twice, gone])),
    ]);
    let args = json!([{"a": placeholder(0), "b": placeholder(1), "c": placeholder(2)}, {}]);
    let expected = event("x", args, &[&[3], &[2], &[4]], None);
    assert_eq!(decoded(&bytes), expected);
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
