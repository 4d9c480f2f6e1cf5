//! Fuzz target `msgpack_decoder`: input format and invariants in `socketio_fuzz::msgpack_decoder`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketio_fuzz::msgpack_decoder::run(data));
