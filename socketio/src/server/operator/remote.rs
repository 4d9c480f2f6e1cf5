//! Sockets found across the cluster by [`BroadcastOperator::fetch_sockets`]: a local one is
//! the [`Socket`] itself; one of another node is its data plus the operations the reference's
//! `RemoteSocket` offers (emit, join, leave, disconnect), carried out through the adapter by
//! targeting the socket's own room, as the reference does.

use std::ops::Deref;

use serde::Serialize;

use super::BroadcastOperator;
use crate::adapter::SocketData;
use crate::server::error::EmitError;
use crate::server::socket::{IntoRooms, Socket};

/// A socket found by [`BroadcastOperator::fetch_sockets`]: local, or on another node.
///
/// Both kinds answer the same operations, so code that acts on fetched sockets need not care
/// where each one lives:
///
/// ```
/// # use socketio::server::SocketIo;
/// # async fn kick(io: SocketIo) -> Result<(), socketio::adapter::AdapterError> {
/// for socket in io.to("lobby").fetch_sockets().await? {
///     socket.emit("moved", "hall");
///     socket.join("hall");
///     socket.leave("lobby");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub enum RemoteSocket {
    /// A socket of this node.
    Local(Socket),
    /// A socket of another node.
    Remote(Box<ClusterSocket>),
}

impl RemoteSocket {
    /// The socket id.
    pub fn id(&self) -> &str {
        match self {
            Self::Local(socket) => socket.id(),
            Self::Remote(socket) => &socket.data.id,
        }
    }

    /// Sends an event to this socket; what cannot go out is logged (see
    /// [`RemoteSocket::try_emit`]).
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) {
        if let Err(error) = self.try_emit(event, args) {
            error.report("emit");
        }
    }

    /// [`RemoteSocket::emit`], with what went wrong.
    pub fn try_emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        match self {
            Self::Local(socket) => socket.try_emit(event, args),
            Self::Remote(socket) => socket.try_emit(event, args),
        }
    }

    /// Makes this socket join rooms.
    pub fn join(&self, rooms: impl IntoRooms) {
        match self {
            Self::Local(socket) => socket.join(rooms),
            Self::Remote(socket) => socket.join(rooms),
        }
    }

    /// Makes this socket leave rooms.
    pub fn leave(&self, rooms: impl IntoRooms) {
        match self {
            Self::Local(socket) => socket.leave(rooms),
            Self::Remote(socket) => socket.leave(rooms),
        }
    }

    /// Disconnects this socket from its namespace; with `close`, its whole connection.
    pub fn disconnect(&self, close: bool) {
        match self {
            Self::Local(socket) => socket.disconnect(close),
            Self::Remote(socket) => socket.disconnect(close),
        }
    }
}

/// A socket of another node: what that node told about it (id, handshake, rooms, data, read
/// through `Deref`), and a way to act on it from here.
#[derive(Clone)]
pub struct ClusterSocket {
    data: SocketData,
    /// The namespace's operator targeting this socket's own room, which no local socket has.
    target: BroadcastOperator,
}

impl ClusterSocket {
    pub(crate) fn new(data: SocketData, namespace: BroadcastOperator) -> Self {
        let target = namespace.to(data.id.as_str());
        Self { data, target }
    }

    /// What the other node told about the socket.
    pub fn info(&self) -> &SocketData {
        &self.data
    }

    /// What the other node told about the socket, taken out.
    pub fn into_info(self) -> SocketData {
        self.data
    }

    /// Sends an event to the socket, through the adapter; see [`BroadcastOperator::emit`].
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) {
        self.target.emit(event, args);
    }

    /// [`ClusterSocket::emit`], with what went wrong.
    pub fn try_emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        self.target.try_emit(event, args)
    }

    /// Makes the socket join rooms on its node (`remoteJoin`).
    pub fn join(&self, rooms: impl IntoRooms) {
        self.target.sockets_join(rooms);
    }

    /// Makes the socket leave rooms on its node (`remoteLeave`).
    pub fn leave(&self, rooms: impl IntoRooms) {
        self.target.sockets_leave(rooms);
    }

    /// Disconnects the socket on its node (`remoteDisconnect`).
    pub fn disconnect(&self, close: bool) {
        self.target.disconnect_sockets(close);
    }
}

impl Deref for ClusterSocket {
    type Target = SocketData;

    fn deref(&self) -> &SocketData {
        &self.data
    }
}

impl std::fmt::Debug for ClusterSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.data.fmt(f)
    }
}
