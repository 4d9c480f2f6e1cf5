//! What a user of the server sees: a handler of connections and a socket per session.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, Uri};
use thiserror::Error;

use super::driver::Shared;
use crate::packet::{Message, Text};
use crate::session::{Input, SendOptions, SessionError};
use crate::{DisconnectReason, Protocol, TransportKind};

/// Receives the sessions of a server and what happens to them.
///
/// Each session has its own [`Handler::Connection`] value, made by `on_connect` and owned by
/// the session's driver task: the callbacks of one session run in order on that task and get
/// it by `&mut`, so per-connection state needs no lock. Callbacks should not block. No lock is
/// held while they run, so they may call any method of the socket.
pub trait Handler: Send + Sync + 'static {
    /// Per-session state; a plain [`Socket`] when nothing else is needed.
    type Connection: Send + 'static;
    /// A session opened.
    fn on_connect(&self, socket: Socket) -> Self::Connection;
    /// The client sent a message.
    fn on_message(&self, connection: &mut Self::Connection, message: Message);
    /// The session ended; its socket can no longer send.
    fn on_close(&self, connection: Self::Connection, reason: DisconnectReason);
    /// The session moved from polling to WebSocket.
    fn on_upgrade(&self, _connection: &mut Self::Connection) {}
    /// The deadline set with [`Socket::set_timer`] was reached.
    fn on_timer(&self, _connection: &mut Self::Connection) {}
    /// Someone called [`Socket::signal`]: work handed to the connection from another task
    /// waits for it.
    fn on_signal(&self, _connection: &mut Self::Connection) {}
}

/// What the client's first request told the server.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The request headers.
    pub headers: HeaderMap,
    /// The decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    /// The client's address, when the server knows it (see [`RemoteAddr`]).
    pub remote_addr: Option<SocketAddr>,
    /// The request's URL (path and query).
    pub url: Uri,
    /// Whether the request came over TLS (it carried the [`Secure`] extension), as the
    /// reference's `handshake.secure`.
    pub secure: bool,
    /// When the handshake happened.
    pub issued: SystemTime,
    /// What the middlewares added to the request (see
    /// [`Decoration::extension`](super::Decoration::extension)).
    pub extensions: http::Extensions,
}

impl Handshake {
    /// The protocol revision the client asked for (its `EIO` parameter).
    pub fn protocol(&self) -> Protocol {
        Protocol::from_query(self.query_param("EIO"))
    }

    /// The first value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The peer address of a connection, as a request extension.
///
/// [`serve`](super::serve) inserts it; a server of your own can insert it too so that
/// [`Handshake::remote_addr`] is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteAddr(pub SocketAddr);

/// Marks a request that came over TLS, as a request extension: the handshake of a session
/// it opens then says [`Handshake::secure`].
///
/// The accept loop inserts it when it serves TLS (the `tls` option of
/// [`ServeOptions`](super::ServeOptions)); a TLS server of your own can insert it too.
/// Behind a proxy that ends TLS, leave it out, as the reference does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Secure;

/// A message could not be sent.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The session is closed.
    #[error("socket closed")]
    Closed,
}

/// One session, as the handler sees it. Cloning is cheap.
#[derive(Clone)]
pub struct Socket {
    pub(crate) shared: Arc<Shared>,
}

impl Socket {
    /// The session id.
    pub fn id(&self) -> &str {
        &self.shared.sid
    }

    /// The protocol revision the session speaks: v4, or v3 for a Socket.IO v2 client when
    /// the server allows it. The layer above speaks its own older protocol to a v3 session.
    pub fn protocol(&self) -> Protocol {
        self.shared.protocol
    }

    /// The current transport; `None` once the session is closing.
    pub fn transport(&self) -> Option<TransportKind> {
        self.shared.lock().transport()
    }

    /// The handshake request.
    pub fn handshake(&self) -> &Arc<Handshake> {
        &self.shared.handshake
    }

    /// Sends a message.
    pub fn send(&self, message: Message) -> Result<(), SendError> {
        self.send_with([message], SendOptions::default())
    }

