//! Proptest strategies for arbitrary packets, shared by the property tests.
//!
//! The generated values are the ones the encoding can carry exactly: floats are small dyadic
//! fractions (serde_json's default float parsing is only exact when the decimal form is
//! short), object keys never spell `_placeholder`, and event names are not reserved.

use std::collections::BTreeMap;

use bytes::Bytes;
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::packet::{is_reserved_event, NamespaceName, Packet, PacketKind};
use crate::payload::Payload;

/// A JSON tree whose leaves may be binary, before placeholders are numbered.
#[derive(Debug, Clone)]
pub(crate) enum Tree {
    Json(Value),
    Binary(Vec<u8>),
    Array(Vec<Tree>),
    Object(BTreeMap<String, Tree>),
}

impl Tree {
    /// The JSON with numbered placeholders; the bytes go to `attachments` in that order.
    pub(crate) fn build(self, attachments: &mut Vec<Bytes>) -> Value {
        match self {
            Tree::Json(value) => value,
            Tree::Binary(bytes) => {
                attachments.push(Bytes::from(bytes));
                serde_json::json!({ "_placeholder": true, "num": attachments.len() - 1 })
            }
            Tree::Array(items) => items
                .into_iter()
                .map(|item| item.build(attachments))
                .collect(),
            Tree::Object(map) => {
                let map = map
                    .into_iter()
                    .map(|(key, tree)| (key, tree.build(attachments)));
                Value::Object(map.collect())
            }
        }
    }
}

/// A JSON scalar.
pub(crate) fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (any::<i16>(), 0u32..10).prop_map(|(m, e)| Value::from(f64::from(m) / f64::from(1 << e))),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z]{0,4}", ".{0,6}"].prop_filter("placeholder key", |k| k != "_placeholder")
}

/// Any JSON value, a few levels deep.
pub(crate) fn json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(key(), inner, 0..4).prop_map(|map| Value::Object(Map::from_iter(map))),
        ]
    })
}

/// A JSON object.
pub(crate) fn object() -> impl Strategy<Value = Value> {
    btree_map(key(), json(), 0..4).prop_map(|map| Value::Object(Map::from_iter(map)))
}

/// A JSON tree with binary leaves.
pub(crate) fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        3 => scalar().prop_map(Tree::Json),
        1 => vec(any::<u8>(), 0..16).prop_map(Tree::Binary),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Tree::Array),
            btree_map(key(), inner, 0..4).prop_map(Tree::Object),
        ]
    })
}

/// An argument list, with attachments when some leaves are binary.
pub(crate) fn args() -> impl Strategy<Value = Payload> {
    vec(tree(), 0..4).prop_map(|trees| {
        let mut attachments = Vec::new();
        let value = Tree::Array(trees).build(&mut attachments);
        Payload::from_parts(value, attachments)
    })
}

/// A namespace, often the main one.
pub(crate) fn namespace() -> impl Strategy<Value = NamespaceName> {
    prop_oneof![
        Just(NamespaceName::root()),
        "/[a-z]{0,6}".prop_filter_map("valid", |name| NamespaceName::new(&name).ok()),
        "/[^,]{0,8}".prop_filter_map("valid", |name| NamespaceName::new(&name).ok()),
    ]
}

/// An event name a client may send.
pub(crate) fn event_name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z ]{1,8}", ".{0,10}"].prop_filter("reserved", |name| !is_reserved_event(name))
}

/// What a packet carries, of every kind.
pub(crate) fn packet_kind() -> impl Strategy<Value = PacketKind> {
    prop_oneof![
        option::of(object()).prop_map(PacketKind::Connect),
        Just(PacketKind::Disconnect),
        (event_name(), args(), option::of(any::<u64>()))
            .prop_map(|(name, args, ack)| PacketKind::Event { name, args, ack }),
        (any::<u64>(), args()).prop_map(|(id, args)| PacketKind::Ack { id, args }),
        prop_oneof![object(), ".{0,12}".prop_map(Value::String)].prop_map(PacketKind::ConnectError),
    ]
}

/// Any packet the codec can carry.
pub(crate) fn packet() -> impl Strategy<Value = Packet> {
    (namespace(), packet_kind()).prop_map(|(namespace, kind)| Packet::new(namespace, kind))
}
