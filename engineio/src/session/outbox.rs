//! The packets waiting for the client, each with the sender's compress flag.

use std::collections::VecDeque;

use crate::packet::Packet;
use crate::payload;

/// How a message is sent.
///
/// ```
/// use engineio::session::SendOptions;
/// let options = SendOptions::default().compress(false);
/// assert!(!options.is_volatile() && !options.is_compressed());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendOptions {
    volatile: bool,
    compress: bool,
}

impl Default for SendOptions {
    /// Not volatile, compressed: the reference's defaults (`compress` is true unless a send
    /// says `false`).
    fn default() -> Self {
        Self {
            volatile: false,
            compress: true,
        }
    }
}

impl SendOptions {
    /// Dropped unless the client can take the messages right away.
    pub fn volatile(mut self, volatile: bool) -> Self {
        self.volatile = volatile;
        self
    }

    /// Whether a polling response carrying the messages may be compressed: the response is
    /// compressed when at least one of its packets may be (HTTP compression, see the server's
    /// `http_compression` option). WebSocket frames are never compressed.
    pub fn compress(mut self, compress: bool) -> Self {
        self.compress = compress;
        self
    }

    /// Whether the messages are volatile.
    pub fn is_volatile(&self) -> bool {
        self.volatile
    }

    /// Whether the messages may be compressed.
    pub fn is_compressed(&self) -> bool {
        self.compress
    }
}

/// What one polling GET returns: its packets, and whether any of them may be compressed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// The packets, in order.
    pub packets: Vec<Packet>,
    /// Whether at least one packet was sent with `compress` (as the reference decides).
    pub compress: bool,
}

/// The queue of packets for the client.
#[derive(Debug, Default)]
pub(crate) struct Outbox(VecDeque<(Packet, bool)>);

impl Outbox {
    pub(crate) fn starting_with(packet: Packet) -> Self {
        Self(VecDeque::from([(packet, true)]))
    }

    pub(crate) fn push(&mut self, packet: Packet, compress: bool) {
        self.0.push_back((packet, compress));
    }

    pub(crate) fn pop_front(&mut self) -> Option<Packet> {
        self.0.pop_front().map(|(packet, _)| packet)
    }

    pub(crate) fn front(&self) -> Option<&Packet> {
        self.0.front().map(|(packet, _)| packet)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Takes back a close queued last, if there is one.
    pub(crate) fn take_close(&mut self) {
        if matches!(self.0.back(), Some((Packet::Close, _))) {
            self.0.pop_back();
        }
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    /// Takes packets from the front up to about `max_bytes` of payload (at least one).
    ///
    /// A close goes in a payload of its own, as the reference sends it (once the payload
    /// before it is written): `socket.io-client` hands its decoded packets on a tick later, so
    /// a close read in the same payload would end the sockets before they see the packets
    /// ahead of it (a `DISCONNECT` would turn into `transport close`).
    pub(crate) fn drain(&mut self, max_bytes: usize) -> Batch {
        let mut size = 0;
        let mut batch = Batch {
            packets: Vec::new(),
            compress: false,
        };
        while let Some((packet, _)) = self.0.front() {
            if *packet == Packet::Close && !batch.packets.is_empty() {
                break;
            }
            size += payload::encoded_len(packet);
            if size > max_bytes && !batch.packets.is_empty() {
                break;
            }
            let Some((packet, compress)) = self.0.pop_front() else {
                break;
            };
            batch.compress |= compress;
            batch.packets.push(packet);
        }
        batch
    }
}
