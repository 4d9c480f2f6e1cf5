//! What the sharded adapter does with the messages of its channels (`onMessage` and
//! `onResponse` of socket.io-adapter's `ClusterAdapter`).

use std::sync::Arc;

use rmpv::Value as Mp;
use socketio::adapter::{AckEvent, AckSink, LocalNamespace, ServerReply};
use socketio::Payload;

use super::{message, Inner};
use crate::hub::Listener;
use crate::value::{as_text, decode, get, map, mp_to_payload, payload_to_mp, take};
use crate::wire::{opts_from_mp, packet_from_mp, rooms_from_mp, sockets_to_mp, split_event};

impl Listener for Inner {
    fn on_message(&self, channel: &str, payload: &[u8]) {
        let Some(message) = decode(payload) else {
            return;
        };
        match channel == self.response_channel {
            true => self.on_response(message),
            false => self.on_cluster_message(message),
        }
    }
}

/// The `data` of a message, and its `requestId` when it has one.
fn data_of(message: &mut Mp) -> (Mp, Option<String>) {
    let data = take(message, "data").unwrap_or(Mp::Nil);
    let id = get(&data, "requestId").and_then(as_text);
    (data, id)
}

impl Inner {
    fn on_cluster_message(&self, mut message: Mp) {
        let Some(local) = self.core.local().cloned() else {
            return;
        };
        let Some(uid) = get(&message, "uid").and_then(as_text) else {
            return;
        };
        let nsp_matches = get(&message, "nsp").and_then(Mp::as_str) == Some(self.core.nsp.as_str());
        if uid == self.core.uid || !nsp_matches {
            return;
        }
        let Some(kind) = get(&message, "type").and_then(Mp::as_u64) else {
            return;
        };
        let (mut data, id) = data_of(&mut message);
        let opts = opts_from_mp(get(&data, "opts"));
        match kind {
            message::BROADCAST => {
                let Some(packet) = take(&mut data, "packet") else {
                    return;
                };
                let Some(packet) = packet_from_mp(&self.core.nsp, packet) else {
                    return;
                };
                match id {
                    Some(id) => self.broadcast_with_ack(&local, &packet, &opts, &uid, id),
                    None => local.broadcast(&packet, &opts),
                }
            }
            message::SOCKETS_JOIN => local.sockets_join(&opts, &rooms_from_mp(get(&data, "rooms"))),
            message::SOCKETS_LEAVE => {
                local.sockets_leave(&opts, &rooms_from_mp(get(&data, "rooms")))
            }
            message::DISCONNECT_SOCKETS => {
                let close = get(&data, "close").and_then(Mp::as_bool) == Some(true);
                local.disconnect_sockets(&opts, close);
            }
            message::FETCH_SOCKETS => {
                let Some(id) = id else { return };
                let sockets = sockets_to_mp(&local.fetch_sockets(&opts));
                let data = map([("requestId", Mp::from(id)), ("sockets", sockets)]);
                self.publish_response(&uid, message::FETCH_SOCKETS_RESPONSE, data);
            }
            message::SERVER_SIDE_EMIT => self.server_side_emit(&local, &mut data, &uid, id),
            // Answers may come this way too: some transports have a single channel.
            message::FETCH_SOCKETS_RESPONSE
            | message::SERVER_SIDE_EMIT_RESPONSE
            | message::BROADCAST_CLIENT_COUNT
            | message::BROADCAST_ACK => self.on_response_data(kind, data, id),
            _ => {}
        }
    }

    /// Delivered with this node's ack id; the count (always, even 0) and each answer go to the
    /// requester's channel.
    fn broadcast_with_ack(
        &self,
        local: &Arc<dyn LocalNamespace>,
        packet: &socketio::Packet,
        opts: &socketio::BroadcastOptions,
        requester: &str,
        id: String,
    ) {
        let adapter = self.rooms_owner();
        let (requester_uid, ack_id) = (requester.to_owned(), id.clone());
        let on_ack: AckSink<Payload> = Arc::new(move |answer: Payload| {
            let Some(adapter) = adapter.upgrade() else {
                return;
            };
            let data = map([
                ("requestId", Mp::from(ack_id.as_str())),
                ("packet", payload_to_mp(&answer)),
            ]);
            adapter.publish_response(&requester_uid, message::BROADCAST_ACK, data);
        });
        let count = local.broadcast_with_ack(packet, opts, on_ack);
        let data = map([
            ("requestId", Mp::from(id)),
            ("clientCount", Mp::from(count)),
        ]);
        self.publish_response(requester, message::BROADCAST_CLIENT_COUNT, data);
    }

    fn server_side_emit(
        &self,
        local: &Arc<dyn LocalNamespace>,
        data: &mut Mp,
        requester: &str,
        id: Option<String>,
    ) {
        let Some((event, args)) = take(data, "packet").and_then(split_event) else {
            return;
        };
        let reply = id.map(|id| {
            let (adapter, requester) = (self.rooms_owner(), requester.to_owned());
            Box::new(move |answer: Payload| {
                let Some(adapter) = adapter.upgrade() else {
                    return;
                };
                let data = map([
                    ("requestId", Mp::from(id)),
                    ("packet", payload_to_mp(&answer)),
                ]);
                adapter.publish_response(&requester, message::SERVER_SIDE_EMIT_RESPONSE, data);
            }) as ServerReply
        });
        local.server_side_emit(&event, args, reply);
    }

    fn on_response(&self, mut message: Mp) {
        let Some(kind) = get(&message, "type").and_then(Mp::as_u64) else {
            return;
        };
        let (data, id) = data_of(&mut message);
        self.on_response_data(kind, data, id);
    }

    fn on_response_data(&self, kind: u64, mut data: Mp, id: Option<String>) {
        let Some(id) = id else { return };
        let pending = &self.core.pending;
        match kind {
            message::BROADCAST_CLIENT_COUNT => {
                let count = get(&data, "clientCount").and_then(Mp::as_u64).unwrap_or(0);
                let count = usize::try_from(count).unwrap_or(0);
                pending.ack(&id, AckEvent::ClientCount(count));
            }
            message::BROADCAST_ACK => {
                let answer = mp_to_payload(take(&mut data, "packet").unwrap_or(Mp::Nil));
                pending.ack(&id, AckEvent::Ack(answer));
            }
            message::FETCH_SOCKETS_RESPONSE => {
                pending.answer(&id, take(&mut data, "sockets").unwrap_or(Mp::Nil));
            }
            message::SERVER_SIDE_EMIT_RESPONSE => {
                let answer = mp_to_payload(take(&mut data, "packet").unwrap_or(Mp::Nil));
                pending.reply(&id, answer);
            }
            _ => {}
        }
    }

    /// A weak handle on this adapter, for answers given later (a client's ack, a listener's
    /// reply) that must not keep a closed adapter alive.
    fn rooms_owner(&self) -> std::sync::Weak<Inner> {
        self.rooms.owner()
    }
}
