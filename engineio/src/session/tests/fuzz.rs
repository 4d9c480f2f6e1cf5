//! The session under arbitrary input sequences.

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
