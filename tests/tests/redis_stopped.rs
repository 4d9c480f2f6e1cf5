//! A Redis that stops answering (`SIGSTOP` of a test's own `redis-server`: its port and
//! connections stay up, nothing is answered, as in a silent network partition) under running
//! servers: what the servers publish is bounded in messages and memory and what does not fit
//! is refused with an error; requests fail within their timeouts with a clear error;
//! `SocketIo::close` and the adapter's shutdown return in bounded time; and once Redis goes
//! on (`SIGCONT`) the cluster works again. The shared Redis on 6379 is never stopped.

#[macro_use]
mod redis_common;

use std::future::Future;
use std::time::{Duration, Instant};

use redis_common::{
    eventually, rust, unique_key, wait_for_room, Clients, OwnRedis, Proto, RustNode,
};
use serde_json::{json, Value};
use socketio::adapter::{Adapter, AdapterError, AdapterFactory, BroadcastOptions};
use socketio::binary::Binary;
use socketio::packet::{NamespaceName, Packet};
use socketio::server::SocketIo;
use socketio_redis::{RedisAdapterConfig, RedisAdapterFactory};

/// The adapter's command timeout in these tests.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(1000);
/// The publish queue's limits in these tests: messages, bytes.
const QUEUE_MESSAGES: usize = 1000;
const QUEUE_BYTES: usize = 1024 * 1024;
/// What a bounded wait may take beyond its timeouts on a busy machine.
const SLACK: Duration = Duration::from_millis(1500);
/// Guards against a wait that is not bounded at all: the test fails instead of hanging.
const HANG: Duration = Duration::from_secs(60);

both_protocols!(publishes_to_a_stopped_redis_are_bounded_and_the_excess_refused);
both_protocols!(requests_fail_in_time_close_is_bounded_and_the_cluster_recovers);

fn config(redis: &OwnRedis, proto: Proto, key: &str) -> RedisAdapterConfig {
    rust::config(&redis.url(), proto, key)
        .command_timeout(COMMAND_TIMEOUT)
        .requests_timeout(Duration::from_secs(1))
}

/// Runs `future`, failing the test if it does not end within [`HANG`]; returns how long it took.
async fn timed<T>(what: &str, future: impl Future<Output = T>) -> (T, Duration) {
    let start = Instant::now();
    let output = tokio::time::timeout(HANG, future)
        .await
        .unwrap_or_else(|_| panic!("{what} never returned"));
    (output, start.elapsed())
}

/// The resident memory of this process (Linux).
fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("resident pages");
    pages * 4096
}

/// Nobody is in this room, so only the adapter has work.
const NOBODY: &str = "nobody-here";

/// Publishes `count` broadcasts of `size` bytes (binary: msgpack on both protocols) to
/// [`NOBODY`], checking after each that the queue stays within its byte limit.
fn flood(io: &SocketIo, factory: &RedisAdapterFactory, count: usize, size: usize) {
    let payload = Binary::from(vec![7_u8; size]);
    for i in 0..count {
        io.to(NOBODY)
            .try_emit("flood", &(i, &payload))
            .expect("emit");
        let queued = factory.queued();
        assert!(queued.bytes <= QUEUE_BYTES, "the queue holds {queued:?}");
    }
}

/// A broadcast of one `size`-byte binary argument.
fn packet(size: usize) -> Packet {
    let args = socketio::to_payload(&(Binary::from(vec![7_u8; size]),)).expect("a payload");
    Packet::event(NamespaceName::root(), "probe", args)
}

/// Options of a broadcast to [`NOBODY`] (so that the client here gets nothing after Redis
/// goes on).
fn to_nobody() -> BroadcastOptions {
    BroadcastOptions {
        rooms: vec![NOBODY.into()],
        ..BroadcastOptions::default()
    }
}

/// Publishes through `adapter` until a message is refused (at most `tries`); the refusal.
fn refusal(adapter: &dyn Adapter, packet: &Packet, tries: usize) -> String {
    for _ in 0..tries {
        match adapter.broadcast(packet, &to_nobody()) {
            Ok(()) => continue,
            Err(AdapterError::Transport(message)) => return message,
            Err(other) => panic!("not a refusal: {other}"),
        }
    }
    panic!("{tries} messages taken: the queue is not bounded");
}

