//! Connection state recovery: what a namespace keeps so that a client that drops comes back
//! with its socket (id, rooms, data) and every event it missed, as the reference's
//! `connectionStateRecovery` with its in-memory `SessionAwareAdapter`.
//!
//! [`SessionStore`] is the bookkeeping, pure: time is passed in. It keeps the events that can
//! be replayed (not volatile, without an ack), each with an offset the client echoes back, and
//! the sessions of disconnected sockets, for `max_disconnection_duration`. Both are bounded:
//! past `max_packets` or `max_bytes` the oldest events go, past `max_sessions` the oldest
//! sessions; a client whose session or offset went comes back with a fresh session, as after
//! the window. [`SessionAwareAdapter`] is the in-memory adapter with a store, the default when
//! recovery is on.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use serde_json::json;
//! use socketio::adapter::BroadcastOptions;
//! use socketio::recovery::{RecoveryOptions, Session, SessionStore};
//! use socketio::{NamespaceName, Packet, Payload};
//!
//! let mut store = SessionStore::new(RecoveryOptions::default());
//! let now = Instant::now();
//! let event = |text: &str| Packet::event(NamespaceName::root(), "chat", Payload::from(json!([text])));
//! let mut seen = event("seen");
//! assert!(store.keep(&mut seen, &BroadcastOptions::default(), now));
//! // The offset is the event's last argument now; the client keeps it.
//! let offset = seen.payload().unwrap().value()[1].as_str().unwrap().to_owned();
//! let session = Session { sid: "s".into(), pid: "p".into(), rooms: vec!["s".into()], data: json!(null) };
//! store.persist(session, now);
//! store.keep(&mut event("missed"), &BroadcastOptions::default(), now);
//! let restored = store.restore("p", &offset, now + Duration::from_secs(1)).unwrap();
//! assert_eq!(restored.session.sid, "s");
//! assert_eq!(restored.missed.len(), 1);
//! // A session is restored once.
//! assert!(store.restore("p", &offset, now).is_none());
//! ```

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::adapter::{Adapter, AdapterError, AdapterFactory, BoxFuture, BroadcastOptions};
use crate::packet::{NamespaceName, Packet, PacketKind};
use crate::room::Room;

/// The options of connection state recovery, with the reference's names and defaults, and
/// the bounds of what is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryOptions {
    /// How long a disconnected client may take to come back (`maxDisconnectionDuration`,
    /// 2 minutes).
    pub max_disconnection_duration: Duration,
    /// Whether a restored socket skips the connect middlewares (`skipMiddlewares`, true).
    pub skip_middlewares: bool,
    /// Events kept per namespace at most (100 000): past that the oldest go.
    pub max_packets: usize,
    /// Bytes of kept events per namespace at most, as estimated from their JSON and binary
    /// attachments (64 MiB): past that the oldest go.
    pub max_bytes: usize,
    /// Sessions of disconnected sockets kept per namespace at most (100 000): past that the
    /// oldest go.
    pub max_sessions: usize,
}

impl Default for RecoveryOptions {
    fn default() -> Self {
        Self {
            max_disconnection_duration: Duration::from_secs(120),
            skip_middlewares: true,
            max_packets: 100_000,
            max_bytes: 64 << 20,
            max_sessions: 100_000,
        }
    }
}

/// What a disconnected socket leaves to come back to (the reference's `SessionToPersist`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The socket id.
    pub sid: String,
    /// The private id the client shows to come back.
    pub pid: String,
    /// Its rooms, its own among them.
    pub rooms: Vec<Room>,
    /// Its `data`.
    pub data: Value,
}

/// A session found again, with the events it missed, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    /// The session.
    pub session: Session,
    /// The events sent to its rooms since the offset the client showed.
    pub missed: Vec<Packet>,
}

/// An event kept for the clients that may miss it.
#[derive(Debug)]
struct Kept {
    offset: u64,
    at: Instant,
    packet: Packet,
    opts: BroadcastOptions,
    bytes: usize,
}

/// What one namespace keeps for recovery.
#[derive(Debug)]
pub struct SessionStore {
    options: RecoveryOptions,
    packets: VecDeque<Kept>,
    bytes: usize,
    next_offset: u64,
    sessions: HashMap<String, (Session, Instant)>,
    /// The sessions in the order they came, to drop the oldest (entries of sessions restored
    /// or replaced since are skipped then).
    order: VecDeque<(Instant, String)>,
}

