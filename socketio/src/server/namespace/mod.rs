//! A namespace: where sockets connect, with its one state (sockets, phases, rooms), its
//! callbacks and its adapter.

pub(crate) mod hooks;
mod local;
pub(crate) mod registry;
mod server_event;
pub(crate) mod state;

use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

use crate::adapter::{Adapter, LocalNamespace};
use crate::packet::NamespaceName;
use crate::room::{Room, SocketId};
use crate::server::callback;
use crate::server::config::Config;
use crate::server::socket::Socket;

use hooks::{ConnectMiddleware, ConnectionHandler, Hooks, RoomListener, RoomListenerFn};
use registry::Registry;
use state::State;

pub use server_event::ServerAck;

/// A room change of a namespace, as the reference's adapter emits them (`create-room`,
/// `delete-room`, `join-room`, `leave-room`); see [`Namespace::on_room_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoomEvent {
    /// A room got its first member (`create-room`).
    CreateRoom(Room),
    /// A room lost its last member (`delete-room`).
    DeleteRoom(Room),
    /// A socket joined a room (`join-room`).
    JoinRoom {
        /// The room.
        room: Room,
        /// The socket.
        socket: SocketId,
    },
    /// A socket left a room (`leave-room`).
    LeaveRoom {
        /// The room.
        room: Room,
        /// The socket.
        socket: SocketId,
    },
}

/// A namespace: where sockets connect, and a broadcast target for all of them. Cloning is
/// cheap.
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
///     socket.emit("welcome", "admin");
/// });
/// ```
#[derive(Clone)]
pub struct Namespace(pub(crate) Arc<Shared>);

/// What kind of namespace this is.
pub(crate) enum Kind {
    /// Made by `io.of(name)`.
    Static,
    /// The parent of dynamic namespaces: no socket connects to it; broadcasts from it reach
    /// every child.
    Parent(Mutex<Vec<Weak<Shared>>>),
    /// Made on a client's CONNECT by this parent.
    Child(Namespace),
}

pub(crate) struct Shared {
    pub(crate) name: NamespaceName,
    state: RwLock<State>,
    /// Shared with the dynamic children of a parent.
    pub(crate) hooks: Arc<RwLock<Hooks>>,
    room_listeners: RwLock<Arc<[RoomListenerFn]>>,
    pub(crate) adapter: Box<dyn Adapter>,
    pub(crate) config: Arc<Config>,
    pub(crate) kind: Kind,
    registry: Weak<Registry>,
}

pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

impl Namespace {
    /// A namespace with its adapter, not started yet (see [`Namespace::start`]): the server
    /// makes it outside its registry's lock, since the adapter factory is the application's
    /// code, and starts it once it is registered.
    pub(crate) fn create(
        name: NamespaceName,
        kind: Kind,
        config: &Arc<Config>,
        registry: Weak<Registry>,
    ) -> Self {
        let hooks = match &kind {
            Kind::Child(parent) => parent.0.hooks.clone(),
            Kind::Static | Kind::Parent(_) => Arc::default(),
        };
        let shared = Arc::new(Shared {
            adapter: config.adapter.create(&name),
            name,
            state: RwLock::new(State::default()),
            hooks,
            room_listeners: RwLock::new(Arc::from([])),
            config: config.clone(),
            kind,
            registry,
        });
        Namespace(shared)
    }

