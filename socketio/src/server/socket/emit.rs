//! Sending to one socket: events, and events that wait for the client's acknowledgement.

use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::oneshot;

use super::link::Op;
use super::Socket;
use crate::adapter::{BroadcastFlags, BroadcastOptions};
use crate::packet::Packet;
use crate::payload::Payload;
use crate::server::ack::{now, AckWaiter};
use crate::server::delivery::{self, event_packet, payload_event, Delivery};
use crate::server::error::{AckError, EmitError};

impl Socket {
    /// Sends an event to this client. A tuple is the argument list (`&(x, y)` for
    /// `emit("move", x, y)`), `()` no argument, and any other value one argument (a `Vec` is
    /// one array). An emit that cannot go out is logged, not returned: the client may have
    /// gone (a debug line), or the name is reserved or the value does not serialize (an error
    /// line); [`Socket::try_emit`] returns what went wrong.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) {
        if let Err(error) = self.try_emit(event, args) {
            error.report("emit");
        }
    }

    /// [`Socket::emit`], with what went wrong.
    pub fn try_emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        let packet = event_packet(self.namespace(), event, args, None)?;
        self.send_event(packet, &BroadcastFlags::default())
    }

    /// Sends an event to this client. With connection state recovery on, it goes as a
    /// broadcast to the socket's own room, as in the reference, so that it is kept (with its
    /// offset) for the client should it drop before it gets it.
    pub(crate) fn send_event(
        &self,
        packet: Packet,
        flags: &BroadcastFlags,
    ) -> Result<(), EmitError> {
        if self.0.ns.0.config.recovery.is_none() {
            return delivery::send(self, &packet, Delivery::from_flags(flags));
        }
        let opts = BroadcastOptions {
            rooms: vec![self.sid().clone()],
            except: Vec::new(),
            flags: flags.clone(),
        };
        self.0.ns.0.publish(packet, &opts);
        Ok(())
    }

    /// Sends an event whose arguments are already a payload (the argument list, binary
    /// leaves as attachments), e.g. the arguments of an incoming event; what cannot go out is
    /// logged as [`Socket::emit`] logs it.
    pub fn emit_payload(&self, event: &str, args: Payload) {
        let sent = payload_event(self.namespace(), event, args, None)
            .and_then(|packet| self.send_event(packet, &BroadcastFlags::default()));
        if let Err(error) = sent {
            error.report("emit");
        }
    }

    /// Sends an event and waits for the client's acknowledgement, without a time limit
    /// (it fails when the socket disconnects). The answer's argument list is read as `R`: a
    /// tuple reads the arguments in order.
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

    /// Sends an event asking for an ack and waits for the answer, at most `timeout`. The
    /// waiter is handed to the connection before the packet goes, so the answer finds it;
    /// the connection forgets it when the timeout passes, whatever this future does.
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
        let id = self.0.ns.0.update(|state| state.next_ack_id());
        let packet = event_packet(self.namespace(), event, args, Some(id))?;
        let (tx, rx) = oneshot::channel();
        let expires = timeout.map(|limit| now() + limit);
        if !self.expect_ack(id, AckWaiter::One(tx), expires) {
            // The waiter was told why; it is the answer.
            return match rx.await {
                Ok(Err(error)) => Err(error),
                _ => Err(AckError::Disconnected),
            };
        }
        delivery::send(self, &packet, delivery)?;
        let answer = match timeout {
            Some(limit) => tokio::time::timeout(limit, rx)
                .await
                .map_err(|_elapsed| AckError::Timeout)?,
            None => rx.await,
        };
        let payload = answer.map_err(|_dropped| AckError::Disconnected)??;
        Ok(crate::payload::from_payload(&payload)?)
    }

    /// Hands an ack waiter to the connection; `false` when it was refused (the waiter was
    /// failed with the reason).
    pub(crate) fn expect_ack(&self, id: u64, waiter: AckWaiter, expires: Option<Instant>) -> bool {
        self.post(Op::ExpectAck {
            id,
            waiter,
            expires,
        })
    }
}
