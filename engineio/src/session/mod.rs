//! The session state machine: heartbeat, upgrade, close. Pure: time is passed in.
//!
//! Feed one [`Input`] with [`Session::handle`], then drain [`Session::poll_output`] until it
//! returns [`Output::Wait`]. A polling GET takes its body with [`Session::take_payload`]. The
//! client's packets are fed only while [`Session::inbound_full`] is false: the client's
//! messages waiting for the layer above stay under the inbound high-water mark.
//!
//! ```
//! use engineio::session::{Input, Output, Session, Event};
//! use engineio::packet::{Message, Packet, Text};
//! use engineio::{Config, DisconnectReason, TransportKind};
//! use std::time::{Duration, Instant};
//!
//! let config = Config::default();
//! let start = Instant::now();
//! let mut session = Session::new("sid".into(), &config, TransportKind::WebSocket, start);
//! assert!(matches!(session.poll_output(start), Output::WsWrite(Packet::Open(_))));
//! session.handle(start, Input::Recv(TransportKind::WebSocket, Packet::Message(Text::new("hi")))).unwrap();
//! assert_eq!(session.poll_output(start), Output::Event(Event::Message(Message::Text(Text::new("hi")))));
//!
//! // No pong within pingInterval + pingTimeout: the session ends.
//! let later = start + config.ping_interval;
//! assert_eq!(session.poll_output(later), Output::WsWrite(Packet::Ping(engineio::packet::Probe::No)));
//! let too_late = later + config.ping_timeout;
//! assert_eq!(session.poll_output(too_late), Output::Event(Event::Closed(DisconnectReason::PingTimeout)));
//! ```

mod inbound;
mod input;
mod outbox;
mod state;
#[cfg(test)]
mod tests;
mod upgrade;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::config::{Config, TransportKind};
use crate::handshake::{millis, OpenPacket};
use crate::packet::{Message, Packet};
use crate::protocol::Protocol;
use crate::reason::DisconnectReason;

use inbound::Inbound;
pub use input::{Event, Input, Output, SessionError};
use outbox::Outbox;
pub use outbox::{Batch, SendOptions};
use state::{Heartbeat, PollingState, ProbeState, State};

/// How often a poll held during an upgrade is released with a noop.
const NOOP_INTERVAL: Duration = Duration::from_millis(100);

/// The timing and limits a session needs from [`Config`].
#[derive(Debug, Clone, Copy)]
struct Limits {
    ping_interval: Duration,
    ping_timeout: Duration,
    upgrade_timeout: Duration,
    max_buffered_packets: usize,
    allow_upgrades: bool,
    protocol: Protocol,
}

/// One Engine.IO session.
#[derive(Debug)]
pub struct Session {
    sid: String,
    limits: Limits,
    state: State,
    heartbeat: Heartbeat,
    /// Packets for the client, in order, on whichever transport is current.
    outbox: Outbox,
    /// Events for the layer above.
    events: VecDeque<Event>,
    /// The client's messages among `events`, under the inbound high-water mark.
    inbound: Inbound,
    /// The WebSocket (current or probing) must be closed.
    ws_close: bool,
    /// A GET held when the session upgraded must be answered.
    release_poll: bool,
    /// The layer above's deadline.
    timer: Option<Instant>,
    /// An [`Event::Signal`] is queued and not taken yet.
    signalled: bool,
    /// The layer above takes no message for now ([`Input::HoldMessages`]).
    held: bool,
}

impl Session {
    /// Starts an Engine.IO v4 session on `transport`; its first output is the open packet.
    pub fn new(sid: String, config: &Config, transport: TransportKind, now: Instant) -> Self {
        Self::with_protocol(sid, config, transport, Protocol::V4, now)
    }

    /// Starts a session speaking `protocol` on `transport`. In Engine.IO v3 the client sends
    /// the pings and the session answers them.
    pub fn with_protocol(
        sid: String,
        config: &Config,
        transport: TransportKind,
        protocol: Protocol,
        now: Instant,
    ) -> Self {
        let open = OpenPacket {
            sid: sid.clone(),
            upgrades: config.upgrades(transport),
            ping_interval: millis(config.ping_interval),
            ping_timeout: millis(config.ping_timeout),
            max_payload: u64::try_from(config.max_payload).unwrap_or(u64::MAX),
        };
        let state = match transport {
            TransportKind::Polling => State::Polling(PollingState::default()),
            TransportKind::WebSocket => State::WebSocket,
        };
        Self {
            sid,
            limits: Limits {
                ping_interval: config.ping_interval,
                ping_timeout: config.ping_timeout,
                upgrade_timeout: config.upgrade_timeout,
                max_buffered_packets: config.max_buffered_packets.max(1),
                allow_upgrades: config.allow_upgrades && config.websocket,
                protocol,
            },
            state,
            heartbeat: match protocol {
                Protocol::V4 => Heartbeat::Idle {
                    next_ping: now + config.ping_interval,
                },
                Protocol::V3 => Heartbeat::AwaitingPing {
                    deadline: now + config.ping_interval + config.ping_timeout,
                },
            },
            outbox: Outbox::starting_with(Packet::Open(open)),
            events: VecDeque::new(),
            inbound: Inbound::new(config.max_inbound_messages, config.max_inbound_bytes),
            ws_close: false,
            release_poll: false,
            timer: None,
            signalled: false,
            held: false,
        }
    }

