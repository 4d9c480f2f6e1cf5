//! Target `eio_packet`: one Engine.IO packet, as a WebSocket text frame and as a binary frame.
//!
//! Input: the frame's bytes, as a client would send them.
//!
//! Invariants:
//! - decoding never panics, and a text frame decodes the same through
//!   [`Packet::decode_text`] and [`Packet::decode_frame`];
//! - a binary frame is always a binary message holding exactly the frame's bytes;
//! - a packet that decodes re-encodes to a frame that decodes to the same packet, and for
//!   every packet but the open packet (whose JSON may be written differently) to the very
//!   same bytes;
//! - the packet's type digit is the frame's first byte (`b` for a binary message in base64,
//!   which re-encodes as a binary frame);
//! - the packet also round-trips as a one-packet polling payload when the frame holds no
//!   record separator (which a payload cannot carry).

use bytes::Bytes;
use engineio::packet::{Frame, Packet};
use engineio::payload;

/// Feeds one input to the Engine.IO packet decoder and checks the invariants.
pub fn run(data: &[u8]) {
    let bytes = Bytes::copy_from_slice(data);
    let decoded = Packet::decode_text(bytes.clone());
    assert_eq!(
        Packet::decode_frame(Frame::Text(bytes.clone())),
        decoded,
        "decode_frame(Text) and decode_text disagree"
    );
    assert_eq!(
        Packet::decode_frame(Frame::Binary(bytes.clone())),
        Ok(Packet::Binary(bytes.clone())),
        "a binary frame is not its bytes"
    );
    let Ok(packet) = decoded else {
        return;
    };
    let digit = packet.type_digit().or(Some(b'b'));
    assert_eq!(digit, data.first().copied(), "type digit");
    let frame = packet.to_frame();
    assert_eq!(
        Packet::decode_frame(frame.clone()).as_ref(),
        Ok(&packet),
        "re-encoded frame {frame:?} decodes differently"
    );
    if !matches!(packet, Packet::Open(_) | Packet::Binary(_)) {
        assert_eq!(frame, Frame::Text(bytes), "re-encoding changed the frame");
    }
    if !data.contains(&payload::SEPARATOR) {
        let body = payload::encode(std::slice::from_ref(&packet));
        assert_eq!(
            payload::decode(&Bytes::from(body)),
            Ok(vec![packet]),
            "one-packet payload"
        );
    }
}
