//! Publishing from outside any server, byte for byte as `@socket.io/redis-emitter` 5.1.0 does
//! (the classic adapter's channels; the Node emitter has no sharded mode, nor has this one).
//!
//! Its messages carry the uid `emitter` (or none for join, leave and disconnect), which no
//! node takes for its own, so every node applies them, and Node never counts it as a server.

use std::sync::Arc;

use fred::clients::Client;
use fred::interfaces::{ClientLike, PubsubInterface};
use rmpv::Value as Mp;
use serde::Serialize;
use socketio::adapter::BroadcastOptions;
use socketio::room::Room;

use crate::classic::request;
use crate::config::RedisConfig;
use crate::error::Error;
use crate::value::{encode_json, encode_msgpack, map};
use crate::wire::{emitter_opts_to_mp, event_data, rooms_to_mp, selection_to_mp, single_room};

/// The uid the emitter signs its messages with.
const UID: &str = "emitter";

/// An emitter: a Redis connection and a namespace of the cluster. Each call waits for Redis's
/// answer at most the command timeout (3 s, the wait for a reconnection included) and fails
/// with [`Error::Redis`] past it.
///
/// ```no_run
/// # async fn run() -> Result<(), socketio_redis::Error> {
/// let emitter = socketio_redis::Emitter::connect("redis://127.0.0.1:6379").await?;
/// emitter.to("room1").except("room2").emit("news", &("hello",)).await?;
/// emitter.of("/admin").sockets_join(&["audit"]).await?;
/// emitter.server_side_emit("reload", &(1,)).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Emitter {
    client: Client,
    key: Arc<str>,
    nsp: Arc<str>,
}

/// A selection of sockets and flags for an emitter's operation.
#[derive(Clone)]
pub struct EmitterOperator {
    emitter: Emitter,
    opts: BroadcastOptions,
}

impl Emitter {
    /// Connects to Redis at `url`, with the key `socket.io` and the main namespace.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let client = RedisConfig::new(url).client()?;
        // The connection task runs on its own; the client reaches it.
        drop(client.init().await?);
        Ok(Self {
            client,
            key: Arc::from("socket.io"),
            nsp: Arc::from("/"),
        })
    }

    /// The same emitter with another key (the adapters' `key`).
    pub fn with_key(&self, key: &str) -> Self {
        Self {
            key: Arc::from(key),
            ..self.clone()
        }
    }

    /// The same emitter on namespace `nsp` (a `/` is added in front when missing).
    pub fn of(&self, nsp: &str) -> Self {
        let nsp = match nsp.starts_with('/') {
            true => nsp.to_owned(),
            false => format!("/{nsp}"),
        };
        Self {
            nsp: Arc::from(nsp),
            ..self.clone()
        }
    }

    fn operator(&self) -> EmitterOperator {
        EmitterOperator {
            emitter: self.clone(),
            opts: BroadcastOptions::default(),
        }
    }

    /// Targets the sockets in `room`.
    pub fn to(&self, room: &str) -> EmitterOperator {
        self.operator().to(room)
    }

    /// Targets every socket but those in `room`.
    pub fn except(&self, room: &str) -> EmitterOperator {
        self.operator().except(room)
    }

    /// Emits to every socket of the namespace.
    pub async fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), Error> {
        self.operator().emit(event, args).await
    }

    /// Makes every socket of the namespace join `rooms`.
    pub async fn sockets_join(&self, rooms: &[&str]) -> Result<(), Error> {
        self.operator().sockets_join(rooms).await
    }

    /// Makes every socket of the namespace leave `rooms`.
    pub async fn sockets_leave(&self, rooms: &[&str]) -> Result<(), Error> {
        self.operator().sockets_leave(rooms).await
    }

    /// Disconnects every socket of the namespace (their connections too with `close`).
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), Error> {
        self.operator().disconnect_sockets(close).await
    }

    /// Runs the server-side listeners of `event` on every server (no acknowledgement: the
    /// Node emitter refuses them too).
    pub async fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), Error> {
        let args = socketio::to_payload(args)?.into_args_list();
        let message = map([
            ("uid", Mp::from(UID)),
            ("type", Mp::from(request::SERVER_SIDE_EMIT)),
            ("data", event_data(event, &args)),
        ]);
        self.publish(self.request_channel(), encode_json(&message))
            .await
    }

    fn broadcast_channel(&self) -> String {
        format!("{}#{}#", self.key, self.nsp)
    }

    fn request_channel(&self) -> String {
        format!("{}-request#{}#", self.key, self.nsp)
    }

    async fn publish(&self, channel: String, payload: Vec<u8>) -> Result<(), Error> {
        let _: fred::types::Value = self
            .client
            .publish(channel, bytes::Bytes::from(payload))
            .await?;
        Ok(())
    }

    /// Closes the connection (within the command timeout, 3 s; a `QUIT` that gets no answer
    /// is traced).
    pub async fn close(&self) {
        if let Err(error) = self.client.quit().await {
            tracing::warn!(%error, "Redis QUIT failed");
        }
    }
}

