//! A WebSocket client that reads slowly: writes that wait are bounded by one session-wide
//! deadline (`pingTimeout`), however the client paces its reads, and the client's pongs are
//! read while the server waits to write, so a slow reader that keeps up is not taken for a
//! dead one.
//!
//! The client reads through an in-memory pipe of 4 KiB at a fixed rate, on paused time: the
//! timings are exact.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use engineio::packet::{Message, Text};
use engineio::server::{Builder, EngineIo, Handler, Socket};
use engineio::DisconnectReason;
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::WebSocketStream;

/// The size of each message the server sends.
const MESSAGE: usize = 1000;

/// One end of a pipe that reads at most `chunk` bytes per `period`.
struct Trickle {
    io: DuplexStream,
    chunk: usize,
    period: Duration,
    left: usize,
    refill: Pin<Box<Sleep>>,
}

impl Trickle {
    fn new(io: DuplexStream, chunk: usize, period: Duration) -> Self {
        let refill = Box::pin(tokio::time::sleep(period));
        Self {
            io,
            chunk,
            period,
            left: chunk,
            refill,
        }
    }
}

impl AsyncRead for Trickle {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.left == 0 {
            ready!(this.refill.as_mut().poll(cx));
            this.left = this.chunk;
            let next = Instant::now() + this.period;
            this.refill.as_mut().reset(next);
        }
        let mut scratch = vec![0; this.left.min(buf.remaining())];
        let mut limited = ReadBuf::new(&mut scratch);
        ready!(Pin::new(&mut this.io).poll_read(cx, &mut limited))?;
        this.left -= limited.filled().len();
        buf.put_slice(limited.filled());
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Trickle {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Sends `backlog` messages to each new session; on `stream`, sends `round` messages every
/// 10 ms, `rounds` times. Reports how sessions end.
struct Sender {
    backlog: usize,
    rounds: usize,
    round: usize,
    closed: mpsc::UnboundedSender<DisconnectReason>,
}

struct Connection {
    socket: Socket,
    rounds_left: usize,
}

fn payload() -> Message {
    Message::Text(Text::new(&"x".repeat(MESSAGE)))
}

impl Sender {
    /// Sends `count` messages, unless the session has ended.
    fn send(&self, socket: &Socket, count: usize) {
        for _ in 0..count {
            if socket.send(payload()).is_err() {
                return;
            }
        }
    }
}

impl Handler for Sender {
    type Connection = Connection;

    fn on_connect(&self, socket: Socket) -> Connection {
        self.send(&socket, self.backlog);
        Connection {
            socket,
            rounds_left: 0,
        }
    }

    fn on_message(&self, connection: &mut Connection, message: Message) {
        if message == Message::Text(Text::new("stream")) {
            connection.rounds_left = self.rounds;
            connection
                .socket
                .set_timer(Some(Duration::ZERO))
                .expect("the session is open");
        }
    }

    fn on_timer(&self, connection: &mut Connection) {
        if connection.rounds_left > 0 {
            connection.rounds_left -= 1;
            self.send(&connection.socket, self.round);
            // A session that closed meanwhile needs no more rounds.
            if connection
                .socket
                .set_timer(Some(Duration::from_millis(10)))
                .is_err()
            {
                connection.rounds_left = 0;
            }
        }
    }

    fn on_close(&self, _connection: Connection, reason: DisconnectReason) {
        self.closed.send(reason).unwrap();
    }
}

type Client = WebSocketStream<Trickle>;

/// A WebSocket session over a pipe, its client reading `chunk` bytes per 100 ms.
async fn connect(server: &EngineIo<Sender>, chunk: usize) -> Client {
    let (client, server_end) = tokio::io::duplex(4096);
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(server_end), server.clone())
        .with_upgrades();
    tokio::spawn(connection);
    let url = "ws://localhost/engine.io/?EIO=4&transport=websocket";
    let trickle = Trickle::new(client, chunk, Duration::from_millis(100));
    let (mut client, _) = tokio_tungstenite::client_async(url, trickle).await.unwrap();
    let open = client.next().await.unwrap().unwrap();
    assert!(open.to_text().unwrap().starts_with("0{"), "{open:?}");
    client
}

fn server(
    builder: Builder,
    sender: impl FnOnce(mpsc::UnboundedSender<DisconnectReason>) -> Sender,
) -> (EngineIo<Sender>, mpsc::UnboundedReceiver<DisconnectReason>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (builder.build(sender(tx)), rx)
}

/// Counts the messages the client reads until the server drops the connection.
async fn read_all(mut client: Client) -> usize {
    let mut messages = 0;
    while let Some(Ok(frame)) = client.next().await {
        messages += usize::from(matches!(frame, Ws::Text(_)));
    }
    messages
}

/// A backlog of 500 KB for a client reading 40 KB/s: each write waits about 0.4 s, within
/// the 1 s `pingTimeout`, but the backlog would take 12 s. The session ends 1 s after its
/// writes started waiting, with `transport error`.
#[tokio::test(start_paused = true)]
async fn a_trickling_reader_is_cut_at_the_session_s_write_deadline() {
    let builder = Builder::new()
        .ping_interval(Duration::from_secs(60))
        .ping_timeout(Duration::from_secs(1));
    let (server, mut closed) = server(builder, |closed| Sender {
        backlog: 500,
        rounds: 0,
        round: 0,
        closed,
    });
    let started = Instant::now();
    let client = connect(&server, 4096).await;
    let reader = tokio::spawn(read_all(client));
    let reason = tokio::time::timeout(Duration::from_secs(5), closed.recv()).await;
    let reason = reason.expect("the session ends in time");
    assert_eq!(reason, Some(DisconnectReason::TransportError));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_millis(1500),
        "ended after {took:?}"
    );
    let read = reader.await.unwrap();
    assert!(read < 100, "the client read {read} of 500 messages");
}

