//! The states of a session and of its heartbeat.

use std::time::Instant;

use crate::reason::DisconnectReason;

/// What the long-polling transport of a session is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PollingState {
    /// A GET is waiting for packets.
    pub(crate) get_pending: bool,
    /// The waiting GET was told that its payload is ready.
    pub(crate) get_notified: bool,
    /// A POST is being read.
    pub(crate) post_active: bool,
}

/// How far the upgrade probe went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProbeState {
    /// The new WebSocket is open; `2probe` has not come yet.
    Waiting,
    /// `2probe` came; `3probe` must be written.
    Answer,
    /// `3probe` was written; waiting for `5`. Meanwhile a held poll is released with a noop
    /// when one is due: at once, then every 100 ms, as the reference server does.
    Answered { noop_due: bool, next_noop: Instant },
}

/// The session's state machine. Data that exists in one state lives in its variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum State {
    /// Long-polling is the transport.
    Polling(PollingState),
    /// Long-polling is the transport while a WebSocket probes the upgrade.
    Upgrading {
        polling: PollingState,
        probe: ProbeState,
        deadline: Instant,
    },
    /// WebSocket is the transport.
    WebSocket,
    /// The server closes the session while a WebSocket probes the upgrade, as the reference
    /// does: the close waits for the upgrade to finish, then the queue goes over the
    /// WebSocket, which closes after it; or for it to fail (a bad packet, the probe's end,
    /// `deadline`), then the close goes on polling. Meanwhile a poll takes what is queued, or
    /// else the close, which ends the session and its probe. The probe's noop timing is
    /// unused here: a poll is answered at once.
    ClosingUpgrade {
        reason: DisconnectReason,
        polling: PollingState,
        probe: ProbeState,
        deadline: Instant,
    },
    /// The server closes the session once the client has read what is queued.
    Closing {
        reason: DisconnectReason,
        polling: Option<PollingState>,
        deadline: Instant,
    },
    /// The session is over.
    Closed(DisconnectReason),
}

impl State {
    /// The polling transport's state, when polling is (still) the transport.
    pub(crate) fn polling(&self) -> Option<&PollingState> {
        match self {
            State::Polling(polling)
            | State::Upgrading { polling, .. }
            | State::ClosingUpgrade { polling, .. }
            | State::Closing {
                polling: Some(polling),
                ..
            } => Some(polling),
            _ => None,
        }
    }

    pub(crate) fn polling_mut(&mut self) -> Option<&mut PollingState> {
        match self {
            State::Polling(polling)
            | State::Upgrading { polling, .. }
            | State::ClosingUpgrade { polling, .. }
            | State::Closing {
                polling: Some(polling),
                ..
            } => Some(polling),
            _ => None,
        }
    }

    /// Whether the session still exchanges messages.
    pub(crate) fn is_open(&self) -> bool {
        matches!(
            self,
            State::Polling(_) | State::Upgrading { .. } | State::WebSocket
        )
    }
}

/// The heartbeat. In Engine.IO v4 the server drives it: ping every interval, expect a pong
/// within the timeout. In v3 the client does: it pings, the server answers with a pong, and
/// a client silent for the interval plus the timeout is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Heartbeat {
    /// v4: the next ping goes out at this instant.
    Idle { next_ping: Instant },
    /// v4: a ping went out; without a pong by this instant the session ends.
    AwaitingPong { deadline: Instant },
    /// v3: without a ping from the client by this instant the session ends.
    AwaitingPing { deadline: Instant },
}

impl Heartbeat {
    pub(crate) fn deadline(self) -> Instant {
        match self {
            Heartbeat::Idle { next_ping } => next_ping,
            Heartbeat::AwaitingPong { deadline } | Heartbeat::AwaitingPing { deadline } => deadline,
        }
    }
}
