//! Namespaces: their sockets, rooms, connection handlers and middlewares.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

use serde_json::{json, Value};

use super::nsp::ServerAck;
use super::reason::DisconnectReason;
use super::socket::{Phase, Socket};
use super::IoInner;
use crate::adapter::{
    AckSink, Adapter, BoxFuture, BroadcastOptions, LocalNamespace, ServerReply, SocketData,
};
use crate::packet::{NamespaceName, Packet};
use crate::payload::Payload;
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

pub(super) type ConnectionHandler = Arc<dyn Fn(Socket) + Send + Sync>;
pub(super) type ServerEventHandler = Arc<dyn Fn(&Payload, Option<ServerAck>) + Send + Sync>;

pub(crate) type Middleware =
    Arc<dyn Fn(Socket) -> BoxFuture<'static, Result<(), ConnectError>> + Send + Sync>;
pub(crate) type Matcher = Box<dyn Fn(&str, &Value) -> bool + Send + Sync>;

/// Connection handlers and middlewares; a dynamic child shares its parent's.
#[derive(Default)]
pub(crate) struct Hooks {
    pub(super) connection: Vec<ConnectionHandler>,
    pub(crate) middlewares: Vec<Middleware>,
    pub(super) server_events: HashMap<String, ServerEventHandler>,
}

pub(crate) struct NsInner {
    pub(crate) name: NamespaceName,
    pub(super) sockets: RwLock<HashMap<SocketId, Socket>>,
    pub(super) rooms: RwLock<RoomIndex>,
    pub(super) hooks: Arc<RwLock<Hooks>>,
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

pub(super) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

impl NsInner {
    pub(crate) fn new(
        name: NamespaceName,
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
        self.join_room(&mut write(&self.rooms), socket.sid(), socket.sid());
        socket.set_connected();
    }

    pub(crate) fn run_connection_handlers(&self, socket: &Socket) {
        let handlers = read(&self.hooks).connection.clone();
        handlers.iter().for_each(|handler| handler(socket.clone()));
    }

    /// Takes a socket out of its rooms and of the namespace. With `cleanup_empty_children`,
    /// a dynamic child left empty is removed from the server and its adapter closed, as the
    /// reference's parent namespaces do.
    pub(crate) fn remove(self: &Arc<Self>, socket: &Socket) {
        {
            let mut index = write(&self.rooms);
            socket.set_left();
            for room in index.leave_all(socket.sid()) {
                if !index.has_room(&room) {
                    self.adapter.room_deleted(&room);
                }
            }
        }
        let empty = {
            let mut sockets = write(&self.sockets);
            sockets.remove(socket.sid());
            sockets.is_empty()
        };
        if empty && self.parent.is_some() {
            self.remove_if_empty_child();
        }
    }

    fn remove_if_empty_child(self: &Arc<Self>) {
        let Some(io) = self.io.upgrade() else { return };
        if !io.config.cleanup_empty_children || !io.remove_namespace(self) {
            return;
        }
        if let Some(parent) = &self.parent {
            write(&parent.children)
                .retain(|child| !std::ptr::eq(child.as_ptr(), Arc::as_ptr(self)));
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let ns = self.clone();
            runtime.spawn(async move { ns.adapter.close().await });
        }
    }

    /// Whether the namespace has no socket.
    pub(crate) fn is_empty(&self) -> bool {
        read(&self.sockets).is_empty()
    }

    /// Joins rooms, unless the socket has left: checked with the room table locked, as
    /// [`NsInner::remove`] marks it, so that a late join leaves nothing behind.
    pub(crate) fn join(&self, socket: &Socket, rooms: &[Room]) {
        let mut index = write(&self.rooms);
        if socket.phase() == Phase::Left {
            return;
        }
        rooms
            .iter()
            .for_each(|room| self.join_room(&mut index, socket.sid(), room));
    }

    pub(crate) fn leave(&self, socket: &SocketId, rooms: &[Room]) {
        let mut index = write(&self.rooms);
        for room in rooms {
            if index.leave(socket, room) {
                self.adapter.room_deleted(room);
            }
        }
    }

    /// Joins one room and tells the adapter when the room is new. The adapter hears of it
    /// with the room table still locked, so that it hears of every room's creations and
    /// deletions in the order they happened (its hooks only queue the change).
    fn join_room(&self, index: &mut RoomIndex, socket: &SocketId, room: &Room) {
        if index.join(socket, room) {
            self.adapter.room_created(room, room == socket);
        }
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
    fn name(&self) -> &NamespaceName {
        &self.name
    }

    fn all_rooms(&self) -> Vec<Room> {
        read(&self.rooms).all_rooms()
    }

    fn broadcast(&self, packet: &Packet, opts: &BroadcastOptions) {
        super::operator::deliver(self, packet, opts);
    }

    fn sockets_join(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        self.select(opts).iter().for_each(|s| self.join(s, rooms));
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
            handler(&args, reply.map(ServerAck::new));
        }
    }
}
