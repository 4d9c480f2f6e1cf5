//! What the classic adapter does with the messages of its channels.

use std::sync::Arc;

use rmpv::Value as Mp;
use socketio::adapter::{AckEvent, AckSink, BroadcastOptions, LocalNamespace};
use socketio::room::Room;
use socketio::Payload;

use super::{request, Inner};
use crate::hub::Listener;
use crate::value::{as_text, decode, get, map, mp_to_payload, payload_to_mp, take};
use crate::wire::{
    opts_from_mp, packet_from_mp, packet_nsp, rooms_from_mp, rooms_to_mp, sockets_to_mp,
    split_event,
};

impl Listener for Inner {
    fn on_message(&self, channel: &str, payload: &[u8]) {
        let Some(local) = self.core.local().cloned() else {
            return;
        };
        if channel.starts_with(&self.channels.response) {
            self.on_response(payload);
        } else if channel == self.channels.request {
            self.on_request(&local, payload);
        } else if channel.starts_with(&self.channels.broadcast) {
            self.on_broadcast(&local, payload);
        }
    }
}

impl Inner {
    /// `[uid, packet, opts]`: delivered to the local sockets, unless this node sent it.
    fn on_broadcast(&self, local: &Arc<dyn LocalNamespace>, payload: &[u8]) {
        let Some(Mp::Array(mut parts)) = decode(payload) else {
            return;
        };
        if parts.len() < 3 || parts[0].as_str() == Some(&self.core.uid) {
            return;
        }
        let opts = opts_from_mp(Some(&parts[2]));
        let packet = parts.swap_remove(1);
        if packet_nsp(&packet) != self.core.nsp.as_str() {
            return;
        }
        if let Some(packet) = packet_from_mp(&self.core.nsp, packet) {
            local.broadcast(&packet, &opts);
        }
    }

    fn on_request(&self, local: &Arc<dyn LocalNamespace>, payload: &[u8]) {
        let Some(mut message) = decode(payload) else {
            return;
        };
        let own = get(&message, "uid").and_then(Mp::as_str) == Some(&self.core.uid);
        let id = get(&message, "requestId").and_then(as_text);
        // A request of this node's comes back to it too; it counted itself already.
        let mine = own
            || id
                .as_deref()
                .is_some_and(|id| self.core.pending.contains(id));
        let Some(kind) = get(&message, "type").and_then(Mp::as_u64) else {
            return;
        };
        match kind {
            request::SOCKETS if !mine => self.answer_socket_ids(local, &message, id),
            request::ALL_ROOMS if !mine => {
                let rooms = rooms_to_mp(&local.all_rooms());
                self.respond(&message, id, "rooms", rooms);
            }
            request::REMOTE_JOIN | request::REMOTE_LEAVE | request::REMOTE_DISCONNECT => {
                self.apply_remote(local, kind, &message, own, id);
            }
            request::REMOTE_FETCH if !mine => {
                let opts = opts_from_mp(get(&message, "opts"));
                let sockets = sockets_to_mp(&local.fetch_sockets(&opts));
                self.respond(&message, id, "sockets", sockets);
            }
            request::SERVER_SIDE_EMIT if !own => self.server_side_emit(local, &mut message, id),
            request::BROADCAST if !mine => self.broadcast_with_ack(local, &mut message, id),
            _ => {}
        }
    }

    /// Publishes `{requestId, <field>: value}` where the requester listens.
    fn respond(&self, request: &Mp, id: Option<String>, field: &str, value: Mp) {
        let Some(id) = id else { return };
        let answer = map([("requestId", Mp::from(id)), (field, value)]);
        self.publish_json(&self.response_channel(request), &answer);
    }

    /// The shared response channel, or the requester's own with
    /// `publishOnSpecificResponseChannel` (this node's option, as in Node).
    fn response_channel(&self, request: &Mp) -> String {
        let uid = get(request, "uid").and_then(Mp::as_str);
        match (self.core.config.specific_response_channel, uid) {
            (true, Some(uid)) => format!("{}{uid}#", self.channels.response),
            _ => self.channels.response.clone(),
        }
    }

    fn answer_socket_ids(&self, local: &Arc<dyn LocalNamespace>, message: &Mp, id: Option<String>) {
        let opts = BroadcastOptions {
            rooms: rooms_from_mp(get(message, "rooms")),
            ..BroadcastOptions::default()
        };
        let ids = local
            .fetch_sockets(&opts)
            .into_iter()
            .map(|s| Mp::from(s.id));
        self.respond(message, id, "sockets", Mp::Array(ids.collect()));
    }

