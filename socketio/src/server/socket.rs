//! A socket: one client connected to one namespace.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::ack::AckWaiter;
use super::client::Client;
use super::event::{AckSender, Event};
use super::handshake::Handshake;
use super::namespace::NsInner;
use super::nsp::Nsp;
use super::operator::{BroadcastOperator, IntoRooms};
use super::reason::DisconnectReason;
use crate::packet::{Namespace, Packet};
use crate::payload::{Payload, PayloadError};
use crate::room::{Room, SocketId};

type EventHandler = Arc<dyn Fn(&Socket, Event) + Send + Sync>;
type AnyHandler = Arc<dyn Fn(&Socket, &Event) + Send + Sync>;
type OutgoingHandler = Arc<dyn Fn(&Socket, &str, &Payload) + Send + Sync>;
type EventMiddleware = Arc<dyn Fn(&Socket, &Event) -> Result<(), String> + Send + Sync>;
type EndHandler = Arc<dyn Fn(&Socket, DisconnectReason) + Send + Sync>;
type ErrorHandler = Arc<dyn Fn(&Socket, &str) + Send + Sync>;

/// What a socket keeps beside its identity; locked briefly, never across a callback.
#[derive(Default)]
struct State {
    handlers: HashMap<String, EventHandler>,
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
    connected: AtomicBool,
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
        let handshake = Handshake {
            engine: client.engine.handshake().clone(),
            auth,
        };
        Socket(Arc::new(SocketInner {
            id: new_id(),
            ns,
            client,
            handshake,
            connected: AtomicBool::new(false),
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
    pub fn namespace(&self) -> &Namespace {
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

    /// Whether the socket is connected to its namespace.
    pub fn connected(&self) -> bool {
        self.0.connected.load(Ordering::Acquire)
    }

    pub(crate) fn set_connected(&self) {
        self.0.connected.store(true, Ordering::Release);
    }

    /// Handles an event from the client.
    pub fn on(&self, event: &str, handler: impl Fn(&Socket, Event) + Send + Sync + 'static) {
        self.state()
            .handlers
            .insert(event.to_owned(), Arc::new(handler));
    }

    /// Runs for every incoming event, before its own handler.
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

    /// Joins rooms.
    pub fn join(&self, rooms: impl IntoRooms) {
        self.0.ns.join(self.sid(), &rooms.into_rooms());
    }

    /// Leaves rooms.
    pub fn leave(&self, rooms: impl IntoRooms) {
        self.0.ns.leave(self.sid(), &rooms.into_rooms());
    }

    /// The rooms of this socket (its own id among them).
    pub fn rooms(&self) -> Vec<Room> {
        self.0.ns.rooms_of(self.sid())
    }

    /// Targets the other sockets in `rooms` (this one excluded).
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Same as [`Socket::to`].
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// Targets every other socket of the namespace.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.0.ns.clone())
            .except(self.id())
            .flag_broadcast()
    }

    /// Targets this client with a timeout on acks, like the reference's `socket.timeout(ms)`.
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        BroadcastOperator::new(self.0.ns.clone())
            .to(self.id())
            .timeout(timeout)
    }

    /// Leaves the namespace (`server namespace disconnect`); with `close`, also closes the
    /// whole connection and so every namespace of this client.
    pub fn disconnect(&self, close: bool) {
        if close {
            self.0.client.disconnect_all();
            return;
        }
        let packet = Packet::disconnect(self.namespace().clone());
        let _ = self.send_packet(&packet, false);
        self.closed(DisconnectReason::ServerNamespaceDisconnect);
    }

    /// An event from the client: middlewares, catch-all handlers, then its handler.
    pub(crate) fn on_event(&self, name: String, args: Payload, ack: Option<u64>) {
        let ack = ack.map(|id| AckSender::new(self.clone(), id));
        let event = Event::new(name, args, ack);
        let (middlewares, any, handler, errors) = {
            let state = self.state();
            let handler = state.handlers.get(event.name()).cloned();
            (
                state.middlewares.clone(),
                state.any.clone(),
                handler,
                state.error.clone(),
            )
        };
        for middleware in &middlewares {
            if let Err(message) = middleware(self, &event) {
                errors.iter().for_each(|handler| handler(self, &message));
                return;
            }
        }
        any.iter().for_each(|handler| handler(self, &event));
        if let Some(handler) = handler {
            handler(self, event);
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
        if !self.0.connected.swap(false, Ordering::AcqRel) {
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
