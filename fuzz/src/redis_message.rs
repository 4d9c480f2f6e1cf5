//! Target `redis_message`: a message from Redis pub/sub, read by the Redis adapter every way a
//! node may receive it ([`socketio_redis::inbound::read`]): as a classic broadcast
//! `[uid, packet, opts]`, a classic request, a classic answer, a sharded message
//! `{type, data, uid, nsp}` and a sharded answer.
//!
//! Input: the message's bytes, JSON when they start with `{` (as Node sniffs), notepack
//! MessagePack otherwise.
//!
//! Invariants, beyond "never panics":
//! - a decoded value re-encodes with the crate's MessagePack encoder to bytes that decode to
//!   the same value (compared by encoding, so that NaN equals itself), unless those bytes
//!   start with `{` (the lone integer 123); a JSON message re-encoded as JSON reads back the
//!   same;
//! - each reading fits the value: nothing without a value, a broadcast only from an array of
//!   three items or more, the other readings only from a map;
//! - no binary is lost on the way to a payload: a value read as a payload has one attachment
//!   per binary of the value and every placeholder has its attachment, or it has no
//!   attachments and no placeholder that points where one of the binaries would be;
//! - for values nested less than [`REREAD_DEPTH`] deep: a broadcast's packet belongs to the
//!   namespace the broadcast names, and each reading re-encoded as the adapters write it
//!   reads back the same: packets, payloads (compared by their wire form when the message
//!   held objects shaped like placeholders, which no payload can tell from real ones),
//!   options (each room once), rooms, ids, answers;
//! - sockets of a fetch answer re-encode to what reads back as the same sockets.

use std::fmt::Debug;

use rmpv::Value as Mp;
use serde_json::Value as Json;
use socketio::adapter::BroadcastOptions;
use socketio::packet::{Packet, PacketKind};
use socketio::room::Room;
use socketio::Payload;
use socketio_redis::inbound::{
    encode_json, encode_msgpack, event_data, mp_to_payload, opts_to_mp, packet_to_mp,
    payload_to_mp, read, rooms_to_mp, sockets_from_mp, sockets_to_mp, Answer, Broadcast,
    ClusterBody, ClusterHead, Inbound, Remote, Request, RequestHead, Target,
};

/// Re-encoding may write a leaf map key as a string, which the decoder's depth limit (256)
/// counts two levels deeper: values nested this deep are not read again.
pub const REREAD_DEPTH: usize = 200;

/// Feeds one message to the adapter's readers and checks the invariants.
pub fn run(data: &[u8]) {
    let inbound = read(data);
    check_shapes(&inbound);
    let Some(value) = &inbound.value else {
        return;
    };
    check_value(data, value);
    check_binaries(value);
    if depth(value) >= REREAD_DEPTH {
        return;
    }
    if let Some(broadcast) = &inbound.broadcast {
        check_broadcast(broadcast);
    }
    if let Some((head, request)) = &inbound.request {
        check_request(head, request);
    }
    if let Some(answer) = &inbound.response {
        check_classic_answer(answer);
    }
    if let Some((head, body)) = &inbound.cluster {
        check_cluster(head, body);
    }
    if let Some(answer) = &inbound.cluster_response {
        let (kind, data) = cluster_answer(answer);
        let message = map(vec![("type", Mp::from(kind)), ("data", map(data))]);
        let again = reread(&message).cluster_response;
        agree(same_answer(answer, again.as_ref()), answer, &again);
    }
}

/// Asserts that what was read and what its re-encoding reads as are the same.
fn agree<T: Debug, U: Debug>(same: bool, read: &T, again: &U) {
    assert!(same, "read {read:?}, then {again:?}");
}

fn check_shapes(inbound: &Inbound) {
    let (array, map) = match &inbound.value {
        Some(Mp::Array(items)) => (items.len() >= 3, false),
        Some(Mp::Map(_)) => (false, true),
        _ => (false, false),
    };
    assert!(inbound.broadcast.is_none() || array, "broadcast shape");
    let from_map = inbound.request.is_some() || inbound.response.is_some();
    let from_map = from_map || inbound.cluster.is_some() || inbound.cluster_response.is_some();
    assert!(map || !from_map, "read from a value that is not a map");
}

fn check_value(data: &[u8], value: &Mp) {
    let bytes = encode_msgpack(value);
    if bytes.first() != Some(&b'{') {
        let again = read(&bytes).value;
        agree(same_value(value, again.as_ref()), value, &again);
    }
    if data.first() == Some(&b'{') {
        let again = read(&encode_json(value)).value;
        agree(same_value(value, again.as_ref()), value, &again);
    }
}

