//! End-to-end over TLS: `examples/tls-server` (its library, in-process) with a self-signed
//! certificate made here, reached by the official socket.io-client in Node over https and
//! wss, trusting the certificate through its `ca` option. The handshake the server sees
//! says `secure`, as Node's does on a TLS connection.

use e2e::{NodeDriver, TIMEOUT};
use serde_json::{json, Value};

/// The server on a free port with a new certificate; the certificate's PEM and the port.
async fn start() -> (String, u16) {
    let certificate = tls_server::self_signed(&["localhost", "127.0.0.1"]).expect("certificate");
    let config = certificate.config().expect("a TLS configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let io = tls_server::socket_io();
    tokio::spawn(tls_server::serve(
        listener,
        io,
        config,
        std::future::pending(),
    ));
    (certificate.chain, port)
}

/// Connects a client named `name` with these transport options and returns the handshake
/// object the server answers `whoami` with.
async fn whoami(client: &mut NodeDriver, name: &str, url: &str, opts: Value) -> Value {
    let cmd = json!({"cmd": "connect", "name": name, "url": url, "opts": opts});
    client.command(cmd, TIMEOUT).await;
    let connected = client
        .expect_matching(|ev| ev["name"] == name && ev["ev"] != "event", TIMEOUT)
        .await;
    assert_eq!(connected["ev"], "connect", "{connected}");
    let id = format!("who-{name}");
    let cmd =
        json!({"cmd": "emit", "name": name, "event": "whoami", "args": [], "ack": true, "id": id});
    client.send(cmd).await;
    let ack = client
        .expect_matching(|ev| ev["ev"] == "ack" && ev["id"] == id.as_str(), TIMEOUT)
        .await;
    ack["args"][0].clone()
}

#[tokio::test]
async fn the_official_client_over_https_and_wss_sees_a_secure_handshake() {
    let (ca, port) = start().await;
    let url = format!("https://127.0.0.1:{port}");
    let mut client = NodeDriver::sio();
    let polling = json!({"ca": ca, "transports": ["polling"]});
    let handshake = whoami(&mut client, "polling", &url, polling).await;
    assert_eq!(handshake["secure"], true, "{handshake}");
    assert_eq!(handshake["address"], "127.0.0.1", "{handshake}");
    assert!(handshake["query"]["transport"] == "polling", "{handshake}");

    let websocket = json!({"ca": ca, "transports": ["websocket"]});
    let handshake = whoami(&mut client, "websocket", &url, websocket).await;
    assert_eq!(handshake["secure"], true, "{handshake}");
    assert_eq!(handshake["query"]["transport"], "websocket", "{handshake}");

    // Polling first, then the upgrade to wss.
    let cmd = json!({"cmd": "connect", "name": "upgrading", "url": url, "opts": {"ca": ca}});
    client.command(cmd, TIMEOUT).await;
    let upgraded = client
        .expect_matching(
            |ev| ev["name"] == "upgrading" && ev["ev"] == "engine_upgrade",
            TIMEOUT,
        )
        .await;
    assert_eq!(upgraded["transport"], "websocket", "{upgraded}");
    client.exit().await;
}

/// A client that does not trust the certificate cannot connect: the TLS is real.
#[tokio::test]
async fn a_client_without_the_certificate_is_refused() {
    let (_ca, port) = start().await;
    let url = format!("https://127.0.0.1:{port}");
    let mut client = NodeDriver::sio();
    let cmd =
        json!({"cmd": "connect", "name": "c", "url": url, "opts": {"transports": ["polling"]}});
    client.command(cmd, TIMEOUT).await;
    let refused = client.expect("connect_error", TIMEOUT).await;
    assert_eq!(refused["message"], "xhr poll error", "{refused}");
    client.exit().await;
}
