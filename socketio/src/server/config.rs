//! The server's options and its builder.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use engineio::server::{Cookie, Cors, Handshake as EngineHandshake};

use crate::adapter::{AdapterFactory, MemoryAdapter};
use crate::parser::{JsonParser, Parser};
use crate::recovery::{RecoveryOptions, SessionAwareAdapterFactory};

/// Options of the Socket.IO layer. The Engine.IO options live in the engine builder.
#[derive(Clone)]
pub(crate) struct Config {
    /// Time a connection may take to join a namespace (`connectTimeout`, 45 s).
    pub(crate) connect_timeout: Duration,
    /// Attachments a client packet may announce (the parser's `maxAttachments`, 10).
    pub(crate) max_attachments: usize,
    /// Nesting of arrays and objects a client payload may have (127, serde_json's limit).
    pub(crate) max_json_depth: usize,
    /// Remove a dynamic child namespace when its last socket leaves.
    pub(crate) cleanup_empty_children: bool,
    /// Makes each namespace's adapter.
    pub(crate) adapter: Arc<dyn AdapterFactory>,
    /// The adapter was chosen by the application (recovery then keeps it).
    pub(crate) adapter_chosen: bool,
    /// Connection state recovery, when on.
    pub(crate) recovery: Option<RecoveryOptions>,
    /// Acknowledgements one socket may wait for at once.
    pub(crate) max_pending_acks: usize,
    /// Async callbacks one connection's events may have running at once.
    pub(crate) max_pending_handlers: usize,
    /// Dynamic namespaces (children of `of_fn`/`of_pattern` parents) that may exist at once.
    pub(crate) max_dynamic_namespaces: usize,
    /// Namespaces one connection may be in or be joining at once.
    pub(crate) max_namespaces_per_connection: usize,
    /// Encodes every packet and makes each connection's decoder (`parser`).
    pub(crate) parser: Arc<dyn Parser>,
}

/// Builds a [`SocketIo`](super::SocketIo) server. The defaults are the reference server's.
///
/// ```
/// use socketio::server::SocketIo;
/// use std::time::Duration;
/// let io = SocketIo::builder()
///     .ping_interval(Duration::from_millis(300))
///     .connect_timeout(Duration::from_secs(1))
///     .build();
/// # let _ = io;
/// ```
#[derive(Clone)]
pub struct Builder {
    pub(crate) engine: engineio::server::Builder,
    pub(crate) config: Config,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// The reference defaults, under the path `/socket.io/`.
    pub fn new() -> Self {
        Self {
            engine: engineio::server::Builder::new().path("/socket.io/"),
            config: Config {
                connect_timeout: Duration::from_secs(45),
                max_attachments: 10,
                max_json_depth: crate::decoder::MAX_JSON_DEPTH,
                cleanup_empty_children: false,
                adapter: Arc::new(MemoryAdapter),
                adapter_chosen: false,
                recovery: None,
                max_pending_acks: 10_000,
                max_pending_handlers: 1024,
                max_dynamic_namespaces: 10_000,
                max_namespaces_per_connection: 100,
                parser: Arc::new(JsonParser),
            },
        }
    }

    fn engine(
        mut self,
        f: impl FnOnce(engineio::server::Builder) -> engineio::server::Builder,
    ) -> Self {
        self.engine = f(self.engine);
        self
    }

    /// `pingInterval` (25 s).
    pub fn ping_interval(self, interval: Duration) -> Self {
        self.engine(|e| e.ping_interval(interval))
    }

    /// `pingTimeout` (20 s).
    pub fn ping_timeout(self, timeout: Duration) -> Self {
        self.engine(|e| e.ping_timeout(timeout))
    }

    /// `upgradeTimeout` (10 s).
    pub fn upgrade_timeout(self, timeout: Duration) -> Self {
        self.engine(|e| e.upgrade_timeout(timeout))
    }

    /// `maxHttpBufferSize` (1 MB).
    pub fn max_payload(self, bytes: usize) -> Self {
        self.engine(|e| e.max_payload(bytes))
    }

    /// Which transports are on.
    pub fn transports(self, polling: bool, websocket: bool) -> Self {
        self.engine(|e| e.transports(polling, websocket))
    }

    /// `allowUpgrades`.
    pub fn allow_upgrades(self, allow: bool) -> Self {
        self.engine(|e| e.allow_upgrades(allow))
    }

