//! A socket: one client connected to one namespace.
//!
//! A [`Socket`] is a handle: its identity, its namespace and its engine connection. What it
//! runs for the client's events (handlers, middlewares, pending acks) belongs to its
//! connection, which the handle reaches through the connection's inbox ([`link`]); its
//! rooms, data and phase belong to its namespace's state.

mod emit;
pub(crate) mod handler;
pub(crate) mod link;

use std::fmt;
use std::sync::Arc;

use engineio::server::Socket as EngineSocket;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::packet::NamespaceName;
use crate::parser::Parser;
use crate::payload::{Payload, PayloadError};
use crate::room::{Room, SocketId};
use crate::server::callback;
use crate::server::delivery::Recipient;
use crate::server::handshake::Handshake;
use crate::server::namespace::state::Phase;
use crate::server::namespace::Namespace;

use handler::{
    with_listener, without_listener, AnyHandler, DisconnectHandler, ErrorHandler, EventHandler,
    EventMiddleware, ListenerId, OutgoingHandler, Place,
};
use link::{Command, Link, Op};

/// Room names, from one name or several.
pub trait IntoRooms {
    /// The rooms.
    fn into_rooms(self) -> Vec<Room>;
}

impl IntoRooms for &str {
    fn into_rooms(self) -> Vec<Room> {
        vec![Room::from(self)]
    }
}

impl IntoRooms for String {
    fn into_rooms(self) -> Vec<Room> {
        vec![Room::from(self)]
    }
}

impl IntoRooms for &String {
    fn into_rooms(self) -> Vec<Room> {
        vec![Room::from(self.as_str())]
    }
}

impl IntoRooms for Room {
    fn into_rooms(self) -> Vec<Room> {
        vec![self]
    }
}

impl<T: IntoRooms> IntoRooms for Vec<T> {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().flat_map(IntoRooms::into_rooms).collect()
    }
}

impl<T: IntoRooms, const N: usize> IntoRooms for [T; N] {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().flat_map(IntoRooms::into_rooms).collect()
    }
}

pub(crate) struct Core {
    id: SocketId,
    /// The private id a client shows to recover its session (with connection state
    /// recovery on).
    pid: Option<SocketId>,
    ns: Namespace,
    engine: EngineSocket,
    link: Arc<dyn Link>,
    handshake: Handshake,
    recovered: bool,
}

/// One client in one namespace: the guest, where [`SocketIo`](super::SocketIo) is the house.
/// Cloning is cheap.
#[derive(Clone)]
pub struct Socket(pub(crate) Arc<Core>);

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.id())
            .field("nsp", &self.namespace().as_str())
            .finish()
    }
}

/// What a new socket is made of.
pub(crate) struct Parts {
    pub(crate) id: SocketId,
    pub(crate) pid: Option<SocketId>,
    pub(crate) ns: Namespace,
    pub(crate) engine: EngineSocket,
    pub(crate) link: Arc<dyn Link>,
    pub(crate) handshake: Handshake,
    pub(crate) recovered: bool,
}

impl Socket {
    pub(crate) fn new(parts: Parts) -> Self {
        Socket(Arc::new(Core {
            id: parts.id,
            pid: parts.pid,
            ns: parts.ns,
            engine: parts.engine,
            link: parts.link,
            handshake: parts.handshake,
            recovered: parts.recovered,
        }))
    }

    /// The socket id (20 characters, not the Engine.IO session id).
    pub fn id(&self) -> &str {
        &self.0.id
    }

    pub(crate) fn sid(&self) -> &SocketId {
        &self.0.id
    }

    /// The private id of the session, with connection state recovery on.
    pub(crate) fn pid(&self) -> Option<&SocketId> {
        self.0.pid.as_ref()
    }

    /// The namespace's name.
    pub fn namespace(&self) -> &NamespaceName {
        &self.0.ns.0.name
    }

    /// The namespace.
    pub fn nsp(&self) -> Namespace {
        self.0.ns.clone()
    }

    /// The handshake: headers, query, address, url, time and the CONNECT payload (`auth`).
    pub fn handshake(&self) -> &Handshake {
        &self.0.handshake
    }

    /// The server's parser.
    pub(crate) fn parser(&self) -> &dyn Parser {
        &*self.0.ns.0.config.parser
    }

    /// The Engine.IO connection underneath (shared by the client's sockets).
    pub fn conn(&self) -> &EngineSocket {
        &self.0.engine
    }

