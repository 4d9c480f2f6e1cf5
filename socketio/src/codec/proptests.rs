//! Round-trip properties: whatever the encoder writes, the decoder reads back unchanged.

use bytes::Bytes;
use engineio::packet::Message;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use crate::binary::Binary;
use crate::decoder::{Decoder, DecoderConfig};
use crate::packet::strategy;
use crate::packet::{NamespaceName, Packet, PacketKind};
use crate::payload::{from_payload, to_payload};

/// Feeds every message of `packet`'s encoding to a fresh decoder and returns the packets it
/// completed, checking that only the last message completes one.
fn round_trip(packet: &Packet) -> Vec<Packet> {
    let config = DecoderConfig {
        max_attachments: usize::MAX,
        ..DecoderConfig::default()
    };
    let mut decoder = Decoder::new(config);
    let encoded = packet.encode();
    let count = encoded.message_count();
    let mut packets = Vec::new();
    for (index, message) in encoded.messages().enumerate() {
        let decoded = decoder.feed(message);
        assert!(decoded.is_ok(), "{decoded:?} for {:?}", encoded.text());
        let decoded = decoded.ok().flatten();
        assert_eq!(decoded.is_some(), index + 1 == count);
        packets.extend(decoded);
    }
    assert_eq!(decoder.remaining_attachments(), 0);
    packets
}

/// A user type with binary leaves in several positions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Upload {
    name: String,
    size: u32,
    chunks: Vec<Binary>,
    preview: Option<Binary>,
}

fn upload() -> impl Strategy<Value = Upload> {
    let binary = proptest::collection::vec(any::<u8>(), 0..32).prop_map(Binary::from);
    (
        ".{0,8}",
        any::<u32>(),
        proptest::collection::vec(binary.clone(), 0..4),
    )
        .prop_flat_map(move |(name, size, chunks)| {
            proptest::option::of(binary.clone()).prop_map(move |preview| Upload {
                name: name.clone(),
                size,
                chunks: chunks.clone(),
                preview,
            })
        })
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(packet in strategy::packet()) {
        prop_assert_eq!(round_trip(&packet), vec![packet]);
    }

    #[test]
    fn attachments_are_the_binary_messages(packet in strategy::packet()) {
        let encoded = packet.encode();
        let expected = packet.payload().map(|p| p.attachments().to_vec()).unwrap_or_default();
        let binaries: Vec<Message> = encoded.messages().skip(1).collect();
        let expected_binaries: Vec<Message> = expected.iter().cloned().map(Message::Binary).collect();
        prop_assert_eq!(binaries, expected_binaries);
        let binary = packet.packet_type().is_binary();
        prop_assert_eq!(binary, !expected.is_empty());
        let prefix = format!("{}-", expected.len());
        prop_assert_eq!(packet.encode_text()[1..].starts_with(&prefix), binary);
        prop_assert_eq!(encoded.has_binary(), binary);
    }

    #[test]
    fn typed_payloads_survive_the_wire(
        upload in upload(),
        namespace in strategy::namespace(),
        ack in proptest::option::of(any::<u64>()),
    ) {
        let args = to_payload(&(&upload, Binary::from_static(b"tail")));
        prop_assert!(args.is_ok());
        let Ok(args) = args else { return Ok(()) };
        let name = "upload".to_owned();
        let packet = Packet::new(namespace, PacketKind::Event { name, args, ack });
        let packets = round_trip(&packet);
        prop_assert_eq!(packets.len(), 1);
        let args = packets.first().and_then(Packet::payload);
        let decoded = args.map(from_payload::<(Upload, Binary)>);
        let Some(Ok((decoded, tail))) = decoded else {
            return Err(TestCaseError::fail(format!("{decoded:?}")));
        };
        prop_assert_eq!(decoded, upload);
        prop_assert_eq!(tail.as_bytes(), &Bytes::from_static(b"tail"));
    }

    #[test]
    fn acks_carry_typed_binaries(id in any::<u64>(), data in any::<Vec<u8>>()) {
        let args = to_payload(&[Binary::from(data.clone())]);
        prop_assert!(args.is_ok());
        let Ok(args) = args else { return Ok(()) };
        let packet = Packet::ack(NamespaceName::root(), id, args);
        let packets = round_trip(&packet);
        let args = packets.first().and_then(Packet::payload);
        let decoded = args.map(|args| args.arg::<Binary>(0));
        prop_assert!(matches!(&decoded, Some(Ok(binary)) if binary[..] == data[..]));
    }
}
