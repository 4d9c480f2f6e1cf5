//! A CONNECT, from the packet to the socket in its namespace: the namespace is looked up
//! (a dynamic parent may decide later), the socket is made and its connect middlewares run
//! (they may decide later), then, back on the connection's task, the socket joins, the
//! CONNECT is answered and the connection handlers run. Whatever happens on another task
//! comes back through the inbox, so that only the connection changes its sockets.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use futures_util::FutureExt;
use serde_json::{json, Value};

use super::inbox::{Message, Resolution, Verdict};
use super::slot::Slot;
use super::{empty_auth, Connection};
use crate::packet::{NamespaceName, Packet, PacketKind};
use crate::recovery::Restored;
use crate::room::SocketId;
use crate::server::callback;
use crate::server::delivery::send_to_engine;
use crate::server::error::ConnectError;
use crate::server::handshake::Handshake;
use crate::server::namespace::hooks::MiddlewareFn;
use crate::server::namespace::registry::too_many;
use crate::server::namespace::{read, Namespace};
use crate::server::socket::{Parts, Socket};

type Lookup = Pin<Box<dyn Future<Output = Result<Namespace, ConnectError>> + Send>>;
type Admission = Pin<Box<dyn Future<Output = Result<(), ConnectError>> + Send>>;

impl Connection {
    /// A CONNECT for a namespace this connection has no socket in.
    pub(super) fn connect(&mut self, name: NamespaceName, auth: Option<Value>) {
        if self.resolving.contains(&name) {
            return self.close_invalid_state();
        }
        if self.slots.len() + self.resolving.len() >= self.config.max_namespaces_per_connection {
            return self.refuse(name, &too_many());
        }
        let auth = auth.unwrap_or_else(empty_auth);
        let Some(registry) = self.registry.upgrade() else {
            return;
        };
        if let Some(found) = registry.get(&name) {
            return self.admit(found, auth);
        }
        let mut lookup: Lookup = Box::pin(registry.resolve(name.clone(), auth.clone()));
        match callback::poll_once(&"namespace predicate", &mut lookup) {
            Some(Poll::Ready(found)) => self.resolved(name, auth, found),
            Some(Poll::Pending) => {
                self.resolving.insert(name.clone());
                let inbox = self.inbox.clone();
                tokio::spawn(async move {
                    let found = finish("namespace predicate", lookup)
                        .await
                        .unwrap_or_else(|| Err(ConnectError::new("Invalid namespace")));
                    let resolved = Message::Resolved(Box::new(Resolution { name, auth, found }));
                    if inbox.push(resolved, false).is_err() {
                        // Nothing was made for a connection that is over.
                        tracing::trace!("namespace resolved after its connection closed");
                    }
                });
            }
            // A predicate panicked (logged): as a throw while the reference handles a packet.
            None => self.engine.close(),
        }
    }

    /// The namespace of a CONNECT was looked up.
    pub(super) fn resolved(
        &mut self,
        name: NamespaceName,
        auth: Value,
        found: Result<Namespace, ConnectError>,
    ) {
        self.resolving.remove(&name);
        match found {
            Ok(namespace) => self.admit(namespace, auth),
            Err(refusal) => self.refuse(name, &refusal),
        }
    }

    /// Refuses a CONNECT the server itself turns down (an unknown namespace, a limit), with
    /// the reference's `{"message"}` whatever the client's protocol, as its own refusal of
    /// an unknown namespace.
    fn refuse(&self, name: NamespaceName, refusal: &ConnectError) {
        let packet = Packet::new(name, PacketKind::ConnectError(refusal.to_json()));
        send_to_engine(&self.engine, &*self.config.parser, &packet);
    }

    /// Makes the socket (the one a session recovery found again, or a fresh one) and runs
    /// the namespace's connect middlewares (which a recovered socket may skip).
    pub(super) fn admit_as(
        &mut self,
        namespace: &Namespace,
        auth: Value,
        restored: Option<Restored>,
    ) {
        let (socket, missed) = self.make_socket(namespace, auth, restored);
        let name = namespace.name().clone();
        let recovered = socket.recovered();
        self.slots.insert(name, Slot::new(socket.clone(), missed));
        let middlewares = read(&namespace.0.hooks).middlewares.clone();
        let skip = recovered
            && namespace
                .0
                .config
                .recovery
                .is_some_and(|options| options.skip_middlewares);
        if middlewares.is_empty() || skip {
            return self.admitted(&socket, Verdict::Admitted);
        }
        let mut admission: Admission = Box::pin(run_middlewares(middlewares, socket.clone()));
        match callback::poll_once(&"connect middleware", &mut admission) {
            Some(Poll::Ready(result)) => self.admitted(&socket, verdict(result)),
            Some(Poll::Pending) => {
                let inbox = self.inbox.clone();
                tokio::spawn(async move {
                    let verdict = match finish("connect middleware", admission).await {
                        Some(result) => verdict(result),
                        None => Verdict::Failed,
                    };
                    let admitted = Message::Admitted {
                        socket: socket.clone(),
                        verdict,
                    };
                    if inbox.push(admitted, false).is_err() {
                        // The client went while the middlewares ran: drop the socket with
                        // whatever rooms a middleware made it join.
                        socket.nsp().0.remove(socket.id());
                    }
                });
            }
            None => self.admitted(&socket, Verdict::Failed),
        }
    }

