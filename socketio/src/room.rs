//! Room membership of the local sockets of one namespace.
//!
//! Two maps kept in step: room to members and socket to rooms, so that joining, leaving,
//! a disconnect and selecting broadcast targets are each proportional to what they touch.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A socket id (20 characters).
pub type SocketId = Arc<str>;

/// A room name.
pub type Room = Arc<str>;

/// What a join changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Membership {
    /// The socket was in the room already.
    Unchanged,
    /// The socket joined a room that had members.
    Added,
    /// The socket joined, and created, the room.
    NewRoom,
}

/// What a departure changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Departure {
    /// The socket was not in the room.
    NotMember,
    /// The socket left; others remain.
    Left,
    /// The socket was the last member: the room is gone.
    LastMember,
}

/// The rooms of a namespace's local sockets.
///
/// ```
/// use socketio::room::RoomIndex;
/// let mut rooms = RoomIndex::default();
/// rooms.join(&"a".into(), &"chat".into());
/// rooms.join(&"b".into(), &"chat".into());
/// rooms.join(&"b".into(), &"ops".into());
/// // A socket in several target rooms is selected once.
/// let mut chosen = rooms.select(&["chat".into(), "ops".into()], &[]);
/// chosen.sort();
/// assert_eq!(chosen, ["a".into(), "b".into()]);
/// assert_eq!(rooms.select(&["chat".into()], &["ops".into()]), ["a".into()]);
/// ```
#[derive(Debug, Default, Clone)]
pub struct RoomIndex {
    members: HashMap<Room, HashSet<SocketId>>,
    rooms_of: HashMap<SocketId, HashSet<Room>>,
}

impl RoomIndex {
    /// Adds a socket to a room.
    pub fn join(&mut self, socket: &SocketId, room: &Room) -> Membership {
        let new_room = !self.members.contains_key(room);
        let added = self
            .members
            .entry(room.clone())
            .or_default()
            .insert(socket.clone());
        if !added {
            return Membership::Unchanged;
        }
        self.rooms_of
            .entry(socket.clone())
            .or_default()
            .insert(room.clone());
        match new_room {
            true => Membership::NewRoom,
            false => Membership::Added,
        }
    }

    /// Removes a socket from a room.
    pub fn leave(&mut self, socket: &SocketId, room: &Room) -> Departure {
        if let Some(rooms) = self.rooms_of.get_mut(socket) {
            rooms.remove(room);
            if rooms.is_empty() {
                self.rooms_of.remove(socket);
            }
        }
        self.take_out(socket, room)
    }

    /// Removes a socket from every room; returns the rooms it was in, each with what its
    /// departure did.
    pub fn leave_all(&mut self, socket: &SocketId) -> Vec<(Room, Departure)> {
        let rooms = self.rooms_of.remove(socket).unwrap_or_default();
        rooms
            .into_iter()
            .map(|room| {
                let departure = self.take_out(socket, &room);
                (room, departure)
            })
            .collect()
    }

    fn take_out(&mut self, socket: &SocketId, room: &Room) -> Departure {
        let Some(members) = self.members.get_mut(room) else {
            return Departure::NotMember;
        };
        if !members.remove(socket) {
            return Departure::NotMember;
        }
        if members.is_empty() {
            self.members.remove(room);
            return Departure::LastMember;
        }
        Departure::Left
    }

    /// The rooms of a socket.
    pub fn rooms_of(&self, socket: &str) -> Vec<Room> {
        self.rooms_of
            .get(socket)
            .map(|rooms| rooms.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether a socket is in a room.
    pub fn contains(&self, socket: &str, room: &str) -> bool {
        self.members
            .get(room)
            .is_some_and(|members| members.contains(socket))
    }

    /// Whether a room has at least one member.
    pub fn has_room(&self, room: &str) -> bool {
        self.members.contains_key(room)
    }

    /// Every room with at least one member.
    pub fn all_rooms(&self) -> Vec<Room> {
        self.members.keys().cloned().collect()
    }

    /// The sockets in any of `rooms` (every socket that is in some room when `rooms` is
    /// empty), minus the sockets in any of `except`; each socket once.
    pub fn select(&self, rooms: &[Room], except: &[Room]) -> Vec<SocketId> {
        let excluded: HashSet<&SocketId> = except
            .iter()
            .filter_map(|room| self.members.get(room))
            .flatten()
            .collect();
        let keep = |socket: &&SocketId| !excluded.contains(socket);
        if rooms.is_empty() {
            return self.rooms_of.keys().filter(keep).cloned().collect();
        }
        if let [room] = rooms {
            let members = self.members.get(room).into_iter().flatten();
            return members.filter(keep).cloned().collect();
        }
        let mut seen = HashSet::new();
        rooms
            .iter()
            .filter_map(|room| self.members.get(room))
            .flatten()
            .filter(keep)
            .filter(|socket| seen.insert(*socket))
            .cloned()
            .collect()
    }

    /// Number of rooms.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there is no room.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(s: &str) -> Arc<str> {
        Arc::from(s)
    }

    #[test]
    fn join_leave_and_leave_all_keep_both_maps_in_step() {
        let mut index = RoomIndex::default();
        assert_eq!(index.join(&id("s1"), &id("r")), Membership::NewRoom);
        assert_eq!(index.join(&id("s2"), &id("r")), Membership::Added);
        assert_eq!(index.join(&id("s2"), &id("r")), Membership::Unchanged);
        index.join(&id("s1"), &id("s1"));
        assert!(index.contains("s1", "r"));
        assert_eq!(index.leave(&id("s2"), &id("r")), Departure::Left);
        assert_eq!(index.leave(&id("s2"), &id("r")), Departure::NotMember);
        let mut left = index.leave_all(&id("s1"));
        left.sort();
        assert_eq!(
            left,
            [
                (id("r"), Departure::LastMember),
                (id("s1"), Departure::LastMember)
            ]
        );
        assert!(index.is_empty());
        assert!(index.rooms_of("s1").is_empty());
    }

    proptest! {
        /// `select` is the set union of the rooms minus the excepted rooms' members.
        #[test]
        fn select_matches_set_semantics(
            joins in proptest::collection::vec((0u8..6, 0u8..4), 0..40),
            rooms in proptest::collection::vec(0u8..4, 0..3),
            except in proptest::collection::vec(0u8..4, 0..2),
        ) {
            let mut index = RoomIndex::default();
            for (socket, room) in &joins {
                index.join(&id(&format!("s{socket}")), &id(&format!("r{room}")));
            }
            let rooms: Vec<Room> = rooms.iter().map(|r| id(&format!("r{r}"))).collect();
            let except: Vec<Room> = except.iter().map(|r| id(&format!("r{r}"))).collect();
            let mut got = index.select(&rooms, &except);
            got.sort();
            let mut want: Vec<SocketId> = joins
                .iter()
                .map(|(s, _)| id(&format!("s{s}")))
                .filter(|s| rooms.is_empty() || rooms.iter().any(|r| index.contains(s, r)))
                .filter(|s| !except.iter().any(|r| index.contains(s, r)))
                .collect();
            want.sort();
            want.dedup();
            prop_assert_eq!(got, want);
        }
    }
}
