//! What the classic and the sharded adapter of one namespace both hold.

use std::sync::{Arc, OnceLock};

use socketio::adapter::LocalNamespace;
use socketio::packet::NamespaceName;

use crate::config::RedisAdapterConfig;
use crate::hub::Hub;
use crate::requests::Pending;

/// One namespace's adapter state.
pub(crate) struct Core {
    /// The server's shared connections.
    pub(crate) hub: Arc<Hub>,
    /// The namespace.
    pub(crate) nsp: NamespaceName,
    /// This node's id in this namespace (each namespace has its own, as in Node).
    pub(crate) uid: String,
    /// The options.
    pub(crate) config: Arc<RedisAdapterConfig>,
    /// The requests waiting for answers.
    pub(crate) pending: Pending,
    /// Where operations from other nodes are applied; set by `init`.
    local: OnceLock<Arc<dyn LocalNamespace>>,
}

impl Core {
    pub(crate) fn new(
        hub: Arc<Hub>,
        nsp: NamespaceName,
        uid: String,
        config: Arc<RedisAdapterConfig>,
    ) -> Self {
        Self {
            hub,
            nsp,
            uid,
            config,
            pending: Pending::default(),
            local: OnceLock::new(),
        }
    }

    /// The namespace, once the adapter started.
    pub(crate) fn local(&self) -> Option<&Arc<dyn LocalNamespace>> {
        self.local.get()
    }

    /// Keeps the namespace (the first one given: `init` runs once).
    pub(crate) fn set_local(&self, local: Arc<dyn LocalNamespace>) {
        let _ = self.local.set(local);
    }

    /// How many servers listen on `channel`, this one included (at least this one: right
    /// after start-up Redis may not count its subscription yet).
    pub(crate) async fn server_count(&self, channel: &str, sharded: bool) -> usize {
        match self.hub.subscribers(channel, sharded).await {
            Ok(count) => count.max(1),
            Err(error) => {
                tracing::warn!(%error, "cannot count the servers: counting this one only");
                1
            }
        }
    }
}
