//! The classic protocol of `@socket.io/redis-adapter` (`createAdapter`).
//!
//! Broadcasts are notepack msgpack `[uid, packet, opts]` on `key#nsp#` (or `key#nsp#room#` for
//! exactly one room), which every node pattern-subscribes to. Requests go to
//! `key-request#nsp#` as JSON (msgpack for a broadcast with acks), answers to
//! `key-response#nsp#` (or the requester's own `key-response#nsp#uid#`). Servers are counted
//! with `PUBSUB NUMSUB key-request#nsp#`.

mod receive;

use std::sync::{Arc, Weak};

use rmpv::Value as Mp;
use socketio::adapter::{
    AckEvent, AckSink, Adapter, AdapterError, BoxFuture, BroadcastOptions, LocalNamespace,
    ServerReplies, SocketData,
};
use socketio::packet::Packet;
use socketio::room::Room;
use socketio::Payload;

use crate::core::Core;
use crate::hub::{Kind, Listener};
use crate::ids::uid2;
use crate::value::{encode_json, encode_msgpack, map, text_list};
use crate::wire::{
    event_data, opts_to_mp, packet_to_mp, rooms_to_mp, selection_to_mp, single_room,
    sockets_from_mp,
};

/// The request types of the classic protocol (`RequestType` in the Node adapter).
pub(crate) mod request {
    pub(crate) const SOCKETS: u64 = 0;
    pub(crate) const ALL_ROOMS: u64 = 1;
    pub(crate) const REMOTE_JOIN: u64 = 2;
    pub(crate) const REMOTE_LEAVE: u64 = 3;
    pub(crate) const REMOTE_DISCONNECT: u64 = 4;
    pub(crate) const REMOTE_FETCH: u64 = 5;
    pub(crate) const SERVER_SIDE_EMIT: u64 = 6;
    pub(crate) const BROADCAST: u64 = 7;
    pub(crate) const BROADCAST_CLIENT_COUNT: u64 = 8;
    pub(crate) const BROADCAST_ACK: u64 = 9;
}

/// The channels of one namespace.
pub(crate) struct Channels {
    /// `key#nsp#`: broadcasts (a room's name and `#` follow for one room).
    pub(crate) broadcast: String,
    /// `key-request#nsp#`.
    pub(crate) request: String,
    /// `key-response#nsp#`: answers, shared by every node.
    pub(crate) response: String,
    /// `key-response#nsp#uid#`: answers for this node only.
    pub(crate) own_response: String,
}

impl Channels {
    pub(crate) fn new(key: &str, nsp: &str, uid: &str) -> Self {
        let response = format!("{key}-response#{nsp}#");
        Self {
            broadcast: format!("{key}#{nsp}#"),
            request: format!("{key}-request#{nsp}#"),
            own_response: format!("{response}{uid}#"),
            response,
        }
    }
}

/// The classic adapter of one namespace.
pub(crate) struct ClassicAdapter(Arc<Inner>);

pub(crate) struct Inner {
    core: Core,
    channels: Channels,
}

impl ClassicAdapter {
    pub(crate) fn new(core: Core) -> Self {
        let channels = Channels::new(&core.config.key, core.nsp.as_str(), &core.uid);
        Self(Arc::new(Inner { core, channels }))
    }
}

impl Inner {
    /// Publishes a message nobody answers (refused when the publish queue is full).
    fn publish_json(&self, channel: &str, message: &Mp) -> Result<(), AdapterError> {
        self.core
            .publish(channel.to_owned(), encode_json(message), false)
    }

    /// An answer to another node's request (a refusal is traced).
    fn answer_json(&self, channel: String, message: &Mp) {
        self.core
            .publish_answer(channel, encode_json(message), false);
    }

