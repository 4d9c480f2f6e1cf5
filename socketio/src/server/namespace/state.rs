//! The one piece of state of a namespace: its sockets, where each is in its life, their data
//! and rooms, and the room changes the adapter and the listeners are still to hear of.
//!
//! Its invariants hold inside this type, under the namespace's one lock:
//! - a socket is in a room only while it has an entry: leaving removes the entry and every
//!   membership in one step, so no room is joined after leaving;
//! - only `Connected` and `Leaving` sockets are broadcast targets (a `Joining` socket, whose
//!   middlewares run, may already be in rooms but gets nothing yet, as in the reference);
//! - room changes are queued in the order they happened, and handed out by one flusher at a
//!   time ([`State::begin_flush`]), so that the adapter hears of each room's creations and
//!   deletions in order without being called under the lock.

use std::collections::HashMap;

use serde_json::Value;

use super::RoomEvent;
use crate::adapter::BroadcastOptions;
use crate::room::{Departure, Membership, Room, RoomIndex, SocketId};
use crate::server::socket::handler::{Listeners, OutgoingFn};
use crate::server::socket::Socket;

/// Where a socket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Created by a CONNECT; its middlewares run.
    Joining,
    /// In its namespace (its CONNECT was answered).
    Connected,
    /// Its disconnect handlers run; its rooms are still visible, it is still `connected()`.
    Leaving,
}

/// A socket as its namespace keeps it.
pub(crate) struct Entry {
    pub(crate) socket: Socket,
    pub(crate) phase: Phase,
    /// `socket.data`, as JSON so that it can cross nodes.
    pub(crate) data: Value,
    /// The outgoing catch-all handlers: they run where an emit happens, on any task, so they
    /// live here rather than with the connection.
    pub(crate) outgoing: Option<Listeners<OutgoingFn>>,
}

/// A room change, in the order they happened.
pub(crate) struct Change {
    pub(crate) event: RoomEvent,
    /// The room is named after the socket that created it.
    pub(crate) socket_room: bool,
}

/// A broadcast target: the socket and its outgoing handlers, taken under the lock.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) socket: Socket,
    pub(crate) outgoing: Option<Listeners<OutgoingFn>>,
}

#[derive(Default)]
pub(crate) struct State {
    sockets: HashMap<SocketId, Entry>,
    rooms: RoomIndex,
    /// Sockets `Connected` or `Leaving`.
    connected: usize,
    /// The next ack id, shared by every socket of the namespace (the reference's `_ids`).
    next_ack: u64,
    changes: Vec<Change>,
    flushing: bool,
}

impl State {
    /// Adds a socket that is joining, with the data and rooms it comes back with (after a
    /// recovery). `false` when a socket with this id is there already.
    pub(crate) fn add(&mut self, socket: Socket, data: Value, rooms: &[Room]) -> bool {
        let id = socket.sid().clone();
        if self.sockets.contains_key(&id) {
            return false;
        }
        let entry = Entry {
            socket,
            phase: Phase::Joining,
            data,
            outgoing: None,
        };
        self.sockets.insert(id.clone(), entry);
        self.join(&id, rooms);
        true
    }

    /// A joining socket is accepted: it joins the room named after it. `false` when it is
    /// gone (or was accepted already).
    pub(crate) fn connect(&mut self, id: &SocketId) -> bool {
        match self.sockets.get_mut(id) {
            Some(entry) if entry.phase == Phase::Joining => entry.phase = Phase::Connected,
            _ => return false,
        }
        self.connected += 1;
        self.join(id, std::slice::from_ref(id));
        true
    }

    /// A connected socket starts leaving; `false` when it was not connected (it is joining,
    /// leaving already, or gone): a socket leaves once.
    pub(crate) fn begin_leave(&mut self, id: &str) -> bool {
        match self.sockets.get_mut(id) {
            Some(entry) if entry.phase == Phase::Connected => {
                entry.phase = Phase::Leaving;
                true
            }
            _ => false,
        }
    }

