//! A socket: one client connected to one namespace.

mod operator;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::ack::AckWaiter;
use super::client::Client;
use super::emit::Delivery;
use super::event::{AckSender, Event};
use super::handshake::Handshake;
use super::namespace::NsInner;
use super::nsp::Nsp;
use super::operator::IntoRooms;
use super::reason::DisconnectReason;
use crate::packet::{NamespaceName, Packet};
use crate::payload::{Payload, PayloadError};
use crate::room::{Room, SocketId};

pub use operator::SocketOperator;

type EventHandler = Arc<dyn Fn(&Socket, Event) + Send + Sync>;
type AnyHandler = Arc<dyn Fn(&Socket, &Event) + Send + Sync>;
type OutgoingHandler = Arc<dyn Fn(&Socket, &str, &Payload) + Send + Sync>;
type EventMiddleware = Arc<dyn Fn(&Socket, &Event) -> Result<(), String> + Send + Sync>;
type EndHandler = Arc<dyn Fn(&Socket, DisconnectReason) + Send + Sync>;
type ErrorHandler = Arc<dyn Fn(&Socket, &str) + Send + Sync>;

/// Where a socket is in its life. It is `Connected` from the CONNECT answer on, still
/// `connected()` while its `disconnecting` handlers run (as the reference's), and `Left` once
/// its rooms are left: from then on it joins no room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Phase {
    /// Created by a CONNECT, its middlewares running.
    Joining = 0,
    /// In its namespace.
    Connected = 1,
    /// Its `disconnecting` handlers run; its rooms are still visible.
    Leaving = 2,
    /// Out of its namespace and its rooms.
    Left = 3,
}

impl Phase {
    fn from_u8(value: u8) -> Self {
        match value {
            0 => Phase::Joining,
            1 => Phase::Connected,
            2 => Phase::Leaving,
            _ => Phase::Left,
        }
    }
}

/// What a socket keeps beside its identity; locked briefly, never across a callback.
#[derive(Default)]
struct State {
    /// Each event's handlers in the order they were added, shared so that a dispatch clones
    /// one pointer.
    handlers: HashMap<String, Arc<[EventHandler]>>,
    any: Vec<AnyHandler>,
    outgoing: Vec<OutgoingHandler>,
    middlewares: Vec<EventMiddleware>,
    disconnecting: Vec<EndHandler>,
    disconnect: Vec<EndHandler>,
    error: Vec<ErrorHandler>,
    acks: HashMap<u64, AckWaiter>,
    data: Value,
}

pub(crate) struct SocketInner {
    pub(crate) id: SocketId,
    pub(crate) ns: Arc<NsInner>,
    pub(crate) client: Arc<Client>,
    handshake: Handshake,
    phase: AtomicU8,
    has_outgoing: AtomicBool,
    state: Mutex<State>,
}

/// One client in one namespace: the guest, where [`SocketIo`](super::SocketIo) is the house.
/// Cloning is cheap.
#[derive(Clone)]
pub struct Socket(pub(crate) Arc<SocketInner>);

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.id())
            .field("nsp", &self.0.ns.name)
            .finish()
    }
}

/// A new socket id: 15 random bytes in URL-safe base64, as the reference's.
fn new_id() -> SocketId {
    use base64::Engine;
    let bytes: [u8; 15] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(bytes)
        .into()
}