    /// A request asking every node for a list (`field` of each answer), as Node does: the
    /// requester counts itself, so it waits for `servers - 1` answers. `what` names it in
    /// the timeout error, as Node does.
    async fn ask(
        &self,
        kind: u64,
        opts: Option<Mp>,
        field: &'static str,
        what: &str,
    ) -> Result<Vec<Mp>, AdapterError> {
        let core = &self.core;
        let servers = core
            .servers_for_request(&self.channels.request, false)
            .await?;
        if servers <= 1 {
            return Ok(Vec::new());
        }
        let id = uid2();
        let timeout = core.config.requests_timeout;
        let rx = core
            .pending
            .collect(&id, servers - 1, timeout)
            .map_err(|error| error.to_adapter())?;
        let mut fields = vec![
            ("uid", Mp::from(core.uid.as_str())),
            ("requestId", Mp::from(id.as_str())),
            ("type", Mp::from(kind)),
        ];
        fields.extend(opts.map(|opts| ("opts", opts)));
        let request = Mp::Map(fields.into_iter().map(|(k, v)| (Mp::from(k), v)).collect());
        let channel = self.channels.request.clone();
        core.publish_request(&id, channel, encode_json(&request), false)?;
        match core.pending.wait(&id, rx, timeout).await {
            Ok(answers) => Ok(answers.into_iter().map(|a| take_field(a, field)).collect()),
            Err(_) => Err(timeout_error(what)),
        }
    }

    fn remote_rooms_request(
        &self,
        kind: u64,
        opts: &BroadcastOptions,
        rooms: &[Room],
    ) -> Result<(), AdapterError> {
        let request = map([
            ("uid", Mp::from(self.core.uid.as_str())),
            ("type", Mp::from(kind)),
            ("opts", selection_to_mp(opts)),
            ("rooms", rooms_to_mp(rooms)),
        ]);
        self.publish_json(&self.channels.request, &request)
    }

    /// The channels `init` subscribes to and `close` unsubscribes from: the broadcast pattern,
    /// and the request and response channels.
    fn subscriptions(&self) -> (Vec<String>, Vec<String>) {
        let pattern = format!("{}*", self.channels.broadcast);
        let channels = vec![
            self.channels.request.clone(),
            self.channels.response.clone(),
            self.channels.own_response.clone(),
        ];
        (vec![pattern], channels)
    }
}

/// The `field` of an answer (`Nil` when it has none: Node counts such answers too).
fn take_field(mut answer: Mp, field: &str) -> Mp {
    crate::value::take(&mut answer, field).unwrap_or(Mp::Nil)
}