    /// The path (`/socket.io/`).
    pub fn path(self, path: &str) -> Self {
        self.engine(|e| e.path(path))
    }

    /// CORS options (none by default).
    pub fn cors(self, cors: Cors) -> Self {
        self.engine(|e| e.cors(cors))
    }

    /// The `io` cookie (off by default).
    pub fn cookie(self, cookie: Cookie) -> Self {
        self.engine(|e| e.cookie(cookie))
    }

    /// A hook that may refuse a handshake (403).
    pub fn allow_request<F, Fut>(self, hook: F) -> Self
    where
        F: Fn(&EngineHandshake) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.engine(|e| e.allow_request(hook))
    }

    /// `connectTimeout` (45 s): a connection that joins no namespace in time is closed.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Binary attachments a client packet may carry (10).
    pub fn max_attachments(mut self, max: usize) -> Self {
        self.config.max_attachments = max;
        self
    }

    /// How deep arrays and objects may nest in a client's payload (127, the most serde_json
    /// parses; a larger value acts as 127). A deeper packet is a parse error that ends its
    /// connection, as any malformed packet does. Node has no such limit.
    pub fn max_json_depth(mut self, depth: usize) -> Self {
        self.config.max_json_depth = depth;
        self
    }

    /// `cleanupEmptyChildNamespaces` (off).
    pub fn cleanup_empty_children(mut self, cleanup: bool) -> Self {
        self.config.cleanup_empty_children = cleanup;
        self
    }

    /// How many acknowledgements one socket may wait for at once (10 000): its own emits
    /// with an ack and the broadcasts with acks it is among. Past that, an emit with an ack
    /// fails with [`AckError::TooManyPending`](super::AckError::TooManyPending) and a
    /// broadcast does not wait for this socket's answer; a waiter whose timeout passed no
    /// longer counts. Node has no such limit.
    pub fn max_pending_acks(mut self, max: usize) -> Self {
        self.config.max_pending_acks = max.max(1);
        self
    }

    /// How many async callbacks (event and catch-all handlers, event middlewares) one
    /// connection's events may have running at once; 1 024 by default. At the bound the
    /// connection stops taking the client's messages until half of them have finished: the
    /// messages wait in the Engine.IO session, then its transports stop reading, so the
    /// client is slowed to its handlers' pace and nothing is dropped. Node has no such limit
    /// (each pending handler is a promise of its own).
    pub fn max_pending_handlers(mut self, max: usize) -> Self {
        self.config.max_pending_handlers = max.max(1);
        self
    }

    /// How many dynamic namespaces (made by a parent of [`of_fn`](super::SocketIo::of_fn) or
    /// [`of_pattern`](super::SocketIo::of_pattern) for a client's CONNECT) may exist at once;
    /// 10 000 by default. A CONNECT that would make one more is refused with a
    /// `CONNECT_ERROR` `{"message":"Too many namespaces"}`. A child removed once empty
    /// ([`cleanup_empty_children`](Self::cleanup_empty_children)) no longer counts; static
    /// namespaces, which the application makes, never do. Node has no such limit.
    pub fn max_dynamic_namespaces(mut self, max: usize) -> Self {
        self.config.max_dynamic_namespaces = max;
        self
    }

    /// How many namespaces one connection may be in or be joining at once; 100 by default.
    /// A CONNECT past it is refused with a `CONNECT_ERROR`
    /// `{"message":"Too many namespaces"}`, and the connection stays. Node has no such limit.
    pub fn max_namespaces_per_connection(mut self, max: usize) -> Self {
        self.config.max_namespaces_per_connection = max.max(1);
        self
    }

    /// The parser of every connection (the reference's `parser` option): the default JSON
    /// parser of `socket.io-parser`, [`MsgpackParser`](crate::msgpack::MsgpackParser) for
    /// clients using `socket.io-msgpack-parser`, or one of your own. Client and server must
    /// use the same; a client on another parser has its connection closed at its first
    /// packet.
    pub fn parser(mut self, parser: impl Parser + 'static) -> Self {
        self.config.parser = Arc::new(parser);
        self
    }

    /// Connection state recovery (`connectionStateRecovery`, off by default): a client that
    /// drops and comes back within `max_disconnection_duration` gets its socket back (id,
    /// rooms, data) and every event it missed, in order. The CONNECT reply then carries a
    /// private id (`pid`) beside the `sid`, and every event that can be replayed (not
    /// volatile, without an ack) carries its offset as its last argument, as the reference's.
    /// Unless an adapter is chosen, each namespace gets the in-memory
    /// [`SessionAwareAdapter`](crate::recovery::SessionAwareAdapter); an adapter that cannot
    /// keep sessions (the Redis pub/sub ones, as the reference's) leaves every client a fresh
    /// session.
    ///
    /// ```
    /// use socketio::recovery::RecoveryOptions;
    /// use socketio::server::SocketIo;
    /// let io = SocketIo::builder()
    ///     .connection_state_recovery(RecoveryOptions::default())
    ///     .build();
    /// # let _ = io;
    /// ```
    pub fn connection_state_recovery(mut self, options: RecoveryOptions) -> Self {
        self.config.recovery = Some(options);
        if !self.config.adapter_chosen {
            let clock = || tokio::time::Instant::now().into_std();
            self.config.adapter = Arc::new(SessionAwareAdapterFactory { options, clock });
        }
        self
    }

    /// The adapter of every namespace (in memory by default).
    pub fn adapter(mut self, factory: impl AdapterFactory) -> Self {
        self.config.adapter_chosen = true;
        self.config.adapter = Arc::new(factory);
        self
    }

    /// Any Engine.IO option at once, through the engine's builder (keep the path in mind:
    /// the engine's default is `/engine.io/`).
    pub fn engine_builder(mut self, engine: engineio::server::Builder) -> Self {
        self.engine = engine;
        self
    }
}

