//! Target `msgpack_decoder`: the decoder of the msgpack parser (`socket.io-msgpack-parser`'s
//! wire format), one binary Engine.IO message per packet.
//!
//! Input: the bytes of one binary message.
//!
//! Invariants, beyond "never panics", with the server's default [`DecoderConfig`]:
//! - the message read as a text message is refused, whatever it holds;
//! - a decoded packet holds at most the configured number of binaries, each a slice of the
//!   message (never a copy), each behind exactly one placeholder of its payload;
//! - no event that a client may not emit gets through;
//! - a decoded packet's own encoding is one binary message that decodes to the same packet,
//!   and whose decoding encodes to the same bytes again;
//! - the default parser carries the decoded packet unchanged (an application sees the same
//!   values whatever the parser).

use bytes::Bytes;
use engineio::packet::{Message, Text};
use serde_json::Value;
use socketio::msgpack::{MsgpackDecoder, MsgpackParser};
use socketio::packet::{is_reserved_event, PacketKind};
use socketio::{Decoder, DecoderConfig, JsonParser, Packet, ParseError, Parser, Payload};

/// Feeds one input to a decoder and checks the invariants.
pub fn run(data: &[u8]) {
    let config = DecoderConfig::default();
    let message = Bytes::copy_from_slice(data);
    let mut decoder = MsgpackParser.decoder(config.clone());
    if let Ok(text) = std::str::from_utf8(data) {
        let refused = decoder.feed(Message::Text(Text::new(text)));
        assert!(
            matches!(refused, Err(ParseError::UnsupportedMessage(_))),
            "{refused:?}"
        );
    }
    let Ok(Some(packet)) = decoder.feed(Message::Binary(message.clone())) else {
        return;
    };
    if let Some(payload) = packet.payload() {
        check_binaries(payload, &message, &config);
    }
    if let PacketKind::Event { name, .. } = &packet.kind {
        assert!(
            !is_reserved_event(name),
            "reserved event {name:?} got through"
        );
    }
    check_encoding(&packet, &config);
    assert_eq!(through_json(&packet, &config).as_ref(), Some(&packet));
}

/// The binaries are slices of the message, each behind one placeholder.
fn check_binaries(payload: &Payload, message: &Bytes, config: &DecoderConfig) {
    let attachments = payload.attachments();
    assert!(
        attachments.len() <= config.max_attachments,
        "{} binaries",
        attachments.len()
    );
    let inside = message.as_ptr_range();
    for attachment in attachments.iter().filter(|a| !a.is_empty()) {
        assert!(inside.contains(&attachment.as_ptr()), "a binary was copied");
    }
    let mut nums = Vec::new();
    placeholders(payload.value(), &mut nums);
    nums.sort_unstable();
    let expected: Vec<u64> = (0..attachments.len() as u64).collect();
    assert_eq!(nums, expected, "placeholders of {:?}", payload.value());
}

/// The `num` of every placeholder in `value`.
fn placeholders(value: &Value, nums: &mut Vec<u64>) {
    match value {
        Value::Object(map) if map.get("_placeholder") == Some(&Value::Bool(true)) => {
            nums.extend(map.get("num").and_then(Value::as_u64));
        }
        Value::Object(map) => map.values().for_each(|v| placeholders(v, nums)),
        Value::Array(items) => items.iter().for_each(|v| placeholders(v, nums)),
        _ => {}
    }
}

/// The packet's encoding decodes to it, and encodes to the same bytes again.
fn check_encoding(packet: &Packet, config: &DecoderConfig) {
    let bytes = encode(packet);
    let decoder = MsgpackDecoder::new(config.clone());
    match decoder.decode(&bytes) {
        Ok(again) => {
            assert_eq!(&again, packet, "{bytes:02x?}");
            assert_eq!(encode(&again), bytes, "re-encoding {packet:?}");
        }
        Err(err) => panic!("{packet:?} encodes to {bytes:02x?}, which decodes to {err}"),
    }
}

fn encode(packet: &Packet) -> Bytes {
    let encoded = MsgpackParser.encode(packet);
    match encoded.as_ref().map(|e| (e.message_count(), e.first())) {
        Ok((1, Message::Binary(bytes))) => bytes.clone(),
        _ => panic!("{packet:?} encodes to {encoded:?}"),
    }
}

/// The packet through the default parser: encoded, then fed to a fresh decoder.
fn through_json(packet: &Packet, config: &DecoderConfig) -> Option<Packet> {
    let encoded = JsonParser.encode(packet).ok()?;
    let mut decoder = Decoder::new(config.clone());
    let mut decoded = None;
    for message in encoded.messages() {
        decoded = decoder.feed(message).ok()?;
    }
    decoded
}
