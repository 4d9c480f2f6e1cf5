//! What the sharded adapter does with the messages of its channels (`onMessage` and
//! `onResponse` of socket.io-adapter's `ClusterAdapter`).

use std::sync::Arc;

use rmpv::Value as Mp;
use socketio::adapter::{AckSink, LocalNamespace, ServerReply};
use socketio::Payload;

use super::{message, Inner};
use crate::hub::Listener;
use crate::inbound::{cluster_answer, cluster_body, cluster_head, ClusterBody};
use crate::value::{decode, map, payload_to_mp};
use crate::wire::sockets_to_mp;

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

impl Inner {
    fn on_cluster_message(&self, message: Mp) {
        let Some(local) = self.core.local() else {
            return;
        };
        let Some(head) = cluster_head(&message) else {
            return;
        };
        let nsp_matches = head.nsp.as_deref() == Some(self.core.nsp.as_str());
        if head.uid == self.core.uid || !nsp_matches {
            return;
        }
        match cluster_body(head.kind, message, &self.core.nsp) {
            ClusterBody::Broadcast(opts, Some(packet), Some(id)) => {
                self.broadcast_with_ack(&local, &packet, &opts, &head.uid, id);
            }
            ClusterBody::Broadcast(opts, Some(packet), None) => local.broadcast(&packet, &opts),
            ClusterBody::Join(opts, rooms) => local.sockets_join(&opts, &rooms),
            ClusterBody::Leave(opts, rooms) => local.sockets_leave(&opts, &rooms),
            ClusterBody::Disconnect(opts, close) => local.disconnect_sockets(&opts, close),
            ClusterBody::Fetch(opts, Some(id)) => {
                let sockets = sockets_to_mp(&local.fetch_sockets(&opts));
                let data = map([("requestId", Mp::from(id)), ("sockets", sockets)]);
                self.publish_response(&head.uid, message::FETCH_SOCKETS_RESPONSE, data);
            }
            ClusterBody::ServerSideEmit(Some((event, args)), id) => {
                self.server_side_emit(&local, &event, args, &head.uid, id);
            }
            // Answers may come this way too: some transports have a single channel.
            ClusterBody::Answer(Some((id, answer))) => answer.deliver(&id, &self.core.pending),
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
        event: &str,
        args: Payload,
        requester: &str,
        id: Option<String>,
    ) {
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
        local.server_side_emit(event, args, reply);
    }

    fn on_response(&self, message: Mp) {
        if let Some((id, answer)) = cluster_answer(message) {
            answer.deliver(&id, &self.core.pending);
        }
    }

    /// A weak handle on this adapter, for answers given later (a client's ack, a listener's
    /// reply) that must not keep a closed adapter alive.
    fn rooms_owner(&self) -> std::sync::Weak<Inner> {
        self.rooms.owner()
    }
}
