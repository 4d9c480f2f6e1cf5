//! The Socket.IO server: namespaces, sockets, events, acks, rooms and broadcasts, on the
//! engineio server.
//!
//! ```no_run
//! use socketio::server::{serve, Event, Socket, SocketIo};
//!
//! # async fn run() -> std::io::Result<()> {
//! let io = SocketIo::new();
//! io.of("/").on_connection(|socket: Socket| {
//!     socket.on("chat message", |socket: &Socket, event: Event| {
//!         let Ok((text,)) = event.args::<(String,)>() else { return };
//!         // Everyone in the namespace, the sender included.
//!         let _ = socket.nsp().emit("chat message", &(text,));
//!     });
//! });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! serve(listener, io).await
//! # }
//! ```

mod ack;
mod client;
mod config;
mod emit;
mod event;
mod handshake;
mod namespace;
mod nsp;
mod operator;
mod reason;
mod remote;
mod service;
mod socket;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};

use engineio::server::{BoxError, EngineIo, EngineResponse};
use http::Request;
use http_body::Body;
use serde_json::Value;

pub use ack::{AckError, BroadcastAckError, PartialAcks};
pub use config::Builder;
pub use emit::EmitError;
pub use engineio::server::{serve, serve_with_shutdown, Cookie, Cors, RemoteAddr};
pub use event::{AckSender, Event};
pub use handshake::Handshake;
pub use namespace::ConnectError;
pub use nsp::{Nsp, ServerAck};
pub use operator::{BroadcastOperator, IntoRooms};
pub use reason::DisconnectReason;
pub use remote::{ClusterSocket, RemoteSocket};
pub use service::{SocketIoLayer, SocketIoService};
pub use socket::{Socket, SocketOperator};

use client::ClientHandler;
use config::Config;
use namespace::{NsInner, Parent};

use crate::packet::NamespaceName;

pub(crate) type Namespaces = RwLock<HashMap<NamespaceName, Arc<NsInner>>>;

pub(crate) struct IoInner {
    pub(crate) config: Config,
    namespaces: Namespaces,
    parents: RwLock<Vec<Arc<Parent>>>,
    engine: EngineIo<ClientHandler>,
}

/// A Socket.IO server: the handle on the whole house. Cloning is cheap.
#[derive(Clone)]
pub struct SocketIo {
    inner: Arc<IoInner>,
}

impl Default for SocketIo {
    fn default() -> Self {
        Self::new()
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

    fn from_builder(builder: Builder) -> Self {
        let inner = Arc::new_cyclic(|io: &Weak<IoInner>| IoInner {
            config: builder.config,
            namespaces: RwLock::new(HashMap::new()),
            parents: RwLock::new(Vec::new()),
            engine: builder.engine.build(ClientHandler { io: io.clone() }),
        });
        let io = Self { inner };
        io.of("/");
        io
    }

    /// The namespace `name` (a leading `/` is added when missing), created on first use.
    pub fn of(&self, name: &str) -> Nsp {
        let name = normalize(name);
        if let Some(ns) = self.inner.namespace(&name) {
            return Nsp(ns);
        }
        let mut map = self
            .inner
            .namespaces
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let ns = map
            .entry(name.clone())
            .or_insert_with(|| NsInner::new(name, &self.inner, None))
            .clone();
        drop(map);
        Nsp(ns)
    }

    /// Whether the namespace `name` exists now, without creating it (what users of the
    /// reference ask with `io._nsps.has(name)`): a static namespace, or a dynamic child that
    /// a client created and that was not cleaned up since. Parents of dynamic namespaces are
    /// not namespaces of their own.
    pub fn has_namespace(&self, name: &str) -> bool {
        self.inner.namespace(&normalize(name)).is_some()
    }

    /// A parent of dynamic namespaces: every namespace whose name matches `pattern`
    /// (a regular expression) is created on its first CONNECT and shares the parent's
    /// connection handlers and middlewares.
    pub fn of_pattern(&self, pattern: &str) -> Result<Nsp, regex::Error> {
        let regex = regex::Regex::new(pattern)?;
        Ok(self.add_parent(Box::new(move |name, _auth| regex.is_match(name))))
    }

    /// A parent of dynamic namespaces chosen by a predicate over the name and the CONNECT
    /// payload (`auth`).
    pub fn of_fn(&self, accept: impl Fn(&str, &Value) -> bool + Send + Sync + 'static) -> Nsp {
        self.add_parent(Box::new(accept))
    }

    fn add_parent(&self, accept: namespace::Matcher) -> Nsp {
        let mut parents = self
            .inner
            .parents
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let name = NamespaceName::new(&format!("/_{}", parents.len())).unwrap_or_default();
        let parent = Arc::new(Parent::new(accept, NsInner::new(name, &self.inner, None)));
        parents.push(parent.clone());
        Nsp(parent.ns.clone())
    }

    /// Emits to every socket of the main namespace.
    pub fn emit<T: serde::Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), EmitError> {
        self.of("/").emit(event, args)
    }

    /// Targets the sockets of the main namespace in `rooms`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.of("/").to(rooms)
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
        let namespaces = self.inner.all_namespaces();
        for ns in &namespaces {
            ns.close_all(DisconnectReason::ServerShuttingDown);
        }
        self.inner.engine.close();
        let limit = self.inner.engine.config().engine.ping_timeout;
        let drained = async {
            while self.inner.engine.session_count() > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        };
        let _ = tokio::time::timeout(limit, drained).await;
        for ns in namespaces {
            ns.adapter.close().await;
        }
    }
}

impl IoInner {
    pub(crate) fn namespace(&self, name: &NamespaceName) -> Option<Arc<NsInner>> {
        let map = self.namespaces.read().unwrap_or_else(|e| e.into_inner());
        map.get(name).cloned()
    }

    /// The namespace a CONNECT asks for: a static one, or a dynamic child created now.
    pub(crate) fn namespace_for(
        self: &Arc<Self>,
        name: &NamespaceName,
        auth: &Value,
    ) -> Option<Arc<NsInner>> {
        if let Some(ns) = self.namespace(name) {
            return Some(ns);
        }
        let parents = self
            .parents
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let parent = parents
            .into_iter()
            .find(|p| p.accepts(name.as_str(), auth))?;
        let mut map = self.namespaces.write().unwrap_or_else(|e| e.into_inner());
        let child = map
            .entry(name.clone())
            .or_insert_with(|| NsInner::new(name.clone(), self, Some(parent)))
            .clone();
        Some(child)
    }

    /// Removes a namespace if it is still the one registered under its name and still has
    /// no socket (a CONNECT may have come meanwhile); whether it was removed.
    pub(crate) fn remove_namespace(&self, ns: &Arc<NsInner>) -> bool {
        let mut map = self.namespaces.write().unwrap_or_else(|e| e.into_inner());
        let current = map
            .get(&ns.name)
            .is_some_and(|found| Arc::ptr_eq(found, ns));
        if current && ns.is_empty() {
            map.remove(&ns.name);
        }
        current && !map.contains_key(&ns.name)
    }

    fn all_namespaces(&self) -> Vec<Arc<NsInner>> {
        let map = self.namespaces.read().unwrap_or_else(|e| e.into_inner());
        map.values().cloned().collect()
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
