//! The adapter's options, named after the Node adapters' options.

use std::time::Duration;

use fred::clients::Client;
use fred::types::config::{Config, ReconnectPolicy};
use fred::types::Builder;

use crate::error::Error;

/// Which protocol of `@socket.io/redis-adapter` the adapter speaks. Every node of a cluster must
/// speak the same one (and, in sharded mode, use the same [`SubscriptionMode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// `createAdapter(pub, sub, opts)`: `PUBLISH`/`PSUBSCRIBE`, the request and response
    /// channels, msgpack broadcasts and JSON requests.
    #[default]
    Classic,
    /// `createShardedAdapter(pub, sub, opts)`: Redis 7 sharded pub/sub (`SPUBLISH` /
    /// `SSUBSCRIBE`) carrying the `ClusterAdapter` messages.
    Sharded(SubscriptionMode),
}

/// The sharded adapter's `subscriptionMode`: which channel a broadcast to one room goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubscriptionMode {
    /// Everything on the namespace's main channel.
    Static,
    /// A broadcast to one room goes to that room's channel, unless the room name looks like a
    /// socket id (20 characters); each node subscribes to the channels of the rooms its sockets
    /// are in (Node's default).
    #[default]
    Dynamic,
    /// As [`SubscriptionMode::Dynamic`], socket-id rooms included.
    DynamicPrivate,
}

/// Options of the Redis adapter.
///
/// ```
/// use socketio_redis::{Mode, RedisAdapterConfig, SubscriptionMode};
/// let config = RedisAdapterConfig::new("redis://127.0.0.1:6379")
///     .mode(Mode::Sharded(SubscriptionMode::Dynamic))
///     .key("my-app");
/// assert_eq!(config.key_prefix(), "my-app");
/// ```
#[derive(Debug, Clone)]
pub struct RedisAdapterConfig {
    pub(crate) redis: RedisConfig,
    pub(crate) mode: Mode,
    pub(crate) key: String,
    pub(crate) requests_timeout: Duration,
    pub(crate) specific_response_channel: bool,
}

impl RedisAdapterConfig {
    /// The Node defaults (classic mode, key `socket.io`, 5 s request timeout) on Redis at
    /// `url` (`redis://host:port[/db]`, `rediss://` needs a TLS build of the client).
    pub fn new(url: &str) -> Self {
        Self {
            redis: RedisConfig::new(url),
            mode: Mode::Classic,
            key: "socket.io".to_owned(),
            requests_timeout: Duration::from_secs(5),
            specific_response_channel: false,
        }
    }

    /// The protocol (classic by default).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The prefix of every channel: `key` in classic mode, `channelPrefix` in sharded mode
    /// (`socket.io` by default). Nodes with different prefixes do not see each other.
    pub fn key(mut self, key: &str) -> Self {
        key.clone_into(&mut self.key);
        self
    }

    /// The prefix of every channel.
    pub fn key_prefix(&self) -> &str {
        &self.key
    }

    /// How long requests to the other nodes (fetch sockets, all rooms, server-side emits with
    /// an ack) wait for every answer: `requestsTimeout`, 5 s.
    pub fn requests_timeout(mut self, timeout: Duration) -> Self {
        self.requests_timeout = timeout;
        self
    }

    /// Classic mode's `publishOnSpecificResponseChannel`: answers go to the requester's own
    /// response channel instead of the shared one (off by default).
    pub fn publish_on_specific_response_channel(mut self, on: bool) -> Self {
        self.specific_response_channel = on;
        self
    }

    /// The delays between reconnection attempts after Redis went away: from `min` doubling up
    /// to `max` (100 ms to 2 s by default), forever.
    pub fn reconnect_delays(mut self, min: Duration, max: Duration) -> Self {
        self.redis.reconnect = (min, max);
        self
    }
}

/// How to reach Redis.
#[derive(Debug, Clone)]
pub(crate) struct RedisConfig {
    url: String,
    reconnect: (Duration, Duration),
}

/// Room in the client's queue of received messages: a burst larger than this, arriving faster
/// than the namespaces take it, loses messages (and says so in the log).
const RECEIVE_QUEUE: usize = 16 * 1024;

impl RedisConfig {
    pub(crate) fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            reconnect: (Duration::from_millis(100), Duration::from_secs(2)),
        }
    }

    /// The longest delay between two reconnection attempts (jitter aside).
    pub(crate) fn longest_reconnect_delay(&self) -> Duration {
        self.reconnect.1
    }

    /// A client (not connected yet) that reconnects forever.
    pub(crate) fn client(&self) -> Result<Client, Error> {
        let config = Config::from_url(&self.url)?;
        let millis = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
        let policy = ReconnectPolicy::new_exponential(
            0,
            millis(self.reconnect.0),
            millis(self.reconnect.1),
            2,
        );
        let client = Builder::from_config(config)
            .set_policy(policy)
            .with_performance_config(|perf| perf.broadcast_channel_capacity = RECEIVE_QUEUE)
            .build()?;
        Ok(client)
    }
}
