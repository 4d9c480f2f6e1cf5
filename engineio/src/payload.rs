//! The long-polling payload: several packets in one HTTP body.
//!
//! Packets are joined by the record separator `\x1e`; a binary message is `b` followed by the
//! base64 of its bytes.
//!
//! ```
//! use bytes::Bytes;
//! use engineio::packet::{Packet, Probe, Text};
//! use engineio::payload;
//!
//! let packets = [
//!     Packet::Ping(Probe::No),
//!     Packet::Message(Text::new(r#"2["chat","hi"]"#)),
//!     Packet::Binary(Bytes::from_static(&[1, 2, 3])),
//! ];
//! let body = payload::encode(&packets);
//! assert_eq!(body, "2\x1e42[\"chat\",\"hi\"]\x1ebAQID");
//! assert_eq!(payload::decode(&Bytes::from(body)).unwrap(), packets);
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;

use crate::packet::{Packet, PacketError};

/// The record separator between packets.
pub const SEPARATOR: u8 = 0x1e;

/// Encodes packets as one polling payload.
pub fn encode(packets: &[Packet]) -> String {
    let mut out = String::with_capacity(packets.iter().map(encoded_len).sum::<usize>());
    for (i, packet) in packets.iter().enumerate() {
        if i > 0 {
            out.push(char::from(SEPARATOR));
        }
        write(packet, &mut out);
    }
    out
}

/// Appends one packet's payload encoding.
fn write(packet: &Packet, out: &mut String) {
    match packet {
        Packet::Binary(data) => {
            out.push('b');
            STANDARD.encode_string(data, out);
        }
        other => other.write_text(out),
    }
}

/// The length of a packet in a payload, separator included; close enough for the open
/// packet, exact for the others.
pub fn encoded_len(packet: &Packet) -> usize {
    1 + match packet {
        Packet::Binary(data) => 1 + data.len().div_ceil(3) * 4,
        Packet::Message(text) => 1 + text.len(),
        Packet::Open(_) => 160,
        Packet::Ping(_) | Packet::Pong(_) => 6,
        _ => 1,
    }
}

/// Decodes a polling payload into its packets.
///
/// Any packet that does not decode fails the whole payload: the reference server ends the
/// session with `parse error` in that case, and so do we.
pub fn decode(body: &Bytes) -> Result<Vec<Packet>, PacketError> {
    packets(body).collect()
}

/// The packets of a polling payload, decoded one at a time: what a payload of many small
/// packets costs is its body, not a decoded copy of it. The first packet that does not decode
/// is the last item.
///
/// ```
/// use bytes::Bytes;
/// use engineio::packet::{Packet, PacketError, Text};
/// use engineio::payload;
///
/// let body = Bytes::from_static(b"4a\x1e9\x1e4b");
/// let packets: Vec<_> = payload::packets(&body).collect();
/// assert_eq!(packets, [Ok(Packet::Message(Text::new("a"))), Err(PacketError::UnknownType)]);
/// ```
pub fn packets(body: &Bytes) -> Packets {
    Packets {
        body: body.clone(),
        start: 0,
        failed: false,
    }
}

/// The iterator of [`packets`].
#[derive(Debug, Clone)]
pub struct Packets {
    body: Bytes,
    /// Where the next record starts; past the end once the last one is taken.
    start: usize,
    failed: bool,
}

impl Iterator for Packets {
    type Item = Result<Packet, PacketError>;

