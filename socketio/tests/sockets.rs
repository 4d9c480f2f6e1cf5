//! Service tests of a socket's life over in-memory polling, with paused time: the connect
//! middlewares, the handshake object, the order in which an event meets catch-all handlers,
//! middlewares and handlers, and the two steps of a disconnection.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use common::{connected, open, poll, post, quiet_server, settle};
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use socketio::server::DisconnectReason;
use socketio::server::{ConnectError, Event, RemoteAddr, Socket, SocketIo};
use tokio::sync::mpsc;

type Log = Arc<Mutex<Vec<String>>>;

fn entries(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[tokio::test(start_paused = true)]
async fn disconnecting_sees_the_rooms_then_disconnect_sees_them_left() {
    let io = quiet_server();
    let log = Log::default();
    let hooks = log.clone();
    io.of("/").on_connection(move |socket: Socket| {
        // The first socket joins a and b, the second (a bystander) a alone.
        match socket.nsp().socket_count() {
            1 => socket.join(["a", "b"]),
            _ => socket.join("a"),
        }
        let (before, after) = (hooks.clone(), hooks.clone());
        socket.on_disconnecting(move |s: &Socket, reason: DisconnectReason| {
            let mut rooms: Vec<String> = s.rooms().iter().map(|r| r.to_string()).collect();
            rooms.retain(|room| room != s.id());
            rooms.sort();
            let line = format!("disconnecting {reason} {rooms:?} {}", s.connected());
            before.lock().unwrap().push(line);
        });
        socket.on_disconnect(move |s: &Socket, reason: DisconnectReason| {
            // Too late to join: the socket is out of its rooms for good.
            s.join("late");
            let line = format!("disconnect {reason} {:?} {}", s.rooms(), s.connected());
            after.lock().unwrap().push(line);
        });
    });
    let sid = connected(&io, "/").await;
    let bystander = connected(&io, "/").await;
    assert!(io.of("/").rooms().iter().any(|room| room.as_ref() == "a"));
    post(&io, &sid, "41").await;
    settle().await;
    assert_eq!(
        entries(&log),
        [
            r#"disconnecting client namespace disconnect ["a", "b"] true"#,
            "disconnect client namespace disconnect [] false",
        ]
    );
    // The bystander's rooms are left: its own and a.
    let mut rooms: Vec<String> = io.of("/").rooms().iter().map(|r| r.to_string()).collect();
    rooms.retain(|room| room.len() < 20);
    assert_eq!(rooms, ["a"]);
    assert_eq!(io.of("/").rooms().len(), 2);
    // The same two steps when the server ends the socket.
    io.of("/").operator().disconnect_sockets(false);
    assert_eq!(poll(&io, &bystander).await, "41");
    // The socket's connection finishes its leaving on its own task.
    settle().await;
    assert_eq!(
        entries(&log),
        [
            r#"disconnecting server namespace disconnect ["a"] true"#,
            "disconnect server namespace disconnect [] false",
        ]
    );
    assert!(io.of("/").rooms().is_empty());
}

#[tokio::test(start_paused = true)]
async fn connect_middlewares_run_in_order_and_a_refusal_stops_the_rest() {
    let io = quiet_server();
    let log = Log::default();
    let nsp = io.of("/orders");
    for (name, refuses) in [("first", false), ("second", true), ("third", false)] {
        let log = log.clone();
        nsp.use_middleware(move |socket: Socket| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(name.to_owned());
                // A middleware may put the socket in a room; a refusal leaves it.
                socket.join(name);
                // An await between middlewares: the order must hold across it.
                tokio::time::sleep(Duration::from_millis(5)).await;
                match refuses && socket.handshake().auth["vip"] != true {
                    true => Err(ConnectError::new("second says no").with_data(json!({"code": 42}))),
                    false => Ok(()),
                }
            }
        });
    }
    let connections = log.clone();
    nsp.on_connection(move |_socket: Socket| connections.lock().unwrap().push("connection".into()));
    let sid = open(&io).await;
    post(&io, &sid, "40/orders,").await;
    assert_eq!(
        poll(&io, &sid).await,
        r#"44/orders,{"message":"second says no","data":{"code":42}}"#
    );
    assert_eq!(entries(&log), ["first", "second"]);
    assert!(nsp.rooms().is_empty(), "{:?}", nsp.rooms());
    assert_eq!(nsp.socket_count(), 0);
    post(&io, &sid, r#"40/orders,{"vip":true}"#).await;
    assert!(poll(&io, &sid).await.starts_with(r#"40/orders,{"sid":""#));
    assert_eq!(entries(&log), ["first", "second", "third", "connection"]);
    assert_eq!(nsp.rooms().len(), 4, "first, second, third and its own");
}

#[tokio::test(start_paused = true)]
async fn catch_all_runs_before_middlewares_and_every_handler_gets_the_event() {
    let io = quiet_server();
    let log = Log::default();
    let hooks = log.clone();
    io.of("/").on_connection(move |socket: Socket| {
        let l = hooks.clone();
        socket.on_any(move |_s: &Socket, e: &Event| {
            l.lock().unwrap().push(format!("any {}", e.name()));
            if e.name() == "early" {
                e.ack().cloned().unwrap().send("from any");
            }
        });
        let l = hooks.clone();
        socket.use_middleware(move |_s: &Socket, e: &Event| {
            l.lock().unwrap().push(format!("middleware {}", e.name()));
            match e.name() {
                "refused" => Err("no".to_owned()),
                _ => Ok(()),
            }
        });
        let l = hooks.clone();
        socket.on_error(move |_s: &Socket, error: &str| l.lock().unwrap().push(error.into()));
        for (event, answer) in [("ok", "first"), ("ok", "second"), ("early", "handler")] {
            let l = hooks.clone();
            socket.on(event, move |_s: &Socket, e: Event| {
                l.lock()
                    .unwrap()
                    .push(format!("{answer} {}", e.arg::<u8>(0).unwrap()));
                e.into_ack().unwrap().send(answer);
            });
        }
        socket.on("off", |s: &Socket, _e: Event| s.off("ok"));
    });
    let sid = connected(&io, "/").await;
    post(
        &io,
        &sid,
        "42[\"refused\"]\u{1e}421[\"ok\",7]\u{1e}422[\"early\",8]",
    )
    .await;
    // One answer per ack: the first handler's, and the catch-all's before the handler's.
    assert_eq!(
        poll(&io, &sid).await,
        "431[\"first\"]\u{1e}432[\"from any\"]"
    );
    let expected = [
        "any refused",
        "middleware refused",
        "no",
        "any ok",
        "middleware ok",
        "first 7",
        "second 7",
        "any early",
        "middleware early",
        "handler 8",
    ];
    assert_eq!(entries(&log), expected);
    // `off` removes every handler of the event; the catch-all still sees it.
    post(&io, &sid, "42[\"off\"]\u{1e}42[\"ok\",9]").await;
    settle().await;
    let expected = ["any off", "middleware off", "any ok", "middleware ok"];
    assert_eq!(entries(&log), expected);
}

/// A polling request with headers and a peer address of our choosing.
async fn request(io: &SocketIo, query: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut request = Request::builder()
        .method(if body.is_empty() {
            Method::GET
        } else {
            Method::POST
        })
        .uri(format!("/socket.io/?EIO=4&transport=polling{query}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .unwrap();
    let peer: SocketAddr = "10.1.2.3:4567".parse().unwrap();
    request.extensions_mut().insert(RemoteAddr(peer));
    let body = io.handle(request).await.into_body().collect().await;
    String::from_utf8_lossy(&body.unwrap().to_bytes()).into_owned()
}

/// Connects with `headers` on the first request; returns the handshake object.
async fn handshake_of(io: &SocketIo, headers: &[(&str, &str)]) -> (Value, u64, u64) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    io.of("/").on_connection(move |socket: Socket| {
        let _ = tx.send(socket.handshake().to_json());
    });
    let open = request(io, "&a=1&a=2&t=x", headers, "").await;
    let sid: Value = serde_json::from_str(&open[1..]).unwrap();
    let sid = format!("&sid={}", sid["sid"].as_str().unwrap());
    let millis = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
    };
    let before = u64::try_from(millis()).unwrap();
    assert_eq!(request(io, &sid, &[], r#"40{"token":"t"}"#).await, "ok");
    let handshake = rx.recv().await.unwrap();
    let after = u64::try_from(millis()).unwrap();
    (handshake, before, after)
}

#[tokio::test(start_paused = true)]
async fn the_handshake_has_every_field_of_the_reference() {
    let headers = [
        ("origin", "http://example.com"),
        ("x-a", "1"),
        ("x-a", "2"),
        ("cookie", "c=1"),
        ("cookie", "d=2"),
        ("user-agent", "u1"),
        ("user-agent", "u2"),
    ];
    let (handshake, before, after) = handshake_of(&quiet_server(), &headers).await;
    let issued = handshake["issued"].as_u64().unwrap();
    assert!(
        (before..=after).contains(&issued),
        "{before} {issued} {after}"
    );
    // `Date.prototype.toString()` in UTC: `Mon Jan 05 2026 03:04:05 GMT+0000 (...)`.
    let time = handshake["time"].as_str().unwrap();
    let (date, zone) = time.split_once(" GMT").unwrap();
    assert_eq!(zone, "+0000 (Coordinated Universal Time)");
    let [weekday, month, day, year, clock] = date.split(' ').collect::<Vec<_>>()[..] else {
        panic!("{time}")
    };
    let http = format!("{weekday}, {day} {month} {year} {clock} GMT");
    let parsed = httpdate::parse_http_date(&http).unwrap();
    let seconds = parsed.duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(seconds, issued / 1000, "{time}");
    let expected = json!({
        "headers": {
            "origin": "http://example.com",
            "x-a": "1, 2",
            "cookie": "c=1; d=2",
            "user-agent": "u1",
        },
        "time": time,
        "address": "10.1.2.3",
        "xdomain": true,
        "secure": false,
        "issued": issued,
        "url": "/socket.io/?EIO=4&transport=polling&a=1&a=2&t=x",
        "query": {"EIO": "4", "transport": "polling", "a": ["1", "2"], "t": "x"},
        "auth": {"token": "t"},
    });
    assert_eq!(handshake, expected);
    // Without an Origin header, the request is not cross-domain.
    let (handshake, _, _) = handshake_of(&quiet_server(), &[("user-agent", "u1")]).await;
    assert_eq!(handshake["xdomain"], false);
    assert_eq!(handshake["headers"], json!({"user-agent": "u1"}));
}

/// An invalid packet (here an event for a namespace not joined) ends the connection with the
/// reason the reference gives: `forced close` when the transport can close at once (a poll
/// waits), `forced server close` when the close has to wait for the client's next poll.
#[tokio::test(start_paused = true)]
async fn an_invalid_state_ends_with_the_reason_the_transport_allows() {
    let io = quiet_server();
    let (tx, mut reasons) = mpsc::unbounded_channel();
    io.of("/").on_connection(move |socket: Socket| {
        let tx = tx.clone();
        socket.on_disconnect(move |_: &Socket, reason: DisconnectReason| {
            let _ = tx.send(reason.to_string());
        });
    });
    let between_polls = connected(&io, "/").await;
    post(&io, &between_polls, r#"42/other,["x"]"#).await;
    assert_eq!(reasons.recv().await.unwrap(), "forced server close");
    let polling = connected(&io, "/").await;
    let waiting = {
        let (io, sid) = (io.clone(), polling.clone());
        tokio::spawn(async move { poll(&io, &sid).await })
    };
    settle().await;
    post(&io, &polling, r#"42/other,["x"]"#).await;
    assert_eq!(reasons.recv().await.unwrap(), "forced close");
    // The waiting poll carries the close packet.
    assert_eq!(waiting.await.unwrap(), "1");
}
