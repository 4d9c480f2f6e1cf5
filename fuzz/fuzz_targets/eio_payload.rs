//! Fuzz target `eio_payload`: input format and invariants in `socketio_fuzz::eio_payload`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketio_fuzz::eio_payload::run(data));
