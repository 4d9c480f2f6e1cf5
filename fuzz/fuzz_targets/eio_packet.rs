//! Fuzz target `eio_packet`: input format and invariants in `socketio_fuzz::eio_packet`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketio_fuzz::eio_packet::run(data));