/// Arguments as a list: a tuple serializes as one, anything else becomes the only argument.
trait ArgsList {
    fn into_args_list(self) -> socketio::Payload;
}

impl ArgsList for socketio::Payload {
    fn into_args_list(self) -> socketio::Payload {
        match self.value() {
            serde_json::Value::Array(_) => self,
            _ => {
                let (value, attachments) = self.into_parts();
                let list = serde_json::Value::Array(vec![value]);
                socketio::Payload::new(list.clone(), attachments)
                    .unwrap_or_else(|_| socketio::Payload::from(list))
            }
        }
    }
}

impl EmitterOperator {
    /// Adds a target room.
    pub fn to(mut self, room: &str) -> Self {
        self.opts.rooms.push(Room::from(room));
        self
    }

    /// Excludes the sockets in `room`.
    pub fn except(mut self, room: &str) -> Self {
        self.opts.except.push(Room::from(room));
        self
    }

    /// The `volatile` flag.
    pub fn volatile(mut self) -> Self {
        self.opts.flags.volatile = Some(true);
        self
    }

    /// The `compress` flag.
    pub fn compress(mut self, compress: bool) -> Self {
        self.opts.flags.compress = Some(compress);
        self
    }

    /// Emits `event` with `args` (a tuple for several arguments) to the selected sockets.
    pub async fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), Error> {
        if socketio::packet::is_reserved_event(event) {
            return Err(Error::Reserved(event.to_owned()));
        }
        let args = socketio::to_payload(args)?.into_args_list();
        let emitter = &self.emitter;
        let packet = map([
            ("type", Mp::from(2)),
            ("data", event_data(event, &args)),
            ("nsp", Mp::from(&*emitter.nsp)),
        ]);
        let message = Mp::Array(vec![Mp::from(UID), packet, emitter_opts_to_mp(&self.opts)]);
        let channel = match single_room(&self.opts) {
            Some(room) => format!("{}{room}#", emitter.broadcast_channel()),
            None => emitter.broadcast_channel(),
        };
        emitter.publish(channel, encode_msgpack(&message)).await
    }

    async fn rooms_request(&self, kind: u64, rooms: &[&str]) -> Result<(), Error> {
        let rooms: Vec<Room> = rooms.iter().map(|room| Room::from(*room)).collect();
        let message = map([
            ("type", Mp::from(kind)),
            ("opts", selection_to_mp(&self.opts)),
            ("rooms", rooms_to_mp(&rooms)),
        ]);
        let channel = self.emitter.request_channel();
        self.emitter.publish(channel, encode_json(&message)).await
    }

    /// Makes the selected sockets join `rooms`.
    pub async fn sockets_join(&self, rooms: &[&str]) -> Result<(), Error> {
        self.rooms_request(request::REMOTE_JOIN, rooms).await
    }

    /// Makes the selected sockets leave `rooms`.
    pub async fn sockets_leave(&self, rooms: &[&str]) -> Result<(), Error> {
        self.rooms_request(request::REMOTE_LEAVE, rooms).await
    }

    /// Disconnects the selected sockets (their connections too with `close`).
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), Error> {
        let message = map([
            ("type", Mp::from(request::REMOTE_DISCONNECT)),
            ("opts", selection_to_mp(&self.opts)),
            ("close", Mp::Boolean(close)),
        ]);
        let channel = self.emitter.request_channel();
        self.emitter.publish(channel, encode_json(&message)).await
    }
}
