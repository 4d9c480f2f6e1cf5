//! A Socket.IO client of the main namespace over a raw WebSocket (tokio-tungstenite): the
//! Engine.IO handshake, the CONNECT for the namespace in the client's [`Wire`] form, and
//! heartbeats answered on the way.
//!
//! Writes are queued with [`WsClient::feed`] and go out when the client would otherwise wait
//! for the server: [`WsClient::next`] flushes (answering any pings first) only when no frame is
//! readable at once, so a client answering a burst writes once per burst.

use std::net::SocketAddr;

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::proto;
use crate::wire::{Received, Wire};
use crate::Result;

/// The client's read buffer: small, so ten thousand idle clients stay cheap.
const READ_BUFFER: usize = 4096;

/// One Socket.IO client over WebSocket.
pub(crate) struct WsClient {
    ws: WebSocketStream<TcpStream>,
    /// Pings read but not answered yet: answered by the next flush.
    pongs_owed: usize,
    /// The form of its Socket.IO packets.
    wire: Wire,
}

impl WsClient {
    /// Opens the WebSocket, reads the Engine.IO open packet, sends the CONNECT and waits for
    /// the server's answer.
    pub(crate) async fn connect(addr: SocketAddr, wire: Wire) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let url = format!("ws://{addr}{}", proto::WS_PATH);
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
        let (ws, _) =
            tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await?;
        let mut client = Self {
            ws,
            pongs_owed: 0,
            wire,
        };
        let open = client.next().await?;
        let sid = open.to_text().ok().and_then(proto::open_sid);
        if sid.is_none() {
            return Err(format!("expected the open packet, got {open}").into());
        }
        client.feed(wire.connect()).await?;
        loop {
            match Received::read(&client.next().await?) {
                Received::Connected => return Ok(client),
                Received::Refused(why) => return Err(format!("namespace refused: {why}").into()),
                _ => {}
            }
        }
    }

    /// The form of this client's packets.
    pub(crate) fn wire(&self) -> Wire {
        self.wire
    }

    /// Queues one frame; it is written by the next flush.
    pub(crate) async fn feed(&mut self, message: Message) -> Result<()> {
        self.ws.feed(message).await?;
        Ok(())
    }

    /// Writes what was queued, pongs first.
    pub(crate) async fn flush(&mut self) -> Result<()> {
        while self.pongs_owed > 0 {
            self.ws.feed(Message::text(proto::PONG)).await?;
            self.pongs_owed -= 1;
        }
        self.ws.flush().await?;
        Ok(())
    }

    /// The next Socket.IO packet, a text or a binary frame (Engine.IO pings are answered, not
    /// returned). Flushes before waiting, so nothing queued is left unsent while it waits.
    pub(crate) async fn next(&mut self) -> Result<Message> {
        loop {
            let frame = match self.ws.next().now_or_never() {
                Some(frame) => frame,
                None => {
                    self.flush().await?;
                    self.ws.next().await
                }
            };
            match frame.ok_or("connection closed by the server")?? {
                Message::Text(text) if text.as_str() == proto::PING => self.pongs_owed += 1,
                message @ (Message::Text(_) | Message::Binary(_)) => return Ok(message),
                Message::Close(close) => return Err(format!("closed: {close:?}").into()),
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }

    /// Stays connected, answering heartbeats, until `stop` fires; an error if the connection
    /// ends before.
    pub(crate) async fn hold(
        &mut self,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Result<()> {
        loop {
            tokio::select! {
                changed = stop.changed() => {
                    // A dropped sender stops the hold too.
                    let _ = changed;
                    return Ok(());
                }
                packet = self.next() => {
                    packet?;
                }
            }
        }
    }

    /// Ends the connection without the closing handshake (the figures are taken already).
    pub(crate) fn drop_connection(self) {
        drop(self.ws);
    }
}
