//! The Adapter trait: how a namespace reaches the other nodes of a cluster.
//!
//! Room membership of local sockets stays in memory on each node ([`crate::room`]); joining a
//! room never waits on the network. An adapter only carries operations to the other nodes
//! (publish a broadcast, make their sockets join, leave or disconnect) and asks them
//! questions (fetch their sockets, count the servers), then applies what the others send
//! through the [`LocalNamespace`] it is given. The trait is object-safe: boxed futures, so no
//! adapter type parameter leaks into sockets or the server handle.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::packet::{NamespaceName, Packet};
use crate::payload::Payload;
use crate::recovery::{Restored, Session};
use crate::room::Room;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Flags of a broadcast, in the field names the Node adapters use on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastFlags {
    /// Drop the packet for clients that cannot take it right now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volatile: Option<bool>,
    /// Compression allowed (polling responses; WebSocket compression is off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compress: Option<bool>,
    /// This node only: nothing goes to the adapter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<bool>,
    /// Sent with `socket.broadcast` (all but the sender).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<bool>,
    /// Ack timeout in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

/// Which sockets an operation targets: `{rooms, except, flags}` on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastOptions {
    /// Sockets in any of these rooms; every socket when empty.
    #[serde(default)]
    pub rooms: Vec<Room>,
    /// Minus the sockets in any of these rooms.
    #[serde(default)]
    pub except: Vec<Room>,
    /// Flags.
    #[serde(default)]
    pub flags: BroadcastFlags,
}

impl BroadcastOptions {
    /// Whether the operation stays on this node.
    pub fn is_local(&self) -> bool {
        self.flags.local == Some(true)
    }

    /// The ack timeout, when one is set.
    pub fn timeout(&self) -> Option<Duration> {
        self.flags.timeout.map(Duration::from_millis)
    }
}

/// A socket as another node sees it (`fetchSockets`): `{id, handshake, rooms, data}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SocketData {
    /// The socket id.
    pub id: String,
    /// The handshake object (headers, time, address, xdomain, secure, issued, url, query, auth).
    pub handshake: Value,
    /// Its rooms.
    pub rooms: Vec<Room>,
    /// Its `data`.
    #[serde(default)]
    pub data: Value,
}

/// An adapter operation failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdapterError {
    /// Other nodes did not all answer in time.
    #[error("timeout reached: {0}")]
    Timeout(String),
    /// The transport to the other nodes failed.
    #[error("adapter transport: {0}")]
    Transport(String),
    /// The operation is not supported by this adapter.
    #[error("not supported")]
    Unsupported,
}

/// What other nodes report for a broadcast with acks.
#[derive(Debug, Clone, PartialEq)]
pub enum AckEvent {
    /// A node sent the packet to this many of its clients.
    ClientCount(usize),
    /// A client answered: the first argument of its ack.
    Ack(Payload),
}

/// Receives the reports of a broadcast with acks, or the answers of a server-side emit.
pub type AckSink<T> = Arc<dyn Fn(T) + Send + Sync>;

/// Answers a server-side emit from another node, once: the first argument of the answer.
pub type ServerReply = Box<dyn FnOnce(Payload) + Send>;

/// Where the answers to a server-side emit go, and for how long the adapter hands them on.
#[derive(Clone)]
pub struct ServerReplies {
    /// Receives each node's answer.
    pub sink: AckSink<Payload>,
    /// How long the caller waits: answers arriving later are dropped. The caller's own
    /// timeout, so that an adapter does not stop listening before the caller stops waiting.
    pub timeout: Duration,
}

