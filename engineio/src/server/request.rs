//! What the server reads from a request before routing it.

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::request::Parts;
use http::Method;

use super::error::RequestError;
use super::hooks::Decorated;
use super::socket::{Handshake, RemoteAddr, Secure};
use crate::{Config, Protocol, TransportKind};

/// The protocol's query parameters.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pub(crate) pairs: Vec<(String, String)>,
}

impl Query {
    pub(crate) fn parse(query: Option<&str>) -> Self {
        let pairs = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self { pairs }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The requested transport, if it is one the server has enabled. JSONP polling (a `j`
    /// parameter) is not offered.
    pub(crate) fn transport(&self, config: &Config) -> Result<TransportKind, RequestError> {
        if self.get("j").is_some() {
            return Err(RequestError::UnknownTransport);
        }
        self.get("transport")
            .and_then(TransportKind::parse)
            .filter(|t| config.allows(*t))
            .ok_or(RequestError::UnknownTransport)
    }

    pub(crate) fn sid(&self) -> Option<&str> {
        self.get("sid").filter(|sid| !sid.is_empty())
    }
}

/// Checks a handshake request in the reference server's order, except the allow-request
/// hook, which the caller awaits.
pub(crate) fn check_handshake(
    parts: &Parts,
    transport: TransportKind,
    ws_request: bool,
) -> Result<(), RequestError> {
    if parts.method != Method::GET {
        return Err(RequestError::BadHandshakeMethod);
    }
    if transport == TransportKind::WebSocket && !ws_request {
        return Err(RequestError::TransportHandshakeError);
    }
    Ok(())
}

/// The protocol revision of a new session: v4, or v3 when the server allows it.
pub(crate) fn check_version(query: &Query, config: &Config) -> Result<Protocol, RequestError> {
    let protocol = Protocol::from_query(query.get("EIO"));
    match config.accepts(protocol) {
        true => Ok(protocol),
        false => Err(RequestError::UnsupportedProtocolVersion),
    }
}

/// Whether the client of a request takes binary data: it does unless it asks for base64
/// (`b64` with a value, as the reference reads it).
pub(crate) fn takes_binary(query: &[(String, String)]) -> bool {
    !query
        .iter()
        .any(|(key, value)| key == "b64" && !value.is_empty())
}

/// The handshake a new session keeps.
///
/// Its headers and URL are copies that own their bytes: hyper's are slices of the
/// connection's read buffer (8 KiB), and keeping them would keep that whole buffer alive for
/// as long as the session lives, more than everything else an idle session holds.
pub(crate) fn handshake(parts: &Parts, query: &Query) -> Handshake {
    let decorated = parts.extensions.get::<Decorated>().cloned();
    Handshake {
        extensions: decorated.unwrap_or_default().0,
        headers: owned_headers(&parts.headers),
        query: query.pairs.clone(),
        remote_addr: parts.extensions.get::<RemoteAddr>().map(|addr| addr.0),
        url: parts.uri.to_string().parse().unwrap_or_default(),
        secure: parts.extensions.get::<Secure>().is_some(),
        issued: std::time::SystemTime::now(),
    }
}

fn owned_headers(headers: &HeaderMap) -> HeaderMap {
    let mut owned = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_str().as_bytes());
        if let (Ok(name), Ok(mut copy)) = (name, HeaderValue::from_bytes(value.as_bytes())) {
            copy.set_sensitive(value.is_sensitive());
            owned.append(name, copy);
        }
    }
    owned
}

/// A new session id: 15 random bytes from the operating system's CSPRNG-seeded generator,
/// in URL-safe base64 (20 characters, as the reference server's ids).
pub(crate) fn new_sid() -> String {
    use base64::Engine;
    let bytes: [u8; 15] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::new_sid;
    use base64::Engine;

    /// Ids are 20 characters of the URL-safe base64 alphabet holding 15 random bytes, and a
    /// great many of them never repeat.
    #[test]
    fn session_ids_are_distinct_url_safe_and_fifteen_bytes() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50_000 {
            let sid = new_sid();
            assert_eq!(sid.len(), 20, "{sid}");
            assert!(sid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&sid)
                .expect("URL-safe base64");
            assert_eq!(bytes.len(), 15);
            assert!(seen.insert(sid), "a repeated id");
        }
    }
}
