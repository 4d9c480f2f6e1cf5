//! The decoder's limits: binaries per packet, nesting, and lengths announced but not sent.

use bytes::Bytes;

use crate::decoder::{DecoderConfig, MAX_JSON_DEPTH};
use crate::msgpack::tests::{int, map, s};
use crate::msgpack::{FormatError, MsgpackDecoder};
use crate::parser::ParseError;

/// An event `["x", ...items]` in the main namespace.
fn event(items: &[Vec<u8>]) -> Vec<u8> {
    let mut data = vec![0xdc];
    data.extend(u16::try_from(items.len() + 1).unwrap().to_be_bytes());
    data.extend(s("x"));
    items.iter().for_each(|item| data.extend_from_slice(item));
    map(&[("type", int(2)), ("nsp", s("/")), ("data", data)])
}

/// `levels` arrays, each the only item of the one around it, around `inner`.
fn nested(levels: usize, inner: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x91; levels];
    bytes.extend_from_slice(inner);
    bytes
}

fn decode(config: DecoderConfig, bytes: Vec<u8>) -> Result<crate::Packet, ParseError> {
    MsgpackDecoder::new(config).decode(&Bytes::from(bytes))
}

#[test]
fn binaries_per_packet_are_bounded() {
    let binary = vec![0xc4, 1, 7];
    let ten = event(&vec![binary.clone(); 10]);
    assert!(decode(DecoderConfig::default(), ten).is_ok());
    let eleven = decode(DecoderConfig::default(), event(&vec![binary.clone(); 11]));
    assert!(
        matches!(
            eleven,
            Err(ParseError::TooManyAttachments { count: 11, max: 10 })
        ),
        "{eleven:?}"
    );
    // Every way of writing a binary counts: ext 8 of type 0, and [type, binary] extensions.
    let mixed = event(&[binary, vec![0xc7, 1, 0, 1], vec![0xd5, 3, 1, 2]]);
    let two = DecoderConfig {
        max_attachments: 2,
        ..DecoderConfig::default()
    };
    assert!(matches!(
        decode(two, mixed),
        Err(ParseError::TooManyAttachments { count: 3, max: 2 })
    ));
    // The binaries of a field the decoder does not read are not kept, nor counted.
    let none = DecoderConfig {
        max_attachments: 0,
        ..DecoderConfig::default()
    };
    let ignored = map(&[
        ("type", int(1)),
        ("nsp", s("/")),
        ("extra", vec![0xc4, 1, 7]),
    ]);
    assert!(decode(none, ignored).is_ok());
}

#[test]
fn nesting_is_bounded() {
    // The data's own array is the first level, as with the default parser.
    let deepest = event(&[nested(MAX_JSON_DEPTH - 2, &[0x90])]);
    assert!(decode(DecoderConfig::default(), deepest).is_ok());
    let deeper = event(&[nested(MAX_JSON_DEPTH - 1, &[0x90])]);
    let err = decode(DecoderConfig::default(), deeper);
    assert!(
        matches!(
            err,
            Err(ParseError::TooDeep {
                max: MAX_JSON_DEPTH
            })
        ),
        "{err:?}"
    );
    // A configured limit applies, but never one past MAX_JSON_DEPTH.
    let three = DecoderConfig {
        max_json_depth: 3,
        ..DecoderConfig::default()
    };
    assert!(decode(three.clone(), event(&[nested(2, &[0xc0])])).is_ok());
    let maps = event(&[[&[0x81][..], &s("a"), &[0x81], &s("b"), &[0x80]].concat()]);
    assert!(matches!(
        decode(three.clone(), maps),
        Err(ParseError::TooDeep { max: 3 })
    ));
    let extension = event(&[nested(2, &[0xd4, 9, 0])]);
    assert!(matches!(
        decode(three, extension),
        Err(ParseError::TooDeep { max: 3 })
    ));
    let lax = DecoderConfig {
        max_json_depth: 100_000,
        ..DecoderConfig::default()
    };
    let deeper = event(&[nested(MAX_JSON_DEPTH, &[0xc0])]);
    assert!(matches!(
        decode(lax, deeper),
        Err(ParseError::TooDeep {
            max: MAX_JSON_DEPTH
        })
    ));
}

#[test]
fn buffer_objects_count_their_levels() {
    // In a CONNECT a binary is {"type":"Buffer","data":[...]}: two levels more.
    let connect = |levels: usize| {
        let auth = [&[0x81][..], &s("k"), &nested(levels, &[0xc4, 0])].concat();
        map(&[("type", int(0)), ("nsp", s("/")), ("data", auth)])
    };
    assert!(decode(DecoderConfig::default(), connect(MAX_JSON_DEPTH - 3)).is_ok());
    let err = decode(DecoderConfig::default(), connect(MAX_JSON_DEPTH - 2));
    assert!(matches!(err, Err(ParseError::TooDeep { .. })), "{err:?}");
}

/// Each input announces up to 4 GiB that it does not hold; each fails at once, as truncated,
/// without reserving the announced size (socketio/tests/msgpack_limits.rs checks the heap).
#[test]
fn announced_lengths_are_not_trusted() {
    let ffff = [0xff; 4];
    let huge = |marker: u8| [&[marker][..], &ffff].concat();
    let in_data = |value: Vec<u8>| map(&[("type", int(2)), ("nsp", s("/")), ("data", value)]);
    for marker in [0xdb, 0xc6, 0xc9] {
        let err = decode(DecoderConfig::default(), in_data(huge(marker)));
        let truncated = matches!(err,
            Err(ParseError::Msgpack(FormatError::Truncated { left, .. })) if left <= 1);
        assert!(truncated, "{marker:02x}: {err:?}");
    }
    for marker in [0xdd, 0xdf] {
        let err = decode(DecoderConfig::default(), in_data(huge(marker)));
        assert!(
            matches!(
                err,
                Err(ParseError::Msgpack(FormatError::Truncated { left: 0, .. }))
            ),
            "{err:?}"
        );
    }
    // As a key, as the packet's map, nested: the same.
    let key = [&[0x81][..], &huge(0xdb)].concat();
    let top = huge(0xdf);
    let nested = in_data([0xdd, 0, 0, 0, 2].repeat(100));
    for bytes in [key, top, nested] {
        let err = decode(DecoderConfig::default(), bytes);
        assert!(
            matches!(
                err,
                Err(ParseError::Msgpack(FormatError::Truncated { .. }) | ParseError::TooDeep { .. })
            ),
            "{err:?}"
        );
    }
    // Five bytes announcing a 4 GiB string: not even a packet.
    let err = decode(DecoderConfig::default(), huge(0xdb));
    assert!(matches!(err, Err(ParseError::UnknownType)), "{err:?}");
}
