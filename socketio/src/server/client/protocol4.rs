//! Socket.IO protocol v4, which the Socket.IO v2 clients speak over Engine.IO v3 (served with
//! `allow_eio3`, as the reference's `allowEIO3`). Its packets are written as protocol v5's;
//! what differs is the connection around them:
//!
//! - the client is in the main namespace as soon as its Engine.IO session opens, without a
//!   CONNECT of its own;
//! - a CONNECT to another namespace carries its query in the namespace (`0/admin?token=x,`),
//!   and that query is the socket's `auth`;
//! - the CONNECT answer has no payload, and a refusal is the error's data, or its message,
//!   alone;
//! - the socket id is the Engine.IO session id, after `nsp#` outside the main namespace.

use engineio::Protocol;
use serde_json::{Map, Value};

use super::Connection;
use crate::packet::NamespaceName;
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

/// What a v2 client's CONNECT names: the namespace, and its query as the `auth` object (each
/// parameter once, a repeated one as an array, as Node's `url.parse(nsp, true).query`).
pub(super) fn split_namespace(name: &NamespaceName) -> (NamespaceName, Value) {
    let Some((path, query)) = name.as_str().split_once('?') else {
        return (name.clone(), Value::Object(Map::new()));
    };
    let mut auth = Map::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = Value::String(value.into_owned());
        match auth.get_mut(key.as_ref()) {
            None => {
                auth.insert(key.into_owned(), value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
        }
    }
    let name = NamespaceName::new(path).unwrap_or_default();
    (name, Value::Object(auth))
}

/// A refusal as a v2 client reads it: the error's data, or its message.
pub(super) fn refusal(error: &ConnectError) -> Value {
    error
        .data
        .clone()
        .unwrap_or_else(|| Value::String(error.message.clone()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn name(text: &str) -> NamespaceName {
        NamespaceName::new(text).unwrap_or_default()
    }

    #[test]
    fn the_query_of_a_v2_connect_is_its_auth() {
        let (ns, auth) = split_namespace(&name("/admin?token=x%20y&a=1&a=2"));
        assert_eq!(ns.as_str(), "/admin");
        assert_eq!(auth, json!({"token": "x y", "a": ["1", "2"]}));
        let (ns, auth) = split_namespace(&name("/chat"));
        assert_eq!((ns.as_str(), auth), ("/chat", json!({})));
    }

    #[test]
    fn a_refusal_is_its_data_or_its_message() {
        assert_eq!(refusal(&ConnectError::new("no")), json!("no"));
        let with_data = ConnectError::new("no").with_data(json!({"why": 1}));
        assert_eq!(refusal(&with_data), json!({"why": 1}));
    }
}
