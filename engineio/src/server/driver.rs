//! One driver task per session: it feeds the session, drains its outputs, writes the
//! WebSocket and calls the handler. Locks are held only to feed or drain, never across
//! `.await` or a callback.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use tokio::sync::Notify;

use super::inbound::Held;
use super::socket::{Handler, Handshake, Socket};
use super::websocket::{FrameIo, ReadError, Ws};
use super::write::{input_of, recv, Writer, WsEnd};
use super::Sessions;
use crate::codec::Codec;
use crate::packet::{Frame, Message, Packet};
use crate::session::{Event, Input, Output, SendOptions, Session, SessionError};
use crate::{DisconnectReason, Protocol, TransportKind};

/// The state of a session shared by its driver, its requests and its sockets.
pub(crate) struct Shared {
    pub(crate) sid: String,
    pub(crate) handshake: Arc<Handshake>,
    /// The protocol revision of the session.
    pub(crate) protocol: Protocol,
    session: Mutex<Session>,
    /// Wakes the driver: new input, or a WebSocket handed over.
    wake: Notify,
    /// Wakes a polling GET held for packets.
    pub(crate) poll: Notify,
    /// Wakes a polling POST waiting for the handler to take the messages it fed.
    pub(crate) recv_ready: Notify,
    /// The handler holds the client's messages ([`Input::HoldMessages`]): the session's own
    /// flag, mirrored here so that the driver sees a hold given in the middle of its turn
    /// without taking the lock for each message.
    held: AtomicBool,
    /// A WebSocket handed to the driver by an upgrade request.
    ws_slot: Mutex<Option<Ws>>,
    /// How long a WebSocket write may wait for a client that does not read.
    write_timeout: Duration,
}

/// The current time, from tokio's clock so that tests can pause it.
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

impl Shared {
    pub(crate) fn new(session: Session, handshake: Handshake, write_timeout: Duration) -> Self {
        Self {
            sid: session.sid().to_owned(),
            protocol: session.protocol(),
            handshake: Arc::new(handshake),
            session: Mutex::new(session),
            wake: Notify::new(),
            poll: Notify::new(),
            recv_ready: Notify::new(),
            held: AtomicBool::new(false),
            ws_slot: Mutex::new(None),
            write_timeout,
        }
    }

    /// Locks the session. A panic elsewhere cannot leave it half-updated in a way that
    /// matters more than losing the session, so a poisoned lock is taken as is.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Feeds one input and wakes the driver.
    pub(crate) fn input(&self, input: Input) -> Result<(), SessionError> {
        let result = self.lock().handle(now(), input);
        self.wake.notify_one();
        result
    }

    /// Holds (or stops holding) the client's messages.
    pub(crate) fn hold_messages(&self, held: bool) -> Result<(), SessionError> {
        let result = self.lock().handle(now(), Input::HoldMessages(held));
        if result.is_ok() {
            self.held.store(held, Ordering::SeqCst);
        }
        self.wake.notify_one();
        result
    }

    /// Whether the handler holds the client's messages.
    pub(crate) fn holds_messages(&self) -> bool {
        self.held.load(Ordering::SeqCst)
    }

    /// Queues messages back to back (dropped unless writable right away when volatile)
    /// and wakes the driver.
    pub(crate) fn send_with(
        &self,
        messages: impl IntoIterator<Item = Message>,
        options: SendOptions,
    ) -> Result<(), SessionError> {
        let result = self.lock().send_with(messages, options);
        self.wake.notify_one();
        result.map(|_| ())
    }

    /// The codec of the polling transport: the handshake's protocol, and binary unless the
    /// handshake asked for base64.
    pub(crate) fn polling_codec(&self) -> Codec {
        Codec::new(
            self.protocol,
            super::request::takes_binary(&self.handshake.query),
        )
    }

    /// Wakes the driver after a direct change to the session.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Hands a WebSocket to the driver.
    pub(crate) fn attach(&self, ws: Ws) {
        *self.ws_slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(ws);
        self.wake.notify_one();
    }

    /// How long the WebSocket may keep the session's writes waiting.
    pub(crate) fn write_timeout(&self) -> Duration {
        self.write_timeout
    }