    /// Starts the adapter on the runtime, when there is one (a server built outside one, as
    /// in a doc example, has nothing to start: the memory adapter's start does nothing).
    pub(crate) fn start(&self) {
        if self.0.config.recovery.is_some() && !self.0.adapter.supports_recovery() {
            tracing::warn!(
                namespace = %self.0.name.as_str(),
                "connection state recovery is on, but this adapter keeps no sessions: every client gets a fresh one"
            );
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let shared = self.0.clone();
        runtime.spawn(async move {
            let strong: Arc<dyn LocalNamespace> = shared.clone();
            let local = Arc::downgrade(&strong);
            if let Err(error) = shared.adapter.init(local).await {
                tracing::warn!(%error, namespace = %shared.name.as_str(), "adapter failed to start");
            }
        });
    }

    /// The namespace's name.
    pub fn name(&self) -> &NamespaceName {
        &self.0.name
    }

    /// Runs for each socket that connects (after the middlewares accepted it): a plain
    /// closure, or an async one.
    pub fn on_connection<M>(&self, handler: impl ConnectionHandler<M>) {
        write(&self.0.hooks)
            .connection
            .push(Arc::new(move |socket| handler.call(socket)));
    }

    /// A connect middleware; they run in order, and an `Err` refuses the connection with a
    /// CONNECT_ERROR. A plain closure decides at once, an async one when its future ends.
    pub fn use_middleware<M>(&self, middleware: impl ConnectMiddleware<M>) {
        write(&self.0.hooks)
            .middlewares
            .push(Arc::new(move |socket| middleware.call(socket)));
    }

    /// Hears of every room change of this namespace on this node, in order, as the
    /// reference's `io.of(name).adapter.on("create-room" | "delete-room" | "join-room" |
    /// "leave-room")`. Each socket's own room counts.
    ///
    /// ```
    /// use socketio::server::{RoomEvent, SocketIo};
    /// let io = SocketIo::new();
    /// io.of("/").on_room_event(|event: &RoomEvent| {
    ///     if let RoomEvent::CreateRoom(room) = event {
    ///         println!("room {room} exists now");
    ///     }
    /// });
    /// ```
    pub fn on_room_event<M>(&self, listener: impl RoomListener<M>) {
        let listener: RoomListenerFn = Arc::new(move |event| listener.call(event));
        let mut listeners = write(&self.0.room_listeners);
        *listeners = listeners.iter().cloned().chain([listener]).collect();
    }

    /// The local socket with this id.
    pub fn socket(&self, id: &str) -> Option<Socket> {
        self.0.read().target(id).map(|target| target.socket)
    }

    /// The rooms that have local members (each socket's own room among them).
    pub fn rooms(&self) -> Vec<Room> {
        self.0.read().all_rooms()
    }

    /// Number of local sockets.
    pub fn socket_count(&self) -> usize {
        self.0.read().len()
    }
}

impl Shared {
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        read(&self.state)
    }

    /// Changes the state, then hands the room changes it made to the adapter and the
    /// listeners, outside the lock.
    pub(crate) fn update<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        let result = change(&mut write(&self.state));
        self.flush();
        result
    }

    /// Hands out the queued room changes, one flusher at a time so that they are heard in
    /// order; a change made meanwhile (by a listener, say) is handed out by this loop too.
    fn flush(&self) {
        let mut owner = false;
        loop {
            let Some(changes) = write(&self.state).begin_flush(owner) else {
                return;
            };
            owner = true;
            let listeners = read(&self.room_listeners).clone();
            for change in changes {
                match &change.event {
                    RoomEvent::CreateRoom(room) => {
                        self.adapter.room_created(room, change.socket_room)
                    }
                    RoomEvent::DeleteRoom(room) => self.adapter.room_deleted(room),
                    RoomEvent::JoinRoom { .. } | RoomEvent::LeaveRoom { .. } => {}
                }
                for listener in listeners.iter() {
                    let event = change.event.clone();
                    callback::run(&"room listener", || listener(event));
                }
            }
        }
    }

    /// The dynamic children of a parent, or this namespace alone.
    pub(crate) fn family(self: &Arc<Self>) -> Vec<Arc<Shared>> {
        match &self.kind {
            Kind::Parent(children) => children
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .filter_map(Weak::upgrade)
                .collect(),
            Kind::Static | Kind::Child(_) => vec![self.clone()],
        }
    }

    /// Takes a socket out of its rooms and of the namespace; a dynamic child left empty is
    /// removed from the server, when the server says so.
    pub(crate) fn remove(self: &Arc<Self>, id: &str) {
        let empty = self.update(|state| {
            state.remove(id);
            state.is_empty()
        });
        if empty && matches!(self.kind, Kind::Child(_)) {
            if let Some(registry) = self.registry.upgrade() {
                registry.remove_if_empty(self);
            }
        }
    }

    /// Runs the connection handlers for a socket that just joined.
    pub(crate) fn run_connection_handlers(&self, socket: &Socket) {
        let handlers = read(&self.hooks).connection.clone();
        for handler in handlers {
            let socket = socket.clone();
            callback::run(&"connection handler", || handler(socket));
        }
    }
}