    fn next(&mut self) -> Option<Self::Item> {
        let body = &self.body;
        if self.failed || self.start > body.len() {
            return None;
        }
        let start = self.start;
        let end = body[start..]
            .iter()
            .position(|&b| b == SEPARATOR)
            .map_or(body.len(), |i| start + i);
        self.start = end + 1;
        let packet = Packet::decode_text(body.slice(start..end));
        self.failed = packet.is_err();
        Some(packet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{Probe, Text};
    use proptest::prelude::*;

    fn decode_str(s: &str) -> Result<Vec<Packet>, PacketError> {
        decode(&Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn spec_examples() {
        // From the protocol's "Payload" examples.
        assert_eq!(
            decode_str("4hello\x1e4€").unwrap(),
            [
                Packet::Message(Text::new("hello")),
                Packet::Message(Text::new("€"))
            ]
        );
        assert_eq!(
            decode_str("4€\x1ebAQIDBA==").unwrap(),
            [
                Packet::Message(Text::new("€")),
                Packet::Binary(Bytes::from_static(&[1, 2, 3, 4]))
            ]
        );
        assert_eq!(decode_str("6").unwrap(), [Packet::Noop]);
        assert_eq!(decode_str("2probe").unwrap(), [Packet::Ping(Probe::Yes)]);
    }

    #[test]
    fn malformed_payloads_fail() {
        assert_eq!(decode_str(""), Err(PacketError::Empty));
        assert_eq!(decode_str("4a\x1e"), Err(PacketError::Empty));
        assert_eq!(decode_str("\x1e4a"), Err(PacketError::Empty));
        assert_eq!(decode_str("9x"), Err(PacketError::UnknownType));
        assert_eq!(decode_str("4a\x1ebAQ$$"), Err(PacketError::InvalidBase64));
        assert_eq!(decode_str("1x"), Err(PacketError::UnexpectedData));
        assert_eq!(
            decode(&Bytes::from_static(b"4\xff\xfe")),
            Err(PacketError::InvalidUtf8)
        );
    }

    fn packet() -> impl Strategy<Value = Packet> {
        prop_oneof![
            Just(Packet::Close),
            Just(Packet::Upgrade),
            Just(Packet::Noop),
            any::<bool>().prop_map(|p| Packet::Ping(if p { Probe::Yes } else { Probe::No })),
            any::<bool>().prop_map(|p| Packet::Pong(if p { Probe::Yes } else { Probe::No })),
            "[^\u{1e}]*".prop_map(|s| Packet::Message(Text::new(&s))),
            proptest::collection::vec(any::<u8>(), 0..64)
                .prop_map(|b| Packet::Binary(Bytes::from(b))),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(packets in proptest::collection::vec(packet(), 1..8)) {
            let body = encode(&packets);
            prop_assert_eq!(decode(&Bytes::from(body)).unwrap(), packets);
        }

        /// One packet at a time, a payload is its records decoded alone, up to and including
        /// the first that does not decode.
        #[test]
        fn packets_are_the_records_decoded_up_to_the_first_failure(
            body in "[46bx=\u{1e}AQ€]{0,24}",
        ) {
            let body = Bytes::from(body);
            let mut expected = Vec::new();
            for record in body.split(|&b| b == SEPARATOR) {
                let packet = Packet::decode_text(Bytes::copy_from_slice(record));
                let failed = packet.is_err();
                expected.push(packet);
                if failed {
                    break;
                }
            }
            prop_assert_eq!(packets(&body).collect::<Vec<_>>(), expected);
        }

        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode(&Bytes::from(body));
        }

        #[test]
        fn encoded_len_bounds_the_payload(packets in proptest::collection::vec(packet(), 1..8)) {
            let body = encode(&packets);
            prop_assert!(body.len() <= packets.iter().map(encoded_len).sum::<usize>());
        }
    }

    /// `items` cut before every index whose flag is set: consecutive, non-empty groups that
    /// together are `items` again.
    fn batches<T: Clone>(items: &[T], cuts: &[bool]) -> Vec<Vec<T>> {
        let mut batches: Vec<Vec<T>> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match batches.last_mut() {
                Some(batch) if !cuts.get(i).copied().unwrap_or(false) => batch.push(item.clone()),
                _ => batches.push(vec![item.clone()]),
            }
        }
        batches
    }

    proptest! {
        /// The same packets sent in differently grouped polling payloads decode to the same
        /// packets, in order.
        #[test]
        fn rebatched_packets_decode_the_same(
            packets in proptest::collection::vec(packet(), 1..12),
            cuts in proptest::collection::vec(any::<bool>(), 12),
        ) {
            let mut decoded = Vec::new();
            for batch in batches(&packets, &cuts) {
                decoded.extend(decode(&Bytes::from(encode(&batch))).unwrap());
            }
            prop_assert_eq!(decoded, packets);
        }

        /// A payload split at any of its separators, and its records joined again in any
        /// grouping, decodes to the packets of the whole payload.
        #[test]
        fn split_payload_decodes_the_same(
            packets in proptest::collection::vec(packet(), 1..12),
            cuts in proptest::collection::vec(any::<bool>(), 12),
        ) {
            let body = encode(&packets);
            let records: Vec<&str> = body.split(char::from(SEPARATOR)).collect();
            prop_assert_eq!(records.len(), packets.len());
            let mut decoded = Vec::new();
            for batch in batches(&records, &cuts) {
                let part = batch.join(&char::from(SEPARATOR).to_string());
                decoded.extend(decode(&Bytes::from(part)).unwrap());
            }
            prop_assert_eq!(&decoded, &packets);
            prop_assert_eq!(decode(&Bytes::from(body)).unwrap(), packets);
        }
    }
}
