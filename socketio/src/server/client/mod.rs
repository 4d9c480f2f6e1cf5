//! One Engine.IO connection: the engine handler of the server, and the state each connection
//! owns on its own task (its sockets' handlers and pending acks, its deadlines, its packet
//! decoder). Other tasks reach it through its [`inbox`].

mod connect;
mod dispatch;
pub(crate) mod inbox;
mod pacing;
mod protocol4;
mod recover;
mod slot;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};

use engineio::packet::Message as EngineMessage;
use engineio::server::{Handler, Socket as EngineSocket};
use serde_json::Value;

use crate::decoder::DecoderConfig;
use crate::packet::{NamespaceName, Packet, PacketKind};
use crate::parser::PacketDecoder;
use crate::payload::Payload;
use crate::server::ack::now;
use crate::server::callback;
use crate::server::config::Config;
use crate::server::namespace::registry::Registry;
use crate::server::reason::DisconnectReason;
use crate::server::socket::link::{Command, Op};

use inbox::{Inbox, Message};
use pacing::Pacing;
use slot::{Slot, Timers};

/// Receives the Engine.IO sessions of a Socket.IO server.
pub(crate) struct ClientHandler {
    pub(crate) registry: Weak<Registry>,
    pub(crate) config: Arc<Config>,
}

/// What a connection's task owns.
pub(crate) struct Connection {
    engine: EngineSocket,
    inbox: Arc<Inbox>,
    /// The async callbacks its events started that still run.
    pacing: Arc<Pacing>,
    decoder: Box<dyn PacketDecoder>,
    slots: HashMap<NamespaceName, Slot>,
    /// CONNECTs whose namespace a dynamic parent is still deciding on.
    resolving: HashSet<NamespaceName>,
    registry: Weak<Registry>,
    config: Arc<Config>,
    timers: Timers,
}

impl Handler for ClientHandler {
    type Connection = Connection;

    fn on_connect(&self, engine: EngineSocket) -> Connection {
        let config = DecoderConfig {
            max_attachments: self.config.max_attachments,
            max_json_depth: self.config.max_json_depth,
            ..DecoderConfig::default()
        };
        let mut connection = Connection {
            inbox: Arc::new(Inbox::new(engine.clone(), self.config.max_pending_acks)),
            pacing: Pacing::new(engine.clone(), self.config.max_pending_handlers),
            engine,
            decoder: self.config.parser.decoder(config),
            slots: HashMap::new(),
            resolving: HashSet::new(),
            registry: self.registry.clone(),
            config: self.config.clone(),
            timers: Timers::default(),
        };
        connection.timers.connect = Some(now() + self.config.connect_timeout);
        connection.rearm();
        if connection.speaks_v4() {
            connection.join_main_namespace();
        }
        connection
    }

    fn on_message(&self, connection: &mut Connection, message: EngineMessage) {
        connection.apply_inbox();
        match connection.decoder.feed(message) {
            Ok(Some(packet)) => {
                connection.on_packet(packet);
                connection.pacing.check();
            }
            Ok(None) => {}
            // A packet we cannot decode closes the connection; its sockets end with the
            // engine's `forced close`, as in the reference.
            Err(error) => {
                tracing::debug!(%error, "undecodable packet: closing the connection");
                connection.engine.close();
            }
        }
    }

    fn on_signal(&self, connection: &mut Connection) {
        connection.apply_inbox();
        connection.pacing.check();
    }

    fn on_timer(&self, connection: &mut Connection) {
        connection.apply_inbox();
        connection.on_timer();
    }

    fn on_close(&self, mut connection: Connection, reason: engineio::DisconnectReason) {
        let rest = connection.inbox.close();
        connection.apply(rest);
        connection.close_all(DisconnectReason::from(reason));
    }
}

impl Connection {
    fn apply_inbox(&mut self) {
        let messages = self.inbox.take();
        self.apply(messages);
    }

    fn apply(&mut self, messages: impl IntoIterator<Item = Message>) {
        for message in messages {
            match message {
                Message::Socket(command) => self.command(command),
                Message::Resolved(resolution) => {
                    let inbox::Resolution { name, auth, found } = *resolution;
                    self.resolved(name, auth, found);
                }
                Message::Admitted { socket, verdict } => self.admitted(&socket, verdict),
                Message::Restored(lookup) => {
                    let inbox::Lookup {
                        namespace,
                        auth,
                        restored,
                    } = *lookup;
                    self.restored(&namespace, auth, restored);
                }
            }
        }
        self.rearm();
    }

    /// A command for one of this connection's sockets; one for a socket that is gone (or a
    /// later socket of the same namespace) does nothing.
    fn command(&mut self, command: Command) {
        let Command {
            socket,
            namespace,
            op,
        } = command;
        let Some(slot) = self
            .slots
            .get_mut(&namespace)
            .filter(|s| *s.socket.sid() == socket)
        else {
            if let Op::ExpectAck { waiter, .. } = op {
                waiter.fail(crate::server::error::AckError::Disconnected);
            }
            return;
        };
        match op {
            Op::ExpectAck {
                id,
                waiter,
                expires,
            } => {
                let max = self.config.max_pending_acks;
                if slot.expect(id, waiter, expires, max) {
                    if let Some(at) = expires {
                        self.timers.add_ack(at, &namespace, id);
                    }
                }
            }
            Op::Leave(reason) => self.close_slot(&namespace, reason),
            Op::CloseAll => self.disconnect_all(),
            op => slot.register(op),
        }
    }

