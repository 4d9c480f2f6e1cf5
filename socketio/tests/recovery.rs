//! Connection state recovery over in-memory polling, with paused time: the CONNECT reply's
//! `pid`, offsets on the events that can be replayed, a client that drops and comes back with
//! its socket and what it missed, and every way of coming back to nothing.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{open, poll, post, settle};
use serde_json::{json, Value};
use socketio::recovery::RecoveryOptions;
use socketio::server::{ConnectError, Event, Socket, SocketIo};

fn server(options: RecoveryOptions) -> SocketIo {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_secs(10))
        .connection_state_recovery(options)
        .build();
    io.on_connection(|socket: Socket| {
        if !socket.recovered() {
            socket.join("lobby");
            socket.set_data(&json!({"name": "ada"})).unwrap();
        }
        socket.on("whoami", |socket: &Socket, event: Event| {
            let me = json!({
                "recovered": socket.recovered(),
                "data": socket.data::<Value>(),
                "rooms": socket.rooms().len(),
            });
            event.into_ack().unwrap().send(&me);
        });
    });
    io
}

/// A polling session that joins `/` with `auth`: its sid and the CONNECT answer's data.
async fn join(io: &SocketIo, auth: Value) -> (String, Vec<String>) {
    let sid = open(io).await;
    post(io, &sid, &format!("40{auth}")).await;
    let body = poll(io, &sid).await;
    (sid, body.split('\u{1e}').map(str::to_owned).collect())
}

/// The `{"sid","pid"}` of a CONNECT answer.
fn connect_data(packet: &str) -> Value {
    assert!(packet.starts_with("40{"), "{packet}");
    serde_json::from_str(&packet[2..]).unwrap()
}

/// The last argument of an event packet `42[...]`: its offset.
fn offset_of(packet: &str) -> String {
    let args: Value = serde_json::from_str(&packet[2..]).unwrap();
    let last = args.as_array().unwrap().last().unwrap();
    last.as_str().unwrap().to_owned()
}

/// The client closes its engine session (`transport close`, a reason it can come back from).
async fn drop_client(io: &SocketIo, sid: &str) {
    post(io, sid, "1").await;
    settle().await;
}

