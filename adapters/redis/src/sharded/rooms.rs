//! The room channels of the dynamic subscription modes: a node listens on `prefix#nsp#room#`
//! while it has local sockets in `room`, so broadcasts to one room reach only the nodes that
//! have members.
//!
//! The namespace tells the adapter when a room is created and deleted
//! ([`Adapter::room_created`](socketio::adapter::Adapter::room_created)), in order; the changes
//! go through one task, in that order, so a room created, deleted and created again ends
//! subscribed.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};

use socketio::room::Room;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Inner;
use crate::config::SubscriptionMode;
use crate::hub::{Hub, Kind, Listener};

/// `prefix#nsp#room#`.
pub(crate) fn room_channel(channel: &str, room: &str) -> String {
    format!("{channel}{room}#")
}

enum Change {
    Created(Room),
    Deleted(Room),
}

pub(crate) struct RoomChannels {
    inner: Weak<Inner>,
    hub: Arc<Hub>,
    mode: SubscriptionMode,
    channel: String,
    changes: mpsc::UnboundedSender<Change>,
    queue: Mutex<Option<mpsc::UnboundedReceiver<Change>>>,
    subscribed: Arc<Mutex<HashSet<Room>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl RoomChannels {
    pub(crate) fn new(
        inner: Weak<Inner>,
        hub: Arc<Hub>,
        mode: SubscriptionMode,
        channel: &str,
    ) -> Self {
        let (changes, queue) = mpsc::unbounded_channel();
        Self {
            inner,
            hub,
            mode,
            channel: channel.to_owned(),
            changes,
            queue: Mutex::new(Some(queue)),
            subscribed: Arc::default(),
            tasks: Mutex::default(),
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

    /// Starts the task that applies changes.
    pub(crate) fn start(&self) {
        let Some(queue) = lock(&self.queue).take() else {
            return;
        };
        if !self.dynamic() {
            return;
        }
        let worker = tokio::spawn(apply_changes(
            queue,
            self.inner.clone(),
            self.hub.clone(),
            self.channel.clone(),
            self.subscribed.clone(),
        ));
        lock(&self.tasks).push(worker);
    }

    pub(crate) fn created(&self, room: &Room, socket_room: bool) {
        if Self::wanted(self.mode, socket_room) {
            let _ = self.changes.send(Change::Created(room.clone()));
        }
    }

    pub(crate) fn deleted(&self, room: &Room) {
        if self.dynamic() {
            let _ = self.changes.send(Change::Deleted(room.clone()));
        }
    }

    /// The adapter these rooms belong to.
    pub(crate) fn owner(&self) -> Weak<Inner> {
        self.inner.clone()
    }

    /// Stops following rooms; returns the room channels still subscribed.
    pub(crate) fn stop(&self) -> Vec<String> {
        lock(&self.tasks).drain(..).for_each(|task| task.abort());
        let rooms = std::mem::take(&mut *lock(&self.subscribed));
        rooms
            .iter()
            .map(|room| room_channel(&self.channel, room))
            .collect()
    }
}

/// Applies the changes in order, subscribing and unsubscribing as the set changes.
async fn apply_changes(
    mut queue: mpsc::UnboundedReceiver<Change>,
    inner: Weak<Inner>,
    hub: Arc<Hub>,
    channel: String,
    subscribed: Arc<Mutex<HashSet<Room>>>,
) {
    while let Some(change) = queue.recv().await {
        let (add, remove): (Vec<Room>, Vec<Room>) = {
            let mut set = lock(&subscribed);
            match change {
                Change::Created(room) => (
                    set.insert(room.clone())
                        .then_some(room)
                        .into_iter()
                        .collect(),
                    vec![],
                ),
                Change::Deleted(room) => (
                    vec![],
                    set.remove(&room).then_some(room).into_iter().collect(),
                ),
            }
        };
        let Some(listener) = inner.upgrade() else {
            return;
        };
        let listener: Arc<dyn Listener> = listener;
        let channels = |rooms: Vec<Room>| -> Vec<String> {
            rooms
                .iter()
                .map(|room| room_channel(&channel, room))
                .collect()
        };
        if !add.is_empty() {
            if let Err(error) = hub.subscribe(Kind::Shard, channels(add), listener).await {
                tracing::warn!(%error, "cannot subscribe to a room channel");
            }
        }
        if !remove.is_empty() {
            let _ = hub.unsubscribe(Kind::Shard, channels(remove)).await;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
