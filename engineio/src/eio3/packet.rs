//! One Engine.IO v3 packet: in a WebSocket frame, or as the text of a polling payload.
//!
//! ```
//! use bytes::Bytes;
//! use engineio::eio3::packet;
//! use engineio::packet::{Frame, Packet, Text};
//!
//! let binary = Packet::Binary(Bytes::from_static(&[1, 2, 3]));
//! assert_eq!(packet::encode_frame(&binary, true), Frame::Binary(Bytes::from_static(&[4, 1, 2, 3])));
//! assert_eq!(packet::encode_frame(&binary, false), Frame::Text(Bytes::from_static(b"b4AQID")));
//! assert_eq!(packet::decode_frame(Frame::Binary(Bytes::from_static(&[4, 1, 2, 3]))), Ok(binary));
//! assert_eq!(
//!     packet::decode_frame(Frame::Text(Bytes::from_static(b"4hi"))),
//!     Ok(Packet::Message(Text::new("hi")))
//! );
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::{BufMut, Bytes, BytesMut};

use super::MESSAGE;
use crate::packet::{Frame, Packet, PacketError};

/// Encodes a packet as one WebSocket frame; a binary message is a binary frame when the
/// client takes binary (`b64` absent from its query), base64 text otherwise.
pub fn encode_frame(packet: &Packet, binary: bool) -> Frame {
    match packet {
        Packet::Binary(data) if binary => {
            let mut frame = BytesMut::with_capacity(data.len() + 1);
            frame.put_u8(MESSAGE);
            frame.put_slice(data);
            Frame::Binary(frame.freeze())
        }
        Packet::Binary(_) => {
            let mut text = String::new();
            write_text(packet, &mut text);
            Frame::Text(Bytes::from(text))
        }
        // The other packets are written as in v4.
        other => other.to_frame(),
    }
}

/// Appends the text encoding of a packet: as in v4, but a binary message is `b4` + base64.
pub fn write_text(packet: &Packet, out: &mut String) {
    match packet {
        Packet::Binary(data) => {
            out.push('b');
            out.push(char::from(b'0' + MESSAGE));
            STANDARD.encode_string(data, out);
        }
        other => other.write_text(out),
    }
}

/// Decodes a WebSocket frame.
pub fn decode_frame(frame: Frame) -> Result<Packet, PacketError> {
    match frame {
        Frame::Text(text) => decode_text(text),
        Frame::Binary(data) => decode_binary(&data),
    }
}

/// Decodes a text packet; `b4` starts a base64 message. A base64 packet of another type is
/// refused: only messages carry binary data.
pub fn decode_text(text: Bytes) -> Result<Packet, PacketError> {
    match text.first() {
        Some(b'b') => match text.get(1) {
            Some(&kind) if kind == b'0' + MESSAGE => STANDARD
                .decode(&text[2..])
                .map(|data| Packet::Binary(Bytes::from(data)))
                .map_err(|_| PacketError::InvalidBase64),
            Some(_) => Err(PacketError::UnknownType),
            None => Err(PacketError::Empty),
        },
        // Without the `b`, a text packet reads as in v4.
        _ => Packet::decode_text(text),
    }
}

/// Decodes a binary packet: its type byte, then its data. Only a message may be binary.
pub fn decode_binary(data: &Bytes) -> Result<Packet, PacketError> {
    match data.first() {
        Some(&MESSAGE) => Ok(Packet::Binary(data.slice(1..))),
        Some(_) => Err(PacketError::UnknownType),
        None => Err(PacketError::Empty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{Probe, Text};
    use proptest::prelude::*;

    fn text(s: &'static str) -> Result<Packet, PacketError> {
        decode_text(Bytes::from_static(s.as_bytes()))
    }

    /// The packets of the protocol's third revision (its README at the v3 tag).
    #[test]
    fn spec_examples() {
        assert_eq!(text("2probe"), Ok(Packet::Ping(Probe::Yes)));
        assert_eq!(text("3probe"), Ok(Packet::Pong(Probe::Yes)));
        assert_eq!(
            text("4HelloWorld"),
            Ok(Packet::Message(Text::new("HelloWorld")))
        );
        assert_eq!(text("5"), Ok(Packet::Upgrade));
        assert_eq!(
            text("b4AQIDBA=="),
            Ok(Packet::Binary(Bytes::from_static(&[1, 2, 3, 4])))
        );
        let frame = |p: &Packet| encode_frame(p, true);
        assert_eq!(
            frame(&Packet::Pong(Probe::No)),
            Frame::Text(Bytes::from_static(b"3"))
        );
        assert_eq!(
            frame(&Packet::Message(Text::new("€"))),
            Frame::Text(Bytes::from("4€"))
        );
    }

    #[test]
    fn malformed_packets_fail() {
        assert_eq!(text("b"), Err(PacketError::Empty));
        assert_eq!(text("b2AQID"), Err(PacketError::UnknownType));
        assert_eq!(text("b4AQ$$"), Err(PacketError::InvalidBase64));
        assert_eq!(text("9"), Err(PacketError::UnknownType));
        assert_eq!(decode_binary(&Bytes::new()), Err(PacketError::Empty));
        assert_eq!(
            decode_binary(&Bytes::from_static(&[2, 1])),
            Err(PacketError::UnknownType)
        );
        assert_eq!(
            decode_binary(&Bytes::from_static(&[4])),
            Ok(Packet::Binary(Bytes::new()))
        );
    }

    proptest! {
        #[test]
        fn binary_round_trips_both_ways(data in proptest::collection::vec(any::<u8>(), 0..64), binary: bool) {
            let packet = Packet::Binary(Bytes::from(data));
            prop_assert_eq!(decode_frame(encode_frame(&packet, binary)), Ok(packet));
        }

        #[test]
        fn arbitrary_frames_never_panic(data in proptest::collection::vec(any::<u8>(), 0..64), binary: bool) {
            let data = Bytes::from(data);
            let _ = decode_frame(if binary { Frame::Binary(data) } else { Frame::Text(data) });
        }
    }
}
