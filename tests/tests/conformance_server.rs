//! End-to-end: `examples/conformance-server` as it ships (its library, started in-process the
//! way its binary starts it), driven by the official `engine.io-client` and `socket.io-client`.
//!
//! The numbers asserted here (pingInterval 300, pingTimeout 200, maxPayload 1,000,000,
//! connectTimeout 1000 ms) are the protocol test suites' and are written out, not read from
//! the example, so that a change to the example fails here.

use std::time::{Duration, Instant};

use conformance_server::ParserName;
use e2e::{b64, bin, from_b64, http, NodeDriver, TIMEOUT};
use serde_json::{json, Value};

/// The server on a free port, serving until the test's runtime ends; its `host:port`.
async fn start() -> String {
    start_with(ParserName::Default).await
}

/// [`start`], with Socket.IO on `parser` (`--parser`).
async fn start_with(parser: ParserName) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let options = conformance_server::Options {
        parser,
        ..Default::default()
    };
    let serving = conformance_server::serve_with(listener, options, std::future::pending());
    tokio::spawn(serving);
    addr
}

fn assert_conformance_handshake(opened: &Value, what: &str) {
    let handshake = &opened["handshake"];
    assert_eq!(handshake["pingInterval"], 300, "{what}: {opened}");
    assert_eq!(handshake["pingTimeout"], 200, "{what}: {opened}");
    assert_eq!(handshake["maxPayload"], 1_000_000, "{what}: {opened}");
}

/// A text comes back as the same text, a binary message as the same bytes, binary.
async fn echoes_as_it_came(client: &mut NodeDriver, what: &str) {
    let text = format!("héllo ✓ {what}");
    client.send(json!({"cmd": "send", "text": text})).await;
    let echoed = client.expect("message", TIMEOUT).await;
    assert_eq!(echoed, json!({"ev": "message", "text": text}), "{what}");
    let bytes: Vec<u8> = (0..=255).rev().collect();
    client
        .send(json!({"cmd": "send", "binary": b64(&bytes)}))
        .await;
    let echoed = client.expect("message", TIMEOUT).await;
    assert!(
        echoed.get("text").is_none(),
        "{what}: binary came back as text: {echoed}"
    );
    let binary = echoed["binary"].as_str().expect("a binary echo");
    assert_eq!(from_b64(binary), bytes, "{what}");
}

#[tokio::test]
async fn engine_io_echoes_text_and_binary_on_every_transport() {
    let addr = start().await;
    let cases = [
        ("polling", json!({"transports": ["polling"]}), "polling"),
        (
            "websocket",
            json!({"transports": ["websocket"]}),
            "websocket",
        ),
        (
            "upgrade",
            json!({"transports": ["polling", "websocket"]}),
            "polling",
        ),
    ];
    for (what, opts, first) in cases {
        let mut client = NodeDriver::eio();
        let cmd = json!({"cmd": "open", "url": format!("http://{addr}"), "opts": opts});
        client.command(cmd, TIMEOUT).await;
        let opened = client.expect("open", TIMEOUT).await;
        assert_eq!(opened["transport"], first, "{what}");
        assert_conformance_handshake(&opened, what);
        echoes_as_it_came(&mut client, what).await;
        if what == "upgrade" {
            assert_eq!(opened["handshake"]["upgrades"], json!(["websocket"]));
            let upgraded = client.expect("upgrade", TIMEOUT).await;
            assert_eq!(upgraded["transport"], "websocket");
            echoes_as_it_came(&mut client, "after the upgrade").await;
        }
        // pingInterval 300 ms: the heartbeat keeps an idle session open.
        for _ in 0..3 {
            client.expect("ping", TIMEOUT).await;
        }
        client.expect_no("close", Duration::from_millis(400)).await;
        client.exit().await;
    }
}

