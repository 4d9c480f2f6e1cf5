//! What goes into a session and what comes out of it.

use std::time::Instant;

use thiserror::Error;

use super::state::{Heartbeat, PollingState, State};
use super::{SendOptions, Session};
use crate::config::TransportKind;
use crate::packet::{Message, Packet, Probe};
use crate::protocol::Protocol;
use crate::reason::DisconnectReason;

/// Something that happened to a session.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Input {
    /// A packet arrived on a transport (a polling POST, or the current or probing WebSocket).
    /// Feed none while [`Session::inbound_full`] says so.
    Recv(TransportKind, Packet),
    /// A polling GET arrived and waits for packets.
    PollStart,
    /// The waiting GET's connection closed before it was answered.
    PollAborted,
    /// A polling POST started.
    PostStart,
    /// The polling POST finished.
    PostEnd,
    /// A WebSocket for this session opened: the upgrade probe starts.
    ProbeOpened,
    /// A transport ended with this reason (closed, failed, sent what could not be parsed,
    /// or too much).
    TransportEnded(TransportKind, DisconnectReason),
    /// The layer above sends a message.
    Send(Message),
    /// The layer above sends a message only if the client can take it right now (a volatile
    /// message): it is dropped when the transport is busy or no poll is waiting.
    SendVolatile(Message),
    /// Sets (or clears) the layer above's own deadline; reaching it gives [`Event::Timer`].
    SetTimer(Option<Instant>),
    /// The layer above asks to be called on the session's task ([`Event::Signal`]); signals
    /// given before that event is taken count as one.
    Signal,
    /// The server closes the session after the client has read what is queued.
    Close(DisconnectReason),
    /// The layer above stops (`true`) or starts again (`false`) taking the client's
    /// messages. Held messages wait in the session, so its inbound queue reaches the mark
    /// and the transports pause: the client is slowed to the pace of the layer above, and
    /// nothing is lost. Other events still come; a close delivers what is held first.
    HoldMessages(bool),
}

/// What the session asks of its driver.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Tell the layer above.
    Event(Event),
    /// Write this packet on the WebSocket.
    WsWrite(Packet),
    /// Close the WebSocket (the current one, or the probe of a failed upgrade).
    WsClose,
    /// The waiting polling GET can take its payload with [`Session::take_payload`].
    PollReady,
    /// The layer above took every message a polling POST fed: the POST may go on, or answer.
    RecvReady,
    /// Nothing more to do before this instant (`None`: ever).
    Wait(Option<Instant>),
}

/// Events for the layer above.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The client sent a message.
    Message(Message),
    /// The client probed a WebSocket and is about to switch to it.
    Upgrading,
    /// The client now uses the WebSocket.
    Upgraded,
    /// The deadline set with [`Input::SetTimer`] was reached.
    Timer,
    /// The layer above gave [`Input::Signal`].
    Signal,
    /// The session ended.
    Closed(DisconnectReason),
}

/// An input the session refuses. When the input also ended the session (an overlapping
/// poll), the `Closed` event says so.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// The session is closed.
    #[error("session closed")]
    Closed,
    /// A second GET while one is waiting.
    #[error("overlapping poll")]
    OverlappingGet,
    /// A second POST while one is being read.
    #[error("overlapping post")]
    OverlappingPost,
    /// A request on a transport the session does not use.
    #[error("transport mismatch")]
    TransportMismatch,
    /// A WebSocket for a session that cannot upgrade (already upgrading or upgraded).
    #[error("upgrade refused")]
    UpgradeRefused,
    /// A message while the inbound queue is at its high-water mark: the transport should
    /// have paused ([`Session::inbound_full`]). The session ends with `transport error`.
    #[error("inbound queue full")]
    InboundFull,
}

impl Session {
    /// Feeds one input.
    pub fn handle(&mut self, now: Instant, input: Input) -> Result<(), SessionError> {
        self.on_time(now);
        match input {
            Input::Recv(transport, packet) => self.recv(now, transport, packet),
            Input::PollStart => self.poll_start(),
            Input::PollAborted => {
                self.close_now(DisconnectReason::TransportError);
                Ok(())
            }
            Input::PostStart => self.post(true),
            Input::PostEnd => self.post(false),
            Input::ProbeOpened => self.probe_opened(now),
            Input::TransportEnded(transport, reason) => {
                self.transport_ended(now, transport, reason);
                Ok(())
            }
            Input::Send(message) => self.send(message, true),
            Input::SendVolatile(message) => {
                if self.is_writable() {
                    self.send(message, true)?;
                }
                Ok(())
            }
            Input::SetTimer(deadline) => {
                self.timer = deadline.filter(|_| self.state.is_open());
                Ok(())
            }
            Input::Signal => self.signal(),
            Input::HoldMessages(_) if !self.state.is_open() => Err(SessionError::Closed),
            Input::HoldMessages(held) => {
                self.held = held;
                Ok(())
            }
            Input::Close(reason) => {
                self.close(now, reason);
                Ok(())
            }
        }
    }

    /// Queues messages for the client back to back, as `Input::Send` does, without reading
    /// the clock: sending depends on no deadline, and the next [`Session::handle`] or
    /// [`Session::poll_output`] meets any that passed. A broadcast calls this once per
    /// recipient, so the clock would otherwise be read as many times. With `volatile`, the
    /// messages are dropped unless the client can take them right away; returns whether
    /// they were queued.
    pub fn send_all(
        &mut self,
        messages: impl IntoIterator<Item = Message>,
        volatile: bool,
    ) -> Result<bool, SessionError> {
        self.send_with(messages, SendOptions::default().volatile(volatile))
    }

