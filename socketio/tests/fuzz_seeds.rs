//! Replays the fuzz corpora of the Socket.IO decoder targets on stable Rust.
//!
//! Every file of `fuzz/corpus/sio_decoder/` and `fuzz/corpus/msgpack_decoder/` (spec examples,
//! edge cases, messages of the Node package, and every input the fuzzer found interesting or
//! crashing) goes through the target's own checks: the very module that the cargo-fuzz binary
//! runs. See `docs/fuzzing.md`.

use std::path::Path;

#[allow(unreachable_pub)]
#[path = "../../fuzz/src/msgpack_decoder.rs"]
mod msgpack_decoder;
#[allow(unreachable_pub)]
#[path = "../../fuzz/src/replay.rs"]
mod replay;
#[allow(unreachable_pub)]
#[path = "../../fuzz/src/sio_decoder.rs"]
mod sio_decoder;

#[test]
fn sio_decoder_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    replay::replay(&corpus, "sio_decoder", sio_decoder::run);
}

#[test]
fn msgpack_decoder_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    replay::replay(&corpus, "msgpack_decoder", msgpack_decoder::run);
}
