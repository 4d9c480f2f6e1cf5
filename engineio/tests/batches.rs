//! Polling bodies as the official clients batch them, and how a body's packets are fed: a
//! full `maxPayload` of messages passes whatever their number, paced by the session's inbound
//! mark; packets before a malformed one, or before a close packet, are delivered, as the
//! reference delivers them.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use engineio::packet::{Message, Text};
use engineio::DisconnectReason;

/// Receives `n` messages of session `sid`, checking each.
async fn expect_messages(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Seen>,
    sid: &str,
    n: usize,
    mut check: impl FnMut(usize, &Message),
) {
    for i in 0..n {
        match next(rx).await {
            Seen::Message(id, message) => {
                assert_eq!(id, sid);
                check(i, &message);
            }
            other => panic!("message {i}: {other:?}"),
        }
    }
}

/// A body of exactly `maxPayload` (1 MB) of Socket.IO events, as engine.io-client fills a POST:
/// 35 000 and some packets, more than thirty times the inbound mark.
#[tokio::test(start_paused = true)]
async fn a_full_batch_of_typical_messages_passes() {
    let (server, mut rx) = server(fast());
    let sid = open(&server).await;
    next(&mut rx).await;
    let mut messages: Vec<String> = Vec::new();
    let mut size = 0;
    while size < 1_000_000 - 64 {
        let message = format!(r#"2["chat","message {:06}"]"#, messages.len());
        size += message.len() + 2;
        messages.push(message);
    }
    // The last message pads the body to the byte: the body is `size - 1` bytes so far, and
    // the last packet adds its separator, its `4` and itself.
    let last = format!(r#"2["chat","{}"]"#, "p".repeat(1_000_000 - size - 13));
    messages.push(last);
    let body = messages
        .iter()
        .map(|m| format!("4{m}"))
        .collect::<Vec<_>>()
        .join("\u{1e}");
    assert_eq!(body.len(), 1_000_000);
    let reply = post(&server, &poll_query(&sid), &body).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
    expect_messages(&mut rx, &sid, messages.len(), |i, message| {
        assert_eq!(*message, Message::Text(Text::new(&messages[i])));
    })
    .await;
    // The session goes on.
    let reply = post(&server, &poll_query(&sid), "4echo after").await;
    assert_eq!(reply.status, 200);
    assert_eq!(get(&server, &poll_query(&sid)).await.body, "4echo after");
}

/// The smallest packets a client can batch: a full body of empty messages.
#[tokio::test(start_paused = true)]
async fn a_full_batch_of_empty_messages_passes() {
    let (server, mut rx) = server(fast().max_payload(100_000));
    let sid = open(&server).await;
    next(&mut rx).await;
    let body = vec!["4"; 50_000].join("\u{1e}");
    assert_eq!(body.len(), 99_999);
    let reply = post(&server, &poll_query(&sid), &body).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
    expect_messages(&mut rx, &sid, 50_000, |_, message| {
        assert_eq!(*message, Message::Text(Text::new("")));
    })
    .await;
}

/// A malformed packet ends the session with `parse error`, after the packets before it are
/// delivered (the reference decodes a payload up to its first bad packet and delivers those).
#[tokio::test(start_paused = true)]
async fn packets_before_a_malformed_one_are_delivered() {
    let (server, mut rx) = server(fast());
    let sid = open(&server).await;
    next(&mut rx).await;
    let reply = post(&server, &poll_query(&sid), "4a\u{1e}4b\u{1e}9\u{1e}4never").await;
    assert_error(&reply, 400, 3, "Bad request");
    expect_messages(&mut rx, &sid, 2, |i, message| {
        assert_eq!(*message, Message::Text(Text::new(["a", "b"][i])));
    })
    .await;
    assert_eq!(
        next(&mut rx).await,
        Seen::Close(sid, DisconnectReason::ParseError)
    );
}

/// A close packet after thousands of messages (the POST waits at the mark several times
/// before it): the messages before it are delivered, those after it dropped, and the POST
/// is answered.
#[tokio::test(start_paused = true)]
async fn a_close_packet_deep_in_a_body_ends_the_session_after_its_messages() {
    let (server, mut rx) = server(fast());
    let sid = open(&server).await;
    next(&mut rx).await;
    let mut packets = vec!["4m"; 5000];
    packets.push("1");
    packets.extend(["4dropped"; 3000]);
    let reply = post(&server, &poll_query(&sid), &packets.join("\u{1e}")).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
    expect_messages(&mut rx, &sid, 5000, |_, message| {
        assert_eq!(*message, Message::Text(Text::new("m")));
    })
    .await;
    assert_eq!(
        next(&mut rx).await,
        Seen::Close(sid, DisconnectReason::TransportClose)
    );
}
