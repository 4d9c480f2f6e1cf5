//! The messages that arrive from Redis, read apart from what the adapters do with them.
//!
//! Every listener reads its messages through the functions here and only then acts: a
//! classic broadcast with `ClassicBroadcast`, a classic request with `request_head` and
//! `request_body`, a classic answer with `classic_answer`, a sharded message with
//! `cluster_head` and `cluster_body`, a sharded answer with `cluster_answer`. The head of a
//! message is read apart from its body so that a node drops its own messages before decoding
//! what they carry.
//!
//! [`read`] reads one message every way a node may receive it and acts on none: it is what the
//! `redis_message` fuzz target and its replay test run (`fuzz/src/redis_message.rs`), with the
//! conversions re-exported at the end of this module. Hidden from the docs: not a stable API.

use rmpv::Value as Mp;
use socketio::adapter::{AckEvent, BroadcastOptions};
use socketio::packet::{NamespaceName, Packet};
use socketio::room::Room;
use socketio::Payload;

use crate::classic::request;
use crate::requests::Pending;
use crate::sharded::message as cluster;
use crate::value::{as_text, get, take};
use crate::wire::{opts_from_mp, packet_from_mp, packet_nsp, rooms_from_mp, split_event};

/// A classic broadcast, `[uid, packet, opts]` (at least three items), read on demand.
#[derive(Debug)]
pub(crate) struct ClassicBroadcast(Vec<Mp>);

impl ClassicBroadcast {
    /// The broadcast a decoded message is, if it is one.
    pub(crate) fn from_value(value: Mp) -> Option<Self> {
        match value {
            Mp::Array(parts) if parts.len() >= 3 => Some(Self(parts)),
            _ => None,
        }
    }

    /// The sender's uid.
    pub(crate) fn uid(&self) -> Option<&str> {
        self.0[0].as_str()
    }

    /// The namespace the packet names.
    pub(crate) fn nsp(&self) -> String {
        packet_nsp(&self.0[1])
    }

    /// The options.
    pub(crate) fn opts(&self) -> BroadcastOptions {
        opts_from_mp(Some(&self.0[2]))
    }

    /// The packet, an event of the receiver's namespace `nsp`, if it is an event.
    pub(crate) fn into_packet(mut self, nsp: &NamespaceName) -> Option<Packet> {
        packet_from_mp(nsp, self.0.swap_remove(1))
    }
}

/// Who sent a classic request and what it asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The requester's uid (absent from the emitter's requests).
    pub uid: Option<String>,
    /// The request id, which answers carry.
    pub id: Option<String>,
    /// The request type.
    pub kind: u64,
}

/// The head of a classic request; `None` without a type.
pub(crate) fn request_head(message: &Mp) -> Option<RequestHead> {
    Some(RequestHead {
        uid: get(message, "uid").and_then(Mp::as_str).map(str::to_owned),
        id: get(message, "requestId").and_then(as_text),
        kind: get(message, "type").and_then(Mp::as_u64)?,
    })
}

/// What a classic request asks for, its fields read.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// The ids of the local sockets in these rooms (every socket without rooms).
    Sockets(Vec<Room>),
    /// The local rooms.
    AllRooms,
    /// Join, leave or disconnect (which one is the head's type).
    Remote(Remote),
    /// The local sockets these options select.
    Fetch(BroadcastOptions),
    /// A server-side emit: the event and its arguments, if `data` is `[event, ...args]`.
    ServerSideEmit(Option<(String, Payload)>),
    /// A broadcast with acks: the selection and flags, and the packet if it is an event.
    Broadcast(BroadcastOptions, Option<Packet>),
    /// A type that no node answers.
    Other,
}

/// A remote join, leave or disconnect.
#[derive(Debug, Clone, PartialEq)]
pub struct Remote {
    /// The sockets it applies to.
    pub target: Target,
    /// The rooms to join or leave.
    pub rooms: Vec<Room>,
    /// Whether a disconnect closes the connections too.
    pub close: bool,
}

/// The sockets a remote join, leave or disconnect applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The sockets these options select (the current form).
    Opts(BroadcastOptions),
    /// The one socket of this id (the legacy form, with a `room` instead of `rooms`).
    Socket(String),
    /// Neither: nothing to apply.
    Nothing,
}

/// The body of a classic request of type `kind`; `nsp` is the receiver's namespace.
pub(crate) fn request_body(kind: u64, mut message: Mp, nsp: &NamespaceName) -> Request {
    match kind {
        request::SOCKETS => Request::Sockets(rooms_from_mp(get(&message, "rooms"))),
        request::ALL_ROOMS => Request::AllRooms,
        request::REMOTE_JOIN | request::REMOTE_LEAVE | request::REMOTE_DISCONNECT => {
            Request::Remote(remote(&message))
        }
        request::REMOTE_FETCH => Request::Fetch(opts_from_mp(get(&message, "opts"))),
        request::SERVER_SIDE_EMIT => {
            Request::ServerSideEmit(take(&mut message, "data").and_then(split_event))
        }
        request::BROADCAST => Request::Broadcast(
            opts_from_mp(get(&message, "opts")),
            take(&mut message, "packet").and_then(|p| packet_from_mp(nsp, p)),
        ),
        _ => Request::Other,
    }
}

