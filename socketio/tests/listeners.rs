//! Listeners as the reference has them, over in-memory polling with paused time: catch-all
//! handlers in and out (`prepend_any`, `off_any` and their outgoing counterparts), the
//! adapter's room events, and `new_namespace`.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{connected, poll, post, quiet_server, settle};
use serde_json::Value;
use socketio::server::{Event, Namespace, RoomEvent, Socket};
use socketio::Payload;

type Log = Arc<Mutex<Vec<String>>>;

fn entries(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

fn push(log: &Log, line: impl Into<String>) {
    log.lock().unwrap().push(line.into());
}

#[tokio::test(start_paused = true)]
async fn catch_all_handlers_are_ordered_and_removed_as_in_the_reference() {
    let io = quiet_server();
    let log = Log::default();
    let seen = log.clone();
    io.on_connection(move |socket: Socket| {
        let (a, b, c) = (seen.clone(), seen.clone(), seen.clone());
        let first =
            socket.on_any(move |_s: &Socket, e: &Event| push(&a, format!("a {}", e.name())));
        socket.prepend_any(move |_s: &Socket, e: &Event| push(&b, format!("b {}", e.name())));
        let (out1, out2) = (seen.clone(), seen.clone());
        let outgoing = socket.on_any_outgoing(move |_s: &Socket, name: &str, _a: &Payload| {
            push(&out1, format!("out {name}"))
        });
        socket.prepend_any_outgoing(move |_s: &Socket, name: &str, _a: &Payload| {
            push(&out2, format!("first out {name}"))
        });
        socket.on("echo", |socket: &Socket, event: Event| {
            socket.emit_payload("echoed", event.payload().clone());
        });
        socket.on("quiet", move |socket: &Socket, _e: Event| {
            socket.off_any(Some(first));
            socket.off_any_outgoing(Some(outgoing));
        });
        socket.on("silence", |socket: &Socket, _e: Event| {
            socket.off_any(None);
            socket.off_any_outgoing(None);
        });
        let c = c.clone();
        socket.on("mark", move |_s: &Socket, _e: Event| push(&c, "mark"));
    });
    let sid = connected(&io, "/").await;
    post(&io, &sid, "42[\"echo\",1]").await;
    assert_eq!(poll(&io, &sid).await, "42[\"echoed\",1]");
    assert_eq!(
        entries(&log),
        ["b echo", "a echo", "first out echoed", "out echoed"]
    );
    post(&io, &sid, "42[\"quiet\"]\u{1e}42[\"echo\",2]").await;
    assert_eq!(poll(&io, &sid).await, "42[\"echoed\",2]");
    assert_eq!(
        entries(&log),
        ["b quiet", "a quiet", "b echo", "first out echoed"]
    );
    post(
        &io,
        &sid,
        "42[\"silence\"]\u{1e}42[\"echo\",3]\u{1e}42[\"mark\"]",
    )
    .await;
    assert_eq!(poll(&io, &sid).await, "42[\"echoed\",3]");
    assert_eq!(entries(&log), ["b silence", "mark"]);
}

#[tokio::test(start_paused = true)]
async fn room_events_come_in_order_for_every_change() {
    let io = quiet_server();
    let log = Log::default();
    let seen = log.clone();
    io.sockets().on_room_event(move |event: &RoomEvent| {
        let line = match event {
            RoomEvent::CreateRoom(room) => format!("create {}", short(room)),
            RoomEvent::DeleteRoom(room) => format!("delete {}", short(room)),
            RoomEvent::JoinRoom { room, socket } => {
                format!("join {} {}", short(room), short(socket))
            }
            RoomEvent::LeaveRoom { room, socket } => {
                format!("leave {} {}", short(room), short(socket))
            }
            other => format!("{other:?}"),
        };
        push(&seen, line);
    });
    io.on_connection(|socket: Socket| {
        socket.on("join", |socket: &Socket, event: Event| {
            socket.join(event.arg::<String>(0).unwrap());
        });
        socket.on("leave", |socket: &Socket, event: Event| {
            socket.leave(event.arg::<String>(0).unwrap());
        });
    });
    let first = connected(&io, "/").await;
    let second = connected(&io, "/").await;
    assert_eq!(
        entries(&log),
        ["create id", "join id id", "create id", "join id id"]
    );
    post(&io, &first, "42[\"join\",\"lobby\"]").await;
    post(
        &io,
        &second,
        "42[\"join\",\"lobby\"]\u{1e}42[\"join\",\"lobby\"]",
    )
    .await;
    settle().await;
    assert_eq!(
        entries(&log),
        ["create lobby", "join lobby id", "join lobby id"]
    );
    post(&io, &first, "42[\"leave\",\"lobby\"]").await;
    settle().await;
    assert_eq!(entries(&log), ["leave lobby id"]);
    post(&io, &second, "41").await;
    settle().await;
    let mut last = entries(&log);
    last.sort();
    assert_eq!(
        last,
        ["delete id", "delete lobby", "leave id id", "leave lobby id"]
    );
}

/// A room named after a socket id reads `id`, so that the log does not depend on the ids.
fn short(name: &str) -> &str {
    match name.len() {
        20 => "id",
        _ => name,
    }
}

#[tokio::test(start_paused = true)]
async fn new_namespace_tells_of_static_and_dynamic_namespaces() {
    let io = quiet_server();
    let log = Log::default();
    let seen = log.clone();
    io.on_new_namespace(move |namespace: Namespace| push(&seen, namespace.name().as_str()));
    io.of("/admin");
    io.of("/admin");
    let dynamic = io.of_fn(|name: &str, _auth: &Value| name.starts_with("/room-"));
    dynamic.on_connection(|socket: Socket| socket.emit("in", &()));
    assert_eq!(entries(&log), ["/admin"]);
    let sid = common::open(&io).await;
    post(&io, &sid, "40/room-1,").await;
    let reply = poll(&io, &sid).await;
    assert!(reply.starts_with("40/room-1,{\"sid\":"), "{reply}");
    assert_eq!(entries(&log), ["/room-1"]);
}
