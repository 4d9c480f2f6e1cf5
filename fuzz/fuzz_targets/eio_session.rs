//! Fuzz target `eio_session`: input format and invariants in `socketio_fuzz::eio_session`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketio_fuzz::eio_session::run(data));
