//! The inbound mark holds for WebSocket input: the driver reads no frame while the session
//! holds a mark's worth of the client's messages, neither between its turns nor while its
//! writes wait for a client that does not read. A message fed past the mark would end the
//! session (`transport error`), so a client that bursts far more than the mark at a slow
//! handler, and gets every message through with its session open, shows the reads paused: the
//! client is slowed down, never cut off.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use engineio::packet::{Message, Text};
use engineio::server::{serve, Builder, Handler, Socket};
use engineio::{Config, DisconnectReason};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Ws;

/// What the handler saw.
#[derive(Debug, PartialEq)]
enum Seen {
    Message(String),
    Close(DisconnectReason),
}

/// Takes each message slowly, on the session's driver task; answers `echo` with 64 KiB.
struct Slow(mpsc::UnboundedSender<Seen>);

impl Handler for Slow {
    type Connection = Socket;
    fn on_connect(&self, socket: Socket) -> Socket {
        socket
    }
    fn on_message(&self, socket: &mut Socket, message: Message) {
        let Message::Text(text) = message else {
            panic!("a binary message");
        };
        std::thread::sleep(Duration::from_millis(1));
        if text.as_str().starts_with("echo") {
            let reply = format!("{}:{}", text.as_str(), "r".repeat(64 * 1024));
            socket.send(Message::Text(Text::new(&reply))).unwrap();
        }
        self.0
            .send(Seen::Message(text.as_str().to_owned()))
            .unwrap();
    }
    fn on_close(&self, _socket: Socket, reason: DisconnectReason) {
        self.0.send(Seen::Close(reason)).unwrap();
    }
}

type Client =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A server with these inbound marks, and a client connected to it past the open packet.
async fn connect(messages: usize, bytes: usize) -> (Client, mpsc::UnboundedReceiver<Seen>) {
    let config = Config {
        ping_interval: Duration::from_secs(3600),
        max_inbound_messages: messages,
        max_inbound_bytes: bytes,
        ..Config::default()
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let server = Builder::new().engine_config(config).build(Slow(tx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(serve(listener, server));
    let url = format!("ws://127.0.0.1:{port}/engine.io/?EIO=4&transport=websocket");
    let (mut client, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let open = client.next().await.unwrap().unwrap();
    assert!(open.to_text().unwrap().starts_with("0{"), "{open:?}");
    (client, rx)
}

/// Sends every message in one write.
async fn burst(client: &mut Client, messages: &[String]) {
    for message in messages {
        client.feed(Ws::text(format!("4{message}"))).await.unwrap();
    }
    client.flush().await.unwrap();
}

/// The handler gets exactly `messages`, in order, and the session stays open.
async fn expect(rx: &mut mpsc::UnboundedReceiver<Seen>, messages: &[String]) {
    for message in messages {
        let seen = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await;
        let seen = seen.expect("a message in time").unwrap();
        assert_eq!(seen, Seen::Message(message.clone()));
    }
}

fn numbered(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:04}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_far_over_the_message_mark_is_read_at_the_handlers_pace() {
    let (mut client, mut rx) = connect(2, 1_000_000).await;
    let messages = numbered("m", 500);
    burst(&mut client, &messages).await;
    expect(&mut rx, &messages).await;
    assert!(rx.try_recv().is_err(), "the session stays open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_far_over_the_byte_mark_is_read_at_the_handlers_pace() {
    // Five-byte messages and a mark of 12 bytes: three messages at most.
    let (mut client, mut rx) = connect(1024, 12).await;
    let messages = numbered("b", 500);
    burst(&mut client, &messages).await;
    expect(&mut rx, &messages).await;
    assert!(rx.try_recv().is_err(), "the session stays open");
}

/// The handler answers each message with 64 KiB, and the client reads nothing for a while:
/// the server's writes wait, and meanwhile it reads the client's frames only up to the mark.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_while_writes_wait_stop_at_the_mark() {
    let (mut client, mut rx) = connect(2, 1_000_000).await;
    let messages = numbered("echo", 300);
    burst(&mut client, &messages).await;
    // A client that reads nothing for half a second: some 19 MB of answers back up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_sink, mut stream) = client.split();
    let reader = tokio::spawn(async move {
        let mut answers = Vec::new();
        while answers.len() < 300 {
            let frame = stream.next().await.unwrap().unwrap();
            if let Ws::Text(text) = frame {
                answers.push(text.as_str().split(':').next().unwrap().to_owned());
            }
        }
        answers
    });
    expect(&mut rx, &messages).await;
    let answers = tokio::time::timeout(Duration::from_secs(30), reader)
        .await
        .expect("every answer in time")
        .unwrap();
    let expected: Vec<String> = messages.iter().map(|m| format!("4{m}")).collect();
    assert_eq!(answers, expected);
    assert!(rx.try_recv().is_err(), "the session stays open");
}
