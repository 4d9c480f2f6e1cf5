//! Target `sio_decoder`: one connection's Socket.IO decoder, reassembling binary packets from
//! any interleaving of text and binary Engine.IO messages.
//!
//! Input: the connection's messages, separated by the byte `0xff` (which UTF-8 text never
//! holds). A message that starts with `b` is a binary message of the bytes after the `b`; one
//! that starts with `t` is a text message of the (lossily decoded) text after the `t`; any
//! other is a text message of all its bytes.
//!
//! Invariants, beyond "never panics", with the server's default [`DecoderConfig`]:
//! - a packet never waits for more attachments than the limit allows;
//! - a text message while attachments are expected is [`ParseError::UnexpectedText`], a
//!   binary message while none is expected is [`ParseError::UnexpectedBinary`], and after any
//!   error nothing is pending;
//! - each binary message completes one attachment: the count goes down by one, and the
//!   packet completes exactly when it reaches zero;
//! - a completed packet carries exactly the binary messages that followed its text, in order;
//! - no event that a client may not emit gets through;
//! - a completed packet's own encoding decodes, in a fresh decoder, to the same packet, and
//!   only at its last message.

use bytes::Bytes;
use socketio::packet::{is_reserved_event, PacketKind};
use socketio::{Decoder, DecoderConfig, Packet, ParseError};

/// The byte that separates messages in an input.
pub const MESSAGE_SEPARATOR: u8 = 0xff;

/// Feeds one input to a decoder and checks the invariants.
pub fn run(data: &[u8]) {
    let config = DecoderConfig::default();
    let mut decoder = Decoder::new(config.clone());
    // The attachments given to the packet that waits.
    let mut attachments: Vec<Bytes> = Vec::new();
    for message in data.split(|&b| b == MESSAGE_SEPARATOR) {
        let waiting = decoder.remaining_attachments();
        let (binary, result) = match message.split_first() {
            Some((b'b', rest)) => {
                let rest = Bytes::copy_from_slice(rest);
                attachments.push(rest.clone());
                (true, decoder.feed_binary(rest))
            }
            Some((b't', rest)) => (false, decoder.feed_text(&String::from_utf8_lossy(rest))),
            _ => (false, decoder.feed_text(&String::from_utf8_lossy(message))),
        };
        if !binary {
            attachments.clear();
        }
        let remaining = decoder.remaining_attachments();
        assert!(
            remaining <= config.max_attachments,
            "{remaining} attachments"
        );
        match result {
            Err(error) => {
                assert_eq!(remaining, 0, "{error}: a packet still waits");
                attachments.clear();
                if binary && waiting == 0 {
                    assert!(matches!(error, ParseError::UnexpectedBinary), "{error}");
                }
                if !binary && waiting > 0 {
                    assert!(matches!(error, ParseError::UnexpectedText), "{error}");
                }
            }
            Ok(None) => {
                assert!(remaining > 0, "incomplete packet that waits for nothing");
                if binary {
                    assert_eq!(remaining + 1, waiting, "an attachment was not counted");
                }
            }
            Ok(Some(packet)) => {
                assert_eq!(remaining, 0, "complete packet, yet a packet waits");
                assert!(!binary || waiting == 1, "completed with {waiting} to go");
                let carried = packet.payload().map_or(&[][..], |p| p.attachments());
                assert_eq!(carried, &attachments[..], "attachments of {packet:?}");
                attachments.clear();
                check_packet(&packet, &config);
            }
        }
    }
}

/// A decoded packet is allowed, and its encoding decodes to it.
fn check_packet(packet: &Packet, config: &DecoderConfig) {
    if let PacketKind::Event { name, .. } = &packet.kind {
        assert!(
            !is_reserved_event(name),
            "reserved event {name:?} got through"
        );
    }
    let encoded = packet.encode();
    let mut decoder = Decoder::new(config.clone());
    let count = encoded.message_count();
    for (i, message) in encoded.messages().enumerate() {
        let decoded = decoder.feed(message);
        if i + 1 < count {
            assert!(
                matches!(decoded, Ok(None)),
                "message {i} of {count}: {decoded:?}"
            );
            continue;
        }
        match decoded {
            Ok(Some(again)) => assert_eq!(&again, packet, "{:?}", encoded.text()),
            other => panic!("{:?} decodes to {other:?}, not {packet:?}", encoded.text()),
        }
    }
}
