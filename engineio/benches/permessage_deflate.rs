//! What permessage-deflate (RFC 7692) would cost and save on Socket.IO traffic: the figures
//! behind the decision in docs/architecture.md (we do not offer it).
//!
//! `cargo bench -p engineio --bench permessage_deflate`
//!
//! For Socket.IO event messages of several sizes it measures, with raw DEFLATE and a sync
//! flush per message as the extension writes them (flate2, zlib's default level 6 and a 32 KiB
//! window, as the `ws` package's defaults; context takeover kept between messages): the bytes
//! on the wire against the message, and the CPU to compress and to decompress one message.
//! Then the memory that the compressor and decompressor of one connection hold, from the
//! resident size of the process before and after 2 000 of them.

use std::hint::black_box;
use std::time::{Duration, Instant};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

const WORDS: [&str; 16] = [
    "alice", "bob", "room", "typing", "message", "hello", "the", "server", "socket", "rust",
    "node", "event", "again", "42", "true", "null",
];

/// The text of a message: words of a 16-word vocabulary (the best case for DEFLATE), or
/// words of random letters (close to its worst case for text).
#[derive(Clone, Copy, Debug)]
enum Text {
    Vocabulary,
    RandomWords,
}

/// A Socket.IO event of about `size` bytes, different for each `seed`, as a chat sends them.
fn event(size: usize, seed: usize, kind: Text) -> Vec<u8> {
    let mut text = String::new();
    let mut i = seed;
    let mut state = (seed as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    while text.len() + 60 < size {
        match kind {
            Text::Vocabulary => text.push_str(WORDS[(i * 7 + i / 3) % WORDS.len()]),
            Text::RandomWords => {
                for _ in 0..3 + random() % 6 {
                    text.push(char::from(b'a' + (random() % 26) as u8));
                }
            }
        }
        text.push(' ');
        i += 1;
    }
    format!(
        r#"42["message",{{"from":"user-{seed}","room":"general","text":"{text}","at":{}}}]"#,
        1_700_000_000 + seed
    )
    .into_bytes()
}

/// One connection's pair, with context takeover: each message is a sync-flushed block.
struct Pair {
    compress: Compress,
    decompress: Decompress,
    out: Vec<u8>,
    back: Vec<u8>,
}

impl Pair {
    fn new() -> Self {
        Self {
            compress: Compress::new(Compression::default(), false),
            decompress: Decompress::new(false),
            out: Vec::with_capacity(64 * 1024),
            back: Vec::with_capacity(64 * 1024),
        }
    }

    /// Compresses one message; returns its size on the wire (the 4-byte sync-flush tail
    /// removed, as the extension sends it).
    fn compress(&mut self, message: &[u8]) -> usize {
        self.out.clear();
        self.compress
            .compress_vec(message, &mut self.out, FlushCompress::Sync)
            .expect("deflate");
        self.out.len() - 4
    }

    fn decompress(&mut self) {
        self.back.clear();
        self.decompress
            .decompress_vec(&self.out, &mut self.back, FlushDecompress::Sync)
            .expect("inflate");
    }
}

fn per_message(mut f: impl FnMut(usize)) -> f64 {
    let mut n = 1usize;
    loop {
        let start = Instant::now();
        for i in 0..n {
            f(i);
        }
        if start.elapsed() > Duration::from_millis(500) {
            return start.elapsed().as_nanos() as f64 / n as f64;
        }
        n *= 2;
    }
}

fn per_round(mut f: impl FnMut()) -> f64 {
    let mut rounds = 0u32;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(500) {
        f();
        rounds += 1;
    }
    start.elapsed().as_nanos() as f64 / f64::from(rounds)
}

fn resident_kib() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

fn main() {
    println!(
        "{:<12} {:>8} {:>10} {:>10} {:>12} {:>12}",
        "text", "message", "on wire", "ratio", "deflate ns", "inflate ns"
    );
    for (kind, size) in [Text::Vocabulary, Text::RandomWords]
        .into_iter()
        .flat_map(|kind| [64, 128, 256, 1024, 4096, 16_384].map(|size| (kind, size)))
    {
        let messages: Vec<Vec<u8>> = (0..256).map(|seed| event(size, seed, kind)).collect();
        let mut pair = Pair::new();
        // Warm the window as a live connection has it, then measure the wire size.
        for m in &messages {
            pair.compress(m);
        }
        let (raw, wire) = messages
            .iter()
            .fold((0, 0), |(r, w), m| (r + m.len(), w + pair.compress(m)));
        let deflate = per_message(|i| {
            black_box(pair.compress(&messages[i % messages.len()]));
        });
        // A stream of frames as one connection sends them, inflated in order by a fresh
        // decompressor each round.
        let mut sender = Pair::new();
        let frames: Vec<Vec<u8>> = (0..2048)
            .map(|i| {
                sender.compress(&messages[i % messages.len()]);
                sender.out.clone()
            })
            .collect();
        let inflate = per_round(|| {
            let mut receiver = Pair::new();
            for frame in &frames {
                receiver.out.clear();
                receiver.out.extend_from_slice(frame);
                receiver.decompress();
            }
        }) / frames.len() as f64;
        let n = messages.len();
        println!(
            "{:<12} {:>8} {:>10} {:>10.2} {:>12.0} {:>12.0}",
            format!("{kind:?}"),
            raw / n,
            wire / n,
            wire as f64 / raw as f64,
            deflate,
            inflate
        );
    }
    let before = resident_kib();
    let mut pairs: Vec<Pair> = (0..2000).map(|_| Pair::new()).collect();
    for (i, pair) in pairs.iter_mut().enumerate() {
        pair.compress(&event(256, i, Text::RandomWords));
        pair.decompress();
    }
    let after = resident_kib();
    println!(
        "memory: {:.0} KiB per connection (compressor + decompressor, 2000 connections)",
        (after - before) as f64 / pairs.len() as f64
    );
    black_box(pairs);
}
