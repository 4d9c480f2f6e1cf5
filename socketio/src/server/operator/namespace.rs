//! A namespace's own operators, as the reference's `io.of(name).to(...)` and the like: each
//! starts a [`BroadcastOperator`] over every socket of the namespace (of every child, for a
//! dynamic parent).

use std::time::Duration;

use serde::Serialize;

use super::{BroadcastOperator, RemoteSocket};
use crate::adapter::AdapterError;
use crate::server::error::EmitError;
use crate::server::namespace::Namespace;
use crate::server::socket::IntoRooms;

impl Namespace {
    /// Every socket of the namespace (of every child, for a dynamic parent).
    pub fn operator(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.clone())
    }

    /// Emits to every socket of the namespace; see [`BroadcastOperator::emit`].
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) {
        self.operator().emit(event, args);
    }

    /// [`Namespace::emit`], with what went wrong.
    pub fn try_emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        self.operator().try_emit(event, args)
    }

    /// Targets the sockets in `rooms`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.operator().to(rooms)
    }

    /// Same as [`Namespace::to`] (the reference's `in`).
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.operator().to(rooms)
    }

    /// Targets every socket except those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.operator().except(rooms)
    }

    /// This node's sockets only.
    pub fn local(&self) -> BroadcastOperator {
        self.operator().local()
    }

    /// Dropped for clients that cannot take it right now.
    pub fn volatile(&self) -> BroadcastOperator {
        self.operator().volatile()
    }

    /// The compression flag of the next emission.
    pub fn compress(&self, compress: bool) -> BroadcastOperator {
        self.operator().compress(compress)
    }

    /// The time a broadcast with acks waits for the answers.
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.operator().timeout(timeout)
    }

    /// Every socket of the namespace on every node.
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, AdapterError> {
        self.operator().fetch_sockets().await
    }

    /// Makes every socket of the namespace join rooms, on every node.
    pub fn sockets_join(&self, rooms: impl IntoRooms) {
        self.operator().sockets_join(rooms);
    }

    /// Makes every socket of the namespace leave rooms, on every node.
    pub fn sockets_leave(&self, rooms: impl IntoRooms) {
        self.operator().sockets_leave(rooms);
    }

    /// Disconnects every socket of the namespace, on every node.
    pub fn disconnect_sockets(&self, close: bool) {
        self.operator().disconnect_sockets(close);
    }
}
