//! Target `eio_session`: the Engine.IO session state machine under any sequence of inputs.
//!
//! Input: a script, one step a line (`\n`). The first line sets up the session:
//!
//! - byte 0: `w` starts on WebSocket, anything else on long-polling;
//! - byte 1: a digit `d` allows `d + 1` buffered packets (otherwise the default, 10 000);
//! - byte 2: `0` disallows upgrades;
//! - byte 3: a digit `d` sets the inbound mark to `d + 1` messages (otherwise 1 024);
//! - byte 4: a digit `d` sets the inbound mark to `4 * (d + 1)` bytes (otherwise 1 MB).
//!
//! The heartbeat is fast (ping every 250 ms, pong within 200 ms, upgrade within 300 ms) so that
//! scripts reach the timers with small numbers. Every later line is one step, its first byte
//! the operation and the rest its argument:
//!
//! - `+N`: time passes, `N` ms (decimal, at most 7 digits; none: 0);
//! - `gN`: a polling GET as the server runs it: `PollStart`, then its payload at once or when
//!   the session says `PollReady`; `N` bounds the payload's size (none: unbounded);
//! - `P…`: a polling POST of the rest of the line as the server runs it: `PostStart`, the
//!   packets as they decode, each fed once the inbound queue is under its mark (the driver
//!   takes the queue meanwhile), then `PostEnd` once the queue is empty; a packet that does
//!   not decode ends the feeding, then `PostEnd` and `TransportEnded(Polling, ParseError)`;
//! - `W…`: a WebSocket text frame: its packet, or `TransportEnded(WebSocket, ParseError)`;
//! - `B…`: a WebSocket binary frame;
//! - `R…`: the packet of the rest of the line, received on polling outside any POST;
//! - `o`: `ProbeOpened`, a WebSocket for the session opens;
//! - `a`: `PollAborted`, the held GET's connection goes away;
//! - `p`, `s`, `e`: a bare `PollStart`, `PostStart`, `PostEnd`, as a confused driver would;
//! - `TN`: a bare `take_payload(N)` (none: unbounded);
//! - `xKR`: `TransportEnded`, on WebSocket when the byte `K` is odd, with the reason `R`;
//! - `m…`, `M…`: `Send` a text or binary message; `v…`, `V…`: `SendVolatile` one;
//! - `tN`: `SetTimer` in `N` ms; `t` alone clears it;
//! - `cR`: `Close` with the reason `R`;
//! - `n`: `Signal` (never more `Signal` events than signals).
//!
//! After every step the outputs are drained as a driver does, taking the held GET's payload on
//! `PollReady`. At the end time runs on until the silent client must have been dropped.
//!
//! Invariants, beyond "never panics":
//! - draining the outputs ends, and [`Output::Wait`] names a deadline after now, or `None`
//!   exactly when the session is closed;
//! - one `Closed` event at most, and no other event after it; `Upgraded` at most once and only
//!   after `Upgrading`; a closed session stays closed;
//! - the client gets the open packet first and once; it never gets a client-only packet
//!   (`2probe`, `3`, `5`); after the `Closed` event it gets nothing but a close or a noop;
//! - the messages the client gets are the messages the server sent, in order, without
//!   duplicates, and without a gap other than volatile messages that were dropped;
//! - the events the server gets are the client's messages, in order, without duplicates;
//! - a polling payload is never empty, stays within its size bound unless it is a single
//!   packet, and survives its own encoding;
//! - a refusal because the session is closed comes only from a session that has no
//!   transport any more;
//! - a GET that the driver holds is not left waiting while packets are queued, after the
//!   upgrade, or once the session is closed;
//! - a session whose client falls silent is closed at last;
//! - the inbound queue never holds more messages than its mark, is empty once drained, and a
//!   POST that waits for it (at the mark, or for its messages to be taken) is told with
//!   `RecvReady`, which comes only once the queue is empty.

use std::time::{Duration, Instant};

use bytes::Bytes;
use engineio::packet::{Message, Packet, Text};
use engineio::session::{Input, Session, SessionError};
use engineio::{payload, Config, DisconnectReason, TransportKind};

// What the driver does with the outputs, and the checks of what reaches each side.
#[path = "eio_session/outputs.rs"]
mod outputs;

/// More outputs than this after one step is a session that never settles.
const MAX_OUTPUTS_PER_STEP: usize = 100_000;

/// Feeds one script to a session and checks the invariants.
pub fn run(data: &[u8]) {
    let mut lines = data.split(|&b| b == b'\n');
    let mut harness = Harness::new(lines.next().unwrap_or_default());
    for line in lines {
        harness.step(line);
    }
    harness.finish();
}

/// A message the server sent, and whether it was volatile (so it may be dropped).
struct Sent {
    message: Message,
    volatile: bool,
}

