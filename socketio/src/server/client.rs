//! One Engine.IO connection and the namespaces it joined.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use engineio::packet::Message;
use engineio::server::{Handler, Socket as EngineSocket};
use serde_json::{json, Value};

use super::namespace::{ConnectError, NsInner};
use super::reason::DisconnectReason;
use super::socket::Socket;
use super::IoInner;
use crate::decoder::{Decoder, DecoderConfig};
use crate::packet::{NamespaceName, Packet, PacketKind};

/// The shared side of a connection: its Engine.IO socket and its namespace sockets.
pub(crate) struct Client {
    pub(crate) engine: EngineSocket,
    sockets: Mutex<HashMap<NamespaceName, Socket>>,
}

/// What the connection's driver task owns: the shared client and the packet decoder.
pub(crate) struct Connection {
    client: Arc<Client>,
    decoder: Decoder,
    io: Weak<IoInner>,
}

/// Receives the Engine.IO sessions of a Socket.IO server.
pub(crate) struct ClientHandler {
    pub(crate) io: Weak<IoInner>,
}

impl Client {
    fn sockets(&self) -> MutexGuard<'_, HashMap<NamespaceName, Socket>> {
        self.sockets.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn forget(&self, namespace: &NamespaceName) {
        self.sockets().remove(namespace);
    }

    fn all(&self) -> Vec<Socket> {
        self.sockets().values().cloned().collect()
    }

    fn send(&self, packet: &Packet) {
        let _ = self.engine.send_all(packet.encode().messages());
    }

    /// Disconnects every namespace from the server side, then closes the connection.
    pub(crate) fn disconnect_all(&self) {
        self.all()
            .iter()
            .for_each(|socket| socket.disconnect(false));
        self.engine.close();
    }

    /// Ends every socket with `reason` and closes the connection.
    fn close(&self, reason: DisconnectReason) {
        self.all().iter().for_each(|socket| socket.closed(reason));
        self.engine.close();
    }

    /// Ends the connection after a packet that is invalid in its state (for a namespace not
    /// joined, a second CONNECT, a CONNECT_ERROR from the client). The reference closes the
    /// engine connection, then ends the sockets with `forced server close`; but when the
    /// transport can close at once (WebSocket, or a poll waiting with nothing queued) that
    /// close has already ended them with `forced close`.
    fn close_invalid_state(&self) {
        let reason = match self.engine.is_writable() {
            true => DisconnectReason::ForcedClose,
            false => DisconnectReason::ForcedServerClose,
        };
        self.close(reason);
    }
}

impl Handler for ClientHandler {
    type Connection = Connection;

    fn on_connect(&self, engine: EngineSocket) -> Connection {
        let mut config = DecoderConfig::default();
        if let Some(io) = self.io.upgrade() {
            engine.set_timer(Some(io.config.connect_timeout));
            config.max_attachments = io.config.max_attachments;
            config.max_json_depth = io.config.max_json_depth;
        }
        let decoder = Decoder::new(config);
        let client = Arc::new(Client {
            engine,
            sockets: Mutex::new(HashMap::new()),
        });
        Connection {
            client,
            decoder,
            io: self.io.clone(),
        }
    }

    fn on_message(&self, connection: &mut Connection, message: Message) {
        match connection.decoder.feed(message) {
            Ok(Some(packet)) => connection.on_packet(packet),
            Ok(None) => {}
            // A packet we cannot decode closes the connection; its sockets end with the
            // engine's `forced close`, as in the reference.
            Err(_) => connection.client.engine.close(),
        }
    }

    fn on_close(&self, connection: Connection, reason: engineio::DisconnectReason) {
        let reason = DisconnectReason::from(reason);
        connection
            .client
            .all()
            .iter()
            .for_each(|socket| socket.closed(reason));
    }

    fn on_timer(&self, connection: &mut Connection) {
        if connection.client.sockets().is_empty() {
            connection.client.close(DisconnectReason::ForcedServerClose);
        }
    }
}

impl Connection {
    fn on_packet(&mut self, packet: Packet) {
        let socket = self.client.sockets().get(&packet.namespace).cloned();
        match (socket, packet.kind) {
            (None, PacketKind::Connect(auth)) => self.connect(packet.namespace, auth),
            (Some(socket), PacketKind::Event { name, args, ack }) => {
                socket.on_event(name, args, ack)
            }
            (Some(socket), PacketKind::Ack { id, args }) => socket.on_ack(id, args),
            (Some(socket), PacketKind::Disconnect) => {
                socket.closed(DisconnectReason::ClientNamespaceDisconnect)
            }
            _ => self.client.close_invalid_state(),
        }
    }

    fn connect(&mut self, name: NamespaceName, auth: Option<Value>) {
        let auth = auth.unwrap_or_else(|| json!({}));
        let Some(ns) = self
            .io
            .upgrade()
            .and_then(|io| io.namespace_for(&name, &auth))
        else {
            let refusal = ConnectError::new("Invalid namespace").to_json();
            self.client
                .send(&Packet::new(name, PacketKind::ConnectError(refusal)));
            return;
        };
        let socket = Socket::new(ns.clone(), self.client.clone(), auth);
        let middlewares = ns.middlewares();
        if middlewares.is_empty() {
            finish_connect(&ns, &self.client, &socket);
            return;
        }
        let client = self.client.clone();
        tokio::spawn(async move {
            let mut refusal = None;
            for middleware in middlewares {
                if let Err(error) = middleware(socket.clone()).await {
                    refusal = Some(error);
                    break;
                }
            }
            // A refused socket, or one whose client went while the middlewares ran, is
            // dropped with whatever rooms a middleware made it join; only a client still
            // there hears of a refusal.
            let gone = client.engine.is_closed();
            if gone || refusal.is_some() {
                ns.remove(&socket);
            }
            match refusal {
                _ if gone => {}
                Some(error) => {
                    let kind = PacketKind::ConnectError(error.to_json());
                    client.send(&Packet::new(ns.name.clone(), kind));
                }
                None => finish_connect(&ns, &client, &socket),
            }
        });
    }
}

/// Joins the namespace: the socket is registered, the CONNECT answer (`{"sid"}`) goes out,
/// then the connection handlers run.
fn finish_connect(ns: &Arc<NsInner>, client: &Arc<Client>, socket: &Socket) {
    {
        let mut sockets = client.sockets();
        if sockets.contains_key(&ns.name) {
            drop(sockets);
            ns.remove(socket);
            client.close_invalid_state();
            return;
        }
        sockets.insert(ns.name.clone(), socket.clone());
    }
    client.engine.set_timer(None);
    ns.add(socket);
    let reply = Packet::connect(ns.name.clone(), Some(json!({ "sid": socket.id() })));
    client.send(&reply);
    ns.run_connection_handlers(socket);
}