impl SessionStore {
    /// An empty store.
    pub fn new(options: RecoveryOptions) -> Self {
        Self {
            options,
            packets: VecDeque::new(),
            bytes: 0,
            next_offset: 0,
            sessions: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Keeps an event that can be replayed (not volatile, without an ack id) and appends its
    /// offset as its last argument; `false` for any other packet, which is left as it is.
    pub fn keep(&mut self, packet: &mut Packet, opts: &BroadcastOptions, now: Instant) -> bool {
        let PacketKind::Event {
            args, ack: None, ..
        } = &mut packet.kind
        else {
            return false;
        };
        if opts.flags.volatile == Some(true) {
            return false;
        }
        self.purge(now);
        let offset = self.next_offset;
        self.next_offset += 1;
        args.push_arg(Value::String(offset.to_string()));
        let bytes = estimate(packet, opts);
        self.bytes += bytes;
        self.packets.push_back(Kept {
            offset,
            at: now,
            packet: packet.clone(),
            opts: opts.clone(),
            bytes,
        });
        while self.packets.len() > self.options.max_packets || self.bytes > self.options.max_bytes {
            self.drop_oldest_packet();
        }
        true
    }

    /// Keeps the session of a socket that left for a reason it can come back from.
    pub fn persist(&mut self, session: Session, now: Instant) {
        self.purge(now);
        self.order.push_back((now, session.pid.clone()));
        self.sessions.insert(session.pid.clone(), (session, now));
        while self.sessions.len() > self.options.max_sessions {
            let Some((_, pid)) = self.order.pop_front() else {
                break;
            };
            self.sessions.remove(&pid);
        }
    }

    /// The session of `pid` with the events its rooms got after `offset`, once: the session
    /// is gone from the store after. `None` for an unknown or expired session, and for an
    /// offset that is not one of the kept events (made up, of another namespace, or gone).
    pub fn restore(&mut self, pid: &str, offset: &str, now: Instant) -> Option<Restored> {
        self.purge(now);
        let (session, _) = self.sessions.remove(pid)?;
        let offset: u64 = offset.parse().ok()?;
        let start = self.packets.front()?.offset;
        let index = usize::try_from(offset.checked_sub(start)?).ok()?;
        if self.packets.get(index)?.offset != offset {
            return None;
        }
        let missed = self
            .packets
            .iter()
            .skip(index + 1)
            .filter(|kept| reaches(&session.rooms, &kept.opts))
            .map(|kept| kept.packet.clone())
            .collect();
        Some(Restored { session, missed })
    }

    /// Drops what is older than the window.
    fn purge(&mut self, now: Instant) {
        let window = self.options.max_disconnection_duration;
        let expired = |at: Instant| now.saturating_duration_since(at) > window;
        while self.packets.front().is_some_and(|kept| expired(kept.at)) {
            self.drop_oldest_packet();
        }
        while let Some((at, pid)) = self.order.front() {
            if !expired(*at) {
                break;
            }
            if self.sessions.get(pid).is_some_and(|(_, since)| since == at) {
                self.sessions.remove(pid);
            }
            self.order.pop_front();
        }
    }

    fn drop_oldest_packet(&mut self) {
        if let Some(kept) = self.packets.pop_front() {
            self.bytes -= kept.bytes;
        }
    }

    /// Events kept now, and their estimated bytes.
    pub fn kept(&self) -> (usize, usize) {
        (self.packets.len(), self.bytes)
    }

    /// Sessions kept now.
    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }
}

/// Whether an event sent with `opts` reached a socket in `rooms`, as the reference's
/// `shouldIncludePacket`.
fn reaches(rooms: &[Room], opts: &BroadcastOptions) -> bool {
    let included = opts.rooms.is_empty() || rooms.iter().any(|room| opts.rooms.contains(room));
    let excluded = rooms.iter().any(|room| opts.except.contains(room));
    included && !excluded
}

/// What a kept event costs, about: its JSON, its attachments, its rooms.
fn estimate(packet: &Packet, opts: &BroadcastOptions) -> usize {
    let mut bytes = std::mem::size_of::<Kept>();
    if let Some(payload) = packet.payload() {
        bytes += json_size(payload.value());
        bytes += payload.attachments().iter().map(|a| a.len()).sum::<usize>();
    }
    let rooms = opts.rooms.iter().chain(&opts.except);
    bytes + rooms.map(|room| room.len() + 16).sum::<usize>()
}

/// The heap a JSON value holds, about (its own walk: a value may be deep).
fn json_size(value: &Value) -> usize {
    let mut size = 0;
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        size += std::mem::size_of::<Value>();
        match value {
            Value::String(text) => size += text.len(),
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                size += map.keys().map(|key| key.len() + 16).sum::<usize>();
                stack.extend(map.values());
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    size
}

/// The in-memory adapter with a [`SessionStore`]: a single node that recovers sessions (the
/// reference's `SessionAwareAdapter`). Its clock is given, so that the core reads none.
pub struct SessionAwareAdapter {
    store: Mutex<SessionStore>,
    clock: fn() -> Instant,
}

impl SessionAwareAdapter {
    /// An adapter keeping what `options` allow, reading the time from `clock`.
    pub fn new(options: RecoveryOptions, clock: fn() -> Instant) -> Self {
        Self {
            store: Mutex::new(SessionStore::new(options)),
            clock,
        }
    }

    fn store(&self) -> MutexGuard<'_, SessionStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Events kept now, and their estimated bytes.
    pub fn kept(&self) -> (usize, usize) {
        self.store().kept()
    }
}

impl Adapter for SessionAwareAdapter {
    fn supports_recovery(&self) -> bool {
        true
    }

    fn keep_packet(&self, packet: &mut Packet, opts: &BroadcastOptions) -> bool {
        let now = (self.clock)();
        self.store().keep(packet, opts, now)
    }

    fn persist_session(&self, session: Session) -> BoxFuture<'_, Result<(), AdapterError>> {
        let now = (self.clock)();
        self.store().persist(session, now);
        Box::pin(std::future::ready(Ok(())))
    }

    fn restore_session(
        &self,
        pid: &str,
        offset: &str,
    ) -> BoxFuture<'_, Result<Option<Restored>, AdapterError>> {
        let now = (self.clock)();
        let restored = self.store().restore(pid, offset, now);
        Box::pin(std::future::ready(Ok(restored)))
    }
}

/// Makes a [`SessionAwareAdapter`] for each namespace.
#[derive(Debug, Clone, Copy)]
pub struct SessionAwareAdapterFactory {
    /// What each namespace keeps.
    pub options: RecoveryOptions,
    /// The clock.
    pub clock: fn() -> Instant,
}

impl AdapterFactory for SessionAwareAdapterFactory {
    fn create(&self, _namespace: &NamespaceName) -> Box<dyn Adapter> {
        Box::new(SessionAwareAdapter::new(self.options, self.clock))
    }
}

#[cfg(test)]
mod tests;
