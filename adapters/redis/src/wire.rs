//! The objects the Node adapters exchange: packets, broadcast options, serialized sockets.

use rmpv::Value as Mp;
use socketio::adapter::{BroadcastFlags, BroadcastOptions, SocketData};
use socketio::packet::{NamespaceName, Packet, PacketKind};
use socketio::room::Room;
use socketio::Payload;

use crate::value::{
    as_text, get, json_to_mp, map, mp_to_payload, mp_to_plain_json, payload_to_mp, take, text_list,
};

/// `EVENT` in socket.io-parser; `BINARY_EVENT` (5) is accepted too on input.
const EVENT: u64 = 2;
const BINARY_EVENT: u64 = 5;

/// `[event, ...args]`: the `data` of an event packet, and what a server-side emit carries.
pub fn event_data(event: &str, args: &Payload) -> Mp {
    let mut data = vec![Mp::from(event)];
    match payload_to_mp(args) {
        Mp::Array(items) => data.extend(items),
        other => data.push(other),
    }
    Mp::Array(data)
}

/// The packet object of an event: `{type: 2, data: [event, ...args], nsp}`. The classic
/// adapter sets `nsp`; the `ClusterAdapter` publishes the packet before it gets one.
pub fn packet_to_mp(packet: &Packet, nsp: Option<&NamespaceName>) -> Option<Mp> {
    let PacketKind::Event { name, args, .. } = &packet.kind else {
        return None;
    };
    let data = event_data(name, args);
    Some(match nsp {
        Some(nsp) => map([
            ("type", Mp::from(EVENT)),
            ("data", data),
            ("nsp", Mp::from(nsp.as_str())),
        ]),
        None => map([("type", Mp::from(EVENT)), ("data", data)]),
    })
}

/// An event packet of namespace `nsp` from its wire object; `None` for anything else. The
/// packet's own `nsp` and `id` are not read: the receiver stamps its namespace and ack id.
pub(crate) fn packet_from_mp(nsp: &NamespaceName, mut value: Mp) -> Option<Packet> {
    let kind = get(&value, "type").and_then(Mp::as_u64)?;
    if kind != EVENT && kind != BINARY_EVENT {
        return None;
    }
    let (event, args) = split_event(take(&mut value, "data")?)?;
    Some(Packet::event(nsp.clone(), event, args))
}

/// `[event, ...args]` as the event name and its arguments.
pub(crate) fn split_event(data: Mp) -> Option<(String, Payload)> {
    let Mp::Array(mut items) = data else {
        return None;
    };
    if items.is_empty() {
        return None;
    }
    let event = items.remove(0).as_str()?.to_owned();
    Some((event, mp_to_payload(Mp::Array(items))))
}

/// The `nsp` a classic broadcast names (`/` when it names none, as Node reads it).
pub(crate) fn packet_nsp(value: &Mp) -> String {
    get(value, "nsp")
        .and_then(as_text)
        .unwrap_or_else(|| "/".to_owned())
}

/// Rooms once each, in their first order (Node keeps them in a `Set`).
fn unique(rooms: &[Room]) -> Mp {
    let mut seen: Vec<&Room> = Vec::with_capacity(rooms.len());
    for room in rooms {
        if !seen.contains(&room) {
            seen.push(room);
        }
    }
    Mp::Array(seen.into_iter().map(|room| Mp::from(&**room)).collect())
}

/// How many distinct target rooms the options have, and the first one.
pub(crate) fn single_room(opts: &BroadcastOptions) -> Option<&Room> {
    let first = opts.rooms.first()?;
    opts.rooms.iter().all(|room| room == first).then_some(first)
}

/// The flags as a wire object.
fn flags_to_mp(flags: &BroadcastFlags) -> Mp {
    json_to_mp(&serde_json::to_value(flags).unwrap_or_default(), &[])
}

/// `{rooms, except, flags}`: the options of a broadcast.
pub fn opts_to_mp(opts: &BroadcastOptions) -> Mp {
    map([
        ("rooms", unique(&opts.rooms)),
        ("except", unique(&opts.except)),
        ("flags", flags_to_mp(&opts.flags)),
    ])
}

