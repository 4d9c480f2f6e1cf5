//! The hyper/tower server: routing, handshakes and the transports.
//!
//! ```no_run
//! use engineio::packet::Message;
//! use engineio::server::{serve, Builder, Handler, Socket};
//! use engineio::DisconnectReason;
//!
//! struct Echo;
//! impl Handler for Echo {
//!     type Connection = Socket;
//!     fn on_connect(&self, socket: Socket) -> Socket {
//!         socket
//!     }
//!     fn on_message(&self, socket: &mut Socket, message: Message) {
//!         let _ = socket.send(message);
//!     }
//!     fn on_close(&self, _socket: Socket, _reason: DisconnectReason) {}
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let engine = Builder::new().build(Echo);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! serve(listener, engine).await
//! # }
//! ```

mod compression;
mod config;
mod connection;
mod cors;
mod driver;
mod error;
mod inbound;
mod listen;
mod polling;
mod request;
mod service;
mod sessions;
mod socket;
#[cfg(feature = "tls")]
pub mod tls;
mod websocket;
mod write;

use std::sync::Arc;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::Full;
use hyper::upgrade::OnUpgrade;

pub use crate::session::SendOptions;
pub use config::{AllowFuture, AllowRequest, Builder, Cookie, ServerConfig};
pub use cors::{Cors, CorsOrigin};
pub use error::RequestError;
pub use listen::{serve, serve_with, serve_with_shutdown, ServeOptions};
pub use polling::BoxError;
pub use service::{Endpoint, EngineIoLayer, EngineIoService, MountLayer, Mounted};
pub use socket::{Handler, Handshake, RemoteAddr, Secure, SendError, Socket};

use compression::Compression;
use driver::{drive, now, Shared};
use request::Query;
use sessions::{Sessions, Slot};
use websocket::{FrameIo, Tungstenite};

use crate::session::{Input, Session, SessionError};
use crate::{DisconnectReason, TransportKind};

struct Inner<H> {
    config: ServerConfig,
    handler: Arc<H>,
    sessions: Sessions,
}

/// An Engine.IO server. Cloning is cheap; clones share the sessions.
pub struct EngineIo<H> {
    inner: Arc<Inner<H>>,
}

impl<H> Clone for EngineIo<H> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

/// The response type of the server.
pub type EngineResponse = Response<Full<Bytes>>;

impl<H: Handler> EngineIo<H> {
    /// A server with the reference defaults.
    pub fn new(handler: H) -> Self {
        Builder::new().build(handler)
    }

