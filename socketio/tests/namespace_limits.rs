//! The bounds on namespaces a client reaches (dynamic ones per server, namespaces per
//! connection), what becomes of a removed dynamic namespace, and a connect middleware that
//! decides after its client left.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use common::{connected, open, poll, post, settle};
use serde_json::Value;
use socketio::adapter::{Adapter, AdapterError, AdapterFactory, BoxFuture, LocalNamespace};
use socketio::server::{Socket, SocketIo};
use socketio::NamespaceName;
use tokio::sync::Notify;

fn builder() -> socketio::server::Builder {
    SocketIo::builder().ping_interval(Duration::from_secs(30))
}

#[tokio::test(start_paused = true)]
async fn dynamic_namespaces_past_the_bound_are_refused_until_one_is_removed() {
    let io = builder()
        .max_dynamic_namespaces(2)
        .cleanup_empty_children(true)
        .build();
    io.of_fn(|name: &str, _auth: &Value| name.starts_with("/team-"));
    io.of("/static");
    let sid = open(&io).await;
    for team in ["a", "b"] {
        post(&io, &sid, &format!("40/team-{team},")).await;
        assert!(poll(&io, &sid)
            .await
            .starts_with(&format!("40/team-{team},")));
    }
    post(&io, &sid, "40/team-c,").await;
    assert_eq!(
        poll(&io, &sid).await,
        r#"44/team-c,{"message":"Too many namespaces"}"#
    );
    assert!(!io.has_namespace("/team-c"));
    // A static namespace does not count; the connection goes on.
    post(&io, &sid, "40/static,").await;
    assert!(poll(&io, &sid).await.starts_with("40/static,"));
    // /team-a is removed with its last socket: there is room for /team-c.
    post(&io, &sid, "41/team-a,").await;
    settle().await;
    assert!(!io.has_namespace("/team-a"));
    post(&io, &sid, "40/team-c,").await;
    assert!(poll(&io, &sid).await.starts_with("40/team-c,"));
}

#[tokio::test(start_paused = true)]
async fn one_connection_joins_at_most_its_bound_and_others_are_not_held_back() {
    let io = builder().max_namespaces_per_connection(2).build();
    for name in ["/a", "/b", "/c"] {
        io.of(name);
    }
    let sid = connected(&io, "/").await;
    post(&io, &sid, "40/a,").await;
    assert!(poll(&io, &sid).await.starts_with("40/a,"));
    post(&io, &sid, "40/b,").await;
    assert_eq!(
        poll(&io, &sid).await,
        r#"44/b,{"message":"Too many namespaces"}"#
    );
    // After leaving one, it may join another; and another connection was never limited by
    // this one.
    post(&io, &sid, "41/a,").await;
    post(&io, &sid, "40/c,").await;
    assert!(poll(&io, &sid).await.starts_with("40/c,"));
    let other = connected(&io, "/b").await;
    post(&io, &other, "40/c,").await;
    assert!(poll(&io, &other).await.starts_with("40/c,"));
}

/// Keeps what each adapter's `init` was given, as a distributed adapter does.
#[derive(Clone, Default)]
struct Keeping(Arc<Mutex<Vec<Weak<dyn LocalNamespace>>>>);

struct KeepingAdapter(Keeping);

impl Adapter for KeepingAdapter {
    fn init(&self, namespace: Weak<dyn LocalNamespace>) -> BoxFuture<'_, Result<(), AdapterError>> {
        self.0 .0.lock().unwrap().push(namespace);
        Box::pin(std::future::ready(Ok(())))
    }
}

impl AdapterFactory for Keeping {
    fn create(&self, _namespace: &NamespaceName) -> Box<dyn Adapter> {
        Box::new(KeepingAdapter(self.clone()))
    }
}

#[tokio::test(start_paused = true)]
async fn a_removed_dynamic_namespace_is_freed() {
    let kept = Keeping::default();
    let io = builder()
        .cleanup_empty_children(true)
        .adapter(kept.clone())
        .build();
    io.of_fn(|name: &str, _auth: &Value| name.starts_with("/room-"));
    let sid = connected(&io, "/").await;
    for round in 0..3 {
        post(&io, &sid, "40/room-1,").await;
        assert!(poll(&io, &sid).await.starts_with("40/room-1,"), "{round}");
        post(&io, &sid, "41/room-1,").await;
        settle().await;
    }
    let kept = kept.0.lock().unwrap();
    let children: Vec<_> = kept
        .iter()
        .filter_map(Weak::upgrade)
        .map(|namespace| namespace.name().as_str().to_owned())
        .collect();
    // Three children were made and removed: none is alive; `/` and the parent are.
    assert_eq!(kept.len(), 5, "/, the parent and three children");
    assert_eq!(children.len(), 2, "{children:?}");
    assert!(!children.iter().any(|name| name == "/room-1"));
}

#[tokio::test(start_paused = true)]
async fn a_connect_middleware_that_decides_after_its_client_left_leaves_nothing() {
    let io = builder().build();
    let (gate, connections) = (Arc::new(Notify::new()), Arc::new(Mutex::new(0)));
    let waiting = gate.clone();
    io.use_middleware(move |socket: Socket| {
        let waiting = waiting.clone();
        async move {
            socket.join("lobby");
            waiting.notified().await;
            Ok(())
        }
    });
    let counted = connections.clone();
    io.on_connection(move |_socket: Socket| *counted.lock().unwrap() += 1);
    for close in ["1", "41"] {
        let sid = open(&io).await;
        post(&io, &sid, "40").await;
        settle().await;
        let rooms = |io: &SocketIo| io.of("/").rooms().iter().any(|room| &**room == "lobby");
        assert!(rooms(&io), "in its room while it decides");
        // The client leaves (its engine session, or a packet that ends the connection since
        // it is not connected yet), then the middleware accepts.
        post(&io, &sid, close).await;
        settle().await;
        gate.notify_waiters();
        settle().await;
        assert!(!rooms(&io), "after {close}");
        assert_eq!(io.of("/").socket_count(), 0, "after {close}");
        assert_eq!(*connections.lock().unwrap(), 0, "after {close}");
    }
}