// Engine.IO options passed through to the engine's builder (issue 14): Engine.IO v3 clients,
// the client bundle, the trailing slash and the engine hooks.
impl Builder {
    /// `allowEIO3` (off): serve Socket.IO v2 clients' Engine.IO v3 sessions. (The Socket.IO
    /// protocol v4 that such clients speak above it is not served yet.)
    pub fn allow_eio3(self, allow: bool) -> Self {
        self.engine(|e| e.allow_eio3(allow))
    }

    /// `serveClient`: serves the official browser client under the path
    /// (`/socket.io/socket.io.js` and the others of
    /// [`CLIENT_FILES`](crate::client_bundle::CLIENT_FILES)) from the `socket.io-client`
    /// package at `package_dir` (`node_modules/socket.io-client`). Fails, at start-up, when
    /// the package or one of its files is missing. Off unless called: the project carries no
    /// copy of the client.
    pub fn serve_client(
        self,
        package_dir: impl AsRef<std::path::Path>,
    ) -> Result<Self, crate::client_bundle::ClientBundleError> {
        let files = crate::client_bundle::load(package_dir.as_ref())?;
        Ok(self.engine(|e| e.static_files(files)))
    }

    /// `addTrailingSlash` (on): off, `/socket.io` without the slash is served too.
    pub fn add_trailing_slash(self, add: bool) -> Self {
        self.engine(|e| e.add_trailing_slash(add))
    }

    /// The engine's `initial_headers` hook: headers for the handshake's response.
    pub fn initial_headers(
        self,
        hook: impl Fn(&mut http::HeaderMap, &http::request::Parts) + Send + Sync + 'static,
    ) -> Self {
        self.engine(|e| e.initial_headers(hook))
    }

    /// The engine's `headers` hook: headers for every response of a session.
    pub fn headers(
        self,
        hook: impl Fn(&mut http::HeaderMap, &http::request::Parts) + Send + Sync + 'static,
    ) -> Self {
        self.engine(|e| e.headers(hook))
    }

    /// The engine's `connection_error` hook: every refused connection, with its code,
    /// message and context.
    pub fn on_connection_error(
        self,
        hook: impl Fn(&engineio::server::ConnectionError<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.engine(|e| e.on_connection_error(hook))
    }

    /// The engine's `generateId`: the id of each new Engine.IO session.
    pub fn generate_id<F, Fut>(self, generate: F) -> Self
    where
        F: Fn(&EngineHandshake) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, String>> + Send + 'static,
    {
        self.engine(|e| e.generate_id(generate))
    }

    /// An engine middleware (`io.engine.use`): runs on every raw request under the path.
    pub fn engine_middleware<F, Fut>(self, middleware: F) -> Self
    where
        F: Fn(&http::request::Parts) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<engineio::server::Decoration, engineio::server::Refusal>>
            + Send
            + 'static,
    {
        self.engine(|e| e.middleware(middleware))
    }
}