    fn on_packet(&mut self, packet: Packet) {
        let packet = match self.speaks_v4() {
            true => match protocol4::route(packet) {
                Some(packet) => packet,
                None => {
                    tracing::debug!("a namespace that is no URL path: closing the connection");
                    return self.engine.close();
                }
            },
            false => packet,
        };
        let namespace = packet.namespace;
        let joined = self.slots.get(&namespace).is_some_and(|slot| slot.joined);
        match (joined, packet.kind) {
            (false, PacketKind::Connect(auth)) if !self.slots.contains_key(&namespace) => {
                self.connect(namespace, auth)
            }
            (true, PacketKind::Event { name, args, ack }) => {
                if let Some(slot) = self.slots.get(&namespace) {
                    dispatch::event(slot, &self.pacing, &name, args, ack);
                }
            }
            (true, PacketKind::Ack { id, args }) => self.on_ack(&namespace, id, args),
            (true, PacketKind::Disconnect) => {
                self.close_slot(&namespace, DisconnectReason::ClientNamespaceDisconnect)
            }
            _ => self.close_invalid_state(),
        }
    }

    /// An acknowledgement from the client. An unknown id is ignored, as the reference does.
    fn on_ack(&mut self, namespace: &NamespaceName, id: u64, args: Payload) {
        let Some(slot) = self.slots.get_mut(namespace) else {
            return;
        };
        if let Some((waiter, expires)) = slot.answered(id) {
            if let Some(at) = expires {
                self.timers.remove_ack(at, namespace, id);
            }
            waiter.deliver(args);
        }
    }

    fn on_timer(&mut self) {
        self.timers.fired();
        let now = now();
        for (namespace, id) in self.timers.expired_acks(now) {
            // The emitter's own timeout started a moment after this deadline was taken, so it
            // may not have fired yet: it learns the timeout here (not a dropped waiter, which
            // it would read as a disconnection).
            let expired = self.slots.get_mut(&namespace).and_then(|s| s.answered(id));
            if let Some((waiter, _)) = expired {
                waiter.fail(crate::server::error::AckError::Timeout);
            }
        }
        let connect_due = self.timers.connect.is_some_and(|at| at <= now);
        if connect_due {
            self.timers.connect = None;
            if !self.slots.values().any(|slot| slot.joined) {
                self.close_all(DisconnectReason::ForcedServerClose);
                self.engine.close();
            }
        }
        self.rearm();
    }

    fn rearm(&mut self) {
        if let Some(deadline) = self.timers.rearm() {
            if self.engine.set_deadline(deadline).is_err() {
                // The session is ending; its close ends every wait.
                tracing::trace!("no timer for a closing session");
            }
        }
    }

    /// Ends the connection after a packet that is invalid in its state (for a namespace not
    /// joined, a second CONNECT, a CONNECT_ERROR from the client). The reference closes the
    /// engine connection, then ends the sockets with `forced server close`; but when the
    /// transport can close at once (WebSocket, or a poll waiting with nothing queued) that
    /// close has already ended them with `forced close`.
    fn close_invalid_state(&mut self) {
        let reason = match self.engine.is_writable() {
            true => DisconnectReason::ForcedClose,
            false => DisconnectReason::ForcedServerClose,
        };
        self.close_all(reason);
        self.engine.close();
    }

    /// Disconnects every socket from the server side, then closes the connection
    /// (`disconnect(true)`): each socket reports `server namespace disconnect`.
    fn disconnect_all(&mut self) {
        let names: Vec<NamespaceName> = self.slots.keys().cloned().collect();
        for name in names {
            let Some(slot) = self.slots.get(&name) else {
                continue;
            };
            if slot.joined {
                slot.socket.send_disconnect();
            }
            self.close_slot(&name, DisconnectReason::ServerNamespaceDisconnect);
        }
        self.engine.close();
    }

    /// Ends every socket with `reason`.
    fn close_all(&mut self, reason: DisconnectReason) {
        let names: Vec<NamespaceName> = self.slots.keys().cloned().collect();
        for name in names {
            self.close_slot(&name, reason);
        }
    }

    /// A socket leaves: its `disconnecting` handlers (rooms still visible), its rooms left,
    /// its pending acks failed, then its `disconnect` handlers. A socket whose middlewares
    /// still run is just dropped (their verdict will find no slot).
    fn close_slot(&mut self, name: &NamespaceName, reason: DisconnectReason) {
        let Some(slot) = self.slots.remove(name) else {
            return;
        };
        let socket = slot.socket;
        let ns = socket.nsp();
        for (id, pending) in slot.acks {
            if let Some(at) = pending.expires() {
                self.timers.remove_ack(at, name, id);
            }
            pending.fail();
        }
        if !slot.joined {
            ns.0.remove(socket.id());
            return;
        }
        ns.0.update(|state| state.begin_leave(socket.id()));
        for handler in &slot.handlers.disconnecting {
            callback::run(&"disconnecting handler", || handler(socket.clone(), reason));
        }
        let session = recover::session_of(&socket, reason);
        ns.0.remove(socket.id());
        if let Some(session) = session {
            recover::persist(ns.clone(), session);
        }
        for handler in &slot.handlers.disconnect {
            callback::run(&"disconnect handler", || handler(socket.clone(), reason));
        }
    }
}

/// The payload of a CONNECT that came without one.
fn empty_auth() -> Value {
    Value::Object(serde_json::Map::new())
}
