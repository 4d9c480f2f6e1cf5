//! Service tests of Engine.IO v3 sessions (`allow_eio3`), and of the poll a client leaves
//! held when it closes through a POST: in-memory requests, paused time.

#![allow(clippy::unwrap_used)]

mod common;

use bytes::Bytes;
use common::*;
use engineio::packet::{Message, Text};
use engineio::server::{EngineIo, Handler, Socket};
use engineio::DisconnectReason;
use http::{header, Method, Request};
use http_body_util::{BodyExt, Full};

fn v3() -> engineio::server::Builder {
    fast().allow_eio3(true)
}

/// Opens a v3 polling session (`extra` is added to the query) and returns its sid.
async fn open_v3(server: &Server, extra: &str) -> String {
    let reply = get(server, &format!("EIO=3&transport=polling{extra}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.headers["content-type"], "text/plain; charset=UTF-8");
    let (length, open) = reply.body.split_once(':').expect("a v3 payload");
    assert_eq!(
        length.parse::<usize>().unwrap(),
        open.len(),
        "ASCII: units are bytes"
    );
    let open: serde_json::Value = serde_json::from_str(&open[1..]).expect("open packet");
    open["sid"].as_str().unwrap().to_owned()
}

fn v3_query(sid: &str) -> String {
    format!("EIO=3&transport=polling&sid={sid}")
}

#[tokio::test(start_paused = true)]
async fn v3_is_refused_unless_allowed() {
    let (server, _rx) = server(fast());
    for query in [
        "EIO=3&transport=polling",
        "transport=polling",
        "EIO=5&transport=polling",
    ] {
        let reply = get(&server, query).await;
        assert_error(&reply, 400, 5, "Unsupported protocol version");
    }
    // As the reference reads `EIO`: anything but 4 is v3, served once v3 is allowed.
    let (server, mut rx) = server_v3();
    let sid = open_v3(&server, "").await;
    assert_eq!(next(&mut rx).await, Seen::Connect(sid));
    let reply = get(&server, "transport=polling").await;
    assert_eq!(reply.status, 200, "no EIO at all is v3");
}

fn server_v3() -> (Server, tokio::sync::mpsc::UnboundedReceiver<Seen>) {
    server(v3())
}

/// A v3 text payload in, a v3 text payload out, the pong to the client's ping included.
#[tokio::test(start_paused = true)]
async fn v3_text_payloads_both_ways() {
    let (server, mut rx) = server_v3();
    let sid = open_v3(&server, "").await;
    next(&mut rx).await;
    let reply = post(&server, &v3_query(&sid), "8:4echo 😀1:26:b4AQID").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
    assert_eq!(
        next(&mut rx).await,
        Seen::Message(sid.clone(), Message::Text(Text::new("echo 😀")))
    );
    assert_eq!(
        next(&mut rx).await,
        Seen::Message(sid.clone(), Message::Binary(Bytes::from_static(&[1, 2, 3])))
    );
    let reply = get(&server, &v3_query(&sid)).await;
    // The pong is queued as the POST is read, before the handler echoes.
    assert_eq!(reply.body, "1:38:4echo 😀");
}

/// Echoes every message, binary ones included.
struct EchoAll;

impl Handler for EchoAll {
    type Connection = Socket;
    fn on_connect(&self, socket: Socket) -> Socket {
        socket
    }
    fn on_message(&self, socket: &mut Socket, message: Message) {
        socket.send(message).unwrap();
    }
    fn on_close(&self, _socket: Socket, _reason: DisconnectReason) {}
}

/// A binary POST (`application/octet-stream`) is a v3 binary payload; the echo of a binary
/// message goes back in a binary payload, or in base64 text to a client that asked for `b64`.
#[tokio::test(start_paused = true)]
async fn v3_binary_payloads_and_base64() {
    // `4echo 1` as text, then the binary message [9, 8].
    const BODY: &[u8] = &[
        0, 7, 0xff, b'4', b'e', b'c', b'h', b'o', b' ', b'1', 1, 3, 0xff, 4, 9, 8,
    ];
    for b64 in [false, true] {
        let server = v3().build(EchoAll);
        let reply = get_v3(&server, if b64 { "&b64=1" } else { "" }).await;
        let open: serde_json::Value =
            serde_json::from_str(&reply[reply.find('{').unwrap()..]).unwrap();
        let query = v3_query(open["sid"].as_str().unwrap());
        let request = Request::post(format!("/engine.io/?{query}"))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Full::new(Bytes::from_static(BODY)))
            .unwrap();
        let posted = server.handle(request).await;
        assert_eq!(posted.status(), 200);
        let request = Request::get(format!("/engine.io/?{query}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (parts, body) = server.handle(request).await.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        if b64 {
            assert_eq!(parts.headers["content-type"], "text/plain; charset=UTF-8");
            assert_eq!(&body[..], b"7:4echo 16:b4CQg=");
        } else {
            assert_eq!(parts.headers["content-type"], "application/octet-stream");
            assert_eq!(&body[..], BODY);
        }
    }
}

/// The body of a v3 handshake on a server of any handler.
async fn get_v3(server: &EngineIo<EchoAll>, extra: &str) -> String {
    let request = Request::get(format!("/engine.io/?EIO=3&transport=polling{extra}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let body = server.handle(request).await.into_body();
    String::from_utf8(body.collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

#[tokio::test(start_paused = true)]
async fn v3_malformed_payload_is_a_parse_error() {
    let (server, mut rx) = server_v3();
    let sid = open_v3(&server, "").await;
    next(&mut rx).await;
    let reply = post(&server, &v3_query(&sid), "9:4short").await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        next(&mut rx).await,
        Seen::Close(sid, DisconnectReason::ParseError)
    );
}

#[tokio::test(start_paused = true)]
async fn jsonp_polling_is_not_offered() {
    let (server, _rx) = server_v3();
    for query in ["EIO=3&transport=polling&j=0", "EIO=4&transport=polling&j=1"] {
        assert_error(&get(&server, query).await, 400, 0, "Transport unknown");
    }
}

/// The client closes through a POST while its GET is held: the GET is answered with a noop
/// (`6`, `1:6` in v3), as the reference answers it; the session ends with `transport close`.
#[tokio::test(start_paused = true)]
async fn client_close_answers_the_held_poll_with_a_noop() {
    for (eio, close, noop) in [("4", "1", "6"), ("3", "1:1", "1:6")] {
        let (server, mut rx) = server_v3();
        let sid = match eio {
            "4" => open(&server).await,
            _ => open_v3(&server, "").await,
        };
        next(&mut rx).await;
        let query = format!("EIO={eio}&transport=polling&sid={sid}");
        let held = tokio::spawn({
            let (server, query) = (server.clone(), query.clone());
            async move { get(&server, &query).await }
        });
        tokio::task::yield_now().await;
        let reply = request(
            &server,
            Method::POST,
            &format!("/engine.io/?{query}"),
            close,
        )
        .await;
        assert_eq!(reply.status, 200);
        let held = held.await.unwrap();
        assert_eq!((held.status, held.body.as_str()), (200, noop), "EIO={eio}");
        assert_eq!(
            next(&mut rx).await,
            Seen::Close(sid, DisconnectReason::TransportClose)
        );
    }
}

/// Serves an echo server with v3 allowed on a free port.
async fn listen_echo() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(engineio::server::serve(listener, v3().build(EchoAll)));
    port
}

/// WebSocket frames of each revision, with and without `b64`: a v3 binary frame carries its
/// type byte (`0x04`), base64 is `b4…` in v3 and `b…` in v4; a v3 client's ping is answered.
#[tokio::test]
async fn websocket_frames_of_each_revision() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message as Ws;
    let port = listen_echo().await;
    let cases = [
        (
            "EIO=3",
            Ws::Binary(Bytes::from_static(&[4, 1, 2])),
            Ws::Binary(Bytes::from_static(&[4, 1, 2])),
        ),
        (
            "EIO=3&b64=1",
            Ws::Binary(Bytes::from_static(&[4, 1, 2])),
            Ws::text("b4AQI="),
        ),
        ("EIO=3&b64=1", Ws::text("b4AQI="), Ws::text("b4AQI=")),
        (
            "EIO=4",
            Ws::Binary(Bytes::from_static(&[1, 2])),
            Ws::Binary(Bytes::from_static(&[1, 2])),
        ),
        (
            "EIO=4&b64=1",
            Ws::Binary(Bytes::from_static(&[1, 2])),
            Ws::text("bAQI="),
        ),
    ];
    for (query, sent, echoed) in cases {
        let mut client = common::net::try_ws(port, &format!("{query}&transport=websocket"))
            .await
            .unwrap();
        let open = common::net::recv(&mut client).await.unwrap();
        assert!(
            open.to_text().unwrap().starts_with("0{"),
            "{query}: {open:?}"
        );
        client.send(sent).await.unwrap();
        assert_eq!(
            common::net::recv(&mut client).await,
            Some(echoed),
            "{query}"
        );
        if query.starts_with("EIO=3") {
            client.send(Ws::text("2")).await.unwrap();
            assert_eq!(
                common::net::recv(&mut client).await,
                Some(Ws::text("3")),
                "{query}"
            );
        }
    }
}

/// A v3 binary frame of another type than message, and a v3 text that is not a packet, end
/// the session with `parse error`: the connection closes.
#[tokio::test]
async fn malformed_v3_frames_close_the_websocket() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message as Ws;
    let port = listen_echo().await;
    for bad in [
        Ws::Binary(Bytes::from_static(&[2, 1])),
        Ws::text("b9AQI="),
        Ws::text("7"),
    ] {
        let mut client = common::net::try_ws(port, "EIO=3&transport=websocket")
            .await
            .unwrap();
        common::net::recv(&mut client).await.unwrap();
        client.send(bad.clone()).await.unwrap();
        let after = common::net::recv(&mut client).await;
        assert!(
            matches!(after, None | Some(Ws::Close(_))),
            "{bad:?}: {after:?}"
        );
    }
}
