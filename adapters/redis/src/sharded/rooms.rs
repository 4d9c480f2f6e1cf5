//! The room channels of the dynamic subscription modes: a node listens on `prefix#nsp#room#`
//! while it has local sockets in `room`, so broadcasts to one room reach only the nodes that
//! have members.
//!
//! The namespace tells the adapter when a room is created and deleted
//! ([`Adapter::room_created`](socketio::adapter::Adapter::room_created)), in order for each
//! room, and must not wait. There is no queue of changes: [`RoomState`] keeps, for each room
//! whose wanted state differs from what the hub was last told, that wanted state (the latest
//! call wins), and one task, woken by a [`Notify`], takes them all and subscribes and
//! unsubscribes. So a room created, deleted and created again ends subscribed, and what is
//! kept is bounded by the namespace's own rooms: at most one entry per room that exists or
//! was subscribed. Nothing is ever dropped; a subscription that fails is traced, and the hub
//! makes it again after its next reconnection.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};

use socketio::room::Room;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::Inner;
use crate::config::SubscriptionMode;
use crate::hub::{Hub, Kind, Listener};

/// `prefix#nsp#room#`.
pub(crate) fn room_channel(channel: &str, room: &str) -> String {
    format!("{channel}{room}#")
}

/// The rooms the hub was told about, and the changes it was not told yet.
#[derive(Debug, Default)]
struct RoomState {
    /// Subscribed (or being subscribed).
    applied: HashSet<Room>,
    /// Rooms whose wanted state differs from `applied`: `true` to subscribe.
    changes: HashMap<Room, bool>,
}

impl RoomState {
    fn created(&mut self, room: &Room) {
        self.want(room, true);
    }

    fn deleted(&mut self, room: &Room) {
        self.want(room, false);
    }

    fn want(&mut self, room: &Room, subscribed: bool) {
        match self.applied.contains(room) == subscribed {
            true => drop(self.changes.remove(room)),
            false => drop(self.changes.insert(room.clone(), subscribed)),
        }
    }

    /// The rooms to subscribe and to unsubscribe, counted as applied from now on.
    fn take(&mut self) -> (Vec<Room>, Vec<Room>) {
        let (mut add, mut remove) = (Vec::new(), Vec::new());
        for (room, subscribed) in self.changes.drain() {
            match subscribed {
                true => {
                    self.applied.insert(room.clone());
                    add.push(room);
                }
                false => {
                    self.applied.remove(&room);
                    remove.push(room);
                }
            }
        }
        (add, remove)
    }
}

/// What the namespace's calls and the task share.
#[derive(Default)]
struct Shared {
    state: Mutex<RoomState>,
    wake: Notify,
}

