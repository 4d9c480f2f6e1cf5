//! The sharded protocol of `@socket.io/redis-adapter` (`createShardedAdapter`): the
//! `ClusterAdapter` messages of socket.io-adapter over Redis 7 sharded pub/sub.
//!
//! Every message is `{type, data, uid, nsp}`, JSON unless it may carry binary and does (then
//! notepack msgpack). Messages go to `prefix#nsp#` (or a room's `prefix#nsp#room#` in the
//! dynamic subscription modes), answers to the requester's `prefix#nsp#uid#`. Servers are
//! counted with `PUBSUB SHARDNUMSUB prefix#nsp#`.

mod receive;
mod rooms;

use std::sync::{Arc, Weak};

use rmpv::Value as Mp;
use socketio::adapter::{
    AckEvent, AckSink, Adapter, AdapterError, BoxFuture, BroadcastOptions, LocalNamespace,
    ServerReplies, SocketData,
};
use socketio::packet::Packet;
use socketio::room::Room;
use socketio::Payload;

use crate::config::SubscriptionMode;
use crate::core::Core;
use crate::hub::{Kind, Listener};
use crate::ids::hex16;
use crate::value::{encode_json, encode_msgpack, has_binary, map};
use crate::wire::{
    event_data, opts_to_mp, packet_to_mp, rooms_to_mp, single_room, sockets_from_mp,
};

use rooms::RoomChannels;

/// The `MessageType` of socket.io-adapter's `ClusterAdapter`.
pub(crate) mod message {
    pub(crate) const BROADCAST: u64 = 3;
    pub(crate) const SOCKETS_JOIN: u64 = 4;
    pub(crate) const SOCKETS_LEAVE: u64 = 5;
    pub(crate) const DISCONNECT_SOCKETS: u64 = 6;
    pub(crate) const FETCH_SOCKETS: u64 = 7;
    pub(crate) const FETCH_SOCKETS_RESPONSE: u64 = 8;
    pub(crate) const SERVER_SIDE_EMIT: u64 = 9;
    pub(crate) const SERVER_SIDE_EMIT_RESPONSE: u64 = 10;
    pub(crate) const BROADCAST_CLIENT_COUNT: u64 = 11;
    pub(crate) const BROADCAST_ACK: u64 = 12;

    /// The types whose data may hold binary: sent as msgpack when it does.
    pub(crate) fn may_carry_binary(kind: u64) -> bool {
        matches!(
            kind,
            BROADCAST
                | BROADCAST_ACK
                | FETCH_SOCKETS_RESPONSE
                | SERVER_SIDE_EMIT
                | SERVER_SIDE_EMIT_RESPONSE
        )
    }
}

/// Room names of 20 characters are taken for socket ids and kept off room channels in the
/// dynamic mode, as Node does: every node must decide the same way.
pub(crate) fn looks_like_a_socket_id(room: &str) -> bool {
    room.chars().count() == 20
}

/// The sharded adapter of one namespace.
pub(crate) struct ShardedAdapter(Arc<Inner>);

pub(crate) struct Inner {
    core: Core,
    mode: SubscriptionMode,
    /// `prefix#nsp#`.
    channel: String,
    /// `prefix#nsp#uid#`: answers for this node.
    response_channel: String,
    rooms: RoomChannels,
}

impl ShardedAdapter {
    pub(crate) fn new(core: Core, mode: SubscriptionMode) -> Self {
        let channel = format!("{}#{}#", core.config.key, core.nsp.as_str());
        let response_channel = format!("{channel}{}#", core.uid);
        Self(Arc::new_cyclic(|inner| Inner {
            rooms: RoomChannels::new(inner.clone(), core.hub.clone(), mode, &channel),
            core,
            mode,
            channel,
            response_channel,
        }))
    }
}

/// A core with this protocol's kind of uid.
pub(crate) fn uid() -> String {
    hex16()
}

