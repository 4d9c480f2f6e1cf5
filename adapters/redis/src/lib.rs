//! A Redis adapter for the `socketio` crate that joins a Node.js cluster as an equal: it
//! speaks the protocol of `@socket.io/redis-adapter` 8.x, in its classic mode
//! (`createAdapter`) and its sharded mode (`createShardedAdapter`, Redis 7 sharded pub/sub,
//! static and dynamic subscription modes), on the same channels and in the same encodings
//! (notepack msgpack and JSON), so Rust and Node servers share one cluster. [`Emitter`]
//! publishes from outside any server, as `@socket.io/redis-emitter` does.
//!
//! - [`RedisAdapterFactory`]: give it to [`socketio::server::Builder::adapter`];
//! - [`RedisAdapterConfig`]: the URL, the [`Mode`], the key prefix, the timeouts and limits;
//! - [`Emitter`]: emit, join, leave, disconnect and server-side emit from any process.
//!
//! The crate depends on the socketio core only (no HTTP server), on `fred` for Redis and on
//! `rmpv` for MessagePack. `README.md` beside this crate says what is lost while Redis is down
//! or stops answering, and every limit with what a caller that hits it sees.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod classic;
mod config;
mod core;
mod date;
mod emitter;
mod error;
mod factory;
mod hub;
mod ids;
#[doc(hidden)]
pub mod inbound;
mod outbox;
mod requests;
mod sharded;
mod value;
mod wire;

pub use config::{Mode, RedisAdapterConfig, SubscriptionMode};
pub use emitter::{Emitter, EmitterOperator};
pub use error::Error;
pub use factory::{Queued, RedisAdapterFactory};
