//! What a namespace does to its local sockets, for its own operators and for what other
//! nodes send through the adapter ([`LocalNamespace`]).

use std::time::{Duration, Instant};

use super::state::Target;
use super::Shared;
use crate::adapter::{AckSink, BroadcastOptions, LocalNamespace, ServerReply, SocketData};
use crate::packet::{NamespaceName, Packet, PacketKind};
use crate::parser::Parser;
use crate::payload::Payload;
use crate::room::Room;
use crate::server::ack::AckWaiter;
use crate::server::callback;
use crate::server::delivery::{self, Delivery, Recipient};
use crate::server::socket::Socket;

/// How long this node waits for the clients' answers to another node's broadcast with acks
/// when that node set no timeout (the reference's requests timeout).
const REMOTE_ACK_WAIT: Duration = Duration::from_secs(5);

impl Recipient for Target {
    fn engine(&self) -> &engineio::server::Socket {
        self.socket.conn()
    }

    fn parser(&self) -> &dyn Parser {
        self.socket.parser()
    }

    fn on_outgoing(&self, name: &str, args: &Payload) {
        let Some(handlers) = &self.outgoing else {
            return;
        };
        for (_, handler) in handlers.iter() {
            let socket = self.socket.clone();
            callback::run(&"outgoing handler", || handler(socket, name, args));
        }
    }
}

impl Shared {
    /// The local sockets `opts` selects, each once.
    pub(crate) fn select(&self, opts: &BroadcastOptions) -> Vec<Socket> {
        let targets = self.read().targets(opts);
        targets.into_iter().map(|target| target.socket).collect()
    }

    /// Delivers a packet to the local sockets `opts` selects, encoding it once; returns how
    /// many took it.
    pub(crate) fn deliver(&self, packet: &Packet, opts: &BroadcastOptions) -> usize {
        let targets = self.read().targets(opts);
        delivery::fan_out(&targets, packet, Delivery::from_flags(&opts.flags))
    }

    /// Emits a packet from this node: kept with its offset when connection state recovery is
    /// on and it can be replayed, delivered to the local sockets `opts` selects, and
    /// published to the other nodes unless `local`.
    pub(crate) fn publish(&self, mut packet: Packet, opts: &BroadcastOptions) {
        if self.config.recovery.is_some() {
            self.adapter.keep_packet(&mut packet, opts);
        }
        self.deliver(&packet, opts);
        if opts.is_local() {
            return;
        }
        if let Err(error) = self.adapter.broadcast(&packet, opts) {
            tracing::warn!(%error, "broadcast not published to the other nodes");
        }
    }

    /// Delivers a packet that asks for acks, with this node's own ack id, each answer going to
    /// `on_ack` until `expires`; returns how many clients will answer.
    pub(crate) fn deliver_with_ack(
        &self,
        packet: &Packet,
        opts: &BroadcastOptions,
        on_ack: &AckSink<Payload>,
        expires: Instant,
    ) -> usize {
        let (id, targets) = self.update(|state| (state.next_ack_id(), state.targets(opts)));
        let mut packet = packet.clone();
        if let PacketKind::Event { ack, .. } = &mut packet.kind {
            *ack = Some(id);
        }
        let delivery = Delivery::from_flags(&opts.flags);
        let encoded = match self.config.parser.encode(&packet) {
            Ok(encoded) => encoded,
            Err(error) => {
                tracing::error!(%error, "broadcast not sent: the parser cannot encode it");
                return 0;
            }
        };
        let mut waiting = 0;
        for target in &targets {
            let waiter = AckWaiter::Broadcast(on_ack.clone());
            // A socket past its pending-acks cap still gets the packet, as every target of a
            // broadcast does; the broadcast just does not wait for its answer.
            let expected = target.socket.expect_ack(id, waiter, Some(expires));
            let sent = delivery::send_encoded(target, &encoded, &packet, delivery).is_ok();
            waiting += usize::from(expected && sent);
        }
        waiting
    }

    /// A local socket as other nodes see it.
    pub(crate) fn socket_data(&self, socket: &Socket) -> SocketData {
        let state = self.read();
        let data = state.entry(socket.id()).map(|entry| entry.data.clone());
        SocketData {
            id: socket.id().to_owned(),
            handshake: socket.handshake().to_json(),
            rooms: state.rooms_of(socket.id()),
            data: data.unwrap_or_default(),
        }
    }

    /// Makes the selected local sockets join rooms.
    pub(crate) fn join_selected(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        self.update(|state| {
            for target in state.targets(opts) {
                state.join(target.socket.sid(), rooms);
            }
        });
    }

    /// Makes the selected local sockets leave rooms.
    pub(crate) fn leave_selected(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        self.update(|state| {
            for target in state.targets(opts) {
                state.leave(target.socket.sid(), rooms);
            }
        });
    }
}

impl LocalNamespace for Shared {
    fn name(&self) -> &NamespaceName {
        &self.name
    }

    fn all_rooms(&self) -> Vec<Room> {
        self.read().all_rooms()
    }

    fn broadcast(&self, packet: &Packet, opts: &BroadcastOptions) {
        self.deliver(packet, opts);
    }

    fn sockets_join(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        self.join_selected(opts, rooms);
    }

    fn sockets_leave(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        self.leave_selected(opts, rooms);
    }

    fn disconnect_sockets(&self, opts: &BroadcastOptions, close: bool) {
        for socket in self.select(opts) {
            socket.disconnect(close);
        }
    }

    fn fetch_sockets(&self, opts: &BroadcastOptions) -> Vec<SocketData> {
        let sockets = self.select(opts);
        sockets
            .iter()
            .map(|socket| self.socket_data(socket))
            .collect()
    }

    fn broadcast_with_ack(
        &self,
        packet: &Packet,
        opts: &BroadcastOptions,
        on_ack: AckSink<Payload>,
    ) -> usize {
        let wait = opts.timeout().unwrap_or(REMOTE_ACK_WAIT);
        let expires = crate::server::ack::now() + wait;
        self.deliver_with_ack(packet, opts, &on_ack, expires)
    }

    fn server_side_emit(&self, event: &str, args: Payload, reply: Option<ServerReply>) {
        self.server_event(event, args, reply);
    }
}
