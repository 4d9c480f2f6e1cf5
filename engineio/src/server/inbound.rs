//! A polling POST's packets into the session, paced by the session's inbound high-water mark.
//!
//! The body is decoded a step of packets at a time, outside the session's lock, and each step
//! is fed under one hold of it. When the session's queue of the client's messages reaches its
//! mark, the POST waits until the driver has taken them ([`Output::RecvReady`]); once every
//! packet is fed it waits the same way before it answers. So a body of any number of packets
//! costs the body, one step and the mark; the client is slowed down to the handler's pace,
//! never cut off; and `ok` comes once the driver has taken the messages, which it hands to
//! the handler in that same turn (the reference runs its listeners before it answers).
//!
//! [`Output::RecvReady`]: crate::session::Output::RecvReady

use std::collections::VecDeque;

use super::driver::{now, Shared};
use crate::packet::{Message, Packet, PacketError};
use crate::session::{Input, SessionError};
use crate::TransportKind;

/// Packets decoded ahead of the session and fed under one hold of its lock, at most: the lock
/// is not held for a whole body, and what is decoded ahead stays small.
const STEP: usize = 256;

/// How feeding a POST's packets ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fed {
    /// Every packet was fed, and the layer above took the messages.
    Done,
    /// This packet did not decode; the packets before it were fed.
    Malformed(PacketError),
    /// The session refused a packet; the packets before it were fed.
    Refused(SessionError),
}

/// Feeds the packets of a POST's body, in order, waiting whenever the session's inbound
/// queue is at its mark, and at the end until the queue is empty.
pub(crate) async fn feed(
    shared: &Shared,
    mut packets: impl Iterator<Item = Result<Packet, PacketError>>,
) -> Fed {
    let mut step = VecDeque::with_capacity(STEP);
    loop {
        let decoded = decode_step(&mut packets, &mut step);
        while !step.is_empty() {
            // Made before the session is looked at, so that a wake-up given in between counts.
            let ready = shared.recv_ready.notified();
            let fed = feed_step(shared, &mut step);
            shared.wake();
            if let Err(error) = fed {
                return Fed::Refused(error);
            }
            if !step.is_empty() {
                ready.await;
            }
        }
        match decoded {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => return Fed::Malformed(error),
        }
    }
    taken(shared).await;
    Fed::Done
}

/// Decodes up to [`STEP`] packets into `step`; whether the body has more.
fn decode_step(
    packets: &mut impl Iterator<Item = Result<Packet, PacketError>>,
    step: &mut VecDeque<Packet>,
) -> Result<bool, PacketError> {
    for _ in 0..STEP {
        match packets.next() {
            Some(packet) => step.push_back(packet?),
            None => return Ok(false),
        }
    }
    Ok(true)
}

/// Feeds packets from the front of `step` until it is empty or the session's queue is full.
fn feed_step(shared: &Shared, step: &mut VecDeque<Packet>) -> Result<(), SessionError> {
    let mut session = shared.lock();
    let now = now();
    while !session.inbound_full() {
        let Some(packet) = step.pop_front() else {
            break;
        };
        session.handle(now, Input::Recv(TransportKind::Polling, packet))?;
    }
    Ok(())
}

/// Waits until the layer above took every message of the session's queue. The driver takes
/// them even once the session is over, before it tells the handler of the end.
async fn taken(shared: &Shared) {
    loop {
        let ready = shared.recv_ready.notified();
        if shared.lock().inbound() == 0 {
            return;
        }
        ready.await;
    }
}

/// The messages of one driver turn that came after the handler asked to hold them
/// ([`Socket::hold_messages`](super::Socket::hold_messages)): the session handed them out
/// with the turn's other outputs, so they go back to it, in order, with the `RecvReady` of
/// their POST.
#[derive(Debug, Default)]
pub(crate) struct Held {
    messages: Vec<Message>,
    post_waits: bool,
}

impl Held {
    /// Whether the next message stays: once one has, every later one does, to keep order.
    pub(crate) fn keeps(&self, shared: &Shared) -> bool {
        !self.messages.is_empty() || shared.holds_messages()
    }

    pub(crate) fn keep(&mut self, message: Message) {
        self.messages.push(message);
    }

    /// Whether a `RecvReady` waits with the kept messages (its POST is told once they are
    /// taken).
    pub(crate) fn keeps_ready(&mut self) -> bool {
        self.post_waits |= !self.messages.is_empty();
        self.post_waits
    }

    /// What is kept, taken out.
    pub(crate) fn take(&mut self) -> (Vec<Message>, bool) {
        let post_waits = std::mem::take(&mut self.post_waits);
        (std::mem::take(&mut self.messages), post_waits)
    }

    /// Gives the kept messages back to the session.
    pub(crate) fn give_back(mut self, shared: &Shared) {
        let (messages, post_waits) = self.take();
        if !messages.is_empty() {
            shared.lock().unread(messages, post_waits);
        }
    }
}