    /// Remote join, leave and disconnect. With `opts` (the current form), applied by every
    /// node but the sender, which applied it to its own sockets already (Node's sender applies
    /// it when its own request comes back, which ends the same). The legacy form names one
    /// socket, and the node that has it answers.
    fn apply_remote(
        &self,
        local: &Arc<dyn LocalNamespace>,
        kind: u64,
        message: &Mp,
        own: bool,
        id: Option<String>,
    ) {
        let (opts, legacy) = match get(message, "opts") {
            Some(opts) if !own => (opts_from_mp(Some(opts)), false),
            Some(_) => return,
            None => match get(message, "sid").and_then(as_text) {
                Some(sid) if self.has_socket(local, &sid) => (only(&sid), true),
                _ => return,
            },
        };
        let rooms = match legacy {
            true => rooms_from_mp(
                get(message, "room")
                    .map(|r| Mp::Array(vec![r.clone()]))
                    .as_ref(),
            ),
            false => rooms_from_mp(get(message, "rooms")),
        };
        match kind {
            request::REMOTE_JOIN => local.sockets_join(&opts, &rooms),
            request::REMOTE_LEAVE => local.sockets_leave(&opts, &rooms),
            _ => {
                let close = get(message, "close").and_then(Mp::as_bool) == Some(true);
                local.disconnect_sockets(&opts, close);
            }
        }
        if let (true, Some(id)) = (legacy, id) {
            let answer = map([("requestId", Mp::from(id))]);
            self.publish_json(&self.response_channel(message), &answer);
        }
    }

    fn has_socket(&self, local: &Arc<dyn LocalNamespace>, sid: &str) -> bool {
        !local.fetch_sockets(&only(sid)).is_empty()
    }

    /// `{uid, type: 6, data: [event, ...args], requestId?}`: the namespace's server-side
    /// listeners run; the first answer goes back on the shared response channel (always that
    /// one, as in Node).
    fn server_side_emit(
        &self,
        local: &Arc<dyn LocalNamespace>,
        message: &mut Mp,
        id: Option<String>,
    ) {
        let Some((event, args)) = take(message, "data").and_then(split_event) else {
            return;
        };
        let reply = id.map(|id| {
            let (hub, channel) = (self.core.hub.clone(), self.channels.response.clone());
            Box::new(move |answer: Payload| {
                let response = map([
                    ("type", Mp::from(request::SERVER_SIDE_EMIT)),
                    ("requestId", Mp::from(id)),
                    ("data", payload_to_mp(&answer)),
                ]);
                hub.publish(channel, crate::value::encode_json(&response), false);
            }) as socketio::adapter::ServerReply
        });
        local.server_side_emit(&event, args, reply);
    }

    /// A broadcast with acks from another node: delivered with this node's ack id; the client
    /// count (always, even 0) and then each client's answer go back to the requester.
    fn broadcast_with_ack(
        &self,
        local: &Arc<dyn LocalNamespace>,
        message: &mut Mp,
        id: Option<String>,
    ) {
        let Some(id) = id else { return };
        let opts = opts_from_mp(get(message, "opts"));
        let Some(packet) = take(message, "packet").and_then(|p| packet_from_mp(&self.core.nsp, p))
        else {
            return;
        };
        let (hub, channel) = (self.core.hub.clone(), self.response_channel(message));
        let ack_id = id.clone();
        let on_ack: AckSink<Payload> = Arc::new(move |answer: Payload| {
            let response = map([
                ("type", Mp::from(request::BROADCAST_ACK)),
                ("requestId", Mp::from(ack_id.as_str())),
                ("packet", payload_to_mp(&answer)),
            ]);
            hub.publish(
                channel.clone(),
                crate::value::encode_msgpack(&response),
                false,
            );
        });
        let count = local.broadcast_with_ack(&packet, &opts, on_ack);
        let response = map([
            ("type", Mp::from(request::BROADCAST_CLIENT_COUNT)),
            ("requestId", Mp::from(id)),
            ("clientCount", Mp::from(count)),
        ]);
        self.publish_json(&self.response_channel(message), &response);
    }

    /// An answer to one of this node's requests.
    fn on_response(&self, payload: &[u8]) {
        let Some(mut message) = decode(payload) else {
            return;
        };
        let Some(id) = get(&message, "requestId").and_then(as_text) else {
            return;
        };
        let pending = &self.core.pending;
        match get(&message, "type").and_then(Mp::as_u64) {
            Some(request::BROADCAST_CLIENT_COUNT) => {
                let count = get(&message, "clientCount")
                    .and_then(Mp::as_u64)
                    .unwrap_or(0);
                let count = usize::try_from(count).unwrap_or(0);
                pending.ack(&id, AckEvent::ClientCount(count));
            }
            Some(request::BROADCAST_ACK) => {
                let answer = mp_to_payload(take(&mut message, "packet").unwrap_or(Mp::Nil));
                pending.ack(&id, AckEvent::Ack(answer));
            }
            Some(request::SERVER_SIDE_EMIT) => {
                let answer = mp_to_payload(take(&mut message, "data").unwrap_or(Mp::Nil));
                pending.reply(&id, answer);
            }
            _ => pending.answer(&id, message),
        }
    }
}

/// The options selecting one socket (by its own room).
fn only(sid: &str) -> BroadcastOptions {
    BroadcastOptions {
        rooms: vec![Room::from(sid)],
        ..BroadcastOptions::default()
    }
}