/// The session, the clock, and what the driver has seen so far.
struct Harness {
    session: Session,
    now: Instant,
    /// Messages accepted by `Send` or `SendVolatile`, in order.
    sent: Vec<Sent>,
    /// How many of `sent` the client has got or can no longer get.
    sent_cursor: usize,
    /// Messages the client sent, in order.
    received: Vec<Message>,
    /// How many of `received` the server has seen or skipped.
    received_cursor: usize,
    /// A GET waits for its payload, with this size bound.
    held_poll: Option<usize>,
    /// A bare `PollStart` or `take_payload` made the session's idea of the held GET differ
    /// from the driver's, so a GET left waiting proves nothing.
    confused: bool,
    /// Something reached the client.
    delivered_any: bool,
    closed_events: usize,
    upgrading_events: usize,
    upgraded_events: usize,
    /// `Signal` inputs fed, and `Signal` events seen: never more events than inputs.
    signals: usize,
    signal_events: usize,
    /// A counter that makes every sent message unique.
    serial: u64,
    /// The inbound mark, in messages.
    inbound_mark: usize,
    /// A `RecvReady` came since this was last cleared.
    recv_ready: bool,
}

impl Harness {
    fn new(header: &[u8]) -> Self {
        let transport = match header.first() {
            Some(b'w') => TransportKind::WebSocket,
            _ => TransportKind::Polling,
        };
        let mut config = Config {
            ping_interval: Duration::from_millis(250),
            ping_timeout: Duration::from_millis(200),
            upgrade_timeout: Duration::from_millis(300),
            ..Config::default()
        };
        if let Some(digit @ b'0'..=b'9') = header.get(1) {
            config.max_buffered_packets = usize::from(digit - b'0') + 1;
        }
        if header.get(2) == Some(&b'0') {
            config.allow_upgrades = false;
        }
        if let Some(digit @ b'0'..=b'9') = header.get(3) {
            config.max_inbound_messages = usize::from(digit - b'0') + 1;
        }
        if let Some(digit @ b'0'..=b'9') = header.get(4) {
            config.max_inbound_bytes = 4 * (usize::from(digit - b'0') + 1);
        }
        let now = Instant::now();
        let session = Session::new("fuzz".into(), &config, transport, now);
        let mut harness = Self {
            session,
            now,
            sent: Vec::new(),
            sent_cursor: 0,
            received: Vec::new(),
            received_cursor: 0,
            held_poll: None,
            confused: false,
            delivered_any: false,
            closed_events: 0,
            upgrading_events: 0,
            upgraded_events: 0,
            signals: 0,
            signal_events: 0,
            serial: 0,
            inbound_mark: config.max_inbound_messages,
            recv_ready: false,
        };
        if transport == TransportKind::Polling {
            // The handshake GET takes the open packet at once.
            let packets = harness.session.take_payload(usize::MAX);
            assert!(
                matches!(packets.as_deref(), Some([Packet::Open(_)])),
                "polling handshake: {packets:?}"
            );
            harness.deliver_payload(packets, usize::MAX);
        }
        harness.drain();
        harness
    }

    fn step(&mut self, line: &[u8]) {
        let Some((&op, arg)) = line.split_first() else {
            return;
        };
        match op {
            b'+' => self.now += Duration::from_millis(number(arg).unwrap_or(0)),
            b'g' => self.get(size(arg)),
            b'P' => self.post(arg),
            b'W' => match Packet::decode_text(Bytes::copy_from_slice(arg)) {
                Ok(packet) => self.recv(TransportKind::WebSocket, packet),
                Err(_) => {
                    let reason = DisconnectReason::ParseError;
                    self.feed(Input::TransportEnded(TransportKind::WebSocket, reason));
                }
            },
            b'B' => {
                let packet = Packet::Binary(Bytes::copy_from_slice(arg));
                self.recv(TransportKind::WebSocket, packet);
            }
            b'R' => {
                if let Ok(packet) = Packet::decode_text(Bytes::copy_from_slice(arg)) {
                    self.recv(TransportKind::Polling, packet);
                }
            }
            b'o' => self.feed(Input::ProbeOpened),
            b'a' => {
                self.held_poll = None;
                self.feed(Input::PollAborted);
            }
            b'p' => {
                self.confused = true;
                self.feed(Input::PollStart);
            }
            b's' => self.feed(Input::PostStart),
            b'e' => self.feed(Input::PostEnd),
            b'T' => {
                self.confused = true;
                let max = size(arg);
                let packets = self.session.take_payload(max);
                self.deliver_payload(packets, max);
            }
            b'x' => {
                let transport = match arg.first() {
                    Some(k) if k % 2 == 1 => TransportKind::WebSocket,
                    _ => TransportKind::Polling,
                };
                let reason = reason(arg.get(1));
                self.feed(Input::TransportEnded(transport, reason));
            }
            b'm' | b'M' | b'v' | b'V' => self.send(op, arg),
            b't' => {
                let at = number(arg).map(|ms| self.now + Duration::from_millis(ms));
                self.feed(Input::SetTimer(at));
            }
            b'c' => self.feed(Input::Close(reason(arg.first()))),
            b'n' => {
                self.signals += 1;
                self.feed(Input::Signal);
            }
            _ => {}
        }
        self.drain();
    }

