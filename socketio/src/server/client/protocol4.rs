//! Socket.IO protocol v4, which the Socket.IO v2 clients speak over Engine.IO v3 (served with
//! `allow_eio3`, as the reference's `allowEIO3`). Its packets are written as protocol v5's;
//! what differs is the connection around them:
//!
//! - the client is in the main namespace as soon as its Engine.IO session opens, without a
//!   CONNECT of its own;
//! - a CONNECT to another namespace carries its query in the namespace (`0/admin?token=x,`),
//!   and that query is the socket's `auth`; every packet's namespace is read as a URL path,
//!   as the reference reads it;
//! - the CONNECT answer has no payload, and a refusal is the error's data, or its message
//!   when the data is missing or falsy, alone;
//! - the socket id is the Engine.IO session id, after `nsp#` outside the main namespace.

use std::sync::OnceLock;

use engineio::Protocol;
use serde_json::{Map, Value};
use url::Url;

use super::Connection;
use crate::packet::{NamespaceName, Packet, PacketKind};
use crate::room::SocketId;
use crate::server::error::ConnectError;

impl Connection {
    /// Whether the client speaks Socket.IO protocol v4 (an Engine.IO v3 session).
    pub(super) fn speaks_v4(&self) -> bool {
        self.engine.protocol() == Protocol::V3
    }

    /// A v2 client is in the main namespace from the start.
    pub(super) fn join_main_namespace(&mut self) {
        self.connect(NamespaceName::root(), None);
    }

    /// The socket id of a new socket in `namespace`: random, or for a v2 client its session
    /// id, after `nsp#` outside the main namespace.
    pub(super) fn socket_id(&self, namespace: &NamespaceName, random: SocketId) -> SocketId {
        if !self.speaks_v4() {
            return random;
        }
        let session = self.engine.id();
        match namespace.is_root() {
            true => SocketId::from(session),
            false => SocketId::from(format!("{}#{session}", namespace.as_str())),
        }
    }
}

/// Where a v2 client's packet goes, as the reference reads it: its namespace is a URL path
/// (`new URL(nsp, "https://socket.io")`), and a CONNECT's auth is that URL's query, each
/// parameter once, the last value of a repeated one winning (`Object.fromEntries` of its
/// `searchParams`). `None` when the namespace is no URL path; the reference then fails the
/// packet as undecodable.
pub(super) fn route(mut packet: Packet) -> Option<Packet> {
    if is_plain_path(packet.namespace.as_str()) && !matches!(packet.kind, PacketKind::Connect(_)) {
        return Some(packet);
    }
    let url = base().join(packet.namespace.as_str()).ok()?;
    packet.namespace = NamespaceName::new(url.path()).ok()?;
    if let PacketKind::Connect(auth) = &mut packet.kind {
        let mut query = Map::new();
        for (key, value) in url.query_pairs() {
            query.insert(key.into_owned(), Value::String(value.into_owned()));
        }
        *auth = Some(Value::Object(query));
    }
    Some(packet)
}

/// The base URL the reference resolves namespaces against.
fn base() -> &'static Url {
    static BASE: OnceLock<Url> = OnceLock::new();
    BASE.get_or_init(|| Url::parse("https://socket.io").expect("a valid URL"))
}

/// A namespace that is its own URL path (no query, fragment, escape, dot segment or
/// authority), so that packets other than CONNECT skip the URL parser.
fn is_plain_path(name: &str) -> bool {
    !name.starts_with("//")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'~'))
}

/// A refusal as a v2 client reads it: the error's data, or its message when the data is
/// missing or falsy in JavaScript (`err.data || err.message`).
pub(super) fn refusal(error: &ConnectError) -> Value {
    match &error.data {
        Some(data) if truthy(data) => data.clone(),
        _ => Value::String(error.message.clone()),
    }
}

/// JavaScript's truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn packet(namespace: &str, kind: PacketKind) -> Packet {
        Packet::new(NamespaceName::new(namespace).expect("a name"), kind)
    }

    fn connect(namespace: &str) -> (String, Value) {
        let routed = route(packet(namespace, PacketKind::Connect(None))).expect("routed");
        let PacketKind::Connect(Some(auth)) = routed.kind else {
            panic!("a CONNECT with auth: {routed:?}");
        };
        (routed.namespace.as_str().to_owned(), auth)
    }

    #[test]
    fn the_query_of_a_v2_connect_is_its_auth_the_last_value_winning() {
        let (ns, auth) = connect("/admin?token=x%20y+z&a=1&b=&a=2");
        assert_eq!(ns, "/admin");
        assert_eq!(auth, json!({"token": "x y z", "a": "2", "b": ""}));
        assert_eq!(connect("/chat"), ("/chat".to_owned(), json!({})));
        assert_eq!(connect("/chat?"), ("/chat".to_owned(), json!({})));
    }

    #[test]
    fn a_namespace_is_read_as_a_url_path() {
        // What `new URL(nsp, "https://socket.io").pathname` gives.
        assert_eq!(connect("/a/../b#frag").0, "/b");
        assert_eq!(connect("/a b").0, "/a%20b");
        assert_eq!(
            connect("//elsewhere/x?k=v"),
            ("/x".to_owned(), json!({"k": "v"}))
        );
        let event = PacketKind::Disconnect;
        assert_eq!(
            route(packet("/admin?x=1", event))
                .expect("routed")
                .namespace
                .as_str(),
            "/admin"
        );
        assert!(route(packet("//[", PacketKind::Disconnect)).is_none());
    }

    #[test]
    fn a_refusal_is_its_data_or_else_its_message() {
        assert_eq!(refusal(&ConnectError::new("no")), json!("no"));
        let with_data = ConnectError::new("no").with_data(json!({"why": 1}));
        assert_eq!(refusal(&with_data), json!({"why": 1}));
        for falsy in [json!(null), json!(false), json!(0), json!(0.0), json!("")] {
            let error = ConnectError::new("no").with_data(falsy);
            assert_eq!(refusal(&error), json!("no"));
        }
        assert_eq!(
            refusal(&ConnectError::new("no").with_data(json!([]))),
            json!([])
        );
    }
}
