//! Decoding one text message of the default Socket.IO parser (`socket.io-parser`).
//!
//! [`decode`] reads `<type>[<attachments>-][<namespace>,][<ack id>][<json>]` and checks the
//! payload against the packet type with the rules of the JavaScript parser. A binary packet
//! comes back as a [`PartialPacket`] that waits for its attachments; the per-connection
//! [`Decoder`](crate::decoder::Decoder) feeds them in.
//!
//! Where the JavaScript parser is laxer than the protocol spec, the spec wins: an event or an
//! ack without data, and an ack without an id, are errors here.

use serde_json::Value;

use crate::decoder::{Decoded, DecoderConfig, PartialPacket, MAX_JSON_DEPTH};
use crate::packet::{is_reserved_event, NamespaceName, Packet, PacketKind, PacketType};
use crate::parser::ParseError;
use crate::payload::{placeholders_in_range, Payload};

/// Decodes the text message of a packet.
///
/// ```
/// use socketio::packet::PacketKind;
/// use socketio::decoder::{Decoded, DecoderConfig};
/// use socketio::parser::decode;
///
/// let decoded = decode(r#"2/admin,12["chat","hi"]"#, &DecoderConfig::default())?;
/// let Decoded::Complete(packet) = decoded else { unreachable!() };
/// assert_eq!(packet.namespace, "/admin");
/// assert!(matches!(packet.kind, PacketKind::Event { ack: Some(12), .. }));
/// # Ok::<(), socketio::parser::ParseError>(())
/// ```
pub fn decode(text: &str, config: &DecoderConfig) -> Result<Decoded, ParseError> {
    let header = Header::parse(text, config)?;
    let kind = header.packet_type;
    let data = packet_kind(kind, header.id, header.data, config)?;
    let packet = Packet::new(header.namespace, data);
    if !kind.is_binary() {
        return Ok(Decoded::Complete(packet));
    }
    let args = packet.payload().map(Payload::value).unwrap_or(&Value::Null);
    if !placeholders_in_range(args, header.attachments) {
        return Err(ParseError::BadPlaceholder);
    }
    Ok(PartialPacket::new(packet, header.attachments).settle())
}

/// Everything before the JSON, and the JSON text.
struct Header<'a> {
    packet_type: PacketType,
    attachments: usize,
    namespace: NamespaceName,
    id: Option<u64>,
    data: Option<&'a str>,
}

impl<'a> Header<'a> {
    fn parse(text: &'a str, config: &DecoderConfig) -> Result<Self, ParseError> {
        let first = *text.as_bytes().first().ok_or(ParseError::Empty)?;
        let packet_type = PacketType::from_digit(first).ok_or(ParseError::UnknownType)?;
        // The first byte is an ASCII digit, and every later split is next to an ASCII byte,
        // so all splits fall on char boundaries.
        let rest = text.get(1..).unwrap_or_default();
        let (attachments, rest) = if packet_type.is_binary() {
            attachment_count(rest, config.max_attachments)?
        } else {
            (0, rest)
        };
        let (namespace, rest) = namespace(rest);
        let (digits, rest) = split_digits(rest);
        let id = match digits {
            "" => None,
            digits => Some(digits.parse::<u64>().map_err(|_| ParseError::BadAckId)?),
        };
        let data = (!rest.is_empty()).then_some(rest);
        Ok(Self {
            packet_type,
            attachments,
            namespace,
            id,
            data,
        })
    }
}

/// Reads `<digits>-`, a count of at most `max`.
fn attachment_count(text: &str, max: usize) -> Result<(usize, &str), ParseError> {
    let (digits, rest) = split_digits(text);
    let rest = rest
        .strip_prefix('-')
        .ok_or(ParseError::BadAttachmentCount)?;
    let count = digits.parse().map_err(|_| ParseError::BadAttachmentCount)?;
    if count > max {
        return Err(ParseError::TooManyAttachments { count, max });
    }
    Ok((count, rest))
}

