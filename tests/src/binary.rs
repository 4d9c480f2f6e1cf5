//! Binary payloads as the drivers carry them in JSON: base64 strings, and `{"$bin": base64}`
//! values inside Socket.IO arguments.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};

/// Encodes bytes as standard base64 (with padding), as the drivers expect them.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes standard base64, as the drivers report binary data.
///
/// # Panics
///
/// When `text` is not valid base64.
pub fn from_b64(text: &str) -> Vec<u8> {
    STANDARD
        .decode(text)
        .unwrap_or_else(|err| panic!("invalid base64 {text:?} from a driver: {err}"))
}

/// The JSON form of a binary value inside Socket.IO arguments: `{"$bin": "<base64>"}`.
pub fn bin(bytes: &[u8]) -> Value {
    json!({ "$bin": b64(bytes) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let bytes = [0_u8, 1, 2, 255, 254];
        assert_eq!(from_b64(&b64(&bytes)), bytes);
        assert_eq!(bin(&[1, 2, 3]), json!({"$bin": "AQID"}));
    }
}
