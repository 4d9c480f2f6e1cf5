//! Writing a session's WebSocket: at once when the connection takes the data, else waiting
//! under the session's write deadline while the client's frames are still read.
//!
//! Writes are first tried at once, without a timer and without keeping their future: nearly
//! every write completes so, and a timer would read the clock and enter tokio's wheel once
//! per recipient of a broadcast. Only a write that must wait is started again, boxed with its
//! timer, so that the rare slow path does not set the size of every connection's task.
//! Trying again is sound: feeding and flushing do nothing until they can make progress (a
//! feed takes its frame only once the sink is ready; a flush resumes where it stopped).
//!
//! The deadline is the session's, not each write's: it starts when a write first has to
//! wait and ends only when everything written has been flushed. A client that reads just
//! enough for each write to finish in time (a trickle) still cannot hold the session past
//! it. While a write waits, the client's frames are read and fed to the session, so that
//! its pongs count when they arrive rather than after the backlog.

use std::task::{ready, Context, Poll};
use std::time::Instant;

use futures_util::FutureExt;

use super::driver::{now, Shared};
use super::websocket::{FrameIo, ReadError, Write, Ws};
use crate::codec::Codec;
use crate::packet::Frame;
use crate::session::Input;
use crate::{DisconnectReason, TransportKind};

/// How a WebSocket that the driver was using ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WsEnd {
    /// A write failed, or did not finish by the write deadline: the connection is dropped.
    Write,
    /// What was read ends the transport: the client closed, or sent something that ends
    /// the session for this reason; the connection is closed with this code, if any.
    Read(DisconnectReason, Option<u16>),
}

/// What a frame read from the WebSocket means for the session, read with the connection's
/// codec.
pub(crate) fn input_of(
    codec: Codec,
    frame: Option<Result<Frame, ReadError>>,
) -> Result<Input, WsEnd> {
    match frame {
        Some(Ok(frame)) => match codec.decode_frame(frame) {
            Ok(packet) => Ok(Input::Recv(TransportKind::WebSocket, packet)),
            Err(_) => Err(WsEnd::Read(DisconnectReason::ParseError, None)),
        },
        Some(Err(ReadError::TooLarge)) => {
            Err(WsEnd::Read(DisconnectReason::TransportError, Some(1009)))
        }
        Some(Err(ReadError::Failed)) => Err(WsEnd::Read(DisconnectReason::TransportError, None)),
        None => Err(WsEnd::Read(DisconnectReason::TransportClose, None)),
    }
}

/// Feeds a frame read from the WebSocket to the session; whether another may be read before
/// the driver takes the session's inbound queue (it is under its mark).
pub(crate) fn recv(shared: &Shared, input: Input) -> bool {
    let mut session = shared.lock();
    if let Err(error) = session.handle(now(), input) {
        // A frame the session has no use for now (a closing or upgrading session).
        tracing::debug!(%error, sid = %shared.sid, "WebSocket frame refused");
    }
    !session.inbound_full()
}

/// A WebSocket's writes under the session's write deadline.
pub(crate) struct Writer {
    /// Set when a write first had to wait; cleared once a flush sends everything.
    deadline: Option<Instant>,
    /// Frames that may still be read while writes wait, until the driver's next turn: the
    /// messages among them wait in the session for the driver, which bounds them, as does the
    /// session's inbound mark.
    reads_left: usize,
}

impl Writer {
    pub(crate) fn new() -> Self {
        Self {
            deadline: None,
            reads_left: 0,
        }
    }

    /// A new turn of the driver, which may read `reads` frames while its writes wait.
    pub(crate) fn turn(&mut self, reads: usize) {
        self.reads_left = reads;
    }

    /// The WebSocket changed or went away: its deadline goes with it.
    pub(crate) fn reset(&mut self) {
        self.deadline = None;
    }

    /// Queues one frame.
    pub(crate) async fn feed(
        &mut self,
        ws: &mut Ws,
        frame: Frame,
        shared: &Shared,
    ) -> Result<(), WsEnd> {
        let at_once = std::pin::pin!(ws.feed(frame.clone())).now_or_never();
        if let Some(fed) = at_once {
            return fed.map_err(|_| WsEnd::Write);
        }
        self.wait(ws, Write::Feed(Some(frame)), shared).await
    }

    /// Sends what was queued; the deadline ends once it is all sent.
    pub(crate) async fn flush(&mut self, ws: &mut Ws, shared: &Shared) -> Result<(), WsEnd> {
        let at_once = std::pin::pin!(ws.flush()).now_or_never();
        let flushed = match at_once {
            Some(flushed) => flushed.map_err(|_| WsEnd::Write),
            None => self.wait(ws, Write::Flush, shared).await,
        };
        if flushed.is_ok() {
            self.deadline = None;
        }
        flushed
    }

    /// The slow path: `write`, reading meanwhile, until the deadline.
    async fn wait(&mut self, ws: &mut Ws, mut write: Write, shared: &Shared) -> Result<(), WsEnd> {
        let deadline = *self
            .deadline
            .get_or_insert_with(|| now() + shared.write_timeout());
        let reads_left = &mut self.reads_left;
        let waiting =
            std::future::poll_fn(|cx| poll_reading(ws, &mut write, reads_left, shared, cx));
        match Box::pin(tokio::time::timeout_at(deadline.into(), waiting)).await {
            Ok(written) => written,
            // A client that does not read for this long is gone: its writes would otherwise
            // hold this task, and its queue, forever.
            Err(_elapsed) => Err(WsEnd::Write),
        }
    }
}

/// Carries `write` on, and while it cannot progress reads frames (up to `reads_left`) into
/// the session. Pending only once both wait, so both have registered to be woken.
fn poll_reading(
    ws: &mut Ws,
    write: &mut Write,
    reads_left: &mut usize,
    shared: &Shared,
    cx: &mut Context<'_>,
) -> Poll<Result<(), WsEnd>> {
    loop {
        if let Poll::Ready(written) = ws.poll_write(write, cx) {
            return Poll::Ready(written.map_err(|_| WsEnd::Write));
        }
        if *reads_left == 0 {
            return Poll::Pending;
        }
        let frame = ready!(ws.poll_read(cx));
        *reads_left -= 1;
        match input_of(ws.codec(), frame) {
            Ok(input) => {
                if !recv(shared, input) {
                    // At the inbound mark, the rest of the turn's reads wait for the driver.
                    *reads_left = 0;
                }
            }
            Err(end) => return Poll::Ready(Err(end)),
        }
    }
}
