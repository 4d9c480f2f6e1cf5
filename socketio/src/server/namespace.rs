//! Namespaces: their sockets, rooms, connection handlers and middlewares.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

use serde::Serialize;
use serde_json::{json, Value};

use super::ack::PartialAcks;
use super::operator::{BroadcastOperator, IntoRooms};
use super::reason::DisconnectReason;
use super::socket::{EmitError, Socket};
use super::IoInner;
use crate::adapter::{
    AckSink, Adapter, BoxFuture, BroadcastOptions, LocalNamespace, ServerReply, SocketData,
};
use crate::packet::{Namespace, Packet};
use crate::payload::{to_payload, Payload, PayloadError};
use crate::room::{Room, RoomIndex, SocketId};

/// A refusal from a connect middleware; the client gets CONNECT_ERROR
/// `{"message": ..., "data": ...}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectError {
    /// The error message.
    pub message: String,
    /// Extra data for the client (`err.data`).
    pub data: Option<Value>,
}

impl ConnectError {
    /// A refusal with a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            data: None,
        }
    }

    /// Adds data for the client.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub(crate) fn to_json(&self) -> Value {
        match &self.data {
            Some(data) => json!({ "message": self.message, "data": data }),
            None => json!({ "message": self.message }),
        }
    }
}

type ConnectionHandler = Arc<dyn Fn(Socket) + Send + Sync>;
type ServerEventHandler = Arc<dyn Fn(&Payload, Option<ServerAck>) + Send + Sync>;

/// Answers a server-side event from another node, once.
pub struct ServerAck(ServerReply);

impl ServerAck {
    /// Sends the answer (one value: the reference forwards only the first argument).
    pub fn send<T: Serialize + ?Sized>(self, answer: &T) -> Result<(), PayloadError> {
        (self.0)(to_payload(answer)?);
        Ok(())
    }
}

impl std::fmt::Debug for ServerAck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerAck")
    }
}
pub(crate) type Middleware =
    Arc<dyn Fn(Socket) -> BoxFuture<'static, Result<(), ConnectError>> + Send + Sync>;
pub(crate) type Matcher = Box<dyn Fn(&str, &Value) -> bool + Send + Sync>;

/// Connection handlers and middlewares; a dynamic child shares its parent's.
#[derive(Default)]
pub(crate) struct Hooks {
    connection: Vec<ConnectionHandler>,
    pub(crate) middlewares: Vec<Middleware>,
    server_events: HashMap<String, ServerEventHandler>,
}

pub(crate) struct NsInner {
    pub(crate) name: Namespace,
    sockets: RwLock<HashMap<SocketId, Socket>>,
    rooms: RwLock<RoomIndex>,
    hooks: Arc<RwLock<Hooks>>,
    pub(crate) adapter: Box<dyn Adapter>,
    ack_ids: AtomicU64,
    parent: Option<Arc<Parent>>,
    io: Weak<IoInner>,
}

/// A parent of dynamic namespaces.
pub(crate) struct Parent {
    accept: Matcher,
    pub(crate) ns: Arc<NsInner>,
    children: RwLock<Vec<Weak<NsInner>>>,
}

impl Parent {
    pub(crate) fn new(accept: Matcher, ns: Arc<NsInner>) -> Self {
        Self {
            accept,
            ns,
            children: RwLock::new(Vec::new()),
        }
    }

    pub(crate) fn accepts(&self, name: &str, auth: &Value) -> bool {
        (self.accept)(name, auth)
    }

    fn children(&self) -> Vec<Arc<NsInner>> {
        let children = self.children.read().unwrap_or_else(|e| e.into_inner());
        children.iter().filter_map(Weak::upgrade).collect()
    }
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

impl NsInner {
    pub(crate) fn new(
        name: Namespace,
        io: &Arc<IoInner>,
        parent: Option<Arc<Parent>>,
    ) -> Arc<Self> {
        let hooks = parent
            .as_ref()
            .map(|p| p.ns.hooks.clone())
            .unwrap_or_default();
        let ns = Arc::new(Self {
            adapter: io.config.adapter.create(&name),
            name,
            sockets: RwLock::new(HashMap::new()),
            rooms: RwLock::new(RoomIndex::default()),
            hooks,
            ack_ids: AtomicU64::new(0),
            parent: parent.clone(),
            io: Arc::downgrade(io),
        });
        if let Some(parent) = parent {
            write(&parent.children).push(Arc::downgrade(&ns));
        }
        // Adapters start on the runtime; a server built outside one (a doc example) has
        // nothing to start, since the memory adapter's start does nothing.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let ns = ns.clone();
            runtime.spawn(async move {
                let local: Arc<dyn LocalNamespace> = ns.clone();
                if let Err(error) = ns.adapter.init(local).await {
                    tracing::warn!(%error, "adapter failed to start");
                }
            });
        }
        ns
    }

