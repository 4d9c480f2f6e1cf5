//! A server close while an upgrade is in flight waits for the upgrade, as the reference's
//! does: what was queued goes over the transport that wins, then the close.

use super::*;

const FORCED: DisconnectReason = DisconnectReason::ForcedClose;

fn send(s: &mut Session, t: Instant, text: &str) {
    s.handle(t, Input::Send(Message::Text(Text::new(text))))
        .unwrap();
}

/// A session whose probe was answered and whose held poll took its noop: the client has
/// paused polling and is about to send its upgrade packet.
fn paused_client(t0: Instant) -> Session {
    let mut s = probed_session(t0);
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::PollReady]);
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Noop]));
    s
}

#[test]
fn close_after_the_probe_writes_the_queue_over_the_websocket_once_upgraded() {
    let t0 = Instant::now();
    let mut s = paused_client(t0);
    send(&mut s, t0, "m1");
    send(&mut s, t0, "m2");
    s.handle(t0, Input::Close(FORCED)).unwrap();
    // Nothing moves while the upgrade is in flight; nothing more may be queued.
    assert_eq!(drain(&mut s, t0 + Duration::from_millis(500)), []);
    assert!(s.is_upgrading() && !s.is_closed());
    assert_eq!(s.transport(), None);
    assert_eq!(
        s.handle(t0, Input::Send(Message::Text(Text::new("late")))),
        Err(SessionError::Closed)
    );
    let at = t0 + Duration::from_millis(600);
    s.handle(at, Input::Recv(WS, Packet::Upgrade)).unwrap();
    // The queue goes over the WebSocket, which then closes (no close packet, as the
    // reference's WebSocket close).
    assert_eq!(
        drain(&mut s, at),
        [
            Output::Event(Event::Upgraded),
            Output::WsWrite(text("m1")),
            Output::WsWrite(text("m2")),
            Output::WsClose,
            Output::Event(Event::Closed(FORCED)),
        ]
    );
    assert!(s.is_closed());
    assert_eq!(s.poll_output(at), Output::Wait(None));
}

#[test]
fn close_after_the_probe_without_upgrade_goes_on_polling_at_the_upgrade_timeout() {
    let t0 = Instant::now();
    let mut s = paused_client(t0);
    send(&mut s, t0, "m1");
    s.handle(t0, Input::Close(FORCED)).unwrap();
    assert_eq!(
        s.poll_output(t0),
        Output::Wait(Some(t0 + Duration::from_millis(1000)))
    );
    assert_eq!(drain(&mut s, t0 + Duration::from_millis(999)), []);
    // The reference closes the probe at upgradeTimeout; the close goes on polling.
    let timeout = t0 + Duration::from_millis(1000);
    assert_eq!(drain(&mut s, timeout), [Output::WsClose]);
    assert!(!s.is_upgrading() && !s.is_closed());
    s.handle(timeout, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, timeout), [Output::PollReady]);
    assert_eq!(s.take_payload(1000), Some(vec![text("m1")]));
    s.handle(timeout, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, timeout), [Output::PollReady]);
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Close]));
    assert_eq!(
        drain(&mut s, timeout),
        [Output::Event(Event::Closed(FORCED))]
    );
}

#[test]
fn close_after_the_probe_ends_once_the_client_neither_upgrades_nor_polls() {
    let t0 = Instant::now();
    let mut s = paused_client(t0);
    send(&mut s, t0, "m1");
    s.handle(t0, Input::Close(FORCED)).unwrap();
    let timeout = t0 + Duration::from_millis(1000);
    assert_eq!(drain(&mut s, timeout), [Output::WsClose]);
    // Then the polling close gives up after pingTimeout, as any polling close.
    assert_eq!(drain(&mut s, timeout + Duration::from_millis(199)), []);
    assert_eq!(
        drain(&mut s, timeout + Duration::from_millis(200)),
        [Output::Event(Event::Closed(FORCED))]
    );
}

#[test]
fn close_while_the_probe_waits_answers_the_probe_and_upgrades_first() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    s.handle(t0, Input::ProbeOpened).unwrap();
    send(&mut s, t0, "m1");
    s.handle(t0, Input::Close(FORCED)).unwrap();
    // The reference still answers the probe of a closing socket.
    s.handle(t0, Input::Recv(WS, Packet::Ping(Probe::Yes)))
        .unwrap();
    assert_eq!(
        drain(&mut s, t0),
        [
            Output::Event(Event::Upgrading),
            Output::WsWrite(Packet::Pong(Probe::Yes))
        ]
    );
    s.handle(t0, Input::Recv(WS, Packet::Upgrade)).unwrap();
    assert_eq!(
        drain(&mut s, t0),
        [
            Output::Event(Event::Upgraded),
            Output::WsWrite(text("m1")),
            Output::WsClose,
            Output::Event(Event::Closed(FORCED)),
        ]
    );
}

