//! Target `eio3_payload`: the body of an Engine.IO v3 polling POST, in either of its forms.
//!
//! Input: one byte choosing the form (even: text, `<length>:<packet>` records; odd: binary,
//! as a POST of `application/octet-stream`), then the body's bytes.
//!
//! Invariants:
//! - decoding never panics; an empty body is an error;
//! - whatever decodes re-encodes, in the same form, to a body that decodes to the same
//!   packets (not always to the same bytes: `0:` records and lengths with leading zeros decode
//!   to nothing more).

use bytes::Bytes;
use engineio::eio3::payload;

/// Feeds one input to the v3 payload decoders and checks the invariants.
pub fn run(data: &[u8]) {
    let Some((&form, body)) = data.split_first() else {
        return;
    };
    let body = Bytes::copy_from_slice(body);
    let binary = form % 2 == 1;
    let decoded = match binary {
        true => payload::decode_binary(&body),
        false => payload::decode_text(&body),
    };
    if body.is_empty() {
        assert!(decoded.is_err(), "an empty body decoded");
    }
    let Ok(packets) = decoded else {
        return;
    };
    let (encoded, again) = match binary {
        true => {
            let encoded = payload::encode_binary(&packets);
            let again = payload::decode_binary(&Bytes::from(encoded.clone()));
            (encoded, again)
        }
        false => {
            let encoded = payload::encode_text(&packets).into_bytes();
            let again = payload::decode_text(&Bytes::from(encoded.clone()));
            (encoded, again)
        }
    };
    assert_eq!(
        again.as_ref(),
        Ok(&packets),
        "re-encoded {encoded:?} decodes differently"
    );
}