    /// Whether this socket came back with its state after a disconnection (connection state
    /// recovery): same id, rooms and data, and the packets it missed.
    pub fn recovered(&self) -> bool {
        self.0.recovered
    }

    /// Whether the socket is connected to its namespace (still true while its
    /// `disconnecting` handlers run, as in the reference).
    pub fn connected(&self) -> bool {
        let state = self.0.ns.0.read();
        state
            .entry(self.id())
            .is_some_and(|entry| entry.phase != Phase::Joining)
    }

    /// Posts a change to the connection-owned state; a refusal is handled where it came.
    fn post(&self, op: Op) -> bool {
        let command = Command {
            socket: self.0.id.clone(),
            namespace: self.namespace().clone(),
            op,
        };
        match self.0.link.post(command) {
            Ok(()) => true,
            Err(refused) => {
                refused.report();
                false
            }
        }
    }

    /// Adds a handler of an event from the client, a plain closure or an async one. As the
    /// listeners of the reference's EventEmitter, every handler of the event runs, in the
    /// order they were added, each with the event; when the client asked for an ack, the
    /// first answer goes out and later ones are ignored.
    pub fn on<M>(&self, event: &str, handler: impl EventHandler<M>) {
        let handler = Arc::new(move |socket, event| handler.call(socket, event));
        self.post(Op::On(event.to_owned(), handler));
    }

    /// Removes every handler of an event (the reference's `removeAllListeners(event)`).
    pub fn off(&self, event: &str) {
        self.post(Op::Off(event.to_owned()));
    }

    /// Runs for every incoming event, before the event middlewares and the event's handlers
    /// (so even for an event a middleware then refuses), after the catch-all handlers added
    /// before it, as the reference's `onAny`.
    pub fn on_any<M>(&self, handler: impl AnyHandler<M>) -> ListenerId {
        self.add_any(handler, Place::Last)
    }

    /// [`Socket::on_any`], before the catch-all handlers added so far (`prependAny`).
    pub fn prepend_any<M>(&self, handler: impl AnyHandler<M>) -> ListenerId {
        self.add_any(handler, Place::First)
    }

    fn add_any<M>(&self, handler: impl AnyHandler<M>, place: Place) -> ListenerId {
        let id = ListenerId::next();
        let handler = Arc::new(move |socket, event| handler.call(socket, event));
        self.post(Op::OnAny(id, handler, place));
        id
    }

    /// Removes one catch-all handler, or every one with `None` (`offAny`).
    pub fn off_any(&self, listener: Option<ListenerId>) {
        self.post(Op::OffAny(listener));
    }

    /// Runs for every event sent to this client (its own emits and the broadcasts it gets),
    /// where the emit happens, as the reference's `onAnyOutgoing`.
    pub fn on_any_outgoing<M>(&self, handler: impl OutgoingHandler<M>) -> ListenerId {
        self.add_outgoing(handler, Place::Last)
    }

    /// [`Socket::on_any_outgoing`], before those added so far (`prependAnyOutgoing`).
    pub fn prepend_any_outgoing<M>(&self, handler: impl OutgoingHandler<M>) -> ListenerId {
        self.add_outgoing(handler, Place::First)
    }

    fn add_outgoing<M>(&self, handler: impl OutgoingHandler<M>, place: Place) -> ListenerId {
        let id = ListenerId::next();
        let handler: handler::OutgoingFn =
            Arc::new(move |socket, event, args| handler.call(socket, event, args));
        self.0.ns.0.update(|state| {
            if let Some(entry) = state.entry_mut(self.id()) {
                let list = entry.outgoing.take().unwrap_or_else(|| Arc::from([]));
                entry.outgoing = Some(with_listener(&list, id, handler, place));
            }
        });
        id
    }

    /// Removes one outgoing catch-all handler, or every one with `None` (`offAnyOutgoing`).
    pub fn off_any_outgoing(&self, listener: Option<ListenerId>) {
        self.0.ns.0.update(|state| {
            if let Some(entry) = state.entry_mut(self.id()) {
                entry.outgoing = entry
                    .outgoing
                    .take()
                    .map(|list| without_listener(&list, listener))
                    .filter(|list| !list.is_empty());
            }
        });
    }

    /// A middleware for incoming events, plain or async: an `Err` stops the event and goes
    /// to the [`Socket::on_error`] handlers; the socket stays connected. An async middleware
    /// holds back only the event it decides on.
    pub fn use_middleware<M>(&self, middleware: impl EventMiddleware<M>) {
        let middleware = Arc::new(move |socket, event| middleware.call(socket, event));
        self.post(Op::Use(middleware));
    }

