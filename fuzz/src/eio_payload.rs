//! Target `eio_payload`: the body of a polling POST, several packets joined by `\x1e`.
//!
//! Input: the body's bytes, as a client would send them.
//!
//! Invariants:
//! - decoding never panics; an empty body is an error, and a body that decodes has one packet
//!   per separated record;
//! - each record, decoded as a payload of its own, gives the same packet: re-batching the
//!   records differently decodes to the same packets;
//! - re-encoding decodes to the same packets, and for bodies without an open packet (whose JSON
//!   may be written differently) gives back the very same bytes, within
//!   [`payload::encoded_len`]'s estimate.

use bytes::Bytes;
use engineio::packet::Packet;
use engineio::payload;

/// Feeds one input to the polling payload decoder and checks the invariants.
pub fn run(data: &[u8]) {
    let body = Bytes::copy_from_slice(data);
    let Ok(packets) = payload::decode(&body) else {
        return;
    };
    let records: Vec<&[u8]> = data.split(|&b| b == payload::SEPARATOR).collect();
    assert_eq!(packets.len(), records.len(), "one packet per record");
    for (record, packet) in records.iter().zip(&packets) {
        let alone = payload::decode(&Bytes::copy_from_slice(record));
        assert_eq!(
            alone.as_ref(),
            Ok(&vec![packet.clone()]),
            "record {record:?}"
        );
    }
    let encoded = payload::encode(&packets);
    assert_eq!(
        payload::decode(&Bytes::from(encoded.clone())).as_ref(),
        Ok(&packets),
        "re-encoded payload {encoded:?} decodes differently"
    );
    if !packets.iter().any(|p| matches!(p, Packet::Open(_))) {
        assert_eq!(encoded.as_bytes(), data, "re-encoding changed the payload");
        let estimate: usize = packets.iter().map(payload::encoded_len).sum();
        assert!(encoded.len() <= estimate, "encoded_len underestimates");
    }
}
