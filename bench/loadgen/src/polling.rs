//! A Socket.IO client of the main namespace over Engine.IO long-polling, on raw HTTP/1.1
//! connections (hyper's client connection over a `TcpStream`, no client library).
//!
//! A client holds two connections, as a browser would: one for the long-polling `GET` loop,
//! run by a task of its own that hands every packet over a channel, and one for the `POST`s
//! the client sends. Heartbeats (`2`) are answered with a `POST` of `3`.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{header, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::proto;
use crate::Result;

/// One HTTP/1.1 connection to the server, one request at a time.
struct Http {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Http {
    async fn open(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self {
            sender,
            host: addr.to_string(),
        })
    }

    /// Sends one request and returns the body of its successful response.
    async fn request(&mut self, method: Method, path: &str, body: Bytes) -> Result<Bytes> {
        self.sender.ready().await?;
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.host)
            .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(Full::new(body))?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body);
            return Err(format!("HTTP {status}: {text}").into());
        }
        Ok(body)
    }
}

/// What the `GET` loop hands to the client: a packet, or why the loop ended.
type Incoming = std::result::Result<String, String>;

/// One Socket.IO client over long-polling.
pub(crate) struct PollingClient {
    post: Http,
    /// The session's path (with its `sid`).
    path: String,
    incoming: mpsc::UnboundedReceiver<Incoming>,
    poller: JoinHandle<()>,
}

impl PollingClient {
    /// Opens an Engine.IO session with a `GET`, sends `40` and waits for `40{"sid":...}`.
    pub(crate) async fn connect(addr: SocketAddr) -> Result<Self> {
        let mut get = Http::open(addr).await?;
        let handshake = get
            .request(Method::GET, &proto::polling_path(None), Bytes::new())
            .await?;
        let handshake = std::str::from_utf8(&handshake)?;
        let sid = proto::polling_packets(handshake)
            .find_map(proto::open_sid)
            .ok_or_else(|| format!("expected the open packet, got {handshake}"))?;
        let path = proto::polling_path(Some(sid));
        let post = Http::open(addr).await?;
        let (sender, incoming) = mpsc::unbounded_channel();
        let poller = tokio::spawn(poll_loop(get, path.clone(), sender));
        let mut client = Self {
            post,
            path,
            incoming,
            poller,
        };
        client.send(proto::CONNECT).await?;
        loop {
            let packet = client.next().await?;
            if proto::is_connected(&packet) {
                return Ok(client);
            }
            if proto::is_connect_error(&packet) {
                return Err(format!("namespace refused: {packet}").into());
            }
        }
    }

    /// Sends one packet in a `POST` and checks the server's `ok`.
    pub(crate) async fn send(&mut self, packet: &str) -> Result<()> {
        let body = Bytes::copy_from_slice(packet.as_bytes());
        let answer = self.post.request(Method::POST, &self.path, body).await?;
        if answer.as_ref() != b"ok" {
            let text = String::from_utf8_lossy(&answer);
            return Err(format!("POST answered {text}").into());
        }
        Ok(())
    }

    /// The next Socket.IO packet from the `GET` loop; heartbeats are answered, not returned.
    pub(crate) async fn next(&mut self) -> Result<String> {
        loop {
            let packet = self
                .incoming
                .recv()
                .await
                .ok_or("the polling loop ended")??;
            if packet == proto::PING {
                self.send(proto::PONG).await?;
            } else {
                return Ok(packet);
            }
        }
    }

    /// Ends the session with an Engine.IO close packet and stops the `GET` loop.
    pub(crate) async fn close(mut self) {
        let _ = self.send(proto::CLOSE).await;
        self.poller.abort();
    }
}

/// The long-polling loop: one `GET` after the other, every packet handed over, until the
/// session closes, a request fails or the client is gone.
async fn poll_loop(mut get: Http, path: String, sender: mpsc::UnboundedSender<Incoming>) {
    loop {
        let body = match get.request(Method::GET, &path, Bytes::new()).await {
            Ok(body) => body,
            Err(error) => {
                let _ = sender.send(Err(format!("GET failed: {error}")));
                return;
            }
        };
        let Ok(text) = std::str::from_utf8(&body) else {
            let _ = sender.send(Err("GET answered non-UTF-8 text".to_owned()));
            return;
        };
        for packet in proto::polling_packets(text) {
            if packet == proto::CLOSE {
                let _ = sender.send(Err("closed by the server".to_owned()));
                return;
            }
            if sender.send(Ok(packet.to_owned())).is_err() {
                return;
            }
        }
    }
}
