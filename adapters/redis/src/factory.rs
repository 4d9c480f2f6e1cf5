//! The factory a server is built with: one per server, shared by its namespaces.

use std::sync::Arc;

use socketio::adapter::{Adapter, AdapterFactory};
use socketio::packet::NamespaceName;

use crate::classic::ClassicAdapter;
use crate::config::{Mode, RedisAdapterConfig};
use crate::core::Core;
use crate::error::Error;
use crate::hub::Hub;
use crate::ids::uid2;
use crate::sharded::{self, ShardedAdapter};

/// Makes the Redis adapter of each namespace of a server; holds the server's two Redis
/// connections (one publishing, one subscribed), as Node's `pubClient` and `subClient`.
///
/// ```no_run
/// use socketio::server::SocketIo;
/// use socketio_redis::{RedisAdapterConfig, RedisAdapterFactory};
///
/// # async fn run() -> Result<(), socketio_redis::Error> {
/// let config = RedisAdapterConfig::new("redis://127.0.0.1:6379");
/// let factory = RedisAdapterFactory::connect(config).await?;
/// let io = SocketIo::builder().adapter(factory.clone()).build();
/// // ... serve io; at the end:
/// io.close().await;
/// factory.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisAdapterFactory {
    hub: Arc<Hub>,
    config: Arc<RedisAdapterConfig>,
}

impl RedisAdapterFactory {
    /// Connects to Redis. The connections come back by themselves after Redis went away
    /// (see the crate's README for what is lost meanwhile).
    pub async fn connect(config: RedisAdapterConfig) -> Result<Self, Error> {
        let hub = Hub::connect(&config.redis, config.queue).await?;
        Ok(Self {
            hub,
            config: Arc::new(config),
        })
    }

    /// The options.
    pub fn config(&self) -> &RedisAdapterConfig {
        &self.config
    }

    /// What the publish queue holds now: messages and bytes taken and not yet let go of by the
    /// Redis client (see [`RedisAdapterConfig::publish_queue`]).
    pub fn queued(&self) -> Queued {
        let (messages, bytes) = self.hub.queued();
        Queued { messages, bytes }
    }

    /// Closes the connections (after the server closed: its adapters unsubscribe then), within
    /// the command timeout.
    pub async fn shutdown(&self) {
        self.hub.shutdown().await;
    }
}

/// What the publish queue holds ([`RedisAdapterFactory::queued`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Queued {
    /// Messages.
    pub messages: usize,
    /// Bytes, counted as the limit counts them.
    pub bytes: usize,
}

impl AdapterFactory for RedisAdapterFactory {
    fn create(&self, namespace: &NamespaceName) -> Box<dyn Adapter> {
        let (hub, config) = (self.hub.clone(), self.config.clone());
        match self.config.mode {
            Mode::Classic => {
                let core = Core::new(hub, namespace.clone(), uid2(), config);
                Box::new(ClassicAdapter::new(core))
            }
            Mode::Sharded(mode) => {
                let core = Core::new(hub, namespace.clone(), sharded::uid(), config);
                Box::new(ShardedAdapter::new(core, mode))
            }
        }
    }
}
