//! The Redis adapter on its own, under a stand-in namespace: how servers are counted, the room
//! hooks of the dynamic subscription mode, the classic adapter's `all_rooms` request, and what
//! a server that falls behind on received messages loses.

#[macro_use]
mod redis_common;

use std::sync::{Arc, Mutex, Weak};

use redis_common::{eventually, redis_cli, unique_key, REDIS_URL};
use socketio::adapter::{
    AckSink, Adapter, AdapterFactory, BroadcastOptions, LocalNamespace, ServerReply, SocketData,
};
use socketio::packet::{NamespaceName, Packet};
use socketio::room::Room;
use socketio::Payload;
use socketio_redis::{Mode, RedisAdapterConfig, RedisAdapterFactory, SubscriptionMode};

/// A namespace with one socket, `sid`, in the given rooms.
struct OneSocket {
    name: NamespaceName,
    rooms: Mutex<Vec<Room>>,
}

impl OneSocket {
    fn new(name: &str, rooms: &[&str]) -> Arc<Self> {
        let rooms = rooms.iter().map(|r| Room::from(*r)).collect();
        Arc::new(Self {
            name: NamespaceName::new(name).expect("a namespace"),
            rooms: Mutex::new(rooms),
        })
    }
}

/// The namespace as an adapter holds it (weakly: the test keeps the `Arc`).
fn weak<T: LocalNamespace>(namespace: &Arc<T>) -> Weak<dyn LocalNamespace> {
    let namespace: Arc<dyn LocalNamespace> = namespace.clone();
    Arc::downgrade(&namespace)
}

impl LocalNamespace for OneSocket {
    fn name(&self) -> &NamespaceName {
        &self.name
    }
    fn broadcast(&self, _packet: &Packet, _opts: &BroadcastOptions) {}
    fn sockets_join(&self, _opts: &BroadcastOptions, _rooms: &[Room]) {}
    fn sockets_leave(&self, _opts: &BroadcastOptions, _rooms: &[Room]) {}
    fn disconnect_sockets(&self, _opts: &BroadcastOptions, _close: bool) {}
    fn fetch_sockets(&self, _opts: &BroadcastOptions) -> Vec<SocketData> {
        let rooms = self.rooms.lock().expect("lock").clone();
        vec![SocketData {
            id: "sid".to_owned(),
            handshake: serde_json::json!({}),
            rooms,
            data: serde_json::Value::Null,
        }]
    }
    fn broadcast_with_ack(&self, _: &Packet, _: &BroadcastOptions, _: AckSink<Payload>) -> usize {
        0
    }
    fn server_side_emit(&self, _event: &str, _args: Payload, _reply: Option<ServerReply>) {}
}

async fn factory(mode: Mode, key: &str) -> RedisAdapterFactory {
    let config = RedisAdapterConfig::new(REDIS_URL).mode(mode).key(key);
    RedisAdapterFactory::connect(config).await.expect("connect")
}

