//! The public handle of a namespace.

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;

use super::ack::PartialAcks;
use super::emit::EmitError;
use super::namespace::{read, write, ConnectError, Middleware, NsInner};
use super::operator::{BroadcastOperator, IntoRooms};
use super::socket::Socket;
use crate::adapter::{AckSink, AdapterError, ServerReplies, ServerReply};
use crate::packet::NamespaceName;
use crate::payload::{to_payload, Payload, PayloadError};
use crate::room::Room;

/// Answers a server-side event from another node, once.
pub struct ServerAck(ServerReply);

impl ServerAck {
    pub(super) fn new(reply: ServerReply) -> Self {
        Self(reply)
    }
}

impl ServerAck {
    /// Sends the answer (one value: the reference forwards only the first argument).
    pub fn send<T: Serialize + ?Sized>(self, answer: &T) -> Result<(), PayloadError> {
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

/// A namespace: where sockets connect, and a broadcast target for all of them.
///
/// ```
/// use socketio::server::{ConnectError, Socket, SocketIo};
/// let io = SocketIo::new();
/// let admin = io.of("/admin");
/// admin.use_middleware(|socket: Socket| async move {
///     match socket.handshake().auth["token"].as_str() {
///         Some("secret") => Ok(()),
///         _ => Err(ConnectError::new("not authorized")),
///     }
/// });
/// admin.on_connection(|socket: Socket| {
///     let _ = socket.emit("welcome", "admin");
/// });
/// ```
#[derive(Clone)]
pub struct Nsp(pub(crate) Arc<NsInner>);

impl Nsp {
    /// The namespace's name.
    pub fn name(&self) -> &NamespaceName {
        &self.0.name
    }

    /// Runs for each socket that connects (after the middlewares accepted it).
    pub fn on_connection(&self, handler: impl Fn(Socket) + Send + Sync + 'static) {
        write(&self.0.hooks).connection.push(Arc::new(handler));
    }

    /// A connect middleware; they run in order, and an `Err` refuses the connection.
    pub fn use_middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
    {
        let middleware: Middleware = Arc::new(move |socket| Box::pin(middleware(socket)));
        write(&self.0.hooks).middlewares.push(middleware);
    }

    /// Every socket of the namespace (of every child, for a dynamic parent).
    pub fn operator(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.0.clone())
    }

    /// Emits to every socket of the namespace.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        self.operator().emit(event, args)
    }

    /// Targets the sockets in `rooms`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.operator().to(rooms)
    }

    /// Targets every socket except those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.operator().except(rooms)
    }

    /// Listens to server-side events that other nodes emit ([`Nsp::server_side_emit`]); the
    /// handler gets the arguments and, when the emitter waits for answers, a [`ServerAck`].
    pub fn on_server_event(
        &self,
        event: &str,
        handler: impl Fn(&Payload, Option<ServerAck>) + Send + Sync + 'static,
    ) {
        write(&self.0.hooks)
            .server_events
            .insert(event.to_owned(), Arc::new(handler));
    }

    /// Emits an event to the other nodes' server-side listeners (never to this node's).
    pub fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), EmitError> {
        check_server_event(event)?;
        let args = super::emit::to_args(args)?;
        let _ = self.0.adapter.server_side_emit(event, &args, None);
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
        timeout: std::time::Duration,
    ) -> Result<Vec<R>, PartialAcks<R>>
    where
        T: Serialize + ?Sized,
        R: serde::de::DeserializeOwned,
    {
        let Ok(args) = check_server_event(event).and_then(|()| Ok(super::emit::to_args(args)?))
        else {
            return Err(PartialAcks {
                responses: Vec::new(),
            });
        };
        let expected = self.0.adapter.server_count().await.saturating_sub(1);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Payload>();
        let sink: AckSink<Payload> = Arc::new(move |answer| {
            let _ = tx.send(answer);
        });
        let replies = ServerReplies { sink, timeout };
        if self
            .0
            .adapter
            .server_side_emit(event, &args, Some(replies))
            .is_err()
        {
            return Err(PartialAcks {
                responses: Vec::new(),
            });
        }
        let mut responses = Vec::with_capacity(expected);
        let collect = async {
            while responses.len() < expected {
                let Some(answer) = rx.recv().await else { break };
                if let Ok(value) = crate::payload::from_payload::<R>(&answer) {
                    responses.push(value);
                }
            }
        };
        let complete = tokio::time::timeout(timeout, collect).await.is_ok();
        match complete && responses.len() >= expected {
            true => Ok(responses),
            false => Err(PartialAcks { responses }),
        }
    }

    /// The local socket with this id.
    pub fn socket(&self, id: &str) -> Option<Socket> {
        read(&self.0.sockets).get(id).cloned()
    }

    /// The rooms that have local members (each socket's own room among them).
    pub fn rooms(&self) -> Vec<Room> {
        read(&self.0.rooms).all_rooms()
    }

    /// Number of local sockets.
    pub fn socket_count(&self) -> usize {
        read(&self.0.sockets).len()
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

/// The reference refuses these names for server-side events.
fn check_server_event(event: &str) -> Result<(), EmitError> {
    match event {
        "connect" | "connection" | "new_namespace" => Err(EmitError::Reserved(event.to_owned())),
        _ => Ok(()),
    }
}