    /// Takes a socket out of its rooms and of the namespace.
    pub(crate) fn remove(&mut self, id: &str) -> Option<Entry> {
        let entry = self.sockets.remove(id)?;
        if entry.phase != Phase::Joining {
            self.connected -= 1;
        }
        for (room, departure) in self.rooms.leave_all(entry.socket.sid()) {
            self.departed(entry.socket.sid(), room, departure);
        }
        Some(entry)
    }

    /// Joins rooms, if the socket is still in the namespace.
    pub(crate) fn join(&mut self, id: &SocketId, rooms: &[Room]) {
        if !self.sockets.contains_key(id) {
            return;
        }
        for room in rooms {
            let membership = self.rooms.join(id, room);
            if membership == Membership::Unchanged {
                continue;
            }
            if membership == Membership::NewRoom {
                let socket_room = room == id;
                let event = RoomEvent::CreateRoom(room.clone());
                self.changes.push(Change { event, socket_room });
            }
            let event = RoomEvent::JoinRoom {
                room: room.clone(),
                socket: id.clone(),
            };
            self.changes.push(Change {
                event,
                socket_room: false,
            });
        }
    }

    /// Leaves rooms.
    pub(crate) fn leave(&mut self, id: &SocketId, rooms: &[Room]) {
        for room in rooms {
            let departure = self.rooms.leave(id, room);
            self.departed(id, room.clone(), departure);
        }
    }

    fn departed(&mut self, id: &SocketId, room: Room, departure: Departure) {
        if departure == Departure::NotMember {
            return;
        }
        let left = RoomEvent::LeaveRoom {
            room: room.clone(),
            socket: id.clone(),
        };
        self.changes.push(Change {
            event: left,
            socket_room: false,
        });
        if departure == Departure::LastMember {
            let event = RoomEvent::DeleteRoom(room);
            self.changes.push(Change {
                event,
                socket_room: false,
            });
        }
    }

    pub(crate) fn entry(&self, id: &str) -> Option<&Entry> {
        self.sockets.get(id)
    }

    pub(crate) fn entry_mut(&mut self, id: &str) -> Option<&mut Entry> {
        self.sockets.get_mut(id)
    }

    /// The sockets `opts` selects that may receive packets, each once.
    pub(crate) fn targets(&self, opts: &BroadcastOptions) -> Vec<Target> {
        let ids = self.rooms.select(&opts.rooms, &opts.except);
        ids.iter().filter_map(|id| self.target(id)).collect()
    }

    /// One socket, if it may receive packets.
    pub(crate) fn target(&self, id: &str) -> Option<Target> {
        let entry = self.sockets.get(id)?;
        (entry.phase != Phase::Joining).then(|| Target {
            socket: entry.socket.clone(),
            outgoing: entry.outgoing.clone(),
        })
    }

    pub(crate) fn rooms_of(&self, id: &str) -> Vec<Room> {
        self.rooms.rooms_of(id)
    }

    pub(crate) fn all_rooms(&self) -> Vec<Room> {
        self.rooms.all_rooms()
    }

    /// Sockets in the namespace (joining ones aside).
    pub(crate) fn len(&self) -> usize {
        self.connected
    }

    /// Whether no socket is there at all, joining ones included.
    pub(crate) fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    /// Every socket in the namespace (joining ones aside).
    pub(crate) fn sockets(&self) -> Vec<Socket> {
        self.sockets
            .values()
            .filter(|entry| entry.phase != Phase::Joining)
            .map(|entry| entry.socket.clone())
            .collect()
    }

    pub(crate) fn next_ack_id(&mut self) -> u64 {
        let id = self.next_ack;
        self.next_ack += 1;
        id
    }

    /// The room changes to hand out, if no other flusher is at it: the caller then owns the
    /// flush until [`State::begin_flush`] hands it nothing (which ends it).
    pub(crate) fn begin_flush(&mut self, owner: bool) -> Option<Vec<Change>> {
        if self.flushing && !owner {
            return None;
        }
        if self.changes.is_empty() {
            self.flushing = false;
            return None;
        }
        self.flushing = true;
        Some(std::mem::take(&mut self.changes))
    }
}
