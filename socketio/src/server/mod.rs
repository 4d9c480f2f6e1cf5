//! The Socket.IO server: namespaces, sockets, events, acks, rooms and broadcasts, on the
//! engineio server.
//!
//! ```no_run
//! use socketio::server::{serve, Event, Socket, SocketIo};
//!
//! # async fn run() -> std::io::Result<()> {
//! let io = SocketIo::new();
//! io.on_connection(|socket: Socket| {
//!     socket.on("chat message", |socket: &Socket, event: Event| {
//!         let Ok(text) = event.arg::<String>(0) else { return };
//!         // Everyone in the namespace, the sender included.
//!         socket.nsp().emit("chat message", &text);
//!     });
//! });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! serve(listener, io).await
//! # }
//! ```
//!
//! The modules, from the bottom up: `error`, `reason`, `handshake` and `callback` (how user
//! callbacks run) are leaves; `delivery` hands encoded packets to engine sockets; `event` and
//! `ack` are what a client sends and answers; `namespace` (its one state, its callbacks, the
//! server's registry) and `socket` (a handle, and the callbacks its connection owns) know each
//! other, and only each other; `client` is the engine handler that owns each connection's
//! state; `operator` builds broadcasts over namespaces and sockets; this module is the server.

mod ack;
mod callback;
mod client;
mod config;
mod delivery;
mod error;
mod event;
mod handshake;
mod namespace;
mod operator;
mod reason;
mod service;
mod socket;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use engineio::server::{BoxError, EngineIo, EngineResponse};
use http::Request;
use http_body::Body;

pub use callback::{Async, CallbackFuture, Plain};
pub use config::Builder;
pub use engineio::server::{serve, serve_with_shutdown, Cookie, Cors, RemoteAddr};
pub use error::{AckError, ConnectError, EmitError, PartialAcks};
pub use event::{AckSender, Event};
pub use handshake::Handshake;
pub use namespace::hooks::{
    ConnectMiddleware, ConnectionHandler, NamespacePredicate, NewNamespaceHandler, RoomListener,
    ServerEventHandler,
};
pub use namespace::{Namespace, RoomEvent, ServerAck};
pub use operator::{BroadcastOperator, ClusterSocket, RemoteSocket, SocketOperator};
pub use reason::DisconnectReason;
pub use service::{SocketIoLayer, SocketIoService};
pub use socket::handler::{
    AnyHandler, Decision, DisconnectHandler, ErrorHandler, EventHandler, EventMiddleware,
    ListenerId, OutgoingHandler,
};
pub use socket::{IntoRooms, Socket};

use client::ClientHandler;
use namespace::registry::Registry;

use crate::packet::NamespaceName;

struct Io {
    registry: Arc<Registry>,
    engine: EngineIo<ClientHandler>,
}

/// A Socket.IO server: the handle on the whole house. Cloning is cheap.
#[derive(Clone)]
pub struct SocketIo {
    inner: Arc<Io>,
}

impl Default for SocketIo {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// The server.
    pub fn build(self) -> SocketIo {
        let config = Arc::new(self.config);
        let registry = Registry::new(config.clone());
        let handler = ClientHandler {
            registry: Arc::downgrade(&registry),
            config,
        };
        let engine = self.engine.build(handler);
        let io = SocketIo {
            inner: Arc::new(Io { registry, engine }),
        };
        io.of("/");
        io
    }
}

impl SocketIo {
    /// A server with the reference defaults.
    pub fn new() -> Self {
        Builder::new().build()
    }

    /// A builder of a server.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// The namespace `name` (a leading `/` is added when missing), created on first use.
    pub fn of(&self, name: &str) -> Namespace {
        self.inner.registry.of(normalize(name))
    }

    /// The main namespace, `/` (the reference's `io.sockets`).
    pub fn sockets(&self) -> Namespace {
        self.of("/")
    }

    /// Whether the namespace `name` exists now, without creating it (what users of the
    /// reference ask with `io._nsps.has(name)`): a static namespace, or a dynamic child that
    /// a client created and that was not cleaned up since. Parents of dynamic namespaces are
    /// not namespaces of their own.
    pub fn has_namespace(&self, name: &str) -> bool {
        self.inner.registry.get(&normalize(name)).is_some()
    }

    /// A parent of dynamic namespaces: every namespace whose name matches `pattern`
    /// (a regular expression) is created on its first CONNECT and shares the parent's
    /// connection handlers and middlewares.
    pub fn of_pattern(&self, pattern: &str) -> Result<Namespace, regex::Error> {
        let regex = regex::Regex::new(pattern)?;
        Ok(self.of_fn(move |name: &str, _auth: &serde_json::Value| regex.is_match(name)))
    }

    /// A parent of dynamic namespaces chosen by a predicate over the name and the CONNECT
    /// payload (`auth`): a plain closure returning `bool`, or an async one. Parents are tried
    /// in the order they were made; the first that accepts makes the namespace.
    pub fn of_fn<M>(&self, predicate: impl NamespacePredicate<M>) -> Namespace {
        let predicate =
            Arc::new(move |name: &str, auth: &serde_json::Value| predicate.call(name, auth));
        self.inner.registry.add_parent(predicate)
    }

    /// Runs for each socket that connects to the main namespace (the reference's
    /// `io.on("connection")`).
    pub fn on_connection<M>(&self, handler: impl ConnectionHandler<M>) {
        self.sockets().on_connection(handler);
    }

