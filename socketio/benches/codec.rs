//! The codec alone, without sockets: what one packet costs to encode, to hand to many
//! recipients, and to decode, in nanoseconds per operation (the best of several runs, so that
//! other work on the machine counts as little as it can).
//!
//! `cargo bench -p socketio --bench codec` (set `ITERATIONS`, default 200000, and
//! `RECIPIENTS`, default 1000). Measured, for the broadcast event of the `broadcast` bench
//! (`["tick", i, t, "<64 bytes>"]`) and for an event with two 1 KiB attachments:
//!
//! - `encode`: the packet into its Engine.IO messages;
//! - `fan-out`: one encoding, then every recipient's clone of its messages;
//! - `decode`: the messages fed to a connection's decoder.
//!
//! Each is measured for the default parser called directly (`Packet::encode`, `Decoder`, the
//! server's path before the `Parser` trait) and through an `Arc<dyn Parser>` and its
//! `Box<dyn PacketDecoder>` (as a server holds them), for the default and the msgpack parser.

use std::hint::black_box;
use std::time::{Duration, Instant};

use engineio::packet::Message;
use std::sync::Arc;

use socketio::{
    to_payload, Binary, Decoder, DecoderConfig, JsonParser, MsgpackParser, NamespaceName, Packet,
    Parser,
};

/// A 64-byte string: the argument of the broadcast bench's event.
const PAYLOAD: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// How many times each measurement is repeated; the best run is kept.
const RUNS: usize = 7;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The best time per iteration of `RUNS` runs of `iterations` calls of `op`.
fn best(iterations: usize, mut op: impl FnMut()) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..RUNS {
        let start = Instant::now();
        for _ in 0..iterations {
            op();
        }
        best = best.min(start.elapsed() / iterations as u32);
    }
    best
}

fn tick() -> Packet {
    let args = to_payload(&(7_u64, 1_733_000_000_000_000_u64, PAYLOAD)).expect("serializable");
    Packet::event(NamespaceName::root(), "tick", args)
}

fn upload() -> Packet {
    let chunk = Binary::from(vec![0xa5; 1024]);
    let args = to_payload(&("upload.bin", chunk.clone(), chunk)).expect("serializable");
    Packet::event(NamespaceName::root(), "upload", args)
}

/// Every message of `packet`'s encoding, as the engine receives them.
fn messages(packet: &Packet) -> Vec<Message> {
    packet.encode().messages().collect()
}

fn measure(name: &str, packet: &Packet, iterations: usize, recipients: usize) {
    let encode = best(iterations, || {
        black_box(black_box(packet).encode());
    });
    let fan_out = best((iterations / recipients).max(1), || {
        let encoded = black_box(packet).encode();
        for _ in 0..recipients {
            let sent: Vec<Message> = encoded.messages().collect();
            black_box(sent);
        }
    });
    let received = messages(packet);
    let mut decoder = Decoder::new(DecoderConfig::default());
    let decode = best(iterations, || {
        for message in black_box(&received) {
            let decoded = decoder.feed(message.clone());
            black_box(decoded.ok());
        }
    });
    println!(
        "codec {name}: encode {} ns, fan-out to {recipients} {} ns ({} ns per recipient), decode {} ns",
        encode.as_nanos(),
        fan_out.as_nanos(),
        fan_out.as_nanos() / recipients as u128,
        decode.as_nanos(),
    );
}

/// The same measurements through a parser held as a server holds it.
fn measure_parser(
    name: &str,
    parser: &Arc<dyn Parser>,
    packet: &Packet,
    iterations: usize,
    recipients: usize,
) {
    let encode = best(iterations, || {
        black_box(parser.encode(black_box(packet)).is_ok());
    });
    let fan_out = best((iterations / recipients).max(1), || {
        let Ok(encoded) = parser.encode(black_box(packet)) else {
            return;
        };
        for _ in 0..recipients {
            let sent: Vec<Message> = encoded.messages().collect();
            black_box(sent);
        }
    });
    let received: Vec<Message> = match parser.encode(packet) {
        Ok(encoded) => encoded.messages().collect(),
        Err(err) => panic!("{name}: {err}"),
    };
    let mut decoder = parser.decoder(DecoderConfig::default());
    let decode = best(iterations, || {
        for message in black_box(&received) {
            let decoded = decoder.feed(message.clone());
            black_box(decoded.ok());
        }
    });
    println!(
        "codec {name}: encode {} ns, fan-out to {recipients} {} ns ({} ns per recipient), decode {} ns",
        encode.as_nanos(),
        fan_out.as_nanos(),
        fan_out.as_nanos() / recipients as u128,
        decode.as_nanos(),
    );
}

fn main() {
    let iterations = env("ITERATIONS", 200_000);
    let recipients = env("RECIPIENTS", 1000);
    measure("tick (json)", &tick(), iterations, recipients);
    measure("upload (json)", &upload(), iterations / 4, recipients);
    let json: Arc<dyn Parser> = Arc::new(JsonParser);
    let msgpack: Arc<dyn Parser> = Arc::new(MsgpackParser);
    measure_parser("tick (dyn json)", &json, &tick(), iterations, recipients);
    measure_parser(
        "upload (dyn json)",
        &json,
        &upload(),
        iterations / 4,
        recipients,
    );
    measure_parser(
        "tick (dyn msgpack)",
        &msgpack,
        &tick(),
        iterations,
        recipients,
    );
    measure_parser(
        "upload (dyn msgpack)",
        &msgpack,
        &upload(),
        iterations / 4,
        recipients,
    );
}
