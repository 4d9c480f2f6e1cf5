//! Sending to one socket: events, volatile events, events that wait for an ack.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use thiserror::Error;
use tokio::sync::oneshot;

use super::ack::{AckError, AckWaiter};
use super::socket::Socket;
use engineio::server::SendOptions;

use crate::adapter::BroadcastFlags;
use crate::codec::EncodedPacket;
use crate::packet::{is_reserved_event, NamespaceName, Packet, PacketKind};
use crate::payload::{to_payload, Payload, PayloadError};

/// An event could not be emitted.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The event name is reserved (`connect`, `disconnect`, ...).
    #[error("\"{0}\" is a reserved event name")]
    Reserved(String),
    /// The arguments could not be serialized.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The socket is disconnected.
    #[error("socket disconnected")]
    Disconnected,
}

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

/// The arguments of an emit: a value that serializes to an array (a tuple, a sequence) is the
/// argument list, any other value is one argument.
pub(crate) fn to_args<T: Serialize + ?Sized>(args: &T) -> Result<Payload, PayloadError> {
    let payload = to_payload(args)?;
    if payload.value().is_array() {
        return Ok(payload);
    }
    let (value, attachments) = payload.into_parts();
    Payload::new(Value::Array(vec![value]), attachments)
}

impl Socket {
    /// Sends an event to this client. A value that serializes to an array (a tuple, a
    /// sequence) is the argument list; any other value is one argument.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        let packet = event_packet(self.namespace(), event, args, None)?;
        self.send_packet(&packet, Delivery::NORMAL)
    }

    /// Sends an event whose arguments are already a payload (JSON with binary attachments),
    /// e.g. the arguments of an incoming event.
    pub fn emit_payload(&self, event: &str, args: Payload) -> Result<(), EmitError> {
        if is_reserved_event(event) {
            return Err(EmitError::Reserved(event.to_owned()));
        }
        let packet = Packet::event(self.namespace().clone(), event, args);
        self.send_packet(&packet, Delivery::NORMAL)
    }

    /// Sends an event only if the client can take it right now; the same as
    /// `socket.volatile().emit(event, args)`.
    pub fn emit_volatile<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), EmitError> {
        self.volatile().emit(event, args)
    }

    /// Sends an event and waits for the client's acknowledgement, without a time limit
    /// (it fails when the socket disconnects).
    pub async fn emit_with_ack<T, R>(&self, event: &str, args: &T) -> Result<R, AckError>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.ack_with(event, args, Delivery::NORMAL, None).await
    }

    /// Sends an event and waits at most `timeout` for the acknowledgement.
    pub async fn emit_with_timeout<T, R>(
        &self,
        event: &str,
        args: &T,
        timeout: Duration,
    ) -> Result<R, AckError>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.ack_with(event, args, Delivery::NORMAL, Some(timeout))
            .await
    }

    /// Sends an event asking for an ack and waits for the answer, at most `timeout`.
    pub(crate) async fn ack_with<T, R>(
        &self,
        event: &str,
        args: &T,
        delivery: Delivery,
        timeout: Option<Duration>,
    ) -> Result<R, AckError>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let id = self.0.ns.next_ack_id();
        let packet = event_packet(self.namespace(), event, args, Some(id))?;
        let (tx, rx) = oneshot::channel();
        self.expect_ack(id, AckWaiter::One(tx));
        self.send_packet(&packet, delivery)?;
        let answer = match timeout {
            Some(limit) => match tokio::time::timeout(limit, rx).await {
                Ok(answer) => answer,
                Err(_) => {
                    self.forget_ack(id);
                    return Err(AckError::Timeout);
                }
            },
            None => rx.await,
        };
        let payload = answer.map_err(|_| AckError::Disconnected)?;
        Ok(crate::payload::from_payload(&payload)?)
    }

    /// Encodes and sends one packet to this client.
    pub(crate) fn send_packet(&self, packet: &Packet, delivery: Delivery) -> Result<(), EmitError> {
        self.send_encoded(&packet.encode(), delivery, packet)
    }

    /// Sends an already encoded packet (shared by every recipient of a broadcast). Every
    /// packet to a client goes through here: the one place where the engine gets it.
    pub(crate) fn send_encoded(
        &self,
        encoded: &EncodedPacket,
        delivery: Delivery,
        packet: &Packet,
    ) -> Result<(), EmitError> {
        if let PacketKind::Event { name, args, .. } = &packet.kind {
            self.run_outgoing_hooks(name, args);
        }
        #[cfg(test)]
        handoff::record(encoded);
        let options = SendOptions::default()
            .volatile(delivery.volatile)
            .compress(delivery.compress);
        self.0
            .client
            .engine
            .send_with(encoded.messages(), options)
            .map_err(|_| EmitError::Disconnected)
    }
}

/// Builds an EVENT packet, refusing reserved names.
pub(crate) fn event_packet<T: Serialize + ?Sized>(
    namespace: &NamespaceName,
    event: &str,
    args: &T,
    ack: Option<u64>,
) -> Result<Packet, EmitError> {
    if is_reserved_event(event) {
        return Err(EmitError::Reserved(event.to_owned()));
    }
    let kind = PacketKind::Event {
        name: event.to_owned(),
        args: to_args(args)?,
        ack,
    };
    Ok(Packet::new(namespace.clone(), kind))
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
