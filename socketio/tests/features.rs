//! Service tests of the server's features over in-memory polling: dynamic namespaces,
//! catch-all handlers, event middlewares, typed data and the server-wide operations.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{connected, open, poll, post, quiet_server, settle};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use socketio::adapter::{Adapter, AdapterFactory, BoxFuture};
use socketio::server::{Event, RemoteSocket, Socket, SocketIo};
use socketio::NamespaceName;
use socketio::Payload;

#[tokio::test(start_paused = true)]
async fn dynamic_children_share_the_parents_hooks() {
    let io = quiet_server();
    let parent = io.of_pattern(r"^/room-\d+$").unwrap();
    parent.use_middleware(|socket: Socket| async move {
        match socket.handshake().auth["ok"].as_bool() {
            Some(true) => Ok(()),
            _ => Err(socketio::server::ConnectError::new("no")),
        }
    });
    parent.on_connection(|socket: Socket| {
        socket.emit("where", socket.namespace().as_str());
    });
    let sid = open(&io).await;
    post(&io, &sid, r#"40/room-7,{"ok":true}"#).await;
    let reply = poll(&io, &sid).await;
    assert!(reply.starts_with("40/room-7,"), "{reply}");
    // The CONNECT answer, then what the parent's connection handler sent, in one payload.
    assert!(
        reply.ends_with("\u{1e}42/room-7,[\"where\",\"/room-7\"]"),
        "{reply}"
    );
    post(&io, &sid, r#"40/room-8,{"ok":false}"#).await;
    assert_eq!(poll(&io, &sid).await, r#"44/room-8,{"message":"no"}"#);
    post(&io, &sid, "40/room-x,").await;
    assert_eq!(
        poll(&io, &sid).await,
        r#"44/room-x,{"message":"Invalid namespace"}"#
    );
    // The parent's emit reaches every child.
    parent.try_emit("all", "children").unwrap();
    assert_eq!(poll(&io, &sid).await, r#"42/room-7,["all","children"]"#);
}

/// The in-memory adapter's behaviour, plus a count of closes per namespace: how a test sees
/// that a removed namespace's adapter was closed.
#[derive(Clone, Default)]
struct CountingCloses(Arc<Mutex<Vec<String>>>);

struct ClosingAdapter {
    name: String,
    closed: CountingCloses,
}

impl Adapter for ClosingAdapter {
    fn close(&self) -> BoxFuture<'_, ()> {
        self.closed.0.lock().unwrap().push(self.name.clone());
        Box::pin(std::future::ready(()))
    }
}

impl AdapterFactory for CountingCloses {
    fn create(&self, namespace: &NamespaceName) -> Box<dyn Adapter> {
        let name = namespace.as_str().to_owned();
        let closed = self.clone();
        Box::new(ClosingAdapter { name, closed })
    }
}

#[tokio::test(start_paused = true)]
async fn predicate_parents_and_cleanup_of_empty_children() {
    let closes = CountingCloses::default();
    let io = SocketIo::builder()
        .cleanup_empty_children(true)
        .adapter(closes.clone())
        .build();
    io.of_fn(|name: &str, auth: &Value| name.starts_with("/team-") && auth["member"] == true);
    let sid = open(&io).await;
    assert!(!io.has_namespace("/team-a"));
    post(&io, &sid, r#"40/team-a,{"member":true}"#).await;
    assert!(poll(&io, &sid).await.starts_with("40/team-a,"));
    assert!(io.has_namespace("team-a"));
    post(&io, &sid, "41/team-a,").await;
    settle().await;
    // The child left with its last socket, and its adapter was closed.
    assert!(!io.has_namespace("/team-a"));
    assert_eq!(*closes.0.lock().unwrap(), ["/team-a"]);
    // A new CONNECT creates it afresh.
    post(&io, &sid, r#"40/team-a,{"member":true}"#).await;
    assert!(poll(&io, &sid).await.starts_with("40/team-a,"));
    assert!(io.has_namespace("/team-a"));
    post(&io, &sid, r#"40/team-b,{"member":false}"#).await;
    assert_eq!(
        poll(&io, &sid).await,
        r#"44/team-b,{"message":"Invalid namespace"}"#
    );
    assert!(!io.has_namespace("/team-b"));
}

#[tokio::test(start_paused = true)]
async fn without_cleanup_an_empty_child_stays() {
    let closes = CountingCloses::default();
    let io = SocketIo::builder().adapter(closes.clone()).build();
    io.of_fn(|name: &str, _auth: &Value| name.starts_with("/team-"));
    let sid = connected(&io, "/team-a").await;
    post(&io, &sid, "41/team-a,").await;
    settle().await;
    assert!(io.has_namespace("/team-a"));
    assert_eq!(io.of("/team-a").socket_count(), 0);
    assert!(closes.0.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn catch_all_handlers_see_incoming_and_outgoing_events() {
    let io = quiet_server();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    io.of("/").on_connection(move |socket: Socket| {
        let (incoming, outgoing) = (log.clone(), log.clone());
        socket.on_any(move |_s: &Socket, e: &Event| {
            incoming.lock().unwrap().push(format!("in {}", e.name()))
        });
        socket.on_any_outgoing(move |_s: &Socket, name: &str, _args: &Payload| {
            outgoing.lock().unwrap().push(format!("out {name}"));
        });
        socket.on("ping", |socket: &Socket, _e: Event| {
            socket.emit("pong", &());
        });
    });
    let sid = connected(&io, "/").await;
    post(&io, &sid, r#"42["ping"]"#).await;
    post(&io, &sid, r#"42["unknown",1]"#).await;
    assert_eq!(poll(&io, &sid).await, r#"42["pong"]"#);
    settle().await;
    io.try_emit("news", "x").unwrap();
    assert_eq!(poll(&io, &sid).await, r#"42["news","x"]"#);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, ["in ping", "out pong", "in unknown", "out news"]);
}

#[tokio::test(start_paused = true)]
async fn event_middleware_refusal_goes_to_on_error_and_keeps_the_socket() {
    let io = quiet_server();
    io.of("/").on_connection(|socket: Socket| {
        socket.use_middleware(|_s: &Socket, e: &Event| match e.name() {
            "forbidden" => Err("not allowed".to_owned()),
            _ => Ok(()),
        });
        socket.on_error(|socket: &Socket, error: &str| {
            socket.emit("error-seen", error);
        });
        socket.on("forbidden", |socket: &Socket, _e: Event| {
            socket.emit("handled", &());
        });
        socket.on("allowed", |socket: &Socket, _e: Event| {
            socket.emit("handled", "allowed");
        });
    });
    let sid = connected(&io, "/").await;
    post(&io, &sid, "42[\"forbidden\"]\u{1e}42[\"allowed\"]").await;
    let reply = poll(&io, &sid).await;
    assert_eq!(
        reply,
        "42[\"error-seen\",\"not allowed\"]\u{1e}42[\"handled\",\"allowed\"]"
    );
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Profile {
    name: String,
    level: u8,
}

#[tokio::test(start_paused = true)]
async fn typed_data_and_server_wide_operations() {
    let io = quiet_server();
    io.of("/").on_connection(|socket: Socket| {
        let level = u8::try_from(socket.nsp().socket_count()).unwrap();
        socket
            .set_data(&Profile {
                name: "p".into(),
                level,
            })
            .unwrap();
    });
    let first = connected(&io, "/").await;
    let second = connected(&io, "/").await;
    let sockets = io.of("/").operator().fetch_sockets().await.unwrap();
    let mut levels: Vec<u8> = sockets
        .iter()
        .map(|s| match s {
            RemoteSocket::Local(socket) => socket.data::<Profile>().unwrap().level,
            RemoteSocket::Remote(_) => panic!("a single node has no remote socket"),
        })
        .collect();
    levels.sort();
    assert_eq!(levels, [1, 2]);
    io.of("/").operator().sockets_join("vip");
    io.to("vip").try_emit("vip", &()).unwrap();
    assert_eq!(poll(&io, &first).await, r#"42["vip"]"#);
    assert_eq!(poll(&io, &second).await, r#"42["vip"]"#);
    io.of("/").operator().sockets_leave("vip");
    assert!(io.to("vip").local_sockets().is_empty());
    io.of("/").operator().disconnect_sockets(false);
    assert_eq!(poll(&io, &first).await, "41");
    // Each connection finishes its socket's leaving on its own task.
    settle().await;
    assert_eq!(io.of("/").socket_count(), 0);
}
