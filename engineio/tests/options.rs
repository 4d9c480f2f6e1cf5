//! The server's options at work: upgrades off, one transport only, a custom path, the tower
//! `Service` impl called directly, and the handshake a handler sees over a real connection.
#![allow(clippy::unwrap_used)]

mod common;

use std::future::poll_fn;

use bytes::Bytes;
use common::net::{listen, raw, recv, try_ws};
use common::*;
use engineio::packet::Message;
use engineio::server::{EngineIo, EngineIoLayer, Handler, Socket};
use engineio::{DisconnectReason, TransportKind};
use futures_util::SinkExt;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Ws;
use tower_service::Service;

fn open_json(body: &str) -> serde_json::Value {
    serde_json::from_str(body.strip_prefix('0').expect("open packet")).unwrap()
}

#[tokio::test]
async fn without_upgrades_a_websocket_probe_is_refused_and_polling_goes_on() {
    let (server, mut rx) = server(fast().allow_upgrades(false));
    let port = listen(&server).await;
    let reply = get(&server, "EIO=4&transport=polling").await;
    let open = open_json(&reply.body);
    assert_eq!(open["upgrades"], serde_json::json!([]));
    let sid = open["sid"].as_str().unwrap().to_owned();
    let mut probe = try_ws(port, &format!("EIO=4&transport=websocket&sid={sid}"))
        .await
        .unwrap();
    let _ = probe.send(Ws::text("2probe")).await;
    assert!(matches!(recv(&mut probe).await, Some(Ws::Close(_)) | None));
    assert_eq!(
        post(&server, &poll_query(&sid), "4echo on").await.status,
        200
    );
    assert_eq!(get(&server, &poll_query(&sid)).await.body, "4echo on");
    assert_eq!(next(&mut rx).await, Seen::Connect(sid.clone()));
    assert!(matches!(next(&mut rx).await, Seen::Message(..)));
    assert!(rx.try_recv().is_err(), "no upgrade, no close");
}

#[tokio::test]
async fn a_websocket_only_server_refuses_polling() {
    let (server, _rx) = server(fast().transports(false, true));
    let port = listen(&server).await;
    assert_error(
        &get(&server, "EIO=4&transport=polling").await,
        400,
        0,
        "Transport unknown",
    );
    let mut client = try_ws(port, "EIO=4&transport=websocket").await.unwrap();
    let Some(Ws::Text(open)) = recv(&mut client).await else {
        panic!("no open packet")
    };
    assert_eq!(open_json(&open)["upgrades"], serde_json::json!([]));
}

#[tokio::test]
async fn a_polling_only_server_refuses_websocket() {
    let (server, _rx) = server(fast().transports(true, false));
    let port = listen(&server).await;
    assert_error(
        &get(&server, "EIO=4&transport=websocket").await,
        400,
        0,
        "Transport unknown",
    );
    match try_ws(port, "EIO=4&transport=websocket").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 400);
            let body = response.into_body().unwrap_or_default();
            assert_eq!(body, b"Transport unknown");
        }
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    }
    let open = open_json(&get(&server, "EIO=4&transport=polling").await.body);
    assert_eq!(open["upgrades"], serde_json::json!([]));
}

#[tokio::test(start_paused = true)]
async fn a_custom_path_is_served_there_only() {
    let (server, _rx) = server(fast().path("/x"));
    assert_eq!(server.config().path, "/x/");
    let ours = request(
        &server,
        http::Method::GET,
        "/x/?EIO=4&transport=polling",
        "",
    )
    .await;
    assert_eq!(ours.status, 200);
    assert!(ours.body.starts_with("0{\"sid\""));
    let default_path = get(&server, "EIO=4&transport=polling").await;
    assert_eq!(default_path.status, 404);
    assert_eq!(server.session_count(), 1);

    let inner = tower_service_fn();
    let mut mounted = tower_layer::Layer::layer(&EngineIoLayer::new(server.clone()), inner);
    let elsewhere = Request::get("/engine.io/?EIO=4&transport=polling")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = mounted.call(elsewhere).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "inner");
    assert_eq!(server.session_count(), 1);
}

type Inner = fn(
    Request<Full<Bytes>>,
) -> std::future::Ready<Result<Response<Full<Bytes>>, std::convert::Infallible>>;

