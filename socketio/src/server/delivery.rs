//! Handing packets to clients: a packet is encoded once and every recipient's engine socket
//! gets the same buffers. Every packet to a client, an emit or a broadcast, reaches its
//! engine socket through [`send_encoded`].

use engineio::server::{SendOptions, Socket as EngineSocket};
use serde::Serialize;

use super::error::EmitError;
use crate::adapter::BroadcastFlags;
use crate::codec::EncodedPacket;
use crate::packet::{is_reserved_event, NamespaceName, Packet, PacketKind};
use crate::parser::Parser;
use crate::payload::{to_args, Payload};

/// The flags of a packet that matter where it is handed to a client's engine socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// Dropped unless the client's transport can take it right now.
    pub(crate) volatile: bool,
    /// Eligible for compression (Node's default: on unless `compress(false)`).
    pub(crate) compress: bool,
}

impl Delivery {
    /// An ordinary packet: kept for the client, compressible.
    pub(crate) const NORMAL: Delivery = Delivery {
        volatile: false,
        compress: true,
    };

    pub(crate) fn from_flags(flags: &BroadcastFlags) -> Self {
        Self {
            volatile: flags.volatile == Some(true),
            compress: flags.compress != Some(false),
        }
    }
}

/// A client a broadcast goes to: its engine socket, and what runs for each event it is sent
/// (its outgoing catch-all handlers).
pub(crate) trait Recipient {
    /// The client's engine socket.
    fn engine(&self) -> &EngineSocket;
    /// The server's parser, which encodes what the client gets.
    fn parser(&self) -> &dyn Parser;
    /// Runs the outgoing catch-all handlers for an event sent to this client.
    fn on_outgoing(&self, name: &str, args: &Payload);
}

/// An engine socket with the server's parser: a client with no outgoing handlers (for acks,
/// which are not events, and answers outside any socket).
pub(crate) struct Bare<'a>(pub(crate) &'a EngineSocket, pub(crate) &'a dyn Parser);

impl Recipient for Bare<'_> {
    fn engine(&self) -> &EngineSocket {
        self.0
    }

    fn parser(&self) -> &dyn Parser {
        self.1
    }

    fn on_outgoing(&self, _name: &str, _args: &Payload) {}
}

/// Builds an EVENT packet, refusing reserved names. The arguments follow the tuple rule of
/// [`to_args`].
pub(crate) fn event_packet<T: Serialize + ?Sized>(
    namespace: &NamespaceName,
    event: &str,
    args: &T,
    ack: Option<u64>,
) -> Result<Packet, EmitError> {
    let args = to_args(args)?;
    payload_event(namespace, event, args, ack)
}

/// Builds an EVENT packet from arguments that are already a payload.
pub(crate) fn payload_event(
    namespace: &NamespaceName,
    event: &str,
    args: Payload,
    ack: Option<u64>,
) -> Result<Packet, EmitError> {
    if is_reserved_event(event) {
        return Err(EmitError::Reserved(event.to_owned()));
    }
    let kind = PacketKind::Event {
        name: event.to_owned(),
        args,
        ack,
    };
    Ok(Packet::new(namespace.clone(), kind))
}

/// Sends one packet to one client, running its outgoing handlers for an event.
pub(crate) fn send(
    to: &dyn Recipient,
    packet: &Packet,
    delivery: Delivery,
) -> Result<(), EmitError> {
    let encoded = to.parser().encode(packet)?;
    send_encoded(to, &encoded, packet, delivery)
}

/// Sends a packet to every recipient, encoded once: each gets the same buffers. Returns how
/// many took it (a client that is gone, or busy for a volatile packet, did not).
pub(crate) fn fan_out<R: Recipient>(targets: &[R], packet: &Packet, delivery: Delivery) -> usize {
    let Some(first) = targets.first() else {
        return 0;
    };
    let encoded = match first.parser().encode(packet) {
        Ok(encoded) => encoded,
        Err(error) => {
            tracing::error!(%error, "broadcast not sent: the parser cannot encode it");
            return 0;
        }
    };
    let sent = targets
        .iter()
        .filter(|to| send_encoded(*to, &encoded, packet, delivery).is_ok())
        .count();
    if sent < targets.len() {
        // Clients go at any time; a broadcast is not the place to report each of them.
        tracing::trace!(
            missed = targets.len() - sent,
            "broadcast skipped disconnected clients"
        );
    }
    sent
}

/// Sends an already encoded packet: the one place where the engine gets packets.
pub(crate) fn send_encoded(
    to: &dyn Recipient,
    encoded: &EncodedPacket,
    packet: &Packet,
    delivery: Delivery,
) -> Result<(), EmitError> {
    if let PacketKind::Event { name, args, .. } = &packet.kind {
        to.on_outgoing(name, args);
    }
    #[cfg(test)]
    handoff::record(encoded);
    let options = SendOptions::default()
        .volatile(delivery.volatile)
        .compress(delivery.compress);
    to.engine()
        .send_with(encoded.messages(), options)
        .map_err(|_closed| EmitError::Disconnected)
}

/// Sends a packet outside any socket (a CONNECT_ERROR, the answer to a CONNECT); a client
/// that went meanwhile needs no answer.
pub(crate) fn send_to_engine(engine: &EngineSocket, parser: &dyn Parser, packet: &Packet) {
    if let Err(error) = send(&Bare(engine, parser), packet, Delivery::NORMAL) {
        tracing::debug!(packet = %packet.packet_type(), %error, "answer not sent");
    }
}

/// What the engine sockets were handed, per call, on this thread: the addresses of each
/// message's bytes. Only the crate's own tests see it; it shows that a broadcast hands every
/// recipient the very same buffers (one encoding), which no peer can observe.
#[cfg(test)]
pub(crate) mod handoff {
    use std::cell::RefCell;

    use engineio::packet::Message;

    use crate::codec::EncodedPacket;

    thread_local! {
        static SEEN: RefCell<Vec<Vec<usize>>> = const { RefCell::new(Vec::new()) };
    }

    pub(crate) fn record(encoded: &EncodedPacket) {
        let addresses = encoded
            .messages()
            .map(|message| match message {
                Message::Text(text) => text.frame().as_ptr() as usize,
                Message::Binary(bytes) => bytes.as_ptr() as usize,
            })
            .collect();
        SEEN.with(|seen| seen.borrow_mut().push(addresses));
    }

    /// What was handed over since the last call.
    pub(crate) fn take() -> Vec<Vec<usize>> {
        SEEN.with(|seen| std::mem::take(&mut *seen.borrow_mut()))
    }
}
