//! Codec throughput: WebSocket frames and polling payloads, encode and decode.
//!
//! `cargo bench -p engineio --bench codec`

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use engineio::packet::{Packet, Text};
use engineio::payload;

/// Runs `f` repeatedly for about a second; returns nanoseconds per call.
fn measure(mut f: impl FnMut()) -> f64 {
    let mut iterations = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..iterations {
            f();
        }
        let elapsed = start.elapsed();
        if elapsed > Duration::from_millis(800) {
            return elapsed.as_nanos() as f64 / iterations as f64;
        }
        iterations *= 2;
    }
}

fn report(name: &str, bytes: usize, nanos: f64) {
    let mib_s = bytes as f64 / nanos * 1e9 / (1024.0 * 1024.0);
    println!("{name:<44} {nanos:>10.1} ns/op {mib_s:>10.1} MiB/s");
}

fn main() {
    let chat = r#"2["chat message",{"user":"alice","text":"hello everyone, how are you today?"}]"#;
    let text = Text::new(chat);
    let frame = Bytes::from(format!("4{chat}"));
    report(
        "ws encode text message (88 B)",
        frame.len(),
        measure(|| {
            black_box(Packet::Message(black_box(text.clone())).to_frame());
        }),
    );
    report(
        "ws decode text message (88 B)",
        frame.len(),
        measure(|| {
            black_box(Packet::decode_text(black_box(frame.clone())).ok());
        }),
    );
    let big = Text::new(&"x".repeat(64 * 1024));
    let big_frame = Packet::Message(big.clone()).to_frame();
    let engineio::packet::Frame::Text(big_bytes) = big_frame else {
        return;
    };
    report(
        "ws decode text message (64 KiB)",
        big_bytes.len(),
        measure(|| {
            black_box(Packet::decode_text(black_box(big_bytes.clone())).ok());
        }),
    );
    let packets: Vec<Packet> = (0..16)
        .map(|i| match i % 4 {
            3 => Packet::Binary(Bytes::from(vec![7u8; 256])),
            _ => Packet::Message(text.clone()),
        })
        .collect();
    let body = Bytes::from(payload::encode(&packets));
    report(
        "polling payload encode (16 packets)",
        body.len(),
        measure(|| {
            black_box(payload::encode(black_box(&packets)));
        }),
    );
    report(
        "polling payload decode (16 packets)",
        body.len(),
        measure(|| {
            black_box(payload::decode(black_box(&body)).ok());
        }),
    );
}
