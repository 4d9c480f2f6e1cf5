//! Talking to the other servers of a cluster: server-side events, the server count, the
//! rooms of every server.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::hooks::ServerEventHandler;
use super::{read, write, Namespace};
use crate::adapter::{AdapterError, ServerReplies, ServerReply};
use crate::payload::{to_args, to_payload, Payload, PayloadError};
use crate::room::Room;
use crate::server::ack::Collector;
use crate::server::callback;
use crate::server::error::{EmitError, PartialAcks};

/// Answers a server-side event from another node, once.
pub struct ServerAck(ServerReply);

impl ServerAck {
    /// Sends the answer (one value: the reference forwards only the first argument); an
    /// answer that does not serialize is logged (see [`ServerAck::try_send`]).
    pub fn send<T: Serialize + ?Sized>(self, answer: &T) {
        if let Err(error) = self.try_send(answer) {
            tracing::error!(%error, "server-side event answer not sent");
        }
    }

    /// [`ServerAck::send`], with what went wrong.
    pub fn try_send<T: Serialize + ?Sized>(self, answer: &T) -> Result<(), PayloadError> {
        (self.0)(to_payload(answer)?);
        Ok(())
    }

    /// Sends an answer that is already a payload (binary leaves kept as they are).
    pub fn send_payload(self, answer: Payload) {
        (self.0)(answer);
    }
}

impl std::fmt::Debug for ServerAck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerAck")
    }
}

impl Namespace {
    /// Listens to server-side events that other nodes emit ([`Namespace::server_side_emit`]);
    /// the handler, plain or async, gets the arguments and, when the emitter waits for
    /// answers, a [`ServerAck`].
    pub fn on_server_event<M>(&self, event: &str, handler: impl ServerEventHandler<M>) {
        write(&self.0.hooks).server_events.insert(
            event.to_owned(),
            Arc::new(move |args, ack| handler.call(args, ack)),
        );
    }

    /// Emits an event to the other nodes' server-side listeners (never to this node's). A
    /// tuple is the argument list, any other value one argument.
    pub fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), EmitError> {
        check_server_event(event)?;
        let args = to_args(args)?;
        if let Err(error) = self.0.adapter.server_side_emit(event, &args, None) {
            tracing::warn!(%error, event, "server-side emit not published");
        }
        Ok(())
    }

    /// Emits to the other nodes' server-side listeners and collects one answer per node,
    /// within `timeout`; when it fires first, the error carries the answers that came. The
    /// adapter hands answers on for that long, whatever its own request timeout (the
    /// reference has no per-call timeout: it waits its adapter's `requestsTimeout`).
    pub async fn server_side_emit_with_ack<T, R>(
        &self,
        event: &str,
        args: &T,
        timeout: Duration,
    ) -> Result<Vec<R>, PartialAcks<R>>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned + Send + 'static,
    {
        check_server_event(event).map_err(PartialAcks::none)?;
        let args = to_args(args).map_err(|error| PartialAcks::none(EmitError::from(error)))?;
        let expected = self.0.adapter.server_count().await.saturating_sub(1);
        let collector = Collector::<R>::new(expected, 0);
        let replies = ServerReplies {
            sink: collector.answers(),
            timeout,
        };
        self.0
            .adapter
            .server_side_emit(event, &args, Some(replies))
            .map_err(PartialAcks::none)?;
        collector.wait(timeout).await
    }

    /// How many servers the cluster has, this one included (`adapter.serverCount()` in the
    /// reference; 1 without a cluster adapter).
    ///
    /// ```
    /// # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// # runtime.block_on(async {
    /// let io = socketio::server::SocketIo::new();
    /// assert_eq!(io.of("/").server_count().await, 1);
    /// assert!(io.of("/").all_rooms().await?.is_empty());
    /// # Ok::<(), socketio::adapter::AdapterError>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn server_count(&self) -> usize {
        self.0.adapter.server_count().await
    }

    /// The rooms with members on any server of the cluster, each socket's own room among
    /// them, sorted (`adapter.allRooms()` in the reference). Fails when a server does not
    /// answer in time, or when the adapter cannot ask (the sharded Redis adapter, as Node's).
    pub async fn all_rooms(&self) -> Result<Vec<Room>, AdapterError> {
        let mut rooms = self.0.adapter.all_rooms().await?;
        rooms.extend(self.rooms());
        rooms.sort();
        rooms.dedup();
        Ok(rooms)
    }
}

impl super::Shared {
    /// Runs this node's listener of a server-side event from another node.
    pub(crate) fn server_event(&self, event: &str, args: Payload, reply: Option<ServerReply>) {
        let handler = read(&self.hooks).server_events.get(event).cloned();
        match handler {
            Some(handler) => {
                let ack = reply.map(ServerAck);
                callback::run(&format_args!("server event \"{event}\" handler"), || {
                    handler(args, ack)
                });
            }
            // As in the reference: no listener, no answer (the emitter times out).
            None => tracing::debug!(event, "server-side event without a listener"),
        }
    }
}

/// The reference refuses these names for server-side events.
fn check_server_event(event: &str) -> Result<(), EmitError> {
    match event {
        "connect" | "connection" | "new_namespace" => Err(EmitError::Reserved(event.to_owned())),
        _ => Ok(()),
    }
}
