//! The client's messages waiting for the layer above, and the high-water mark that pauses the
//! transports feeding them.
//!
//! A transport checks [`Session::inbound_full`](super::Session::inbound_full) before each
//! packet and stops feeding while it is true: the WebSocket is not read until the driver has
//! taken the queue, and a polling POST waits for [`Output::RecvReady`](super::Output). The
//! client is slowed down to the pace of the handler, never cut off; what the server holds for
//! it stays within the mark.

use crate::config::TransportKind;
use crate::packet::Message;

/// The count and size of the queued messages, and the marks they may reach.
#[derive(Debug)]
pub(crate) struct Inbound {
    messages: usize,
    bytes: usize,
    max_messages: usize,
    max_bytes: usize,
    /// A polling POST fed messages that are still queued: it is told once they are all taken,
    /// since it waits for that before it answers.
    post_waits: bool,
}

impl Inbound {
    pub(crate) fn new(max_messages: usize, max_bytes: usize) -> Self {
        Self {
            messages: 0,
            bytes: 0,
            max_messages: max_messages.max(1),
            max_bytes: max_bytes.max(1),
            post_waits: false,
        }
    }

    /// Whether the queue reached a mark: no transport may feed another message.
    pub(crate) fn is_full(&self) -> bool {
        self.messages >= self.max_messages || self.bytes >= self.max_bytes
    }

    /// The number of messages queued.
    pub(crate) fn len(&self) -> usize {
        self.messages
    }

    /// A message from `from` joins the queue.
    pub(crate) fn push(&mut self, message: &Message, from: TransportKind) {
        self.messages += 1;
        self.bytes += size(message);
        self.post_waits |= from == TransportKind::Polling;
    }

    /// A message handed out comes back, not taken.
    pub(crate) fn unread(&mut self, message: &Message, post_waits: bool) {
        self.messages += 1;
        self.bytes += size(message);
        self.post_waits |= post_waits;
    }

    /// The layer above took a message.
    pub(crate) fn take(&mut self, message: &Message) {
        self.messages = self.messages.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(size(message));
    }

    /// Whether the POST that fed the queue must be told now that it is empty (once).
    pub(crate) fn ready(&mut self) -> bool {
        let ready = self.post_waits && self.messages == 0;
        if ready {
            self.post_waits = false;
        }
        ready
    }
}

fn size(message: &Message) -> usize {
    match message {
        Message::Text(text) => text.len(),
        Message::Binary(data) => data.len(),
    }
}
