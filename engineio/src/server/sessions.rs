//! The table of live sessions, the slots that handshakes in flight hold, and the flag that
//! shuts new sessions out once the server closes.
//!
//! A handshake reserves its slot before it answers, in the same critical section that counts
//! the sessions and reads the closing flag: two handshakes can never both take the last
//! slot, a WebSocket handshake holds its slot while its upgrade completes (it is registered
//! only then), and a session can never be registered unseen by [`Sessions::close`]. The
//! per-address quota is counted in the same section, over the same slots.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::Notify;

use super::driver::Shared;
use super::error::RequestError;

/// The clients that share a per-address quota: one IPv4 address, or one IPv6 /64 (the
/// block a single host or subscriber is usually given, so that rotating through it does
/// not multiply the quota).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Client(IpAddr);

impl Client {
    pub(crate) fn of(address: IpAddr) -> Self {
        Self(match address {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
            },
            v4 => v4,
        })
    }
}

/// A registered session, and the client it counts against when a quota is on.
struct Entry {
    shared: Arc<Shared>,
    client: Option<Client>,
}

#[derive(Default)]
struct Table {
    live: HashMap<String, Entry>,
    /// Slots held by handshakes whose session is not registered yet.
    reserved: usize,
    /// Set once by [`Sessions::close`]; no slot is given after it.
    closing: bool,
    /// Sessions, registered or reserved, per client under a quota; a client with none has
    /// no entry, so the map holds no more entries than there are sessions.
    per_client: HashMap<Client, usize>,
}

impl Table {
    fn release(&mut self, client: Option<Client>) {
        let Some(client) = client else { return };
        if let Some(count) = self.per_client.get_mut(&client) {
            *count -= 1;
            if *count == 0 {
                self.per_client.remove(&client);
            }
        }
    }
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
        self.read()
            .live
            .get(sid)
            .map(|entry| Arc::clone(&entry.shared))
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
    /// sessions, counting the slots already reserved; with `quota`, also if that client
    /// holds fewer than its number of them.
    pub(crate) fn reserve(
        &self,
        max: usize,
        quota: Option<(usize, Client)>,
    ) -> Result<Slot, RequestError> {
        let mut table = self.write();
        if table.closing {
            return Err(RequestError::ShuttingDown);
        }
        if table.live.len() + table.reserved >= max {
            return Err(RequestError::TooManySessions);
        }
        if let Some((quota, client)) = quota {
            let count = table.per_client.entry(client).or_default();
            if *count >= quota {
                if *count == 0 {
                    table.per_client.remove(&client);
                }
                return Err(RequestError::TooManySessionsFromAddress);
            }
            *count += 1;
        }
        table.reserved += 1;
        Ok(Slot {
            sessions: self.clone(),
            client: quota.map(|(_, client)| client),
            held: true,
        })
    }

    pub(crate) fn remove(&self, sid: &str) {
        let empty = {
            let mut table = self.write();
            if let Some(entry) = table.live.remove(sid) {
                table.release(entry.client);
            }
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
        let live = table.live.values();
        live.map(|entry| Arc::clone(&entry.shared)).collect()
    }
}

/// A slot reserved for one new session; dropping it unfilled gives the slot back (an
/// upgrade that never completed).
pub(crate) struct Slot {
    sessions: Sessions,
    /// The client it counts against, under a quota.
    client: Option<Client>,
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
        let sid = shared.sid.clone();
        let client = self.client;
        table.live.insert(sid, Entry { shared, client });
        !table.closing
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if self.held {
            let mut table = self.sessions.write();
            table.reserved -= 1;
            table.release(self.client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_until_released_and_closing_refuses() {
        let sessions = Sessions::default();
        let a = sessions.reserve(2, None).expect("first slot");
        let b = sessions.reserve(2, None).expect("second slot");
        assert_eq!(
            sessions.reserve(2, None).err(),
            Some(RequestError::TooManySessions)
        );
        drop(a);
        let c = sessions
            .reserve(2, None)
            .expect("a released slot is free again");
        sessions.close();
        assert_eq!(
            sessions.reserve(9, None).err(),
            Some(RequestError::ShuttingDown)
        );
        drop((b, c));
        assert_eq!(sessions.read().reserved, 0);
        assert!(sessions.is_closing());
    }

    fn client(address: &str) -> Client {
        Client::of(address.parse().expect("an address"))
    }

    #[test]
    fn a_quota_counts_per_client_and_releases_unfilled_slots() {
        let sessions = Sessions::default();
        let (a, b) = (client("10.0.0.1"), client("10.0.0.2"));
        let first = sessions.reserve(9, Some((2, a))).expect("a's first");
        let second = sessions.reserve(9, Some((2, a))).expect("a's second");
        assert_eq!(
            sessions.reserve(9, Some((2, a))).err(),
            Some(RequestError::TooManySessionsFromAddress)
        );
        let other = sessions
            .reserve(9, Some((2, b)))
            .expect("b is not held back by a");
        drop(first);
        let again = sessions
            .reserve(9, Some((2, a)))
            .expect("a released slot counts no more");
        drop((second, other, again));
        let table = sessions.read();
        assert!(table.per_client.is_empty(), "{:?}", table.per_client);
        assert_eq!(table.reserved, 0);
    }

    #[test]
    fn a_zero_quota_refuses_and_keeps_no_entry() {
        let sessions = Sessions::default();
        let refused = sessions.reserve(9, Some((0, client("10.0.0.1"))));
        assert_eq!(
            refused.err(),
            Some(RequestError::TooManySessionsFromAddress)
        );
        assert!(sessions.read().per_client.is_empty());
    }

    #[test]
    fn clients_are_ipv4_addresses_and_ipv6_slash_64s() {
        assert_eq!(client("::ffff:10.0.0.1"), client("10.0.0.1"));
        assert_eq!(client("2001:db8:1:2::1"), client("2001:db8:1:2:ffff::9"));
        assert_ne!(client("2001:db8:1:2::1"), client("2001:db8:1:3::1"));
        assert_ne!(client("10.0.0.1"), client("10.0.0.2"));
    }
}
