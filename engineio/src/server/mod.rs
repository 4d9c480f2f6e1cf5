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
mod cookie;
mod cors;
mod driver;
mod error;
mod files;
mod handshake;
mod hooks;
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
pub use config::{AllowFuture, AllowRequest, Builder, ServerConfig};
pub use cookie::{Cookie, CookieError, Priority, SameSite};
pub use cors::{Cors, CorsOrigin, OriginCheck};
pub use error::RequestError;
pub use files::{StaticFile, StaticFiles};
pub use hooks::{
    ConnectionError, ConnectionErrorHook, Decoration, ErrorContext, GenerateId, HeadersHook, Hooks,
    IdFuture, Middleware, MiddlewareFuture, Refusal,
};
pub use listen::{serve, serve_with, serve_with_shutdown, ServeOptions};
pub use polling::BoxError;
pub use service::{Endpoint, EngineIoLayer, EngineIoService, MountLayer, Mounted};
pub use socket::{Handler, Handshake, RemoteAddr, Secure, SendError, Socket};

use compression::Compression;
use driver::Shared;
use hooks::Decorated;
use request::Query;
use sessions::Sessions;
use websocket::{FrameIo, Tungstenite};

use crate::codec::Codec;
use crate::session::{Input, SessionError};
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
        request
            .uri()
            .path()
            .starts_with(self.inner.config.path_prefix())
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
        let (mut parts, body) = request.into_parts();
        let origin = parts.headers.get(header::ORIGIN).cloned();
        let config = &self.inner.config;
        let cors = config.cors.as_ref().filter(|c| c.admits(origin.as_ref()));
        if let (Some(cors), &Method::OPTIONS) = (cors, &parts.method) {
            return cors.preflight(&parts.headers);
        }
        let mut response = match config.files.as_ref().and_then(|f| f.answer(&parts, config)) {
            Some(response) => response,
            None => self.answer(&mut parts, body).await,
        };
        if let Some(cors) = cors {
            cors.apply(origin.as_ref(), response.headers_mut());
        }
        response
    }

    /// Answers a protocol request: the middlewares, then the protocol, then the hooks.
    async fn answer<B>(&self, parts: &mut http::request::Parts, body: B) -> EngineResponse
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let query = Query::parse(parts.uri.query());
        let ws_request = websocket::is_upgrade_request(&parts.headers);
        let decoration = match self.run_middlewares(parts).await {
            Ok(decoration) => decoration,
            Err(Refusal::Respond(response)) => return response,
            Err(Refusal::BadRequest(error)) => {
                let error = RequestError::MiddlewareFailure(error);
                return self.refuse(&error, parts, &query, ws_request);
            }
        };
        let mut response = match self.route(parts, body, &query, ws_request).await {
            Ok(response) => {
                let mut response = response;
                self.run_header_hooks(response.headers_mut(), parts, query.sid().is_none());
                response
            }
            Err(error) => self.refuse(&error, parts, &query, ws_request),
        };
        decorate(response.headers_mut(), decoration.headers);
        response
    }

    /// Runs the middlewares in order; their extensions go into the request as they come.
    async fn run_middlewares(
        &self,
        parts: &mut http::request::Parts,
    ) -> Result<Decoration, Refusal> {
        let mut all = Decoration::default();
        for middleware in &self.inner.config.hooks.middlewares {
            let decoration = middleware(parts).await?;
            parts.extensions.extend(decoration.extensions.clone());
            all.headers.extend(decoration.headers);
            all.extensions.extend(decoration.extensions);
        }
        if !self.inner.config.hooks.middlewares.is_empty() {
            parts.extensions.insert(Decorated(all.extensions.clone()));
        }
        Ok(all)
    }

    fn run_header_hooks(
        &self,
        headers: &mut http::HeaderMap,
        parts: &http::request::Parts,
        initial: bool,
    ) {
        let hooks = &self.inner.config.hooks;
        if initial {
            for hook in &hooks.initial_headers {
                hook(headers, parts);
            }
        }
        for hook in &hooks.headers {
            hook(headers, parts);
        }
    }

    /// The response to a refused request, after telling the `connection_error` hooks.
    fn refuse(
        &self,
        error: &RequestError,
        parts: &http::request::Parts,
        query: &Query,
        ws_request: bool,
    ) -> EngineResponse {
        let hooks = &self.inner.config.hooks.connection_error;
        if let (false, Some(code), Some(context)) = (
            hooks.is_empty(),
            error.code(),
            error.context(query, &parts.method),
        ) {
            let report = ConnectionError {
                request: parts,
                code,
                message: RequestError::code_message(code).to_owned(),
                context,
            };
            for hook in hooks {
                hook(&report);
            }
        }
        match ws_request {
            true => error.to_upgrade_response(),
            false => error.to_response(),
        }
    }

    async fn route<B>(
        &self,
        parts: &mut http::request::Parts,
        body: B,
        query: &Query,
        ws_request: bool,
    ) -> Result<EngineResponse, RequestError>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let config = &self.inner.config;
        let transport = query.transport(&config.engine)?;
        let Some(sid) = query.sid() else {
            request::check_handshake(parts, transport, ws_request)?;
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
                // The WebSocket's own request says whether its client takes binary.
                let codec = Codec::new(shared.protocol, request::takes_binary(&query.pairs));
                self.upgrade(shared, &parts.headers, upgrade, codec)
            }
            (TransportKind::WebSocket, _) => match shared.lock().transport() {
                Some(TransportKind::Polling) => Err(RequestError::TransportMismatch {
                    transport: TransportKind::WebSocket,
                    previous: TransportKind::Polling,
                }),
                _ => Err(RequestError::BadRequest),
            },
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

    /// A WebSocket for an existing session: the upgrade probe, or a duplicate to close.
    fn upgrade(
        &self,
        shared: Arc<Shared>,
        headers: &http::HeaderMap,
        upgrade: Option<OnUpgrade>,
        codec: Codec,
    ) -> Result<EngineResponse, RequestError> {
        let upgrade = upgrade.ok_or(RequestError::UpgradeUnavailable)?;
        let response = websocket::switching_response(headers)?;
        let max = self.inner.config.engine.max_payload;
        match shared.input(Input::ProbeOpened) {
            Ok(()) => {
                tokio::spawn(async move {
                    match Tungstenite::accept(upgrade, max, codec).await {
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
                    if let Some(mut ws) = Tungstenite::accept(upgrade, max, codec).await {
                        ws.close(None).await;
                    }
                });
                Ok(response)
            }
            Err(_) => Err(RequestError::UnknownSid),
        }
    }
}

/// Adds a middleware's headers to a response. A header the server set itself wins, as the
/// reference's `writeHead` headers win over a middleware's `setHeader`; `Set-Cookie` is the
/// exception: the middleware's cookies are added to the server's, both reach the browser.
fn decorate(headers: &mut http::HeaderMap, decoration: http::HeaderMap) {
    let mut current: Option<(http::HeaderName, bool)> = None;
    for (name, value) in decoration {
        // A name comes with its first value only; the next values repeat it.
        if let Some(name) = name {
            let keep = name == header::SET_COOKIE || !headers.contains_key(&name);
            current = Some((name, keep));
        }
        if let Some((name, true)) = &current {
            headers.append(name.clone(), value);
        }
    }
}
