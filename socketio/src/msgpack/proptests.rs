//! Round-trip properties of the msgpack parser, and the decoder on broken input.

use bytes::Bytes;
use engineio::packet::Message;
use proptest::prelude::*;

use crate::decoder::{Decoder, DecoderConfig};
use crate::msgpack::{FormatError, MsgpackDecoder, MsgpackParser};
use crate::packet::{strategy, Packet};
use crate::parser::{JsonParser, ParseError, Parser};

/// A decoder that accepts any number of binaries (the strategies make many).
fn decoder() -> MsgpackDecoder {
    MsgpackDecoder::new(DecoderConfig {
        max_attachments: usize::MAX,
        ..DecoderConfig::default()
    })
}

fn encode(packet: &Packet) -> Bytes {
    match MsgpackParser.encode(packet).map(|e| e.first().clone()) {
        Ok(Message::Binary(bytes)) => bytes,
        other => panic!("{other:?}"),
    }
}

/// The packet through the default parser: its encoding fed to a fresh decoder.
fn through_json(packet: &Packet) -> Option<Packet> {
    let encoded = JsonParser.encode(packet).ok()?;
    let mut decoder = Decoder::new(decoder().config().clone());
    let mut decoded = None;
    for message in encoded.messages() {
        decoded = decoder.feed(message).ok()?;
    }
    decoded
}

/// What every decoded packet must satisfy: it is allowed, it re-encodes to bytes that decode
/// to it again, to the same bytes again, and the default parser carries it unchanged.
fn check_decoded(packet: &Packet) -> Result<(), TestCaseError> {
    let again = encode(packet);
    let decoded = decoder().decode(&again);
    prop_assert!(
        matches!(&decoded, Ok(p) if p == packet),
        "{decoded:?} != {packet:?}"
    );
    if let Ok(decoded) = decoded {
        prop_assert_eq!(encode(&decoded), again);
    }
    let json = through_json(packet);
    prop_assert_eq!(json.as_ref(), Some(packet));
    Ok(())
}

/// One encoded MessagePack value, of any kind notepack writes or reads, a few levels deep.
fn msgpack_value() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(vec![0xc0]),
        any::<bool>().prop_map(|b| vec![0xc2 | u8::from(b)]),
        any::<i64>().prop_map(|n| encoded(|out| rmp::encode::write_sint(out, n).map(drop))),
        any::<u64>().prop_map(|n| encoded(|out| rmp::encode::write_uint(out, n).map(drop))),
        any::<f32>().prop_map(|f| encoded(|out| rmp::encode::write_f32(out, f))),
        any::<f64>().prop_map(|f| encoded(|out| rmp::encode::write_f64(out, f))),
        ".{0,8}".prop_map(|t| encoded(|out| rmp::encode::write_str(out, &t))),
        proptest::collection::vec(any::<u8>(), 0..8)
            .prop_map(|b| encoded(|out| rmp::encode::write_bin(out, &b))),
        // notepack's undefined, ArrayBuffers of 1 and 8 bytes, a Date, other extensions.
        Just(vec![0xd4, 0, 0]),
        Just(vec![0xc7, 1, 0, 7]),
        Just(vec![0xc7, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
        any::<i64>().prop_map(|ms| [&[0xd7, 0][..], &ms.to_be_bytes()].concat()),
        (any::<i8>(), any::<u32>())
            .prop_map(|(t, d)| [&[0xd6, t as u8][..], &d.to_be_bytes()].concat()),
        Just(b"\x82\xac_placeholder\xc3\xa3num\x00".to_vec()),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        let key = prop_oneof![
            4 => "[a-z_]{0,4}".prop_map(|t| encoded(|out| rmp::encode::write_str(out, &t))),
            1 => (0u8..128).prop_map(|n| vec![n]),
            1 => Just(vec![0xc0]),
            1 => Just(vec![0xd4, 0, 0]),
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(|items| {
                let header = 0x90 | u8::try_from(items.len()).unwrap_or(0);
                std::iter::once(vec![header])
                    .chain(items)
                    .flatten()
                    .collect()
            }),
            proptest::collection::vec((key, inner), 0..4).prop_map(|entries| {
                let header = 0x80 | u8::try_from(entries.len()).unwrap_or(0);
                let fields = entries.into_iter().flat_map(|(k, v)| [k, v]);
                std::iter::once(vec![header])
                    .chain(fields)
                    .flatten()
                    .collect()
            }),
        ]
    })
}