fn count(command: &str, channel: &str) -> usize {
    let output = redis_cli(REDIS_URL, &["PUBSUB", command, channel]);
    output
        .lines()
        .nth(1)
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_server_is_counted_once_per_namespace() {
    let key = unique_key("count");
    for (mode, command, request) in [
        (Mode::Classic, "NUMSUB", format!("{key}-request#/#")),
        (
            Mode::Sharded(SubscriptionMode::Dynamic),
            "SHARDNUMSUB",
            format!("{key}#/#"),
        ),
    ] {
        let (one, two) = (factory(mode, &key).await, factory(mode, &key).await);
        let mut adapters: Vec<Box<dyn Adapter>> = Vec::new();
        let mut namespaces = Vec::new();
        for (factory, nsp) in [(&one, "/"), (&one, "/admin"), (&two, "/")] {
            let adapter = factory.create(&NamespaceName::new(nsp).expect("nsp"));
            let ns = OneSocket::new(nsp, &["sid"]);
            adapter.init(weak(&ns)).await.expect("init");
            adapters.push(adapter);
            namespaces.push(ns);
        }
        assert_eq!(
            count(command, &request),
            2,
            "{mode:?}: one subscription per server"
        );
        assert_eq!(adapters[0].server_count().await, 2);
        assert_eq!(
            adapters[1].server_count().await,
            1,
            "/admin is on one server only"
        );
        for adapter in &adapters {
            adapter.close().await;
        }
        assert_eq!(
            count(command, &request),
            0,
            "{mode:?}: closed adapters unsubscribe"
        );
        one.shutdown().await;
        two.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_mode_follows_the_room_hooks_in_order() {
    let key = unique_key("hooks");
    let channel = |room: &str| format!("{key}#/#{room}#");
    let redis = factory(Mode::Sharded(SubscriptionMode::Dynamic), &key).await;
    let ns = OneSocket::new("/", &["sid"]);
    let adapter = redis.create(&NamespaceName::root());
    adapter.init(weak(&ns)).await.expect("init");
    // Subscribed on creation, unsubscribed on deletion; no channel for a socket's own room.
    adapter.room_created(&Room::from("sid"), true);
    adapter.room_created(&Room::from("hooked"), false);
    let hooked = channel("hooked");
    eventually("hooked room subscribed", || {
        std::future::ready(count("SHARDNUMSUB", &hooked) == 1)
    })
    .await;
    assert_eq!(
        count("SHARDNUMSUB", &channel("sid")),
        0,
        "no channel for a socket's own room"
    );
    adapter.room_deleted(&Room::from("hooked"));
    adapter.room_created(&Room::from("again"), false);
    adapter.room_deleted(&Room::from("again"));
    adapter.room_created(&Room::from("again"), false);
    let again = channel("again");
    eventually("changes applied in order", || {
        std::future::ready(count("SHARDNUMSUB", &hooked) == 0 && count("SHARDNUMSUB", &again) == 1)
    })
    .await;
    adapter.close().await;
    assert_eq!(
        count("SHARDNUMSUB", &again),
        0,
        "closing drops the room channels"
    );
    redis.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classic_all_rooms_asks_the_other_servers() {
    let key = unique_key("rooms");
    let (one, two) = (
        factory(Mode::Classic, &key).await,
        factory(Mode::Classic, &key).await,
    );
    let asking = one.create(&NamespaceName::root());
    let mine = OneSocket::new("/", &["sid", "mine"]);
    asking.init(weak(&mine)).await.expect("init");
    let answering = two.create(&NamespaceName::root());
    let theirs = OneSocket::new("/", &["sid", "theirs"]);
    answering.init(weak(&theirs)).await.expect("init");
    let rooms = asking.all_rooms().await.expect("an answer");
    assert_eq!(rooms, vec![Room::from("sid"), Room::from("theirs")]);
    answering.close().await;
    two.shutdown().await;
    // Alone again: nobody to ask, no waiting.
    let lonely = asking.all_rooms().await;
    assert!(
        lonely.is_ok_and(|rooms| rooms.is_empty()),
        "alone: nobody to ask"
    );
    asking.close().await;
    one.shutdown().await;
}

/// A namespace whose first delivery blocks its thread until the test lets it go (so the
/// adapter's dispatching falls behind), and which records the argument of every broadcast.
struct Stalled {
    name: NamespaceName,
    seen: Mutex<Vec<u64>>,
    release: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
}

impl LocalNamespace for Stalled {
    fn name(&self) -> &NamespaceName {
        &self.name
    }
    fn broadcast(&self, packet: &Packet, _opts: &BroadcastOptions) {
        if let socketio::packet::PacketKind::Event { args, .. } = &packet.kind {
            let n = args.value()[0].as_u64().expect("a number");
            self.seen.lock().expect("lock").push(n);
        }
        let release = self.release.lock().expect("lock").take();
        if let Some(release) = release {
            release
                .recv_timeout(std::time::Duration::from_secs(60))
                .expect("the test lets the namespace go");
        }
    }
    fn sockets_join(&self, _opts: &BroadcastOptions, _rooms: &[Room]) {}
    fn sockets_leave(&self, _opts: &BroadcastOptions, _rooms: &[Room]) {}
    fn disconnect_sockets(&self, _opts: &BroadcastOptions, _close: bool) {}
    fn fetch_sockets(&self, _opts: &BroadcastOptions) -> Vec<SocketData> {
        Vec::new()
    }
    fn broadcast_with_ack(&self, _: &Packet, _: &BroadcastOptions, _: AckSink<Payload>) -> usize {
        0
    }
    fn server_side_emit(&self, _event: &str, _args: Payload, _reply: Option<ServerReply>) {}
}

/// The received-messages queue's overflow policy: a server whose namespaces fall more than
/// 16 384 messages behind loses the oldest (the number lost is traced) and goes on with the
/// newest, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_falls_behind_loses_the_oldest_messages_and_goes_on() {
    const SENT: u64 = 30_000;
    let key = unique_key("behind");
    let receiving = factory(Mode::Classic, &key).await;
    let (release, released) = std::sync::mpsc::channel();
    let ns = Arc::new(Stalled {
        name: NamespaceName::root(),
        seen: Mutex::default(),
        release: Mutex::new(Some(released)),
    });
    let adapter = receiving.create(&NamespaceName::root());
    adapter.init(weak(&ns)).await.expect("init");
    let config = RedisAdapterConfig::new(REDIS_URL)
        .key(&key)
        .publish_queue(usize::MAX, usize::MAX);
    let sending = RedisAdapterFactory::connect(config).await.expect("connect");
    let sender = sending.create(&NamespaceName::root());
    let publish = |n: u64| {
        let packet = Packet::event(
            NamespaceName::root(),
            "n",
            Payload::from(serde_json::json!([n])),
        );
        sender
            .broadcast(&packet, &BroadcastOptions::default())
            .expect("queued");
    };
    publish(0);
    eventually("the namespace is stalled on the first message", || {
        std::future::ready(!ns.seen.lock().expect("lock").is_empty())
    })
    .await;
    (1..=SENT).for_each(publish);
    eventually("every message is published", || {
        std::future::ready(sending.queued().messages == 0)
    })
    .await;
    // Let the subscriber's connection read what Redis sent it.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    release.send(()).expect("the namespace waits");
    eventually("the newest message arrives", || {
        std::future::ready(ns.seen.lock().expect("lock").last() == Some(&SENT))
    })
    .await;
    let seen = ns.seen.lock().expect("lock").clone();
    let first_kept = seen[1];
    assert!(first_kept > 1, "the oldest are lost: {} kept", seen.len());
    assert_eq!(
        seen[1..],
        (first_kept..=SENT).collect::<Vec<_>>()[..],
        "the newest, in order"
    );
    adapter.close().await;
    receiving.shutdown().await;
    sending.shutdown().await;
}

/// A namespace made anew while its predecessor's adapter closes (a dynamic child removed once
/// empty, then asked for again) keeps its routing: the predecessor's close unsubscribes only
/// what nobody took over, so broadcasts from another server reach the new one, and the server
/// is still counted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_made_anew_keeps_its_routing_when_its_predecessor_closes() {
    for mode in [
        Mode::Classic,
        Mode::Sharded(SubscriptionMode::Static),
        Mode::Sharded(SubscriptionMode::Dynamic),
    ] {
        let key = unique_key("anew");
        let (one, two) = (factory(mode, &key).await, factory(mode, &key).await);
        let name = NamespaceName::new("/dyn-1").expect("nsp");
        let recording = || {
            Arc::new(Stalled {
                name: name.clone(),
                seen: Mutex::default(),
                release: Mutex::new(None),
            })
        };
        let (old_ns, new_ns) = (recording(), recording());
        let old = one.create(&name);
        old.init(weak(&old_ns)).await.expect("init");
        let new = one.create(&name);
        new.init(weak(&new_ns)).await.expect("init");
        old.close().await;
        let other_ns = recording();
        let sender = two.create(&name);
        sender.init(weak(&other_ns)).await.expect("init");
        let packet = Packet::event(name.clone(), "n", Payload::from(serde_json::json!([7])));
        eventually(
            &format!("{mode:?}: the new namespace hears broadcasts"),
            || {
                sender
                    .broadcast(&packet, &BroadcastOptions::default())
                    .expect("queued");
                let seen = !new_ns.seen.lock().expect("lock").is_empty();
                async move {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    seen
                }
            },
        )
        .await;
        assert_eq!(
            sender.server_count().await,
            2,
            "{mode:?}: each server counted once"
        );
        for adapter in [new, sender] {
            adapter.close().await;
        }
        one.shutdown().await;
        two.shutdown().await;
    }
}