impl Inner {
    /// `{type, data, uid, nsp}`, in Node's key order, JSON or msgpack as Node chooses.
    fn encode(&self, kind: u64, data: Option<Mp>) -> Vec<u8> {
        let binary = message::may_carry_binary(kind) && data.as_ref().is_some_and(has_binary);
        let mut fields = vec![(Mp::from("type"), Mp::from(kind))];
        fields.extend(data.map(|data| (Mp::from("data"), data)));
        fields.push((Mp::from("uid"), Mp::from(self.core.uid.as_str())));
        fields.push((Mp::from("nsp"), Mp::from(self.core.nsp.as_str())));
        let message = Mp::Map(fields);
        match binary {
            true => encode_msgpack(&message),
            false => encode_json(&message),
        }
    }

    /// Publishes a message nobody answers (refused when the publish queue is full).
    fn publish(&self, channel: String, kind: u64, data: Mp) -> Result<(), AdapterError> {
        let bytes = self.encode(kind, Some(data));
        self.core.publish(channel, bytes, true)
    }

    /// Publishes a request registered as `id` on the main channel.
    fn publish_request(&self, id: &str, kind: u64, data: Mp) -> Result<(), AdapterError> {
        let bytes = self.encode(kind, Some(data));
        self.core
            .publish_request(id, self.channel.clone(), bytes, true)
    }

    /// Answers go to the requester's own channel (a refusal is traced).
    fn publish_response(&self, requester: &str, kind: u64, data: Mp) {
        let channel = format!("{}{requester}#", self.channel);
        let bytes = self.encode(kind, Some(data));
        self.core.publish_answer(channel, bytes, true);
    }

    /// Where a broadcast goes: a room's channel for one room in the dynamic modes (not a
    /// socket-id-like room in `dynamic`), the main channel otherwise.
    fn broadcast_channel(&self, opts: &BroadcastOptions) -> String {
        let room = single_room(opts).filter(|room| match self.mode {
            SubscriptionMode::Static => false,
            SubscriptionMode::Dynamic => !looks_like_a_socket_id(room),
            SubscriptionMode::DynamicPrivate => true,
        });
        match room {
            Some(room) => rooms::room_channel(&self.channel, room),
            None => self.channel.clone(),
        }
    }

    fn rooms_message(
        &self,
        kind: u64,
        opts: &BroadcastOptions,
        rooms: &[Room],
    ) -> Result<(), AdapterError> {
        let data = map([("opts", opts_to_mp(opts)), ("rooms", rooms_to_mp(rooms))]);
        self.publish(self.channel.clone(), kind, data)
    }
}

