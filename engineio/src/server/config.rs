//! The server's options and its builder.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use super::cors::Cors;
use super::socket::{Handler, Handshake};
use super::EngineIo;
use crate::Config;

/// The future an allow-request hook returns: `Err(message)` refuses with 403.
pub type AllowFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Decides whether a handshake may proceed (`allowRequest`).
pub type AllowRequest = Arc<dyn Fn(&Handshake) -> AllowFuture + Send + Sync>;

/// The `io` cookie set on the handshake (`cookie` option).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    /// The cookie name (`io`).
    pub name: String,
    /// Its path (`/`).
    pub path: String,
    /// Whether it is `HttpOnly` (yes).
    pub http_only: bool,
    /// Its `SameSite` attribute (`Lax`).
    pub same_site: String,
}

impl Default for Cookie {
    fn default() -> Self {
        Self {
            name: "io".into(),
            path: "/".into(),
            http_only: true,
            same_site: "Lax".into(),
        }
    }
}

impl Cookie {
    pub(crate) fn header(&self, sid: &str) -> Option<HeaderValue> {
        let mut value = format!("{}={}; Path={}", self.name, sid, self.path);
        if self.http_only {
            value.push_str("; HttpOnly");
        }
        value.push_str("; SameSite=");
        value.push_str(&self.same_site);
        HeaderValue::from_str(&value).ok()
    }
}

/// Every option of the server.
#[derive(Clone)]
pub struct ServerConfig {
    /// The protocol options.
    pub engine: Config,
    /// The path the server answers under (`/engine.io/`).
    pub path: String,
    /// CORS; none by default, as in the reference server.
    pub cors: Option<Cors>,
    /// The `io` cookie; off by default.
    pub cookie: Option<Cookie>,
    /// Headers added to every handshake response.
    pub handshake_headers: HeaderMap,
    /// A hook that may refuse handshakes.
    pub allow_request: Option<AllowRequest>,
    /// Sessions the server holds at most; further handshakes get 503. The reference has no
    /// such limit; 100 000 by default.
    pub max_sessions: usize,
    /// HTTP compression of polling responses (`httpCompression`): the smallest body, in
    /// bytes, that is compressed; `None` turns it off. 1024 by default, as in the reference.
    pub http_compression: Option<usize>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            engine: Config::default(),
            path: "/engine.io/".into(),
            cors: None,
            cookie: None,
            handshake_headers: HeaderMap::new(),
            allow_request: None,
            max_sessions: 100_000,
            http_compression: Some(1024),
        }
    }
}

/// Builds an [`EngineIo`] server.
///
/// ```
/// use engineio::server::{Builder, Cors};
/// use std::time::Duration;
/// let builder = Builder::new()
///     .ping_interval(Duration::from_millis(300))
///     .ping_timeout(Duration::from_millis(200))
///     .cors(Cors::any());
/// # let _ = builder;
/// ```
#[derive(Clone, Default)]
pub struct Builder {
    config: ServerConfig,
}

impl Builder {
    /// The defaults of the reference server.
    pub fn new() -> Self {
        Self::default()
    }

    /// `pingInterval`.
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.config.engine.ping_interval = interval;
        self
    }

    /// `pingTimeout`.
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.config.engine.ping_timeout = timeout;
        self
    }

    /// `upgradeTimeout`.
    pub fn upgrade_timeout(mut self, timeout: Duration) -> Self {
        self.config.engine.upgrade_timeout = timeout;
        self
    }

    /// `maxHttpBufferSize`: the largest polling body or WebSocket message, in bytes.
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.config.engine.max_payload = bytes;
        self
    }

    /// Which transports are on.
    pub fn transports(mut self, polling: bool, websocket: bool) -> Self {
        self.config.engine.polling = polling;
        self.config.engine.websocket = websocket;
        self
    }

    /// `allowUpgrades`.
    pub fn allow_upgrades(mut self, allow: bool) -> Self {
        self.config.engine.allow_upgrades = allow;
        self
    }

    /// `allowEIO3`: serve Engine.IO v3 clients (Socket.IO v2) too; off by default, as in the
    /// reference. A v3 session speaks v3 on polling and WebSocket (length-prefixed payloads,
    /// typed binary packets, the client's pings); [`Socket::protocol`](super::Socket::protocol)
    /// tells the layer above. When off, a v3 handshake is refused with code 5.
    pub fn allow_eio3(mut self, allow: bool) -> Self {
        self.config.engine.allow_eio3 = allow;
        self
    }

    /// The path, with or without its trailing slash.
    pub fn path(mut self, path: &str) -> Self {
        self.config.path = format!("{}/", path.trim_end_matches('/'));
        self
    }

    /// CORS options.
    pub fn cors(mut self, cors: Cors) -> Self {
        self.config.cors = Some(cors);
        self
    }

    /// Sets the `io` cookie on handshakes.
    pub fn cookie(mut self, cookie: Cookie) -> Self {
        self.config.cookie = Some(cookie);
        self
    }

    /// Adds a header to every handshake response.
    pub fn handshake_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.config.handshake_headers.append(name, value);
        self
    }

    /// A hook that may refuse a handshake with a message (403, code 4).
    pub fn allow_request<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(&Handshake) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.config.allow_request = Some(Arc::new(move |h| Box::pin(hook(h))));
        self
    }

    /// The most sessions the server holds at once (100 000).
    pub fn max_sessions(mut self, max: usize) -> Self {
        self.config.max_sessions = max;
        self
    }

    /// `httpCompression`: polling responses of at least this many bytes are compressed
    /// (gzip or deflate, as the client accepts) when one of their packets was sent with
    /// `compress` (the default); `None` turns it off. `Some(1024)` by default.
    pub fn http_compression(mut self, threshold: Option<usize>) -> Self {
        self.config.http_compression = threshold;
        self
    }

    /// Any protocol option at once.
    pub fn engine_config(mut self, config: Config) -> Self {
        self.config.engine = config;
        self
    }

    /// The options built so far.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The server, sending its sessions to `handler`.
    pub fn build<H: Handler>(self, handler: H) -> EngineIo<H> {
        EngineIo::with_config(self.config, handler)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's defaults (engine.io's `BaseServer` constructor and `attach`).
    #[test]
    fn builder_defaults_are_the_reference_defaults() {
        let builder = Builder::new();
        let config = builder.config();
        let engine = &config.engine;
        assert_eq!(engine.ping_interval, Duration::from_secs(25));
        assert_eq!(engine.ping_timeout, Duration::from_secs(20));
        assert_eq!(engine.upgrade_timeout, Duration::from_secs(10));
        assert_eq!(engine.max_payload, 1_000_000);
        assert!(engine.polling && engine.websocket, "both transports");
        assert!(engine.allow_upgrades);
        assert!(!engine.allow_eio3);
        assert_eq!(config.path, "/engine.io/");
        assert_eq!(config.cookie, None);
        assert_eq!(config.cors, None);
        assert!(config.allow_request.is_none());
        assert!(config.handshake_headers.is_empty());
        assert_eq!(config.http_compression, Some(1024));
        // Our own limits, which the reference does not have.
        assert_eq!(config.max_sessions, 100_000);
        assert_eq!(engine.max_buffered_packets, 10_000);
    }

    #[test]
    fn the_default_cookie_is_the_references() {
        let header = Cookie::default().header("abc").expect("a valid header");
        assert_eq!(header, "io=abc; Path=/; HttpOnly; SameSite=Lax");
    }
}
