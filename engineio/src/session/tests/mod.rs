//! Deterministic session tests with fabricated time.

use std::time::{Duration, Instant};

use super::*;
use crate::packet::{Probe, Text};

const POLL: TransportKind = TransportKind::Polling;
const WS: TransportKind = TransportKind::WebSocket;

fn config() -> Config {
    Config {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        upgrade_timeout: Duration::from_millis(1000),
        max_buffered_packets: 4,
        ..Config::default()
    }
}

/// Drains the outputs due at `now`, up to the first `Wait`.
fn drain(s: &mut Session, now: Instant) -> Vec<Output> {
    let mut out = Vec::new();
    loop {
        match s.poll_output(now) {
            Output::Wait(_) => return out,
            other => out.push(other),
        }
    }
}

fn text(s: &str) -> Packet {
    Packet::Message(Text::new(s))
}

fn polling_session(t0: Instant) -> Session {
    let mut s = Session::new("sid".into(), &config(), POLL, t0);
    let open = s.take_payload(usize::MAX).expect("open packet");
    assert!(matches!(&open[..], [Packet::Open(o)] if o.upgrades == ["websocket"]));
    s
}

/// A polling session whose WebSocket probe has been answered.
fn probed_session(t0: Instant) -> Session {
    let mut s = polling_session(t0);
    s.handle(t0, Input::ProbeOpened).unwrap();
    s.handle(t0, Input::Recv(WS, Packet::Ping(Probe::Yes)))
        .unwrap();
    assert_eq!(
        drain(&mut s, t0),
        [
            Output::Event(Event::Upgrading),
            Output::WsWrite(Packet::Pong(Probe::Yes))
        ]
    );
    s
}

#[test]
fn websocket_handshake_writes_open_without_upgrades() {
    let t0 = Instant::now();
    let mut s = Session::new("abc".into(), &config(), WS, t0);
    match &drain(&mut s, t0)[..] {
        [Output::WsWrite(Packet::Open(open))] => {
            assert_eq!(open.sid, "abc");
            assert!(open.upgrades.is_empty());
            assert_eq!((open.ping_interval, open.ping_timeout), (300, 200));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        s.poll_output(t0),
        Output::Wait(Some(t0 + Duration::from_millis(300)))
    );
}

#[test]
fn heartbeat_pings_every_interval_after_each_pong() {
    let t0 = Instant::now();
    let mut s = Session::new("a".into(), &config(), WS, t0);
    drain(&mut s, t0);
    let mut now = t0;
    for _ in 0..5 {
        now += Duration::from_millis(300);
        assert_eq!(
            drain(&mut s, now),
            [Output::WsWrite(Packet::Ping(Probe::No))]
        );
        now += Duration::from_millis(150);
        s.handle(now, Input::Recv(WS, Packet::Pong(Probe::No)))
            .unwrap();
        assert_eq!(
            s.poll_output(now),
            Output::Wait(Some(now + Duration::from_millis(300)))
        );
    }
}

#[test]
fn missing_pong_ends_with_ping_timeout() {
    let t0 = Instant::now();
    let mut s = Session::new("a".into(), &config(), WS, t0);
    drain(&mut s, t0);
    let ping_at = t0 + Duration::from_millis(300);
    assert_eq!(
        drain(&mut s, ping_at),
        [Output::WsWrite(Packet::Ping(Probe::No))]
    );
    assert_eq!(drain(&mut s, ping_at + Duration::from_millis(199)), []);
    assert_eq!(
        drain(&mut s, ping_at + Duration::from_millis(200)),
        [
            Output::Event(Event::Closed(DisconnectReason::PingTimeout)),
            Output::WsClose
        ]
    );
    assert!(s.is_closed());
    assert_eq!(
        s.poll_output(ping_at + Duration::from_secs(9)),
        Output::Wait(None)
    );
}

#[test]
fn polling_ping_timeout_answers_the_waiting_poll_with_close() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    let ping_at = t0 + Duration::from_millis(300);
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, ping_at), [Output::PollReady]);
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Ping(Probe::No)]));
    s.handle(ping_at, Input::PollStart).unwrap();
    let out = drain(&mut s, ping_at + Duration::from_millis(200));
    assert_eq!(
        out,
        [
            Output::Event(Event::Closed(DisconnectReason::PingTimeout)),
            Output::PollReady
        ]
    );
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Close]));
}