/// Reads `/<name>,`; like the JavaScript parser, a namespace without its comma runs to the
/// end, and text that does not start with `/` is in the main namespace.
fn namespace(text: &str) -> (NamespaceName, &str) {
    if !text.starts_with('/') {
        return (NamespaceName::root(), text);
    }
    match text.split_once(',') {
        Some((name, rest)) => (NamespaceName::from_wire(name), rest),
        None => (NamespaceName::from_wire(text), ""),
    }
}

fn split_digits(text: &str) -> (&str, &str) {
    let end = text
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(end)
}

/// Builds what the packet carries, checking the payload against the type.
fn packet_kind(
    kind: PacketType,
    id: Option<u64>,
    data: Option<&str>,
    config: &DecoderConfig,
) -> Result<PacketKind, ParseError> {
    let invalid = || ParseError::InvalidPayload(kind);
    let json = data
        .map(|text| parse_json(text, config.max_json_depth))
        .transpose()?;
    // Like the JavaScript parser, an ack id on a packet that has no use for one is ignored.
    match (kind, json) {
        (PacketType::Connect, None) => Ok(PacketKind::Connect(None)),
        (PacketType::Connect, Some(auth @ Value::Object(_))) => Ok(PacketKind::Connect(Some(auth))),
        (PacketType::Disconnect, None) => Ok(PacketKind::Disconnect),
        (PacketType::ConnectError, Some(data @ (Value::Object(_) | Value::String(_)))) => {
            Ok(PacketKind::ConnectError(data))
        }
        (PacketType::Event | PacketType::BinaryEvent, Some(Value::Array(items))) => {
            event(kind, items, id, config)
        }
        (PacketType::Ack | PacketType::BinaryAck, Some(Value::Array(items))) => {
            let id = id.ok_or(ParseError::MissingAckId)?;
            let args = Payload::from_parts(Value::Array(items), Vec::new());
            Ok(PacketKind::Ack { id, args })
        }
        _ => Err(invalid()),
    }
}

fn parse_json(text: &str, max_depth: usize) -> Result<Value, ParseError> {
    // serde_json stops at its own limit; a scan is only worth its pass below that.
    if max_depth < MAX_JSON_DEPTH && nesting_exceeds(text, max_depth) {
        return Err(ParseError::TooDeep { max: max_depth });
    }
    serde_json::from_str(text).map_err(|error| {
        // serde_json has no error code to match for its limit, only this message.
        if error.to_string().starts_with("recursion limit exceeded") {
            ParseError::TooDeep {
                max: max_depth.min(MAX_JSON_DEPTH),
            }
        } else {
            ParseError::InvalidJson(error)
        }
    })
}

/// Whether arrays and objects nest deeper than `max` in `text`, brackets inside strings
/// aside. Invalid JSON is left to the parser: this only has to be right for valid JSON.
fn nesting_exceeds(text: &str, max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        match (in_string, byte) {
            (true, _) if escaped => escaped = false,
            (true, b'\\') => escaped = true,
            (true, b'"') | (false, b'"') => in_string = !in_string,
            (false, b'[' | b'{') => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            (false, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// An event from `[name, args...]`; like the JavaScript parser, a numeric name is accepted
/// and read as its JSON text, the key an `EventEmitter` would file it under.
fn event(
    kind: PacketType,
    items: Vec<Value>,
    ack: Option<u64>,
    config: &DecoderConfig,
) -> Result<PacketKind, ParseError> {
    let mut items = items.into_iter();
    let name = match items.next() {
        Some(Value::String(name)) => name,
        Some(Value::Number(number)) => number.to_string(),
        _ => return Err(ParseError::InvalidPayload(kind)),
    };
    if config.reject_reserved_events && is_reserved_event(&name) {
        return Err(ParseError::ReservedEvent(name));
    }
    let args = Payload::from_parts(Value::Array(items.collect()), Vec::new());
    Ok(PacketKind::Event { name, args, ack })
}