/// The binaries of a value read as a payload become its attachments.
fn check_binaries(value: &Mp) {
    let binaries = count_binaries(value);
    let payload = mp_to_payload(value.clone());
    let attachments = payload.attachments().len();
    if attachments > 0 {
        assert_eq!(attachments, binaries, "attachments of {value:?}");
        assert!(valid(&payload), "placeholders of {payload:?}");
        return;
    }
    let mut nums = Vec::new();
    placeholders(payload.value(), &mut nums);
    let kept = nums.iter().all(|&num| num >= binaries as u64);
    assert!(kept, "{binaries} binaries lost in {payload:?}");
}

fn check_broadcast(broadcast: &Broadcast) {
    let Some(packet) = &broadcast.packet else {
        return;
    };
    assert_eq!(packet.namespace.as_str(), broadcast.nsp, "namespace");
    let uid = broadcast.uid.as_deref().map_or(Mp::Nil, Mp::from);
    let wire = packet_to_mp(packet, Some(&packet.namespace)).expect("an event");
    let message = Mp::Array(vec![uid, wire, opts_to_mp(&broadcast.opts)]);
    let again = reread(&message).broadcast.expect("a broadcast");
    assert_eq!(again.uid, broadcast.uid, "uid");
    assert_eq!(again.nsp, broadcast.nsp, "nsp");
    assert_eq!(again.opts, once(&broadcast.opts), "options");
    agree(same_packet(packet, again.packet.as_ref()), packet, &again);
}

fn check_request(head: &RequestHead, request: &Request) {
    let mut fields = vec![("type", Mp::from(head.kind))];
    fields.extend(head.uid.as_deref().map(|uid| ("uid", Mp::from(uid))));
    fields.extend(head.id.as_deref().map(|id| ("requestId", Mp::from(id))));
    match request {
        Request::Sockets(rooms) => fields.push(("rooms", rooms_to_mp(rooms))),
        Request::Remote(remote) => fields.extend(remote_fields(remote)),
        Request::Fetch(opts) => fields.push(("opts", opts_to_mp(opts))),
        Request::ServerSideEmit(Some((e, args))) => fields.push(("data", event_data(e, args))),
        Request::Broadcast(opts, Some(packet)) => {
            fields.push(("opts", opts_to_mp(opts)));
            fields.push(("packet", packet_to_mp(packet, None).expect("an event")));
        }
        Request::ServerSideEmit(None) | Request::Broadcast(_, None) => return,
        Request::AllRooms | Request::Other => {}
    }
    let again = reread(&map(fields)).request.expect("a request");
    assert_eq!(&again.0, head, "head");
    agree(same_request(request, &again.1), request, &again.1);
}

/// A remote join, leave or disconnect in the form it was read from.
fn remote_fields(remote: &Remote) -> Vec<(&'static str, Mp)> {
    let mut fields = vec![("close", Mp::Boolean(remote.close))];
    match &remote.target {
        Target::Opts(opts) => {
            fields.push(("opts", opts_to_mp(opts)));
            fields.push(("rooms", rooms_to_mp(&remote.rooms)));
            return fields;
        }
        Target::Socket(sid) => fields.push(("sid", Mp::from(sid.as_str()))),
        Target::Nothing => {}
    }
    if let [room] = &remote.rooms[..] {
        fields.push(("room", Mp::from(&**room)));
    }
    fields
}

fn check_classic_answer(answer: &(String, Answer)) {
    let message = match &answer.1 {
        Answer::Collected(message) => {
            // Read later: the whole answer, or one of its fields.
            check_sockets(message);
            if let Mp::Map(entries) = message {
                entries.iter().for_each(|(_, value)| check_sockets(value));
            }
            message.clone()
        }
        _ => {
            let (kind, field) = answer_parts(&answer.1, true);
            let id = Mp::from(answer.0.as_str());
            map(vec![("requestId", id), ("type", Mp::from(kind)), field])
        }
    };
    let again = reread(&message).response;
    agree(same_answer(answer, again.as_ref()), answer, &again);
}

