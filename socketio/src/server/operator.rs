//! Broadcast operators: which sockets, with which flags, then what to do with them.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::mpsc;

use super::ack::{AckTally, AckWaiter, BroadcastAckError};
use super::emit::{event_packet, Delivery, EmitError};
use super::namespace::NsInner;
use super::remote::{ClusterSocket, RemoteSocket};
use super::socket::Socket;
use crate::adapter::{
    AckEvent, AckSink, AdapterError, BroadcastFlags, BroadcastOptions, SocketData,
};
use crate::packet::{Packet, PacketKind};
use crate::payload::Payload;
use crate::room::Room;

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

/// A selection of sockets (rooms, exceptions) and flags; built by chaining, used by an
/// action (`emit`, `emit_with_ack`, `fetch_sockets`, `sockets_join`, ...).
///
/// ```
/// # use socketio::server::SocketIo;
/// let io = SocketIo::new();
/// // Each socket once, even when it is in both rooms.
/// let _ = io.to("room1").to("room2").except("muted").emit("news", &("hello",));
/// ```
#[derive(Clone)]
pub struct BroadcastOperator {
    ns: Arc<NsInner>,
    opts: BroadcastOptions,
}

impl BroadcastOperator {
    pub(crate) fn new(ns: Arc<NsInner>) -> Self {
        Self {
            ns,
            opts: BroadcastOptions::default(),
        }
    }

    /// Adds target rooms (a union: each socket once).
    pub fn to(mut self, rooms: impl IntoRooms) -> Self {
        self.opts.rooms.extend(rooms.into_rooms());
        self
    }

    /// Same as [`BroadcastOperator::to`].
    pub fn within(self, rooms: impl IntoRooms) -> Self {
        self.to(rooms)
    }

    /// Excludes the sockets in `rooms`.
    pub fn except(mut self, rooms: impl IntoRooms) -> Self {
        self.opts.except.extend(rooms.into_rooms());
        self
    }

    /// This node only: nothing goes to the adapter.
    pub fn local(mut self) -> Self {
        self.opts.flags.local = Some(true);
        self
    }

    /// Drops the event for clients that cannot take it right now.
    pub fn volatile(mut self) -> Self {
        self.opts.flags.volatile = Some(true);
        self
    }

    /// The compression flag (on unless set off): carried to other nodes, and to the engine,
    /// which compresses a polling response when one of its packets allows it.
    pub fn compress(mut self, compress: bool) -> Self {
        self.opts.flags.compress = Some(compress);
        self
    }

    /// The time [`BroadcastOperator::emit_with_ack`] waits for answers.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.opts.flags.timeout = Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Takes over flags set beforehand (a socket's `volatile()`, `compress()`, `timeout()`).
    pub(crate) fn with_flags(mut self, flags: BroadcastFlags) -> Self {
        self.opts.flags = flags;
        self
    }

    /// The options this operator carries.
    pub fn options(&self) -> &BroadcastOptions {
        &self.opts
    }

