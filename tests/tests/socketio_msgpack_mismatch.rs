//! End-to-end: a client on the other parser than the server's (the default parser against a
//! msgpack server, and the msgpack parser against a default server), over polling and
//! WebSocket, against our server and the Node reference with the same parsers. The server
//! cannot read the client's CONNECT, so it closes the connection: the client never connects,
//! gets no connect_error, and reports `transport close`, the same on both servers.

mod common_sio;

use std::time::Duration;

use common_sio::{named, Server};
use e2e::{NodeDriver, ReferenceServer, TIMEOUT};
use serde_json::{json, Value};

/// What socket `s` of a fresh client sees on `url` with `opts`, until its disconnect: each
/// event's name, with the disconnect's reason and description.
async fn client_view(url: &str, opts: Value) -> Vec<Value> {
    let mut client = NodeDriver::sio();
    let cmd = json!({"cmd": "connect", "name": "s", "url": url, "opts": opts});
    client.command(cmd, TIMEOUT).await;
    let ended = named(&mut client, "disconnect", "s").await;
    let mut seen: Vec<Value> = client
        .take_backlog()
        .into_iter()
        .filter(|e| e["name"] == "s")
        .map(|e| e["ev"].clone())
        .collect();
    seen.push(json!(["disconnect", ended["reason"], ended["description"]]));
    // Nothing comes after (no reconnection: it is off).
    client
        .expect_no("connect", Duration::from_millis(300))
        .await;
    client.exit().await;
    seen
}

fn opts(client_parser: Option<&str>, transport: &str) -> Value {
    let mut opts = json!({"transports": [transport]});
    if let Some(parser) = client_parser {
        opts["parser"] = json!(parser);
    }
    opts
}

/// Our server and the reference, both on `server_parser`, seen by a client on the other one.
async fn compare(server_parser: &str, client_parser: Option<&str>) {
    let mut ours: Server = match server_parser {
        "msgpack" => common_sio::start_msgpack().await,
        _ => common_sio::start().await,
    };
    ours.watch("/");
    let mut args = vec!["--ping-timeout", "1000"];
    if server_parser == "msgpack" {
        args.extend(["--parser", "msgpack"]);
    }
    let mut reference = ReferenceServer::sio(&args).await;
    for (transport, description) in [
        ("polling", "transport closed by the server"),
        ("websocket", "websocket connection closed"),
    ] {
        let url = format!("{}/", ours.url);
        let got = client_view(&url, opts(client_parser, transport)).await;
        let reference_url = format!("{}/", reference.url());
        let want = client_view(&reference_url, opts(client_parser, transport)).await;
        let case = format!("{client_parser:?} client, {server_parser} server, {transport}");
        assert_eq!(got, want, "ours vs the reference: {case}");
        assert_eq!(got.len(), 1, "only the disconnect: {case}: {got:?}");
        let (ev, reason) = (&got[0][0], &got[0][1]);
        assert_eq!(
            (ev, reason),
            (&json!("disconnect"), &json!("transport close")),
            "{case}"
        );
        let text = got[0][2].as_str().unwrap_or_default();
        assert!(text.contains(description), "{case}: {text}");
    }
    // Neither server let a socket in.
    ours.expect_none(|_| true, Duration::from_millis(100)).await;
    reference
        .events()
        .expect_no("connection", Duration::from_millis(100))
        .await;
    reference.stop().await;
}

#[tokio::test]
async fn a_default_parser_client_is_closed_by_a_msgpack_server_as_node_does() {
    compare("msgpack", None).await;
}

#[tokio::test]
async fn a_msgpack_client_is_closed_by_a_default_server_as_node_does() {
    compare("default", Some("msgpack")).await;
}