async fn publishes_to_a_stopped_redis_are_bounded_and_the_excess_refused(proto: Proto) {
    let redis = OwnRedis::start().await;
    let key = unique_key("stopped-publish");
    // A server whose queue is bounded by bytes, and an adapter bounded by messages.
    let bytes_bound = config(&redis, proto, &key).publish_queue(usize::MAX, QUEUE_BYTES);
    let node = RustNode::start_config(bytes_bound).await;
    let factory = node.redis.clone().expect("the Redis adapter");
    let messages_bound = config(&redis, proto, &key).publish_queue(QUEUE_MESSAGES, usize::MAX);
    let counted = RedisAdapterFactory::connect(messages_bound)
        .await
        .expect("connect");
    // Adapters of the same factories, to see what a publishing caller gets back (the server
    // itself goes on when its adapter refuses a broadcast).
    let (by_bytes, by_count) = (
        factory.create(&NamespaceName::root()),
        counted.create(&NamespaceName::root()),
    );
    let mut clients = Clients::new();
    clients.connect("local", &node.url).await;
    by_bytes
        .broadcast(&packet(10), &to_nobody())
        .expect("Redis answers");

    redis.stop();
    // This server's own clients are served as before.
    node.io.try_emit("while-stopped", &(1,)).expect("emit");
    let got = clients.next_named("local", "while-stopped").await;
    assert_eq!(got["args"], json!([1]));

    // Past the message limit, the next message is refused.
    let refused = refusal(&*by_count, &packet(10), 10 * QUEUE_MESSAGES);
    assert!(
        refused.starts_with("redis publish queue full ("),
        "{refused}"
    );
    assert!(counted.queued().messages <= QUEUE_MESSAGES);

    // 4 000 broadcasts of 64 KiB (256 MB) from the server: what is held stays within the byte
    // limit, and emitting never waits for Redis (the flood runs on a blocking thread, so that
    // an emit that blocked would fail the test rather than hang it).
    let before = resident_bytes();
    let (io, flooded) = (node.io.clone(), factory.clone());
    let (done, _) = timed("the flood", async move {
        tokio::task::spawn_blocking(move || flood(&io, &flooded, 4_000, 64 * 1024)).await
    })
    .await;
    done.expect("the flood ran");
    let grown = resident_bytes().saturating_sub(before);
    assert!(
        grown < 96 * 1024 * 1024,
        "resident memory grew by {grown} bytes"
    );
    let refused = refusal(&*by_bytes, &packet(64 * 1024), 100);
    assert!(
        refused.starts_with("redis publish queue full ("),
        "{refused}"
    );

    // Once a pipeline timed out, the refusal says why the queue does not drain.
    tokio::time::sleep(COMMAND_TIMEOUT * 2).await;
    let refused = refusal(&*by_bytes, &packet(64 * 1024), 100);
    assert!(refused.contains(": Redis last failed with "), "{refused}");

    redis.resume();
    // Everything held goes out or is let go of, and the queues take messages again.
    for factory in [&factory, &counted] {
        eventually("the queue drains", || {
            std::future::ready(factory.queued().messages == 0)
        })
        .await;
        assert_eq!(factory.queued().bytes, 0);
    }
    by_bytes
        .broadcast(&packet(10), &to_nobody())
        .expect("taken again");
    by_count
        .broadcast(&packet(10), &to_nobody())
        .expect("taken again");
    clients.exit().await;
    node.stop().await;
    counted.shutdown().await;
}