#[test]
fn client_ping_is_a_transport_error() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    s.handle(t0, Input::Recv(POLL, Packet::Ping(Probe::No)))
        .unwrap();
    assert_eq!(
        drain(&mut s, t0),
        [Output::Event(Event::Closed(
            DisconnectReason::TransportError
        ))]
    );
}

#[test]
fn messages_go_to_the_waiting_poll_in_order() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0), []);
    s.handle(t0, Input::Send(Message::Text(Text::new("a"))))
        .unwrap();
    s.handle(
        t0,
        Input::Send(Message::Binary(bytes::Bytes::from_static(b"\x01"))),
    )
    .unwrap();
    assert_eq!(drain(&mut s, t0), [Output::PollReady]);
    let payload = s.take_payload(1000).unwrap();
    assert_eq!(
        payload,
        [
            text("a"),
            Packet::Binary(bytes::Bytes::from_static(b"\x01"))
        ]
    );
    assert_eq!(s.take_payload(1000), None);
}

#[test]
fn payload_respects_the_size_limit_but_sends_at_least_one_packet() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    s.handle(t0, Input::Send(Message::Text(Text::new("0123456789"))))
        .unwrap();
    s.handle(t0, Input::Send(Message::Text(Text::new("x"))))
        .unwrap();
    assert_eq!(s.take_payload(5), Some(vec![text("0123456789")]));
    assert_eq!(s.take_payload(5), Some(vec![text("x")]));
}

#[test]
fn overlapping_get_closes_the_session_and_releases_the_first() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(
        s.handle(t0, Input::PollStart),
        Err(SessionError::OverlappingGet)
    );
    assert_eq!(
        drain(&mut s, t0),
        [
            Output::Event(Event::Closed(DisconnectReason::TransportError)),
            Output::PollReady
        ]
    );
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Close]));
    assert_eq!(s.handle(t0, Input::PollStart), Err(SessionError::Closed));
}

#[test]
fn overlapping_post_closes_the_session() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    s.handle(t0, Input::PostStart).unwrap();
    assert_eq!(
        s.handle(t0, Input::PostStart),
        Err(SessionError::OverlappingPost)
    );
    assert!(s.is_closed());
}

#[test]
fn client_close_packet_ends_with_transport_close() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    s.handle(t0, Input::Recv(POLL, text("last"))).unwrap();
    s.handle(t0, Input::Recv(POLL, Packet::Close)).unwrap();
    s.handle(t0, Input::Recv(POLL, text("after close")))
        .unwrap();
    assert_eq!(
        drain(&mut s, t0),
        [
            Output::Event(Event::Message(Message::Text(Text::new("last")))),
            Output::Event(Event::Closed(DisconnectReason::TransportClose)),
            // The POST that fed the message may answer.
            Output::RecvReady,
        ]
    );
}

#[test]
fn server_close_on_polling_delivers_queue_then_close_alone() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    s.handle(t0, Input::Send(Message::Text(Text::new("bye"))))
        .unwrap();
    s.handle(t0, Input::Close(DisconnectReason::ForcedClose))
        .unwrap();
    assert_eq!(
        s.handle(t0, Input::Send(Message::Text(Text::new("x")))),
        Err(SessionError::Closed)
    );
    assert_eq!(drain(&mut s, t0), []);
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::PollReady]);
    // The close comes alone, in the next poll (as the reference's).
    assert_eq!(s.take_payload(1000), Some(vec![text("bye")]));
    assert_eq!(drain(&mut s, t0), []);
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::PollReady]);
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Close]));
    assert_eq!(
        drain(&mut s, t0),
        [Output::Event(Event::Closed(DisconnectReason::ForcedClose))]
    );
}

#[test]
fn server_close_on_polling_gives_up_after_the_ping_timeout() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    s.handle(t0, Input::Close(DisconnectReason::ServerShuttingDown))
        .unwrap();
    assert_eq!(
        drain(&mut s, t0 + Duration::from_millis(200)),
        [Output::Event(Event::Closed(
            DisconnectReason::ServerShuttingDown
        ))]
    );
}

