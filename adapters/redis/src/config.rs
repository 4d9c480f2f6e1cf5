//! The adapter's options, named after the Node adapters' options where Node has them.

use std::time::Duration;

use fred::clients::Client;
use fred::types::config::{Config, ReconnectPolicy, UnresponsiveConfig};
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
/// use std::time::Duration;
/// use socketio_redis::{Mode, RedisAdapterConfig, SubscriptionMode};
/// let config = RedisAdapterConfig::new("redis://127.0.0.1:6379")
///     .mode(Mode::Sharded(SubscriptionMode::Dynamic))
///     .key("my-app")
///     .command_timeout(Duration::from_secs(2))
///     .publish_queue(4096, 4 * 1024 * 1024);
/// assert_eq!(config.key_prefix(), "my-app");
/// ```
#[derive(Debug, Clone)]
pub struct RedisAdapterConfig {
    pub(crate) redis: RedisConfig,
    pub(crate) mode: Mode,
    pub(crate) key: String,
    pub(crate) requests_timeout: Duration,
    pub(crate) specific_response_channel: bool,
    pub(crate) queue: QueueLimits,
    pub(crate) max_pending_requests: usize,
}

/// How much the publish queue holds (see [`RedisAdapterConfig::publish_queue`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueLimits {
    pub(crate) messages: usize,
    pub(crate) bytes: usize,
}

/// The default limits of the publish queue.
pub(crate) const DEFAULT_QUEUE: QueueLimits = QueueLimits {
    messages: 64 * 1024,
    bytes: 16 * 1024 * 1024,
};

/// The default number of requests one namespace's adapter waits answers for at once.
pub(crate) const DEFAULT_MAX_PENDING: usize = 16 * 1024;

impl RedisAdapterConfig {
    /// The Node defaults (classic mode, key `socket.io`, 5 s request timeout) on Redis at
    /// `url` (`redis://host:port[/db]`, `rediss://` needs a TLS build of the client), with
    /// this adapter's limits: a 3 s command timeout, a publish queue of 65 536 messages and
    /// 16 MiB, 16 384 pending requests per namespace.
    pub fn new(url: &str) -> Self {
        Self {
            redis: RedisConfig::new(url),
            mode: Mode::Classic,
            key: "socket.io".to_owned(),
            requests_timeout: Duration::from_secs(5),
            specific_response_channel: false,
            queue: DEFAULT_QUEUE,
            max_pending_requests: DEFAULT_MAX_PENDING,
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

    /// How long one Redis command (a pipeline of publishes, counting the servers, a
    /// subscription, the unsubscriptions of `close`) waits for its answer, the wait for a
    /// reconnection included: 3 s by default. It also bounds connecting (and each reconnection
    /// attempt), and a connection that leaves a command unanswered that long is dropped and
    /// made again. Node's client has no such timeout.
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.redis.command_timeout = timeout.max(Duration::from_millis(10));
        self
    }

    /// How much the publish queue holds: at most `messages` messages and `bytes` bytes (65 536
    /// and 16 MiB by default). A message counts from the moment the adapter takes it until the
    /// Redis client lets go of it (answered, failed or timed out), its channel and payload
    /// plus 256 bytes. A message that does not fit is refused, and the operation that
    /// published it fails with an [`AdapterError`](socketio::adapter::AdapterError); the queued
    /// ones keep their place. At least one message and one byte.
    pub fn publish_queue(mut self, messages: usize, bytes: usize) -> Self {
        self.queue = QueueLimits {
            messages: messages.clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
            bytes: bytes.clamp(1, u32::MAX as usize),
        };
        self
    }

    /// How many requests (fetch sockets, all rooms, server-side emits with an ack, broadcasts
    /// with acks) one namespace's adapter waits answers for at once: 16 384 by default. A
    /// request past that fails at once with an
    /// [`AdapterError`](socketio::adapter::AdapterError).
    pub fn max_pending_requests(mut self, requests: usize) -> Self {
        self.max_pending_requests = requests.max(1);
        self
    }
}

/// How to reach Redis.
#[derive(Debug, Clone)]
pub(crate) struct RedisConfig {
    url: String,
    reconnect: (Duration, Duration),
    pub(crate) command_timeout: Duration,
}

/// Room in the client's queue of received messages: a burst larger than this, arriving faster
/// than the namespaces take it, loses its oldest messages (and says so in the log).
pub(crate) const RECEIVE_QUEUE: usize = 16 * 1024;

/// How many commands the client holds that it has not written yet (while it reconnects, or
/// while the connection does not take more); one past that fails at once with a
/// backpressure error. A pipeline of publishes counts as one.
pub(crate) const COMMAND_BUFFER: usize = 4096;

impl RedisConfig {
    pub(crate) fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            reconnect: (Duration::from_millis(100), Duration::from_secs(2)),
            command_timeout: Duration::from_secs(3),
        }
    }

    /// A client (not connected yet) that reconnects forever, bounds each command by the
    /// command timeout, and sends each command once: a command in flight when its connection
    /// drops fails rather than going out twice (as node-redis does with the commands it
    /// already wrote).
    pub(crate) fn client(&self) -> Result<Client, Error> {
        let config = Config::from_url(&self.url)?;
        let millis = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
        let policy = ReconnectPolicy::new_exponential(
            0,
            millis(self.reconnect.0),
            millis(self.reconnect.1),
            2,
        );
        let timeout = self.command_timeout;
        let client = Builder::from_config(config)
            .set_policy(policy)
            .with_performance_config(|perf| {
                perf.broadcast_channel_capacity = RECEIVE_QUEUE;
                perf.default_command_timeout = timeout;
            })
            .with_connection_config(|connection| {
                connection.connection_timeout = timeout;
                connection.internal_command_timeout = timeout;
                connection.max_command_attempts = 1;
                connection.max_command_buffer_len = COMMAND_BUFFER;
                connection.unresponsive = UnresponsiveConfig {
                    max_timeout: Some(timeout),
                    interval: (timeout / 4).max(Duration::from_millis(10)),
                };
            })
            .build()?;
        Ok(client)
    }
}