/// The bytes one `rmp` write makes.
fn encoded(
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), rmp::encode::ValueWriteError>,
) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out).unwrap_or_else(|err| panic!("writing into a Vec: {err}"));
    out
}

/// A packet map whose fields are often what the decoder wants and sometimes not.
fn msgpack_packet() -> impl Strategy<Value = Vec<u8>> {
    let text = |t: &str| encoded(|out| rmp::encode::write_str(out, t));
    let kind = prop_oneof![8 => (0u8..5).prop_map(|t| vec![t]), 1 => msgpack_value()];
    let nsp = prop_oneof![
        8 => prop_oneof![Just("/"), Just("/admin")].prop_map(text),
        1 => prop_oneof![Just("x"), Just("/a,b")].prop_map(text),
        1 => msgpack_value(),
    ];
    let data = prop_oneof![
        4 => (".{0,6}", proptest::collection::vec(msgpack_value(), 0..4)).prop_map(
            move |(name, args)| {
                let header = 0x90 | u8::try_from(args.len() + 1).unwrap_or(0);
                [vec![header], text(&name), args.concat()].concat()
            }
        ),
        1 => msgpack_value(),
    ];
    let id = prop_oneof![(0u8..128).prop_map(|n| vec![n]), msgpack_value()];
    let fields = (
        kind,
        nsp,
        proptest::option::of(data),
        proptest::option::of(id),
    );
    fields.prop_map(move |(kind, nsp, data, id)| {
        let mut entries = vec![(text("type"), kind), (text("nsp"), nsp)];
        entries.extend(data.map(|data| (text("data"), data)));
        entries.extend(id.map(|id| (text("id"), id)));
        let header = 0x80 | u8::try_from(entries.len()).unwrap_or(0);
        let fields = entries.into_iter().flat_map(|(k, v)| [k, v]);
        std::iter::once(vec![header])
            .chain(fields)
            .flatten()
            .collect()
    })
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(packet in strategy::packet()) {
        let bytes = encode(&packet);
        let decoded = decoder().decode(&bytes);
        prop_assert!(matches!(&decoded, Ok(p) if *p == packet), "{decoded:?}");
        check_decoded(&packet)?;
    }

    #[test]
    fn both_parsers_deliver_the_same_packet(packet in strategy::packet()) {
        let msgpack = decoder().decode(&encode(&packet)).ok();
        prop_assert_eq!(msgpack, through_json(&packet));
    }

    #[test]
    fn every_cut_is_truncated(packet in strategy::packet(), at in any::<prop::sample::Index>()) {
        let bytes = encode(&packet);
        let cut = at.index(bytes.len() - 1) + 1;
        let err = decoder().decode(&bytes.slice(..bytes.len() - cut));
        let truncated = matches!(err, Err(ParseError::Msgpack(FormatError::Truncated { .. })));
        prop_assert!(truncated, "{err:?}");
    }

    #[test]
    fn changed_bytes_decode_consistently_or_not_at_all(
        packet in strategy::packet(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = encode(&packet).to_vec();
        let at = at.index(bytes.len());
        bytes[at] = byte;
        if let Ok(decoded) = MsgpackDecoder::default().decode(&Bytes::from(bytes)) {
            check_decoded(&decoded)?;
        }
    }

    #[test]
    fn msgpack_packets_decode_consistently_or_not_at_all(bytes in msgpack_packet()) {
        if let Ok(decoded) = MsgpackDecoder::default().decode(&Bytes::from(bytes)) {
            check_decoded(&decoded)?;
        }
    }
}
