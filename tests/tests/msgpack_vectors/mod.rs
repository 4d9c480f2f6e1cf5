//! The packets of the msgpack wire-compatibility tests: each as `socket.io-msgpack-parser`'s
//! Encoder and Decoder see it in Node (tagged JSON, see `tests/node/msgpack-parser.mjs`) and as
//! our model holds it.

mod refusals;
mod values;

pub(crate) use refusals::{refused, stricter};
pub(crate) use values::values;

use bytes::Bytes;
use e2e::{b64, bin};
use serde_json::{json, Value};
use socketio::{NamespaceName, Packet, PacketKind, Payload};

/// One packet on both sides.
#[derive(Debug, Clone)]
pub(crate) struct Vector {
    pub(crate) name: &'static str,
    /// The object Node's Encoder gets; `None` when Node does not encode this one.
    pub(crate) node: Option<Value>,
    /// The packet here: what our decoder must make of Node's bytes, and what we encode.
    pub(crate) ours: Packet,
    /// The object Node's Decoder must make of our bytes; `None` when we do not encode it.
    pub(crate) back: Option<Value>,
    /// Whether our bytes must equal Node's (the object's keys are in our encoder's order).
    pub(crate) same_bytes: bool,
}

/// A packet that travels both ways unchanged, in the same bytes.
fn both(name: &'static str, node: Value, ours: Packet) -> Vector {
    Vector {
        name,
        node: Some(node.clone()),
        ours,
        back: Some(node),
        same_bytes: true,
    }
}

/// A packet Node sends that comes back from us as `back`.
fn from_node(name: &'static str, node: Value, ours: Packet, back: Value) -> Vector {
    Vector {
        name,
        node: Some(node),
        ours,
        back: Some(back),
        same_bytes: false,
    }
}

pub(crate) fn nsp(name: &str) -> NamespaceName {
    NamespaceName::new(name).expect("a valid namespace")
}

/// An event whose arguments are `args`, with `attachments` for their placeholders.
pub(crate) fn event(
    ns: &str,
    name: &str,
    args: Value,
    attachments: &[&[u8]],
    ack: Option<u64>,
) -> Packet {
    let attachments = attachments
        .iter()
        .map(|b| Bytes::copy_from_slice(b))
        .collect();
    let args = Payload::new(args, attachments).expect("placeholders in range");
    let name = name.to_owned();
    Packet::new(nsp(ns), PacketKind::Event { name, args, ack })
}

fn ack(ns: &str, id: u64, args: Value, attachments: &[&[u8]]) -> Packet {
    let attachments = attachments
        .iter()
        .map(|b| Bytes::copy_from_slice(b))
        .collect();
    Packet::ack(
        nsp(ns),
        id,
        Payload::new(args, attachments).expect("in range"),
    )
}

pub(crate) fn ph(num: u64) -> Value {
    json!({ "_placeholder": true, "num": num })
}

pub(crate) fn ab(bytes: &[u8]) -> Value {
    json!({ "$ab": b64(bytes) })
}

/// The session id of the protocol spec's examples.
const SID: &str = "wZX3oN0bSVIhsaknAAAI";