pub(crate) struct RoomChannels {
    inner: Weak<Inner>,
    hub: Arc<Hub>,
    mode: SubscriptionMode,
    channel: String,
    shared: Arc<Shared>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl RoomChannels {
    pub(crate) fn new(
        inner: Weak<Inner>,
        hub: Arc<Hub>,
        mode: SubscriptionMode,
        channel: &str,
    ) -> Self {
        Self {
            inner,
            hub,
            mode,
            channel: channel.to_owned(),
            shared: Arc::default(),
            task: Mutex::default(),
        }
    }

    fn dynamic(&self) -> bool {
        self.mode != SubscriptionMode::Static
    }

    /// Whether a room gets a channel: public rooms in `dynamic`, every room in
    /// `dynamic-private` (Node's `shouldUseASeparateNamespace`).
    fn wanted(mode: SubscriptionMode, socket_room: bool) -> bool {
        match mode {
            SubscriptionMode::Static => false,
            SubscriptionMode::Dynamic => !socket_room,
            SubscriptionMode::DynamicPrivate => true,
        }
    }

    /// Starts the task that applies changes (once; changes made before wait for it).
    pub(crate) fn start(&self) {
        let mut task = lock(&self.task);
        if task.is_some() || !self.dynamic() {
            return;
        }
        *task = Some(tokio::spawn(apply_changes(
            self.shared.clone(),
            self.inner.clone(),
            self.hub.clone(),
            self.channel.clone(),
        )));
    }

    pub(crate) fn created(&self, room: &Room, socket_room: bool) {
        if Self::wanted(self.mode, socket_room) {
            lock(&self.shared.state).created(room);
            self.shared.wake.notify_one();
        }
    }

    pub(crate) fn deleted(&self, room: &Room) {
        if self.dynamic() {
            lock(&self.shared.state).deleted(room);
            self.shared.wake.notify_one();
        }
    }

    /// The adapter these rooms belong to.
    pub(crate) fn owner(&self) -> Weak<Inner> {
        self.inner.clone()
    }

    /// Stops following rooms; returns the room channels the hub was told to subscribe.
    pub(crate) fn stop(&self) -> Vec<String> {
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
        let mut state = lock(&self.shared.state);
        state.changes.clear();
        let rooms = std::mem::take(&mut state.applied);
        rooms
            .iter()
            .map(|room| room_channel(&self.channel, room))
            .collect()
    }
}

/// Applies the changes, a batch per wake-up, subscribing and unsubscribing.
async fn apply_changes(shared: Arc<Shared>, inner: Weak<Inner>, hub: Arc<Hub>, channel: String) {
    let channels = |rooms: &[Room]| -> Vec<String> {
        rooms
            .iter()
            .map(|room| room_channel(&channel, room))
            .collect()
    };
    loop {
        shared.wake.notified().await;
        let (add, remove) = lock(&shared.state).take();
        let Some(listener) = inner.upgrade() else {
            return;
        };
        let listener: Arc<dyn Listener> = listener;
        if !add.is_empty() {
            if let Err(error) = hub
                .subscribe(Kind::Shard, channels(&add), listener.clone())
                .await
            {
                tracing::warn!(%error, rooms = add.len(), "cannot subscribe to room channels");
            }
        }
        if !remove.is_empty() {
            if let Err(error) = hub
                .unsubscribe(Kind::Shard, channels(&remove), &listener)
                .await
            {
                tracing::warn!(%error, rooms = remove.len(), "cannot unsubscribe from room channels");
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut rooms: Vec<Room>) -> Vec<Room> {
        rooms.sort();
        rooms
    }

    #[test]
    fn the_latest_change_of_each_room_wins() {
        let mut state = RoomState::default();
        let (a, b, c) = (Room::from("a"), Room::from("b"), Room::from("c"));
        state.created(&a);
        state.deleted(&a);
        state.created(&a);
        state.created(&b);
        state.deleted(&b);
        state.created(&c);
        let (add, remove) = state.take();
        assert_eq!((sorted(add), remove), (vec![a.clone(), c.clone()], vec![]));
        // Nothing left to do, and a subscribed room created again asks for nothing.
        state.created(&a);
        assert_eq!(state.take(), (vec![], vec![]));
        state.deleted(&a);
        state.created(&a);
        state.deleted(&c);
        assert_eq!(state.take(), (vec![], vec![c]));
    }

    /// No queue: however many changes come while the task is busy, what is kept is one entry
    /// per room that exists or is subscribed.
    #[test]
    fn what_is_kept_is_bounded_by_the_rooms() {
        let mut state = RoomState::default();
        for round in 0..1000 {
            for i in 0..10 {
                let room = Room::from(format!("r{i}"));
                state.created(&room);
                if round % 2 == 0 {
                    state.deleted(&room);
                }
            }
            let passing = Room::from(format!("passing-{round}"));
            state.created(&passing);
            state.deleted(&passing);
        }
        assert_eq!(state.changes.len(), 10);
        let (add, remove) = state.take();
        assert_eq!((add.len(), remove.len()), (10, 0));
    }
}
