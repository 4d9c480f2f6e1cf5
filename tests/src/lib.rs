//! Test support for the end-to-end tests.
//!
//! The tests drive the *official* npm peers (`engine.io-client`, `socket.io-client`, and the
//! Node reference servers `engine.io` / `socket.io`) running under Node, never mocks. Each
//! peer is a small script in `tests/node/` that speaks JSON lines: commands on its stdin,
//! events on its stdout. [`NodeDriver`] spawns such a script and reads its events;
//! [`ReferenceServer`] spawns a reference server and reads its port.
//!
//! The npm packages are installed by `scripts/test` (`npm ci` in `tests/node`). When they are
//! missing, spawning a driver panics with that instruction: nothing is skipped silently.

pub mod binary;
pub mod http;
pub mod node;
pub mod reference;

pub use binary::{b64, bin, from_b64};
pub use http::RawResponse;
pub use node::{node_dir, NodeDriver, TIMEOUT};
pub use reference::ReferenceServer;
