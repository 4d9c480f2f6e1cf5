//! The chat's own state: who is called what.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// The room every user starts in and cannot leave.
pub(crate) const GENERAL: &str = "general";

/// A chat message as the page shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ChatMessage {
    /// The room.
    pub(crate) room: String,
    /// The sender's nickname.
    pub(crate) from: String,
    /// The text.
    pub(crate) text: String,
    /// Milliseconds since the epoch.
    pub(crate) at: u64,
}

/// What the server keeps per connected user (as the socket's data).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct User {
    /// The nickname shown to others.
    pub(crate) nickname: String,
}

/// State shared by every connection (the messages are the store's, `crate::store`).
#[derive(Clone, Default)]
pub(crate) struct Chat {
    nicknames: Arc<Mutex<HashMap<String, String>>>,
    /// Held while a member list is read and sent, so that lists reach each client in the order
    /// they were read: without it, of two renames at once, the list read first (missing the
    /// other rename) could be sent last and stay on the pages.
    announcing: Arc<Mutex<()>>,
}

impl Chat {
    /// Claims a nickname for a socket; `false` when another socket has it.
    pub(crate) fn claim(&self, socket: &str, nickname: &str) -> bool {
        let mut names = self.nicknames.lock().unwrap_or_else(|e| e.into_inner());
        let taken = names
            .iter()
            .any(|(id, name)| id != socket && name.eq_ignore_ascii_case(nickname));
        if !taken {
            names.insert(socket.to_owned(), nickname.to_owned());
        }
        !taken
    }

    /// Runs `announce` (read who is in a room, send it) alone among announcements.
    pub(crate) fn announce<R>(&self, announce: impl FnOnce() -> R) -> R {
        let _alone = self.announcing.lock().unwrap_or_else(|e| e.into_inner());
        announce()
    }

    /// Releases a socket's nickname.
    pub(crate) fn release(&self, socket: &str) {
        self.nicknames
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(socket);
    }
}

/// A nickname or room name, trimmed, 1 to 24 characters, or why not.
pub(crate) fn valid_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err("the name is empty".into()),
        1..=24 if !name.chars().any(char::is_control) => Ok(name.to_owned()),
        1..=24 => Err("the name has control characters".into()),
        _ => Err("the name is longer than 24 characters".into()),
    }
}

/// Milliseconds since the epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(valid_name("  alice "), Ok("alice".into()));
        assert!(valid_name("   ").is_err());
        assert!(valid_name(&"x".repeat(25)).is_err());
        assert!(valid_name("a\u{7}b").is_err());
    }

    #[test]
    fn nicknames_are_unique_ignoring_case() {
        let chat = Chat::default();
        assert!(chat.claim("s1", "Alice"));
        assert!(!chat.claim("s2", "alice"));
        assert!(chat.claim("s1", "alice"));
        chat.release("s1");
        assert!(chat.claim("s2", "alice"));
    }
}
