//! The server's options and its builder.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use super::cookie::Cookie;
use super::cors::Cors;
use super::files::StaticFiles;
use super::hooks::{ConnectionError, Decoration, Hooks, Refusal};
use super::socket::{Handler, Handshake};
use super::EngineIo;
use crate::Config;

/// The future an allow-request hook returns: `Err(message)` refuses with 403.
pub type AllowFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Decides whether a handshake may proceed (`allowRequest`).
pub type AllowRequest = Arc<dyn Fn(&Handshake) -> AllowFuture + Send + Sync>;

/// Every option of the server.
#[derive(Clone)]
pub struct ServerConfig {
    /// The protocol options.
    pub engine: Config,
    /// The path the server answers under (`/engine.io/`), always with its trailing slash.
    pub path: String,
    /// Whether requests must have the trailing slash of the path (`addTrailingSlash`, on):
    /// when off, `/engine.io?EIO=4…` is answered too, and so is any path that starts with
    /// `/engine.io`, as the reference matches it.
    pub add_trailing_slash: bool,
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
    /// Sessions one client address (an IPv4 address, an IPv6 /64) holds at most; further
    /// handshakes from it get 429. Off (`None`) by default; the reference has no such limit.
    /// It needs the client's address ([`RemoteAddr`](super::RemoteAddr)): behind a proxy,
    /// every client has the proxy's unless your server inserts the forwarded one.
    pub max_sessions_per_address: Option<usize>,
    /// HTTP compression of polling responses (`httpCompression`): the smallest body, in
    /// bytes, that is compressed; `None` turns it off. 1024 by default, as in the reference.
    pub http_compression: Option<usize>,
    /// The hooks (headers, refused connections, ids, middlewares); see the builder.
    pub hooks: Hooks,
    /// Files answered under the path before the protocol (none by default).
    pub files: Option<StaticFiles>,
}

impl ServerConfig {
    /// The prefix a request's path must start with: the path, without its trailing slash
    /// when `add_trailing_slash` is off.
    pub fn path_prefix(&self) -> &str {
        match self.add_trailing_slash {
            true => &self.path,
            false => self.path.strip_suffix('/').unwrap_or(&self.path),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            engine: Config::default(),
            path: "/engine.io/".into(),
            add_trailing_slash: true,
            cors: None,
            cookie: None,
            handshake_headers: HeaderMap::new(),
            allow_request: None,
            max_sessions: 100_000,
            max_sessions_per_address: None,
            http_compression: Some(1024),
            hooks: Hooks::default(),
            files: None,
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

    /// `addTrailingSlash` (on): off, the path matches without its trailing slash too.
    pub fn add_trailing_slash(mut self, add: bool) -> Self {
        self.config.add_trailing_slash = add;
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

    /// The most sessions one client address holds at once (an IPv4 address, or an IPv6 /64);
    /// off by default. See [`ServerConfig::max_sessions_per_address`].
    pub fn max_sessions_per_address(mut self, max: usize) -> Self {
        self.config.max_sessions_per_address = Some(max);
        self
    }

    /// `httpCompression`: polling responses of at least this many bytes are compressed
    /// (gzip or deflate, as the client accepts) when one of their packets was sent with
    /// `compress` (the default); `None` turns it off. `Some(1024)` by default.
    pub fn http_compression(mut self, threshold: Option<usize>) -> Self {
        self.config.http_compression = threshold;
        self
    }

    /// Adds a hook run before the first response of every session, its handshake
    /// (`initial_headers`): the place for a `Set-Cookie` of a load balancer. It runs after
    /// the session cookie is set, before the [`headers`](Self::headers) hooks; it gets the
    /// response's headers and the request.
    pub fn initial_headers(
        mut self,
        hook: impl Fn(&mut HeaderMap, &http::request::Parts) + Send + Sync + 'static,
    ) -> Self {
        self.config.hooks.initial_headers.push(Arc::new(hook));
        self
    }

    /// Adds a hook run before every response of a session, the handshake, polling requests
    /// and the WebSocket upgrade included (`headers`); not before refusals.
    pub fn headers(
        mut self,
        hook: impl Fn(&mut HeaderMap, &http::request::Parts) + Send + Sync + 'static,
    ) -> Self {
        self.config.hooks.headers.push(Arc::new(hook));
        self
    }

    /// Adds a hook told of every connection the server refuses with a protocol code, with
    /// the request, the code, the message and the reference's context (`connection_error`).
    pub fn on_connection_error(
        mut self,
        hook: impl Fn(&ConnectionError<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.config.hooks.connection_error.push(Arc::new(hook));
        self
    }

    /// Chooses the id of each new session (`generateId`); 15 random bytes in URL-safe base64
    /// otherwise. An error, an empty id, one over 256 bytes, with control characters or
    /// already taken, refuses the handshake (400, code 3, `ID_GENERATION_ERROR`).
    pub fn generate_id<F, Fut>(mut self, generate: F) -> Self
    where
        F: Fn(&Handshake) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, String>> + Send + 'static,
    {
        self.config.hooks.generate_id = Some(Arc::new(move |h| Box::pin(generate(h))));
        self
    }

    /// Adds a middleware run on every request under the path, in the order added
    /// (`engine.use`). It reads the raw request and returns what to add to it, or a
    /// [`Refusal`].
    ///
    /// ```
    /// use engineio::server::{Builder, Decoration, Refusal};
    /// let builder = Builder::new().middleware(|request| {
    ///     let signed_in = request.headers.get("cookie").is_some();
    ///     async move {
    ///         match signed_in {
    ///             true => Ok(Decoration::default()),
    ///             false => Err(Refusal::BadRequest("no session".into())),
    ///         }
    ///     }
    /// });
    /// # let _ = builder;
    /// ```
    pub fn middleware<F, Fut>(mut self, middleware: F) -> Self
    where
        F: Fn(&http::request::Parts) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Decoration, Refusal>> + Send + 'static,
    {
        let middleware = move |parts: &http::request::Parts| {
            let future: super::hooks::MiddlewareFuture = Box::pin(middleware(parts));
            future
        };
        self.config.hooks.middlewares.push(Arc::new(middleware));
        self
    }

    /// Files to answer under the path, by name, before the protocol looks at the request:
    /// how the Socket.IO server serves its client bundle.
    pub fn static_files(mut self, files: StaticFiles) -> Self {
        self.config.files = Some(files);
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
        assert!(config.add_trailing_slash);
        assert_eq!(config.cookie, None);
        assert_eq!(config.cors, None);
        assert!(config.allow_request.is_none());
        assert!(config.handshake_headers.is_empty());
        assert_eq!(config.http_compression, Some(1024));
        // Our own limits, which the reference does not have.
        assert_eq!(config.max_sessions, 100_000);
        assert_eq!(engine.max_buffered_packets, 10_000);
    }
}
