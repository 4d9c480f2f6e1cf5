//! End-to-end: bad Socket.IO input, sent as raw Engine.IO messages by the official
//! `engine.io-client` on the `/socket.io/` path. Each case ends only its own connection, with
//! the reference server's reason (checked against the Node `socket.io` server too), while a
//! `socket.io-client` bystander stays connected.

mod common_sio;

use std::time::Duration;

use common_sio::{connect, emit_ack, Target};
use e2e::{b64, http, NodeDriver, ReferenceServer, TIMEOUT};
use serde_json::{json, Value};

/// What a case sends after its CONNECT.
#[derive(Clone, Copy)]
enum Input {
    Text(&'static str),
    Binary(&'static [u8]),
}

/// A case: what it sends, and the reason its socket ends with (`None`: it stays open).
struct Case {
    what: &'static str,
    sends: Vec<Input>,
    reason: Option<&'static str>,
    /// The reason the Node reference reports, when it differs from `reason` (none now).
    ///
    /// For an invalid state the reference's `Client.close()` (socket.io/dist/client.js:148)
    /// calls `conn.close()` before `onclose("forced server close")`; with an empty write
    /// buffer the engine closes the transport and reports `forced close` synchronously
    /// (engine.io/build/socket.js:487, transports/websocket.js:90), which ends the sockets
    /// first. So the reference's sockets see `forced close`, and ours do too.
    reference: Option<&'static str>,
    /// An invalid state: over long-polling the reason depends on whether the client's next
    /// poll is already waiting when the packet is read (`forced close`) or not yet (`forced
    /// server close`), on the reference as on ours (pinned by
    /// `an_invalid_state_on_polling_ends_as_the_transport_allows`); the official client's next
    /// poll races with its POST.
    between_polls: bool,
}

fn cases() -> Vec<Case> {
    use Input::{Binary, Text};
    let too_many = format!(
        "511-[\"x\",{}]",
        (0..11)
            .map(|n| format!("{{\"_placeholder\":true,\"num\":{n}}}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let too_many: &'static str = Box::leak(too_many.into_boxed_str());
    let case = |what, sends, reason| Case {
        what,
        sends,
        reason,
        reference: None,
        between_polls: false,
    };
    let invalid_state = |what, sends| Case {
        what,
        sends,
        reason: Some("forced close"),
        reference: None,
        between_polls: true,
    };
    vec![
        case("unknown packet type", vec![Text("9")], Some("forced close")),
        case(
            "truncated JSON",
            vec![Text("2[\"x\"")],
            Some("forced close"),
        ),
        case(
            "event that is not an array",
            vec![Text("2{\"a\":1}")],
            Some("forced close"),
        ),
        case(
            "reserved event name",
            vec![Text("2[\"disconnect\"]")],
            Some("forced close"),
        ),
        invalid_state(
            "event for a namespace not joined",
            vec![Text("2/other,[\"x\"]")],
        ),
        invalid_state("second CONNECT", vec![Text("0")]),
        invalid_state(
            "CONNECT_ERROR from the client",
            vec![Text("4{\"message\":\"x\"}")],
        ),
        case(
            "missing attachment, then text",
            vec![
                Text("51-[\"x\",{\"_placeholder\":true,\"num\":0}]"),
                Text("2[\"y\"]"),
            ],
            Some("forced close"),
        ),
        case(
            "too many attachments",
            vec![Text(too_many)],
            Some("forced close"),
        ),
        case(
            "attachment without a packet",
            vec![Binary(&[1, 2, 3])],
            Some("forced close"),
        ),
        case("ack for an unknown id", vec![Text("3/,99[\"x\"]")], None),
    ]
}

/// The next event `ev` of the raw socket `name`.
async fn raw_event(raw: &mut NodeDriver, ev: &str, name: &str) -> Value {
    raw.expect_matching(|e| e["ev"] == ev && e["name"] == name, TIMEOUT)
        .await
}

/// Opens the raw session `name`, joins `/` with a bare CONNECT, and returns the socket id.
async fn raw_connect(
    raw: &mut NodeDriver,
    target: &mut Target,
    name: &str,
    transport: &str,
) -> String {
    let opts = json!({"path": "/socket.io/", "transports": [transport]});
    raw.command(
        json!({"cmd": "open", "name": name, "url": target.url(), "opts": opts}),
        TIMEOUT,
    )
    .await;
    raw_event(raw, "open", name).await;
    raw.command(json!({"cmd": "send", "name": name, "text": "0"}), TIMEOUT)
        .await;
    let reply = raw_event(raw, "message", name).await;
    let text = reply["text"].as_str().expect("a text reply");
    let json = text
        .strip_prefix('0')
        .unwrap_or_else(|| panic!("a CONNECT reply: {text}"));
    let payload: Value = serde_json::from_str(json).expect("JSON CONNECT reply");
    let id = payload["sid"].as_str().expect("a sid").to_owned();
    target.connected(&id).await;
    id
}

/// Runs every case against `target` over `transport`, a bystander checked after each.
async fn run(mut target: Target, transport: &str) {
    let label = target.label();
    let mut bystander = NodeDriver::sio();
    let url = format!("{}/", target.url());
    let stays = connect(&mut bystander, "b", &url, json!({})).await;
    target.connected(&stays).await;
    let mut raw = NodeDriver::eio();
    let mut mismatches = Vec::new();
    for (n, case) in cases().into_iter().enumerate() {
        let what = format!("{label}, {transport}: {}", case.what);
        let name = format!("raw{n}");
        let id = raw_connect(&mut raw, &mut target, &name, transport).await;
        for send in &case.sends {
            let cmd = match send {
                Input::Text(text) => json!({"cmd": "send", "name": name, "text": text}),
                Input::Binary(bytes) => json!({"cmd": "send", "name": name, "binary": b64(bytes)}),
            };
            raw.command(cmd, TIMEOUT).await;
        }
        let reason = match target {
            Target::Reference(_) => case.reference.or(case.reason),
            Target::Ours(_) => case.reason,
        };
        match reason {
            Some(reason) => match target.ended(&id).await {
                Some(got) => {
                    let raced = case.between_polls && transport == "polling";
                    if got != reason && !(raced && got == "forced server close") {
                        mismatches.push(format!("{what}: expected {reason:?}, got {got:?}"));
                    }
                    let closed = raw_event(&mut raw, "close", &name).await;
                    assert_eq!(closed["reason"], "transport close", "{what}");
                }
                None => {
                    mismatches.push(format!("{what}: expected {reason:?}, stayed connected"));
                    raw.command(json!({"cmd": "close", "name": name}), TIMEOUT)
                        .await;
                    assert_eq!(target.disconnected(&id).await, "transport close", "{what}");
                }
            },
            None => {
                // Still open and working: an event with an ack is answered.
                raw.command(
                    json!({"cmd": "send", "name": name, "text": "21[\"ack-me\",\"z\"]"}),
                    TIMEOUT,
                )
                .await;
                let answer = raw_event(&mut raw, "message", &name).await;
                assert_eq!(answer["text"], "31[\"z\"]", "{what}");
                target.no_disconnect(&id).await;
                raw.command(json!({"cmd": "close", "name": name}), TIMEOUT)
                    .await;
                assert_eq!(target.disconnected(&id).await, "transport close", "{what}");
            }
        }
        // The bystander did not notice.
        let args = json!([case.what]);
        assert_eq!(
            emit_ack(&mut bystander, "b", "ack-me", args.clone()).await,
            args,
            "{what}"
        );
    }
    bystander
        .expect_no("disconnect", Duration::from_millis(100))
        .await;
    target.no_disconnect(&stays).await;
    assert!(
        mismatches.is_empty(),
        "reasons that differ:\n{}",
        mismatches.join("\n")
    );
    raw.exit().await;
    bystander.exit().await;
}

#[tokio::test]
async fn bad_input_over_websocket_ends_only_that_connection() {
    run(Target::ours().await, "websocket").await;
}

#[tokio::test]
async fn bad_input_over_polling_ends_only_that_connection() {
    run(Target::ours().await, "polling").await;
}

/// The same cases against the Node reference server: the reasons above are its reasons.
#[tokio::test]
async fn bad_input_reasons_are_the_reference_servers() {
    run(
        Target::Reference(Box::new(
            ReferenceServer::sio(&["--ping-timeout", "1000"]).await,
        )),
        "websocket",
    )
    .await;
}

/// An event for a namespace not joined, over long-polling: when no poll waits, the close has
/// to wait for the next one and the sockets end with `forced server close`; when a poll waits,
/// it carries the close packet at once and they end with `forced close`. The reference's
/// reasons, checked on both servers.
#[tokio::test]
async fn an_invalid_state_on_polling_ends_as_the_transport_allows() {
    // No ping for 10 s: nothing but the close may answer the waiting poll.
    let quiet = common_sio::builder().ping_interval(Duration::from_secs(10));
    let ours = common_sio::start_with(quiet).await;
    ours.watch("/");
    let args = ["--ping-interval", "10000", "--ping-timeout", "1000"];
    let reference = ReferenceServer::sio(&args).await;
    for mut target in [Target::Ours(ours), Target::Reference(Box::new(reference))] {
        let label = target.label();
        let (host, session, id) = target.raw_polling_socket().await;
        http::request(&host, "POST", &session, &[], "42/other,[\"x\"]").await;
        let reason = target.disconnected(&id).await;
        assert_eq!(reason, "forced server close", "{label}, between polls");
        let (host, session, id) = target.raw_polling_socket().await;
        let waiting = tokio::spawn({
            let (host, session) = (host.clone(), session.clone());
            async move { http::request(&host, "GET", &session, &[], "").await }
        });
        // Time for the poll to be held before the packet arrives.
        tokio::time::sleep(Duration::from_millis(200)).await;
        http::request(&host, "POST", &session, &[], "42/other,[\"x\"]").await;
        let reason = target.disconnected(&id).await;
        assert_eq!(reason, "forced close", "{label}, a poll waiting");
        let closed = waiting.await.expect("the poll");
        assert_eq!(closed.body, "1", "{label}: the close packet");
    }
}
