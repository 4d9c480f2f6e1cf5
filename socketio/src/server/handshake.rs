//! The handshake object of a socket.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use serde_json::{json, Map, Value};

/// What a socket's connection told the server: the Engine.IO handshake and the CONNECT
/// payload (`auth`).
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The Engine.IO handshake (headers, query, address, url, time).
    pub engine: Arc<engineio::server::Handshake>,
    /// The CONNECT payload; `{}` when the client sent none.
    pub auth: Value,
}

impl Handshake {
    /// The handshake as the reference server's `socket.handshake` object, which also crosses
    /// nodes in `fetchSockets`: `{headers, time, address, xdomain, secure, issued, url, query,
    /// auth}`.
    pub fn to_json(&self) -> Value {
        let engine = &self.engine;
        let headers: Map<String, Value> = engine
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), Value::String(value))
            })
            .collect();
        let query: Map<String, Value> = engine
            .query
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let issued = engine
            .issued
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        json!({
            "headers": headers,
            "time": httpdate::fmt_http_date(engine.issued),
            "address": engine.remote_addr.map(|a| a.ip().to_string()).unwrap_or_default(),
            "xdomain": engine.headers.contains_key(http::header::ORIGIN),
            "secure": false,
            "issued": u64::try_from(issued).unwrap_or(u64::MAX),
            "url": engine.url.to_string(),
            "query": query,
            "auth": self.auth,
        })
    }

    /// A query parameter of the connection URL.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.engine.query_param(name)
    }

    /// A request header, when it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.engine.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
