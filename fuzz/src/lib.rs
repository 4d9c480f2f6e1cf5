//! Fuzz targets for the decoders that read network input, one module per target.
//!
//! Each module has a `run(data)` that feeds one input to the code under test and asserts the
//! target's invariants; a panic is a finding. The fuzz binaries call it, and the replay tests
//! of the `engineio`, `socketio` and `socketio-redis` crates include the same files to run
//! every file of `fuzz/corpus/<target>/` on stable Rust.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod eio3_payload;
pub mod eio_packet;
pub mod eio_payload;
pub mod eio_session;
pub mod msgpack_decoder;
pub mod redis_message;
pub mod replay;
pub mod sio_decoder;