impl std::fmt::Debug for ServerReplies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerReplies")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The namespace as an adapter sees it: where operations from other nodes are applied.
pub trait LocalNamespace: Send + Sync + 'static {
    /// The namespace's name.
    fn name(&self) -> &NamespaceName;
    /// Delivers a packet to the local sockets `opts` selects.
    fn broadcast(&self, packet: &Packet, opts: &BroadcastOptions);
    /// Makes the selected local sockets join rooms.
    fn sockets_join(&self, opts: &BroadcastOptions, rooms: &[Room]);
    /// Makes the selected local sockets leave rooms.
    fn sockets_leave(&self, opts: &BroadcastOptions, rooms: &[Room]);
    /// Disconnects the selected local sockets (and their connections when `close`).
    fn disconnect_sockets(&self, opts: &BroadcastOptions, close: bool);
    /// The selected local sockets.
    fn fetch_sockets(&self, opts: &BroadcastOptions) -> Vec<SocketData>;
    /// Delivers a packet that asks for acks (the ack id is this node's own); each client's
    /// answer goes to `on_ack`. Returns the number of clients it went to.
    fn broadcast_with_ack(
        &self,
        packet: &Packet,
        opts: &BroadcastOptions,
        on_ack: AckSink<Payload>,
    ) -> usize;
    /// Runs the namespace's server-side event listeners (`io.on(event)` in the reference),
    /// with a reply when the emitting node waits for one.
    fn server_side_emit(&self, event: &str, args: Payload, reply: Option<ServerReply>);

    /// Every room with local members, each socket's own room among them (what a node answers
    /// to the classic Redis adapter's `allRooms` request). The default reads them off
    /// [`LocalNamespace::fetch_sockets`]; a namespace that keeps a room index can answer from it
    /// without building every socket's handshake.
    fn all_rooms(&self) -> Vec<Room> {
        let mut rooms: Vec<Room> = self
            .fetch_sockets(&BroadcastOptions::default())
            .into_iter()
            .flat_map(|socket| socket.rooms)
            .collect();
        rooms.sort();
        rooms.dedup();
        rooms
    }
}

/// How a namespace talks to the other nodes. Every method has the single-node behaviour as
/// its default, which is the whole of [`MemoryAdapter`].
pub trait Adapter: Send + Sync + 'static {
    /// Starts the adapter for a namespace. The namespace owns its adapter, so the adapter
    /// holds it weakly (a strong reference would keep a removed dynamic namespace alive
    /// forever); an upgrade that fails means the namespace is gone.
    fn init(
        &self,
        _namespace: Weak<dyn LocalNamespace>,
    ) -> BoxFuture<'_, Result<(), AdapterError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    /// Publishes a broadcast to the other nodes (the local delivery is the namespace's).
    fn broadcast(&self, _packet: &Packet, _opts: &BroadcastOptions) -> Result<(), AdapterError> {
        Ok(())
    }

    /// Asks the other nodes to make their selected sockets join rooms.
    fn sockets_join(&self, _opts: &BroadcastOptions, _rooms: &[Room]) -> Result<(), AdapterError> {
        Ok(())
    }

    /// Asks the other nodes to make their selected sockets leave rooms.
    fn sockets_leave(&self, _opts: &BroadcastOptions, _rooms: &[Room]) -> Result<(), AdapterError> {
        Ok(())
    }

    /// Asks the other nodes to disconnect their selected sockets.
    fn disconnect_sockets(
        &self,
        _opts: &BroadcastOptions,
        _close: bool,
    ) -> Result<(), AdapterError> {
        Ok(())
    }

    /// Publishes a broadcast that asks for acks; what the other nodes report goes to `sink`.
    fn broadcast_with_ack(
        &self,
        _packet: &Packet,
        _opts: &BroadcastOptions,
        _sink: AckSink<AckEvent>,
    ) -> Result<(), AdapterError> {
        Ok(())
    }

    /// Publishes a server-side event to the other nodes; with `replies`, each node's answer
    /// goes to its sink until its timeout.
    fn server_side_emit(
        &self,
        _event: &str,
        _args: &Payload,
        _replies: Option<ServerReplies>,
    ) -> Result<(), AdapterError> {
        Ok(())
    }

    /// The selected sockets of the other nodes.
    fn fetch_sockets(
        &self,
        _opts: &BroadcastOptions,
    ) -> BoxFuture<'_, Result<Vec<SocketData>, AdapterError>> {
        Box::pin(std::future::ready(Ok(Vec::new())))
    }

    /// Number of servers in the cluster, this one included.
    fn server_count(&self) -> BoxFuture<'_, usize> {
        Box::pin(std::future::ready(1))
    }

    /// The rooms of the other nodes (`allRooms` in the reference, less this node's own);
    /// [`AdapterError::Unsupported`] from an adapter whose protocol cannot ask for them.
    fn all_rooms(&self) -> BoxFuture<'_, Result<Vec<Room>, AdapterError>> {
        Box::pin(std::future::ready(Ok(Vec::new())))
    }

    /// A room of this namespace got its first local member; `socket_room` when it is a
    /// socket's own room (named after its id). Adapters that listen per room (the sharded
    /// Redis adapter's dynamic modes subscribe to a channel per room) start listening here.
    /// The namespace calls it with no lock held, in the order the rooms' changes happened
    /// (one caller at a time per namespace, on whichever task made the change): it must not
    /// block, since that task is a connection's or the application's.
    fn room_created(&self, _room: &Room, _socket_room: bool) {}

    /// A room of this namespace lost its last local member (called as
    /// [`Adapter::room_created`] is).
    fn room_deleted(&self, _room: &Room) {}

    /// Whether the adapter keeps sessions for connection state recovery (the in-memory
    /// [`SessionAwareAdapter`](crate::recovery::SessionAwareAdapter) does; the Redis pub/sub
    /// adapters do not, as the reference's).
    fn supports_recovery(&self) -> bool {
        false
    }

    /// Connection state recovery: keeps an event that a disconnected client may miss and
    /// appends its offset as the event's last argument; `false` (the default) when the
    /// packet is not kept and stays as it is. Called for each event emitted on this node,
    /// before it is delivered, with no lock held.
    ///
    /// The offset is given at once: an adapter whose store names offsets itself, remotely
    /// (the reference's Redis Streams adapter uses the stream entry's id), needs an
    /// asynchronous form of this method, which the server does not offer yet.
    fn keep_packet(&self, _packet: &mut Packet, _opts: &BroadcastOptions) -> bool {
        false
    }

    /// Keeps the session of a socket that left for a reason it can come back from.
    fn persist_session(&self, _session: Session) -> BoxFuture<'_, Result<(), AdapterError>> {
        Box::pin(std::future::ready(Err(AdapterError::Unsupported)))
    }

    /// The session of private id `pid` with the events its rooms got after `offset`, once;
    /// `None` when there is none to restore.
    fn restore_session(
        &self,
        _pid: &str,
        _offset: &str,
    ) -> BoxFuture<'_, Result<Option<Restored>, AdapterError>> {
        Box::pin(std::future::ready(Err(AdapterError::Unsupported)))
    }

    /// Stops the adapter.
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }
}

