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
fn upgrade_flushes_queue_over_websocket_without_loss_or_duplicate() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    s.handle(t0, Input::PollStart).unwrap();
    s.handle(t0, Input::ProbeOpened).unwrap();
    s.handle(t0, Input::Recv(WS, Packet::Ping(Probe::Yes)))
        .unwrap();
    // The probe is answered and the held poll is released with a noop.
    assert_eq!(
        drain(&mut s, t0),
        [
            Output::Event(Event::Upgrading),
            Output::WsWrite(Packet::Pong(Probe::Yes)),
            Output::PollReady
        ]
    );
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Noop]));
    s.handle(t0, Input::Send(Message::Text(Text::new("queued"))))
        .unwrap();
    s.handle(t0, Input::Recv(WS, Packet::Upgrade)).unwrap();
    assert_eq!(
        drain(&mut s, t0),
        [
            Output::Event(Event::Upgraded),
            Output::WsWrite(text("queued"))
        ]
    );
    assert_eq!(s.transport(), Some(WS));
    assert_eq!(
        s.handle(t0, Input::PollStart),
        Err(SessionError::TransportMismatch)
    );
}

#[test]
fn messages_queued_during_probe_are_polled_once() {
    let t0 = Instant::now();
    let mut s = probed_session(t0);
    s.handle(t0, Input::Send(Message::Text(Text::new("m1"))))
        .unwrap();
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::PollReady]);
    assert_eq!(s.take_payload(1000), Some(vec![text("m1")]));
    s.handle(t0, Input::Recv(WS, Packet::Upgrade)).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::Event(Event::Upgraded)]);
}

#[test]
fn poll_held_at_upgrade_is_released() {
    let t0 = Instant::now();
    let mut s = probed_session(t0);
    s.take_payload(1000);
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0), []);
    s.handle(t0, Input::Recv(WS, Packet::Upgrade)).unwrap();
    s.handle(t0, Input::Send(Message::Text(Text::new("after"))))
        .unwrap();
    assert_eq!(
        drain(&mut s, t0),
        [
            Output::Event(Event::Upgraded),
            Output::WsWrite(text("after")),
            Output::PollReady
        ]
    );
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Noop]));
}

#[test]
fn upgrade_timeout_cancels_the_probe_and_keeps_polling() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    s.handle(t0, Input::ProbeOpened).unwrap();
    // The heartbeat goes on over polling while the probe runs.
    assert_eq!(drain(&mut s, t0 + Duration::from_millis(999)), []);
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Ping(Probe::No)]));
    s.handle(
        t0 + Duration::from_millis(999),
        Input::Recv(POLL, Packet::Pong(Probe::No)),
    )
    .unwrap();
    assert_eq!(
        drain(&mut s, t0 + Duration::from_millis(1000)),
        [Output::WsClose]
    );
    assert_eq!(s.transport(), Some(POLL));
    assert!(!s.is_upgrading());
}

#[test]
fn unexpected_probe_packet_cancels_the_upgrade() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    s.handle(t0, Input::ProbeOpened).unwrap();
    s.handle(t0, Input::Recv(WS, text("too early"))).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::WsClose]);
    assert_eq!(s.transport(), Some(POLL));
    // A failed probe is not fatal: a new one may start.
    s.handle(t0, Input::ProbeOpened).unwrap();
    s.handle(
        t0,
        Input::TransportEnded(WS, DisconnectReason::TransportClose),
    )
    .unwrap();
    assert_eq!(drain(&mut s, t0), []);
    assert_eq!(s.transport(), Some(POLL));
}

#[test]
fn second_websocket_is_refused() {
    let t0 = Instant::now();
    let mut s = probed_session(t0);
    assert_eq!(
        s.handle(t0, Input::ProbeOpened),
        Err(SessionError::UpgradeRefused)
    );
    s.handle(t0, Input::Recv(WS, Packet::Upgrade)).unwrap();
    assert_eq!(
        s.handle(t0, Input::ProbeOpened),
        Err(SessionError::UpgradeRefused)
    );
    assert_eq!(s.transport(), Some(WS));
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
            Output::Event(Event::Closed(DisconnectReason::TransportClose))
        ]
    );
}

#[test]
fn server_close_on_polling_delivers_queue_then_close() {
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
    assert_eq!(s.take_payload(1000), Some(vec![text("bye"), Packet::Close]));
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

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn input() -> impl Strategy<Value = Input> {
        let transport = prop_oneof![Just(POLL), Just(WS)];
        let packet = prop_oneof![
            Just(Packet::Close),
            Just(Packet::Upgrade),
            Just(Packet::Noop),
            Just(Packet::Ping(Probe::Yes)),
            Just(Packet::Ping(Probe::No)),
            Just(Packet::Pong(Probe::No)),
            Just(text("m")),
        ];
        prop_oneof![
            (transport.clone(), packet).prop_map(|(t, p)| Input::Recv(t, p)),
            Just(Input::PollStart),
            Just(Input::PollAborted),
            Just(Input::PostStart),
            Just(Input::PostEnd),
            Just(Input::ProbeOpened),
            transport.prop_map(|t| Input::TransportEnded(t, DisconnectReason::TransportClose)),
            Just(Input::Send(Message::Text(Text::new("x")))),
            Just(Input::Close(DisconnectReason::ForcedClose)),
        ]
    }

    proptest! {
        /// Any sequence of inputs and clock advances keeps the session consistent: no panic,
        /// at most one `Closed` event, and nothing but `Wait(None)` after it.
        #[test]
        fn arbitrary_inputs_never_panic(
            steps in proptest::collection::vec((input(), 0u64..400, any::<bool>()), 0..60),
            start_ws in any::<bool>(),
        ) {
            let t0 = Instant::now();
            let transport = if start_ws { WS } else { POLL };
            let mut s = Session::new("f".into(), &config(), transport, t0);
            let mut now = t0;
            let mut closed = 0;
            for (input, advance, take) in steps {
                now += Duration::from_millis(advance);
                let _ = s.handle(now, input);
                if take {
                    let _ = s.take_payload(64);
                }
                for output in drain(&mut s, now) {
                    if let Output::Event(Event::Closed(_)) = output {
                        closed += 1;
                    }
                }
            }
            prop_assert!(closed <= 1);
            if closed == 1 {
                prop_assert!(s.is_closed());
                prop_assert_eq!(s.poll_output(now + Duration::from_secs(60)), Output::Wait(None));
            }
        }
    }
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
fn polls_during_an_upgrade_get_a_noop_every_100ms_not_at_once() {
    let t0 = Instant::now();
    let mut s = probed_session(t0);
    // The poll held when the probe was answered is released at once...
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::PollReady]);
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Noop]));
    // ...the next one waits for the 100 ms tick instead of spinning.
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0 + Duration::from_millis(99)), []);
    assert_eq!(s.take_payload(1000), None);
    assert_eq!(
        drain(&mut s, t0 + Duration::from_millis(100)),
        [Output::PollReady]
    );
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Noop]));
}