/// The type of an answer, classic or sharded, and the field that carries it (a classic answer
/// that collects is the whole message: it is read again as it is).
fn answer_parts(answer: &Answer, classic: bool) -> (u64, (&'static str, Mp)) {
    match answer {
        Answer::ClientCount(n) => (if classic { 8 } else { 11 }, ("clientCount", Mp::from(*n))),
        Answer::Ack(payload) => (
            if classic { 9 } else { 12 },
            ("packet", payload_to_mp(payload)),
        ),
        Answer::Reply(payload) if classic => (6, ("data", payload_to_mp(payload))),
        Answer::Reply(payload) => (10, ("packet", payload_to_mp(payload))),
        Answer::Collected(sockets) => (8, ("sockets", sockets.clone())),
    }
}

fn check_cluster(head: &ClusterHead, body: &ClusterBody) {
    use ClusterBody as B;
    let opts = |opts: &BroadcastOptions| ("opts", opts_to_mp(opts));
    let data = match body {
        B::Broadcast(o, Some(packet), i) => {
            let packet = packet_to_mp(packet, None).expect("an event");
            with_id(vec![opts(o), ("packet", packet)], i)
        }
        B::Join(o, rooms) | B::Leave(o, rooms) => vec![opts(o), ("rooms", rooms_to_mp(rooms))],
        B::Disconnect(o, close) => vec![opts(o), ("close", Mp::from(*close))],
        B::Fetch(o, i) => with_id(vec![opts(o)], i),
        B::ServerSideEmit(Some((e, args)), i) => with_id(vec![("packet", event_data(e, args))], i),
        B::Answer(Some(answer)) => {
            if let Answer::Collected(sockets) = &answer.1 {
                check_sockets(sockets);
            }
            cluster_answer(answer).1
        }
        B::Broadcast(_, None, _) | B::ServerSideEmit(None, _) => return,
        B::Answer(None) | B::Other => Vec::new(),
    };
    let mut fields = vec![("type", Mp::from(head.kind)), ("data", map(data))];
    fields.push(("uid", Mp::from(head.uid.as_str())));
    fields.extend(head.nsp.as_deref().map(|nsp| ("nsp", Mp::from(nsp))));
    let again = reread(&map(fields)).cluster.expect("a cluster message");
    assert_eq!(&again.0, head, "head");
    agree(same_cluster(body, &again.1), body, &again.1);
}

fn with_id(mut fields: Vec<(&'static str, Mp)>, id: &Option<String>) -> Vec<(&'static str, Mp)> {
    fields.extend(id.as_deref().map(|id| ("requestId", Mp::from(id))));
    fields
}

/// A sharded answer: its type, and the fields of the `data` that carries it.
fn cluster_answer((id, answer): &(String, Answer)) -> (u64, Vec<(&'static str, Mp)>) {
    let (kind, field) = answer_parts(answer, false);
    (kind, vec![("requestId", Mp::from(id.as_str())), field])
}

fn check_sockets(value: &Mp) {
    let sockets = sockets_from_mp(value.clone());
    let again = sockets_from_mp(sockets_to_mp(&sockets));
    assert_eq!(again, sockets, "sockets of {value:?}");
}

fn reread(message: &Mp) -> Inbound {
    let bytes = encode_msgpack(message);
    assert_ne!(bytes.first(), Some(&b'{'), "a map never starts with `{{`");
    read(&bytes)
}

fn map(fields: Vec<(&str, Mp)>) -> Mp {
    Mp::Map(fields.into_iter().map(|(k, v)| (Mp::from(k), v)).collect())
}

/// The options as they come back: each room once, in first order.
fn once(opts: &BroadcastOptions) -> BroadcastOptions {
    let dedup = |rooms: &[Room]| {
        let first = |(i, room): (usize, &Room)| (!rooms[..i].contains(room)).then(|| room.clone());
        rooms.iter().enumerate().filter_map(first).collect()
    };
    let mut once = opts.clone();
    (once.rooms, once.except) = (dedup(&opts.rooms), dedup(&opts.except));
    once
}

fn same_value(value: &Mp, again: Option<&Mp>) -> bool {
    again.is_some_and(|again| encode_msgpack(value) == encode_msgpack(again))
}

/// The same on the wire, and equal when the payload's placeholders are its own (each
/// attachment's once, in order); otherwise (objects shaped like placeholders, or binaries
/// under a repeated key) other payloads have the same wire form.
fn same_payload(payload: &Payload, again: &Payload) -> bool {
    let wire = encode_msgpack(&payload_to_mp(payload)) == encode_msgpack(&payload_to_mp(again));
    let mut nums = Vec::new();
    placeholders(payload.value(), &mut nums);
    let own = nums.into_iter().eq(0..payload.attachments().len() as u64);
    wire && (!own || payload == again)
}

fn same_packet(packet: &Packet, again: Option<&Packet>) -> bool {
    let (PacketKind::Event { name, args, ack }, Some(again)) = (&packet.kind, again) else {
        return false;
    };
    let PacketKind::Event {
        name: n,
        args: a,
        ack: k,
    } = &again.kind
    else {
        return false;
    };
    packet.namespace == again.namespace && (name, ack) == (n, k) && same_payload(args, a)
}

fn same_event(event: &(String, Payload), again: &(String, Payload)) -> bool {
    event.0 == again.0 && same_payload(&event.1, &again.1)
}

fn same_request(request: &Request, again: &Request) -> bool {
    match (request, again) {
        (Request::Remote(a), Request::Remote(b)) => {
            let target = match (&a.target, &b.target) {
                (Target::Opts(a), Target::Opts(b)) => &once(a) == b,
                (a, b) => a == b,
            };
            target && a.rooms == b.rooms && a.close == b.close
        }
        (Request::Fetch(a), Request::Fetch(b)) => &once(a) == b,
        (Request::ServerSideEmit(Some(a)), Request::ServerSideEmit(Some(b))) => same_event(a, b),
        (Request::Broadcast(o, Some(p)), Request::Broadcast(o2, p2)) => {
            &once(o) == o2 && same_packet(p, p2.as_ref())
        }
        (a, b) => a == b,
    }
}

fn same_cluster(body: &ClusterBody, again: &ClusterBody) -> bool {
    use ClusterBody as B;
    match (body, again) {
        (B::Broadcast(o, Some(p), i), B::Broadcast(o2, p2, i2)) => {
            &once(o) == o2 && same_packet(p, p2.as_ref()) && i == i2
        }
        (B::Join(o, r), B::Join(o2, r2)) | (B::Leave(o, r), B::Leave(o2, r2)) => {
            &once(o) == o2 && r == r2
        }
        (B::Disconnect(o, c), B::Disconnect(o2, c2)) => &once(o) == o2 && c == c2,
        (B::Fetch(o, i), B::Fetch(o2, i2)) => &once(o) == o2 && i == i2,
        (B::ServerSideEmit(Some(e), i), B::ServerSideEmit(Some(e2), i2)) => {
            same_event(e, e2) && i == i2
        }
        (B::Answer(Some(a)), B::Answer(b)) => same_answer(a, b.as_ref()),
        (a, b) => a == b,
    }
}

fn same_answer(answer: &(String, Answer), again: Option<&(String, Answer)>) -> bool {
    let Some((id, again)) = again else {
        return false;
    };
    let same = match (&answer.1, again) {
        (Answer::Ack(a), Answer::Ack(b)) | (Answer::Reply(a), Answer::Reply(b)) => {
            same_payload(a, b)
        }
        (Answer::Collected(a), Answer::Collected(b)) => same_value(a, Some(b)),
        (a, b) => a == b,
    };
    *id == answer.0 && same
}

/// Binaries as a payload sees them: `bin` values, and extension 0 but its one-byte form
/// (notepack 2's `undefined`). Map keys are names, never attachments.
fn count_binaries(value: &Mp) -> usize {
    match value {
        Mp::Binary(_) => 1,
        Mp::Ext(0, data) => usize::from(data.len() != 1),
        Mp::Array(items) => items.iter().map(count_binaries).sum(),
        Mp::Map(entries) => entries.iter().map(|(_, v)| count_binaries(v)).sum(),
        _ => 0,
    }
}

/// Every placeholder's `num` (`u64::MAX` for one that is not an integer).
fn placeholders(value: &Json, nums: &mut Vec<u64>) {
    match value {
        Json::Object(map) if map.get("_placeholder") == Some(&Json::Bool(true)) => {
            nums.push(map.get("num").and_then(Json::as_u64).unwrap_or(u64::MAX));
        }
        Json::Object(map) => map.values().for_each(|v| placeholders(v, nums)),
        Json::Array(items) => items.iter().for_each(|v| placeholders(v, nums)),
        _ => {}
    }
}

fn valid(payload: &Payload) -> bool {
    let (value, attachments) = (payload.value().clone(), payload.attachments().to_vec());
    Payload::new(value, attachments).is_ok()
}

fn depth(value: &Mp) -> usize {
    let deepest = match value {
        Mp::Array(items) => items.iter().map(depth).max(),
        Mp::Map(entries) => entries.iter().map(|(k, v)| depth(k).max(depth(v))).max(),
        _ => return 1,
    };
    1 + deepest.unwrap_or(0)
}