/// Packets of every type, in every namespace form, with ack ids of every size.
pub(crate) fn packets() -> Vec<Vector> {
    let connect_error = |data: Value| Packet::new(nsp("/"), PacketKind::ConnectError(data));
    let refusal = json!({"message": "refused", "data": {"retry": 3, "why": null}});
    vec![
        both(
            "connect",
            json!({"type": 0, "nsp": "/"}),
            Packet::connect(nsp("/"), None),
        ),
        both(
            "connect with auth",
            json!({"type": 0, "nsp": "/admin", "data": {"token": "123"}}),
            Packet::connect(nsp("/admin"), Some(json!({"token": "123"}))),
        ),
        from_node(
            "connect as the client sends it, auth undefined",
            json!({"type": 0, "data": {"$undef": true}, "nsp": "/"}),
            Packet::connect(nsp("/"), None),
            json!({"type": 0, "nsp": "/"}),
        ),
        from_node(
            "connect as the Node server answers it, pid undefined",
            json!({"type": 0, "data": {"sid": SID, "pid": {"$undef": true}}, "nsp": "/"}),
            Packet::connect(nsp("/"), Some(json!({ "sid": SID }))),
            json!({"type": 0, "nsp": "/", "data": { "sid": SID }}),
        ),
        from_node(
            "connect with a Buffer in auth: its JSON, as the default parser would carry it",
            json!({"type": 0, "nsp": "/", "data": {"key": bin(&[1, 2])}}),
            Packet::connect(
                nsp("/"),
                Some(json!({"key": {"type": "Buffer", "data": [1, 2]}})),
            ),
            json!({"type": 0, "nsp": "/", "data": {"key": {"type": "Buffer", "data": [1, 2]}}}),
        ),
        both(
            "disconnect",
            json!({"type": 1, "nsp": "/"}),
            Packet::disconnect(nsp("/")),
        ),
        both(
            "disconnect /admin",
            json!({"type": 1, "nsp": "/admin"}),
            Packet::disconnect(nsp("/admin")),
        ),
        both(
            "the README example",
            json!({"type": 2, "nsp": "/", "data": ["hello", "you"]}),
            event("/", "hello", json!(["you"]), &[], None),
        ),
        both(
            "event in a nested namespace",
            json!({"type": 2, "nsp": "/a/b/c", "data": ["x"]}),
            event("/a/b/c", "x", json!([]), &[], None),
        ),
        both(
            "event in a namespace of spaces and accents",
            json!({"type": 2, "nsp": "/é ü/日本", "data": ["x", "y"]}),
            event("/é ü/日本", "x", json!(["y"]), &[], None),
        ),
        both(
            "event with ack id 0",
            json!({"type": 2, "nsp": "/", "data": ["q"], "id": 0}),
            event("/", "q", json!([]), &[], Some(0)),
        ),
        both(
            "event with ack id 13 in /admin",
            json!({"type": 2, "nsp": "/admin", "data": ["q", 1], "id": 13}),
            event("/admin", "q", json!([1]), &[], Some(13)),
        ),
        both(
            "event with a 16-bit ack id",
            json!({"type": 2, "nsp": "/", "data": ["q"], "id": 65_535}),
            event("/", "q", json!([]), &[], Some(65_535)),
        ),
        both(
            "event with a 64-bit ack id",
            json!({"type": 2, "nsp": "/", "data": ["q"], "id": 4_294_967_301_u64}),
            event("/", "q", json!([]), &[], Some(4_294_967_301)),
        ),
        from_node(
            "event as the client sends it: options, id, then nsp",
            json!({
                "type": 2, "data": ["chat", "hi"], "options": {"compress": true}, "id": 3,
                "nsp": "/admin",
            }),
            event("/admin", "chat", json!(["hi"]), &[], Some(3)),
            json!({"type": 2, "nsp": "/admin", "data": ["chat", "hi"], "id": 3}),
        ),
        from_node(
            "event with a numeric name",
            json!({"type": 2, "nsp": "/", "data": [42, "a"]}),
            event("/", "42", json!(["a"]), &[], None),
            json!({"type": 2, "nsp": "/", "data": ["42", "a"]}),
        ),
        both(
            "ack without arguments",
            json!({"type": 3, "nsp": "/", "data": [], "id": 7}),
            ack("/", 7, json!([]), &[]),
        ),
        both(
            "ack with a binary in /admin",
            json!({"type": 3, "nsp": "/admin", "data": ["ok", bin(&[9, 8, 7])], "id": 456}),
            ack("/admin", 456, json!(["ok", ph(0)]), &[&[9, 8, 7]]),
        ),
        both(
            "connect_error as a string",
            json!({"type": 4, "nsp": "/", "data": "Not authorized"}),
            connect_error(json!("Not authorized")),
        ),
        both(
            "connect_error as an object",
            json!({"type": 4, "nsp": "/admin", "data": {"message": "Invalid namespace"}}),
            Packet::connect_error(nsp("/admin"), "Invalid namespace"),
        ),
        both(
            "connect_error with data",
            json!({"type": 4, "nsp": "/", "data": refusal.clone()}),
            connect_error(refusal),
        ),
    ]
}