/// An inner service answering "inner".
fn tower_service_fn() -> InnerService {
    InnerService(|_| std::future::ready(Ok(Response::new(Full::new(Bytes::from("inner"))))))
}

#[derive(Clone)]
struct InnerService(Inner);

impl Service<Request<Full<Bytes>>> for InnerService {
    type Response = Response<Full<Bytes>>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;
    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn call(&mut self, request: Request<Full<Bytes>>) -> Self::Future {
        (self.0)(request)
    }
}

/// `EngineIo` is a tower `Service` of its own: ready at once, and a whole session through it.
#[tokio::test(start_paused = true)]
async fn the_tower_service_impl_serves_a_session() {
    let (server, mut rx) = server(fast());
    let mut service = server.clone();
    poll_fn(|cx| Service::<Request<Full<Bytes>>>::poll_ready(&mut service, cx))
        .await
        .unwrap();
    let call = |service: &mut Server, method: &str, query: String, body: &'static str| {
        let request = Request::builder()
            .method(method)
            .uri(format!("/engine.io/?{query}"))
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        service.call(request)
    };
    let handshake = call(&mut service, "GET", "EIO=4&transport=polling".into(), "");
    let open = reply(handshake.await.unwrap()).await;
    let sid = open_json(&open.body)["sid"].as_str().unwrap().to_owned();
    let posted = reply(
        call(&mut service, "POST", poll_query(&sid), "4echo tower")
            .await
            .unwrap(),
    );
    assert_eq!(posted.await.body, "ok");
    let polled = reply(
        call(&mut service, "GET", poll_query(&sid), "")
            .await
            .unwrap(),
    );
    assert_eq!(polled.await.body, "4echo tower");
    assert_eq!(next(&mut rx).await, Seen::Connect(sid));
}

/// Hands every new session's socket to the test; echoes text.
struct Keeper(mpsc::UnboundedSender<Socket>);

impl Handler for Keeper {
    type Connection = Socket;
    fn on_connect(&self, socket: Socket) -> Socket {
        let _ = self.0.send(socket.clone());
        socket
    }
    fn on_message(&self, socket: &mut Socket, message: Message) {
        let _ = socket.send(message);
    }
    fn on_close(&self, _: Socket, _: DisconnectReason) {}
}

/// The handshake as a handler sees it over a real `serve` connection, and the transport
/// before and after an upgrade.
#[tokio::test]
async fn the_handler_sees_the_handshake_and_the_transport() {
    let (tx, mut sockets) = mpsc::unbounded_channel();
    let server: EngineIo<Keeper> = fast().build(Keeper(tx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(engineio::server::serve(listener, server.clone()));

    let path = "/engine.io/?EIO=4&transport=polling&room=a%20b";
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Custom: yes\r\n\r\n");
    let (reply, stream) = raw(port, &request).await;
    assert_eq!(reply.status, 200);
    let sid = sockets.recv().await.unwrap();
    let handshake = sid.handshake();
    assert_eq!(handshake.remote_addr, Some(stream.local_addr().unwrap()));
    assert_eq!(handshake.url.to_string(), path);
    assert_eq!(handshake.query_param("room"), Some("a b"));
    assert_eq!(handshake.query_param("EIO"), Some("4"));
    assert_eq!(handshake.headers["x-custom"], "yes");
    assert_eq!(sid.transport(), Some(TransportKind::Polling));

    let query = format!("EIO=4&transport=websocket&sid={}", sid.id());
    let mut ws = try_ws(port, &query).await.unwrap();
    ws.send(Ws::text("2probe")).await.unwrap();
    assert_eq!(recv(&mut ws).await, Some(Ws::text("3probe")));
    ws.send(Ws::text("5")).await.unwrap();
    ws.send(Ws::text("4after")).await.unwrap();
    assert_eq!(recv(&mut ws).await, Some(Ws::text("4after")));
    assert_eq!(sid.transport(), Some(TransportKind::WebSocket));
    assert_eq!(sid.handshake().url.to_string(), path, "the first request's");

    let mut direct = try_ws(port, "EIO=4&transport=websocket").await.unwrap();
    recv(&mut direct).await;
    let socket = sockets.recv().await.unwrap();
    assert_eq!(socket.transport(), Some(TransportKind::WebSocket));
    assert_eq!(
        socket.handshake().query_param("transport"),
        Some("websocket")
    );
    assert!(socket.handshake().remote_addr.unwrap().ip().is_loopback());
}
