//! Replays the fuzz corpus of the Engine.IO targets on stable Rust.
//!
//! Every file of `fuzz/corpus/<target>/` (spec examples, edge cases, and every input the
//! fuzzer found interesting or crashing) goes through the target's own checks: the very module
//! that the cargo-fuzz binary runs. See `docs/fuzzing.md`.

use std::path::{Path, PathBuf};

#[allow(unreachable_pub)]
#[path = "../../fuzz/src/eio3_payload.rs"]
mod eio3_payload;
#[allow(unreachable_pub)]
#[path = "../../fuzz/src/eio_packet.rs"]
mod eio_packet;
#[allow(unreachable_pub)]
#[path = "../../fuzz/src/eio_payload.rs"]
mod eio_payload;
#[allow(unreachable_pub)]
#[path = "../../fuzz/src/eio_session.rs"]
mod eio_session;
#[allow(unreachable_pub)]
#[path = "../../fuzz/src/replay.rs"]
mod replay;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus")
}

#[test]
fn eio_packet_corpus() {
    replay::replay(&corpus(), "eio_packet", eio_packet::run);
}

#[test]
fn eio_payload_corpus() {
    replay::replay(&corpus(), "eio_payload", eio_payload::run);
}

#[test]
fn eio3_payload_corpus() {
    replay::replay(&corpus(), "eio3_payload", eio3_payload::run);
}

#[test]
fn eio_session_corpus() {
    replay::replay(&corpus(), "eio_session", eio_session::run);
}
