//! The few Engine.IO v4 / Socket.IO v5 packets the load generator writes and reads, as text.
//!
//! Every event carries a 64-byte string. The echo argument starts with the message's sequence
//! number (16 hex digits) so that a reply can be matched with its request when several are in
//! flight; a broadcast carries its index and the time it was sent (microseconds since the
//! load generator started, the receivers being in the same process).

/// The 48 characters that follow the 16 hex digits of an echo's sequence number.
const FILLER: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV";
/// The 64-byte string argument of every broadcast.
pub(crate) const PAYLOAD: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The start of an echo event and of its answer (the servers answer with the same event name).
const ECHO_PREFIX: &str = r#"42["echo",""#;
/// The start of a broadcast event, sent and received alike.
const BROADCAST_PREFIX: &str = r#"42["broadcast","#;

/// The Engine.IO heartbeat the server sends.
pub(crate) const PING: &str = "2";
/// The client's answer to [`PING`].
pub(crate) const PONG: &str = "3";
/// The Socket.IO CONNECT to the main namespace.
pub(crate) const CONNECT: &str = "40";
/// The Engine.IO close packet.
pub(crate) const CLOSE: &str = "1";

/// The record separator between the packets of a long-polling payload.
const SEPARATOR: char = '\u{1e}';

/// `42["echo","<seq as 16 hex digits><48 filler bytes>"]`.
pub(crate) fn echo_packet(seq: u64) -> String {
    format!(r#"{ECHO_PREFIX}{}"]"#, echo_argument(seq))
}

/// The 64-byte argument of an echo: `seq` as 16 hex digits, then the filler.
pub(crate) fn echo_argument(seq: u64) -> String {
    format!("{seq:016x}{FILLER}")
}

/// The sequence number of an echo, `None` for any other packet.
pub(crate) fn echo_seq(packet: &str) -> Option<u64> {
    echo_argument_seq(packet.strip_prefix(ECHO_PREFIX)?)
}

/// The sequence number at the start of an echo's argument.
pub(crate) fn echo_argument_seq(argument: &str) -> Option<u64> {
    u64::from_str_radix(argument.get(..16)?, 16).ok()
}

/// `42["broadcast",<index>,<sent_us>,"<64 bytes>"]`.
pub(crate) fn broadcast_packet(index: u32, sent_us: u64) -> String {
    format!(r#"{BROADCAST_PREFIX}{index},{sent_us},"{PAYLOAD}"]"#)
}

/// The index and the send time of a broadcast, `None` for any other packet.
pub(crate) fn broadcast_fields(packet: &str) -> Option<(u32, u64)> {
    let rest = packet.strip_prefix(BROADCAST_PREFIX)?;
    let mut fields = rest.splitn(3, ',');
    let index = fields.next()?.parse().ok()?;
    let sent_us = fields.next()?.parse().ok()?;
    Some((index, sent_us))
}

/// The session id of an Engine.IO open packet `0{"sid":"...",...}`.
pub(crate) fn open_sid(packet: &str) -> Option<&str> {
    let json = packet.strip_prefix('0')?;
    const KEY: &str = r#""sid":""#;
    let start = json.find(KEY)? + KEY.len();
    let len = json[start..].find('"')?;
    Some(&json[start..start + len])
}

/// Whether a packet is the server's answer to [`CONNECT`]: `40` or `40{"sid":...}`.
pub(crate) fn is_connected(packet: &str) -> bool {
    packet == "40" || packet.starts_with("40{")
}

/// Whether a packet refuses the namespace (`44{...}`).
pub(crate) fn is_connect_error(packet: &str) -> bool {
    packet.starts_with("44")
}

/// The packets of a long-polling payload.
pub(crate) fn polling_packets(body: &str) -> impl Iterator<Item = &str> {
    body.split(SEPARATOR).filter(|packet| !packet.is_empty())
}

/// The query of every long-polling request: the session's, or a new one's when `sid` is
/// `None`.
pub(crate) fn polling_path(sid: Option<&str>) -> String {
    match sid {
        Some(sid) => format!("/socket.io/?EIO=4&transport=polling&sid={sid}"),
        None => "/socket.io/?EIO=4&transport=polling".to_owned(),
    }
}

/// The path of the WebSocket upgrade request.
pub(crate) const WS_PATH: &str = "/socket.io/?EIO=4&transport=websocket";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_packets_carry_a_64_byte_argument_and_their_sequence() {
        let packet = echo_packet(0x1234);
        assert_eq!(packet.len(), ECHO_PREFIX.len() + 64 + 2);
        assert_eq!(echo_seq(&packet), Some(0x1234));
        assert_eq!(echo_seq(&echo_packet(u64::MAX)), Some(u64::MAX));
        assert_eq!(echo_seq(r#"42["other","0000000000000001"]"#), None);
        assert_eq!(echo_seq(r#"42["echo","short"]"#), None);
    }

    #[test]
    fn broadcast_fields_round_trip() {
        let packet = broadcast_packet(7, 123_456);
        assert_eq!(packet, format!(r#"42["broadcast",7,123456,"{PAYLOAD}"]"#));
        assert_eq!(broadcast_fields(&packet), Some((7, 123_456)));
        assert_eq!(broadcast_fields(r#"42["echo",1,2]"#), None);
        assert_eq!(broadcast_fields(r#"42["broadcast","x",2]"#), None);
    }

    #[test]
    fn open_packets_give_their_sid() {
        let open = r#"0{"sid":"abc-_1","upgrades":["websocket"],"pingInterval":25000}"#;
        assert_eq!(open_sid(open), Some("abc-_1"));
        assert_eq!(open_sid(r#"40{"sid":"x"}"#), None);
        assert_eq!(open_sid("0{}"), None);
    }

    #[test]
    fn connect_answers_are_recognised() {
        assert!(is_connected("40"));
        assert!(is_connected(r#"40{"sid":"x"}"#));
        assert!(!is_connected("42[]"));
        assert!(is_connect_error(r#"44{"message":"no"}"#));
    }

    #[test]
    fn polling_payloads_split_on_the_record_separator() {
        let packets: Vec<_> = polling_packets("2\u{1e}42[\"echo\"]\u{1e}").collect();
        assert_eq!(packets, ["2", "42[\"echo\"]"]);
        assert_eq!(polling_packets("").count(), 0);
        assert_eq!(
            polling_path(Some("s")),
            "/socket.io/?EIO=4&transport=polling&sid=s"
        );
    }
}
