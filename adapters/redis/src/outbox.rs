//! The messages a server publishes, on their way to Redis.
//!
//! Publishing never waits for the caller: the adapter's publish-style methods are synchronous,
//! so messages go through a queue to one task, which sends whatever has piled up as one
//! pipeline (one round trip for many messages) and keeps their order.
//!
//! While the publishing connection is down the task holds what it is given until the
//! connection is back, as node-redis's offline queue does, but only up to [`OFFLINE_LIMIT`]
//! bytes: later messages are dropped (and counted in the log) rather than buffered without
//! bound. (The client reports the connection down once an attempt to reconnect failed; until
//! then it queues the commands it is given itself.) Holding them matters right after a
//! restart of Redis: the two connections of a server reconnect each on its own backoff, so
//! the subscriber may be back (and the server counted by the others) some time before the
//! publisher is.

use bytes::Bytes;
use fred::clients::Client;
use fred::interfaces::{ClientLike, PubsubInterface};
use tokio::sync::mpsc;

/// How many queued messages go out in one pipeline at most.
const MAX_BATCH: usize = 512;

/// How many bytes of messages are held while the connection is down.
pub(crate) const OFFLINE_LIMIT: usize = 16 * 1024 * 1024;

/// How often a task waiting for the reconnection looks at the connection again.
const RECHECK: std::time::Duration = std::time::Duration::from_millis(50);

/// A message to publish.
pub(crate) struct Outgoing {
    pub(crate) channel: String,
    pub(crate) payload: Bytes,
    pub(crate) sharded: bool,
}

impl Outgoing {
    fn size(&self) -> usize {
        self.channel.len() + self.payload.len()
    }
}

/// Sends what is queued, a pipeline at a time, in order.
pub(crate) async fn publish_loop(client: Client, mut queue: mpsc::UnboundedReceiver<Outgoing>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if !client.is_connected() {
            hold(&client, &mut queue, &mut batch).await;
        }
        while !batch.is_empty() {
            let end = batch.len().min(MAX_BATCH);
            send(&client, batch.drain(..end)).await;
        }
    }
}

/// Waits for the connection, moving what arrives meanwhile from `queue` to `batch` while it
/// stays under [`OFFLINE_LIMIT`] and dropping the rest.
async fn hold(
    client: &Client,
    queue: &mut mpsc::UnboundedReceiver<Outgoing>,
    batch: &mut Vec<Outgoing>,
) {
    let mut held = 0;
    let mut dropped = 0_usize;
    batch.retain(|message| keep(message, &mut held, &mut dropped));
    while !client.is_connected() {
        wait_for_connect(client).await;
        while let Ok(message) = queue.try_recv() {
            if keep(&message, &mut held, &mut dropped) {
                batch.push(message);
            }
        }
    }
    if dropped > 0 {
        tracing::warn!(
            dropped,
            "Redis was down: messages past the offline limit dropped"
        );
    }
}

/// Returns once `client` is connected (at once when it is).
pub(crate) async fn connected(client: &Client) {
    while !client.is_connected() {
        wait_for_connect(client).await;
    }
}

/// Waits for the next connection of `client`, or [`RECHECK`]: a connection made between
/// `wait_for_connect`'s look at the state and its subscription to the news would be missed,
/// and looking again bounds that.
async fn wait_for_connect(client: &Client) {
    let _ = tokio::time::timeout(RECHECK, client.wait_for_connect()).await;
}

/// Whether one more message fits in the offline limit (counting it when it does).
fn keep(message: &Outgoing, held: &mut usize, dropped: &mut usize) -> bool {
    let size = message.size();
    if *held + size > OFFLINE_LIMIT {
        *dropped += 1;
        return false;
    }
    *held += size;
    true
}

/// One pipeline of `PUBLISH` / `SPUBLISH`.
async fn send(client: &Client, messages: impl Iterator<Item = Outgoing>) {
    let pipeline = client.pipeline();
    for message in messages {
        let queued: Result<(), _> = match message.sharded {
            true => pipeline.spublish(message.channel, message.payload).await,
            false => pipeline.publish(message.channel, message.payload).await,
        };
        if let Err(error) = queued {
            tracing::warn!(%error, "cannot queue a Redis publish");
        }
    }
    for result in pipeline.try_all::<fred::types::Value>().await {
        if let Err(error) = result {
            tracing::warn!(%error, "Redis publish failed");
        }
    }
}