    /// A connect middleware of the main namespace (the reference's `io.use`).
    pub fn use_middleware<M>(&self, middleware: impl ConnectMiddleware<M>) {
        self.sockets().use_middleware(middleware);
    }

    /// Hears of each namespace created after this call, static or dynamic, `/` aside (the
    /// reference's `new_namespace`).
    pub fn on_new_namespace<M>(&self, handler: impl NewNamespaceHandler<M>) {
        let handler = Arc::new(move |namespace| handler.call(namespace));
        self.inner.registry.on_new_namespace(handler);
    }

    /// Emits to every socket of the main namespace; see [`BroadcastOperator::emit`].
    pub fn emit<T: serde::Serialize + ?Sized>(&self, event: &str, args: &T) {
        self.sockets().emit(event, args);
    }

    /// [`SocketIo::emit`], with what went wrong.
    pub fn try_emit<T: serde::Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), EmitError> {
        self.sockets().try_emit(event, args)
    }

    /// Targets the sockets of the main namespace in `rooms`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.sockets().to(rooms)
    }

    /// Targets every socket of the main namespace except those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.sockets().except(rooms)
    }

    /// Targets the sockets of the main namespace in `rooms` (the reference's `io.in`).
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.sockets().within(rooms)
    }

    /// Targets this node's sockets of the main namespace only.
    pub fn local(&self) -> BroadcastOperator {
        self.sockets().local()
    }

    /// A broadcast to the main namespace that may be lost where a client cannot take it now.
    pub fn volatile(&self) -> BroadcastOperator {
        self.sockets().volatile()
    }

    /// A broadcast to the main namespace with (or without) compression.
    pub fn compress(&self, compress: bool) -> BroadcastOperator {
        self.sockets().compress(compress)
    }

    /// A broadcast to the main namespace whose acknowledgements are awaited for `timeout`
    /// (`io.timeout(ms).emit(..., callback)`; see [`BroadcastOperator::emit_with_ack`]).
    ///
    /// ```
    /// # async fn ask(io: socketio::server::SocketIo) {
    /// use std::time::Duration;
    /// let operator = io.timeout(Duration::from_secs(5));
    /// match operator.emit_with_ack::<_, String>("ask", &()).await {
    ///     Ok(all) => println!("every client answered: {all:?}"),
    ///     Err(partial) => println!("{}: only {:?}", partial.error, partial.responses),
    /// }
    /// # }
    /// ```
    pub fn timeout(&self, timeout: std::time::Duration) -> BroadcastOperator {
        self.sockets().timeout(timeout)
    }

    /// The sockets of the main namespace, on every node.
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, crate::adapter::AdapterError> {
        self.sockets().fetch_sockets().await
    }

    /// Makes every socket of the main namespace, on every node, join `rooms`.
    pub fn sockets_join(&self, rooms: impl IntoRooms) {
        self.sockets().sockets_join(rooms)
    }

    /// Makes every socket of the main namespace, on every node, leave `rooms`.
    pub fn sockets_leave(&self, rooms: impl IntoRooms) {
        self.sockets().sockets_leave(rooms)
    }

    /// Disconnects every socket of the main namespace, on every node (`close`: their
    /// connections too).
    pub fn disconnect_sockets(&self, close: bool) {
        self.sockets().disconnect_sockets(close)
    }

    /// Emits to the other nodes' server-side listeners of the main namespace; see
    /// [`Namespace::server_side_emit`].
    pub fn server_side_emit<T: serde::Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), EmitError> {
        self.sockets().server_side_emit(event, args)
    }

    /// The Engine.IO server underneath.
    pub fn engine(&self) -> &EngineIo<impl engineio::server::Handler> {
        &self.inner.engine
    }

    /// Answers one HTTP request (under the server's path).
    pub async fn handle<B>(&self, request: Request<B>) -> EngineResponse
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        self.inner.engine.handle(request).await
    }

    /// Whether a request is for this server.
    pub fn matches<B>(&self, request: &Request<B>) -> bool {
        self.inner.engine.matches(request)
    }

    /// Closes every connection: each socket ends with `server shutting down`, the clients
    /// get what was already queued and then the close, and each namespace's adapter closes.
    /// Returns once every session is gone, or after the ping timeout for clients that do not
    /// come back to read (a bounded wait).
    pub async fn close(&self) {
        let namespaces = self.inner.registry.all();
        for namespace in &namespaces {
            let sockets = namespace.0.read().sockets();
            sockets.iter().for_each(Socket::shut_down);
        }
        self.inner.engine.close();
        let limit = self.inner.engine.config().engine.ping_timeout;
        if tokio::time::timeout(limit, self.inner.engine.closed())
            .await
            .is_err()
        {
            let left = self.inner.engine.session_count();
            tracing::debug!(left, "closing: sessions still open after the ping timeout");
        }
        for namespace in namespaces {
            namespace.0.adapter.close().await;
        }
    }
}

/// A namespace name with its leading `/`; a name that cannot be one becomes `/`.
fn normalize(name: &str) -> NamespaceName {
    let name = if name.starts_with('/') {
        name.to_owned()
    } else {
        format!("/{name}")
    };
    NamespaceName::new(&name).unwrap_or_default()
}
