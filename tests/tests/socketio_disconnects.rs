//! End-to-end: every disconnect reason, seen by the right side, with the official
//! `socket.io-client` against our Socket.IO server; the connect timeout, the ping timeout of
//! a frozen client, and a client that reconnects by itself after a transport close.
//! `transport error` and `parse error` are in `socketio_transport_errors.rs`.

mod common_sio;

use std::time::{Duration, Instant};

use common_sio::{connect, emit_ack, named, sio, Server};
use e2e::{NodeDriver, ReferenceServer, TIMEOUT};
use serde_json::json;
use socketio::server::{Builder, DisconnectReason, Event, Socket};

/// `/` and `/custom`, watched; `ack-me` is acked with its arguments.
async fn server() -> Server {
    server_with(common_sio::builder()).await
}

async fn server_with(builder: Builder) -> Server {
    let server = common_sio::start_with(builder).await;
    for nsp in ["/", "/custom"] {
        server.watch(nsp);
        server.io.of(nsp).on_connection(|socket: Socket| {
            socket.on("ack-me", |_: &Socket, event: Event| {
                let args = event.payload().clone();
                if let Some(ack) = event.into_ack() {
                    ack.send_payload(args);
                }
            });
        });
    }
    server
}

/// Sockets `s` on `/` and `c` on `/custom`, multiplexed on one connection.
async fn two_namespaces(
    server: &mut Server,
    client: &mut NodeDriver,
    opts: serde_json::Value,
) -> (String, String) {
    let main = connect(client, "s", &server.nsp_url("/"), opts.clone()).await;
    let custom = connect(client, "c", &server.nsp_url("/custom"), opts).await;
    server.connected(&main).await;
    server.connected(&custom).await;
    (main, custom)
}

async fn client_reason(client: &mut NodeDriver, name: &str) -> String {
    let event = named(client, "disconnect", name).await;
    event["reason"].as_str().expect("a reason").to_owned()
}

#[tokio::test]
async fn client_disconnect_is_client_namespace_disconnect() {
    let mut server = server().await;
    let mut client = sio();
    let (main, custom) = two_namespaces(&mut server, &mut client, json!({})).await;
    client
        .command(json!({"cmd": "disconnect", "name": "c"}), TIMEOUT)
        .await;
    assert_eq!(
        client_reason(&mut client, "c").await,
        "io client disconnect"
    );
    assert_eq!(
        server.disconnected(&custom).await,
        DisconnectReason::ClientNamespaceDisconnect
    );
    // Only that namespace left: the other one, on the same connection, still works.
    assert_eq!(
        emit_ack(&mut client, "s", "ack-me", json!([1])).await,
        json!([1])
    );
    server
        .no_disconnect(&main, Duration::from_millis(300))
        .await;
    client
        .command(json!({"cmd": "disconnect", "name": "s"}), TIMEOUT)
        .await;
    assert_eq!(
        server.disconnected(&main).await,
        DisconnectReason::ClientNamespaceDisconnect
    );
    client.exit().await;
}

#[tokio::test]
async fn server_disconnect_leaves_one_namespace_and_is_not_reconnected() {
    let mut server = server().await;
    let mut client = sio();
    let opts = json!({"reconnection": true, "reconnectionDelay": 100, "reconnectionDelayMax": 100});
    let (main, custom) = two_namespaces(&mut server, &mut client, opts).await;
    let socket = server.io.of("/custom").socket(&custom).expect("socket");
    socket.disconnect(false);
    assert_eq!(
        server.disconnected(&custom).await,
        DisconnectReason::ServerNamespaceDisconnect
    );
    assert_eq!(
        client_reason(&mut client, "c").await,
        "io server disconnect"
    );
    assert!(!socket.connected());
    // `io server disconnect` is final for socket.io-client; the other namespace stays.
    assert_eq!(
        emit_ack(&mut client, "s", "ack-me", json!(["on"])).await,
        json!(["on"])
    );
    client
        .expect_no("connect", Duration::from_millis(500))
        .await;
    server.no_disconnect(&main, Duration::from_millis(10)).await;
    assert_eq!(server.io.of("/custom").socket_count(), 0);
    assert_eq!(server.io.of("/").socket_count(), 1);
    client.exit().await;
}

