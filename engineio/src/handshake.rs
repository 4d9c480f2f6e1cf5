//! The open packet that starts every session.

use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::packet::PacketError;

/// The data of the open packet (`0`), in the field names the protocol uses.
///
/// ```
/// use engineio::handshake::OpenPacket;
/// let open = OpenPacket {
///     sid: "lv_VI97HAXpY6yYWAAAC".into(),
///     upgrades: vec!["websocket".into()],
///     ping_interval: 25000,
///     ping_timeout: 20000,
///     max_payload: 1_000_000,
/// };
/// assert_eq!(
///     open.to_json(),
///     r#"{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenPacket {
    /// The session id.
    pub sid: String,
    /// Transports the client may upgrade to.
    pub upgrades: Vec<String>,
    /// Milliseconds between two server pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong.
    pub ping_timeout: u64,
    /// Largest payload, in bytes, the server accepts.
    pub max_payload: u64,
}

impl OpenPacket {
    /// The JSON text of the packet's data.
    pub fn to_json(&self) -> String {
        // Serializing plain strings and integers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses the JSON data of an open packet.
    pub fn from_json(data: &[u8]) -> Result<Self, PacketError> {
        serde_json::from_slice(data).map_err(|_| PacketError::InvalidOpen)
    }
}

/// Milliseconds of a duration, as the open packet carries them.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
