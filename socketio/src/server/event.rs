//! An incoming event and the means to answer its acknowledgement.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use engineio::server::Socket as EngineSocket;
use serde::{Deserialize, Serialize};

use super::delivery::{self, Delivery};
use super::error::EmitError;
use crate::packet::{NamespaceName, Packet, PacketKind};
use crate::parser::Parser;
use crate::payload::{to_args, Payload, PayloadError};

/// An event a client sent: its name, its arguments, and an [`AckSender`] when the client
/// asked for an acknowledgement. Cloning is cheap (the arguments are shared), so every handler
/// of the event, and an async one after its awaits, holds its own.
///
/// ```
/// # use socketio::server::{Event, Socket};
/// fn on_greet(socket: &Socket, event: Event) {
///     // Typed arguments: a tuple reads the argument list.
///     let Ok((name, times)) = event.args::<(String, u32)>() else { return };
///     if let Some(ack) = event.into_ack() {
///         ack.send(&format!("hello {name} x{times}"));
///     }
/// #   let _ = socket;
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Event {
    name: Arc<str>,
    args: Arc<Payload>,
    ack: Option<AckSender>,
}

impl Event {
    pub(crate) fn new(name: &str, args: Payload, ack: Option<AckSender>) -> Self {
        Self {
            name: Arc::from(name),
            args: Arc::new(args),
            ack,
        }
    }

    /// The event name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The arguments as a typed value: a tuple or a sequence reads the whole list.
    pub fn args<'a, T: Deserialize<'a>>(&'a self) -> Result<T, PayloadError> {
        crate::payload::from_payload(&self.args)
    }

    /// One argument, typed; a missing argument reads as `null`.
    pub fn arg<'a, T: Deserialize<'a>>(&'a self, index: usize) -> Result<T, PayloadError> {
        self.args.arg(index)
    }

    /// The arguments as JSON with binary attachments.
    pub fn payload(&self) -> &Payload {
        &self.args
    }

    /// Whether the client waits for an acknowledgement.
    pub fn wants_ack(&self) -> bool {
        self.ack.is_some()
    }

    /// The acknowledgement sender, when the client asked for one; a catch-all handler or a
    /// middleware can answer through a clone of it.
    pub fn ack(&self) -> Option<&AckSender> {
        self.ack.as_ref()
    }

    /// The acknowledgement sender, when the client asked for one.
    pub fn into_ack(self) -> Option<AckSender> {
        self.ack
    }

    /// Takes the acknowledgement sender, leaving the arguments readable.
    pub fn take_ack(&mut self) -> Option<AckSender> {
        self.ack.take()
    }
}

/// Answers one client acknowledgement, once, from any task and at any time (after awaits, in
/// a task of its own).
///
/// Every handler of the event (and every catch-all handler, through [`Event::ack`]) can hold
/// a clone; the first answer goes to the client and later ones are ignored, as the reference's
/// ack callback does.
#[derive(Debug, Clone)]
pub struct AckSender {
    engine: EngineSocket,
    parser: Arc<dyn Parser>,
    namespace: NamespaceName,
    id: u64,
    sent: Arc<AtomicBool>,
}

impl AckSender {
    pub(crate) fn new(
        engine: EngineSocket,
        parser: Arc<dyn Parser>,
        namespace: NamespaceName,
        id: u64,
    ) -> Self {
        Self {
            engine,
            parser,
            namespace,
            id,
            sent: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Sends the answer. A tuple is the argument list, `()` none, any other value (a `Vec`
    /// among them) one argument. An answer that cannot go out is logged: the client that
    /// asked went away, or the value does not serialize (see [`AckSender::try_send`]).
    pub fn send<T: Serialize + ?Sized>(self, args: &T) {
        if let Err(error) = self.try_send(args) {
            error.report("ack");
        }
    }

    /// [`AckSender::send`], with what went wrong. When the ack was already answered,
    /// nothing is sent and the call succeeds.
    pub fn try_send<T: Serialize + ?Sized>(self, args: &T) -> Result<(), EmitError> {
        let payload = to_args(args)?;
        self.try_send_payload(payload)
    }

    /// Sends an answer that is already a payload (the argument list, binary leaves as
    /// attachments); nothing is sent when the ack was already answered. What cannot go out
    /// is logged, as [`AckSender::send`] logs it.
    pub fn send_payload(self, args: Payload) {
        if let Err(error) = self.try_send_payload(args) {
            error.report("ack");
        }
    }

    /// [`AckSender::send_payload`], with what went wrong.
    pub fn try_send_payload(self, args: Payload) -> Result<(), EmitError> {
        if self.sent.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let kind = PacketKind::Ack { id: self.id, args };
        let packet = Packet::new(self.namespace.clone(), kind);
        let to = delivery::Bare(&self.engine, &*self.parser);
        delivery::send(&to, &packet, Delivery::NORMAL)
    }

    /// Whether the ack was answered (by this sender or a clone).
    pub fn is_sent(&self) -> bool {
        self.sent.load(Ordering::Acquire)
    }
}
