//! The Redis connections one server shares between its namespaces, as Node shares its `pub` and
//! `sub` clients: one connection publishes (and asks `PUBSUB NUMSUB`), one subscribes.
//!
//! Sharing one subscriber is what makes the server counted once: Node counts servers with
//! `PUBSUB NUMSUB` (or `SHARDNUMSUB`) on a namespace's channel, which counts subscribed
//! connections, so each server must hold exactly one subscription per channel.
//!
//! Publishing goes through a bounded queue to one task ([`crate::outbox`], where its overflow
//! policy is written). Every command is bounded by the command timeout
//! ([`crate::config::RedisConfig::client`]); the outcome of the publishing connection's last
//! command is kept ([`Health`]), so that requests that wait for answers fail at once while
//! Redis does not answer. Received messages wait in the client's broadcast queue
//! ([`crate::config::RECEIVE_QUEUE`] messages): when the namespaces fall that far behind, the
//! oldest are lost and the number lost is traced.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use fred::clients::Client;
use fred::interfaces::{ClientLike, EventInterface, PubsubInterface};
use fred::types::{ConnectHandle, Message};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use crate::config::{QueueLimits, RedisConfig};
use crate::error::Error;
use crate::outbox::{publish_loop, Health, Outbox};

/// Receives the messages of the channels it subscribed to.
pub(crate) trait Listener: Send + Sync + 'static {
    /// A message on `channel`.
    fn on_message(&self, channel: &str, payload: &[u8]);
}

/// The three kinds of subscriptions Redis has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// `SUBSCRIBE`: one channel.
    Channel,
    /// `PSUBSCRIBE`: a glob pattern; the routes here only use `prefix*` patterns.
    Pattern,
    /// `SSUBSCRIBE`: a shard channel (Redis 7 sharded pub/sub).
    Shard,
}

#[derive(Default)]
struct Routes {
    /// Channels and shard channels, by name.
    exact: HashMap<String, Arc<dyn Listener>>,
    /// `prefix*` patterns, by prefix.
    prefixes: Vec<(String, Arc<dyn Listener>)>,
}

impl Routes {
    /// Removes `listener`'s routes of `channels`; the channels no listener is routed to any
    /// more.
    fn remove(
        &mut self,
        kind: Kind,
        channels: Vec<String>,
        listener: &Arc<dyn Listener>,
    ) -> Vec<String> {
        let same = |other: &Arc<dyn Listener>| {
            std::ptr::addr_eq(Arc::as_ptr(other), Arc::as_ptr(listener))
        };
        channels
            .into_iter()
            .filter(|channel| match kind {
                Kind::Pattern => {
                    let prefix = channel.trim_end_matches('*');
                    self.prefixes.retain(|(p, l)| !(p == prefix && same(l)));
                    !self.prefixes.iter().any(|(p, _)| p == prefix)
                }
                Kind::Channel | Kind::Shard => match self.exact.get(channel) {
                    Some(routed) if same(routed) => {
                        self.exact.remove(channel);
                        true
                    }
                    Some(_) => false,
                    // Not routed: unsubscribing again does no harm.
                    None => true,
                },
            })
            .collect()
    }
}

/// The shared publisher and subscriber of one server.
pub(crate) struct Hub {
    publisher: Client,
    subscriber: Client,
    outbox: Outbox,
    health: Arc<Health>,
    routes: RwLock<Routes>,
    /// What is subscribed, to subscribe again after a reconnection.
    tracked: Mutex<HashMap<Kind, BTreeSet<String>>>,
    /// Orders the changes of subscriptions: a change decides under the routes' lock which
    /// commands Redis must get, and those commands must reach Redis in the order of the
    /// decisions (else a namespace made anew while its predecessor unsubscribes could see
    /// its `SUBSCRIBE` overtaken by the predecessor's `UNSUBSCRIBE`). An async mutex held
    /// across the commands, each bounded by the command timeout; no other lock is held then.
    changes: tokio::sync::Mutex<()>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// The clients' connection tasks, ended by [`Hub::shutdown`].
    connections: Mutex<Vec<ConnectHandle>>,
}