    /// [`Session::send_all`] with every option of a send: volatile, and whether a polling
    /// response carrying the messages may be compressed.
    pub fn send_with(
        &mut self,
        messages: impl IntoIterator<Item = Message>,
        options: SendOptions,
    ) -> Result<bool, SessionError> {
        if options.is_volatile() && !self.is_writable() {
            return Ok(false);
        }
        for message in messages {
            self.send(message, options.is_compressed())?;
        }
        Ok(true)
    }

    fn poll_start(&mut self) -> Result<(), SessionError> {
        let polling = self.polling()?;
        if polling.get_pending {
            self.close_now(DisconnectReason::TransportError);
            return Err(SessionError::OverlappingGet);
        }
        polling.get_pending = true;
        polling.get_notified = false;
        Ok(())
    }

    fn post(&mut self, start: bool) -> Result<(), SessionError> {
        let polling = self.polling()?;
        if start && polling.post_active {
            self.close_now(DisconnectReason::TransportError);
            return Err(SessionError::OverlappingPost);
        }
        polling.post_active = start;
        Ok(())
    }

    fn polling(&mut self) -> Result<&mut PollingState, SessionError> {
        let open = self.state.is_open() || matches!(self.state, State::Closing { .. });
        match self.state.polling_mut() {
            Some(polling) => Ok(polling),
            None if open => Err(SessionError::TransportMismatch),
            None => Err(SessionError::Closed),
        }
    }

    fn transport_ended(
        &mut self,
        now: Instant,
        transport: TransportKind,
        reason: DisconnectReason,
    ) {
        if transport == TransportKind::WebSocket && self.is_upgrading() {
            // A failed probe only cancels the upgrade; polling goes on.
            self.abort_upgrade(now);
            self.ws_close = false;
        } else if self.transport_current(transport) {
            self.close_now(reason);
            if transport == TransportKind::WebSocket {
                self.ws_close = false;
            }
        }
    }

    fn transport_current(&self, transport: TransportKind) -> bool {
        match &self.state {
            State::Closing { polling, .. } => {
                (transport == TransportKind::Polling) == polling.is_some()
            }
            State::ClosingUpgrade { .. } => transport == TransportKind::Polling,
            _ => self.transport() == Some(transport),
        }
    }

    /// The server closes: once what is queued is written, on the transport the client reads.
    /// During an upgrade that is the one that wins, so the close waits for the upgrade.
    fn close(&mut self, now: Instant, reason: DisconnectReason) {
        match self.state {
            State::Polling(polling) => self.close_on_polling(now, reason, polling),
            State::Upgrading {
                polling,
                probe,
                deadline,
            } => {
                self.state = State::ClosingUpgrade {
                    reason,
                    polling,
                    probe,
                    deadline,
                };
            }
            State::WebSocket => {
                self.state = State::Closing {
                    reason,
                    polling: None,
                    deadline: now + self.limits.ping_timeout,
                };
            }
            State::ClosingUpgrade { .. } | State::Closing { .. } | State::Closed(_) => {}
        }
    }

    fn recv(
        &mut self,
        now: Instant,
        from: TransportKind,
        packet: Packet,
    ) -> Result<(), SessionError> {
        if self.is_upgrading() && from == TransportKind::WebSocket {
            self.recv_probe(now, packet);
            return Ok(());
        }
        if !self.state.is_open() {
            // Packets after the end are dropped, as the reference server does.
            return Ok(());
        }
        if !self.transport_current(from) {
            return Err(SessionError::TransportMismatch);
        }
        match packet {
            Packet::Message(text) => return self.recv_message(from, Message::Text(text)),
            Packet::Binary(data) => return self.recv_message(from, Message::Binary(data)),
            // The heartbeat goes one way: pings from the server in v4, from the client in
            // v3. One the other way is an error (`invalid heartbeat direction`).
            Packet::Pong(_) if self.limits.protocol == Protocol::V4 => self.on_pong(now),
            Packet::Ping(_) if self.limits.protocol == Protocol::V3 => self.on_ping(now),
            Packet::Ping(_) | Packet::Pong(_) => self.close_now(DisconnectReason::TransportError),
            Packet::Close => self.client_closed(),
            Packet::Open(_) | Packet::Upgrade | Packet::Noop => {}
        }
        Ok(())
    }

    /// Queues a message for the layer above, unless the transport failed to pause at the mark.
    fn recv_message(&mut self, from: TransportKind, message: Message) -> Result<(), SessionError> {
        if self.inbound.is_full() {
            self.close_now(DisconnectReason::TransportError);
            return Err(SessionError::InboundFull);
        }
        self.inbound.push(&message, from);
        self.events.push_back(Event::Message(message));
        Ok(())
    }

    fn on_pong(&mut self, now: Instant) {
        if let Heartbeat::AwaitingPong { .. } = self.heartbeat {
            self.heartbeat = Heartbeat::Idle {
                next_ping: now + self.limits.ping_interval,
            };
        }
    }

    /// An Engine.IO v3 ping: answered, and the client has another interval plus timeout.
    fn on_ping(&mut self, now: Instant) {
        self.heartbeat = Heartbeat::AwaitingPing {
            deadline: now + self.limits.ping_interval + self.limits.ping_timeout,
        };
        self.push(Packet::Pong(Probe::No), true);
    }
}
