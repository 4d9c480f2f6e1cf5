//! The inbound high-water mark: the client's messages the layer above has not taken yet.

use super::*;
use crate::packet::Probe;

/// A session whose inbound mark is `messages` messages and `bytes` bytes.
fn marked(transport: TransportKind, messages: usize, bytes: usize, t0: Instant) -> Session {
    let config = Config {
        max_inbound_messages: messages,
        max_inbound_bytes: bytes,
        ..config()
    };
    let mut s = Session::new("sid".into(), &config, transport, t0);
    match transport {
        TransportKind::Polling => drop(s.take_payload(usize::MAX).expect("open packet")),
        TransportKind::WebSocket => drop(drain(&mut s, t0)),
    }
    s
}

fn message(s: &str) -> Output {
    Output::Event(Event::Message(Message::Text(Text::new(s))))
}

#[test]
fn the_message_mark_pauses_the_transport_until_the_queue_is_taken() {
    let t0 = Instant::now();
    let mut s = marked(POLL, 3, 1_000_000, t0);
    for (i, m) in ["a", "b", "c"].into_iter().enumerate() {
        assert!(!s.inbound_full(), "full after {i}");
        s.handle(t0, Input::Recv(POLL, text(m))).unwrap();
    }
    assert!(s.inbound_full());
    assert_eq!(s.inbound(), 3);
    // Taking the queue empties it; the POST that fed it is told once, after the messages.
    assert_eq!(
        drain(&mut s, t0),
        [message("a"), message("b"), message("c"), Output::RecvReady]
    );
    assert!(!s.inbound_full());
    assert_eq!(s.inbound(), 0);
    assert_eq!(drain(&mut s, t0), []);
    s.handle(t0, Input::Recv(POLL, text("d"))).unwrap();
    assert_eq!(drain(&mut s, t0), [message("d"), Output::RecvReady]);
}

#[test]
fn the_byte_mark_takes_one_message_over_it_then_pauses() {
    let t0 = Instant::now();
    let mut s = marked(POLL, 100, 10, t0);
    s.handle(t0, Input::Recv(POLL, text("12345678"))).unwrap();
    assert!(!s.inbound_full(), "8 bytes of 10");
    // A message is never refused for its size alone: under the mark, the next one is taken.
    let big = "x".repeat(1000);
    s.handle(t0, Input::Recv(POLL, text(&big))).unwrap();
    assert!(s.inbound_full());
    s.handle(t0, Input::Recv(POLL, Packet::Binary(bytes::Bytes::new())))
        .unwrap_err();
    assert!(s.is_closed());
}

#[test]
fn a_message_fed_at_the_mark_is_refused_and_ends_the_session() {
    let t0 = Instant::now();
    let mut s = marked(POLL, 2, 1_000_000, t0);
    s.handle(t0, Input::Recv(POLL, text("a"))).unwrap();
    s.handle(t0, Input::Recv(POLL, text("b"))).unwrap();
    assert_eq!(
        s.handle(t0, Input::Recv(POLL, text("c"))),
        Err(SessionError::InboundFull)
    );
    // The messages taken before are delivered, then the end.
    assert_eq!(
        drain(&mut s, t0),
        [
            message("a"),
            message("b"),
            Output::Event(Event::Closed(DisconnectReason::TransportError)),
            Output::RecvReady,
        ]
    );
}

#[test]
fn packets_that_are_not_messages_pass_at_the_mark() {
    let t0 = Instant::now();
    let mut s = marked(POLL, 1, 1_000_000, t0);
    let ping = t0 + Duration::from_millis(300);
    // Any input meets the deadline: the ping is queued, a pong is awaited.
    s.handle(ping, Input::SetTimer(None)).unwrap();
    s.handle(ping, Input::Recv(POLL, text("a"))).unwrap();
    assert!(s.inbound_full());
    // The pong does not join the queue; the heartbeat goes on.
    s.handle(ping, Input::Recv(POLL, Packet::Pong(Probe::No)))
        .unwrap();
    s.handle(ping, Input::Recv(POLL, Packet::Noop)).unwrap();
    let later = ping + Duration::from_millis(250);
    assert_eq!(drain(&mut s, later), [message("a"), Output::RecvReady]);
    assert!(!s.is_closed());
}

#[test]
fn websocket_messages_count_but_tell_no_post() {
    let t0 = Instant::now();
    let mut s = marked(WS, 2, 1_000_000, t0);
    s.handle(t0, Input::Recv(WS, text("a"))).unwrap();
    s.handle(t0, Input::Recv(WS, text("b"))).unwrap();
    assert!(s.inbound_full());
    assert_eq!(drain(&mut s, t0), [message("a"), message("b")]);
    assert!(!s.inbound_full());
}

