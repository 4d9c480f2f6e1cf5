//! Socket.IO v5 server.
//!
//! Without default features this crate is the pure protocol core:
//!
//! - [`packet`]: the packet model, where binary packets are implied by attachments;
//! - [`payload`]: JSON values with binary leaves, and typed payloads through serde;
//! - [`binary`]: [`Binary`], the type of a binary leaf in a user type;
//! - [`codec`]: encoding a packet once into Engine.IO messages that a broadcast shares;
//! - [`parser`]: the [`Parser`] trait, how packets become Engine.IO messages and back, with
//!   the default [`JsonParser`] (text messages, [`decoder`] reassembling their attachments) and
//!   [`MsgpackParser`] (`socket.io-msgpack-parser`'s binary messages, in [`msgpack`]).
//!
//! ```
//! use socketio::{from_payload, to_payload, Binary, Decoder, NamespaceName, Packet};
//!
//! // Server side: encode once, send the messages to every recipient.
//! let args = to_payload(&("report.pdf", Binary::from(vec![0x25, 0x50])))?;
//! let encoded = Packet::event(NamespaceName::root(), "file", args).encode();
//! assert_eq!(
//!     encoded.text().map(|text| text.as_str()),
//!     Some(r#"51-["file","report.pdf",{"_placeholder":true,"num":0}]"#),
//! );
//!
//! // Receiving side: one decoder per connection.
//! let mut decoder = Decoder::default();
//! let mut packets = Vec::new();
//! for message in encoded.messages() {
//!     packets.extend(decoder.feed(message)?);
//! }
//! let args = packets[0].payload().ok_or("not an event")?;
//! let (name, data): (String, Binary) = from_payload(args)?;
//! assert_eq!((name.as_str(), &data[..]), ("report.pdf", &[0x25, 0x50][..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod adapter;
pub mod binary;
#[cfg(feature = "server")]
pub mod client_bundle;
pub mod codec;
pub mod decoder;
pub mod msgpack;
pub mod packet;
pub mod parser;
pub mod payload;
pub mod recovery;
pub mod room;
#[cfg(feature = "server")]
pub mod server;

pub use adapter::{Adapter, AdapterFactory, BroadcastOptions, MemoryAdapter};
pub use binary::Binary;
pub use codec::{EncodedPacket, MessageKind};
pub use decoder::{Decoder, DecoderConfig};
pub use msgpack::MsgpackParser;
pub use packet::{NamespaceName, Packet, PacketKind, PacketType};
pub use parser::{EncodeError, JsonParser, PacketDecoder, ParseError, Parser};
pub use payload::{from_payload, to_args, to_payload, Payload, PayloadError};

/// The examples of `docs/guide.md`, compiled and run as doctests.
#[cfg(all(doctest, feature = "server"))]
#[doc = include_str!("../../docs/guide.md")]
pub struct Guide;

/// The examples of `docs/security.md`, compiled and run as doctests.
#[cfg(all(doctest, feature = "server"))]
#[doc = include_str!("../../docs/security.md")]
pub struct SecurityExamples;
