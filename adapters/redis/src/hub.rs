//! The Redis connections one server shares between its namespaces, as Node shares its `pub` and
//! `sub` clients: one connection publishes (and asks `PUBSUB NUMSUB`), one subscribes.
//!
//! Sharing one subscriber is what makes the server counted once: Node counts servers with
//! `PUBSUB NUMSUB` (or `SHARDNUMSUB`) on a namespace's channel, which counts subscribed
//! connections, so each server must hold exactly one subscription per channel.
//!
//! Publishing goes through a queue to one task ([`crate::outbox`]), which holds a bounded
//! amount while the connection is down (`adapters/redis/README.md` says what is lost).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use fred::clients::Client;
use fred::interfaces::{ClientLike, EventInterface, PubsubInterface};
use fred::types::Message;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::RedisConfig;
use crate::error::Error;
use crate::outbox::{connected, publish_loop, Outgoing};

/// How long counting the servers may wait for the reconnection beyond the longest delay
/// between two attempts, before this server counts itself alone.
const COUNT_MARGIN: std::time::Duration = std::time::Duration::from_secs(1);

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

/// The shared publisher and subscriber of one server.
pub(crate) struct Hub {
    publisher: Client,
    subscriber: Client,
    outgoing: mpsc::UnboundedSender<Outgoing>,
    routes: RwLock<Routes>,
    /// What is subscribed, to subscribe again after a reconnection.
    tracked: Mutex<HashMap<Kind, BTreeSet<String>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// How long counting the servers waits for the reconnection.
    count_timeout: std::time::Duration,
}

impl Hub {
    /// Connects both clients and starts the publishing, dispatching and resubscribing tasks.
    pub(crate) async fn connect(config: &RedisConfig) -> Result<Arc<Self>, Error> {
        let publisher = config.client()?;
        let subscriber = config.client()?;
        // The connection tasks run on their own; the clients reach them.
        drop(publisher.init().await?);
        drop(subscriber.init().await?);
        let (outgoing, queue) = mpsc::unbounded_channel();
        let hub = Arc::new(Self {
            publisher: publisher.clone(),
            subscriber: subscriber.clone(),
            outgoing,
            routes: RwLock::default(),
            tracked: Mutex::default(),
            tasks: Mutex::default(),
            count_timeout: config.longest_reconnect_delay() + COUNT_MARGIN,
        });
        let tasks = vec![
            tokio::spawn(publish_loop(publisher, queue)),
            tokio::spawn(dispatch_loop(Arc::downgrade(&hub), subscriber.message_rx())),
            tokio::spawn(resubscribe_loop(Arc::downgrade(&hub))),
        ];
        lock(&hub.tasks).extend(tasks);
        Ok(hub)
    }

    /// Queues a message for `PUBLISH` (or `SPUBLISH` when `sharded`).
    pub(crate) fn publish(&self, channel: String, payload: Vec<u8>, sharded: bool) {
        let payload = Bytes::from(payload);
        let _ = self.outgoing.send(Outgoing {
            channel,
            payload,
            sharded,
        });
    }

    /// `PUBSUB NUMSUB` (or `SHARDNUMSUB` when `sharded`) of one channel: the servers listening.
    /// While the connection is down it waits for the reconnection, as Node's client queues
    /// commands until then, but fails after the longest delay between two reconnection
    /// attempts and a margin, so that a Redis that stays away does not hold a request (the
    /// client would otherwise keep the command until it is back).
    pub(crate) async fn subscribers(&self, channel: &str, sharded: bool) -> Result<usize, Error> {
        let ask = async {
            connected(&self.publisher).await;
            let reply: fred::types::Value = match sharded {
                true => self.publisher.pubsub_shardnumsub(channel).await?,
                false => self.publisher.pubsub_numsub(channel).await?,
            };
            Ok(count_of(&reply))
        };
        tokio::time::timeout(self.count_timeout, ask)
            .await
            .unwrap_or(Err(Error::Disconnected))
    }

    /// Routes `channels` to `listener`, then subscribes to them.
    pub(crate) async fn subscribe(
        &self,
        kind: Kind,
        channels: Vec<String>,
        listener: Arc<dyn Listener>,
    ) -> Result<(), Error> {
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

    /// Unsubscribes from `channels` and forgets their routes.
    pub(crate) async fn unsubscribe(&self, kind: Kind, channels: Vec<String>) -> Result<(), Error> {
        {
            let mut routes = write(&self.routes);
            for channel in &channels {
                let prefix = channel.trim_end_matches('*');
                match kind {
                    Kind::Pattern => routes.prefixes.retain(|(p, _)| p != prefix),
                    Kind::Channel | Kind::Shard => drop(routes.exact.remove(channel)),
                }
            }
        }
        if let Some(set) = lock(&self.tracked).get_mut(&kind) {
            channels.iter().for_each(|channel| {
                set.remove(channel);
            });
        }
        match kind {
            Kind::Channel => self.subscriber.unsubscribe(channels).await?,
            Kind::Pattern => self.subscriber.punsubscribe(channels).await?,
            Kind::Shard => self.subscriber.sunsubscribe(channels).await?,
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

    /// Stops the tasks and closes both connections.
    pub(crate) async fn shutdown(&self) {
        lock(&self.tasks).drain(..).for_each(|task| task.abort());
        let _ = self.subscriber.quit().await;
        let _ = self.publisher.quit().await;
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