impl Adapter for ShardedAdapter {
    fn init(&self, namespace: Weak<dyn LocalNamespace>) -> BoxFuture<'_, Result<(), AdapterError>> {
        self.0.core.set_local(namespace);
        Box::pin(async move {
            let inner = &self.0;
            let listener: Arc<dyn Listener> = inner.clone();
            let channels = vec![inner.channel.clone(), inner.response_channel.clone()];
            inner.rooms.start();
            inner
                .core
                .hub
                .subscribe(Kind::Shard, channels, listener)
                .await
                .map_err(|error| error.to_adapter())
        })
    }

    fn broadcast(&self, packet: &Packet, opts: &BroadcastOptions) -> Result<(), AdapterError> {
        let inner = &self.0;
        let Some(packet) = packet_to_mp(packet, None) else {
            return Ok(());
        };
        let data = map([("packet", packet), ("opts", opts_to_mp(opts))]);
        inner.publish(inner.broadcast_channel(opts), message::BROADCAST, data)
    }

    fn sockets_join(&self, opts: &BroadcastOptions, rooms: &[Room]) -> Result<(), AdapterError> {
        self.0.rooms_message(message::SOCKETS_JOIN, opts, rooms)
    }

    fn sockets_leave(&self, opts: &BroadcastOptions, rooms: &[Room]) -> Result<(), AdapterError> {
        self.0.rooms_message(message::SOCKETS_LEAVE, opts, rooms)
    }

    fn disconnect_sockets(&self, opts: &BroadcastOptions, close: bool) -> Result<(), AdapterError> {
        let inner = &self.0;
        let data = map([("opts", opts_to_mp(opts)), ("close", Mp::Boolean(close))]);
        inner.publish(inner.channel.clone(), message::DISCONNECT_SOCKETS, data)
    }

    fn broadcast_with_ack(
        &self,
        packet: &Packet,
        opts: &BroadcastOptions,
        sink: AckSink<AckEvent>,
    ) -> Result<(), AdapterError> {
        let inner = &self.0;
        let Some(packet) = packet_to_mp(packet, None) else {
            return Ok(());
        };
        let id = hex16();
        let ttl = opts.timeout().unwrap_or(inner.core.config.requests_timeout);
        inner
            .core
            .pending
            .acks(&id, sink, ttl)
            .map_err(|error| error.to_adapter())?;
        let data = map([
            ("packet", packet),
            ("requestId", Mp::from(id.as_str())),
            ("opts", opts_to_mp(opts)),
        ]);
        // Always the main channel: the server count covers every node, so every node answers.
        inner.publish_request(&id, message::BROADCAST, data)
    }

    fn server_side_emit(
        &self,
        event: &str,
        args: &Payload,
        replies: Option<ServerReplies>,
    ) -> Result<(), AdapterError> {
        let inner = &self.0;
        let packet = ("packet", event_data(event, args));
        let Some(replies) = replies else {
            let data = map([packet]);
            return inner.publish(inner.channel.clone(), message::SERVER_SIDE_EMIT, data);
        };
        let id = hex16();
        inner
            .core
            .pending
            .replies(&id, replies.sink, replies.timeout)
            .map_err(|error| error.to_adapter())?;
        let data = map([("requestId", Mp::from(id.as_str())), packet]);
        inner.publish_request(&id, message::SERVER_SIDE_EMIT, data)
    }

    fn fetch_sockets(
        &self,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'_, Result<Vec<SocketData>, AdapterError>> {
        let opts = opts.clone();
        Box::pin(async move {
            let inner = &self.0;
            let core = &inner.core;
            let expected = core.servers_for_request(&inner.channel, true).await? - 1;
            if expected == 0 {
                return Ok(Vec::new());
            }
            let id = hex16();
            let timeout = opts.timeout().unwrap_or(core.config.requests_timeout);
            let rx = core
                .pending
                .collect(&id, expected, timeout)
                .map_err(|error| error.to_adapter())?;
            let data = map([
                ("opts", opts_to_mp(&opts)),
                ("requestId", Mp::from(id.as_str())),
            ]);
            inner.publish_request(&id, message::FETCH_SOCKETS, data)?;
            match core.pending.wait(&id, rx, timeout).await {
                Ok(answers) => Ok(answers.into_iter().flat_map(sockets_from_mp).collect()),
                Err(partial) => Err(AdapterError::Timeout(format!(
                    "only {} responses received out of {}",
                    partial.answers.len(),
                    partial.expected
                ))),
            }
        })
    }

    fn server_count(&self) -> BoxFuture<'_, usize> {
        Box::pin(self.0.core.server_count(&self.0.channel, true))
    }

    /// The `ClusterAdapter` protocol has no request for the rooms of the other nodes (Node's
    /// sharded adapter has no `allRooms`).
    fn all_rooms(&self) -> BoxFuture<'_, Result<Vec<Room>, AdapterError>> {
        Box::pin(std::future::ready(Err(AdapterError::Unsupported)))
    }

    fn room_created(&self, room: &Room, socket_room: bool) {
        self.0.rooms.created(room, socket_room);
    }

    fn room_deleted(&self, room: &Room) {
        self.0.rooms.deleted(room);
    }

    /// Unsubscribes (within the command timeout; a failure is traced) and forgets the
    /// pending requests.
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let inner = &self.0;
            inner.core.pending.clear();
            let mut channels = vec![inner.channel.clone(), inner.response_channel.clone()];
            channels.extend(inner.rooms.stop());
            let listener: Arc<dyn Listener> = inner.clone();
            let unsubscribed = inner.core.hub.unsubscribe(Kind::Shard, channels, &listener);
            if let Err(error) = unsubscribed.await {
                tracing::warn!(%error, nsp = %inner.core.nsp.as_str(), "cannot unsubscribe on close");
            }
        })
    }
}