impl Socket {
    pub(crate) fn new(ns: Arc<NsInner>, client: Arc<Client>, auth: Value) -> Self {
        let handshake = Handshake::new(client.engine.handshake().clone(), auth);
        Socket(Arc::new(SocketInner {
            id: new_id(),
            ns,
            client,
            handshake,
            phase: AtomicU8::new(Phase::Joining as u8),
            has_outgoing: AtomicBool::new(false),
            state: Mutex::new(State::default()),
        }))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The socket id (20 characters, not the Engine.IO session id).
    pub fn id(&self) -> &str {
        &self.0.id
    }

    pub(crate) fn sid(&self) -> &SocketId {
        &self.0.id
    }

    /// The namespace's name.
    pub fn namespace(&self) -> &NamespaceName {
        &self.0.ns.name
    }

    /// The namespace.
    pub fn nsp(&self) -> Nsp {
        Nsp(self.0.ns.clone())
    }

    /// The handshake: headers, query, address, url, time and the CONNECT payload (`auth`).
    pub fn handshake(&self) -> &Handshake {
        &self.0.handshake
    }

    /// The Engine.IO connection underneath (shared by the client's sockets).
    pub fn conn(&self) -> &engineio::server::Socket {
        &self.0.client.engine
    }

    /// Whether the socket is connected to its namespace (still true while its
    /// `disconnecting` handlers run, as in the reference).
    pub fn connected(&self) -> bool {
        matches!(self.phase(), Phase::Connected | Phase::Leaving)
    }

    pub(crate) fn phase(&self) -> Phase {
        Phase::from_u8(self.0.phase.load(Ordering::Acquire))
    }

    pub(crate) fn set_connected(&self) {
        self.set_phase(Phase::Connected);
    }

    /// Marks the socket out of its rooms; the namespace does it with its room table locked,
    /// so that no join can slip in after the rooms were left.
    pub(crate) fn set_left(&self) {
        self.set_phase(Phase::Left);
    }

    fn set_phase(&self, phase: Phase) {
        self.0.phase.store(phase as u8, Ordering::Release);
    }

    /// Adds a handler of an event from the client. Like the listeners of the reference's
    /// EventEmitter, every handler of the event runs, in the order they were added, each
    /// with the event; when the client asked for an ack, the first answer goes out and later
    /// ones are ignored.
    pub fn on(&self, event: &str, handler: impl Fn(&Socket, Event) + Send + Sync + 'static) {
        let handler: EventHandler = Arc::new(handler);
        let mut state = self.state();
        let handlers = match state.handlers.get(event) {
            Some(old) => old.iter().cloned().chain([handler]).collect(),
            None => Arc::from([handler]),
        };
        state.handlers.insert(event.to_owned(), handlers);
    }

    /// Removes every handler of an event (the reference's `removeAllListeners(event)`).
    pub fn off(&self, event: &str) {
        self.state().handlers.remove(event);
    }

    /// Runs for every incoming event, before the event middlewares and the event's handlers
    /// (so even for an event a middleware then refuses), as the reference's `onAny`.
    pub fn on_any(&self, handler: impl Fn(&Socket, &Event) + Send + Sync + 'static) {
        self.state().any.push(Arc::new(handler));
    }

    /// Runs for every event sent to this client (its own emits and broadcasts it receives).
    pub fn on_any_outgoing(
        &self,
        handler: impl Fn(&Socket, &str, &Payload) + Send + Sync + 'static,
    ) {
        self.state().outgoing.push(Arc::new(handler));
        self.0.has_outgoing.store(true, Ordering::Release);
    }

    /// A middleware for incoming events: an `Err` stops the event and is handed to the
    /// [`Socket::on_error`] handlers; the socket stays connected.
    pub fn use_middleware(
        &self,
        middleware: impl Fn(&Socket, &Event) -> Result<(), String> + Send + Sync + 'static,
    ) {
        self.state().middlewares.push(Arc::new(middleware));
    }

    /// Runs when the socket is about to leave; its rooms are still visible.
    pub fn on_disconnecting(
        &self,
        handler: impl Fn(&Socket, DisconnectReason) + Send + Sync + 'static,
    ) {
        self.state().disconnecting.push(Arc::new(handler));
    }

    /// Runs once the socket has left.
    pub fn on_disconnect(
        &self,
        handler: impl Fn(&Socket, DisconnectReason) + Send + Sync + 'static,
    ) {
        self.state().disconnect.push(Arc::new(handler));
    }

    /// Runs when an event middleware refuses an event.
    pub fn on_error(&self, handler: impl Fn(&Socket, &str) + Send + Sync + 'static) {
        self.state().error.push(Arc::new(handler));
    }

    /// Stores typed per-socket data (as JSON, so that it can cross nodes like `socket.data`).
    pub fn set_data<T: Serialize>(&self, data: &T) -> Result<(), PayloadError> {
        let value = serde_json::to_value(data).map_err(PayloadError::Serialize)?;
        self.state().data = value;
        Ok(())
    }

    /// The per-socket data, typed; `None` when unset or of another shape.
    pub fn data<T: DeserializeOwned>(&self) -> Option<T> {
        let value = self.state().data.clone();
        serde_json::from_value(value).ok()
    }

    pub(crate) fn data_json(&self) -> Value {
        self.state().data.clone()
    }

    /// Runs the outgoing catch-all handlers, if the socket has any.
    pub(crate) fn run_outgoing_hooks(&self, name: &str, args: &Payload) {
        if self.0.has_outgoing.load(Ordering::Acquire) {
            let hooks = self.state().outgoing.clone();
            hooks.iter().for_each(|hook| hook(self, name, args));
        }
    }

    pub(crate) fn expect_ack(&self, id: u64, waiter: AckWaiter) {
        self.state().acks.insert(id, waiter);
    }

    pub(crate) fn forget_ack(&self, id: u64) {
        self.state().acks.remove(&id);
    }

    /// Joins rooms; once the socket has left its namespace, it joins nothing.
    pub fn join(&self, rooms: impl IntoRooms) {
        self.0.ns.join(self, &rooms.into_rooms());
    }

    /// Leaves rooms.
    pub fn leave(&self, rooms: impl IntoRooms) {
        self.0.ns.leave(self.sid(), &rooms.into_rooms());
    }

    /// The rooms of this socket (its own id among them).
    pub fn rooms(&self) -> Vec<Room> {
        self.0.ns.rooms_of(self.sid())
    }

    /// Leaves the namespace (`server namespace disconnect`); with `close`, also closes the
    /// whole connection and so every namespace of this client. Does nothing once the socket
    /// is disconnected, as the reference's.
    pub fn disconnect(&self, close: bool) {
        if !self.connected() {
            return;
        }
        if close {
            self.0.client.disconnect_all();
            return;
        }
        let packet = Packet::disconnect(self.namespace().clone());
        let _ = self.send_packet(&packet, Delivery::NORMAL);
        self.closed(DisconnectReason::ServerNamespaceDisconnect);
    }

    /// An event from the client: the catch-all handlers, the middlewares, then, if none
    /// refused it and the socket is still connected, the event's handlers (the order of the
    /// reference's `onevent` and `dispatch`).
    pub(crate) fn on_event(&self, name: String, args: Payload, ack: Option<u64>) {
        let ack = ack.map(|id| AckSender::new(self.clone(), id));
        let event = Event::new(name, args, ack);
        let (any, middlewares, errors) = {
            let state = self.state();
            (
                state.any.clone(),
                state.middlewares.clone(),
                state.error.clone(),
            )
        };
        any.iter().for_each(|handler| handler(self, &event));
        for middleware in &middlewares {
            if let Err(message) = middleware(self, &event) {
                errors.iter().for_each(|handler| handler(self, &message));
                return;
            }
        }
        if !self.connected() {
            return;
        }
        let handlers = self.state().handlers.get(event.name()).cloned();
        if let Some((last, others)) = handlers.as_deref().and_then(<[_]>::split_last) {
            others
                .iter()
                .for_each(|handler| handler(self, event.clone()));
            last(self, event);
        }
    }

    /// An acknowledgement from the client. An unknown id is ignored, as the reference does.
    pub(crate) fn on_ack(&self, id: u64, args: Payload) {
        let waiter = self.state().acks.remove(&id);
        if let Some(waiter) = waiter {
            waiter.deliver(args);
        }
    }

    /// Leaves the namespace: `disconnecting` handlers (rooms still visible), rooms left,
    /// pending acks failed, then `disconnect` handlers. Runs once.
    pub(crate) fn closed(&self, reason: DisconnectReason) {
        let leaving = self.0.phase.compare_exchange(
            Phase::Connected as u8,
            Phase::Leaving as u8,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        if leaving.is_err() {
            return;
        }
        let disconnecting = self.state().disconnecting.clone();
        disconnecting
            .iter()
            .for_each(|handler| handler(self, reason));
        self.0.ns.remove(self);
        self.0.client.forget(self.namespace());
        let disconnect = {
            let mut state = self.state();
            state.acks.clear();
            std::mem::take(&mut state.disconnect)
        };
        disconnect.iter().for_each(|handler| handler(self, reason));
        *self.state() = State::default();
    }
}
