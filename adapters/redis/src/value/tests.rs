//! The byte strings below were printed by notepack.io 3.0.1 (the encoder of
//! @socket.io/redis-adapter 8.3.0) for the same values.

use super::*;
use serde_json::json;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn mp(value: Json) -> Mp {
    json_to_mp(&{ value }, &[])
}

#[test]
fn a_broadcast_message_is_byte_for_byte_what_notepack_writes() {
    let value = mp(json!([
        "Ab3xYz",
        {"type": 2, "data": ["hi", 1], "nsp": "/"},
        {"rooms": ["r1"], "except": [], "flags": {}}
    ]));
    assert_eq!(
        hex(&encode_msgpack(&value)),
        "93a641623378597a83a47479706502a46461746192a2686901a36e7370a12f83a5726f6f6d7391a27231\
         a665786365707490a5666c61677380"
    );
}

#[test]
fn numbers_take_the_forms_notepack_gives_them() {
    let value = mp(json!([
        0,
        127,
        128,
        255,
        256,
        65535,
        65536,
        4_294_967_295_u64,
        4_294_967_296_u64,
        -1,
        -32,
        -33,
        -128,
        -129,
        -32768,
        -32769,
        -2_147_483_648_i64,
        -2_147_483_649_i64,
        1.5,
        -0.25,
        2.0
    ]));
    assert_eq!(
        hex(&encode_msgpack(&value)),
        "dc0015007fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000ffe0d0dfd080d1ff7f\
         d18000d2ffff7fffd280000000d3ffffffff7fffffffcb3ff8000000000000cbbfd000000000000002"
    );
}

#[test]
fn strings_binary_and_null_match_notepack() {
    let payload = socketio::Payload::new(
        json!({"s": "x".repeat(31), "t": "y".repeat(32), "b": {"_placeholder": true, "num": 0},
               "n": null, "a": [true, false]}),
        vec![Bytes::from_static(&[1, 2])],
    )
    .expect("payload");
    let expected = format!(
        "85a173bf{}a174d920{}a162c4020102a16ec0a16192c3c2",
        "78".repeat(31),
        "79".repeat(32)
    );
    assert_eq!(hex(&encode_msgpack(&payload_to_mp(&payload))), expected);
    assert_eq!(
        hex(&encode_msgpack(&mp(json!("é€😀")))),
        "a9c3a9e282acf09f9880"
    );
}

#[test]
fn binary_comes_back_as_attachments() {
    let payload = socketio::Payload::new(
        json!(["file", {"_placeholder": true, "num": 0}, {"deep": [{"_placeholder": true, "num": 1}]}]),
        vec![Bytes::from_static(b"ab"), Bytes::from_static(b"cd")],
    )
    .expect("payload");
    let bytes = encode_msgpack(&payload_to_mp(&payload));
    let back = mp_to_payload(decode(&bytes).expect("decodes"));
    assert_eq!(back, payload);
}

#[test]
fn json_messages_are_sniffed_and_binary_in_json_is_a_buffer_object() {
    let value = decode(br#"{"uid":"abc","type":6,"data":["ev",1.5]}"#).expect("json");
    assert_eq!(get(&value, "type").and_then(Mp::as_u64), Some(6));
    let with_binary = map([("data", Mp::Binary(vec![1, 2]))]);
    assert_eq!(
        String::from_utf8(encode_json(&with_binary)).expect("utf8"),
        r#"{"data":{"type":"Buffer","data":[1,2]}}"#
    );
    assert!(has_binary(&with_binary));
    assert!(!has_binary(&mp(json!({"a": [1, "b"]}))));
}

#[test]
fn legacy_extensions_and_odd_keys_are_tolerated() {
    // d4 00 00: notepack 2's undefined; c7 03 00 ..: ext 0 as binary; an integer map key.
    let bytes = [
        0x93, 0xd4, 0x00, 0x00, 0xc7, 0x03, 0x00, 1, 2, 3, 0x81, 0x01, 0xa1, b'x',
    ];
    let payload = mp_to_payload(decode(&bytes).expect("decodes"));
    assert_eq!(
        payload.value(),
        &json!([null, {"_placeholder": true, "num": 0}, {"1": "x"}])
    );
    assert_eq!(payload.attachments(), &[Bytes::from_static(&[1, 2, 3])]);
    assert!(decode(&[0x92, 0x01]).is_none());
    let deep = [vec![0x91; MAX_DEPTH + 10], vec![0xc0]].concat();
    assert!(decode(&deep).is_none());
}
