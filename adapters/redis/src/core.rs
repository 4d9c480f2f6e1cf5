//! What the classic and the sharded adapter of one namespace both hold.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use socketio::adapter::{AdapterError, LocalNamespace};
use socketio::packet::NamespaceName;

use crate::config::RedisAdapterConfig;
use crate::error::Error;
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
    local: OnceLock<Weak<dyn LocalNamespace>>,
    /// The last number of servers Redis gave.
    last_count: AtomicUsize,
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
            pending: Pending::new(config.max_pending_requests),
            config,
            local: OnceLock::new(),
            last_count: AtomicUsize::new(1),
        }
    }

    /// The namespace, once the adapter started and while it exists.
    pub(crate) fn local(&self) -> Option<Arc<dyn LocalNamespace>> {
        self.local.get().and_then(Weak::upgrade)
    }

    /// Keeps the namespace (the first one given: `init` runs once).
    pub(crate) fn set_local(&self, local: Weak<dyn LocalNamespace>) {
        if self.local.set(local).is_err() {
            tracing::warn!(nsp = %self.nsp.as_str(), "adapter started twice: keeping the first namespace");
        }
    }

    /// How many servers listen on `channel`, this one included (at least this one: right
    /// after start-up Redis may not count its subscription yet).
    pub(crate) async fn count_servers(&self, channel: &str, sharded: bool) -> Result<usize, Error> {
        let count = self.hub.subscribers(channel, sharded).await?.max(1);
        self.last_count.store(count, Ordering::Relaxed);
        Ok(count)
    }

    /// [`Core::count_servers`], or when Redis does not answer within the command timeout,
    /// the last count it gave (1 before any), with the failure traced: the other servers did
    /// not go away because this one cannot reach Redis, so a request that counts on them
    /// fails rather than succeeds with nobody asked.
    pub(crate) async fn server_count(&self, channel: &str, sharded: bool) -> usize {
        match self.count_servers(channel, sharded).await {
            Ok(count) => count,
            Err(error) => {
                let last = self.last_count.load(Ordering::Relaxed);
                tracing::warn!(%error, last, "cannot count the servers: answering the last count");
                last
            }
        }
    }

    /// [`Core::count_servers`] for a request that cannot go on without the count.
    pub(crate) async fn servers_for_request(
        &self,
        channel: &str,
        sharded: bool,
    ) -> Result<usize, AdapterError> {
        self.count_servers(channel, sharded).await.map_err(|error| {
            tracing::warn!(%error, "cannot count the servers: request refused");
            AdapterError::Transport(format!("cannot count the servers: {error}"))
        })
    }

    /// Publishes a message that waits for no answer, returning the refusal as the socketio
    /// layer sees it.
    pub(crate) fn publish(
        &self,
        channel: String,
        payload: Vec<u8>,
        sharded: bool,
    ) -> Result<(), AdapterError> {
        self.hub
            .publish(channel, payload, sharded)
            .map_err(|error| error.to_adapter())
    }

    /// Publishes an answer to another node's request ([`Hub::publish_answer`]).
    pub(crate) fn publish_answer(&self, channel: String, payload: Vec<u8>, sharded: bool) {
        self.hub.publish_answer(channel, payload, sharded);
    }

    /// Publishes a request registered as `id` in [`Core::pending`]; on a refusal the request
    /// is forgotten and the refusal returned. Refused at once while Redis does not answer.
    pub(crate) fn publish_request(
        &self,
        id: &str,
        channel: String,
        payload: Vec<u8>,
        sharded: bool,
    ) -> Result<(), AdapterError> {
        let sent = self
            .hub
            .reachable()
            .and_then(|()| self.hub.publish(channel, payload, sharded));
        sent.map_err(|error| {
            self.pending.forget(id);
            tracing::warn!(%error, nsp = %self.nsp.as_str(), "request to the other servers refused");
            error.to_adapter()
        })
    }
}