/// The default adapter: a single node, nothing to tell anyone.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryAdapter;

impl Adapter for MemoryAdapter {}

/// Makes the adapter of each namespace.
pub trait AdapterFactory: Send + Sync + 'static {
    /// The adapter for `namespace`.
    fn create(&self, namespace: &NamespaceName) -> Box<dyn Adapter>;
}

impl AdapterFactory for MemoryAdapter {
    fn create(&self, _namespace: &NamespaceName) -> Box<dyn Adapter> {
        Box::new(MemoryAdapter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_use_the_node_wire_names() {
        let opts = BroadcastOptions {
            rooms: vec!["room1".into()],
            except: vec!["sid".into()],
            flags: BroadcastFlags {
                volatile: Some(true),
                timeout: Some(5000),
                ..BroadcastFlags::default()
            },
        };
        let json = serde_json::to_string(&opts).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"rooms":["room1"],"except":["sid"],"flags":{"volatile":true,"timeout":5000}}"#
        );
        let back: BroadcastOptions =
            serde_json::from_str(r#"{"rooms":[],"except":[],"flags":{"unknown":1}}"#)
                .unwrap_or_default();
        assert_eq!(back, BroadcastOptions::default());
        assert_eq!(opts.timeout(), Some(Duration::from_millis(5000)));
    }

    #[test]
    fn memory_adapter_is_a_single_node() {
        let adapter = MemoryAdapter;
        let count = futures_lite_block_on(adapter.server_count());
        assert_eq!(count, 1);
        let fetched = futures_lite_block_on(adapter.fetch_sockets(&BroadcastOptions::default()));
        assert_eq!(fetched, Ok(Vec::new()));
    }

    /// Polls a future that is ready at once (the memory adapter's are).
    fn futures_lite_block_on<T>(future: BoxFuture<'_, T>) -> T {
        let mut future = future;
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(value) => value,
            std::task::Poll::Pending => panic!("the memory adapter never waits"),
        }
    }
}