/// A client reading 80 KB/s while the server streams to it faster than that, in rounds of
/// 8 KB, for 3 s: each round's writes wait well under the 1 s deadline. The client answers
/// its first ping 50 ms late, once the server is busy writing, and every ping after that
/// behind the stream. Its pongs are read while the writes wait: the session survives and the
/// client gets everything.
#[tokio::test(start_paused = true)]
async fn pongs_are_read_while_writes_wait() {
    let builder = Builder::new()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_secs(1));
    let (rounds, round) = (30, 8);
    let (server, mut closed) = server(builder, |closed| Sender {
        backlog: 0,
        rounds,
        round,
        closed,
    });
    let mut client = connect(&server, 8192).await;
    let (mut messages, mut pings) = (0, 0);
    while messages < rounds * round {
        let frame = tokio::time::timeout(Duration::from_secs(5), client.next()).await;
        let text = match frame.expect("a frame in time") {
            Some(Ok(Ws::Text(text))) => text,
            other => {
                let reason = closed.try_recv();
                panic!("the session ended after {messages} messages ({other:?}): {reason:?}");
            }
        };
        match text.as_str() {
            "2" if pings == 0 => {
                pings += 1;
                client.send(Ws::text("4stream")).await.unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
                client.send(Ws::text("3")).await.unwrap();
            }
            "2" => {
                pings += 1;
                client.send(Ws::text("3")).await.unwrap();
            }
            text => {
                assert_eq!(text.len(), MESSAGE + 1, "{text}");
                messages += 1;
            }
        }
    }
    assert!(pings >= 5, "{pings} pings in 3 s at a 300 ms interval");
    assert!(closed.try_recv().is_err(), "the session ended early");
    client.close(None).await.unwrap();
    let reason = tokio::time::timeout(Duration::from_secs(5), closed.recv()).await;
    assert_eq!(reason.unwrap(), Some(DisconnectReason::TransportClose));
}
