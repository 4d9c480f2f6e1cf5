//! Wire compatibility of our msgpack parser with the official `socket.io-msgpack-parser`
//! 3.0.2 (and the notepack.io 2.2 it pulls), run in Node by `tests/node/msgpack-parser.mjs`:
//! what its Encoder writes, our decoder reads as the same packet; what our encoder writes, its
//! Decoder reads as the same packet; where both write the same object, the bytes are the same;
//! and what its Decoder refuses, ours refuses too (with the few refusals of our own named).

mod msgpack_vectors;

use bytes::Bytes;
use e2e::{b64, from_b64, NodeDriver, TIMEOUT};
use engineio::packet::Message;
use msgpack_vectors::Vector;
use serde_json::{json, Value};
use socketio::{DecoderConfig, MsgpackParser, Packet, ParseError, Parser};

/// The Node side: the package's Encoder and Decoder behind JSON lines.
struct Package {
    driver: NodeDriver,
    next_id: u64,
}

impl Package {
    fn start() -> Self {
        Self {
            driver: NodeDriver::spawn("msgpack-parser.mjs", &[]),
            next_id: 1,
        }
    }

    /// Sends `cmd` with a fresh id and returns its answer (the event that is not its `ok`).
    async fn ask(&mut self, mut cmd: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        cmd["id"] = json!(id);
        self.driver.send(cmd).await;
        let answer = self
            .driver
            .expect_matching(|ev| ev["id"] == id && ev["ev"] != "ok", TIMEOUT)
            .await;
        self.driver
            .expect_matching(|ev| ev["id"] == id && ev["ev"] == "ok", TIMEOUT)
            .await;
        answer
    }

    /// The messages `new Encoder().encode(packet)` returns.
    async fn encode(&mut self, packet: &Value) -> Vec<Bytes> {
        let answer = self.ask(json!({"cmd": "encode", "packet": packet})).await;
        let messages = answer["messages"].as_array().expect("messages");
        messages
            .iter()
            .map(|m| Bytes::from(from_b64(m.as_str().expect("base64"))))
            .collect()
    }

    /// What a fresh `Decoder` emits for `bytes`, or the message of what it throws.
    async fn decode(&mut self, bytes: &[u8]) -> Result<Value, String> {
        let answer = self
            .ask(json!({"cmd": "decode", "bytes": b64(bytes)}))
            .await;
        match answer["ev"].as_str() {
            Some("decoded") => Ok(answer["packet"].clone()),
            Some("decodeError") => Err(answer["message"].as_str().unwrap_or("?").to_owned()),
            _ => panic!("unexpected answer {answer}"),
        }
    }

    /// The one message Node writes for `packet`.
    async fn encode_one(&mut self, packet: &Value) -> Bytes {
        let messages = self.encode(packet).await;
        assert_eq!(
            messages.len(),
            1,
            "{packet}: the package writes one message"
        );
        messages.into_iter().next().expect("one message")
    }

    async fn exit(self) {
        self.driver.exit().await;
    }
}

/// Our one binary message for `packet`.
fn ours(packet: &Packet) -> Bytes {
    let encoded = MsgpackParser.encode(packet).expect("encodable");
    assert_eq!(encoded.message_count(), 1, "one message per packet");
    match encoded.first() {
        Message::Binary(bytes) => bytes.clone(),
        Message::Text(text) => panic!("a text message {text:?}"),
    }
}

/// What our decoder, through the `Parser` trait as a server holds it, makes of `bytes`.
fn decode_here(bytes: &Bytes) -> Result<Option<Packet>, ParseError> {
    let mut decoder = MsgpackParser.decoder(DecoderConfig::default());
    decoder.feed(Message::Binary(bytes.clone()))
}

fn vectors() -> Vec<Vector> {
    let mut all = msgpack_vectors::packets();
    all.extend(msgpack_vectors::values());
    all
}

#[tokio::test]
async fn the_package_s_bytes_decode_here_to_the_same_packets() {
    let mut node = Package::start();
    let mut checked = 0;
    for vector in vectors() {
        let Some(object) = &vector.node else { continue };
        let bytes = node.encode_one(object).await;
        let decoded = decode_here(&bytes);
        assert!(
            matches!(&decoded, Ok(Some(p)) if *p == vector.ours),
            "{}: Node wrote {:02x?}, we decoded {decoded:?}, not {:?}",
            vector.name,
            &bytes[..bytes.len().min(64)],
            vector.ours
        );
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} vectors");
    node.exit().await;
}