    /// The next ack id, shared by every socket of the namespace (as the reference's `_ids`).
    pub(crate) fn next_ack_id(&self) -> u64 {
        self.ack_ids.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn middlewares(&self) -> Vec<Middleware> {
        read(&self.hooks).middlewares.clone()
    }

    /// Adds a connected socket: its own room, then the connection handlers.
    pub(crate) fn add(&self, socket: &Socket) {
        write(&self.sockets).insert(socket.sid().clone(), socket.clone());
        write(&self.rooms).join(socket.sid(), socket.sid());
        socket.set_connected();
    }

    pub(crate) fn run_connection_handlers(&self, socket: &Socket) {
        let handlers = read(&self.hooks).connection.clone();
        handlers.iter().for_each(|handler| handler(socket.clone()));
    }

    pub(crate) fn remove(&self, socket: &Socket) {
        write(&self.rooms).leave_all(socket.sid());
        let empty = {
            let mut sockets = write(&self.sockets);
            sockets.remove(socket.sid());
            sockets.is_empty()
        };
        let cleanup = self
            .io
            .upgrade()
            .filter(|io| io.config.cleanup_empty_children);
        if let (true, Some(_), Some(io)) = (empty, &self.parent, cleanup) {
            io.remove_namespace(&self.name);
        }
    }

    pub(crate) fn join(&self, socket: &SocketId, rooms: &[Room]) {
        let mut index = write(&self.rooms);
        rooms.iter().for_each(|room| {
            index.join(socket, room);
        });
    }

    pub(crate) fn leave(&self, socket: &SocketId, rooms: &[Room]) {
        let mut index = write(&self.rooms);
        rooms.iter().for_each(|room| {
            index.leave(socket, room);
        });
    }

    pub(crate) fn rooms_of(&self, socket: &SocketId) -> Vec<Room> {
        read(&self.rooms).rooms_of(socket)
    }

    /// The local sockets `opts` selects, each once.
    pub(crate) fn select(&self, opts: &BroadcastOptions) -> Vec<Socket> {
        let ids = read(&self.rooms).select(&opts.rooms, &opts.except);
        let sockets = read(&self.sockets);
        ids.iter()
            .filter_map(|id| sockets.get(id).cloned())
            .collect()
    }

    /// The dynamic children of a parent, or this namespace alone.
    pub(crate) fn family(self: &Arc<Self>) -> Vec<Arc<NsInner>> {
        let io = self.io.upgrade();
        let parents = io.map(|io| read(&io.parents).clone()).unwrap_or_default();
        match parents.iter().find(|p| Arc::ptr_eq(&p.ns, self)) {
            Some(parent) => parent.children(),
            None => vec![self.clone()],
        }
    }

    pub(crate) fn close_all(&self, reason: DisconnectReason) {
        let sockets: Vec<Socket> = read(&self.sockets).values().cloned().collect();
        sockets.iter().for_each(|socket| socket.closed(reason));
    }
}

impl LocalNamespace for NsInner {
    fn name(&self) -> &Namespace {
        &self.name
    }

    fn broadcast(&self, packet: &Packet, opts: &BroadcastOptions) {
        super::operator::deliver(self, packet, opts);
    }

    fn sockets_join(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        self.select(opts)
            .iter()
            .for_each(|s| self.join(s.sid(), rooms));
    }

    fn sockets_leave(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        self.select(opts)
            .iter()
            .for_each(|s| self.leave(s.sid(), rooms));
    }

    fn disconnect_sockets(&self, opts: &BroadcastOptions, close: bool) {
        self.select(opts).iter().for_each(|s| s.disconnect(close));
    }

    fn fetch_sockets(&self, opts: &BroadcastOptions) -> Vec<SocketData> {
        self.select(opts)
            .iter()
            .map(super::operator::socket_data)
            .collect()
    }

    fn broadcast_with_ack(
        &self,
        packet: &Packet,
        opts: &BroadcastOptions,
        on_ack: AckSink<Payload>,
    ) -> usize {
        super::operator::deliver_with_ack(self, packet, opts, &on_ack)
    }