    /// Sends messages back to back: no other message of this session comes between them
    /// (a Socket.IO packet and its binary attachments).
    pub fn send_all(&self, messages: impl IntoIterator<Item = Message>) -> Result<(), SendError> {
        self.send_with(messages, SendOptions::default())
    }

    /// Sends messages back to back only if the client can take them right now; otherwise
    /// they are dropped (volatile messages).
    pub fn send_volatile(
        &self,
        messages: impl IntoIterator<Item = Message>,
    ) -> Result<(), SendError> {
        self.send_with(messages, SendOptions::default().volatile(true))
    }

    /// Sends messages back to back with these options: volatile, and whether a polling
    /// response carrying them may be compressed (`compress`, true by default as in the
    /// reference; see the server's `http_compression` option).
    ///
    /// ```
    /// # fn f(socket: &engineio::server::Socket) {
    /// use engineio::packet::{Message, Text};
    /// use engineio::server::SendOptions;
    /// let message = Message::Text(Text::new("already compressed"));
    /// let _ = socket.send_with([message], SendOptions::default().compress(false));
    /// # }
    /// ```
    pub fn send_with(
        &self,
        messages: impl IntoIterator<Item = Message>,
        options: SendOptions,
    ) -> Result<(), SendError> {
        self.shared.send_with(messages, options).map_err(send_error)
    }

    /// Makes [`Handler::on_timer`] run after `delay` (`None` clears the timer). One timer
    /// per session, kept in the session's own deadlines: no task or timer per socket. Fails
    /// once the session is closing (it will never fire).
    pub fn set_timer(&self, delay: Option<std::time::Duration>) -> Result<(), SendError> {
        self.set_deadline(delay.map(|delay| super::driver::now() + delay))
    }

    /// [`Socket::set_timer`] with an instant of tokio's clock
    /// (`tokio::time::Instant::now().into_std()` and later), so that tests can pause it.
    pub fn set_deadline(&self, deadline: Option<std::time::Instant>) -> Result<(), SendError> {
        self.shared
            .input(Input::SetTimer(deadline))
            .map_err(send_error)
    }

    /// Makes [`Handler::on_signal`] run soon on the session's task, with its connection: the
    /// way another task hands work to the connection that owns its state. Signals given
    /// before the handler runs count as one. Fails once the session is closing.
    pub fn signal(&self) -> Result<(), SendError> {
        self.shared.input(Input::Signal).map_err(send_error)
    }

    /// Stops (`true`) or starts again (`false`) handing the client's messages to
    /// [`Handler::on_message`]: the way a handler that cannot keep up slows its client down.
    /// Held messages wait in the session up to its inbound mark
    /// ([`Config::max_inbound_messages`](crate::Config::max_inbound_messages)), then the
    /// transports stop reading; nothing is dropped. Timers, signals and the close still come
    /// (a close delivers the held messages first). Fails once the session is closing.
    pub fn hold_messages(&self, held: bool) -> Result<(), SendError> {
        self.shared.hold_messages(held).map_err(send_error)
    }

    /// Whether the client can take a message right now: an idle WebSocket, or a poll waiting
    /// with nothing queued (a volatile message would be sent, not dropped).
    pub fn is_writable(&self) -> bool {
        self.shared.lock().is_writable()
    }

    /// Whether the session is over or closing.
    pub fn is_closed(&self) -> bool {
        self.shared.lock().transport().is_none()
    }

    /// Sends a text message.
    pub fn send_text(&self, text: &str) -> Result<(), SendError> {
        self.send(Message::Text(Text::new(text)))
    }

    /// Sends a binary message.
    pub fn send_binary(&self, data: impl Into<Bytes>) -> Result<(), SendError> {
        self.send(Message::Binary(data.into()))
    }

    /// Closes the session once the client has what is already queued (`forced close`).
    pub fn close(&self) {
        let _ = self
            .shared
            .input(Input::Close(DisconnectReason::ForcedClose));
    }
}

fn send_error(error: SessionError) -> SendError {
    match error {
        SessionError::Closed => SendError::Closed,
        _ => SendError::Closed,
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket").field("id", &self.id()).finish()
    }
}
