//! The revisions of the Engine.IO protocol a session may speak.

/// A revision of the Engine.IO protocol, from the `EIO` query parameter of the handshake.
///
/// Revision 4 is the current one (Socket.IO v3 and later clients). Revision 3 is the one of
/// Socket.IO v2 clients, served only when the server allows it (`allowEIO3`): its polling
/// payloads are length-prefixed, binary packets carry their type, and the client sends the
/// pings.
///
/// ```
/// use engineio::Protocol;
/// assert_eq!(Protocol::from_query(Some("4")), Protocol::V4);
/// // As the reference reads it: anything but 4 is the third revision.
/// assert_eq!(Protocol::from_query(Some("3")), Protocol::V3);
/// assert_eq!(Protocol::from_query(None), Protocol::V3);
/// assert_eq!(Protocol::V3.revision(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Engine.IO v3 (Socket.IO v2 clients).
    V3,
    /// Engine.IO v4.
    V4,
}

impl Protocol {
    /// The revision a request asks for: 4 when `EIO` is `4`, 3 otherwise, as the reference
    /// server decides (it then refuses 3 unless `allowEIO3` is on).
    pub fn from_query(eio: Option<&str>) -> Self {
        match eio {
            Some("4") => Protocol::V4,
            _ => Protocol::V3,
        }
    }

    /// The revision number: 3 or 4.
    pub fn revision(self) -> u8 {
        match self {
            Protocol::V3 => 3,
            Protocol::V4 => 4,
        }
    }
}
