//! The table of live sessions, the slots that handshakes in flight hold, and the flag that
//! shuts new sessions out once the server closes.
//!
//! A handshake reserves its slot before it answers, in the same critical section that counts
//! the sessions and reads the closing flag: two handshakes can never both take the last
//! slot, a WebSocket handshake holds its slot while its upgrade completes (it is registered
//! only then), and a session can never be registered unseen by [`Sessions::close`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::Notify;

use super::driver::Shared;
use super::error::RequestError;

#[derive(Default)]
struct Table {
    live: HashMap<String, Arc<Shared>>,
    /// Slots held by handshakes whose session is not registered yet.
    reserved: usize,
    /// Set once by [`Sessions::close`]; no slot is given after it.
    closing: bool,
}

/// The live sessions of a server, by id. Cloning shares the table.
#[derive(Clone, Default)]
pub(crate) struct Sessions(Arc<Registry>);

#[derive(Default)]
struct Registry {
    table: RwLock<Table>,
    /// Told each time the last live session goes, so that a close can wait for that.
    emptied: Notify,
}

impl Sessions {
    fn read(&self) -> RwLockReadGuard<'_, Table> {
        self.0.table.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Table> {
        self.0.table.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until no session is live.
    pub(crate) async fn emptied(&self) {
        loop {
            // Registered before the check, so that a removal between the two still wakes it.
            let notified = self.0.emptied.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if self.len() == 0 {
                return;
            }
            notified.await;
        }
    }

    pub(crate) fn get(&self, sid: &str) -> Option<Arc<Shared>> {
        self.read().live.get(sid).cloned()
    }

    /// Number of registered sessions.
    pub(crate) fn len(&self) -> usize {
        self.read().live.len()
    }

    /// Whether [`Sessions::close`] was called.
    pub(crate) fn is_closing(&self) -> bool {
        self.read().closing
    }

    /// Takes a slot for a new session if the server is open and holds fewer than `max`
    /// sessions, counting the slots already reserved.
    pub(crate) fn reserve(&self, max: usize) -> Result<Slot, RequestError> {
        let mut table = self.write();
        if table.closing {
            return Err(RequestError::ShuttingDown);
        }
        if table.live.len() + table.reserved >= max {
            return Err(RequestError::TooManySessions);
        }
        table.reserved += 1;
        Ok(Slot {
            sessions: self.clone(),
            held: true,
        })
    }

    pub(crate) fn remove(&self, sid: &str) {
        let empty = {
            let mut table = self.write();
            table.live.remove(sid);
            table.live.is_empty()
        };
        if empty {
            self.0.emptied.notify_waiters();
        }
    }

    /// Refuses every later handshake and returns the sessions to close.
    pub(crate) fn close(&self) -> Vec<Arc<Shared>> {
        let mut table = self.write();
        table.closing = true;
        table.live.values().cloned().collect()
    }
}

/// A slot reserved for one new session; dropping it unfilled gives the slot back (an
/// upgrade that never completed).
pub(crate) struct Slot {
    sessions: Sessions,
    held: bool,
}

impl Slot {
    /// Registers the session in this slot. Returns `false` when the server started closing
    /// after the slot was reserved: the caller must close the session, which
    /// [`Sessions::close`] did not see.
    pub(crate) fn fill(mut self, shared: Arc<Shared>) -> bool {
        let mut table = self.sessions.write();
        table.reserved -= 1;
        self.held = false;
        table.live.insert(shared.sid.clone(), shared);
        !table.closing
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if self.held {
            self.sessions.write().reserved -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_until_released_and_closing_refuses() {
        let sessions = Sessions::default();
        let a = sessions.reserve(2).expect("first slot");
        let b = sessions.reserve(2).expect("second slot");
        assert_eq!(
            sessions.reserve(2).err(),
            Some(RequestError::TooManySessions)
        );
        drop(a);
        let c = sessions.reserve(2).expect("a released slot is free again");
        sessions.close();
        assert_eq!(sessions.reserve(9).err(), Some(RequestError::ShuttingDown));
        drop((b, c));
        assert_eq!(sessions.read().reserved, 0);
        assert!(sessions.is_closing());
    }
}