    /// A server with these options.
    pub fn with_config(config: ServerConfig, handler: H) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                handler: Arc::new(handler),
                sessions: Sessions::default(),
            }),
        }
    }

    /// The options.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.inner.handler
    }

    /// Number of open sessions.
    pub fn session_count(&self) -> usize {
        self.inner.sessions.len()
    }

    /// Whether a request is for this server (its path starts with the server's path).
    pub fn matches<B>(&self, request: &Request<B>) -> bool {
        request.uri().path().starts_with(&self.inner.config.path)
    }

    /// Closes every session with `server shutting down`, and from now on refuses every new
    /// session (503), so that closing is bounded: the sessions it waits for are the ones open
    /// now. Requests of the open sessions are still served, so that polling clients get
    /// their close packet.
    pub fn close(&self) {
        for shared in self.inner.sessions.close() {
            let _ = shared.input(Input::Close(DisconnectReason::ServerShuttingDown));
        }
    }

    /// Waits until every session has ended (after [`EngineIo::close`], for instance); at
    /// once when there is none.
    pub async fn closed(&self) {
        self.inner.sessions.emptied().await;
    }

    /// Answers one request.
    pub async fn handle<B>(&self, request: Request<B>) -> EngineResponse
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        if !self.matches(&request) {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::NOT_FOUND;
            return response;
        }
        let origin = request.headers().get(header::ORIGIN).cloned();
        let cors = self.inner.config.cors.as_ref();
        if let (Some(cors), &Method::OPTIONS) = (cors, request.method()) {
            return cors.preflight(request.headers());
        }
        let ws_request = websocket::is_upgrade_request(request.headers());
        let mut response = match self.route(request, ws_request).await {
            Ok(response) => response,
            Err(error) if ws_request => error.to_upgrade_response(),
            Err(error) => error.to_response(),
        };
        if let Some(cors) = cors {
            cors.apply(origin.as_ref(), response.headers_mut());
        }
        response
    }

    async fn route<B>(
        &self,
        request: Request<B>,
        ws_request: bool,
    ) -> Result<EngineResponse, RequestError>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let config = &self.inner.config;
        let (mut parts, body) = request.into_parts();
        let query = Query::parse(parts.uri.query());
        let transport = query.transport(&config.engine)?;
        let Some(sid) = query.sid() else {
            request::check_handshake(&parts, transport, ws_request)?;
            return self.handshake(parts, query, transport).await;
        };
        let shared = self
            .inner
            .sessions
            .get(sid)
            .ok_or(RequestError::UnknownSid)?;
        let max = config.engine.max_payload;
        match (transport, parts.method.clone()) {
            (TransportKind::WebSocket, _) if ws_request => {
                let upgrade = parts.extensions.remove::<OnUpgrade>();
                self.upgrade(shared, &parts.headers, upgrade)
            }
            (TransportKind::WebSocket, _) => Err(RequestError::BadRequest),
            (TransportKind::Polling, Method::GET) => {
                let compression = Compression::for_request(config.http_compression, &parts.headers);
                polling::get(shared, max, compression).await
            }
            (TransportKind::Polling, Method::POST) => {
                let binary = parts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .is_some_and(|v| v.as_bytes() == b"application/octet-stream");
                let limit = config.engine.ping_timeout;
                polling::post(shared, body, binary, max, limit).await
            }
            (TransportKind::Polling, _) => Err(RequestError::BadMethod),
        }
    }

    async fn handshake(
        &self,
        mut parts: http::request::Parts,
        query: Query,
        transport: TransportKind,
    ) -> Result<EngineResponse, RequestError> {
        let config = &self.inner.config;
        if self.inner.sessions.is_closing() {
            // Checked again, atomically, when the slot is reserved; this spares the hook.
            return Err(RequestError::ShuttingDown);
        }
        let handshake = request::handshake(&parts, query);
        if let Some(allow) = &config.allow_request {
            allow(&handshake)
                .await
                .map_err(|message| match message.is_empty() {
                    true => RequestError::Forbidden("Forbidden".into()),
                    false => RequestError::Forbidden(message),
                })?;
        }
        let version = Query {
            pairs: handshake.query.clone(),
        };
        request::check_version(&version)?;
        // Taken before anything is answered and given back if the session never starts.
        let client = handshake
            .remote_addr
            .map(|addr| sessions::Client::of(addr.ip()));
        let quota = config.max_sessions_per_address.zip(client);
        let slot = self.inner.sessions.reserve(config.max_sessions, quota)?;
        let sid = request::new_sid();
        let session = Session::new(sid.clone(), &config.engine, transport, now());
        let shared = Arc::new(Shared::new(session, handshake, config.engine.ping_timeout));
        let mut response = match transport {
            TransportKind::Polling => {
                let batch = shared.lock().take_batch(usize::MAX);
                self.start(slot, shared);
                let compression = Compression::for_request(config.http_compression, &parts.headers);
                polling::payload_response(&batch.unwrap_or_default(), compression)
            }
            TransportKind::WebSocket => {
                let upgrade = parts.extensions.remove::<OnUpgrade>();
                let response = websocket::switching_response(&parts.headers)?;
                let upgrade = upgrade.ok_or(RequestError::UpgradeUnavailable)?;
                self.start_websocket(slot, shared, upgrade);
                response
            }
        };
        let headers = response.headers_mut();
        for (name, value) in &config.handshake_headers {
            headers.append(name, value.clone());
        }
        if let Some(cookie) = config.cookie.as_ref().and_then(|c| c.header(&sid)) {
            headers.append(header::SET_COOKIE, cookie);
        }
        Ok(response)
    }

    /// Registers a session in its slot and starts its driver.
    fn start(&self, slot: Slot, shared: Arc<Shared>) {
        if !slot.fill(Arc::clone(&shared)) {
            // The server began closing while this handshake was answered.
            let _ = shared.input(Input::Close(DisconnectReason::ServerShuttingDown));
        }
        let handler = Arc::clone(&self.inner.handler);
        tokio::spawn(drive(shared, handler, self.inner.sessions.clone()));
    }

    /// Starts a session once its WebSocket is up; an upgrade that fails frees the slot.
    fn start_websocket(&self, slot: Slot, shared: Arc<Shared>, upgrade: OnUpgrade) {
        let engine = self.clone();
        let max = self.inner.config.engine.max_payload;
        tokio::spawn(async move {
            if let Some(ws) = Tungstenite::accept(upgrade, max).await {
                shared.attach(Box::new(ws));
                engine.start(slot, shared);
            }
        });
    }

    /// A WebSocket for an existing session: the upgrade probe, or a duplicate to close.
    fn upgrade(
        &self,
        shared: Arc<Shared>,
        headers: &http::HeaderMap,
        upgrade: Option<OnUpgrade>,
    ) -> Result<EngineResponse, RequestError> {
        let upgrade = upgrade.ok_or(RequestError::UpgradeUnavailable)?;
        let response = websocket::switching_response(headers)?;
        let max = self.inner.config.engine.max_payload;
        match shared.input(Input::ProbeOpened) {
            Ok(()) => {
                tokio::spawn(async move {
                    match Tungstenite::accept(upgrade, max).await {
                        Some(ws) => shared.attach(Box::new(ws)),
                        None => {
                            let ended = Input::TransportEnded(
                                TransportKind::WebSocket,
                                DisconnectReason::TransportError,
                            );
                            let _ = shared.input(ended);
                        }
                    }
                });
                Ok(response)
            }
            Err(SessionError::UpgradeRefused) => {
                // Accepted, then closed: the session keeps its transport.
                tokio::spawn(async move {
                    if let Some(mut ws) = Tungstenite::accept(upgrade, max).await {
                        ws.close(None).await;
                    }
                });
                Ok(response)
            }
            Err(_) => Err(RequestError::UnknownSid),
        }
    }
}