#[tokio::test]
async fn server_disconnect_with_close_ends_every_namespace_of_the_connection() {
    let mut server = server().await;
    let mut client = sio();
    let (main, custom) = two_namespaces(&mut server, &mut client, json!({})).await;
    server
        .io
        .of("/")
        .socket(&main)
        .expect("socket")
        .disconnect(true);
    assert_eq!(
        server.disconnected(&main).await,
        DisconnectReason::ServerNamespaceDisconnect
    );
    assert_eq!(
        server.disconnected(&custom).await,
        DisconnectReason::ServerNamespaceDisconnect
    );
    assert_eq!(
        client_reason(&mut client, "s").await,
        "io server disconnect"
    );
    assert_eq!(
        client_reason(&mut client, "c").await,
        "io server disconnect"
    );
    client
        .expect_no("disconnect", Duration::from_millis(300))
        .await;
    client.exit().await;
}

/// Over long-polling the DISCONNECT and the close come in two polls, as the reference sends
/// them: in one payload, socket.io-client would close before it handled the DISCONNECT (it
/// hands decoded packets on a tick later) and report `transport close`.
#[tokio::test]
async fn server_disconnect_with_close_over_polling_is_io_server_disconnect() {
    let mut server = server().await;
    let mut client = sio();
    let opts = json!({"transports": ["polling"]});
    let (main, custom) = two_namespaces(&mut server, &mut client, opts).await;
    let socket = server.io.of("/").socket(&main).expect("socket");
    socket.disconnect(true);
    for (name, id) in [("s", &main), ("c", &custom)] {
        let reason = server.disconnected(id).await;
        assert_eq!(reason, DisconnectReason::ServerNamespaceDisconnect);
        assert_eq!(
            client_reason(&mut client, name).await,
            "io server disconnect"
        );
    }
    client.exit().await;
}

#[tokio::test]
async fn server_shutdown_is_server_shutting_down_and_transport_close() {
    let mut server = server().await;
    let mut client = sio();
    let polling = connect(
        &mut client,
        "p",
        &server.nsp_url("/"),
        json!({"transports": ["polling"]}),
    )
    .await;
    let websocket = connect(
        &mut client,
        "w",
        &server.nsp_url("/custom"),
        json!({"transports": ["websocket"]}),
    )
    .await;
    server.connected(&polling).await;
    server.connected(&websocket).await;
    tokio::time::timeout(TIMEOUT, server.io.close())
        .await
        .expect("close in time");
    assert_eq!(
        server.disconnected(&polling).await,
        DisconnectReason::ServerShuttingDown
    );
    assert_eq!(
        server.disconnected(&websocket).await,
        DisconnectReason::ServerShuttingDown
    );
    assert_eq!(client_reason(&mut client, "p").await, "transport close");
    assert_eq!(client_reason(&mut client, "w").await, "transport close");
    client.exit().await;
}

#[tokio::test]
async fn a_killed_client_is_transport_close() {
    // The reference first: a WebSocket client whose process dies is `transport close`.
    let mut reference = ReferenceServer::sio(&["--ping-timeout", "1000"]).await;
    let mut doomed = sio();
    let url = format!("{}/", reference.url());
    let id = connect(&mut doomed, "k", &url, json!({"transports": ["websocket"]})).await;
    let seen = reference.expect("connection", TIMEOUT).await;
    assert_eq!(seen["id"], id.as_str());
    drop(doomed);
    let seen = reference.expect("disconnect", TIMEOUT).await;
    assert_eq!(
        (&seen["id"], &seen["reason"]),
        (&json!(id), &json!("transport close"))
    );
    reference.stop().await;

    let mut server = server().await;
    let mut bystander = sio();
    let stays = connect(&mut bystander, "b", &server.nsp_url("/"), json!({})).await;
    let mut doomed = sio();
    let id = connect(
        &mut doomed,
        "k",
        &server.nsp_url("/"),
        json!({"transports": ["websocket"]}),
    )
    .await;
    server.connected(&id).await;
    drop(doomed); // kills the Node process
    assert_eq!(
        server.disconnected(&id).await,
        DisconnectReason::TransportClose
    );
    assert_eq!(
        emit_ack(&mut bystander, "b", "ack-me", json!([2])).await,
        json!([2])
    );
    server
        .no_disconnect(&stays, Duration::from_millis(100))
        .await;
    bystander.exit().await;
}

