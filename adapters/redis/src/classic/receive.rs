//! What the classic adapter does with the messages of its channels.

use std::sync::Arc;

use rmpv::Value as Mp;
use socketio::adapter::{AckSink, BroadcastOptions, LocalNamespace};
use socketio::packet::Packet;
use socketio::room::Room;
use socketio::Payload;

use super::{request, Inner};
use crate::hub::Listener;
use crate::inbound::{
    classic_answer, request_body, request_head, ClassicBroadcast, Remote, Request, RequestHead,
    Target,
};
use crate::value::{decode, map, payload_to_mp};
use crate::wire::{rooms_to_mp, sockets_to_mp};

impl Listener for Inner {
    fn on_message(&self, channel: &str, payload: &[u8]) {
        let Some(local) = self.core.local() else {
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
        let Some(message) = decode(payload).and_then(ClassicBroadcast::from_value) else {
            return;
        };
        if message.uid() == Some(&self.core.uid) || message.nsp() != self.core.nsp.as_str() {
            return;
        }
        let opts = message.opts();
        if let Some(packet) = message.into_packet(&self.core.nsp) {
            local.broadcast(&packet, &opts);
        }
    }

    fn on_request(&self, local: &Arc<dyn LocalNamespace>, payload: &[u8]) {
        let Some(message) = decode(payload) else {
            return;
        };
        let Some(head) = request_head(&message) else {
            return;
        };
        let own = head.uid.as_deref() == Some(&self.core.uid);
        // A request of this node's comes back to it too; it counted itself already.
        let mine = own
            || head
                .id
                .as_deref()
                .is_some_and(|id| self.core.pending.contains(id));
        if ignored(head.kind, own, mine) {
            return;
        }
        match request_body(head.kind, message, &self.core.nsp) {
            Request::Sockets(rooms) => self.answer_socket_ids(local, &head, rooms),
            Request::AllRooms => {
                let rooms = rooms_to_mp(&local.all_rooms());
                self.respond(&head, "rooms", rooms);
            }
            Request::Remote(remote) => self.apply_remote(local, &head, own, remote),
            Request::Fetch(opts) => {
                let sockets = sockets_to_mp(&local.fetch_sockets(&opts));
                self.respond(&head, "sockets", sockets);
            }
            Request::ServerSideEmit(Some((event, args))) => {
                self.server_side_emit(local, &event, args, head.id);
            }
            Request::Broadcast(opts, Some(packet)) => {
                self.broadcast_with_ack(local, &head, &packet, &opts);
            }
            _ => {}
        }
    }

    /// Publishes `{requestId, <field>: value}` where the requester listens.
    fn respond(&self, head: &RequestHead, field: &str, value: Mp) {
        let Some(id) = &head.id else { return };
        let answer = map([("requestId", Mp::from(id.as_str())), (field, value)]);
        self.answer_json(self.response_channel(head), &answer);
    }

    /// The shared response channel, or the requester's own with
    /// `publishOnSpecificResponseChannel` (this node's option, as in Node).
    fn response_channel(&self, head: &RequestHead) -> String {
        match (self.core.config.specific_response_channel, &head.uid) {
            (true, Some(uid)) => format!("{}{uid}#", self.channels.response),
            _ => self.channels.response.clone(),
        }
    }

    fn answer_socket_ids(
        &self,
        local: &Arc<dyn LocalNamespace>,
        head: &RequestHead,
        rooms: Vec<Room>,
    ) {
        let opts = BroadcastOptions {
            rooms,
            ..BroadcastOptions::default()
        };
        let ids = local
            .fetch_sockets(&opts)
            .into_iter()
            .map(|s| Mp::from(s.id));
        self.respond(head, "sockets", Mp::Array(ids.collect()));
    }

    /// Remote join, leave and disconnect. With `opts` (the current form), applied by every
    /// node but the sender, which applied it to its own sockets already (Node's sender applies
    /// it when its own request comes back, which ends the same). The legacy form names one
    /// socket, and the node that has it answers.
    fn apply_remote(
        &self,
        local: &Arc<dyn LocalNamespace>,
        head: &RequestHead,
        own: bool,
        remote: Remote,
    ) {
        let (opts, legacy) = match remote.target {
            Target::Opts(_) if own => return,
            Target::Opts(opts) => (opts, false),
            Target::Socket(sid) if self.has_socket(local, &sid) => (only(&sid), true),
            _ => return,
        };
        match head.kind {
            request::REMOTE_JOIN => local.sockets_join(&opts, &remote.rooms),
            request::REMOTE_LEAVE => local.sockets_leave(&opts, &remote.rooms),
            _ => local.disconnect_sockets(&opts, remote.close),
        }
        if let (true, Some(id)) = (legacy, &head.id) {
            let answer = map([("requestId", Mp::from(id.as_str()))]);
            self.answer_json(self.response_channel(head), &answer);
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
        event: &str,
        args: Payload,
        id: Option<String>,
    ) {
        let reply = id.map(|id| {
            let (hub, channel) = (self.core.hub.clone(), self.channels.response.clone());
            Box::new(move |answer: Payload| {
                let response = map([
                    ("type", Mp::from(request::SERVER_SIDE_EMIT)),
                    ("requestId", Mp::from(id)),
                    ("data", payload_to_mp(&answer)),
                ]);
                hub.publish_answer(channel, crate::value::encode_json(&response), false);
            }) as socketio::adapter::ServerReply
        });
        local.server_side_emit(event, args, reply);
    }

    /// A broadcast with acks from another node: delivered with this node's ack id; the client
    /// count (always, even 0) and then each client's answer go back to the requester.
    fn broadcast_with_ack(
        &self,
        local: &Arc<dyn LocalNamespace>,
        head: &RequestHead,
        packet: &Packet,
        opts: &BroadcastOptions,
    ) {
        let Some(id) = head.id.clone() else { return };
        let (hub, channel) = (self.core.hub.clone(), self.response_channel(head));
        let ack_id = id.clone();
        let on_ack: AckSink<Payload> = Arc::new(move |answer: Payload| {
            let response = map([
                ("type", Mp::from(request::BROADCAST_ACK)),
                ("requestId", Mp::from(ack_id.as_str())),
                ("packet", payload_to_mp(&answer)),
            ]);
            hub.publish_answer(
                channel.clone(),
                crate::value::encode_msgpack(&response),
                false,
            );
        });
        let count = local.broadcast_with_ack(packet, opts, on_ack);
        let response = map([
            ("type", Mp::from(request::BROADCAST_CLIENT_COUNT)),
            ("requestId", Mp::from(id)),
            ("clientCount", Mp::from(count)),
        ]);
        self.answer_json(self.response_channel(head), &response);
    }

    /// An answer to one of this node's requests.
    fn on_response(&self, payload: &[u8]) {
        if let Some((id, answer)) = decode(payload).and_then(classic_answer) {
            answer.deliver(&id, &self.core.pending);
        }
    }
}

/// Whether a node leaves a request of type `kind` alone: its own (`own`: signed with its
/// uid), or one it waits answers for (`mine`). Remote join, leave and disconnect decide on
/// their fields.
fn ignored(kind: u64, own: bool, mine: bool) -> bool {
    match kind {
        request::REMOTE_JOIN | request::REMOTE_LEAVE | request::REMOTE_DISCONNECT => false,
        request::SERVER_SIDE_EMIT => own,
        _ => mine,
    }
}

/// The options selecting one socket (by its own room).
fn only(sid: &str) -> BroadcastOptions {
    BroadcastOptions {
        rooms: vec![Room::from(sid)],
        ..BroadcastOptions::default()
    }
}