impl Adapter for ClassicAdapter {
    fn init(&self, namespace: Weak<dyn LocalNamespace>) -> BoxFuture<'_, Result<(), AdapterError>> {
        self.0.core.set_local(namespace);
        Box::pin(async move {
            let inner = &self.0;
            let listener: Arc<dyn Listener> = inner.clone();
            let (patterns, channels) = inner.subscriptions();
            let hub = &inner.core.hub;
            hub.subscribe(Kind::Pattern, patterns, listener.clone())
                .await
                .map_err(|e| e.to_adapter())?;
            hub.subscribe(Kind::Channel, channels, listener)
                .await
                .map_err(|e| e.to_adapter())
        })
    }

    fn broadcast(&self, packet: &Packet, opts: &BroadcastOptions) -> Result<(), AdapterError> {
        let inner = &self.0;
        let Some(packet) = packet_to_mp(packet, Some(&inner.core.nsp)) else {
            return Ok(());
        };
        let message = Mp::Array(vec![
            Mp::from(inner.core.uid.as_str()),
            packet,
            opts_to_mp(opts),
        ]);
        let channel = match single_room(opts) {
            Some(room) => format!("{}{room}#", inner.channels.broadcast),
            None => inner.channels.broadcast.clone(),
        };
        inner.core.publish(channel, encode_msgpack(&message), false)
    }

    fn sockets_join(&self, opts: &BroadcastOptions, rooms: &[Room]) -> Result<(), AdapterError> {
        self.0
            .remote_rooms_request(request::REMOTE_JOIN, opts, rooms)
    }

    fn sockets_leave(&self, opts: &BroadcastOptions, rooms: &[Room]) -> Result<(), AdapterError> {
        self.0
            .remote_rooms_request(request::REMOTE_LEAVE, opts, rooms)
    }

    fn disconnect_sockets(&self, opts: &BroadcastOptions, close: bool) -> Result<(), AdapterError> {
        let inner = &self.0;
        let request = map([
            ("uid", Mp::from(inner.core.uid.as_str())),
            ("type", Mp::from(request::REMOTE_DISCONNECT)),
            ("opts", selection_to_mp(opts)),
            ("close", Mp::Boolean(close)),
        ]);
        inner.publish_json(&inner.channels.request, &request)
    }

    fn broadcast_with_ack(
        &self,
        packet: &Packet,
        opts: &BroadcastOptions,
        sink: AckSink<AckEvent>,
    ) -> Result<(), AdapterError> {
        let inner = &self.0;
        let Some(packet) = packet_to_mp(packet, Some(&inner.core.nsp)) else {
            return Ok(());
        };
        let id = uid2();
        let core = &inner.core;
        let ttl = opts.timeout().unwrap_or(core.config.requests_timeout);
        core.pending
            .acks(&id, sink, ttl)
            .map_err(|error| error.to_adapter())?;
        let request = map([
            ("uid", Mp::from(core.uid.as_str())),
            ("requestId", Mp::from(id.as_str())),
            ("type", Mp::from(request::BROADCAST)),
            ("packet", packet),
            ("opts", opts_to_mp(opts)),
        ]);
        let channel = inner.channels.request.clone();
        core.publish_request(&id, channel, encode_msgpack(&request), false)
    }

    fn server_side_emit(
        &self,
        event: &str,
        args: &Payload,
        replies: Option<ServerReplies>,
    ) -> Result<(), AdapterError> {
        let inner = &self.0;
        let uid = ("uid", Mp::from(inner.core.uid.as_str()));
        let kind = ("type", Mp::from(request::SERVER_SIDE_EMIT));
        let data = ("data", event_data(event, args));
        let Some(replies) = replies else {
            return inner.publish_json(&inner.channels.request, &map([uid, kind, data]));
        };
        let id = uid2();
        let core = &inner.core;
        core.pending
            .replies(&id, replies.sink, replies.timeout)
            .map_err(|error| error.to_adapter())?;
        let request = map([uid, ("requestId", Mp::from(id.as_str())), kind, data]);
        let channel = inner.channels.request.clone();
        core.publish_request(&id, channel, encode_json(&request), false)
    }

    fn fetch_sockets(
        &self,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'_, Result<Vec<SocketData>, AdapterError>> {
        let selection = selection_to_mp(opts);
        Box::pin(async move {
            let answers = self
                .0
                .ask(
                    request::REMOTE_FETCH,
                    Some(selection),
                    "sockets",
                    "fetchSockets",
                )
                .await?;
            Ok(answers.into_iter().flat_map(sockets_from_mp).collect())
        })
    }

    fn all_rooms(&self) -> BoxFuture<'_, Result<Vec<Room>, AdapterError>> {
        Box::pin(async move {
            let answers = self
                .0
                .ask(request::ALL_ROOMS, None, "rooms", "allRooms")
                .await?;
            let mut rooms: Vec<Room> = answers
                .iter()
                .flat_map(|answer| text_list(Some(answer)))
                .map(Room::from)
                .collect();
            rooms.sort();
            rooms.dedup();
            Ok(rooms)
        })
    }

    fn server_count(&self) -> BoxFuture<'_, usize> {
        Box::pin(self.0.core.server_count(&self.0.channels.request, false))
    }

    /// Unsubscribes (both at once, each within the command timeout; a failure is traced) and
    /// forgets the pending requests.
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let inner = &self.0;
            inner.core.pending.clear();
            let hub = &inner.core.hub;
            let (patterns, channels) = inner.subscriptions();
            let listener: Arc<dyn Listener> = inner.clone();
            let (patterns, channels) = tokio::join!(
                hub.unsubscribe(Kind::Pattern, patterns, &listener),
                hub.unsubscribe(Kind::Channel, channels, &listener)
            );
            if let Err(error) = patterns.and(channels) {
                tracing::warn!(%error, nsp = %inner.core.nsp.as_str(), "cannot unsubscribe on close");
            }
        })
    }
}

/// The error Node rejects a request with when a node did not answer in time.
fn timeout_error(what: &str) -> AdapterError {
    AdapterError::Timeout(format!("waiting for {what} response"))
}
