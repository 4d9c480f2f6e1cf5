//! The WebSocket transport: the HTTP upgrade and a small frame-level seam over the
//! WebSocket implementation (tokio-tungstenite, see `docs/architecture.md`).

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream};
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message as WsMessage, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use super::error::RequestError;
use crate::codec::Codec;
use crate::packet::Frame;

/// Why reading a frame failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// A message over the payload limit.
    TooLarge,
    /// Any other failure: I/O, protocol violation, invalid UTF-8.
    Failed,
}

/// The writing side failed; the connection is unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WriteError;

/// A write that had to wait, for [`FrameIo::poll_write`]: a frame to queue, or a flush.
#[derive(Debug)]
pub(crate) enum Write {
    /// Queue this frame (taken once the connection can take it).
    Feed(Option<Frame>),
    /// Send everything queued.
    Flush,
}

/// What the session driver needs from a WebSocket implementation. A second implementation
/// is one small module implementing this trait.
pub(crate) trait FrameIo: Send + 'static {
    /// The next data frame; `None` once the peer closed. Control frames are handled inside.
    fn read(&mut self) -> impl Future<Output = Option<Result<Frame, ReadError>>> + Send;
    /// Queues a frame; [`FrameIo::flush`] sends what is queued.
    fn feed(&mut self, frame: Frame) -> impl Future<Output = Result<(), WriteError>> + Send;
    /// Sends queued frames.
    fn flush(&mut self) -> impl Future<Output = Result<(), WriteError>> + Send;
    /// Closes the connection, with a close code when one says why.
    /// How packets are written in this connection's frames.
    fn codec(&self) -> Codec;
    fn close(&mut self, code: Option<u16>) -> impl Future<Output = ()> + Send;
    /// [`FrameIo::read`] as a poll, so that one task can read while a write waits.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame, ReadError>>>;
    /// Carries `write` on; ready once it is done.
    fn poll_write(
        &mut self,
        write: &mut Write,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), WriteError>>;
}

/// The read buffer each WebSocket starts with. It holds a burst of small Socket.IO messages
/// in one read; a larger message grows it to the message's size (tungstenite reserves the
/// announced length), so it costs syscalls only on bursts of small messages over 2 KiB, and
/// each idle connection keeps 2 KiB less than with 4 KiB.
const READ_BUFFER: usize = 2 * 1024;

/// The WebSocket type the driver uses. Boxed: the stream's state is a few hundred bytes that
/// would otherwise sit in every session's task and shared state, also while it has none.
pub(crate) type Ws = Box<Tungstenite>;

/// [`FrameIo`] over tokio-tungstenite.
pub(crate) struct Tungstenite {
    stream: WebSocketStream<TokioIo<Upgraded>>,
    codec: Codec,
}

impl Tungstenite {
    /// Finishes a server-side upgrade.
    /// The connection's packets are written with `codec`.
    pub(crate) async fn accept(
        on_upgrade: OnUpgrade,
        max_payload: usize,
        codec: Codec,
    ) -> Option<Self> {
        let upgraded = on_upgrade.await.ok()?;
        // The default read buffer is 128 KiB per connection; Socket.IO traffic is mostly
        // small messages, so a small buffer keeps idle connections cheap.
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(16 * 1024)
            .max_message_size(Some(max_payload))
            .max_frame_size(Some(max_payload));
        let stream =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config))
                .await;
        Some(Self { stream, codec })
    }
}

impl FrameIo for Tungstenite {
    fn codec(&self) -> Codec {
        self.codec
    }

    async fn read(&mut self) -> Option<Result<Frame, ReadError>> {
        std::future::poll_fn(|cx| self.poll_read(cx)).await
    }

    async fn feed(&mut self, frame: Frame) -> Result<(), WriteError> {
        let message = message(frame)?;
        self.stream.feed(message).await.map_err(|_| WriteError)
    }

    async fn flush(&mut self) -> Result<(), WriteError> {
        self.stream.flush().await.map_err(|_| WriteError)
    }

    async fn close(&mut self, code: Option<u16>) {
        let frame = code.map(|code| CloseFrame {
            code: CloseCode::from(code),
            reason: Utf8Bytes::from_static(""),
        });
        if let Err(error) = self.stream.close(frame).await {
            tracing::debug!(%error, "the WebSocket closing handshake failed");
        }
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame, ReadError>>> {
        loop {
            let next = ready!(Pin::new(&mut self.stream).poll_next(cx));
            let Some(next) = next else {
                return Poll::Ready(None);
            };
            return Poll::Ready(match next {
                Ok(WsMessage::Text(text)) => Some(Ok(Frame::Text(Bytes::from(text)))),
                Ok(WsMessage::Binary(data)) => Some(Ok(Frame::Binary(data))),
                Ok(WsMessage::Close(_)) => None,
                Ok(_) => continue,
                Err(WsError::Capacity(CapacityError::MessageTooLong { .. })) => {
                    Some(Err(ReadError::TooLarge))
                }
                Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => None,
                // The peer went away without a close frame (a killed process, a closed tab):
                // the reference reports that as the transport closing, not failing.
                Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)) => None,
                Err(WsError::Io(e)) if peer_gone(&e) => None,
                Err(_) => Some(Err(ReadError::Failed)),
            });
        }
    }

    fn poll_write(
        &mut self,
        write: &mut Write,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), WriteError>> {
        let mut sink = Pin::new(&mut self.stream);
        let Write::Feed(frame) = write else {
            return sink.poll_flush(cx).map_err(|_| WriteError);
        };
        ready!(sink.as_mut().poll_ready(cx)).map_err(|_| WriteError)?;
        let Some(frame) = frame.take() else {
            return Poll::Ready(Ok(()));
        };
        Poll::Ready(sink.start_send(message(frame)?).map_err(|_| WriteError))
    }
}

fn message(frame: Frame) -> Result<WsMessage, WriteError> {
    Ok(match frame {
        // The session only writes UTF-8 text frames.
        Frame::Text(bytes) => WsMessage::Text(Utf8Bytes::try_from(bytes).map_err(|_| WriteError)?),
        Frame::Binary(bytes) => WsMessage::Binary(bytes),
    })
}

fn peer_gone(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::UnexpectedEof
    )
}

/// Checks that a request is a WebSocket upgrade and returns its `101` response.
pub(crate) fn switching_response(
    headers: &HeaderMap,
) -> Result<Response<Full<Bytes>>, RequestError> {
    let upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let version_ok = headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v.as_bytes() == b"13");
    let key = headers.get(header::SEC_WEBSOCKET_KEY);
    let (true, true, Some(key)) = (upgrade, version_ok, key) else {
        return Err(RequestError::BadRequest);
    };
    let accept = HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
        .map_err(|_| RequestError::BadRequest)?;
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let out = response.headers_mut();
    out.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    out.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    out.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    Ok(response)
}

/// Whether a request asks for a WebSocket upgrade at all.
pub(crate) fn is_upgrade_request(headers: &HeaderMap) -> bool {
    headers.contains_key(header::SEC_WEBSOCKET_KEY) || headers.contains_key(header::UPGRADE)
}
