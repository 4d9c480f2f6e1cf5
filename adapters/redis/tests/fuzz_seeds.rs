//! Replays the fuzz corpus of the Redis message target on stable Rust.
//!
//! Every file of `fuzz/corpus/redis_message/` (messages as `@socket.io/redis-adapter` 8.x and
//! `@socket.io/redis-emitter` write them, edge cases, and every input the fuzzer found
//! interesting or crashing) goes through the target's own checks: the very module that the
//! cargo-fuzz binary runs. No Redis server is needed. See `docs/fuzzing.md`.

use std::path::Path;

#[allow(unreachable_pub)]
#[path = "../../../fuzz/src/redis_message.rs"]
mod redis_message;
#[allow(unreachable_pub)]
#[path = "../../../fuzz/src/replay.rs"]
mod replay;

#[test]
fn redis_message_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    replay::replay(&corpus, "redis_message", redis_message::run);
}
