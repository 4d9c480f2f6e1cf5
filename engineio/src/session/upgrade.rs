//! The upgrade from polling to WebSocket: the probe, the switch, its failure, and a close
//! requested meanwhile, which waits for the upgrade to end as the reference's does.

use std::time::Instant;

use super::state::{PollingState, ProbeState, State};
use super::{Event, Session, SessionError, NOOP_INTERVAL};
use crate::packet::{Packet, Probe};
use crate::reason::DisconnectReason;

impl Session {
    /// A WebSocket for this session opened. A session closing on polling still takes it, as
    /// the reference does (its socket stays in the server's table until it is closed): the
    /// close then waits for the upgrade too.
    pub(super) fn probe_opened(&mut self, now: Instant) -> Result<(), SessionError> {
        let deadline = now + self.limits.upgrade_timeout;
        match self.state {
            State::Polling(polling) if self.limits.allow_upgrades => {
                self.state = State::Upgrading {
                    polling,
                    probe: ProbeState::Waiting,
                    deadline,
                };
                Ok(())
            }
            State::Closing {
                reason,
                polling: Some(polling),
                ..
            } if self.limits.allow_upgrades => {
                // The close goes back to waiting: it is sent on the transport that wins.
                self.outbox.take_close();
                self.state = State::ClosingUpgrade {
                    reason,
                    polling,
                    probe: ProbeState::Waiting,
                    deadline,
                };
                Ok(())
            }
            State::Closing {
                polling: Some(_), ..
            }
            | State::Closed(_) => Err(SessionError::Closed),
            _ => Err(SessionError::UpgradeRefused),
        }
    }

    /// A packet on the probing WebSocket.
    pub(super) fn recv_probe(&mut self, now: Instant, packet: Packet) {
        let probe = match &mut self.state {
            State::Upgrading { probe, .. } | State::ClosingUpgrade { probe, .. } => probe,
            _ => return,
        };
        match (*probe, packet) {
            (ProbeState::Waiting, Packet::Ping(Probe::Yes)) => {
                *probe = ProbeState::Answer;
                self.events.push_back(Event::Upgrading);
            }
            (ProbeState::Answered { .. }, Packet::Upgrade) => self.upgraded(now),
            _ => self.abort_upgrade(now),
        }
    }

    /// The probe's answer, when it is due (on the probing WebSocket).
    pub(super) fn answer_probe(&mut self, now: Instant) -> Option<Packet> {
        match &mut self.state {
            State::Upgrading { probe, .. } | State::ClosingUpgrade { probe, .. }
                if *probe == ProbeState::Answer =>
            {
                *probe = ProbeState::Answered {
                    noop_due: true,
                    next_noop: now + NOOP_INTERVAL,
                };
                Some(Packet::Pong(Probe::Yes))
            }
            _ => None,
        }
    }

    /// The client switched to the WebSocket. A close that waited for it now writes the queue
    /// there, then closes the WebSocket.
    fn upgraded(&mut self, now: Instant) {
        let (polling, closing) = match self.state {
            State::Upgrading { polling, .. } => (polling, None),
            State::ClosingUpgrade {
                polling, reason, ..
            } => (polling, Some(reason)),
            _ => return,
        };
        self.state = match closing {
            None => State::WebSocket,
            Some(reason) => State::Closing {
                reason,
                polling: None,
                deadline: now + self.limits.ping_timeout,
            },
        };
        self.events.push_back(Event::Upgraded);
        // A poll still held returns a noop; the queued packets go over the WebSocket.
        self.release_poll = polling.get_pending && !polling.get_notified;
    }

    /// The probe failed or timed out: its WebSocket is closed, polling goes on. A close that
    /// waited for the upgrade now goes on polling.
    pub(super) fn abort_upgrade(&mut self, now: Instant) {
        match self.state {
            State::Upgrading { polling, .. } => self.state = State::Polling(polling),
            State::ClosingUpgrade {
                reason, polling, ..
            } => self.close_on_polling(now, reason, polling),
            _ => return,
        }
        self.ws_close = true;
    }

    /// Closes on polling: the close packet follows what is queued, in a GET of its own.
    pub(super) fn close_on_polling(
        &mut self,
        now: Instant,
        reason: DisconnectReason,
        polling: PollingState,
    ) {
        self.outbox.push(Packet::Close, false);
        self.state = State::Closing {
            reason,
            polling: Some(polling),
            deadline: now + self.limits.ping_timeout,
        };
    }
}
