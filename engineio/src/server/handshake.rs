//! The handshake: a new session, its id, its open packet and its driver.

use std::sync::Arc;

use http::header;
use hyper::upgrade::OnUpgrade;

use super::compression::Compression;
use super::driver::{drive, now, Shared};
use super::hooks;
use super::request::{self, Query};
use super::sessions::Slot;
use super::websocket::{self, Tungstenite};
use super::{polling, EngineIo, EngineResponse, Handler, Handshake, RequestError};
use crate::codec::Codec;
use crate::session::{Input, Session};
use crate::{DisconnectReason, TransportKind};

impl<H: Handler> EngineIo<H> {
    /// A new session: the reference's checks in its order, the id, then the open packet on
    /// the transport asked for.
    pub(super) async fn handshake(
        &self,
        parts: &mut http::request::Parts,
        query: &Query,
        transport: TransportKind,
    ) -> Result<EngineResponse, RequestError> {
        let config = &self.inner.config;
        if self.inner.sessions.is_closing() {
            // Checked again, atomically, when the slot is reserved; this spares the hook.
            return Err(RequestError::ShuttingDown);
        }
        let handshake = request::handshake(parts, query);
        if let Some(allow) = &config.allow_request {
            allow(&handshake)
                .await
                .map_err(|message| match message.is_empty() {
                    true => RequestError::Forbidden("Forbidden".into()),
                    false => RequestError::Forbidden(message),
                })?;
        }
        let protocol = request::check_version(query, &config.engine)?;
        let sid = self.session_id(&handshake).await?;
        // Taken before anything is answered and given back if the session never starts.
        let client = handshake
            .remote_addr
            .map(|addr| super::sessions::Client::of(addr.ip()));
        let quota = config.max_sessions_per_address.zip(client);
        let slot = self.inner.sessions.reserve(config.max_sessions, quota)?;
        let session =
            Session::with_protocol(sid.clone(), &config.engine, transport, protocol, now());
        let shared = Arc::new(Shared::new(session, handshake, config.engine.ping_timeout));
        let mut response = match transport {
            TransportKind::Polling => {
                let batch = shared.lock().take_batch(usize::MAX);
                let codec = shared.polling_codec();
                self.start(slot, shared);
                let compression = Compression::for_request(config.http_compression, &parts.headers);
                polling::payload_response(&batch.unwrap_or_default(), codec, compression)
            }
            TransportKind::WebSocket => {
                let upgrade = parts.extensions.remove::<OnUpgrade>();
                let response = websocket::switching_response(&parts.headers)?;
                let upgrade = upgrade.ok_or(RequestError::UpgradeUnavailable)?;
                let codec = shared.polling_codec();
                self.start_websocket(slot, shared, upgrade, codec);
                response
            }
        };
        let headers = response.headers_mut();
        for (name, value) in &config.handshake_headers {
            headers.append(name, value.clone());
        }
        if let Some(cookie) = config.cookie.as_ref().and_then(|c| c.to_header(&sid)) {
            headers.append(header::SET_COOKIE, cookie);
        }
        Ok(response)
    }

    /// The id of a new session: the generator's, checked, or a random one.
    async fn session_id(&self, handshake: &Handshake) -> Result<String, RequestError> {
        let Some(generate) = &self.inner.config.hooks.generate_id else {
            return Ok(request::new_sid());
        };
        let id = generate(handshake)
            .await
            .map_err(RequestError::IdGeneration)?;
        hooks::check_id(&id).map_err(RequestError::IdGeneration)?;
        // The reference would silently replace the session that has this id.
        if self.inner.sessions.get(&id).is_some() {
            return Err(RequestError::IdGeneration("the id is taken".into()));
        }
        Ok(id)
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
    fn start_websocket(&self, slot: Slot, shared: Arc<Shared>, upgrade: OnUpgrade, codec: Codec) {
        let engine = self.clone();
        let max = self.inner.config.engine.max_payload;
        tokio::spawn(async move {
            if let Some(ws) = Tungstenite::accept(upgrade, max, codec).await {
                shared.attach(Box::new(ws));
                engine.start(slot, shared);
            }
        });
    }
}