    fn server_side_emit(&self, event: &str, args: Payload, reply: Option<ServerReply>) {
        let handler = read(&self.hooks).server_events.get(event).cloned();
        if let Some(handler) = handler {
            handler(&args, reply.map(ServerAck));
        }
    }
}

/// A namespace: where sockets connect, and a broadcast target for all of them.
///
/// ```
/// use socketio::server::{ConnectError, Socket, SocketIo};
/// let io = SocketIo::new();
/// let admin = io.of("/admin");
/// admin.use_middleware(|socket: Socket| async move {
///     match socket.handshake().auth["token"].as_str() {
///         Some("secret") => Ok(()),
///         _ => Err(ConnectError::new("not authorized")),
///     }
/// });
/// admin.on_connection(|socket: Socket| {
///     let _ = socket.emit("welcome", "admin");
/// });
/// ```
#[derive(Clone)]
pub struct Nsp(pub(crate) Arc<NsInner>);

impl Nsp {
    /// The namespace's name.
    pub fn name(&self) -> &Namespace {
        &self.0.name
    }

    /// Runs for each socket that connects (after the middlewares accepted it).
    pub fn on_connection(&self, handler: impl Fn(Socket) + Send + Sync + 'static) {
        write(&self.0.hooks).connection.push(Arc::new(handler));
    }

    /// A connect middleware; they run in order, and an `Err` refuses the connection.
    pub fn use_middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
    {
        let middleware: Middleware = Arc::new(move |socket| Box::pin(middleware(socket)));
        write(&self.0.hooks).middlewares.push(middleware);
    }

    /// Every socket of the namespace (of every child, for a dynamic parent).
    pub fn operator(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.0.clone())
    }

    /// Emits to every socket of the namespace.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        self.operator().emit(event, args)
    }

    /// Targets the sockets in `rooms`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.operator().to(rooms)
    }

    /// Targets every socket except those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.operator().except(rooms)
    }

    /// Listens to server-side events that other nodes emit ([`Nsp::server_side_emit`]); the
    /// handler gets the arguments and, when the emitter waits for answers, a [`ServerAck`].
    pub fn on_server_event(
        &self,
        event: &str,
        handler: impl Fn(&Payload, Option<ServerAck>) + Send + Sync + 'static,
    ) {
        write(&self.0.hooks)
            .server_events
            .insert(event.to_owned(), Arc::new(handler));
    }

    /// Emits an event to the other nodes' server-side listeners (never to this node's).
    pub fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), EmitError> {
        check_server_event(event)?;
        let args = super::socket::to_args(args)?;
        let _ = self.0.adapter.server_side_emit(event, &args, None);
        Ok(())
    }

    /// Emits to the other nodes' server-side listeners and collects one answer per node,
    /// within `timeout`; when it fires first, the error carries the answers that came.
    pub async fn server_side_emit_with_ack<T, R>(
        &self,
        event: &str,
        args: &T,
        timeout: std::time::Duration,
    ) -> Result<Vec<R>, PartialAcks<R>>
    where
        T: Serialize + ?Sized,
        R: serde::de::DeserializeOwned,
    {
        let Ok(args) = check_server_event(event).and_then(|()| Ok(super::socket::to_args(args)?))
        else {
            return Err(PartialAcks {
                responses: Vec::new(),
            });
        };
        let expected = self.0.adapter.server_count().await.saturating_sub(1);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Payload>();
        let sink: AckSink<Payload> = Arc::new(move |answer| {
            let _ = tx.send(answer);
        });
        if self
            .0
            .adapter
            .server_side_emit(event, &args, Some(sink))
            .is_err()
        {
            return Err(PartialAcks {
                responses: Vec::new(),
            });
        }
        let mut responses = Vec::with_capacity(expected);
        let collect = async {
            while responses.len() < expected {
                let Some(answer) = rx.recv().await else { break };
                if let Ok(value) = crate::payload::from_payload::<R>(&answer) {
                    responses.push(value);
                }
            }
        };
        let complete = tokio::time::timeout(timeout, collect).await.is_ok();
        match complete && responses.len() >= expected {
            true => Ok(responses),
            false => Err(PartialAcks { responses }),
        }
    }

    /// The local socket with this id.
    pub fn socket(&self, id: &str) -> Option<Socket> {
        read(&self.0.sockets).get(id).cloned()
    }

    /// The rooms that have local members (each socket's own room among them).
    pub fn rooms(&self) -> Vec<Room> {
        read(&self.0.rooms).all_rooms()
    }

    /// Number of local sockets.
    pub fn socket_count(&self) -> usize {
        read(&self.0.sockets).len()
    }
}

/// The reference refuses these names for server-side events.
fn check_server_event(event: &str) -> Result<(), EmitError> {
    match event {
        "connect" | "connection" | "new_namespace" => Err(EmitError::Reserved(event.to_owned())),
        _ => Ok(()),
    }
}
