//! Packets the package's Decoder refuses, and those it accepts that ours refuses.

use e2e::bin;
use serde_json::{json, Value};

/// Packets Node's Decoder refuses, as Node's Encoder writes them.
pub(crate) fn refused() -> Vec<Value> {
    vec![
        json!({"type": 7, "nsp": "/"}),
        json!({"type": 5, "nsp": "/", "data": ["x"]}),
        json!({"type": -1, "nsp": "/"}),
        json!({"type": "2", "nsp": "/", "data": ["x"]}),
        json!({"type": 1.5, "nsp": "/"}),
        json!({"nsp": "/"}),
        json!([2, "/"]),
        json!("2"),
        json!({"type": 2, "nsp": 1, "data": ["x"]}),
        json!({"type": 2, "data": ["x"]}),
        json!({"type": 0, "nsp": "/", "data": "token"}),
        json!({"type": 0, "nsp": "/", "data": null}),
        json!({"type": 0, "nsp": "/", "data": [1]}),
        json!({"type": 1, "nsp": "/", "data": []}),
        json!({"type": 2, "nsp": "/", "data": {}}),
        json!({"type": 2, "nsp": "/"}),
        json!({"type": 3, "nsp": "/", "data": "x", "id": 1}),
        json!({"type": 4, "nsp": "/", "data": 1}),
        json!({"type": 4, "nsp": "/"}),
        json!({"type": 2, "nsp": "/", "data": ["x"], "id": "1"}),
        json!({"type": 2, "nsp": "/", "data": ["x"], "id": 1.5}),
        json!({"type": 2, "nsp": "/", "data": ["x"], "id": null}),
    ]
}

/// Packets Node's Decoder accepts that ours refuses (`docs/architecture.md`, "Where we
/// differ"), with our reason.
pub(crate) fn stricter() -> Vec<(Value, &'static str)> {
    let placeholder = json!({"_placeholder": true, "num": 0});
    vec![
        (json!({"type": 0, "nsp": "admin"}), "invalid namespace"),
        (
            json!({"type": 2, "nsp": "/a,b", "data": ["x"]}),
            "invalid namespace",
        ),
        (
            json!({"type": 2, "nsp": "/", "data": ["x"], "id": -1}),
            "invalid ack id",
        ),
        (
            json!({"type": 2, "nsp": "/", "data": ["disconnect"]}),
            "reserved event name: disconnect",
        ),
        (
            json!({"type": 2, "nsp": "/", "data": []}),
            "invalid payload for a event packet",
        ),
        (
            json!({"type": 2, "nsp": "/", "data": [true, 1]}),
            "invalid payload for a event packet",
        ),
        (
            json!({"type": 3, "nsp": "/", "data": []}),
            "ack packet without an id",
        ),
        (
            json!({"type": 2, "nsp": "/", "data": ["x", placeholder, bin(b"b")]}),
            "attachment placeholder out of range",
        ),
    ]
}