fn remote(message: &Mp) -> Remote {
    let (target, rooms) = match get(message, "opts") {
        Some(opts) => (
            Target::Opts(opts_from_mp(Some(opts))),
            rooms_from_mp(get(message, "rooms")),
        ),
        None => {
            let sid = get(message, "sid").and_then(as_text);
            let room = get(message, "room").map(|room| Mp::Array(vec![room.clone()]));
            (
                sid.map_or(Target::Nothing, Target::Socket),
                rooms_from_mp(room.as_ref()),
            )
        }
    };
    let close = get(message, "close").and_then(Mp::as_bool) == Some(true);
    Remote {
        target,
        rooms,
        close,
    }
}

/// An answer to one of this node's requests.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// How many clients a broadcast with acks reached on the answering node.
    ClientCount(usize),
    /// One client's answer to a broadcast with acks.
    Ack(Payload),
    /// One listener's answer to a server-side emit.
    Reply(Payload),
    /// One node's answer to a request that collects answers: the whole message in classic
    /// mode, its `sockets` in sharded mode.
    Collected(Mp),
}

impl Answer {
    /// Hands the answer to the request `id` waits on: the one step here that acts.
    pub(crate) fn deliver(self, id: &str, pending: &Pending) {
        match self {
            Self::ClientCount(count) => pending.ack(id, AckEvent::ClientCount(count)),
            Self::Ack(answer) => pending.ack(id, AckEvent::Ack(answer)),
            Self::Reply(answer) => pending.reply(id, answer),
            Self::Collected(answer) => pending.answer(id, answer),
        }
    }
}

/// A message of a classic response channel: the request id and the answer.
pub(crate) fn classic_answer(mut message: Mp) -> Option<(String, Answer)> {
    let id = get(&message, "requestId").and_then(as_text)?;
    let answer = match get(&message, "type").and_then(Mp::as_u64) {
        Some(request::BROADCAST_CLIENT_COUNT) => Answer::ClientCount(client_count(&message)),
        Some(request::BROADCAST_ACK) => Answer::Ack(take_payload(&mut message, "packet")),
        Some(request::SERVER_SIDE_EMIT) => Answer::Reply(take_payload(&mut message, "data")),
        _ => Answer::Collected(message),
    };
    Some((id, answer))
}

/// A count that does not fit (or is missing) reads as 0.
fn client_count(message: &Mp) -> usize {
    let count = get(message, "clientCount").and_then(Mp::as_u64);
    usize::try_from(count.unwrap_or(0)).unwrap_or(0)
}

fn take_payload(message: &mut Mp, key: &str) -> Payload {
    mp_to_payload(take(message, key).unwrap_or(Mp::Nil))
}

/// Who sent a sharded message, to which namespace, and its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterHead {
    /// The sender's uid.
    pub uid: String,
    /// The namespace.
    pub nsp: Option<String>,
    /// The message type.
    pub kind: u64,
}

/// The head of a sharded message; `None` without a uid or a type.
pub(crate) fn cluster_head(message: &Mp) -> Option<ClusterHead> {
    Some(ClusterHead {
        uid: get(message, "uid").and_then(as_text)?,
        nsp: get(message, "nsp").and_then(Mp::as_str).map(str::to_owned),
        kind: get(message, "type").and_then(Mp::as_u64)?,
    })
}

/// What a sharded message carries, its `data` read. The options select sockets; a request
/// id comes with the messages whose sender waits for answers.
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterBody {
    /// A broadcast: the options, the packet if it is an event, the request id (for acks).
    Broadcast(BroadcastOptions, Option<Packet>, Option<String>),
    /// The selected sockets join these rooms.
    Join(BroadcastOptions, Vec<Room>),
    /// The selected sockets leave these rooms.
    Leave(BroadcastOptions, Vec<Room>),
    /// The selected sockets are disconnected, and their connections closed with `true`.
    Disconnect(BroadcastOptions, bool),
    /// The selected sockets are wanted.
    Fetch(BroadcastOptions, Option<String>),
    /// A server-side emit: the event and its arguments, if `packet` is `[event, ...args]`.
    ServerSideEmit(Option<(String, Payload)>, Option<String>),
    /// An answer that came on the main channel; `None` without a request id.
    Answer(Option<(String, Answer)>),
    /// A type that no node handles.
    Other,
}

/// The `data` of a message, and its `requestId` when it has one.
fn data_of(message: &mut Mp) -> (Mp, Option<String>) {
    let data = take(message, "data").unwrap_or(Mp::Nil);
    let id = get(&data, "requestId").and_then(as_text);
    (data, id)
}

