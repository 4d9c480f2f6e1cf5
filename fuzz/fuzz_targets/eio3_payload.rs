//! Fuzz target `eio3_payload`: input format and invariants in `socketio_fuzz::eio3_payload`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketio_fuzz::eio3_payload::run(data));
