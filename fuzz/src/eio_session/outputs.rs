//! The outputs of the session as a driver takes them, and the invariants on what reaches the
//! client and the server.

use bytes::Bytes;
use engineio::packet::{Message, Packet, Probe};
use engineio::session::{Event, Output};
use engineio::{payload, TransportKind};

use super::{Harness, MAX_OUTPUTS_PER_STEP};

impl Harness {
    /// Takes every output the session has now, as a driver does.
    pub(super) fn drain(&mut self) {
        for _ in 0..MAX_OUTPUTS_PER_STEP {
            let was_closed = self.session.is_closed();
            let output = self.session.poll_output(self.now);
            assert!(
                !was_closed || self.session.is_closed(),
                "a closed session opened again"
            );
            match output {
                Output::Event(event) => self.event(event),
                Output::WsWrite(packet) => {
                    assert_eq!(self.closed_events, 0, "WebSocket write after Closed");
                    self.deliver(packet);
                }
                Output::WsClose => {}
                Output::RecvReady => {
                    assert_eq!(self.session.inbound(), 0, "RecvReady with messages queued");
                    self.recv_ready = true;
                }
                Output::PollReady => {
                    if let Some(max) = self.held_poll.take() {
                        let packets = self.session.take_payload(max);
                        assert!(packets.is_some(), "PollReady without a payload");
                        self.deliver_payload(packets, max);
                    }
                }
                Output::Wait(deadline) => {
                    assert_eq!(
                        deadline.is_none(),
                        self.session.is_closed(),
                        "Wait({deadline:?}) disagrees with is_closed"
                    );
                    if let Some(deadline) = deadline {
                        assert!(deadline > self.now, "a deadline that is already due");
                    }
                    self.check_held_poll();
                    assert_eq!(self.session.inbound(), 0, "messages queued after a drain");
                    return;
                }
            }
        }
        panic!("the session never settles");
    }

    /// A GET the driver holds is not left waiting while the session has packets for it, has
    /// moved to WebSocket, or is over.
    fn check_held_poll(&self) {
        if self.held_poll.is_none() || self.confused {
            return;
        }
        assert_eq!(
            self.session.queued(),
            0,
            "a GET waits while packets are queued"
        );
        assert_ne!(
            self.session.transport(),
            Some(TransportKind::WebSocket),
            "a GET waits after the upgrade"
        );
        assert!(!self.session.is_closed(), "a GET waits on a closed session");
    }

    fn event(&mut self, event: Event) {
        assert_eq!(self.closed_events, 0, "{event:?} after Closed");
        match event {
            Event::Message(message) => {
                assert!(
                    self.session.inbound() < self.inbound_mark,
                    "more messages queued than the mark"
                );
                let found = self.received[self.received_cursor..]
                    .iter()
                    .position(|m| *m == message);
                let Some(i) = found else {
                    panic!("event for a message the client did not send (or twice): {message:?}");
                };
                self.received_cursor += i + 1;
            }
            Event::Upgrading => self.upgrading_events += 1,
            Event::Upgraded => {
                self.upgraded_events += 1;
                assert!(self.upgraded_events <= 1, "upgraded twice");
                assert!(self.upgrading_events >= 1, "upgraded without Upgrading");
            }
            Event::Timer => {}
            Event::Signal => {
                self.signal_events += 1;
                assert!(
                    self.signal_events <= self.signals,
                    "more signal events than signals"
                );
            }
            Event::Closed(_) => {
                assert!(self.session.is_closed(), "Closed event for an open session");
                self.closed_events += 1;
            }
        }
    }

    /// Checks a polling GET's payload and hands its packets to the client.
    pub(super) fn deliver_payload(&mut self, packets: Option<Vec<Packet>>, max: usize) {
        let Some(packets) = packets else {
            return;
        };
        assert!(!packets.is_empty(), "empty payload");
        let size: usize = packets.iter().map(payload::encoded_len).sum();
        assert!(
            packets.len() == 1 || size <= max,
            "payload of {size} bytes over its bound {max}"
        );
        let body = payload::encode(&packets);
        let decoded = payload::decode(&Bytes::from(body));
        assert_eq!(decoded.as_ref(), Ok(&packets), "payload round trip");
        for packet in packets {
            self.deliver(packet);
        }
    }

    /// Checks one packet that reaches the client, by either transport.
    fn deliver(&mut self, packet: Packet) {
        if self.closed_events > 0 {
            assert!(
                matches!(packet, Packet::Close | Packet::Noop),
                "{packet:?} after Closed"
            );
        }
        match packet {
            Packet::Open(_) => assert!(!self.delivered_any, "open packet not first or twice"),
            Packet::Message(text) => self.delivered(&Message::Text(text)),
            Packet::Binary(data) => self.delivered(&Message::Binary(data)),
            Packet::Ping(Probe::Yes) | Packet::Pong(Probe::No) | Packet::Upgrade => {
                panic!("the server sent a client packet: {packet:?}")
            }
            Packet::Ping(Probe::No) | Packet::Pong(Probe::Yes) | Packet::Close | Packet::Noop => {}
        }
        self.delivered_any = true;
    }

    /// The message must be the next one sent, past dropped volatile ones.
    fn delivered(&mut self, message: &Message) {
        let pending = &self.sent[self.sent_cursor..];
        let Some(i) = pending.iter().position(|s| s.message == *message) else {
            panic!("delivered a message not sent, or twice: {message:?}");
        };
        let lost = pending[..i].iter().find(|s| !s.volatile);
        assert!(
            lost.is_none(),
            "{:?} was lost before {message:?}",
            lost.map(|s| &s.message)
        );
        self.sent_cursor += i + 1;
    }
}
