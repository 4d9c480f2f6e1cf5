//! Fuzz target `sio_decoder`: input format and invariants in `socketio_fuzz::sio_decoder`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketio_fuzz::sio_decoder::run(data));