/// `{rooms, flags, except}`: the options as `@socket.io/redis-emitter` orders them.
pub(crate) fn emitter_opts_to_mp(opts: &BroadcastOptions) -> Mp {
    map([
        ("rooms", unique(&opts.rooms)),
        ("flags", flags_to_mp(&opts.flags)),
        ("except", unique(&opts.except)),
    ])
}

/// `{rooms, except}`: the options of remote join, leave, disconnect and fetch requests in
/// classic mode, which carry no flags.
pub(crate) fn selection_to_mp(opts: &BroadcastOptions) -> Mp {
    map([
        ("rooms", unique(&opts.rooms)),
        ("except", unique(&opts.except)),
    ])
}

/// Options from the wire; missing parts (`flags`, even `except`) read as empty.
pub(crate) fn opts_from_mp(value: Option<&Mp>) -> BroadcastOptions {
    let Some(value) = value else {
        return BroadcastOptions::default();
    };
    let rooms = |key| {
        text_list(get(value, key))
            .into_iter()
            .map(Room::from)
            .collect()
    };
    let flags = get(value, "flags")
        .map(|flags| mp_to_plain_json(flags.clone()))
        .and_then(|flags| serde_json::from_value(flags).ok())
        .unwrap_or_default();
    BroadcastOptions {
        rooms: rooms("rooms"),
        except: rooms("except"),
        flags,
    }
}

/// Room names from the wire.
pub(crate) fn rooms_from_mp(value: Option<&Mp>) -> Vec<Room> {
    text_list(value).into_iter().map(Room::from).collect()
}

/// Room names as a wire list.
pub fn rooms_to_mp(rooms: &[Room]) -> Mp {
    Mp::Array(rooms.iter().map(|room| Mp::from(&**room)).collect())
}

/// Serialized sockets (`{id, handshake, rooms, data}` each).
pub fn sockets_to_mp(sockets: &[SocketData]) -> Mp {
    let json = serde_json::to_value(sockets).unwrap_or_default();
    json_to_mp(&json, &[])
}

/// Serialized sockets from the wire; entries that are not sockets are skipped.
pub fn sockets_from_mp(value: Mp) -> Vec<SocketData> {
    let Mp::Array(items) = value else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| serde_json::from_value(mp_to_plain_json(item)).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn packets_round_trip_through_the_wire_object() {
        let args = Payload::new(
            json!([1, {"_placeholder": true, "num": 0}]),
            vec![bytes::Bytes::from_static(b"\x01")],
        )
        .expect("payload");
        let packet = Packet::event(NamespaceName::root(), "ev", args);
        let wire = packet_to_mp(&packet, Some(&NamespaceName::root())).expect("an event");
        assert_eq!(
            mp_to_plain_json(wire.clone()),
            json!({"type": 2, "data": ["ev", 1, {"type": "Buffer", "data": [1]}], "nsp": "/"})
        );
        assert_eq!(packet_nsp(&wire), "/");
        assert_eq!(packet_from_mp(&NamespaceName::root(), wire), Some(packet));
        let connect = Packet::connect(NamespaceName::root(), None);
        assert_eq!(packet_to_mp(&connect, None), None);
    }

    #[test]
    fn options_are_written_as_node_writes_them() {
        let opts = BroadcastOptions {
            rooms: vec!["a".into(), "b".into(), "a".into()],
            except: vec!["x".into(), "x".into()],
            flags: BroadcastFlags {
                volatile: Some(true),
                ..BroadcastFlags::default()
            },
        };
        assert_eq!(
            mp_to_plain_json(opts_to_mp(&opts)),
            json!({"rooms": ["a", "b"], "except": ["x"], "flags": {"volatile": true}})
        );
        assert_eq!(
            serde_json::to_string(&mp_to_plain_json(emitter_opts_to_mp(&opts))).expect("json"),
            r#"{"rooms":["a","b"],"flags":{"volatile":true},"except":["x"]}"#
        );
        assert_eq!(single_room(&opts), None);
        let back = opts_from_mp(Some(&opts_to_mp(&opts)));
        assert_eq!(back.rooms, vec![Room::from("a"), Room::from("b")]);
        assert_eq!(back.flags.volatile, Some(true));
        // The emitter's join requests: no flags; a numeric room from JavaScript.
        let bare = json_to_mp(&json!({"rooms": [7]}), &[]);
        assert_eq!(opts_from_mp(Some(&bare)).rooms, vec![Room::from("7")]);
    }
}
