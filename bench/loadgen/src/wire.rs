//! The Socket.IO packets of the WebSocket scenarios in either parser's form: the default
//! parser's text frames (see [`proto`]) or `socket.io-msgpack-parser`'s binary frames, encoded
//! and decoded by the socketio core's [`MsgpackParser`] (the one our server uses), so the
//! load generator speaks what the official client on that parser sends.
//!
//! The packets carry the same arguments in both forms: an echo's 64-byte string starting with
//! its sequence number, a broadcast's index, send time and 64-byte string.

use bytes::Bytes;
use engineio::packet::Message as EngineMessage;
use serde_json::{json, Value};
use socketio::msgpack::MsgpackDecoder;
use socketio::{DecoderConfig, MsgpackParser, NamespaceName, Packet, PacketKind, Parser};
use tokio_tungstenite::tungstenite::Message;

use crate::proto;
use crate::{Options, Result};

/// How packets are written on the WebSocket: `--parser json` (the default) or `msgpack`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    /// `socket.io-parser`: `42[...]` text frames.
    Json,
    /// `socket.io-msgpack-parser`: one binary frame per packet.
    Msgpack,
}

impl Wire {
    /// The `--parser` option.
    pub(crate) fn from(options: &Options) -> Result<Self> {
        match options.get("parser", "json".to_owned())?.as_str() {
            "json" => Ok(Wire::Json),
            "msgpack" => Ok(Wire::Msgpack),
            other => Err(format!("--parser {other}: json or msgpack").into()),
        }
    }

    /// The scenario's name in the records: `name`, or `name-msgpack`.
    pub(crate) fn scenario(self, name: &str) -> String {
        match self {
            Wire::Json => name.to_owned(),
            Wire::Msgpack => format!("{name}-msgpack"),
        }
    }

    /// The CONNECT to the main namespace.
    pub(crate) fn connect(self) -> Message {
        match self {
            Wire::Json => Message::text(proto::CONNECT),
            Wire::Msgpack => msgpack(&Packet::new(
                NamespaceName::root(),
                PacketKind::Connect(None),
            )),
        }
    }

    /// An echo event carrying sequence number `seq`.
    pub(crate) fn echo(self, seq: u64) -> Message {
        match self {
            Wire::Json => Message::text(proto::echo_packet(seq)),
            Wire::Msgpack => event("echo", json!([proto::echo_argument(seq)])),
        }
    }

    /// A broadcast event: its index and when it was sent.
    pub(crate) fn broadcast(self, index: u32, sent_us: u64) -> Message {
        match self {
            Wire::Json => Message::text(proto::broadcast_packet(index, sent_us)),
            Wire::Msgpack => event("broadcast", json!([index, sent_us, proto::PAYLOAD])),
        }
    }
}

/// A packet the server sent, read in the client's form.
pub(crate) enum Received {
    /// Its answer to the CONNECT.
    Connected,
    /// A refusal of the namespace.
    Refused(String),
    /// An echo, by its sequence number.
    Echo(u64),
    /// A broadcast, by its send time (µs).
    Broadcast(u64),
    /// Anything else.
    Other,
}

impl Received {
    /// Reads a text frame (the default parser) or a binary one (msgpack).
    pub(crate) fn read(message: &Message) -> Self {
        match message {
            Message::Text(text) => Self::text(text.as_str()),
            Message::Binary(bytes) => Self::msgpack(bytes),
            _ => Received::Other,
        }
    }

    fn text(packet: &str) -> Self {
        if proto::is_connected(packet) {
            Received::Connected
        } else if proto::is_connect_error(packet) {
            Received::Refused(packet.to_owned())
        } else if let Some(seq) = proto::echo_seq(packet) {
            Received::Echo(seq)
        } else if let Some((_index, sent_us)) = proto::broadcast_fields(packet) {
            Received::Broadcast(sent_us)
        } else {
            Received::Other
        }
    }

    fn msgpack(bytes: &Bytes) -> Self {
        let decoder = MsgpackDecoder::new(DecoderConfig::default());
        let Ok(packet) = decoder.decode(bytes) else {
            return Received::Other;
        };
        match packet.kind {
            PacketKind::Connect(_) => Received::Connected,
            PacketKind::ConnectError(data) => Received::Refused(data.to_string()),
            PacketKind::Event { name, args, .. } => match (name.as_str(), args.value()) {
                ("echo", Value::Array(items)) => items
                    .first()
                    .and_then(Value::as_str)
                    .and_then(proto::echo_argument_seq)
                    .map_or(Received::Other, Received::Echo),
                ("broadcast", Value::Array(items)) => broadcast_items(items),
                _ => Received::Other,
            },
            _ => Received::Other,
        }
    }
}

fn broadcast_items(items: &[Value]) -> Received {
    let index = items.first().and_then(Value::as_u64);
    let index = index.and_then(|index| u32::try_from(index).ok());
    match (index, items.get(1).and_then(Value::as_u64)) {
        (Some(_index), Some(sent_us)) => Received::Broadcast(sent_us),
        _ => Received::Other,
    }
}

/// An event of the main namespace, msgpack-encoded.
fn event(name: &str, args: Value) -> Message {
    msgpack(&Packet::event(NamespaceName::root(), name, args.into()))
}

/// One msgpack packet as a binary frame (the parser writes one binary message per packet).
fn msgpack(packet: &Packet) -> Message {
    match MsgpackParser
        .encode(packet)
        .map(|encoded| encoded.first().clone())
    {
        Ok(EngineMessage::Binary(bytes)) => Message::Binary(bytes),
        // Neither can happen for these packets (no attachment, no reserved name); a frame the
        // server refuses would show as errors in the record.
        Ok(EngineMessage::Text(text)) => Message::text(text.as_str()),
        Err(error) => Message::text(format!("unencodable: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msgpack_packets_read_back() {
        let wire = Wire::Msgpack;
        assert!(matches!(wire.echo(0x1234), Message::Binary(_)));
        assert!(matches!(
            Received::read(&wire.echo(0x1234)),
            Received::Echo(0x1234)
        ));
        let broadcast = Received::read(&wire.broadcast(7, 123_456));
        assert!(matches!(broadcast, Received::Broadcast(123_456)));
        assert!(matches!(
            Received::read(&wire.connect()),
            Received::Connected
        ));
        assert_eq!(wire.scenario("echo"), "echo-msgpack");
    }

    #[test]
    fn text_packets_read_back() {
        let wire = Wire::Json;
        assert_eq!(wire.connect(), Message::text("40"));
        assert!(matches!(Received::read(&wire.echo(9)), Received::Echo(9)));
        let broadcast = Received::read(&wire.broadcast(1, 2));
        assert!(matches!(broadcast, Received::Broadcast(2)));
        let refused = Received::read(&Message::text(r#"44{"message":"no"}"#));
        assert!(matches!(refused, Received::Refused(_)));
        assert_eq!(wire.scenario("echo"), "echo");
    }
}