    /// The connect middlewares decided. A refused socket, or one whose client went
    /// meanwhile, is dropped with whatever rooms a middleware made it join; only a client
    /// still there hears of a refusal.
    pub(super) fn admitted(&mut self, socket: &Socket, verdict: Verdict) {
        let name = socket.namespace().clone();
        let ours = self
            .slots
            .get(&name)
            .is_some_and(|slot| slot.socket.sid() == socket.sid());
        let gone = self.engine.is_closed();
        if ours && !gone && matches!(verdict, Verdict::Admitted) {
            return self.join(socket);
        }
        if ours {
            self.slots.remove(&name);
        }
        socket.nsp().0.remove(socket.id());
        match verdict {
            Verdict::Refused(error) if ours && !gone => {
                let data = match self.speaks_v4() {
                    true => super::protocol4::refusal(&error),
                    false => error.to_json(),
                };
                let packet = Packet::new(name, PacketKind::ConnectError(data));
                send_to_engine(&self.engine, &*self.config.parser, &packet);
            }
            Verdict::Failed if ours => self.engine.close(),
            _ => {}
        }
    }

    /// The socket joins its namespace: its own room, the CONNECT answer (`{"sid"}`), then the
    /// connection handlers, on this task, before the client's next packet is handled.
    fn join(&mut self, socket: &Socket) {
        let namespace = socket.nsp();
        if !namespace.0.update(|state| state.connect(socket.sid())) {
            self.slots.remove(namespace.name());
            return;
        }
        if let Some(slot) = self.slots.get_mut(namespace.name()) {
            slot.joined = true;
        }
        self.timers.connect = None;
        self.rearm();
        let parser = &*self.config.parser;
        // What a recovered socket missed goes before the CONNECT, as in the reference (the
        // client holds it until it is connected).
        let missed = self
            .slots
            .get_mut(namespace.name())
            .map(|slot| std::mem::take(&mut slot.missed))
            .unwrap_or_default();
        for packet in &missed {
            send_to_engine(&self.engine, parser, packet);
        }
        let reply = match (socket.pid(), self.speaks_v4()) {
            (_, true) => None,
            (Some(pid), false) => Some(json!({ "sid": socket.id(), "pid": pid })),
            (None, false) => Some(json!({ "sid": socket.id() })),
        };
        let reply = Packet::connect(namespace.name().clone(), reply);
        send_to_engine(&self.engine, parser, &reply);
        namespace.0.run_connection_handlers(socket);
    }
}

impl Connection {
    /// The socket of a CONNECT, registered joining in its namespace: the recovered one with
    /// the packets it missed, when its session was found and its id is free, else a new one.
    fn make_socket(
        &self,
        namespace: &Namespace,
        auth: Value,
        restored: Option<Restored>,
    ) -> (Socket, Vec<Packet>) {
        let recovery = namespace.0.config.recovery.is_some();
        let handshake = Handshake::new(self.engine.handshake().clone(), auth);
        let parts = |id: SocketId, pid: Option<SocketId>, recovered: bool| Parts {
            id,
            pid,
            ns: namespace.clone(),
            engine: self.engine.clone(),
            link: self.inbox.clone(),
            handshake: handshake.clone(),
            recovered,
        };
        if let Some(Restored { session, missed }) = restored {
            let id = SocketId::from(session.sid.as_str());
            let socket = Socket::new(parts(id, Some(SocketId::from(session.pid.as_str())), true));
            let added = namespace
                .0
                .update(|state| state.add(socket.clone(), session.data, &session.rooms));
            if added {
                return (socket, missed);
            }
            // The id is someone's now (a socket not yet gone): a fresh session instead.
        }
        let pid = (recovery && !self.speaks_v4()).then(new_id);
        let id = self.socket_id(namespace.name(), new_id());
        let socket = Socket::new(parts(id, pid, false));
        namespace
            .0
            .update(|state| state.add(socket.clone(), Value::Null, &[]));
        (socket, Vec::new())
    }
}

/// Runs the middlewares in order; the first refusal stops the others.
async fn run_middlewares(
    middlewares: Vec<MiddlewareFn>,
    socket: Socket,
) -> Result<(), ConnectError> {
    for middleware in middlewares {
        middleware(socket.clone()).await?;
    }
    Ok(())
}

fn verdict(result: Result<(), ConnectError>) -> Verdict {
    match result {
        Ok(()) => Verdict::Admitted,
        Err(error) => Verdict::Refused(error),
    }
}

/// Awaits what is left of a started future; `None` when it panicked (logged).
pub(super) async fn finish<T>(
    what: &'static str,
    future: Pin<Box<dyn Future<Output = T> + Send>>,
) -> Option<T> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(value) => Some(value),
        Err(panic) => {
            callback::report(&what, &*panic);
            None
        }
    }
}

/// A new socket id: 15 random bytes in URL-safe base64, as the reference's.
fn new_id() -> SocketId {
    use base64::Engine;
    let bytes: [u8; 15] = rand::random();
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    Arc::from(id)
}