async fn requests_fail_in_time_close_is_bounded_and_the_cluster_recovers(proto: Proto) {
    let redis = OwnRedis::start().await;
    let key = unique_key("stopped-requests");
    let a = RustNode::start_config(config(&redis, proto, &key)).await;
    let b = RustNode::start_config(config(&redis, proto, &key)).await;
    let mut clients = Clients::new();
    clients.connect("a", &a.url).await;
    clients.connect("b", &b.url).await;
    counts(&a.io, 2).await;

    redis.stop();
    // A client joins a room meanwhile: the room channel's subscription waits for Redis.
    clients.join("a", &["late"]).await;
    let nsp = a.io.of("/");
    // Counting the servers gives up within the command timeout and answers the last count.
    let (count, took) = timed("server_count", nsp.server_count()).await;
    assert_eq!(count, 2);
    assert!(took < COMMAND_TIMEOUT + SLACK, "server_count took {took:?}");
    // Fetching sockets fails as soon as the servers cannot be counted.
    let (fetched, took) = timed("fetch_sockets", nsp.operator().fetch_sockets()).await;
    match fetched {
        Err(AdapterError::Transport(message)) => assert!(
            message.starts_with("cannot count the servers: redis: "),
            "{message}"
        ),
        Err(other) => panic!("fetch_sockets: {other}"),
        Ok(found) => panic!("fetch_sockets found {} sockets", found.len()),
    }
    assert!(
        took < COMMAND_TIMEOUT + SLACK,
        "fetch_sockets took {took:?}"
    );
    // A server-side emit with an ack gets no answer, within its own timeout.
    let wait = Duration::from_secs(2);
    let asked = nsp.server_side_emit_with_ack::<_, Value>("hello", &(), wait);
    let (answers, took) = timed("server_side_emit_with_ack", asked).await;
    let partial = answers.expect_err("nobody can answer");
    assert!(partial.responses.is_empty());
    assert!(
        took < COMMAND_TIMEOUT + wait + SLACK,
        "server_side_emit took {took:?}"
    );
    // A broadcast with acks reaches the local client and fails for the others, at once.
    let operator = nsp.operator().timeout(wait);
    let (acked, took) = timed(
        "emit_with_ack",
        operator.emit_with_ack::<_, Value>("ask", &()),
    )
    .await;
    let error = acked.expect_err("the other server cannot be reached").error;
    assert!(
        error
            .to_string()
            .starts_with("adapter transport: redis unreachable: "),
        "{error}"
    );
    assert!(
        took < COMMAND_TIMEOUT + wait + SLACK,
        "emit_with_ack took {took:?}"
    );
    if proto == Proto::Classic {
        let (rooms, _) = timed("all_rooms", nsp.all_rooms()).await;
        assert!(
            matches!(rooms, Err(AdapterError::Transport(_))),
            "{rooms:?}"
        );
    }
    // Closing a server returns within the ping timeout (its clients get their close) and the
    // command timeout (its adapter unsubscribes); so does the adapter's shutdown.
    let (_, took) = timed("SocketIo::close", b.io.close()).await;
    assert!(
        took < Duration::from_secs(1) + COMMAND_TIMEOUT + SLACK,
        "close took {took:?}"
    );
    let b_redis = b.redis.clone().expect("the Redis adapter");
    let (_, took) = timed("shutdown", b_redis.shutdown()).await;
    assert!(took < COMMAND_TIMEOUT + SLACK, "shutdown took {took:?}");

    redis.resume();
    recovers(&redis, proto, &key, &a, &mut clients).await;
    clients.exit().await;
    a.stop().await;
}

/// After Redis goes on: a new server `c` and `a` count each other, and broadcasts, room
/// broadcasts and requests go both ways.
async fn recovers(redis: &OwnRedis, proto: Proto, key: &str, a: &RustNode, clients: &mut Clients) {
    let c = RustNode::start_config(config(redis, proto, key)).await;
    clients.connect("c", &c.url).await;
    counts(&a.io, 2).await;
    counts(&c.io, 2).await;
    a.io.try_emit("from-a", &(1,)).expect("emit");
    assert_eq!(clients.next_named("c", "from-a").await["args"], json!([1]));
    c.io.try_emit("from-c", &(2,)).expect("emit");
    assert_eq!(clients.next_named("a", "from-c").await["args"], json!([2]));
    // The room joined while Redis was stopped has its channel now.
    if proto == Proto::Sharded {
        wait_for_room(&redis.url(), key, "late", 1).await;
    }
    c.io.to("late").try_emit("late-news", &(3,)).expect("emit");
    assert_eq!(
        clients.next_named("a", "late-news").await["args"],
        json!([3])
    );
    let found =
        a.io.of("/")
            .operator()
            .fetch_sockets()
            .await
            .expect("c answers");
    assert_eq!(found.len(), 2, "a's socket and c's");
    let nsp = a.io.of("/");
    let asked = nsp.server_side_emit_with_ack::<_, Value>("hello", &(), Duration::from_secs(3));
    let answers = asked.await.expect("c answers");
    assert_eq!(answers.len(), 1);
    c.stop().await;
}

/// Waits until `io` counts `servers` servers.
async fn counts(io: &SocketIo, servers: usize) {
    eventually(&format!("{servers} servers counted"), || {
        let io = io.clone();
        async move { io.of("/").server_count().await == servers }
    })
    .await;
}
