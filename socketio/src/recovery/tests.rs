//! The store with fabricated time.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::json;

use super::*;
use crate::adapter::BroadcastFlags;
use crate::payload::Payload;

fn event(text: &str) -> Packet {
    Packet::event(NamespaceName::root(), "e", Payload::from(json!([text])))
}

fn to(rooms: &[&str], except: &[&str]) -> BroadcastOptions {
    BroadcastOptions {
        rooms: rooms.iter().map(|r| Room::from(*r)).collect(),
        except: except.iter().map(|r| Room::from(*r)).collect(),
        ..BroadcastOptions::default()
    }
}

fn session(pid: &str, rooms: &[&str]) -> Session {
    Session {
        sid: format!("sid-{pid}"),
        pid: pid.into(),
        rooms: rooms.iter().map(|r| Room::from(*r)).collect(),
        data: json!({"user": pid}),
    }
}

/// Keeps an event; its offset.
fn keep(store: &mut SessionStore, text: &str, opts: &BroadcastOptions, now: Instant) -> String {
    let mut packet = event(text);
    assert!(store.keep(&mut packet, opts, now));
    let args = packet
        .payload()
        .unwrap()
        .value()
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(args.len(), 2, "the offset is appended: {args:?}");
    args[1].as_str().unwrap().to_owned()
}

fn texts(restored: &Restored) -> Vec<String> {
    let text = |p: &Packet| p.payload().unwrap().value()[0].as_str().unwrap().to_owned();
    restored.missed.iter().map(text).collect()
}

#[test]
fn a_session_gets_what_its_rooms_got_after_its_offset_in_order_once() {
    let t0 = Instant::now();
    let mut store = SessionStore::new(RecoveryOptions::default());
    let offset = keep(&mut store, "seen", &to(&[], &[]), t0);
    store.persist(session("p", &["sid-p", "a"]), t0);
    keep(&mut store, "to all", &to(&[], &[]), t0);
    keep(&mut store, "to a", &to(&["a"], &[]), t0);
    keep(&mut store, "to b", &to(&["b"], &[]), t0);
    keep(&mut store, "all but a", &to(&[], &["a"]), t0);
    keep(&mut store, "to me", &to(&["sid-p"], &[]), t0);
    let restored = store
        .restore("p", &offset, t0 + Duration::from_secs(1))
        .unwrap();
    assert_eq!(restored.session, session("p", &["sid-p", "a"]));
    assert_eq!(texts(&restored), ["to all", "to a", "to me"]);
    // Each missed event carries its offset, so that the client moves on from it.
    assert!(restored
        .missed
        .iter()
        .all(|p| p.payload().unwrap().value()[1].is_string()));
    assert!(
        store.restore("p", &offset, t0).is_none(),
        "a session is restored once"
    );
}

#[test]
fn volatile_events_and_events_with_an_ack_are_not_kept() {
    let t0 = Instant::now();
    let mut store = SessionStore::new(RecoveryOptions::default());
    let volatile = BroadcastOptions {
        flags: BroadcastFlags {
            volatile: Some(true),
            ..BroadcastFlags::default()
        },
        ..BroadcastOptions::default()
    };
    let mut packet = event("v");
    assert!(!store.keep(&mut packet, &volatile, t0));
    assert_eq!(packet, event("v"), "left as it is");
    let mut with_ack = event("a");
    if let PacketKind::Event { ack, .. } = &mut with_ack.kind {
        *ack = Some(3);
    }
    assert!(!store.keep(&mut with_ack, &to(&[], &[]), t0));
    let mut connect = Packet::connect(NamespaceName::root(), None);
    assert!(!store.keep(&mut connect, &to(&[], &[]), t0));
    assert_eq!(store.kept().0, 0);
}

#[test]
fn unknown_pids_and_offsets_get_nothing() {
    let t0 = Instant::now();
    let mut store = SessionStore::new(RecoveryOptions::default());
    let offset = keep(&mut store, "x", &to(&[], &[]), t0);
    store.persist(session("p", &["sid-p"]), t0);
    assert!(store.restore("forged", &offset, t0).is_none());
    // An offset from the future, and one that is no number, forget the session too.
    store.persist(session("q", &["sid-q"]), t0);
    assert!(store.restore("q", "999999", t0).is_none());
    assert!(store.restore("q", &offset, t0).is_none());
    store.persist(session("r", &["sid-r"]), t0);
    assert!(store.restore("r", "not-an-offset", t0).is_none());
    assert!(store.restore("p", &offset, t0).is_some());
}

#[test]
fn sessions_and_events_expire_with_the_window() {
    let t0 = Instant::now();
    let options = RecoveryOptions {
        max_disconnection_duration: Duration::from_secs(10),
        ..RecoveryOptions::default()
    };
    let mut store = SessionStore::new(options);
    let offset = keep(&mut store, "x", &to(&[], &[]), t0);
    store.persist(session("p", &["sid-p"]), t0);
    let later = t0 + Duration::from_secs(11);
    assert!(store.restore("p", &offset, later).is_none());
    assert_eq!((store.sessions(), store.kept().0), (0, 0));
    // Within the window, an event kept at the edge is still there.
    let offset = keep(&mut store, "y", &to(&[], &[]), later);
    store.persist(session("p", &["sid-p"]), later);
    let restored = store.restore("p", &offset, later + Duration::from_secs(10));
    assert!(restored.is_some());
}

#[test]
fn the_oldest_events_go_past_the_caps_and_their_offsets_with_them() {
    let t0 = Instant::now();
    let options = RecoveryOptions {
        max_packets: 3,
        ..RecoveryOptions::default()
    };
    let mut store = SessionStore::new(options);
    let first = keep(&mut store, "0", &to(&[], &[]), t0);
    let second = keep(&mut store, "1", &to(&[], &[]), t0);
    for i in 2..5 {
        keep(&mut store, &i.to_string(), &to(&[], &[]), t0);
    }
    assert_eq!(store.kept().0, 3);
    store.persist(session("p", &["sid-p"]), t0);
    assert!(store.restore("p", &first, t0).is_none(), "its offset went");
    store.persist(session("p", &["sid-p"]), t0);
    assert!(store.restore("p", &second, t0).is_none());

    let options = RecoveryOptions {
        max_bytes: 4096,
        ..RecoveryOptions::default()
    };
    let mut store = SessionStore::new(options);
    let big = Payload::new(
        json!([{"_placeholder": true, "num": 0}]),
        vec![Bytes::from(vec![0u8; 3000])],
    )
    .unwrap();
    for _ in 0..5 {
        let mut packet = Packet::event(NamespaceName::root(), "blob", big.clone());
        store.keep(&mut packet, &to(&[], &[]), t0);
    }
    let (count, bytes) = store.kept();
    assert_eq!(count, 1);
    assert!(bytes <= 4096, "{bytes}");
}

#[test]
fn the_oldest_sessions_go_past_their_cap() {
    let t0 = Instant::now();
    let options = RecoveryOptions {
        max_sessions: 2,
        ..RecoveryOptions::default()
    };
    let mut store = SessionStore::new(options);
    let offset = keep(&mut store, "x", &to(&[], &[]), t0);
    for pid in ["a", "b", "c"] {
        store.persist(session(pid, &[]), t0);
    }
    assert_eq!(store.sessions(), 2);
    assert!(store.restore("a", &offset, t0).is_none());
    assert!(store.restore("c", &offset, t0).is_some());
}