    /// The session id.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The protocol revision the session speaks.
    pub fn protocol(&self) -> Protocol {
        self.limits.protocol
    }

    /// The current transport; `None` once the session is closing or closed.
    pub fn transport(&self) -> Option<TransportKind> {
        match self.state {
            State::Polling(_) | State::Upgrading { .. } => Some(TransportKind::Polling),
            State::WebSocket => Some(TransportKind::WebSocket),
            State::ClosingUpgrade { .. } | State::Closing { .. } | State::Closed(_) => None,
        }
    }

    /// Whether the session is over (its `Closed` event may still be waiting in the outputs).
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed(_))
    }

    /// Number of packets waiting for the client.
    pub fn queued(&self) -> usize {
        self.outbox.len()
    }

    /// Whether the client's messages waiting for the layer above reached the inbound
    /// high-water mark ([`Config::max_inbound_messages`], [`Config::max_inbound_bytes`]).
    ///
    /// While it is true a transport must not feed another packet: the session refuses a
    /// message then ([`SessionError::InboundFull`]). The driver empties the queue by taking
    /// the events; a polling POST waits for [`Output::RecvReady`].
    pub fn inbound_full(&self) -> bool {
        self.state.is_open() && self.inbound.is_full()
    }

    /// Number of the client's messages waiting for the layer above.
    pub fn inbound(&self) -> usize {
        self.inbound.len()
    }

    /// Whether an upgrade is in progress (also while a close waits for it).
    pub fn is_upgrading(&self) -> bool {
        matches!(
            self.state,
            State::Upgrading { .. } | State::ClosingUpgrade { .. }
        )
    }

    /// The next instant at which the session has something to do on its own.
    pub fn next_deadline(&self) -> Option<Instant> {
        let own = self.own_deadline();
        match (own, self.timer) {
            (Some(own), Some(timer)) => Some(own.min(timer)),
            (own, timer) => own.or(timer),
        }
    }

    fn own_deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Polling(_) | State::WebSocket => Some(self.heartbeat.deadline()),
            State::Upgrading {
                deadline,
                probe: ProbeState::Answered { next_noop, .. },
                ..
            } => Some(self.heartbeat.deadline().min(*deadline).min(*next_noop)),
            State::Upgrading { deadline, .. } => Some(self.heartbeat.deadline().min(*deadline)),
            State::ClosingUpgrade { deadline, .. } | State::Closing { deadline, .. } => {
                Some(*deadline)
            }
            State::Closed(_) => None,
        }
    }

    /// The next thing to do. Call until it returns [`Output::Wait`].
    pub fn poll_output(&mut self, now: Instant) -> Output {
        self.on_time(now);
        if let Some(event) = self.next_event() {
            match &event {
                Event::Signal => self.signalled = false,
                Event::Message(message) => self.inbound.take(message),
                _ => {}
            }
            return Output::Event(event);
        }
        if self.inbound.ready() {
            return Output::RecvReady;
        }
        if let Some(packet) = self.next_ws_write(now) {
            return Output::WsWrite(packet);
        }
        if self.ws_close {
            self.ws_close = false;
            return Output::WsClose;
        }
        if self.poll_ready() {
            return Output::PollReady;
        }
        Output::Wait(self.next_deadline())
    }

    /// The packets a polling GET returns now, at most about `max_bytes` of them (always at
    /// least one). `None` when there is nothing to send yet.
    pub fn take_payload(&mut self, max_bytes: usize) -> Option<Vec<Packet>> {
        self.take_batch(max_bytes).map(|batch| batch.packets)
    }

    /// [`Session::take_payload`], and whether the response may be compressed.
    pub fn take_batch(&mut self, max_bytes: usize) -> Option<Batch> {
        let release = self.noop_due();
        // A noop or a close alone is never compressed, as in the reference.
        let noop = || Batch {
            packets: vec![Packet::Noop],
            compress: false,
        };
        let batch = if self.poll_gets_noop() {
            // The packets now go over the WebSocket (or nothing more comes); the poll only
            // has to end.
            self.release_poll = false;
            noop()
        } else if self.outbox.is_empty() && matches!(self.state, State::ClosingUpgrade { .. }) {
            // The close that waits for the upgrade goes to a poll as soon as nothing is
            // queued before it, as the reference's polling close does.
            Batch {
                packets: vec![Packet::Close],
                compress: false,
            }
        } else if self.outbox.is_empty() {
            // A poll held during an upgrade must return so the client can finish it.
            if let State::Upgrading {
                probe: ProbeState::Answered { noop_due, .. },
                ..
            } = &mut self.state
            {
                *noop_due = false;
            }
            release.then(noop)?
        } else {
            self.outbox.drain(max_bytes)
        };
        if let Some(polling) = self.state.polling_mut() {
            polling.get_pending = false;
            polling.get_notified = false;
        }
        if batch.packets.last() == Some(&Packet::Close) {
            match self.state {
                State::Closing { reason, .. } => self.finish(reason),
                State::ClosingUpgrade { reason, .. } => {
                    // The probe dies with the session.
                    self.ws_close = true;
                    self.finish(reason);
                }
                _ => {}
            }
        }
        Some(batch)
    }

    /// Whether a poll has nothing to take but a noop: the session upgraded (its packets go
    /// over the WebSocket), or it is over with nothing left for the poll.
    fn poll_gets_noop(&self) -> bool {
        match self.state {
            State::WebSocket | State::Closing { polling: None, .. } => true,
            State::Closed(_) => self.outbox.is_empty(),
            _ => false,
        }
    }

    /// Whether a held poll is due a noop during an upgrade.
    fn noop_due(&self) -> bool {
        matches!(
            self.state,
            State::Upgrading {
                probe: ProbeState::Answered { noop_due: true, .. },
                ..
            }
        )
    }

    fn next_ws_write(&mut self, now: Instant) -> Option<Packet> {
        match &mut self.state {
            State::WebSocket => self.outbox.pop_front(),
            State::Closing { polling: None, .. } => self.outbox.pop_front(),
            _ => self.answer_probe(now),
        }
        .or_else(|| self.close_drained_ws())
    }

    /// A WebSocket session that is closing closes once its packets are written.
    fn close_drained_ws(&mut self) -> Option<Packet> {
        if let State::Closing {
            reason,
            polling: None,
            ..
        } = self.state
        {
            self.ws_close = true;
            self.finish(reason);
        }
        None
    }

    fn poll_ready(&mut self) -> bool {
        if self.release_poll {
            self.release_poll = false;
            return true;
        }
        // A close waiting for the upgrade is payload: it goes to a poll once nothing is ahead.
        let has_payload = !self.outbox.is_empty()
            || self.noop_due()
            || matches!(self.state, State::ClosingUpgrade { .. });
        match self.state.polling_mut() {
            Some(p) if p.get_pending && !p.get_notified && has_payload => {
                p.get_notified = true;
                true
            }
            _ => false,
        }
    }

    /// Queues a packet for the client; a client that stopped reading is dropped.
    fn push(&mut self, packet: Packet, compress: bool) {
        if self.outbox.len() >= self.limits.max_buffered_packets {
            self.close_now(DisconnectReason::TransportError);
            return;
        }
        self.outbox.push(packet, compress);
    }

    /// Ends the session at once, telling a waiting poll (with a close packet) or the
    /// WebSocket.
    fn close_now(&mut self, reason: DisconnectReason) {
        self.end_now(reason, Packet::Close);
    }

    /// The client sent a close packet. A poll it left waiting is answered with a noop, as the
    /// reference's polling transport does: the client closed, it needs no close packet.
    pub(super) fn client_closed(&mut self) {
        self.end_now(DisconnectReason::TransportClose, Packet::Noop);
    }

    fn end_now(&mut self, reason: DisconnectReason, last_poll: Packet) {
        if matches!(self.state, State::Closed(_)) {
            return;
        }
        self.outbox.clear();
        // The upgrade probe, if any, dies with the session.
        let upgrading = self.is_upgrading();
        match self.state.polling_mut() {
            Some(polling) => {
                self.ws_close = upgrading;
                if polling.get_pending {
                    self.release_poll = true;
                    self.outbox.push(last_poll, false);
                }
            }
            None => self.ws_close = true,
        }
        self.finish(reason);
    }

    fn finish(&mut self, reason: DisconnectReason) {
        let keep_poll = self.release_poll || self.outbox.front() == Some(&Packet::Close);
        self.state = State::Closed(reason);
        if !keep_poll {
            self.outbox.clear();
        }
        self.events.push_back(Event::Closed(reason));
    }

    /// Fires the timers that are due.
    fn on_time(&mut self, now: Instant) {
        if let State::Upgrading {
            probe:
                ProbeState::Answered {
                    noop_due,
                    next_noop,
                },
            ..
        } = &mut self.state
        {
            if now >= *next_noop {
                (*noop_due, *next_noop) = (true, now + NOOP_INTERVAL);
            }
        }
        match self.state {
            State::Upgrading { deadline, .. } | State::ClosingUpgrade { deadline, .. }
                if now >= deadline =>
            {
                self.abort_upgrade(now);
            }
            State::Closing {
                reason, deadline, ..
            } if now >= deadline => self.finish(reason),
            _ => {}
        }
        if !self.state.is_open() {
            self.timer = None;
            return;
        }
        if self.timer.is_some_and(|at| now >= at) {
            self.timer = None;
            self.events.push_back(Event::Timer);
        }
        match self.heartbeat {
            Heartbeat::Idle { next_ping } if now >= next_ping => {
                self.heartbeat = Heartbeat::AwaitingPong {
                    deadline: now + self.limits.ping_timeout,
                };
                self.push(Packet::Ping(crate::packet::Probe::No), true);
            }
            // A client whose input the session stopped reading (at the inbound mark, or while
            // the layer above holds its messages, which keeps a polling POST waiting) could
            // not answer: its pong waits behind the messages. It is pinged again instead,
            // since a client that gets no ping for pingInterval + pingTimeout gives up.
            Heartbeat::AwaitingPong { deadline } if now >= deadline && self.input_paused() => {
                self.heartbeat = Heartbeat::AwaitingPong {
                    deadline: now + self.limits.ping_timeout,
                };
                self.push(Packet::Ping(crate::packet::Probe::No), true);
            }
            Heartbeat::AwaitingPing { deadline } if now >= deadline && self.input_paused() => {
                self.heartbeat = Heartbeat::AwaitingPing {
                    deadline: now + self.limits.ping_timeout,
                };
            }
            Heartbeat::AwaitingPong { deadline } | Heartbeat::AwaitingPing { deadline }
                if now >= deadline =>
            {
                self.close_now(DisconnectReason::PingTimeout);
            }
            _ => {}
        }
    }

    /// Whether the client can take a message right now: an idle WebSocket, or a waiting poll,
    /// with nothing queued before it (the reference's writable transport and empty write
    /// buffer). Volatile messages are dropped otherwise.
    pub fn is_writable(&self) -> bool {
        if !self.outbox.is_empty() {
            return false;
        }
        match self.state {
            State::WebSocket => true,
            _ => self.state.polling().is_some_and(|p| p.get_pending),
        }
    }

    /// Queues one [`Event::Signal`] for the layer above, unless one is already waiting.
    /// Gives back messages that [`Session::poll_output`] handed out but the layer above did
    /// not take, because it asked to hold them ([`Input::HoldMessages`]) while they were on
    /// their way: they go back to the front of the events, in order, and count against the
    /// inbound mark again. `post_waits` when the [`Output::RecvReady`] of their POST was held
    /// back with them: it is given again once they are taken.
    pub fn unread(&mut self, messages: Vec<Message>, post_waits: bool) {
        for message in messages.into_iter().rev() {
            self.inbound.unread(&message, post_waits);
            self.events.push_front(Event::Message(message));
        }
    }

    /// Whether the session keeps the client's input waiting: at the inbound mark, or while
    /// the layer above holds its messages.
    fn input_paused(&self) -> bool {
        self.held || self.inbound.is_full()
    }

    /// The next event for the layer above. While messages are held the others go first; a
    /// close ends the hold, so that no message the client sent before it is lost.
    fn next_event(&mut self) -> Option<Event> {
        if !self.held {
            return self.events.pop_front();
        }
        let at = self
            .events
            .iter()
            .position(|event| !matches!(event, Event::Message(_)))?;
        if matches!(self.events[at], Event::Closed(_)) {
            self.held = false;
            return self.events.pop_front();
        }
        self.events.remove(at)
    }

    fn signal(&mut self) -> Result<(), SessionError> {
        if !self.state.is_open() {
            return Err(SessionError::Closed);
        }
        if !self.signalled {
            self.signalled = true;
            self.events.push_back(Event::Signal);
        }
        Ok(())
    }

    /// Queues a message for the client.
    fn send(&mut self, message: Message, compress: bool) -> Result<(), SessionError> {
        if !self.state.is_open() {
            return Err(SessionError::Closed);
        }
        self.push(message.into_packet(), compress);
        Ok(())
    }
}