#[test]
fn server_close_on_websocket_writes_queue_then_closes() {
    let t0 = Instant::now();
    let mut s = Session::new("a".into(), &config(), WS, t0);
    s.handle(t0, Input::Send(Message::Text(Text::new("bye"))))
        .unwrap();
    s.handle(t0, Input::Close(DisconnectReason::ForcedClose))
        .unwrap();
    let out = drain(&mut s, t0);
    assert!(matches!(out[0], Output::WsWrite(Packet::Open(_))));
    assert_eq!(
        out[1..],
        [
            Output::WsWrite(text("bye")),
            Output::WsClose,
            Output::Event(Event::Closed(DisconnectReason::ForcedClose))
        ]
    );
}

#[test]
fn websocket_end_reports_its_reason() {
    let t0 = Instant::now();
    let mut s = Session::new("a".into(), &config(), WS, t0);
    s.handle(t0, Input::TransportEnded(WS, DisconnectReason::ParseError))
        .unwrap();
    let out = drain(&mut s, t0);
    assert_eq!(
        out.last(),
        Some(&Output::Event(Event::Closed(DisconnectReason::ParseError)))
    );
    assert!(!out.contains(&Output::WsClose));
}

#[test]
fn a_client_that_stops_reading_is_dropped() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    for i in 0..5 {
        s.handle(t0, Input::Send(Message::Text(Text::new(&i.to_string()))))
            .unwrap();
    }
    assert_eq!(
        drain(&mut s, t0),
        [Output::Event(Event::Closed(
            DisconnectReason::TransportError
        ))]
    );
}

#[test]
fn polling_requests_on_a_websocket_session_mismatch() {
    let t0 = Instant::now();
    let mut s = Session::new("a".into(), &config(), WS, t0);
    assert_eq!(
        s.handle(t0, Input::PostStart),
        Err(SessionError::TransportMismatch)
    );
    assert_eq!(
        s.handle(t0, Input::Recv(POLL, text("x"))),
        Err(SessionError::TransportMismatch)
    );
}

#[test]
fn volatile_messages_need_a_writable_transport() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    let v = |s: &str| Input::SendVolatile(Message::Text(Text::new(s)));
    s.handle(t0, v("dropped: no poll waiting")).unwrap();
    s.handle(t0, Input::PollStart).unwrap();
    s.handle(t0, v("kept")).unwrap();
    s.handle(t0, v("dropped: queue busy")).unwrap();
    assert_eq!(s.take_payload(1000), Some(vec![text("kept")]));
    let mut ws = Session::new("w".into(), &config(), WS, t0);
    ws.handle(t0, v("dropped: open packet not written yet"))
        .unwrap();
    drain(&mut ws, t0);
    ws.handle(t0, v("kept")).unwrap();
    assert_eq!(drain(&mut ws, t0), [Output::WsWrite(text("kept"))]);
}

#[test]
fn timer_fires_once_and_dies_with_the_session() {
    let t0 = Instant::now();
    let mut s = Session::new("w".into(), &config(), WS, t0);
    drain(&mut s, t0);
    s.handle(t0, Input::SetTimer(Some(t0 + Duration::from_millis(100))))
        .unwrap();
    assert_eq!(
        s.poll_output(t0),
        Output::Wait(Some(t0 + Duration::from_millis(100)))
    );
    let at = t0 + Duration::from_millis(100);
    assert_eq!(drain(&mut s, at), [Output::Event(Event::Timer)]);
    assert_eq!(drain(&mut s, at), []);
    s.handle(at, Input::SetTimer(Some(at + Duration::from_millis(50))))
        .unwrap();
    s.handle(at, Input::Close(DisconnectReason::ForcedClose))
        .unwrap();
    let out = drain(&mut s, at + Duration::from_millis(60));
    assert!(!out.contains(&Output::Event(Event::Timer)), "{out:?}");
}

#[test]
fn signals_before_the_event_is_taken_count_as_one() {
    let t0 = Instant::now();
    let mut s = Session::new("w".into(), &config(), WS, t0);
    drain(&mut s, t0);
    s.handle(t0, Input::Signal).unwrap();
    s.handle(t0, Input::Signal).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::Event(Event::Signal)]);
    // Once taken, a new signal gives a new event.
    s.handle(t0, Input::Signal).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::Event(Event::Signal)]);
    s.handle(t0, Input::Close(DisconnectReason::ForcedClose))
        .unwrap();
    drain(&mut s, t0);
    assert_eq!(s.handle(t0, Input::Signal), Err(SessionError::Closed));
}

mod close_during_upgrade;
mod eio3;
mod fuzz;
mod inbound;
mod upgrade;
