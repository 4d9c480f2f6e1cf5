//! `examples/cluster` exercised: two of its servers (started in-process through its library,
//! `cluster::run`) on one Redis, in the classic and the sharded protocol, `socket.io-client`
//! users on each; chat messages and member lists cross the servers.

#[macro_use]
mod redis_common;

use redis_common::{unique_key, wait_for_room, Clients, Proto, REDIS_URL};
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// One process of the example: its URL, and how to stop it.
struct Example {
    url: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), cluster::Error>>,
}

impl Example {
    async fn start(proto: Proto, key: &str) -> Self {
        let mode = match proto {
            Proto::Classic => "classic",
            _ => "sharded",
        };
        let args = ["--redis-url", REDIS_URL, "--mode", mode, "--key", key];
        let options = cluster::Options::parse(args.map(str::to_owned)).expect("valid options");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            cluster::run(listener, &options, stopped).await
        });
        Self { url, stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let ended = self.task.await.expect("the example's task");
        assert!(ended.is_ok(), "the example ended with {ended:?}");
    }
}

/// The nickname the chat gave `name` in its `welcome`.
async fn welcomed(clients: &mut Clients, name: &str) -> String {
    let welcome = clients.next_named(name, "welcome").await;
    welcome["args"][0]["nickname"]
        .as_str()
        .expect("a nickname")
        .to_owned()
}

/// Waits for a `members` list of `general` naming everyone in `all`.
async fn members_listed(clients: &mut Clients, name: &str, all: &[&str]) {
    loop {
        let members = clients.next_named(name, "members").await;
        let listed: Vec<&str> = members["args"][0]["members"]
            .as_array()
            .map(|m| m.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if all.iter().all(|n| listed.contains(n)) {
            return;
        }
    }
}

/// `from` says `text` in general; `to`, on the other server, reads it.
async fn say(clients: &mut Clients, (from, nickname): (&str, &str), to: &str, text: &str) {
    let message = json!({"room": "general", "text": text});
    let answer = clients.emit_ack(from, "message", json!([message])).await;
    assert_eq!(answer, json!([{"ok": true}]));
    // Everyone in the room reads it, its author too.
    for reader in [to, from] {
        let got = clients.next_named(reader, "message").await;
        let got = &got["args"][0];
        let want = (&json!(text), &json!(nickname));
        assert_eq!((&got["text"], &got["from"]), want, "{reader}");
    }
}

both_protocols!(chat_messages_and_members_cross_the_example_s_servers);

async fn chat_messages_and_members_cross_the_example_s_servers(proto: Proto) {
    let key = unique_key("example");
    let (one, two) = (
        Example::start(proto, &key).await,
        Example::start(proto, &key).await,
    );
    let mut clients = Clients::new();
    clients.connect("ann", &one.url).await;
    let ann = welcomed(&mut clients, "ann").await;
    clients.connect("bob", &two.url).await;
    let bob = welcomed(&mut clients, "bob").await;
    // Member lists come from both servers (fetch_sockets across the cluster).
    members_listed(&mut clients, "bob", &[&ann, &bob]).await;
    if proto == Proto::Sharded {
        // Dynamic mode: messages to general go to its room channel.
        wait_for_room(REDIS_URL, &key, "general", 2).await;
    }
    say(&mut clients, ("ann", &ann), "bob", "hello from one").await;
    say(&mut clients, ("bob", &bob), "ann", "hello from two").await;
    clients.exit().await;
    one.stop().await;
    two.stop().await;
}