    fn take_ws(&self) -> Option<Ws> {
        self.ws_slot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

/// The most frames read in a row before the driver handles them and writes the answers.
const READ_BATCH: usize = 64;

/// Closes a WebSocket, waiting at most `limit` for the client. Boxed: the close handshake's
/// future is the largest thing the driver awaits, and unboxed it would set the size of every
/// idle connection's task, though a connection closes only once.
fn close_ws(mut ws: Ws, code: Option<u16>, limit: Duration) -> Pin<Box<impl Future<Output = ()>>> {
    Box::pin(async move {
        let _ = tokio::time::timeout(limit, ws.close(code)).await;
    })
}

/// The driver's own state between two wake-ups.
struct Driver<H: Handler> {
    socket: Socket,
    connection: Option<H::Connection>,
    handler: Arc<H>,
    sessions: Sessions,
    ws: Option<Ws>,
    /// The WebSocket's write deadline and reads while writes wait.
    writer: Writer,
    outputs: Vec<Output>,
    /// The session's inbound queue was under its mark at the last drain: the WebSocket may be
    /// read.
    can_read: bool,
    closed: bool,
    /// One timer for the session's deadlines, moved when the next deadline changes rather
    /// than made anew at every wake-up (which would read the clock and enter tokio's timer
    /// wheel twice per message).
    timer: Pin<Box<tokio::time::Sleep>>,
    /// The deadline `timer` is set to.
    armed: Option<Instant>,
}

/// Where the timer rests while the session has no deadline.
fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(365 * 24 * 3600)
}

/// Runs a session until it ends.
pub(crate) async fn drive<H: Handler>(shared: Arc<Shared>, handler: Arc<H>, sessions: Sessions) {
    let mut driver = Driver {
        socket: Socket { shared },
        connection: None,
        handler,
        sessions,
        ws: None,
        writer: Writer::new(),
        outputs: Vec::new(),
        can_read: true,
        closed: false,
        timer: Box::pin(tokio::time::sleep_until(far_future())),
        armed: None,
    };
    driver.ws = driver.socket.shared.take_ws();
    driver.connection = Some(driver.handler.on_connect(driver.socket.clone()));
    loop {
        let deadline = driver.run_due().await;
        if driver.closed {
            break;
        }
        driver.wait(deadline).await;
    }
    let limit = driver.socket.shared.write_timeout;
    if let Some(close) = driver.take_ws().map(|ws| close_ws(ws, None, limit)) {
        close.await;
    }
}

impl<H: Handler> Driver<H> {
    fn shared(&self) -> &Shared {
        &self.socket.shared
    }

    /// Acts on the outputs due until there are none: the answers a handler gives to a
    /// message are written in the same turn as the message, not after another wake-up.
    /// Returns the next deadline.
    async fn run_due(&mut self) -> Option<Instant> {
        loop {
            let deadline = self.drain();
            if self.outputs.is_empty() {
                return deadline;
            }
            self.act().await;
            if self.closed {
                return deadline;
            }
        }
    }

    /// Collects the outputs due now; returns the next deadline.
    fn drain(&mut self) -> Option<Instant> {
        let mut session = self.socket.shared.lock();
        let now = now();
        loop {
            match session.poll_output(now) {
                Output::Wait(deadline) => {
                    self.can_read = !session.inbound_full();
                    return deadline;
                }
                output => self.outputs.push(output),
            }
        }
    }

    async fn act(&mut self) {
        let mut wrote = false;
        // Frames read while this turn's writes wait stay in the session until the next turn.
        self.writer.turn(READ_BATCH);
        let outputs = std::mem::take(&mut self.outputs);
        let mut held = Held::default();
        for output in outputs {
            match output {
                Output::Event(Event::Message(message)) if held.keeps(self.shared()) => {
                    held.keep(message)
                }
                Output::RecvReady if held.keeps_ready() => {}
                Output::Event(event @ Event::Closed(_)) => {
                    self.deliver(held.take());
                    self.on_event(event);
                }
                Output::Event(event) => self.on_event(event),
                Output::WsWrite(packet) => wrote |= self.write(&packet).await,
                Output::WsClose => {
                    let limit = self.socket.shared.write_timeout;
                    if let Some(close) = self.take_ws().map(|ws| close_ws(ws, None, limit)) {
                        close.await;
                    }
                }
                Output::PollReady => self.shared().poll.notify_one(),
                Output::RecvReady => self.shared().recv_ready.notify_one(),
                Output::Wait(_) => {}
            }
        }
        held.give_back(self.shared());
        if wrote {
            if let Some(ws) = self.ws.as_mut() {
                let shared = &self.socket.shared;
                if let Err(end) = self.writer.flush(ws, shared).await {
                    self.ws_end(end).await;
                }
            }
        }
    }