#[tokio::test]
async fn a_frozen_client_is_ping_timeout() {
    // The conformance heartbeat: pingInterval 300 ms, pingTimeout 200 ms.
    let builder = common_sio::builder().ping_timeout(common_sio::STRICT_PING_TIMEOUT);
    let mut server = server_with(builder).await;
    let (mut frozen, pid) = common_sio::sio_with_pid();
    let id = connect(
        &mut frozen,
        "f",
        &server.nsp_url("/"),
        json!({"transports": ["websocket"]}),
    )
    .await;
    server.connected(&id).await;
    common_sio::signal(pid, "STOP");
    let started = Instant::now();
    let reason = server.disconnected(&id).await;
    common_sio::signal(pid, "CONT");
    assert_eq!(reason, DisconnectReason::PingTimeout);
    // pingInterval 300 ms + pingTimeout 200 ms, at most.
    assert!(
        started.elapsed() < Duration::from_millis(2000),
        "{:?}",
        started.elapsed()
    );
    drop(frozen);
}

#[tokio::test]
async fn a_connection_that_joins_no_namespace_is_closed_after_the_connect_timeout() {
    let mut server = server().await;
    let mut bystander = sio();
    let stays = connect(&mut bystander, "b", &server.nsp_url("/"), json!({})).await;
    server.connected(&stays).await;
    for transports in [json!(["websocket"]), json!(["polling"])] {
        let mut raw = common_sio::eio();
        let opts = json!({"path": "/socket.io/", "transports": transports});
        raw.command(
            json!({"cmd": "open", "url": server.url, "opts": opts}),
            TIMEOUT,
        )
        .await;
        raw.expect("open", TIMEOUT).await;
        let opened = Instant::now();
        let closed = raw.expect("close", TIMEOUT).await;
        let after = opened.elapsed();
        assert_eq!(closed["reason"], "transport close", "{transports}");
        // connectTimeout is 1 s.
        assert!(
            after >= Duration::from_millis(850),
            "closed too early ({after:?}), {transports}"
        );
        assert!(
            after < Duration::from_millis(4000),
            "closed too late ({after:?}), {transports}"
        );
        raw.exit().await;
    }
    // The socket that joined in time outlived the timeout.
    bystander
        .expect_no("disconnect", Duration::from_millis(100))
        .await;
    server
        .no_disconnect(&stays, Duration::from_millis(10))
        .await;
    assert_eq!(
        emit_ack(&mut bystander, "b", "ack-me", json!([3])).await,
        json!([3])
    );
    bystander.exit().await;
}

#[tokio::test]
async fn a_client_reconnects_by_itself_after_a_transport_close() {
    for transports in [json!(["websocket"]), json!(["polling"])] {
        let mut server = server().await;
        let mut client = sio();
        let opts = json!({"transports": transports, "reconnection": true, "reconnectionDelay": 100, "reconnectionDelayMax": 100});
        let first = connect(&mut client, "r", &server.nsp_url("/"), opts).await;
        server.connected(&first).await;
        server
            .io
            .of("/")
            .socket(&first)
            .expect("socket")
            .conn()
            .close();
        assert_eq!(
            server.disconnected(&first).await,
            DisconnectReason::ForcedClose,
            "{transports}"
        );
        assert_eq!(
            client_reason(&mut client, "r").await,
            "transport close",
            "{transports}"
        );
        let again = named(&mut client, "connect", "r").await;
        let second = again["id"].as_str().expect("id").to_owned();
        assert_ne!(second, first, "a new socket, {transports}");
        server.connected(&second).await;
        assert_eq!(
            emit_ack(&mut client, "r", "ack-me", json!(["back"])).await,
            json!(["back"])
        );
        assert_eq!(server.io.of("/").socket_count(), 1, "{transports}");
        client.exit().await;
    }
}
