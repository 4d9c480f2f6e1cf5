//! The operators of a socket, as the reference's: broadcasts from it (which never reach the
//! socket itself) and flags for its next emission.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::BroadcastOperator;
use crate::adapter::BroadcastFlags;
use crate::server::delivery::{event_packet, Delivery};
use crate::server::error::{AckError, EmitError};
use crate::server::socket::{IntoRooms, Socket};

impl Socket {
    /// Every other socket of the namespace (the reference's `socket.broadcast`).
    pub fn broadcast(&self) -> BroadcastOperator {
        self.operator().broadcast()
    }

    /// The other sockets in `rooms` (this one excluded).
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Same as [`Socket::to`] (the reference's `socket.in`).
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// Every other socket of the namespace, except those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().except(rooms)
    }

    /// Every other socket of the namespace on this node only (the reference's
    /// `socket.local`).
    pub fn local(&self) -> BroadcastOperator {
        self.broadcast().local()
    }

    /// The next emission is dropped for a client that cannot take it right now: this
    /// client with [`SocketOperator::emit`], or the targets of a broadcast chained from it.
    pub fn volatile(&self) -> SocketOperator {
        self.operator().volatile()
    }

    /// The compression flag of the next emission (on unless set off).
    pub fn compress(&self, compress: bool) -> SocketOperator {
        self.operator().compress(compress)
    }

    /// A time limit on the acknowledgement of the next emission, like the reference's
    /// `socket.timeout(ms)`: [`SocketOperator::emit_with_ack`] fails with
    /// [`AckError::Timeout`] when it passes.
    pub fn timeout(&self, timeout: Duration) -> SocketOperator {
        self.operator().timeout(timeout)
    }

    fn operator(&self) -> SocketOperator {
        SocketOperator {
            socket: self.clone(),
            flags: BroadcastFlags::default(),
        }
    }
}

/// Flags for one emission from a socket, set by [`Socket::volatile`], [`Socket::compress`] and
/// [`Socket::timeout`]: an emit to this client, or a broadcast to the others that keeps the
/// flags, as the reference's socket does.
///
/// ```
/// # use std::time::Duration;
/// # use socketio::server::Socket;
/// async fn on_connection(socket: Socket) {
///     // To this client, if it can take it now.
///     socket.volatile().emit("tick", &1);
///     // To everyone in "game" but this client, volatile too.
///     socket.volatile().to("game").emit("tick", &1);
///     // This client's answer, within a second.
///     let answer: Result<String, _> = socket
///         .timeout(Duration::from_secs(1))
///         .emit_with_ack("ready?", &())
///         .await;
/// #   let _ = answer;
/// }
/// ```
#[derive(Debug, Clone)]
pub struct SocketOperator {
    socket: Socket,
    flags: BroadcastFlags,
}

impl SocketOperator {
    /// Drops the emission for clients that cannot take it right now.
    pub fn volatile(mut self) -> Self {
        self.flags.volatile = Some(true);
        self
    }

    /// The compression flag (on unless set off).
    pub fn compress(mut self, compress: bool) -> Self {
        self.flags.compress = Some(compress);
        self
    }

    /// The time [`SocketOperator::emit_with_ack`] waits for the answer (or a broadcast
    /// chained from here waits for the answers).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.flags.timeout = Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Every other socket of the namespace, with these flags.
    pub fn broadcast(self) -> BroadcastOperator {
        BroadcastOperator::new(self.socket.nsp())
            .except(self.socket.id())
            .with_flags(self.flags)
    }

    /// The other sockets in `rooms`, with these flags.
    pub fn to(self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Same as [`SocketOperator::to`].
    pub fn within(self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// Every other socket except those in `rooms`, with these flags.
    pub fn except(self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().except(rooms)
    }

    /// Every other socket of this node, with these flags.
    pub fn local(self) -> BroadcastOperator {
        self.broadcast().local()
    }

    /// Sends an event to this client, with these flags; what cannot go out is logged as
    /// [`Socket::emit`] logs it.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) {
        if let Err(error) = self.try_emit(event, args) {
            error.report("emit");
        }
    }

    /// [`SocketOperator::emit`], with what went wrong.
    pub fn try_emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        let packet = event_packet(self.socket.namespace(), event, args, None)?;
        self.socket.send_event(packet, &self.flags)
    }

    /// Sends an event to this client and waits for its acknowledgement: within the
    /// [`SocketOperator::timeout`] when one was set, else until the socket disconnects.
    pub async fn emit_with_ack<T, R>(&self, event: &str, args: &T) -> Result<R, AckError>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let delivery = Delivery::from_flags(&self.flags);
        let timeout = self.flags.timeout.map(Duration::from_millis);
        self.socket.ack_with(event, args, delivery, timeout).await
    }
}