/// The body of a sharded message of type `kind`; `nsp` is the receiver's namespace.
pub(crate) fn cluster_body(kind: u64, mut message: Mp, nsp: &NamespaceName) -> ClusterBody {
    let (mut data, id) = data_of(&mut message);
    let opts = opts_from_mp(get(&data, "opts"));
    match kind {
        cluster::BROADCAST => {
            let packet = take(&mut data, "packet").and_then(|p| packet_from_mp(nsp, p));
            ClusterBody::Broadcast(opts, packet, id)
        }
        cluster::SOCKETS_JOIN => ClusterBody::Join(opts, rooms_from_mp(get(&data, "rooms"))),
        cluster::SOCKETS_LEAVE => ClusterBody::Leave(opts, rooms_from_mp(get(&data, "rooms"))),
        cluster::DISCONNECT_SOCKETS => {
            let close = get(&data, "close").and_then(Mp::as_bool) == Some(true);
            ClusterBody::Disconnect(opts, close)
        }
        cluster::FETCH_SOCKETS => ClusterBody::Fetch(opts, id),
        cluster::SERVER_SIDE_EMIT => {
            ClusterBody::ServerSideEmit(take(&mut data, "packet").and_then(split_event), id)
        }
        cluster::FETCH_SOCKETS_RESPONSE
        | cluster::SERVER_SIDE_EMIT_RESPONSE
        | cluster::BROADCAST_CLIENT_COUNT
        | cluster::BROADCAST_ACK => ClusterBody::Answer(answer_data(kind, data, id)),
        _ => ClusterBody::Other,
    }
}

/// A message of a sharded response channel: the request id and the answer.
pub(crate) fn cluster_answer(mut message: Mp) -> Option<(String, Answer)> {
    let kind = get(&message, "type").and_then(Mp::as_u64)?;
    let (data, id) = data_of(&mut message);
    answer_data(kind, data, id)
}

fn answer_data(kind: u64, mut data: Mp, id: Option<String>) -> Option<(String, Answer)> {
    let answer = match kind {
        cluster::BROADCAST_CLIENT_COUNT => Answer::ClientCount(client_count(&data)),
        cluster::BROADCAST_ACK => Answer::Ack(take_payload(&mut data, "packet")),
        cluster::FETCH_SOCKETS_RESPONSE => {
            Answer::Collected(take(&mut data, "sockets").unwrap_or(Mp::Nil))
        }
        cluster::SERVER_SIDE_EMIT_RESPONSE => Answer::Reply(take_payload(&mut data, "packet")),
        _ => return None,
    };
    Some((id?, answer))
}

/// A classic broadcast as a node of the namespace it names reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Broadcast {
    /// The sender's uid.
    pub uid: Option<String>,
    /// The namespace the packet names.
    pub nsp: String,
    /// The selection and flags.
    pub opts: BroadcastOptions,
    /// The packet, if it is an event and the namespace a valid name.
    pub packet: Option<Packet>,
}

/// One message read every way a node may receive it (its channel decides), acting on none.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The decoded value: JSON when the bytes start with `{`, MessagePack otherwise.
    pub value: Option<Mp>,
    /// On a classic broadcast channel.
    pub broadcast: Option<Broadcast>,
    /// On the classic request channel (as the main namespace reads it).
    pub request: Option<(RequestHead, Request)>,
    /// On a classic response channel.
    pub response: Option<(String, Answer)>,
    /// On a sharded channel (as the main namespace reads it).
    pub cluster: Option<(ClusterHead, ClusterBody)>,
    /// On a sharded response channel.
    pub cluster_response: Option<(String, Answer)>,
}

/// Reads `bytes` as every listener of this crate would, without acting on them.
pub fn read(bytes: &[u8]) -> Inbound {
    let value = crate::value::decode(bytes);
    Inbound {
        broadcast: each(&value, read_broadcast),
        request: each(&value, |message| {
            let head = request_head(&message)?;
            let body = request_body(head.kind, message, &NamespaceName::root());
            Some((head, body))
        }),
        response: each(&value, classic_answer),
        cluster: each(&value, |message| {
            let head = cluster_head(&message)?;
            let body = cluster_body(head.kind, message, &NamespaceName::root());
            Some((head, body))
        }),
        cluster_response: each(&value, cluster_answer),
        value,
    }
}

/// Each listener reads its own copy: reading takes fields out.
fn each<T>(value: &Option<Mp>, read: impl FnOnce(Mp) -> Option<T>) -> Option<T> {
    value.clone().and_then(read)
}

fn read_broadcast(value: Mp) -> Option<Broadcast> {
    let message = ClassicBroadcast::from_value(value)?;
    let (uid, nsp, opts) = (
        message.uid().map(str::to_owned),
        message.nsp(),
        message.opts(),
    );
    let packet = NamespaceName::new(&nsp)
        .ok()
        .and_then(|receiver| message.into_packet(&receiver));
    Some(Broadcast {
        uid,
        nsp,
        opts,
        packet,
    })
}

// The crate's own conversions, for checks that re-encode what was read and read it again.
pub use crate::value::{encode_json, encode_msgpack, mp_to_payload, payload_to_mp};
pub use crate::wire::{
    event_data, opts_to_mp, packet_to_mp, rooms_to_mp, sockets_from_mp, sockets_to_mp,
};
