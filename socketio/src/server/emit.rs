//! Sending to one socket: events, volatile events, events that wait for an ack.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use thiserror::Error;
use tokio::sync::oneshot;

use super::ack::{AckError, AckWaiter};
use super::socket::Socket;
use crate::codec::EncodedPacket;
use crate::packet::{is_reserved_event, Namespace, Packet, PacketKind};
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
        self.send_packet(&packet, false)
    }

    /// Sends an event whose arguments are already a payload (JSON with binary attachments),
    /// e.g. the arguments of an incoming event.
    pub fn emit_payload(&self, event: &str, args: Payload) -> Result<(), EmitError> {
        if is_reserved_event(event) {
            return Err(EmitError::Reserved(event.to_owned()));
        }
        let packet = Packet::event(self.namespace().clone(), event, args);
        self.send_packet(&packet, false)
    }

    /// Sends an event only if the client can take it right now (`volatile`).
    pub fn emit_volatile<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), EmitError> {
        let packet = event_packet(self.namespace(), event, args, None)?;
        self.send_packet(&packet, true)
    }

    /// Sends an event and waits for the client's acknowledgement, without a time limit
    /// (it fails when the socket disconnects).
    pub async fn emit_with_ack<T, R>(&self, event: &str, args: &T) -> Result<R, AckError>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.ack_with(event, args, None).await
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
        self.ack_with(event, args, Some(timeout)).await
    }

    async fn ack_with<T, R>(
        &self,
        event: &str,
        args: &T,
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
        self.send_packet(&packet, false)?;
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
    pub(crate) fn send_packet(&self, packet: &Packet, volatile: bool) -> Result<(), EmitError> {
        self.send_encoded(&packet.encode(), volatile, packet)
    }

    /// Sends an already encoded packet (shared by every recipient of a broadcast).
    pub(crate) fn send_encoded(
        &self,
        encoded: &EncodedPacket,
        volatile: bool,
        packet: &Packet,
    ) -> Result<(), EmitError> {
        if let PacketKind::Event { name, args, .. } = &packet.kind {
            self.run_outgoing_hooks(name, args);
        }
        let engine = &self.0.client.engine;
        let sent = match volatile {
            true => engine.send_volatile(encoded.messages()),
            false => engine.send_all(encoded.messages()),
        };
        sent.map_err(|_| EmitError::Disconnected)
    }
}

/// Builds an EVENT packet, refusing reserved names.
pub(crate) fn event_packet<T: Serialize + ?Sized>(
    namespace: &Namespace,
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