#[test]
fn a_closed_session_is_never_full_and_drops_what_comes() {
    let t0 = Instant::now();
    let mut s = marked(POLL, 1, 1_000_000, t0);
    s.handle(t0, Input::Recv(POLL, text("a"))).unwrap();
    s.handle(t0, Input::Close(DisconnectReason::ForcedClose))
        .unwrap();
    assert!(!s.inbound_full(), "nothing more is queued once closing");
    s.handle(t0, Input::Recv(POLL, text("dropped"))).unwrap();
    assert_eq!(s.inbound(), 1);
    assert_eq!(drain(&mut s, t0), [message("a"), Output::RecvReady]);
}

#[test]
fn a_waiting_post_is_told_when_the_session_ends() {
    let t0 = Instant::now();
    let mut s = marked(POLL, 2, 1_000_000, t0);
    s.handle(t0, Input::Recv(POLL, text("a"))).unwrap();
    s.handle(t0, Input::Recv(POLL, text("b"))).unwrap();
    // The session ends (the waiting GET's connection broke) while the POST waits at the mark.
    s.handle(t0, Input::PollAborted).unwrap();
    assert_eq!(
        drain(&mut s, t0),
        [
            message("a"),
            message("b"),
            Output::Event(Event::Closed(DisconnectReason::TransportError)),
            Output::RecvReady,
        ]
    );
}

#[test]
fn held_messages_wait_under_the_mark_while_signals_and_timers_go_on() {
    let t0 = Instant::now();
    let mut s = marked(WS, 2, 1_000_000, t0);
    s.handle(t0, Input::HoldMessages(true)).unwrap();
    s.handle(t0, Input::Recv(WS, text("a"))).unwrap();
    s.handle(t0, Input::Signal).unwrap();
    s.handle(t0, Input::Recv(WS, text("b"))).unwrap();
    s.handle(t0, Input::SetTimer(Some(t0))).unwrap();
    // The signal and the timer pass the held messages; the queue stays at the mark.
    assert_eq!(
        drain(&mut s, t0),
        [Output::Event(Event::Signal), Output::Event(Event::Timer)]
    );
    assert!(s.inbound_full());
    s.handle(t0, Input::HoldMessages(false)).unwrap();
    assert_eq!(drain(&mut s, t0), [message("a"), message("b")]);
    assert!(!s.inbound_full());
}

#[test]
fn held_messages_keep_a_polling_post_waiting_until_released() {
    let t0 = Instant::now();
    let mut s = marked(POLL, 10, 1_000_000, t0);
    s.handle(t0, Input::HoldMessages(true)).unwrap();
    s.handle(t0, Input::Recv(POLL, text("a"))).unwrap();
    assert_eq!(drain(&mut s, t0), []);
    s.handle(t0, Input::HoldMessages(false)).unwrap();
    assert_eq!(drain(&mut s, t0), [message("a"), Output::RecvReady]);
}

#[test]
fn a_close_delivers_the_held_messages_first() {
    let t0 = Instant::now();
    let mut s = marked(WS, 10, 1_000_000, t0);
    s.handle(t0, Input::HoldMessages(true)).unwrap();
    s.handle(t0, Input::Recv(WS, text("a"))).unwrap();
    s.handle(t0, Input::Recv(WS, Packet::Close)).unwrap();
    assert_eq!(
        drain(&mut s, t0),
        [
            message("a"),
            Output::Event(Event::Closed(DisconnectReason::TransportClose)),
            Output::WsClose
        ]
    );
    assert_eq!(
        s.handle(t0, Input::HoldMessages(false)),
        Err(SessionError::Closed)
    );
}

#[test]
fn a_client_the_session_stopped_reading_is_not_timed_out_for_it() {
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let mut s = marked(WS, 1, 1_000_000, t0);
    s.handle(t0, Input::HoldMessages(true)).unwrap();
    s.handle(t0, Input::Recv(WS, text("a"))).unwrap();
    assert!(s.inbound_full());
    // The ping goes at 300 ms; its pong would be due at 500 ms, but the client's input is
    // not read: the session pings it again instead (the client gives up without pings), and
    // again.
    let ping = || vec![Output::WsWrite(Packet::Ping(Probe::No))];
    assert_eq!(drain(&mut s, ms(300)), ping());
    assert_eq!(drain(&mut s, ms(500)), ping());
    assert_eq!(drain(&mut s, ms(650)), []);
    assert_eq!(drain(&mut s, ms(700)), ping());
    assert!(!s.is_closed());
    // Read again: the messages go up, the pong comes, the heartbeat goes on.
    s.handle(ms(750), Input::HoldMessages(false)).unwrap();
    assert_eq!(drain(&mut s, ms(750)), [message("a")]);
    s.handle(ms(760), Input::Recv(WS, Packet::Pong(Probe::No)))
        .unwrap();
    assert_eq!(drain(&mut s, ms(1000)), []);
    assert!(!s.is_closed());
    // Not at the mark, a missing pong ends the session as ever.
    assert_eq!(
        drain(&mut s, ms(1060)),
        [Output::WsWrite(Packet::Ping(Probe::No))]
    );
    assert_eq!(
        drain(&mut s, ms(1260)),
        [
            Output::Event(Event::Closed(DisconnectReason::PingTimeout)),
            Output::WsClose
        ]
    );
}