    /// Hands held messages to the handler after all (the session ends).
    fn deliver(&mut self, (messages, post_waits): (Vec<Message>, bool)) {
        for message in messages {
            self.on_event(Event::Message(message));
        }
        if post_waits {
            self.shared().recv_ready.notify_one();
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Message(message) => {
                if let Some(connection) = self.connection.as_mut() {
                    self.handler.on_message(connection, message);
                }
            }
            Event::Upgrading => {}
            Event::Upgraded => {
                if let Some(connection) = self.connection.as_mut() {
                    self.handler.on_upgrade(connection);
                }
            }
            Event::Timer => {
                if let Some(connection) = self.connection.as_mut() {
                    self.handler.on_timer(connection);
                }
            }
            Event::Signal => {
                if let Some(connection) = self.connection.as_mut() {
                    self.handler.on_signal(connection);
                }
            }
            Event::Closed(reason) => {
                self.closed = true;
                self.sessions.remove(&self.socket.shared.sid);
                if let Some(connection) = self.connection.take() {
                    self.handler.on_close(connection, reason);
                }
            }
        }
    }

    async fn write(&mut self, packet: &Packet) -> bool {
        let Some(ws) = self.ws.as_mut() else {
            return false;
        };
        let shared = &self.socket.shared;
        let frame = ws.codec().encode_frame(packet);
        match self.writer.feed(ws, frame, shared).await {
            Ok(()) => true,
            Err(end) => {
                self.ws_end(end).await;
                false
            }
        }
    }

    /// The WebSocket ended while in use: dropped when writing failed, else closed.
    async fn ws_end(&mut self, end: WsEnd) {
        match end {
            WsEnd::Write => self.ws_failed(DisconnectReason::TransportError),
            WsEnd::Read(reason, code) => self.ws_ended(reason, code).await,
        }
    }

    fn take_ws(&mut self) -> Option<Ws> {
        self.writer.reset();
        self.ws.take()
    }

    /// The WebSocket is gone: tell the session, which decides whether that ends it.
    fn ws_failed(&mut self, reason: DisconnectReason) {
        drop(self.take_ws());
        // Through `input`, which wakes the driver: the deadline it is about to wait for was
        // computed before this input, and the close it may cause must not wait for it.
        let ended = Input::TransportEnded(TransportKind::WebSocket, reason);
        if let Err(error) = self.shared().input(ended) {
            tracing::debug!(%error, sid = %self.shared().sid, "the WebSocket ended late");
        }
    }

    async fn wait(&mut self, deadline: Option<Instant>) {
        if self.armed != deadline {
            let at = deadline.map_or_else(far_future, Into::into);
            self.timer.as_mut().reset(at);
            self.armed = deadline;
        }
        let shared = Arc::clone(&self.socket.shared);
        let ws = self.ws.as_mut().filter(|_| self.can_read);
        let sleep = self.timer.as_mut();
        let read = async {
            match ws {
                Some(ws) => ws.read().await,
                None => std::future::pending().await,
            }
        };
        let woke = tokio::select! {
            frame = read => Some(frame),
            () = shared.wake.notified() => None,
            () = sleep => None,
        };
        if let Some(frame) = woke {
            self.on_read(frame).await;
            self.read_ready().await;
        }
        if let Some(ws) = shared.take_ws() {
            self.writer.reset();
            self.ws = Some(ws);
        }
    }

    /// Takes the frames that have already arrived, up to [`READ_BATCH`] and while the
    /// session's inbound queue is under its mark, before anything is written: their answers
    /// then leave together, in one flush (one write to the socket) instead of one each, which
    /// is most of the cost of a busy connection.
    async fn read_ready(&mut self) {
        for _ in 1..READ_BATCH {
            let Some(ws) = self.ws.as_mut().filter(|_| self.can_read) else {
                return;
            };
            let Some(frame) = ws.read().now_or_never() else {
                return;
            };
            self.on_read(frame).await;
        }
    }

    async fn on_read(&mut self, frame: Option<Result<Frame, ReadError>>) {
        let Some(codec) = self.ws.as_ref().map(|ws| ws.codec()) else {
            return;
        };
        match input_of(codec, frame) {
            Ok(input) => self.can_read = recv(self.shared(), input),
            Err(end) => self.ws_end(end).await,
        }
    }

    async fn ws_ended(&mut self, reason: DisconnectReason, code: Option<u16>) {
        let limit = self.socket.shared.write_timeout;
        if let Some(close) = self.take_ws().map(|ws| close_ws(ws, code, limit)) {
            close.await;
        }
        self.ws_failed(reason);
    }
}
