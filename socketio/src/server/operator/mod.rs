//! Broadcast operators: which sockets, with which flags, then what to do with them.

mod namespace;
mod remote;
mod socket;

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use remote::{ClusterSocket, RemoteSocket};
pub use socket::SocketOperator;

use crate::adapter::{AdapterError, BroadcastFlags, BroadcastOptions};
use crate::packet::Packet;
use crate::payload::Payload;
use crate::server::ack::{now, Collector};
use crate::server::delivery::{event_packet, payload_event};
use crate::server::error::{EmitError, PartialAcks};
use crate::server::namespace::{Namespace, Shared};
use crate::server::socket::{IntoRooms, Socket};

/// A selection of sockets (rooms, exceptions) and flags; built by chaining, used by an
/// action (`emit`, `emit_with_ack`, `fetch_sockets`, `sockets_join`, ...).
///
/// ```
/// # use socketio::server::SocketIo;
/// let io = SocketIo::new();
/// // Each socket once, even when it is in both rooms.
/// io.to("room1").to("room2").except("muted").emit("news", "hello");
/// ```
#[derive(Clone)]
pub struct BroadcastOperator {
    ns: Namespace,
    opts: BroadcastOptions,
}

impl BroadcastOperator {
    pub(crate) fn new(ns: Namespace) -> Self {
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

    /// Same as [`BroadcastOperator::to`] (the reference's `in`).
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

    /// Sends an event to every selected socket, encoded once. A tuple is the argument list,
    /// any other value one argument. An event that cannot go out is logged (a reserved name,
    /// arguments that do not serialize); [`BroadcastOperator::try_emit`] returns the error.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) {
        if let Err(error) = self.try_emit(event, args) {
            error.report("broadcast");
        }
    }

    /// [`BroadcastOperator::emit`], with what went wrong.
    pub fn try_emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        let packet = event_packet(self.ns.name(), event, args, None)?;
        self.publish(&packet);
        Ok(())
    }

    /// Sends an event whose arguments are already a payload (e.g. an incoming event's); a
    /// reserved name is logged as [`BroadcastOperator::emit`] logs it.
    pub fn emit_payload(&self, event: &str, args: Payload) {
        match payload_event(self.ns.name(), event, args, None) {
            Ok(packet) => self.publish(&packet),
            Err(error) => error.report("broadcast"),
        }
    }

    /// The namespaces an operation applies to: a dynamic parent's children, or the one.
    fn family(&self) -> Vec<Arc<Shared>> {
        self.ns.0.family()
    }

    /// Publishes in each namespace of a dynamic family (or the one).
    fn publish(&self, packet: &Packet) {
        for ns in self.family() {
            ns.publish(
                Packet::new(ns.name.clone(), packet.kind.clone()),
                &self.opts,
            );
        }
    }

    /// Sends an event to every selected socket, on every node, and collects the first
    /// argument of each answer. Without [`BroadcastOperator::timeout`] the wait ends at once,
    /// as in the reference. When the timeout fires first, or an answer does not deserialize
    /// to `R`, the error carries the answers that came and fit (see [`PartialAcks`]).
    pub async fn emit_with_ack<T, R>(&self, event: &str, args: &T) -> Result<Vec<R>, PartialAcks<R>>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned + Send + 'static,
    {
        let packet = event_packet(self.ns.name(), event, args, None).map_err(PartialAcks::none)?;
        let limit = self.opts.timeout().unwrap_or_default();
        let collector = Collector::<R>::new(0, 0);
        let on_ack = collector.answers();
        for ns in self.family() {
            let packet = Packet::new(ns.name.clone(), packet.kind.clone());
            let local = ns.deliver_with_ack(&packet, &self.opts, &on_ack, now() + limit);
            let servers = match self.opts.is_local() {
                true => 0,
                false => ns.adapter.server_count().await.saturating_sub(1),
            };
            collector.expect(local, servers);
            if servers > 0 {
                ns.adapter
                    .broadcast_with_ack(&packet, &self.opts, collector.sink())
                    .map_err(PartialAcks::none)?;
            }
        }
        collector.wait(limit).await
    }

    /// The selected sockets, local and (through the adapter) on other nodes.
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, AdapterError> {
        let mut found: Vec<RemoteSocket> = self
            .local_sockets()
            .into_iter()
            .map(RemoteSocket::Local)
            .collect();
        if !self.opts.is_local() {
            let remote = self.ns.0.adapter.fetch_sockets(&self.opts).await?;
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
        self.family()
            .iter()
            .flat_map(|ns| ns.select(&self.opts))
            .collect()
    }

    /// Makes the selected sockets join rooms.
    pub fn sockets_join(&self, rooms: impl IntoRooms) {
        let rooms = rooms.into_rooms();
        for ns in self.family() {
            ns.join_selected(&self.opts, &rooms);
            if !self.opts.is_local() {
                if let Err(error) = ns.adapter.sockets_join(&self.opts, &rooms) {
                    tracing::warn!(%error, "sockets_join not published to the other nodes");
                }
            }
        }
    }

    /// Makes the selected sockets leave rooms.
    pub fn sockets_leave(&self, rooms: impl IntoRooms) {
        let rooms = rooms.into_rooms();
        for ns in self.family() {
            ns.leave_selected(&self.opts, &rooms);
            if !self.opts.is_local() {
                if let Err(error) = ns.adapter.sockets_leave(&self.opts, &rooms) {
                    tracing::warn!(%error, "sockets_leave not published to the other nodes");
                }
            }
        }
    }

    /// Disconnects the selected sockets (`server namespace disconnect`); with `close`, their
    /// whole connections.
    pub fn disconnect_sockets(&self, close: bool) {
        for ns in self.family() {
            for socket in ns.select(&self.opts) {
                socket.disconnect(close);
            }
            if !self.opts.is_local() {
                if let Err(error) = ns.adapter.disconnect_sockets(&self.opts, close) {
                    tracing::warn!(%error, "disconnect_sockets not published to the other nodes");
                }
            }
        }
    }
}
