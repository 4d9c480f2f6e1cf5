//! Service tests of what reaches whom, over in-memory polling with paused time: volatile
//! packets, a socket's operators, broadcast acks whose answers do not fit, and packets that
//! announce too many attachments.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{call, connected, poll, post, quiet_server, settle};
use http::Method;
use socketio::server::{AckError, DisconnectReason, Event, Socket, SocketIo};
use tokio::sync::mpsc;

/// The server's sockets of the main namespace, in the order they connected.
fn sockets_of(io: &SocketIo) -> mpsc::UnboundedReceiver<Socket> {
    let (tx, rx) = mpsc::unbounded_channel();
    io.of("/").on_connection(move |socket: Socket| {
        let _ = tx.send(socket);
    });
    rx
}

/// A poll that is waiting at the server: the client's transport is writable.
async fn pending_poll(io: &SocketIo, sid: &str) -> tokio::task::JoinHandle<String> {
    let (io, sid) = (io.clone(), sid.to_owned());
    let get = tokio::spawn(async move { poll(&io, &sid).await });
    settle().await;
    get
}

#[tokio::test(start_paused = true)]
async fn volatile_packets_are_dropped_unless_the_transport_is_writable() {
    let io = quiet_server();
    let mut sockets = sockets_of(&io);
    let sid = connected(&io, "/").await;
    let socket = sockets.recv().await.unwrap();
    // No GET waits: a volatile packet is dropped, an ordinary one is kept for the next poll.
    socket.volatile().try_emit("dropped", &(1,)).unwrap();
    socket.volatile().try_emit("dropped", &(2,)).unwrap();
    io.of("/")
        .operator()
        .volatile()
        .try_emit("dropped", &(3,))
        .unwrap();
    socket.try_emit("kept", &(4,)).unwrap();
    assert_eq!(poll(&io, &sid).await, r#"42["kept",4]"#);
    // A GET waits: a volatile packet goes out, from the socket or from a broadcast.
    let get = pending_poll(&io, &sid).await;
    socket.volatile().try_emit("arrives", &(5,)).unwrap();
    assert_eq!(get.await.unwrap(), r#"42["arrives",5]"#);
    let get = pending_poll(&io, &sid).await;
    io.of("/")
        .operator()
        .volatile()
        .try_emit("arrives", &(6,))
        .unwrap();
    assert_eq!(get.await.unwrap(), r#"42["arrives",6]"#);
}

/// The names of the events in a polling body.
fn events(body: &str) -> Vec<String> {
    body.split('\u{1e}')
        .map(|packet| packet.split('"').nth(1).unwrap_or(packet).to_owned())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_sockets_operators_never_reach_itself_and_keep_their_flags() {
    let io = quiet_server();
    let mut sockets = sockets_of(&io);
    let mut sids = Vec::new();
    let mut all = Vec::new();
    for rooms in [vec!["r1"], vec!["r1", "r2"], vec!["r2"], vec![]] {
        sids.push(connected(&io, "/").await);
        let socket = sockets.recv().await.unwrap();
        socket.join(rooms);
        all.push(socket);
    }
    let a = &all[0];
    a.within("r1").try_emit("within-r1", &()).unwrap();
    a.to("r1").to("r2").try_emit("to-r1-r2", &()).unwrap();
    a.except("r2").try_emit("except-r2", &()).unwrap();
    a.broadcast().try_emit("broadcast", &()).unwrap();
    let local = a.local();
    assert_eq!(local.options().flags.local, Some(true));
    local.try_emit("local", &()).unwrap();
    // Flags set on the socket carry into the broadcast: nobody has a GET waiting.
    a.volatile().to("r2").try_emit("volatile-r2", &()).unwrap();
    let quiet = a.compress(false).to("r1");
    assert_eq!(quiet.options().flags.compress, Some(false));
    quiet.try_emit("uncompressed-r1", &()).unwrap();
    // And to the socket itself.
    a.volatile().try_emit("volatile-self", &()).unwrap();
    a.compress(false).try_emit("self", &()).unwrap();
    io.try_emit("end", &()).unwrap();
    let mut seen = Vec::new();
    for sid in &sids {
        seen.push(events(&poll(&io, sid).await));
    }
    assert_eq!(seen[0], ["self", "end"]);
    let b = [
        "within-r1",
        "to-r1-r2",
        "broadcast",
        "local",
        "uncompressed-r1",
        "end",
    ];
    assert_eq!(seen[1], b);
    assert_eq!(seen[2], ["to-r1-r2", "broadcast", "local", "end"]);
    assert_eq!(seen[3], ["except-r2", "broadcast", "local", "end"]);
}

/// The ack id of an EVENT packet in the main namespace (`42<id>[...]`).
fn ack_id(event: &str) -> String {
    let rest = event.strip_prefix("42").unwrap();
    rest.chars().take_while(char::is_ascii_digit).collect()
}

#[tokio::test(start_paused = true)]
async fn a_socket_timeout_bounds_the_wait_for_its_ack() {
    let io = quiet_server();
    let mut sockets = sockets_of(&io);
    let sid = connected(&io, "/").await;
    let socket = sockets.recv().await.unwrap();
    let asking = socket.clone();
    let answer = tokio::spawn(async move {
        let operator = asking.timeout(Duration::from_secs(1));
        operator.emit_with_ack::<_, (String,)>("q", &()).await
    });
    let id = ack_id(&poll(&io, &sid).await);
    post(&io, &sid, &format!(r#"43{id}["yes"]"#)).await;
    assert_eq!(answer.await.unwrap().unwrap(), ("yes".to_owned(),));
    // Unanswered: the timeout ends the wait.
    let started = tokio::time::Instant::now();
    let unanswered = socket.timeout(Duration::from_secs(1));
    let error = unanswered.emit_with_ack::<_, String>("q", &()).await;
    assert!(matches!(error, Err(AckError::Timeout)), "{error:?}");
    assert_eq!(started.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_broadcast_ack_answer_of_the_wrong_shape_fails_the_call_without_waiting() {
    let io = quiet_server();
    let first = connected(&io, "/").await;
    let second = connected(&io, "/").await;
    let operator = io.of("/").operator().timeout(Duration::from_secs(60));
    let asking = tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        let result = operator.emit_with_ack::<_, String>("vote", &()).await;
        (result, started.elapsed())
    });
    for (sid, answer) in [(&first, r#"["yes"]"#), (&second, "[42]")] {
        let id = ack_id(&poll(&io, sid).await);
        post(&io, sid, &format!("43{id}{answer}")).await;
    }
    let (result, waited) = asking.await.unwrap();
    let error = result.unwrap_err();
    assert!(matches!(error.error, AckError::Payload(_)), "{error:?}");
    assert_eq!(error.responses, ["yes"]);
    // Every client answered: the call did not wait for its timeout.
    assert!(waited < Duration::from_secs(60), "{waited:?}");
    // As JSON values every answer fits, as the reference hands them back.
    let operator = io.of("/").operator().timeout(Duration::from_secs(60));
    let asking = tokio::spawn(async move {
        operator
            .emit_with_ack::<_, serde_json::Value>("vote", &())
            .await
    });
    for (sid, answer) in [(&first, r#"["yes"]"#), (&second, "[42]")] {
        let id = ack_id(&poll(&io, sid).await);
        post(&io, sid, &format!("43{id}{answer}")).await;
    }
    let mut answers = asking.await.unwrap().unwrap();
    answers.sort_by_key(|answer| answer.to_string());
    assert_eq!(answers, [serde_json::json!("yes"), serde_json::json!(42)]);
}

/// A server with at most two attachments per packet, whose sockets report how many
/// attachments an `x` event had and why they ended.
fn limited() -> (SocketIo, mpsc::UnboundedReceiver<DisconnectReason>) {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_secs(10))
        .max_attachments(2)
        .build();
    let (tx, rx) = mpsc::unbounded_channel();
    io.of("/").on_connection(move |socket: Socket| {
        socket.on("x", |socket: &Socket, event: Event| {
            let count = event.payload().attachments().len();
            socket.try_emit("got", &(count,)).unwrap();
        });
        let tx = tx.clone();
        socket.on_disconnect(move |_s: &Socket, reason: DisconnectReason| {
            let _ = tx.send(reason);
        });
    });
    (io, rx)
}

fn placeholders(count: usize) -> String {
    (0..count)
        .map(|num| format!(r#",{{"_placeholder":true,"num":{num}}}"#))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_attachment_limit_ends_only_the_connection_that_passes_it() {
    let (io, mut reasons) = limited();
    let bystander = connected(&io, "/").await;
    let sid = connected(&io, "/").await;
    // Two attachments, the limit: accepted (binary messages are `b` + base64 in a payload).
    let two = format!("452-[\"x\"{}]\u{1e}bAQI=\u{1e}bAwQ=", placeholders(2));
    post(&io, &sid, &two).await;
    assert_eq!(poll(&io, &sid).await, r#"42["got",2]"#);
    // Three: that connection ends (its client reads the close on its next poll).
    post(&io, &sid, &format!("453-[\"x\"{}]", placeholders(3))).await;
    assert_eq!(poll(&io, &sid).await, "1");
    assert_eq!(reasons.recv().await, Some(DisconnectReason::ForcedClose));
    // Counts far past the limit, or past what a `usize` holds: refused before anything is
    // reserved for them, each ending only its own connection.
    for huge in [r#"451000000-["x"]"#, r#"4518446744073709551616-["x"]"#] {
        let sid = connected(&io, "/").await;
        post(&io, &sid, huge).await;
        assert_eq!(poll(&io, &sid).await, "1");
        assert_eq!(reasons.recv().await, Some(DisconnectReason::ForcedClose));
        let (status, _) = call(&io, Method::GET, &format!("&sid={sid}"), "").await;
        assert_eq!(status, 400, "the session is gone");
    }
    io.try_emit("still", "here").unwrap();
    let reply = poll(&io, &bystander).await;
    assert!(reply.ends_with(r#"42["still","here"]"#), "{reply}");
    assert_eq!(io.of("/").socket_count(), 1);
}

/// A GET of the session's queued packets, accepting gzip: the `Content-Encoding` it got.
async fn poll_encoding(io: &SocketIo, sid: &str) -> Option<String> {
    let request = http::Request::builder()
        .uri(format!("/socket.io/?EIO=4&transport=polling&sid={sid}"))
        .header("accept-encoding", "gzip, deflate")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let response = io.handle(request).await;
    let encoding = response.headers().get("content-encoding");
    encoding.map(|value| value.to_str().unwrap().to_owned())
}

/// `compress(false)` reaches the engine: a polling response of only such packets is sent as
/// is, while the same packet sent by default is compressed, as Node's `httpCompression` does.
#[tokio::test(start_paused = true)]
async fn the_compress_flag_decides_whether_a_polling_response_is_compressed() {
    let io = quiet_server();
    let mut sockets = sockets_of(&io);
    let sid = connected(&io, "/").await;
    let socket = sockets.recv().await.unwrap();
    let big = "x".repeat(4096);
    socket.try_emit("big", &(&big,)).unwrap();
    assert_eq!(poll_encoding(&io, &sid).await.as_deref(), Some("gzip"));
    socket.compress(false).try_emit("big", &(&big,)).unwrap();
    assert_eq!(poll_encoding(&io, &sid).await, None);
    io.of("/")
        .operator()
        .compress(false)
        .try_emit("big", &(&big,))
        .unwrap();
    assert_eq!(poll_encoding(&io, &sid).await, None);
    io.of("/").try_emit("big", &(&big,)).unwrap();
    assert_eq!(poll_encoding(&io, &sid).await.as_deref(), Some("gzip"));
}