#[tokio::test]
async fn cors_is_open_to_any_origin() {
    let addr = start().await;
    for path in ["/engine.io/", "/socket.io/"] {
        let target = format!("{path}?EIO=4&transport=polling");
        let preflight = http::request(
            &addr,
            "OPTIONS",
            &target,
            &[
                ("Origin", "https://somewhere.example"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
            "",
        )
        .await;
        assert_eq!(preflight.status, 204, "{path}: {preflight:?}");
        assert_eq!(
            preflight.header("access-control-allow-origin"),
            Some("*"),
            "{path}: {preflight:?}"
        );
        let methods = preflight
            .header("access-control-allow-methods")
            .unwrap_or("");
        assert!(
            methods.contains("POST") && methods.contains("GET"),
            "{path}: {preflight:?}"
        );
        let allowed = preflight
            .header("access-control-allow-headers")
            .unwrap_or("");
        assert!(allowed.contains("content-type"), "{path}: {preflight:?}");

        let handshake = http::request(
            &addr,
            "GET",
            &target,
            &[("Origin", "http://other.example:8080")],
            "",
        )
        .await;
        assert_eq!(handshake.status, 200, "{path}: {handshake:?}");
        assert_eq!(handshake.header("access-control-allow-origin"), Some("*"));
        assert!(handshake.body.starts_with("0{"), "{path}: {handshake:?}");
    }
}

/// The `auth` event of socket `name`: its arguments.
async fn auth_event(client: &mut NodeDriver, name: &str) -> Value {
    let event = client
        .expect_matching(
            |e| e["ev"] == "event" && e["name"] == name && e["event"] == "auth",
            TIMEOUT,
        )
        .await;
    event["args"].clone()
}

#[tokio::test]
async fn both_namespaces_emit_auth_with_the_connect_payload() {
    let addr = start().await;
    let mut client = NodeDriver::sio();
    let auth = json!({"token": "abc", "nested": {"n": [1, 2]}});
    let sockets = [
        ("main", "/", Some(auth.clone())),
        ("main-bare", "/", None),
        ("custom", "/custom", Some(json!({"user": "u"}))),
        ("custom-bare", "/custom", None),
    ];
    for (name, nsp, auth) in &sockets {
        let mut opts = json!({"forceNew": true});
        if let Some(auth) = auth {
            opts["auth"] = auth.clone();
        }
        let url = format!("http://{addr}{nsp}");
        let cmd = json!({"cmd": "connect", "name": name, "url": url, "opts": opts});
        client.command(cmd, TIMEOUT).await;
        let args = auth_event(&mut client, name).await;
        let expected = auth.clone().unwrap_or_else(|| json!({}));
        assert_eq!(args, json!([expected]), "{name} on {nsp}");
    }
    client.exit().await;
}

/// On each transport, with the client's `parser` option (the default parser when `None`):
/// `message` comes back as `message-back`, and `message-with-ack` is acked with its arguments.
async fn message_and_ack(addr: &str, parser: Option<&str>) {
    for transport in ["polling", "websocket"] {
        let mut client = NodeDriver::sio();
        let mut opts = json!({"transports": [transport]});
        if let Some(parser) = parser {
            opts["parser"] = json!(parser);
        }
        let cmd =
            json!({"cmd": "connect", "name": "s", "url": format!("http://{addr}/"), "opts": opts});
        client.command(cmd, TIMEOUT).await;
        client.expect("connect", TIMEOUT).await;
        auth_event(&mut client, "s").await;
        let args = json!([1, "two", {"three": bin(&[3, 0, 255]), "list": [bin(&[]), null]}, bin(&[7; 40])]);
        let cmd = json!({"cmd": "emit", "name": "s", "event": "message", "args": args});
        client.command(cmd, TIMEOUT).await;
        let back = client.expect("event", TIMEOUT).await;
        assert_eq!(back["event"], "message-back", "{transport}: {back}");
        assert_eq!(back["args"], args, "{transport}");
        assert_eq!(back["ackId"], Value::Null, "{transport}");

        let cmd = json!({"cmd": "emit", "name": "s", "event": "message-with-ack", "args": args, "ack": true, "id": "a"});
        client.command(cmd, TIMEOUT).await;
        let ack = client
            .expect_matching(|e| e["id"] == "a" && e["ev"] != "ok", TIMEOUT)
            .await;
        assert_eq!(
            ack,
            json!({"ev": "ack", "name": "s", "id": "a", "args": args}),
            "{transport}"
        );
        // Nothing else comes back: no `message-back` for the acked event.
        client.expect_no("event", Duration::from_millis(300)).await;
        client.exit().await;
    }
}

/// `sleep-ack` (a handler that awaits a timer) and `sleep-use` (an async event middleware that
/// holds its event) answer `[ms]` after `ms`, and hold back nothing else: an event sent after
/// them is answered first.
#[tokio::test]
async fn sleep_ack_and_sleep_use_wait_and_hold_back_nothing_else() {
    let addr = start().await;
    for transport in ["polling", "websocket"] {
        let mut client = NodeDriver::sio();
        let opts = json!({"transports": [transport]});
        let cmd =
            json!({"cmd": "connect", "name": "s", "url": format!("http://{addr}/"), "opts": opts});
        client.command(cmd, TIMEOUT).await;
        client.expect("connect", TIMEOUT).await;
        auth_event(&mut client, "s").await;
        for event in ["sleep-ack", "sleep-use"] {
            let started = Instant::now();
            let slow = json!({"cmd": "emit", "name": "s", "event": event, "args": [600], "ack": true, "id": "slow"});
            client.command(slow, TIMEOUT).await;
            let quick = json!({"cmd": "emit", "name": "s", "event": "message-with-ack", "args": ["quick"], "ack": true, "id": "quick"});
            client.command(quick, TIMEOUT).await;
            let first = client.expect("ack", TIMEOUT).await;
            assert_eq!(first["id"], "quick", "{transport} {event}: {first}");
            assert!(
                started.elapsed() < Duration::from_millis(600),
                "{transport} {event}"
            );
            let second = client.expect("ack", TIMEOUT).await;
            assert_eq!(
                (&second["id"], &second["args"]),
                (&json!("slow"), &json!([600])),
                "{transport} {event}"
            );
            assert!(
                started.elapsed() >= Duration::from_millis(600),
                "{transport} {event}"
            );
        }
        client.exit().await;
    }
}

#[tokio::test]
async fn message_comes_back_and_message_with_ack_is_acked_with_the_same_arguments() {
    message_and_ack(&start().await, None).await;
}

/// `--parser msgpack`: the same behaviour for a client on `socket.io-msgpack-parser`, and a
/// client on the default parser is closed before it connects, as by Node with that parser.
#[tokio::test]
async fn with_the_msgpack_parser_it_behaves_the_same_for_msgpack_clients() {
    let addr = start_with(ParserName::Msgpack).await;
    message_and_ack(&addr, Some("msgpack")).await;
    let mut client = NodeDriver::sio();
    let auth = json!({"token": "abc"});
    for (name, nsp) in [("main", "/"), ("custom", "/custom")] {
        let opts = json!({"forceNew": true, "parser": "msgpack", "auth": auth});
        let url = format!("http://{addr}{nsp}");
        let cmd = json!({"cmd": "connect", "name": name, "url": url, "opts": opts});
        client.command(cmd, TIMEOUT).await;
        assert_eq!(auth_event(&mut client, name).await, json!([auth]), "{nsp}");
    }
    let url = format!("http://{addr}/");
    let cmd = json!({"cmd": "connect", "name": "json", "url": url, "opts": {"forceNew": true}});
    client.command(cmd, TIMEOUT).await;
    let ended = client
        .expect_matching(|e| e["name"] == "json" && e["ev"] != "ok", TIMEOUT)
        .await;
    assert_eq!(
        (&ended["ev"], &ended["reason"]),
        (&json!("disconnect"), &json!("transport close"))
    );
    client.exit().await;
}

/// The first message whose text starts with `prefix` on the raw socket.
async fn raw_message(raw: &mut NodeDriver, prefix: &str) -> String {
    let message = raw
        .expect_matching(
            |e| e["ev"] == "message" && e["text"].as_str().is_some_and(|t| t.starts_with(prefix)),
            TIMEOUT,
        )
        .await;
    message["text"].as_str().expect("a text").to_owned()
}

#[tokio::test]
async fn the_connect_reply_carries_only_the_sid() {
    let addr = start().await;
    let mut raw = NodeDriver::eio();
    let opts = json!({"path": "/socket.io/", "transports": ["websocket"]});
    let cmd = json!({"cmd": "open", "url": format!("http://{addr}"), "opts": opts});
    raw.command(cmd, TIMEOUT).await;
    let opened = raw.expect("open", TIMEOUT).await;
    assert_conformance_handshake(&opened, "/socket.io/");
    for (connect, prefix) in [("0", "0{"), ("0/custom,", "0/custom,{")] {
        raw.command(json!({"cmd": "send", "text": connect}), TIMEOUT)
            .await;
        let reply = raw_message(&mut raw, prefix).await;
        let payload: Value = serde_json::from_str(&reply[prefix.len() - 1..]).expect("JSON");
        let keys: Vec<&String> = payload.as_object().expect("an object").keys().collect();
        assert_eq!(keys, ["sid"], "{reply}");
        assert!(
            payload["sid"].as_str().is_some_and(|s| !s.is_empty()),
            "{reply}"
        );
    }
    // The socket.io-client's CONNECT has no payload: `auth` is `{}` on the wire too.
    let nsp_auth = raw_message(&mut raw, "2/custom,").await;
    assert_eq!(nsp_auth, "2/custom,[\"auth\",{}]");
    assert_eq!(raw_message(&mut raw, "2[").await, "2[\"auth\",{}]");
    raw.exit().await;
}

#[tokio::test]
async fn a_connection_that_joins_no_namespace_is_closed_after_one_second() {
    let addr = start().await;
    let mut joined = NodeDriver::sio();
    let cmd = json!({"cmd": "connect", "name": "j", "url": format!("http://{addr}/"), "opts": {}});
    joined.command(cmd, TIMEOUT).await;
    joined.expect("connect", TIMEOUT).await;
    for transport in ["websocket", "polling"] {
        let mut raw = NodeDriver::eio();
        let opts = json!({"path": "/socket.io/", "transports": [transport]});
        let cmd = json!({"cmd": "open", "url": format!("http://{addr}"), "opts": opts});
        raw.command(cmd, TIMEOUT).await;
        raw.expect("open", TIMEOUT).await;
        let opened = Instant::now();
        let closed = raw.expect("close", TIMEOUT).await;
        let after = opened.elapsed();
        assert_eq!(closed["reason"], "transport close", "{transport}");
        // connectTimeout 1000 ms, not the default 45 s; and not before it either.
        assert!(
            after >= Duration::from_millis(800),
            "{transport}: after {after:?}"
        );
        assert!(
            after < Duration::from_secs(5),
            "{transport}: after {after:?}"
        );
        raw.exit().await;
    }
    // A socket that joined in time is not affected.
    joined
        .expect_no("disconnect", Duration::from_millis(100))
        .await;
    let cmd = json!({"cmd": "emit", "name": "j", "event": "message-with-ack", "args": ["still"], "ack": true, "id": "s"});
    joined.command(cmd, TIMEOUT).await;
    let ack = joined.expect("ack", TIMEOUT).await;
    assert_eq!(ack["args"], json!(["still"]));
    joined.exit().await;
}

/// `--allow-eio3` (here `Options { allow_eio3: true }`, as the binary sets it): the official
/// engine.io-client 3.x is echoed on `/engine.io/` on each transport, with the suites'
/// timings; without the option it is refused (code 5), the v4 client served the same.
#[tokio::test]
async fn allow_eio3_serves_engine_io_v3_clients() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let options = conformance_server::Options {
        allow_eio3: true,
        ..Default::default()
    };
    tokio::spawn(conformance_server::serve_with(
        listener,
        options,
        std::future::pending(),
    ));
    for transports in [
        json!(["polling"]),
        json!(["websocket"]),
        json!(["polling", "websocket"]),
    ] {
        let mut client = NodeDriver::eio_v3();
        let opts = json!({"transports": transports});
        let cmd = json!({"cmd": "open", "url": format!("http://{addr}"), "opts": opts});
        client.command(cmd, TIMEOUT).await;
        let opened = client.expect("open", TIMEOUT).await;
        assert_eq!(opened["handshake"]["pingInterval"], 300, "{opened}");
        assert_eq!(opened["handshake"]["pingTimeout"], 200, "{opened}");
        echoes_as_it_came(&mut client, &format!("v3 {transports}")).await;
        client.exit().await;
    }
    let mut v4 = NodeDriver::eio();
    let cmd = json!({"cmd": "open", "url": format!("http://{addr}"), "opts": {}});
    v4.command(cmd, TIMEOUT).await;
    assert_conformance_handshake(&v4.expect("open", TIMEOUT).await, "v4 with --allow-eio3");
    echoes_as_it_came(&mut v4, "v4 with --allow-eio3").await;
    v4.exit().await;
    let default = start().await;
    let target = "/engine.io/?EIO=3&transport=polling";
    let refused = http::request(&default, "GET", target, &[], "").await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.body,
        r#"{"code":5,"message":"Unsupported protocol version"}"#
    );
}

