//! Embedding: the Socket.IO server mounted in an axum router and in a plain hyper service,
//! next to other routes, reached by the official socket.io-client and by plain HTTP.

use e2e::{NodeDriver, TIMEOUT};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A plain HTTP/1.1 GET; returns the status line and the body.
async fn http_get(port: u16, path: &str) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status = response.lines().next().unwrap_or_default().to_owned();
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (status, body)
}

/// The official client connects, and its `ping` is acked with `pong`.
async fn socket_io_works(port: u16) {
    let mut client = NodeDriver::sio();
    let url = format!("http://127.0.0.1:{port}");
    let cmd = json!({"cmd": "connect", "name": "c", "url": url, "opts": {}});
    client.command(cmd, TIMEOUT).await;
    client.expect("connect", TIMEOUT).await;
    let cmd =
        json!({"cmd": "emit", "name": "c", "event": "ping", "args": [], "ack": true, "id": "p"});
    client.send(cmd).await;
    let ack = client.expect("ack", TIMEOUT).await;
    assert_eq!(ack["args"], json!(["pong"]));
    client.exit().await;
}

#[tokio::test]
async fn mounted_in_an_axum_router() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let app = embedding::axum_app(embedding::socket_io());
    tokio::spawn(async move { axum::serve(listener, app).await });
    assert_eq!(
        http_get(port, "/").await,
        ("HTTP/1.1 200 OK".into(), "hello from axum".into())
    );
    assert_eq!(http_get(port, "/health").await.1, "ok");
    assert!(http_get(port, "/missing").await.0.contains("404"));
    socket_io_works(port).await;
}

#[tokio::test]
async fn mounted_in_a_plain_hyper_service() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(embedding::serve_hyper(listener, embedding::socket_io()));
    assert_eq!(
        http_get(port, "/").await,
        ("HTTP/1.1 200 OK".into(), "hello from hyper".into())
    );
    assert!(http_get(port, "/other").await.0.contains("404"));
    let (status, body) = http_get(port, "/socket.io/?EIO=3&transport=polling").await;
    assert!(status.contains("400"), "{status}");
    assert_eq!(
        body,
        r#"{"code":5,"message":"Unsupported protocol version"}"#
    );
    socket_io_works(port).await;
}
