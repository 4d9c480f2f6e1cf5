//! The msgpack decoder never allocates in proportion to a length it was told but not sent.
//!
//! The heap is capped (a counting global allocator, `cap`) a little above what this process
//! already holds while each hostile message is decoded: an allocation of an announced length
//! (up to 4 GiB here) would fail, which aborts this test process, so the test cannot pass by
//! accident. Alone in its binary, so that no other test allocates meanwhile.

use std::alloc::System;

use bytes::Bytes;
use cap::Cap;
use socketio::msgpack::MsgpackDecoder;
use socketio::ParseError;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

/// What one hostile message may allocate: its own few values, far from what it announces.
const BUDGET: usize = 64 * 1024;

/// `{"type":2,"nsp":"/","data":<value>}`.
fn event_with(value: &[u8]) -> Vec<u8> {
    let mut bytes = b"\x83\xa4type\x02\xa3nsp\xa1/\xa4data".to_vec();
    bytes.extend_from_slice(value);
    bytes
}

/// Messages of a few bytes announcing strings, binaries, extensions, arrays and maps of 4 GiB
/// (or 4 G items), alone, inside a packet, as a map key, and nested.
fn hostile_messages() -> Vec<(&'static str, Vec<u8>)> {
    let huge = |marker: u8| vec![marker, 0xff, 0xff, 0xff, 0xff];
    let mut messages = vec![
        ("a 4 GiB string alone (5 bytes)", huge(0xdb)),
        ("a map of 4 G entries", huge(0xdf)),
        ("an array of 4 G items", huge(0xdd)),
        ("a string key of 4 GiB", [&[0x81][..], &huge(0xdb)].concat()),
        (
            "arrays of 4 G items, 100 deep",
            event_with(&[0xdd, 0xff, 0xff, 0xff, 0xff].repeat(100)),
        ),
        (
            "maps of 4 G entries, 100 deep",
            event_with(&[0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, b'k'].repeat(100)),
        ),
    ];
    for (what, marker) in [
        ("a 4 GiB string", 0xdb),
        ("a 4 GiB binary", 0xc6),
        ("a 4 GiB extension", 0xc9),
        ("an array of 4 G items", 0xdd),
        ("a map of 4 G entries", 0xdf),
    ] {
        messages.push((what, event_with(&huge(marker))));
        let in_args = [&[0x92, 0xa1, b'x'][..], &huge(marker)].concat();
        messages.push((what, event_with(&in_args)));
    }
    messages
}

#[test]
fn announced_lengths_are_never_allocated() {
    let decoder = MsgpackDecoder::default();
    let messages: Vec<(&str, Bytes)> = hostile_messages()
        .into_iter()
        .map(|(what, bytes)| (what, Bytes::from(bytes)))
        .collect();
    let mut refused = Vec::with_capacity(messages.len());
    for (what, message) in &messages {
        HEAP.set_limit(HEAP.allocated() + BUDGET)
            .expect("the limit is above what is allocated");
        let result = decoder.decode(message);
        HEAP.set_limit(usize::MAX).expect("lifting the limit");
        refused.push((*what, message.len(), result));
    }
    for (what, len, result) in refused {
        match result {
            Err(ParseError::Msgpack(_) | ParseError::TooDeep { .. } | ParseError::UnknownType) => {}
            other => panic!("{what} ({len} bytes): {other:?}"),
        }
    }
}
