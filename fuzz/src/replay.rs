//! Replaying a target's corpus without libFuzzer: what the stable `fuzz_seeds` tests of the
//! `engineio`, `socketio` and `socketio-redis` crates run.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// Runs every file of `corpus/<target>/` through `run`; panics naming each seed that failed
/// (each failure's own panic message is printed as it happens).
pub fn replay(corpus: &Path, target: &str, run: fn(&[u8])) {
    let dir = corpus.join(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the corpus {}: {e}", dir.display()));
    let mut seeds: Vec<PathBuf> = entries
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    seeds.retain(|path| path.is_file());
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    let failed: Vec<String> = seeds
        .iter()
        .filter(|path| {
            let data = std::fs::read(path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            catch_unwind(AssertUnwindSafe(|| run(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} seeds of {target} failed: {failed:#?}",
        failed.len(),
        seeds.len()
    );
}