    /// Runs when an event middleware refuses an event (the reference's `error` event).
    pub fn on_error<M>(&self, handler: impl ErrorHandler<M>) {
        let handler = Arc::new(move |socket, error| handler.call(socket, error));
        self.post(Op::OnError(handler));
    }

    /// Runs when the socket is about to leave; its rooms are still visible.
    pub fn on_disconnecting<M>(&self, handler: impl DisconnectHandler<M>) {
        let handler = Arc::new(move |socket, reason| handler.call(socket, reason));
        self.post(Op::OnDisconnecting(handler));
    }

    /// Runs once the socket has left.
    pub fn on_disconnect<M>(&self, handler: impl DisconnectHandler<M>) {
        let handler = Arc::new(move |socket, reason| handler.call(socket, reason));
        self.post(Op::OnDisconnect(handler));
    }

    /// Stores typed per-socket data (as JSON, so that it can cross nodes like `socket.data`).
    pub fn set_data<T: Serialize>(&self, data: &T) -> Result<(), PayloadError> {
        let value = serde_json::to_value(data).map_err(PayloadError::Serialize)?;
        self.set_data_json(value);
        Ok(())
    }

    pub(crate) fn set_data_json(&self, value: Value) {
        self.0.ns.0.update(|state| {
            if let Some(entry) = state.entry_mut(self.id()) {
                entry.data = value;
            }
        });
    }

    /// The per-socket data, typed; `None` when unset or of another shape.
    pub fn data<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_value(self.data_json()).ok()
    }

    pub(crate) fn data_json(&self) -> Value {
        let state = self.0.ns.0.read();
        let entry = state.entry(self.id());
        entry.map(|entry| entry.data.clone()).unwrap_or_default()
    }

    /// Joins rooms; once the socket has left its namespace, it joins nothing.
    pub fn join(&self, rooms: impl IntoRooms) {
        let rooms = rooms.into_rooms();
        self.0.ns.0.update(|state| state.join(self.sid(), &rooms));
    }

    /// Leaves rooms.
    pub fn leave(&self, rooms: impl IntoRooms) {
        let rooms = rooms.into_rooms();
        self.0.ns.0.update(|state| state.leave(self.sid(), &rooms));
    }

    /// The rooms of this socket (its own id among them).
    pub fn rooms(&self) -> Vec<Room> {
        self.0.ns.0.read().rooms_of(self.id())
    }

    /// Leaves the namespace (`server namespace disconnect`); with `close`, also closes the
    /// whole connection and so every namespace of this client. Does nothing once the socket
    /// is disconnected, as the reference's.
    pub fn disconnect(&self, close: bool) {
        if close {
            if self.connected() {
                self.post(Op::CloseAll);
            }
            return;
        }
        if !self.0.ns.0.update(|state| state.begin_leave(self.id())) {
            return;
        }
        self.send_disconnect();
        self.post(Op::Leave(
            super::reason::DisconnectReason::ServerNamespaceDisconnect,
        ));
    }

    /// Ends the socket for a server that shuts down: no DISCONNECT (the connection closes
    /// next), and `server shutting down` as its reason.
    pub(crate) fn shut_down(&self) {
        if self.0.ns.0.update(|state| state.begin_leave(self.id())) {
            self.post(Op::Leave(
                super::reason::DisconnectReason::ServerShuttingDown,
            ));
        }
    }

    /// Tells the client it left the namespace; a client that went meanwhile needs no telling.
    pub(crate) fn send_disconnect(&self) {
        let packet = crate::packet::Packet::disconnect(self.namespace().clone());
        let sent = crate::server::delivery::send(self, &packet, super::delivery::Delivery::NORMAL);
        if sent.is_err() {
            tracing::debug!(socket = %self.id(), "client gone before its DISCONNECT");
        }
    }
}

/// An emit to this socket runs its outgoing handlers.
impl Recipient for Socket {
    fn engine(&self) -> &EngineSocket {
        &self.0.engine
    }

    fn parser(&self) -> &dyn Parser {
        Socket::parser(self)
    }

    fn on_outgoing(&self, name: &str, args: &Payload) {
        let handlers = {
            let state = self.0.ns.0.read();
            state
                .entry(self.id())
                .and_then(|entry| entry.outgoing.clone())
        };
        for (_, handler) in handlers.iter().flat_map(|list| list.iter()) {
            let socket = self.clone();
            callback::run(&"outgoing handler", || handler(socket, name, args));
        }
    }
}