#[test]
fn a_poll_during_the_upgrade_takes_the_queue_then_the_close_which_ends_the_probe() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    s.handle(t0, Input::ProbeOpened).unwrap();
    send(&mut s, t0, "m1");
    s.handle(t0, Input::Close(FORCED)).unwrap();
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::PollReady]);
    assert_eq!(s.take_payload(1000), Some(vec![text("m1")]));
    assert_eq!(drain(&mut s, t0), []);
    // With nothing queued, a poll takes the close at once, as the reference's polling close.
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::PollReady]);
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Close]));
    assert_eq!(
        drain(&mut s, t0),
        [Output::Event(Event::Closed(FORCED)), Output::WsClose]
    );
    assert!(s.is_closed());
}

#[test]
fn a_failed_probe_sends_the_waiting_close_on_polling() {
    let t0 = Instant::now();
    let mut s = paused_client(t0);
    send(&mut s, t0, "m1");
    s.handle(t0, Input::Close(FORCED)).unwrap();
    s.handle(t0, Input::Recv(WS, text("not an upgrade")))
        .unwrap();
    assert_eq!(drain(&mut s, t0), [Output::WsClose]);
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::PollReady]);
    assert_eq!(s.take_payload(1000), Some(vec![text("m1")]));
    // The probe's own end does the same, without closing it again.
    let mut s = paused_client(t0);
    s.handle(t0, Input::Close(FORCED)).unwrap();
    s.handle(
        t0,
        Input::TransportEnded(WS, DisconnectReason::TransportClose),
    )
    .unwrap();
    assert_eq!(drain(&mut s, t0), []);
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::PollReady]);
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Close]));
    assert_eq!(drain(&mut s, t0), [Output::Event(Event::Closed(FORCED))]);
}

#[test]
fn a_poll_held_when_the_closing_session_upgrades_gets_a_noop() {
    let t0 = Instant::now();
    let mut s = paused_client(t0);
    send(&mut s, t0, "m1");
    s.handle(t0, Input::Close(FORCED)).unwrap();
    s.handle(t0, Input::PollStart).unwrap();
    s.handle(t0, Input::Recv(WS, Packet::Upgrade)).unwrap();
    assert_eq!(
        drain(&mut s, t0),
        [
            Output::Event(Event::Upgraded),
            Output::WsWrite(text("m1")),
            Output::WsClose,
            Output::Event(Event::Closed(FORCED)),
            Output::PollReady,
        ]
    );
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Noop]));
}

#[test]
fn close_before_any_probe_goes_on_polling() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    send(&mut s, t0, "m1");
    s.handle(t0, Input::Close(FORCED)).unwrap();
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::PollReady]);
    assert_eq!(s.take_payload(1000), Some(vec![text("m1")]));
    s.handle(t0, Input::PollStart).unwrap();
    assert_eq!(drain(&mut s, t0), [Output::PollReady]);
    assert_eq!(s.take_payload(1000), Some(vec![Packet::Close]));
    assert_eq!(drain(&mut s, t0), [Output::Event(Event::Closed(FORCED))]);
    // Once the client has read the close, a WebSocket finds no session.
    assert_eq!(s.handle(t0, Input::ProbeOpened), Err(SessionError::Closed));
}

#[test]
fn a_probe_opened_after_the_close_may_still_upgrade_as_in_the_reference() {
    let t0 = Instant::now();
    let mut s = polling_session(t0);
    send(&mut s, t0, "m1");
    s.handle(t0, Input::Close(FORCED)).unwrap();
    // The client has not read the close yet: the reference's socket is still closing, and
    // takes the WebSocket; the close then waits for the upgrade like any other.
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
    s.handle(t0, Input::Recv(WS, Packet::Upgrade)).unwrap();
    assert_eq!(
        drain(&mut s, t0),
        [
            Output::Event(Event::Upgraded),
            Output::WsWrite(text("m1")),
            Output::WsClose,
            Output::Event(Event::Closed(FORCED)),
        ]
    );
}

#[test]
fn a_probe_after_a_close_without_upgrades_or_on_websocket_is_refused() {
    let t0 = Instant::now();
    let no_upgrades = Config {
        allow_upgrades: false,
        ..config()
    };
    let mut s = Session::new("a".into(), &no_upgrades, POLL, t0);
    s.handle(t0, Input::Close(FORCED)).unwrap();
    assert_eq!(s.handle(t0, Input::ProbeOpened), Err(SessionError::Closed));
    let mut ws = Session::new("w".into(), &config(), WS, t0);
    ws.handle(t0, Input::Close(FORCED)).unwrap();
    assert_eq!(
        ws.handle(t0, Input::ProbeOpened),
        Err(SessionError::UpgradeRefused)
    );
}
