//! Engine.IO v4 server.
//!
//! Without default features this crate is the sans-IO protocol core: the [`packet`] and
//! [`payload`] codecs, the [`handshake`] packet and the [`session`] state machine, which
//! takes the current time as an argument and never touches a socket or a clock. The
//! `server` feature (on by default) adds the hyper/tower service and the transports.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod config;
pub mod eio3;
pub mod handshake;
pub mod packet;
pub mod payload;
pub mod protocol;
pub mod reason;
pub mod session;

pub use config::{Config, TransportKind};
pub use protocol::Protocol;
pub use reason::DisconnectReason;

#[cfg(feature = "server")]
pub mod server;
