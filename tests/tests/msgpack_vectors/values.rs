//! Argument values: numbers of every form, strings and containers of every length header,
//! binaries nested and of every length header, and notepack's `undefined`, ArrayBuffer and
//! Date. Each is an event `["<name>", ...args]` in the main namespace.

use e2e::bin;
use serde_json::{json, Value};

use super::{ab, event, ph, Vector};

/// The object of an event in `/` whose data is `[name, ...args]`.
fn object(name: &str, args: Value) -> Value {
    let Value::Array(args) = args else {
        panic!("an argument array: {args}");
    };
    let data: Vec<Value> = std::iter::once(json!(name)).chain(args).collect();
    json!({"type": 2, "nsp": "/", "data": data})
}

/// Arguments that travel both ways unchanged, in the same bytes.
fn both(label: &'static str, args: Value) -> Vector {
    both_binary(label, args.clone(), args, &[])
}

/// Arguments with binaries: Buffers in Node (`node`), placeholders here.
fn both_binary(label: &'static str, node: Value, ours: Value, attachments: &[&[u8]]) -> Vector {
    let object = object("v", node);
    Vector {
        name: label,
        node: Some(object.clone()),
        ours: event("/", "v", ours, attachments, None),
        back: Some(object),
        same_bytes: true,
    }
}

/// Arguments Node writes as `node`, read here as `ours`, that come back from us as `back`.
fn from_node(
    label: &'static str,
    node: Value,
    ours: Value,
    attachments: &[&[u8]],
    back: Value,
) -> Vector {
    Vector {
        name: label,
        node: Some(object("v", node)),
        ours: event("/", "v", ours, attachments, None),
        back: Some(object("v", back)),
        same_bytes: false,
    }
}

pub(crate) fn values() -> Vec<Vector> {
    let long = "é".repeat(40_000);
    let big = vec![0xa5_u8; 70_000];
    let medium = vec![7_u8; 300];
    let keys: serde_json::Map<String, Value> =
        (0..20).map(|i| (format!("k{i}"), json!(i))).collect();
    let items: Vec<Value> = (0..20).map(|i| json!(i)).collect();
    let max_safe = 9_007_199_254_740_991_i64;
    let two_63 = 9_223_372_036_854_775_808_u64;
    let integers = json!([
        0,
        127,
        128,
        255,
        256,
        65_535,
        65_536,
        4_294_967_295_u64,
        4_294_967_296_u64,
        max_safe
    ]);
    let negative = json!([
        -1,
        -32,
        -33,
        -128,
        -129,
        -32_768,
        -32_769,
        -2_147_483_648_i64,
        -2_147_483_649_i64,
        -max_safe
    ]);
    let floats = json!([
        1.5,
        -0.25,
        0.1,
        -123.456,
        5e-324,
        1.000_000_000_000_000_2,
        -1.5e-300
    ]);
    let strings = json!([
        null,
        true,
        false,
        "",
        "a".repeat(31),
        "b".repeat(32),
        "c".repeat(256),
        long
    ]);
    let parts = json!({"name": "a", "parts": [bin(&[1]), bin(&[])]});
    let nested_node = json!([bin(b"head"), parts, [[bin(&medium)]], {"x": {"y": bin(&big)}}]);
    let nested_ours =
        json!([ph(0), {"name": "a", "parts": [ph(1), ph(2)]}, [[ph(3)]], {"x": {"y": ph(4)}}]);
    let buffers: [&[u8]; 5] = [b"head", &[1], &[], &medium, &big];
    let array_buffers: [&[u8]; 4] = [&[], &[1], &[8; 8], &medium];
    vec![
        both("integers of every form", integers),
        both_binary(
            "integers past 2^53",
            json!([{"$int": two_63.to_string()}, {"$int": i64::MIN.to_string()}]),
            json!([two_63, i64::MIN]),
            &[],
        ),
        both("negative integers of every form", negative),
        both("floats", floats),
        both("null, booleans, strings of every length header", strings),
        both("empty and 16-bit containers", json!([[], {}, keys, items])),
        both_binary(
            "nested Buffers of every length header",
            nested_node,
            nested_ours,
            &buffers,
        ),
        from_node(
            "ArrayBuffers of 0, 1, 8 and 300 bytes (ext type 0, whatever the length)",
            json!([ab(&[]), ab(&[1]), {"eight": ab(&[8; 8])}, [ab(&medium)]]),
            json!([ph(0), ph(1), {"eight": ph(2)}, [ph(3)]]),
            &array_buffers,
            json!([bin(&[]), bin(&[1]), {"eight": bin(&[8; 8])}, [bin(&medium)]]),
        ),
        from_node(
            "undefined: null in an array, left out of an object",
            json!([{"$undef": true}, {"a": {"$undef": true}, "b": 1}]),
            json!([null, {"b": 1}]),
            &[],
            json!([null, {"b": 1}]),
        ),
        from_node(
            "a Date: its ISO text",
            json!([{"$date": 1_700_000_000_123_u64}, {"at": {"$date": -1}}]),
            json!(["2023-11-14T22:13:20.123Z", {"at": "1969-12-31T23:59:59.999Z"}]),
            &[],
            json!(["2023-11-14T22:13:20.123Z", {"at": "1969-12-31T23:59:59.999Z"}]),
        ),
        from_node(
            "NaN and the infinities: null, as JSON writes them",
            json!([{"$float": "NaN"}, {"$float": "Infinity"}, {"$float": "-Infinity"}]),
            json!([null, null, null]),
            &[],
            json!([null, null, null]),
        ),
        Vector {
            name: "an integral float is a float here, a number in Node",
            node: None,
            ours: event("/", "v", json!([2.0, -7.0]), &[], None),
            back: Some(object("v", json!([2, -7]))),
            same_bytes: false,
        },
    ]
}
