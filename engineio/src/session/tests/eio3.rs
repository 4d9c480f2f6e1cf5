//! Engine.IO v3 sessions: the client drives the heartbeat. And the poll a client leaves
//! waiting when it closes, in either revision.

use super::*;

fn v3_session(t0: Instant, transport: TransportKind) -> Session {
    let mut s = Session::with_protocol("v3".into(), &config(), transport, Protocol::V3, t0);
    assert_eq!(s.protocol(), Protocol::V3);
    match transport {
        TransportKind::Polling => {
            let open = s.take_payload(usize::MAX).expect("open packet");
            assert!(matches!(&open[..], [Packet::Open(_)]));
        }
        TransportKind::WebSocket => {
            assert!(matches!(
                &drain(&mut s, t0)[..],
                [Output::WsWrite(Packet::Open(_))]
            ));
        }
    }
    s
}

/// The client pings; the server answers each ping with a pong and never pings itself. The
/// client has the interval plus the timeout (500 ms here) between two pings.
#[test]
fn v3_client_pings_and_the_server_pongs() {
    let t0 = Instant::now();
    let mut s = v3_session(t0, WS);
    let deadline = t0 + Duration::from_millis(500);
    assert_eq!(s.poll_output(t0), Output::Wait(Some(deadline)));
    let t1 = t0 + Duration::from_millis(450);
    assert_eq!(drain(&mut s, t1), [], "no server ping in v3");
    s.handle(t1, Input::Recv(WS, Packet::Ping(Probe::No)))
        .unwrap();
    assert_eq!(
        drain(&mut s, t1),
        [Output::WsWrite(Packet::Pong(Probe::No))]
    );
    let later = t1 + Duration::from_millis(500);
    assert_eq!(s.poll_output(t1), Output::Wait(Some(later)));
    assert_eq!(
        drain(&mut s, later),
        [
            Output::Event(Event::Closed(DisconnectReason::PingTimeout)),
            Output::WsClose
        ]
    );
}

#[test]
fn v3_pong_from_the_client_is_a_transport_error() {
    let t0 = Instant::now();
    let mut s = v3_session(t0, POLL);
    s.handle(t0, Input::Recv(POLL, Packet::Pong(Probe::No)))
        .unwrap();
    assert_eq!(
        drain(&mut s, t0),
        [Output::Event(Event::Closed(
            DisconnectReason::TransportError
        ))]
    );
}

/// Over polling the pong waits for the client's next GET, like any packet.
#[test]
fn v3_pong_goes_to_the_waiting_poll() {
    let t0 = Instant::now();
    let mut s = v3_session(t0, POLL);
    s.handle(t0, Input::PollStart).unwrap();
    s.handle(t0, Input::Recv(POLL, Packet::Ping(Probe::No)))
        .unwrap();
    assert_eq!(drain(&mut s, t0), [Output::PollReady]);
    assert_eq!(
        s.take_payload(usize::MAX),
        Some(vec![Packet::Pong(Probe::No)])
    );
}

/// A v3 session upgrades as a v4 one does, and its heartbeat goes on over the WebSocket.
#[test]
fn v3_upgrade_keeps_the_client_heartbeat() {
    let t0 = Instant::now();
    let mut s = v3_session(t0, POLL);
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
    assert_eq!(drain(&mut s, t0), [Output::Event(Event::Upgraded)]);
    let t1 = t0 + Duration::from_millis(400);
    s.handle(t1, Input::Recv(WS, Packet::Ping(Probe::No)))
        .unwrap();
    assert_eq!(
        drain(&mut s, t1),
        [Output::WsWrite(Packet::Pong(Probe::No))]
    );
    assert_eq!(
        s.poll_output(t1),
        Output::Wait(Some(t1 + Duration::from_millis(500)))
    );
}

/// A client that closes through a POST while its GET is held: the GET gets a noop (`6`), not
/// a close packet, as the reference's polling transport answers; the session ends the same.
#[test]
fn client_close_answers_the_held_poll_with_a_noop() {
    for protocol in [Protocol::V3, Protocol::V4] {
        let t0 = Instant::now();
        let mut s = Session::with_protocol("s".into(), &config(), POLL, protocol, t0);
        assert!(s.take_payload(usize::MAX).is_some());
        s.handle(t0, Input::PollStart).unwrap();
        s.handle(t0, Input::PostStart).unwrap();
        s.handle(t0, Input::Recv(POLL, Packet::Close)).unwrap();
        assert_eq!(
            drain(&mut s, t0),
            [
                Output::Event(Event::Closed(DisconnectReason::TransportClose)),
                Output::PollReady
            ]
        );
        assert_eq!(
            s.take_payload(usize::MAX),
            Some(vec![Packet::Noop]),
            "{protocol:?}"
        );
    }
}
