//! Real peers over TCP: a listening server, raw HTTP/1.1 requests and WebSocket clients.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::Server;

/// A WebSocket client.
pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Serves `server` on a free local port.
pub async fn listen(server: &Server) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(engineio::server::serve(listener, server.clone()));
    port
}

/// A WebSocket request under `/engine.io/` with this query; the refusal's response on error.
pub async fn try_ws(
    port: u16,
    query: &str,
) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
    let url = format!("ws://127.0.0.1:{port}/engine.io/?{query}");
    tokio_tungstenite::connect_async(url)
        .await
        .map(|(client, _)| client)
}

/// The next data or close frame, within a few seconds; `None` once the connection is gone.
pub async fn recv(client: &mut Client) -> Option<Ws> {
    use futures_util::StreamExt;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), client.next()).await;
        match frame.expect("a frame in time") {
            Some(Ok(Ws::Ping(_) | Ws::Pong(_))) => continue,
            Some(Ok(frame)) => return Some(frame),
            _ => return None,
        }
    }
}

/// A raw HTTP/1.1 response.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

/// Writes one request on `stream` (kept alive) and reads its response.
pub async fn exchange(stream: &mut TcpStream, method: &str, path: &str, body: &str) -> RawReply {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    read_response(stream).await
}

/// Writes `request` (head and body, as is) on a new connection and reads the response; the
/// connection is returned to see whether the server closes it.
pub async fn raw(port: u16, request: &str) -> (RawReply, TcpStream) {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    (read_response(&mut stream).await, stream)
}

/// Whether the server closed the connection (within a few seconds).
pub async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte)).await;
    matches!(read, Ok(Ok(0) | Err(_)))
}

/// One request on a new connection.
pub async fn http(port: u16, method: &str, path: &str, body: &str) -> RawReply {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    exchange(&mut stream, method, path, body).await
}

async fn read_response(stream: &mut TcpStream) -> RawReply {
    let mut buf = Vec::new();
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        read_more(stream, &mut buf).await;
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < end + length {
        read_more(stream, &mut buf).await;
    }
    let status = head[9..12].parse().expect("status");
    RawReply {
        status,
        head,
        body: buf[end..end + length].to_vec(),
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) {
    let mut chunk = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await;
    let n = read.expect("a response in time").expect("read");
    assert!(n > 0, "connection closed mid-response: {buf:?}");
    buf.extend_from_slice(&chunk[..n]);
}
