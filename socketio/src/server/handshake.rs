//! The handshake object of a socket.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{HeaderName, COOKIE, ORIGIN, SET_COOKIE};
use serde_json::{json, Map, Value};

/// What a socket's connection told the server: the Engine.IO handshake and the CONNECT
/// payload (`auth`), with the moment the socket was created, as the reference's
/// `socket.handshake`.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The Engine.IO handshake (headers, query, address, url).
    pub engine: Arc<engineio::server::Handshake>,
    /// The CONNECT payload; `{}` when the client sent none.
    pub auth: Value,
    issued: SystemTime,
}

impl Handshake {
    /// The handshake of a socket created now.
    pub(crate) fn new(engine: Arc<engineio::server::Handshake>, auth: Value) -> Self {
        Self {
            engine,
            auth,
            issued: SystemTime::now(),
        }
    }

    /// The handshake as the reference server's `socket.handshake` object, which also crosses
    /// nodes in `fetchSockets`: `{headers, time, address, xdomain, secure, issued, url, query,
    /// auth}`.
    pub fn to_json(&self) -> Value {
        json!({
            "headers": self.headers_json(),
            "time": self.time(),
            "address": self.address(),
            "xdomain": self.xdomain(),
            "secure": self.secure(),
            "issued": self.issued_millis(),
            "url": self.url(),
            "query": self.query_json(),
            "auth": self.auth,
        })
    }

    /// When the socket was created (its CONNECT was accepted), as the reference's `issued`
    /// and `time` tell.
    pub fn issued(&self) -> SystemTime {
        self.issued
    }

    /// `issued`: milliseconds since the Unix epoch.
    pub fn issued_millis(&self) -> u64 {
        let millis = self.issued.duration_since(UNIX_EPOCH).unwrap_or_default();
        u64::try_from(millis.as_millis()).unwrap_or(u64::MAX)
    }

    /// `time`: the creation time as JavaScript's `Date.prototype.toString()` writes it on a
    /// server whose time zone is UTC, e.g. `Mon Jan 05 2026 03:04:05 GMT+0000 (Coordinated
    /// Universal Time)`. (A Node server writes its own local time zone there.)
    pub fn time(&self) -> String {
        // `Mon, 05 Jan 2026 03:04:05 GMT`, reordered.
        let http = httpdate::fmt_http_date(self.issued);
        match http.split(' ').collect::<Vec<_>>().as_slice() {
            [weekday, day, month, year, clock, _] => format!(
                "{} {month} {day} {year} {clock} GMT+0000 (Coordinated Universal Time)",
                weekday.trim_end_matches(',')
            ),
            _ => http,
        }
    }

    /// `address`: the client's IP address; empty when the server does not know it.
    pub fn address(&self) -> String {
        self.engine
            .remote_addr
            .map(|addr| addr.ip().to_string())
            .unwrap_or_default()
    }

    /// `xdomain`: whether the request carried an `Origin` header (a cross-origin request).
    pub fn xdomain(&self) -> bool {
        self.engine.headers.contains_key(ORIGIN)
    }

    /// `secure`: whether the connection is TLS (the engine handshake's `secure`); behind a
    /// proxy that ends TLS it is false, as the reference says.
    pub fn secure(&self) -> bool {
        self.engine.secure
    }

    /// `url`: the path and query of the connection's first request.
    pub fn url(&self) -> String {
        self.engine.url.to_string()
    }

    /// A query parameter of the connection URL (its first value).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.engine.query_param(name)
    }

    /// A request header, when it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.engine.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `query`: each parameter once, a repeated one as an array of its values, as Node's
    /// `url.parse(url, true).query`.
    fn query_json(&self) -> Map<String, Value> {
        let mut query = Map::new();
        for (name, value) in &self.engine.query {
            let value = Value::String(value.clone());
            match query.get_mut(name) {
                None => {
                    query.insert(name.clone(), value);
                }
                Some(Value::Array(values)) => values.push(value),
                Some(first) => *first = Value::Array(vec![first.take(), value]),
            }
        }
        query
    }

    /// `headers`: lower-case names, repeated headers merged as Node's HTTP parser merges them
    /// (joined with `, `, cookies with `; `, `set-cookie` as an array, and the first value
    /// kept for the headers that may appear once).
    fn headers_json(&self) -> Map<String, Value> {
        let headers = &self.engine.headers;
        headers
            .keys()
            .map(|name| {
                let mut values = headers
                    .get_all(name)
                    .iter()
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                let value = match name {
                    n if *n == SET_COOKIE => Value::Array(values.map(Value::String).collect()),
                    n if *n == COOKIE => Value::String(values.collect::<Vec<_>>().join("; ")),
                    n if single_valued(n) => Value::String(values.next().unwrap_or_default()),
                    _ => Value::String(values.collect::<Vec<_>>().join(", ")),
                };
                (name.as_str().to_owned(), value)
            })
            .collect()
    }
}

/// Headers whose repeats Node's HTTP parser drops, keeping the first.
fn single_valued(name: &HeaderName) -> bool {
    const SINGLE: [&str; 18] = [
        "age",
        "authorization",
        "content-length",
        "content-type",
        "etag",
        "expires",
        "from",
        "host",
        "if-modified-since",
        "if-unmodified-since",
        "last-modified",
        "location",
        "max-forwards",
        "proxy-authorization",
        "referer",
        "retry-after",
        "server",
        "user-agent",
    ];
    SINGLE.contains(&name.as_str())
}