#[tokio::test]
async fn our_bytes_decode_in_node_to_the_same_packets() {
    let mut node = Package::start();
    let mut checked = 0;
    for vector in vectors() {
        let Some(back) = &vector.back else { continue };
        let decoded = node.decode(&ours(&vector.ours)).await;
        assert_eq!(decoded.as_ref(), Ok(back), "{}", vector.name);
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} vectors");
    node.exit().await;
}

#[tokio::test]
async fn both_write_the_same_bytes_for_the_same_object() {
    let mut node = Package::start();
    let mut checked = 0;
    for vector in vectors().into_iter().filter(|v| v.same_bytes) {
        let object = vector
            .node
            .as_ref()
            .expect("same_bytes vectors have a Node object");
        let theirs = node.encode_one(object).await;
        assert_eq!(ours(&vector.ours), theirs, "{}", vector.name);
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} vectors");
    node.exit().await;
}

/// Integers stay integers and floats floats: our decoder keeps the number types Node wrote.
#[tokio::test]
async fn integers_and_floats_keep_their_type() {
    let mut node = Package::start();
    let object = json!({"type": 2, "nsp": "/", "data": ["n", 1, 1.5, -3, 1e-7, 4_294_967_296_u64]});
    let packet = decode_here(&node.encode_one(&object).await).expect("valid");
    let args = packet.as_ref().and_then(Packet::payload).expect("an event");
    let kinds: Vec<&str> = args
        .value()
        .as_array()
        .expect("arguments")
        .iter()
        .map(|v| match v {
            v if v.is_u64() => "u64",
            v if v.is_i64() => "i64",
            v if v.is_f64() => "f64",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["u64", "f64", "i64", "f64", "u64"]);
    node.exit().await;
}

#[tokio::test]
async fn what_the_package_refuses_we_refuse() {
    let mut node = Package::start();
    for object in msgpack_vectors::refused() {
        let bytes = node.encode_one(&object).await;
        let theirs = node.decode(&bytes).await;
        assert!(
            theirs.is_err(),
            "{object}: the package accepts it as {theirs:?}"
        );
        let here = decode_here(&bytes);
        assert!(here.is_err(), "{object}: we accept it as {here:?}");
    }
    // Bytes that are not the package's MessagePack at all.
    let good = ours(&Packet::disconnect(msgpack_vectors::nsp("/")));
    let broken = [
        [&good[..], &[0xc0]].concat(),
        good[..good.len() - 1].to_vec(),
        [
            &[0x82, 0xa4][..],
            b"type",
            &[0xc1, 0xa3],
            b"nsp",
            &[0xa1, b'/'],
        ]
        .concat(),
        vec![
            0x83, 0xa4, b't', b'y', b'p', b'e', 0x02, 0xdb, 0xff, 0xff, 0xff, 0xff,
        ],
    ];
    for bytes in broken {
        let theirs = node.decode(&bytes).await;
        assert!(
            theirs.is_err(),
            "{bytes:02x?}: the package accepts it as {theirs:?}"
        );
        let here = decode_here(&Bytes::from(bytes.clone()));
        assert!(
            matches!(here, Err(ParseError::Msgpack(_))),
            "{bytes:02x?}: {here:?}"
        );
    }
    node.exit().await;
}

/// Where we are stricter than the package (documented in docs/architecture.md): it accepts
/// these packets, we refuse them.
#[tokio::test]
async fn where_we_are_stricter_than_the_package() {
    let mut node = Package::start();
    for (object, reason) in msgpack_vectors::stricter() {
        let bytes = node.encode_one(&object).await;
        let theirs = node.decode(&bytes).await;
        assert!(
            theirs.is_ok(),
            "{object}: the package refuses it: {theirs:?}"
        );
        match decode_here(&bytes) {
            Err(err) => assert_eq!(err.to_string(), reason, "{object}"),
            Ok(packet) => panic!("{object}: we accept it as {packet:?}"),
        }
    }
    node.exit().await;
}
