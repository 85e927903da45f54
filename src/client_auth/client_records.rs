//! Client records (hash, grace-period hash, org, roles) kept in memory so that the token
//! endpoint needs no database round trip for a known client.
//!
//! Coherence: every change to a client invalidates its entry — at once on the instance that
//! made it (`forget`, called after the write commits), and within the watcher's poll interval
//! on every other instance (`store::changes` delivers those as `Change` events). A load that raced with an invalidation is not
//! cached: each load notes the invalidation epoch first and is inserted only if no
//! invalidation happened meanwhile, so a stale row can never outlive the change that made it
//! stale. And while the watcher cannot hear changes (its connection is down, or not yet up),
//! nothing is cached or served from the cache: it fails safe, to a database read.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::RwLock;

use crate::store::changes::{Change, ChangeListener};
use crate::store::clients::ClientCredentials;

/// Past this many cached clients the cache starts over (the cost is one query per client).
const MAX_CACHED_CLIENTS: usize = 100_000;

#[derive(Default)]
pub struct ClientRecords {
    entries: RwLock<HashMap<String, Arc<ClientCredentials>>>,
    epoch: AtomicU64,
    /// Whether changes made elsewhere are being heard (set by the watcher).
    watched: AtomicBool,
}

/// Proof that a load started at a given epoch.
pub struct LoadTicket(u64);

impl ClientRecords {
    pub fn get(&self, client_id: &str) -> Option<Arc<ClientCredentials>> {
        if !self.watched.load(Ordering::SeqCst) {
            return None;
        }
        let entries = self.entries.read();
        entries.get(client_id).cloned()
    }

    /// Call before reading a client from the database.
    pub fn begin_load(&self) -> LoadTicket {
        LoadTicket(self.epoch.load(Ordering::SeqCst))
    }

    /// Caches a row read since `ticket`, unless something was invalidated in between.
    pub fn insert(&self, ticket: LoadTicket, creds: Arc<ClientCredentials>) {
        let mut entries = self.entries.write();
        if self.epoch.load(Ordering::SeqCst) != ticket.0 || !self.watched.load(Ordering::SeqCst) {
            return;
        }
        if entries.len() >= MAX_CACHED_CLIENTS {
            entries.clear();
        }
        entries.insert(creds.id.clone(), creds);
    }

    pub fn forget(&self, client_id: &str) {
        let mut entries = self.entries.write();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        entries.remove(client_id);
    }

    /// Called by the watcher: whether it hears changes now. Either way the cache starts over.
    pub fn set_watched(&self, watched: bool) {
        let mut entries = self.entries.write();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.watched.store(watched, Ordering::SeqCst);
        entries.clear();
    }

    pub fn clear(&self) {
        let mut entries = self.entries.write();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }
}

impl ChangeListener for ClientRecords {
    fn changed(&self, change: Change<'_>) {
        match change {
            Change::Client(id) => self.forget(id),
            Change::Unknown => self.clear(),
            Change::Watching(watched) => self.set_watched(watched),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(id: &str, hash: &str) -> Arc<ClientCredentials> {
        Arc::new(ClientCredentials {
            id: id.into(),
            org_id: "org".into(),
            secret_hash: hash.into(),
            previous_secret: None,
            roles: Default::default(),
            tokens_not_before: None,
        })
    }

    #[test]
    fn a_load_that_raced_with_an_invalidation_is_not_cached() {
        let cache = ClientRecords::default();
        cache.set_watched(true);
        let ticket = cache.begin_load();
        // The row changes (and is invalidated) while the old version is being read.
        cache.forget("c");
        cache.insert(ticket, creds("c", "old-hash"));
        assert!(cache.get("c").is_none());

        let ticket = cache.begin_load();
        cache.insert(ticket, creds("c", "new-hash"));
        assert_eq!(cache.get("c").unwrap().secret_hash, "new-hash");
        cache.clear();
        assert!(cache.get("c").is_none());
    }

    #[test]
    fn nothing_is_cached_while_changes_cannot_be_heard() {
        let cache = ClientRecords::default();
        cache.insert(cache.begin_load(), creds("c", "h"));
        assert!(cache.get("c").is_none(), "not watched yet");
        cache.set_watched(true);
        cache.insert(cache.begin_load(), creds("c", "h"));
        assert!(cache.get("c").is_some());
        cache.set_watched(false);
        assert!(
            cache.get("c").is_none(),
            "dropped when the watcher goes deaf"
        );
    }
}
