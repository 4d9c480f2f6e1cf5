//! Service tests of refused and malformed requests, and of the HTTP options.

#![allow(clippy::unwrap_used)]

mod common;

use bytes::Bytes;
use common::*;
use engineio::server::{Cookie, Cors, EngineIoLayer};
use engineio::DisconnectReason;
use http::{header, HeaderValue, Method, Request, Response};
use http_body_util::Full;

#[tokio::test(start_paused = true)]
async fn protocol_errors_have_the_reference_codes() {
    let (server, mut rx) = server(fast());
    let bystander = open(&server).await;
    assert_error(
        &get(&server, "EIO=4&transport=carrier-pigeon").await,
        400,
        0,
        "Transport unknown",
    );
    assert_error(&get(&server, "EIO=4").await, 400, 0, "Transport unknown");
    assert_error(
        &get(&server, "EIO=4&transport=polling&sid=nope").await,
        400,
        1,
        "Session ID unknown",
    );
    assert_error(
        &post(&server, "EIO=4&transport=polling", "4x").await,
        400,
        2,
        "Bad handshake method",
    );
    assert_error(
        &get(&server, "EIO=4&transport=websocket").await,
        400,
        3,
        "Bad request",
    );
    assert_error(
        &get(&server, "EIO=3&transport=polling").await,
        400,
        5,
        "Unsupported protocol version",
    );
    assert_error(
        &get(&server, "transport=polling").await,
        400,
        5,
        "Unsupported protocol version",
    );
    let sid = open(&server).await;
    let put = request(
        &server,
        Method::PUT,
        &format!("/engine.io/?{}", poll_query(&sid)),
        "",
    )
    .await;
    assert_eq!(put.status, 500);
    let outside = request(
        &server,
        Method::GET,
        "/elsewhere/?EIO=4&transport=polling",
        "",
    )
    .await;
    assert_eq!(outside.status, 404);
    // None of these touched the other session.
    let reply = post(&server, &poll_query(&bystander), "4echo unharmed").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        get(&server, &poll_query(&bystander)).await.body,
        "4echo unharmed"
    );
    let mut events = Vec::new();
    while !events.contains(&Seen::Connect(sid.clone())) {
        events.push(next(&mut rx).await);
    }
    while let Ok(event) = rx.try_recv() {
        events.push(event);
    }
    let closed = events.iter().any(|e| matches!(e, Seen::Close(..)));
    assert!(!closed, "a session closed: {events:?}");
}

#[tokio::test(start_paused = true)]
async fn disabled_transport_is_unknown() {
    let (server, _rx) = server(fast().transports(false, true));
    assert_error(
        &get(&server, "EIO=4&transport=polling").await,
        400,
        0,
        "Transport unknown",
    );
}

#[tokio::test(start_paused = true)]
async fn websocket_request_without_upgrade_support_is_refused_clearly() {
    let (server, _rx) = server(fast());
    let request = Request::get("/engine.io/?EIO=4&transport=websocket")
        .header(header::UPGRADE, "websocket")
        .header(header::CONNECTION, "Upgrade")
        .header(header::SEC_WEBSOCKET_VERSION, "13")
        .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let reply = reply(server.handle(request).await).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.headers["connection"], "close");
    assert!(reply.body.contains("upgrades enabled"), "{}", reply.body);
}

