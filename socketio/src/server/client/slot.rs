//! What a connection owns for each of its sockets, and its deadlines.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use crate::packet::{NamespaceName, Packet};
use crate::server::ack::AckWaiter;
use crate::server::error::AckError;
use crate::server::socket::handler::Handlers;
use crate::server::socket::link::Op;
use crate::server::socket::Socket;

/// One socket of the connection: its handlers and the acknowledgements it waits for.
pub(super) struct Slot {
    pub(super) socket: Socket,
    pub(super) handlers: Handlers,
    pub(super) acks: HashMap<u64, Pending>,
    /// The CONNECT was answered; until then the connect middlewares run.
    pub(super) joined: bool,
    /// What a recovered socket missed, sent just before its CONNECT answer.
    pub(super) missed: Vec<Packet>,
}

pub(super) struct Pending {
    waiter: AckWaiter,
    expires: Option<Instant>,
}

impl Pending {
    pub(super) fn expires(&self) -> Option<Instant> {
        self.expires
    }

    /// The socket left before the answer came.
    pub(super) fn fail(self) {
        self.waiter.fail(AckError::Disconnected);
    }
}

impl Slot {
    pub(super) fn new(socket: Socket, missed: Vec<Packet>) -> Self {
        Self {
            socket,
            handlers: Handlers::default(),
            acks: HashMap::new(),
            joined: false,
            missed,
        }
    }

    /// Applies a registration. The acknowledgement and leaving commands are the
    /// connection's (they touch its deadlines and other sockets).
    pub(super) fn register(&mut self, op: Op) {
        let handlers = &mut self.handlers;
        match op {
            Op::On(event, handler) => handlers.on(event, handler),
            Op::Off(event) => handlers.off(&event),
            Op::OnAny(id, handler, place) => handlers.on_any(id, handler, place),
            Op::OffAny(id) => handlers.off_any(id),
            Op::Use(middleware) => handlers.use_middleware(middleware),
            Op::OnError(handler) => handlers.on_error(handler),
            Op::OnDisconnecting(handler) => handlers.disconnecting.push(handler),
            Op::OnDisconnect(handler) => handlers.disconnect.push(handler),
            Op::ExpectAck { waiter, .. } => waiter.fail(AckError::Disconnected),
            Op::Leave(_) | Op::CloseAll => {}
        }
    }

    /// Waits for an ACK, unless `max` are pending (waiters nobody awaits any more are
    /// dropped first); `false` when refused (the waiter was told).
    pub(super) fn expect(
        &mut self,
        id: u64,
        waiter: AckWaiter,
        expires: Option<Instant>,
        max: usize,
    ) -> bool {
        if self.acks.len() >= max {
            self.acks
                .retain(|_, pending| !pending.waiter.is_abandoned());
        }
        if self.acks.len() >= max {
            waiter.fail(AckError::TooManyPending);
            return false;
        }
        self.acks.insert(id, Pending { waiter, expires });
        true
    }

    /// The waiter of an ACK that arrived, with its deadline.
    pub(super) fn answered(&mut self, id: u64) -> Option<(AckWaiter, Option<Instant>)> {
        let pending = self.acks.remove(&id)?;
        Some((pending.waiter, pending.expires))
    }
}

/// The connection's deadlines: the connect timeout, and when each pending acknowledgement
/// with a timeout stops counting. One engine timer serves them all.
#[derive(Default)]
pub(super) struct Timers {
    pub(super) connect: Option<Instant>,
    acks: BTreeSet<(Instant, NamespaceName, u64)>,
    /// The deadline the engine timer is set to.
    armed: Option<Instant>,
}

impl Timers {
    pub(super) fn add_ack(&mut self, at: Instant, namespace: &NamespaceName, id: u64) {
        self.acks.insert((at, namespace.clone(), id));
    }

    pub(super) fn remove_ack(&mut self, at: Instant, namespace: &NamespaceName, id: u64) {
        self.acks.remove(&(at, namespace.clone(), id));
    }

    /// Takes the acknowledgements whose deadline passed.
    pub(super) fn expired_acks(&mut self, now: Instant) -> Vec<(NamespaceName, u64)> {
        let mut expired = Vec::new();
        while let Some(first) = self.acks.first() {
            if first.0 > now {
                break;
            }
            if let Some((_, namespace, id)) = self.acks.pop_first() {
                expired.push((namespace, id));
            }
        }
        expired
    }

    /// The engine timer fired: it is set to nothing now.
    pub(super) fn fired(&mut self) {
        self.armed = None;
    }

    /// The earliest deadline, when it differs from the one the engine timer is set to.
    pub(super) fn rearm(&mut self) -> Option<Option<Instant>> {
        let next = match (self.connect, self.acks.first().map(|first| first.0)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        (next != self.armed).then(|| {
            self.armed = next;
            next
        })
    }
}
