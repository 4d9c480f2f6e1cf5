//! The Engine.IO v3 polling payload, in its text and its binary form.
//!
//! ```
//! use bytes::Bytes;
//! use engineio::eio3::payload;
//! use engineio::packet::{Packet, Probe, Text};
//!
//! let packets = [Packet::Message(Text::new("€")), Packet::Pong(Probe::No)];
//! // The length counts UTF-16 code units, as JavaScript strings do: `4€` is 2 long.
//! assert_eq!(payload::encode_text(&packets), "2:4€1:3");
//! assert_eq!(payload::decode_text(&Bytes::from("2:4€1:3")).unwrap(), packets);
//!
//! let binary = [Packet::Message(Text::new("hi")), Packet::Binary(Bytes::from_static(&[7]))];
//! let body = payload::encode_binary(&binary);
//! assert_eq!(body, [0, 3, 0xff, b'4', b'h', b'i', 1, 2, 0xff, 4, 7]);
//! assert_eq!(payload::decode_binary(&Bytes::from(body)).unwrap(), binary);
//! ```

use bytes::Bytes;

use super::packet::{
    decode_binary as decode_binary_packet, decode_text as decode_text_packet, write_text,
};
use crate::packet::{Packet, PacketError};

/// The byte that ends the length of a packet in a binary payload.
const LENGTH_END: u8 = 0xff;
/// The longest length a payload may announce, in digits: more than any body we accept.
const MAX_LENGTH_DIGITS: usize = 10;

/// Whether a payload must be binary: the client takes binary and a packet is binary.
pub fn needs_binary(packets: &[Packet], client_takes_binary: bool) -> bool {
    client_takes_binary && packets.iter().any(|p| matches!(p, Packet::Binary(_)))
}

/// Encodes packets as a text payload; a binary message is written in base64 (`b4…`).
pub fn encode_text(packets: &[Packet]) -> String {
    if packets.is_empty() {
        return "0:".to_owned();
    }
    let mut out = String::new();
    let mut packet_text = String::new();
    for packet in packets {
        packet_text.clear();
        write_text(packet, &mut packet_text);
        let units = packet_text.encode_utf16().count();
        out.push_str(&units.to_string());
        out.push(':');
        out.push_str(&packet_text);
    }
    out
}

/// Encodes packets as a binary payload.
pub fn encode_binary(packets: &[Packet]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut text = String::new();
    for packet in packets {
        match packet {
            Packet::Binary(data) => {
                write_header(&mut out, 1, data.len() + 1);
                out.push(super::MESSAGE);
                out.extend_from_slice(data);
            }
            other => {
                text.clear();
                other.write_text(&mut text);
                write_header(&mut out, 0, text.len());
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
    out
}

fn write_header(out: &mut Vec<u8>, kind: u8, len: usize) {
    out.push(kind);
    out.extend(len.to_string().bytes().map(|digit| digit - b'0'));
    out.push(LENGTH_END);
}

/// Decodes a text payload. Any packet that does not decode, a length that is not a number or
/// that does not fit, fails the whole payload (the session then ends with `parse error`).
pub fn decode_text(body: &Bytes) -> Result<Vec<Packet>, PacketError> {
    if body.is_empty() {
        return Err(PacketError::Empty);
    }
    let text = std::str::from_utf8(body).map_err(|_| PacketError::InvalidUtf8)?;
    let mut packets = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let colon = rest.find(':').ok_or(PacketError::InvalidLength)?;
        // Text lengths are ASCII digits; binary ones are digit values.
        let digits = rest[..colon].bytes().map(|b| b.wrapping_sub(b'0'));
        let units = parse_length(digits)?;
        let start = colon + 1;
        let end = start + byte_len_of_units(&rest[start..], units)?;
        if end > start {
            let offset = body.len() - rest.len();
            packets.push(decode_text_packet(
                body.slice(offset + start..offset + end),
            )?);
        }
        rest = &rest[end..];
    }
    Ok(packets)
}

/// The byte length of the first `units` UTF-16 code units of `text`; an error when the text
/// is shorter or the count ends inside a character.
fn byte_len_of_units(text: &str, units: usize) -> Result<usize, PacketError> {
    let mut counted = 0;
    for (index, ch) in text.char_indices() {
        if counted == units {
            return Ok(index);
        }
        counted += ch.len_utf16();
        if counted > units {
            return Err(PacketError::InvalidLength);
        }
    }
    match counted == units {
        true => Ok(text.len()),
        false => Err(PacketError::InvalidLength),
    }
}

/// Reads a decimal length from its digits, refusing what is not one.
fn parse_length(digits: impl ExactSizeIterator<Item = u8>) -> Result<usize, PacketError> {
    if digits.len() == 0 || digits.len() > MAX_LENGTH_DIGITS {
        return Err(PacketError::InvalidLength);
    }
    digits.into_iter().try_fold(0usize, |n, digit| match digit {
        0..=9 => Ok(n * 10 + usize::from(digit)),
        _ => Err(PacketError::InvalidLength),
    })
}

/// Decodes a binary payload (a POST with `Content-Type: application/octet-stream`).
pub fn decode_binary(body: &Bytes) -> Result<Vec<Packet>, PacketError> {
    if body.is_empty() {
        return Err(PacketError::Empty);
    }
    let mut packets = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let kind = body[start];
        let digits_start = start + 1;
        let end_mark = body[digits_start..]
            .iter()
            .position(|&b| b == LENGTH_END)
            .ok_or(PacketError::InvalidLength)?;
        let digits = &body[digits_start..digits_start + end_mark];
        let len = parse_length(digits.iter().copied())?;
        let data_start = digits_start + end_mark + 1;
        let data_end = data_start
            .checked_add(len)
            .filter(|&end| end <= body.len())
            .ok_or(PacketError::InvalidLength)?;
        let data = body.slice(data_start..data_end);
        packets.push(match kind {
            0 => {
                std::str::from_utf8(&data).map_err(|_| PacketError::InvalidUtf8)?;
                decode_text_packet(data)?
            }
            1 => decode_binary_packet(&data)?,
            _ => return Err(PacketError::UnknownType),
        });
        start = data_end;
    }
    Ok(packets)
}

#[cfg(test)]
mod tests;