    /// Sends an event to every selected socket; the packet is encoded once.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        let packet = event_packet(&self.ns.name, event, args, None)?;
        self.publish(&packet);
        Ok(())
    }

    /// Sends an event whose arguments are already a payload (e.g. an incoming event's).
    pub fn emit_payload(&self, event: &str, args: Payload) -> Result<(), EmitError> {
        if crate::packet::is_reserved_event(event) {
            return Err(EmitError::Reserved(event.to_owned()));
        }
        self.publish(&Packet::event(self.ns.name.clone(), event, args));
        Ok(())
    }

    /// Delivers locally (each namespace of a dynamic family) and tells the other nodes.
    fn publish(&self, packet: &Packet) {
        for ns in self.ns.family() {
            let packet = Packet::new(ns.name.clone(), packet.kind.clone());
            deliver(&ns, &packet, &self.opts);
            if !self.opts.is_local() {
                let _ = ns.adapter.broadcast(&packet, &self.opts);
            }
        }
    }

    /// Sends an event to every selected socket, on every node, and collects the first
    /// argument of each answer. Without [`BroadcastOperator::timeout`] the wait ends at once,
    /// as in the reference. When the timeout fires first, or an answer does not deserialize
    /// to `R`, the error carries the answers that came and fit (see [`BroadcastAckError`]).
    pub async fn emit_with_ack<T, R>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<Vec<R>, BroadcastAckError<R>>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let packet =
            event_packet(&self.ns.name, event, args, None).map_err(BroadcastAckError::new)?;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let sink: AckSink<AckEvent> = Arc::new(move |report| {
            let _ = tx.send(report);
        });
        let local_sink = sink.clone();
        let on_ack: AckSink<Payload> = Arc::new(move |answer| local_sink(AckEvent::Ack(answer)));
        let local = deliver_with_ack(&self.ns, &packet, &self.opts, &on_ack);
        let servers = match self.opts.is_local() {
            true => 0,
            false => self.ns.adapter.server_count().await.saturating_sub(1),
        };
        if servers > 0 {
            self.ns
                .adapter
                .broadcast_with_ack(&packet, &self.opts, sink)
                .map_err(BroadcastAckError::new)?;
        }
        let mut tally = AckTally::new(local, servers);
        let limit = self.opts.timeout().unwrap_or_default();
        let _ = tokio::time::timeout(limit, tally.collect(&mut rx)).await;
        tally.finish()
    }

    /// The selected sockets, local and (through the adapter) on other nodes.
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, AdapterError> {
        let mut found: Vec<RemoteSocket> = self
            .ns
            .family()
            .iter()
            .flat_map(|ns| ns.select(&self.opts))
            .map(RemoteSocket::Local)
            .collect();
        if !self.opts.is_local() {
            let remote = self.ns.adapter.fetch_sockets(&self.opts).await?;
            let ns = BroadcastOperator::new(self.ns.clone());
            found.extend(
                remote.into_iter().map(|data| {
                    RemoteSocket::Remote(Box::new(ClusterSocket::new(data, ns.clone())))
                }),
            );
        }
        Ok(found)
    }

    /// The selected sockets of this node, at once.
    pub fn local_sockets(&self) -> Vec<Socket> {
        self.ns
            .family()
            .iter()
            .flat_map(|ns| ns.select(&self.opts))
            .collect()
    }

    /// Makes the selected sockets join rooms.
    pub fn sockets_join(&self, rooms: impl IntoRooms) {
        let rooms = rooms.into_rooms();
        for ns in self.ns.family() {
            ns.select(&self.opts)
                .iter()
                .for_each(|s| ns.join(s, &rooms));
            if !self.opts.is_local() {
                let _ = ns.adapter.sockets_join(&self.opts, &rooms);
            }
        }
    }

    /// Makes the selected sockets leave rooms.
    pub fn sockets_leave(&self, rooms: impl IntoRooms) {
        let rooms = rooms.into_rooms();
        for ns in self.ns.family() {
            ns.select(&self.opts)
                .iter()
                .for_each(|s| ns.leave(s.sid(), &rooms));
            if !self.opts.is_local() {
                let _ = ns.adapter.sockets_leave(&self.opts, &rooms);
            }
        }
    }

    /// Disconnects the selected sockets (`server namespace disconnect`); with `close`, their
    /// whole connections.
    pub fn disconnect_sockets(&self, close: bool) {
        for ns in self.ns.family() {
            ns.select(&self.opts)
                .iter()
                .for_each(|s| s.disconnect(close));
            if !self.opts.is_local() {
                let _ = ns.adapter.disconnect_sockets(&self.opts, close);
            }
        }
    }
}

/// Delivers a packet to the local sockets `opts` selects, encoding it once.
pub(crate) fn deliver(ns: &NsInner, packet: &Packet, opts: &BroadcastOptions) {
    let targets = ns.select(opts);
    if targets.is_empty() {
        return;
    }
    let delivery = Delivery::from_flags(&opts.flags);
    let encoded = packet.encode();
    for socket in &targets {
        let _ = socket.send_encoded(&encoded, delivery, packet);
    }
}

/// Delivers a packet that asks for acks, with this node's own ack id; returns the number of
/// clients it went to.
pub(crate) fn deliver_with_ack(
    ns: &NsInner,
    packet: &Packet,
    opts: &BroadcastOptions,
    on_ack: &AckSink<Payload>,
) -> usize {
    let id = ns.next_ack_id();
    let mut packet = packet.clone();
    if let PacketKind::Event { ack, .. } = &mut packet.kind {
        *ack = Some(id);
    }
    let targets = ns.select(opts);
    let delivery = Delivery::from_flags(&opts.flags);
    let encoded = packet.encode();
    for socket in &targets {
        socket.expect_ack(id, AckWaiter::Remote(on_ack.clone()));
        let _ = socket.send_encoded(&encoded, delivery, &packet);
    }
    targets.len()
}

/// A local socket as other nodes see it.
pub(crate) fn socket_data(socket: &Socket) -> SocketData {
    SocketData {
        id: socket.id().to_owned(),
        handshake: socket.handshake().to_json(),
        rooms: socket.rooms(),
        data: socket.data_json(),
    }
}