impl Hub {
    /// Connects both clients and starts the publishing, dispatching and resubscribing tasks.
    pub(crate) async fn connect(
        config: &RedisConfig,
        queue: QueueLimits,
    ) -> Result<Arc<Self>, Error> {
        let publisher = config.client()?;
        let subscriber = config.client()?;
        let publishing = publisher.init().await?;
        let subscribing = match subscriber.init().await {
            Ok(task) => task,
            Err(error) => {
                // Else the publisher would go on reconnecting for nobody.
                publishing.abort();
                return Err(error.into());
            }
        };
        let connections = vec![publishing, subscribing];
        let health = Arc::new(Health::default());
        let (outbox, queue) = Outbox::new(queue, health.clone());
        let hub = Arc::new(Self {
            publisher: publisher.clone(),
            subscriber: subscriber.clone(),
            outbox,
            health: health.clone(),
            routes: RwLock::default(),
            tracked: Mutex::default(),
            changes: tokio::sync::Mutex::new(()),
            tasks: Mutex::default(),
            connections: Mutex::new(connections),
        });
        let tasks = vec![
            tokio::spawn(publish_loop(publisher, queue, health)),
            tokio::spawn(dispatch_loop(Arc::downgrade(&hub), subscriber.message_rx())),
            tokio::spawn(resubscribe_loop(Arc::downgrade(&hub))),
        ];
        lock(&hub.tasks).extend(tasks);
        Ok(hub)
    }

    /// Queues a message for `PUBLISH` (or `SPUBLISH` when `sharded`); refused when the queue
    /// is full ([`crate::outbox`]). Never waits.
    pub(crate) fn publish(
        &self,
        channel: String,
        payload: Vec<u8>,
        sharded: bool,
    ) -> Result<(), Error> {
        self.outbox.push(channel, payload, sharded)
    }

    /// Publishes an answer to another node's request. Nobody on this node waits for it, so a
    /// refusal is traced here (the queue traces the first of a run as well), and the
    /// requester times out.
    pub(crate) fn publish_answer(&self, channel: String, payload: Vec<u8>, sharded: bool) {
        if let Err(error) = self.outbox.push(channel, payload, sharded) {
            tracing::debug!(%error, "answer to another server dropped");
        }
    }

    /// Messages and bytes the publish queue holds.
    pub(crate) fn queued(&self) -> (usize, usize) {
        self.outbox.held()
    }

    /// Fails while the last command on the publishing connection failed: a request that waits
    /// for answers would only time out.
    pub(crate) fn reachable(&self) -> Result<(), Error> {
        match self.health.last_failure() {
            Some(cause) => Err(Error::Unreachable(cause)),
            None => Ok(()),
        }
    }

    /// `PUBSUB NUMSUB` (or `SHARDNUMSUB` when `sharded`) of one channel: the servers listening.
    /// While the connection is down the client holds the command until it is back, as Node's
    /// client does, but only up to the command timeout.
    pub(crate) async fn subscribers(&self, channel: &str, sharded: bool) -> Result<usize, Error> {
        let reply: Result<fred::types::Value, _> = match sharded {
            true => self.publisher.pubsub_shardnumsub(channel).await,
            false => self.publisher.pubsub_numsub(channel).await,
        };
        match reply {
            Ok(reply) => {
                self.health.succeeded();
                Ok(count_of(&reply))
            }
            Err(error) => {
                self.health.failed(&error);
                Err(error.into())
            }
        }
    }

    /// Routes `channels` to `listener`, then subscribes to them. A channel routed to another
    /// listener before (a namespace's predecessor that is closing) is routed to this one now.
    pub(crate) async fn subscribe(
        &self,
        kind: Kind,
        channels: Vec<String>,
        listener: Arc<dyn Listener>,
    ) -> Result<(), Error> {
        let _ordered = self.changes.lock().await;
        {
            let mut routes = write(&self.routes);
            for channel in &channels {
                match kind {
                    Kind::Pattern => {
                        let prefix = channel.trim_end_matches('*').to_owned();
                        routes.prefixes.push((prefix, listener.clone()));
                    }
                    Kind::Channel | Kind::Shard => {
                        routes.exact.insert(channel.clone(), listener.clone());
                    }
                }
            }
        }
        lock(&self.tracked)
            .entry(kind)
            .or_default()
            .extend(channels.iter().cloned());
        self.send_subscribe(kind, channels).await
    }

    /// Forgets `listener`'s routes of `channels`, and unsubscribes from those no other
    /// listener took meanwhile.
    pub(crate) async fn unsubscribe(
        &self,
        kind: Kind,
        channels: Vec<String>,
        listener: &Arc<dyn Listener>,
    ) -> Result<(), Error> {
        let _ordered = self.changes.lock().await;
        let gone = write(&self.routes).remove(kind, channels, listener);
        if let Some(set) = lock(&self.tracked).get_mut(&kind) {
            gone.iter().for_each(|channel| {
                set.remove(channel);
            });
        }
        if gone.is_empty() {
            return Ok(());
        }
        match kind {
            Kind::Channel => self.subscriber.unsubscribe(gone).await?,
            Kind::Pattern => self.subscriber.punsubscribe(gone).await?,
            Kind::Shard => self.subscriber.sunsubscribe(gone).await?,
        }
        Ok(())
    }

