//! The upgrade from polling to WebSocket: probe, noop, flush, timeout, refusals.

use super::*;

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