#[tokio::test(start_paused = true)]
async fn a_client_that_drops_comes_back_with_its_socket_and_what_it_missed() {
    let io = server(RecoveryOptions::default());
    let (sid, reply) = join(&io, json!({})).await;
    let first = connect_data(&reply[0]);
    let (id, pid) = (first["sid"].clone(), first["pid"].clone());
    assert!(pid.as_str().is_some_and(|pid| pid.len() == 20), "{first}");
    io.emit("news", "one");
    let seen = poll(&io, &sid).await;
    assert_eq!(&seen[..15], r#"42["news","one""#, "{seen}");
    let offset = offset_of(&seen);
    drop_client(&io, &sid).await;
    // Meanwhile: a broadcast, a room emit, an emit that does not reach it, a volatile one.
    io.emit("news", "two");
    io.to("lobby").emit("news", "three");
    io.to("elsewhere").emit("news", "not for it");
    io.sockets().volatile().emit("news", "volatile");
    let auth = json!({"pid": pid, "offset": offset});
    let (sid, reply) = join(&io, auth).await;
    assert_eq!(reply.len(), 3, "{reply:?}");
    assert!(reply[0].starts_with(r#"42["news","two","#), "{reply:?}");
    assert!(reply[1].starts_with(r#"42["news","three","#), "{reply:?}");
    let again = connect_data(&reply[2]);
    assert_eq!((&again["sid"], &again["pid"]), (&id, &pid));
    post(&io, &sid, r#"421["whoami"]"#).await;
    let me = poll(&io, &sid).await;
    assert_eq!(
        me,
        r#"431[{"recovered":true,"data":{"name":"ada"},"rooms":2}]"#
    );
}

#[tokio::test(start_paused = true)]
async fn direct_emits_are_kept_but_acks_and_volatile_ones_are_not() {
    let io = server(RecoveryOptions::default());
    let (sid, reply) = join(&io, json!({})).await;
    let pid = connect_data(&reply[0])["pid"].clone();
    let socket = io.sockets().operator().local_sockets().pop().unwrap();
    socket.emit("direct", &1);
    let seen = poll(&io, &sid).await;
    let offset = offset_of(&seen);
    drop_client(&io, &sid).await;
    socket.emit("direct", &2);
    socket.volatile().emit("direct", &3);
    let (_, reply) = join(&io, json!({"pid": pid, "offset": offset})).await;
    assert_eq!(reply.len(), 2, "{reply:?}");
    assert!(reply[0].starts_with(r#"42["direct",2,"#), "{reply:?}");
}

#[tokio::test(start_paused = true)]
async fn outside_the_window_or_with_a_bad_pid_or_offset_a_client_gets_a_fresh_session() {
    let options = RecoveryOptions {
        max_disconnection_duration: Duration::from_secs(5),
        ..RecoveryOptions::default()
    };
    let io = server(options);
    io.of("/other").on_connection(|_socket: Socket| {});
    let mut cases = Vec::new();
    for case in [
        "forged pid",
        "future offset",
        "other namespace",
        "twice",
        // Last: its wait ends every other session's window too.
        "expired",
    ] {
        let (sid, reply) = join(&io, json!({})).await;
        let data = connect_data(&reply[0]);
        io.emit("tick", case);
        let offset = offset_of(&poll(&io, &sid).await);
        drop_client(&io, &sid).await;
        cases.push((case, data, offset));
    }
    for (case, data, offset) in cases {
        let (pid, id) = (data["pid"].as_str().unwrap(), data["sid"].clone());
        let (namespace, auth) = match case {
            "forged pid" => (
                "/",
                json!({"pid": "AAAAAAAAAAAAAAAAAAAA", "offset": offset}),
            ),
            "future offset" => ("/", json!({"pid": pid, "offset": "99999999"})),
            "other namespace" => ("/other", json!({"pid": pid, "offset": offset})),
            _ => ("/", json!({"pid": pid, "offset": offset})),
        };
        if case == "expired" {
            tokio::time::sleep(Duration::from_secs(6)).await;
        }
        if case == "twice" {
            let (_, first) = join(&io, auth.clone()).await;
            assert_eq!(
                connect_data(first.last().unwrap())["sid"],
                id,
                "restored once"
            );
        }
        let sid = open(&io).await;
        let prefix = match namespace {
            "/" => "40".to_owned(),
            other => format!("40{other},"),
        };
        post(&io, &sid, &format!("{prefix}{auth}")).await;
        let reply = poll(&io, &sid).await;
        assert!(reply.starts_with(&format!("{prefix}{{")), "{case}: {reply}");
        let fresh: Value = serde_json::from_str(&reply[prefix.len()..]).unwrap();
        assert_ne!(fresh["sid"], id, "{case}: another client's state");
        assert_ne!(fresh["pid"].as_str(), Some(pid), "{case}");
    }
}

#[tokio::test(start_paused = true)]
async fn middlewares_are_skipped_for_a_recovered_socket_unless_asked() {
    for skip in [true, false] {
        let options = RecoveryOptions {
            skip_middlewares: skip,
            ..RecoveryOptions::default()
        };
        let io = server(options);
        let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = runs.clone();
        io.use_middleware(move |_socket: &Socket| -> Result<(), ConnectError> {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        });
        let (sid, reply) = join(&io, json!({})).await;
        let pid = connect_data(&reply[0])["pid"].clone();
        io.emit("tick", &());
        let offset = offset_of(&poll(&io, &sid).await);
        drop_client(&io, &sid).await;
        let (_, reply) = join(&io, json!({"pid": pid, "offset": offset})).await;
        assert!(reply[0].starts_with("40{"), "{reply:?}");
        let expected = if skip { 1 } else { 2 };
        assert_eq!(
            runs.load(std::sync::atomic::Ordering::SeqCst),
            expected,
            "skip {skip}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn without_recovery_nothing_is_kept_and_the_reply_has_no_pid() {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_secs(10))
        .build();
    let (sid, reply) = join(&io, json!({})).await;
    let data = connect_data(&reply[0]);
    assert!(data.get("pid").is_none(), "{data}");
    io.emit("news", "one");
    assert_eq!(poll(&io, &sid).await, r#"42["news","one"]"#);
}
