//! The codecs of Engine.IO v3 (the protocol's third revision, spoken by Socket.IO v2 clients).
//!
//! The packets are those of v4; what differs is how they are written:
//!
//! - a binary message carries its type: a binary WebSocket frame is the byte `4` followed by
//!   the data, and in text it is `b4` followed by the base64 of the data;
//! - a polling payload is either text, each packet prefixed by its length in UTF-16 code units
//!   and a colon (`6:4hello2:40`), or, when the client takes binary and a packet is binary,
//!   a binary body in which each packet is a kind byte (`0` text, `1` binary), its length as
//!   one byte per decimal digit, `0xFF`, then its bytes.
//!
//! The session decides nothing here: the heartbeat's direction is the session's business.

pub mod packet;
pub mod payload;

/// The type byte of a message, in a binary frame or after the `b` of a base64 packet.
const MESSAGE: u8 = 4;
