//! Fuzz target `redis_message`: input format and invariants in `socketio_fuzz::redis_message`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketio_fuzz::redis_message::run(data));