    async fn send_subscribe(&self, kind: Kind, channels: Vec<String>) -> Result<(), Error> {
        if channels.is_empty() {
            // Redis refuses a SUBSCRIBE without a channel.
            return Ok(());
        }
        match kind {
            Kind::Channel => self.subscriber.subscribe(channels).await?,
            Kind::Pattern => self.subscriber.psubscribe(channels).await?,
            Kind::Shard => self.subscriber.ssubscribe(channels).await?,
        }
        if kind != Kind::Shard {
            // The client does not wait for the confirmation of SUBSCRIBE and PSUBSCRIBE (it
            // waits for SSUBSCRIBE's). Redis answers a connection's commands in order, so the
            // answer to a PING sent after them means they are in place: a server is counted
            // by the others once its adapter started.
            let _: fred::types::Value = self.subscriber.ping(None).await?;
        }
        Ok(())
    }

    /// Subscribes again to everything tracked: a new connection has none of the old one's.
    async fn resubscribe(&self) {
        let tracked = lock(&self.tracked).clone();
        for (kind, channels) in tracked {
            let channels: Vec<String> = channels.into_iter().collect();
            if let Err(error) = self.send_subscribe(kind, channels).await {
                tracing::warn!(%error, "resubscribing after a Redis reconnection failed");
            }
        }
    }

    fn dispatch(&self, message: &Message) {
        let Some(payload) = message.value.as_bytes() else {
            return;
        };
        let channel: &str = &message.channel;
        let listeners: Vec<Arc<dyn Listener>> = {
            let routes = read(&self.routes);
            match routes.exact.get(channel) {
                Some(listener) => vec![listener.clone()],
                None => routes
                    .prefixes
                    .iter()
                    .filter(|(prefix, _)| channel.starts_with(prefix.as_str()))
                    .map(|(_, listener)| listener.clone())
                    .collect(),
            }
        };
        listeners
            .iter()
            .for_each(|listener| listener.on_message(channel, payload));
    }

    /// Stops the tasks and closes both connections, within the command timeout: a `QUIT`
    /// that gets no answer is traced and its connection ended anyway.
    pub(crate) async fn shutdown(&self) {
        lock(&self.tasks).drain(..).for_each(|task| task.abort());
        let (subscriber, publisher) = tokio::join!(self.subscriber.quit(), self.publisher.quit());
        for (connection, result) in [("subscriber", subscriber), ("publisher", publisher)] {
            if let Err(error) = result {
                tracing::warn!(%error, connection, "Redis QUIT failed: closing the connection anyway");
            }
        }
        // Without this a connection whose QUIT went unanswered would go on reconnecting.
        lock(&self.connections)
            .drain(..)
            .for_each(|task| task.abort());
    }
}

/// The count of a `PUBSUB NUMSUB channel` reply: `[channel, count]`.
fn count_of(reply: &fred::types::Value) -> usize {
    use fred::types::Value;
    let count = match reply {
        Value::Array(items) => items.get(1).and_then(Value::as_u64),
        Value::Map(map) => map.values().next().and_then(Value::as_u64),
        _ => None,
    };
    count.and_then(|c| usize::try_from(c).ok()).unwrap_or(0)
}

/// Hands every received message to its listener, in the order Redis sent them.
async fn dispatch_loop(
    hub: std::sync::Weak<Hub>,
    mut messages: tokio::sync::broadcast::Receiver<Message>,
) {
    loop {
        match messages.recv().await {
            Ok(message) => match hub.upgrade() {
                Some(hub) => hub.dispatch(&message),
                None => return,
            },
            Err(RecvError::Lagged(lost)) => {
                tracing::warn!(lost, "the Redis subscriber fell behind: messages lost");
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Subscribes again after each reconnection of the subscriber.
async fn resubscribe_loop(hub: std::sync::Weak<Hub>) {
    let Some(mut reconnections) = hub.upgrade().map(|hub| hub.subscriber.reconnect_rx()) else {
        return;
    };
    loop {
        match reconnections.recv().await {
            Ok(_) | Err(RecvError::Lagged(_)) => match hub.upgrade() {
                Some(hub) => hub.resubscribe().await,
                None => return,
            },
            Err(RecvError::Closed) => return,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}