    /// Time runs on with a silent client: the session must end.
    fn finish(&mut self) {
        for _ in 0..4 {
            self.now += Duration::from_secs(3600);
            self.drain();
        }
        assert!(
            self.session.is_closed(),
            "a silent client was never dropped"
        );
        assert_eq!(self.closed_events, 1, "closed sessions tell it once");
    }

    /// Feeds an input, checking what a refusal implies.
    fn input(&mut self, input: Input) -> Result<(), SessionError> {
        let was_closed = self.session.is_closed();
        let result = self.session.handle(self.now, input);
        assert!(
            !was_closed || self.session.is_closed(),
            "a closed session opened again"
        );
        if result == Err(SessionError::Closed) {
            assert_eq!(
                self.session.transport(),
                None,
                "refused as closed while open"
            );
        }
        result
    }

    /// Feeds an input whose refusal needs no more than the checks of [`Self::input`].
    fn feed(&mut self, input: Input) {
        let _ = self.input(input);
    }

    fn recv(&mut self, transport: TransportKind, packet: Packet) {
        match &packet {
            Packet::Message(text) => self.received.push(Message::Text(text.clone())),
            Packet::Binary(data) => self.received.push(Message::Binary(data.clone())),
            _ => {}
        }
        self.feed(Input::Recv(transport, packet));
    }

    /// A polling GET as `engineio::server` runs it.
    fn get(&mut self, max: usize) {
        if self.input(Input::PollStart).is_err() {
            return;
        }
        match self.session.take_payload(max) {
            None => self.held_poll = Some(max),
            packets => self.deliver_payload(packets, max),
        }
    }

    /// A polling POST as `engineio::server` runs it.
    fn post(&mut self, body: &[u8]) {
        if self.input(Input::PostStart).is_err() {
            return;
        }
        let mut malformed = false;
        for packet in payload::packets(&Bytes::copy_from_slice(body)) {
            let Ok(packet) = packet else {
                malformed = true;
                break;
            };
            if self.session.inbound_full() {
                self.wait_for_taken();
            }
            let message = match &packet {
                Packet::Message(text) => Some(Message::Text(text.clone())),
                Packet::Binary(data) => Some(Message::Binary(data.clone())),
                _ => None,
            };
            self.received.extend(message);
            if self
                .input(Input::Recv(TransportKind::Polling, packet))
                .is_err()
            {
                break;
            }
        }
        if malformed {
            self.feed(Input::PostEnd);
            let reason = DisconnectReason::ParseError;
            self.feed(Input::TransportEnded(TransportKind::Polling, reason));
            return;
        }
        if self.session.inbound() > 0 {
            self.wait_for_taken();
        }
        self.feed(Input::PostEnd);
    }

    /// A POST waits for the driver to take the inbound queue: it must be told.
    fn wait_for_taken(&mut self) {
        self.recv_ready = false;
        self.drain();
        assert_eq!(self.session.inbound(), 0, "the driver left messages queued");
        assert!(
            self.recv_ready,
            "a POST waiting for the queue was never told"
        );
    }

    /// Sends a unique message; a payload cannot carry the record separator, so none is sent.
    fn send(&mut self, op: u8, arg: &[u8]) {
        self.serial += 1;
        let message = if op.is_ascii_lowercase() {
            let text = String::from_utf8_lossy(arg).replace('\u{1e}', " ");
            Message::Text(Text::new(&format!("{}:{text}", self.serial)))
        } else {
            let mut data = self.serial.to_be_bytes().to_vec();
            data.extend_from_slice(arg);
            Message::Binary(Bytes::from(data))
        };
        let volatile = op == b'v' || op == b'V';
        let input = if volatile {
            Input::SendVolatile(message.clone())
        } else {
            Input::Send(message.clone())
        };
        if self.input(input).is_ok() {
            self.sent.push(Sent { message, volatile });
        }
    }
}

/// A decimal number of at most 7 digits; `None` when there is none.
fn number(arg: &[u8]) -> Option<u64> {
    let digits: Vec<u8> = arg
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .take(7)
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// A payload size bound: the number, or unbounded.
fn size(arg: &[u8]) -> usize {
    number(arg).map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// A disconnect reason chosen by a byte.
fn reason(byte: Option<&u8>) -> DisconnectReason {
    const REASONS: [DisconnectReason; 6] = [
        DisconnectReason::TransportClose,
        DisconnectReason::TransportError,
        DisconnectReason::ForcedClose,
        DisconnectReason::PingTimeout,
        DisconnectReason::ParseError,
        DisconnectReason::ServerShuttingDown,
    ];
    REASONS[usize::from(byte.copied().unwrap_or(0)) % REASONS.len()]
}