/// Each malformed body ends its own session with `parse error` and no other.
#[tokio::test(start_paused = true)]
async fn malformed_payloads_end_only_their_session() {
    let (server, mut rx) = server(fast());
    let bystander = open(&server).await;
    for body in ["9", "bAQ$$", "4ok\x1e", "", "2probe", "1x", "4\u{1e}\u{1e}"] {
        let sid = open(&server).await;
        let reply = post(&server, &poll_query(&sid), body).await;
        if body == "2probe" {
            // Well-formed, but pings go from server to client: the reference answers "ok"
            // and ends the session (invalid heartbeat direction).
            assert_eq!(reply.status, 200);
        } else {
            assert_error(&reply, 400, 3, "Bad request");
        }
        loop {
            match next(&mut rx).await {
                Seen::Close(id, reason) => {
                    assert_eq!(id, sid, "body {body:?}");
                    let expected = match body {
                        "2probe" => DisconnectReason::TransportError,
                        _ => DisconnectReason::ParseError,
                    };
                    assert_eq!(reason, expected, "body {body:?}");
                    break;
                }
                Seen::Connect(_) | Seen::Message(..) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    let reply = post(&server, &poll_query(&bystander), "4echo still here").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        get(&server, &poll_query(&bystander)).await.body,
        "4echo still here"
    );
}

#[tokio::test(start_paused = true)]
async fn oversized_body_is_413_and_ends_the_session() {
    let (server, mut rx) = server(fast().max_payload(100));
    let sid = open(&server).await;
    next(&mut rx).await;
    let body = format!("4{}", "x".repeat(100));
    let reply = post(&server, &poll_query(&sid), &body).await;
    assert_eq!(reply.status, 413);
    assert_eq!(
        next(&mut rx).await,
        Seen::Close(sid, DisconnectReason::TransportError)
    );
    let other = open(&server).await;
    assert_eq!(
        post(&server, &poll_query(&other), &body[..100])
            .await
            .status,
        200
    );
}

#[tokio::test(start_paused = true)]
async fn binary_content_type_is_refused() {
    let (server, mut rx) = server(fast());
    let sid = open(&server).await;
    next(&mut rx).await;
    let request = Request::post(format!("/engine.io/?{}", poll_query(&sid)))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Full::new(Bytes::from_static(b"4abc")))
        .unwrap();
    assert_error(
        &reply(server.handle(request).await).await,
        400,
        3,
        "Bad request",
    );
    assert_eq!(
        next(&mut rx).await,
        Seen::Close(sid, DisconnectReason::TransportError)
    );
}

#[tokio::test(start_paused = true)]
async fn allow_request_refuses_with_403() {
    let builder = fast().allow_request(|handshake| {
        let token = handshake.query_param("token").map(str::to_owned);
        async move {
            match token.as_deref() {
                Some("good") => Ok(()),
                Some(_) => Err("bad token".to_owned()),
                None => Err(String::new()),
            }
        }
    });
    let (server, _rx) = server(builder);
    assert_error(
        &get(&server, "EIO=4&transport=polling&token=x").await,
        403,
        4,
        "bad token",
    );
    assert_error(
        &get(&server, "EIO=4&transport=polling").await,
        403,
        4,
        "Forbidden",
    );
    assert_eq!(
        get(&server, "EIO=4&transport=polling&token=good")
            .await
            .status,
        200
    );
}

#[tokio::test(start_paused = true)]
async fn cookie_and_handshake_headers() {
    let builder = fast().cookie(Cookie::default()).handshake_header(
        header::HeaderName::from_static("x-node"),
        HeaderValue::from_static("a"),
    );
    let (server, _rx) = server(builder);
    let reply = get(&server, "EIO=4&transport=polling").await;
    let sid = &serde_json::from_str::<serde_json::Value>(&reply.body[1..]).unwrap()["sid"];
    let cookie = format!(
        "io={}; Path=/; HttpOnly; SameSite=Lax",
        sid.as_str().unwrap()
    );
    assert_eq!(reply.headers["set-cookie"], cookie.as_str());
    assert_eq!(reply.headers["x-node"], "a");
}

#[tokio::test(start_paused = true)]
async fn cors_preflight_and_origins() {
    let (server, _rx) = server(fast().cors(Cors::origins(["https://a.example"]).credentials(true)));
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/engine.io/?EIO=4&transport=polling")
        .header(header::ORIGIN, "https://a.example")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let reply = reply(server.handle(preflight).await).await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.headers["access-control-allow-origin"],
        "https://a.example"
    );
    assert_eq!(reply.headers["access-control-allow-credentials"], "true");
    assert_eq!(
        reply.headers["access-control-allow-headers"],
        "content-type"
    );
    assert_eq!(
        reply.headers["access-control-allow-methods"],
        "GET,HEAD,PUT,PATCH,POST,DELETE"
    );
    let foreign = Request::get("/engine.io/?EIO=4&transport=polling")
        .header(header::ORIGIN, "https://evil.example")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let reply = common::reply(server.handle(foreign).await).await;
    assert!(!reply.headers.contains_key("access-control-allow-origin"));

    let (open_server, _rx) = server_any();
    let reply = get(&open_server, "EIO=4&transport=polling").await;
    assert_eq!(reply.headers["access-control-allow-origin"], "*");
}

fn server_any() -> (Server, tokio::sync::mpsc::UnboundedReceiver<Seen>) {
    server(fast().cors(Cors::any()))
}

#[tokio::test(start_paused = true)]
async fn layer_forwards_other_paths_to_the_inner_service() {
    use tower_layer::Layer;
    use tower_service::Service;
    let (server, _rx) = server(fast());
    let inner = tower_service_fn(|_req: Request<Full<Bytes>>| async {
        Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from_static(b"inner"))))
    });
    let mut service = EngineIoLayer::new(server).layer(inner);
    let other = service
        .call(Request::get("/api").body(Full::new(Bytes::new())).unwrap())
        .await;
    let body = http_body_util::BodyExt::collect(other.unwrap().into_body())
        .await
        .unwrap();
    assert_eq!(body.to_bytes(), "inner");
    let ours = service
        .call(
            Request::get("/engine.io/?EIO=4&transport=polling")
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    let body = http_body_util::BodyExt::collect(ours.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert!(body.starts_with(b"0{\"sid\""));
}

/// A minimal tower service from a closure, so the test needs no extra crate.
fn tower_service_fn<F>(f: F) -> ServiceFn<F> {
    ServiceFn(f)
}

#[derive(Clone)]
struct ServiceFn<F>(F);

impl<F, Fut, Req, Res, E> tower_service::Service<Req> for ServiceFn<F>
where
    F: FnMut(Req) -> Fut,
    Fut: std::future::Future<Output = Result<Res, E>>,
{
    type Response = Res;
    type Error = E;
    type Future = Fut;
    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), E>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn call(&mut self, request: Req) -> Fut {
        (self.0)(request)
    }
}

#[tokio::test(start_paused = true)]
async fn an_origin_check_refuses_other_origins() {
    let builder = origin_checked();
    let (server, _rx) = server(builder);
    let from = |origin: &'static str| {
        Request::get("/engine.io/?EIO=4&transport=polling")
            .header(header::ORIGIN, origin)
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    let refused = reply(server.handle(from("https://evil.example")).await).await;
    assert_error(&refused, 403, 4, "origin not allowed");
    let accepted = reply(server.handle(from("https://app.example")).await).await;
    assert_eq!(accepted.status, 200);
}