/// `--allow-eio3` serves the official `socket.io-client` 2.x on `/socket.io/` too: on each
/// transport it gets `auth` (its namespace's query, `{}` on `/`), `message-back` and the ack
/// of `message-with-ack` as the v4 clients do; the v4 client is served the same, and without
/// the option the v2 client gets only a `connect_error`.
#[tokio::test]
async fn allow_eio3_serves_socket_io_v2_clients() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let options = conformance_server::Options {
        allow_eio3: true,
        ..Default::default()
    };
    tokio::spawn(conformance_server::serve_with(
        listener,
        options,
        std::future::pending(),
    ));
    let args =
        json!([1, "two", {"three": bin(&[3, 0, 255]), "list": [bin(&[]), null]}, bin(&[7; 40])]);
    for transports in [
        json!(["polling"]),
        json!(["websocket"]),
        json!(["polling", "websocket"]),
    ] {
        let mut client = NodeDriver::spawn("sio2-driver.mjs", &[]);
        for (name, path, auth) in [
            ("s", "/", json!({})),
            ("c", "/custom?user=u", json!({"user": "u"})),
        ] {
            let url = format!("http://{addr}{path}");
            let opts = json!({"transports": transports});
            let cmd = json!({"cmd": "connect", "name": name, "url": url, "opts": opts});
            client.command(cmd, TIMEOUT).await;
            let connected = client
                .expect_matching(
                    |e| e["name"] == name && (e["ev"] == "connect" || e["ev"] == "error"),
                    TIMEOUT,
                )
                .await;
            assert_eq!(
                connected["ev"], "connect",
                "{transports} {path}: {connected}"
            );
            assert_eq!(auth_event(&mut client, name).await, json!([auth]), "{path}");
        }
        let cmd = json!({"cmd": "emit", "name": "s", "event": "message", "args": args});
        client.command(cmd, TIMEOUT).await;
        let back = client.expect("event", TIMEOUT).await;
        assert_eq!(back["event"], "message-back", "{transports}: {back}");
        assert_eq!(back["args"], args, "{transports}");
        let cmd = json!({"cmd": "emit", "name": "s", "event": "message-with-ack", "args": args, "ack": true, "id": "a"});
        client.command(cmd, TIMEOUT).await;
        let ack = client.expect("ack", TIMEOUT).await;
        assert_eq!(ack["args"], args, "{transports}");
        client.exit().await;
    }
    let mut v4 = NodeDriver::sio();
    let cmd = json!({"cmd": "connect", "name": "s", "url": format!("http://{addr}/"), "opts": {}});
    v4.command(cmd, TIMEOUT).await;
    v4.expect("connect", TIMEOUT).await;
    assert_eq!(auth_event(&mut v4, "s").await, json!([{}]));
    let cmd = json!({"cmd": "emit", "name": "s", "event": "message", "args": args});
    v4.command(cmd, TIMEOUT).await;
    assert_eq!(v4.expect("event", TIMEOUT).await["args"], args);
    v4.exit().await;

    let default = start().await;
    let mut client = NodeDriver::spawn("sio2-driver.mjs", &[]);
    let url = format!("http://{default}/");
    let cmd =
        json!({"cmd": "connect", "name": "s", "url": url, "opts": {"transports": ["polling"]}});
    client.command(cmd, TIMEOUT).await;
    let refused = client.expect("connect_error", TIMEOUT).await;
    assert_eq!(refused["message"], "xhr poll error", "{refused}");
    client
        .expect_no("connect", Duration::from_millis(300))
        .await;
    client.exit().await;
}
