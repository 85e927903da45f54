//! Client records (hash, grace-period hash, org, roles) kept in memory so that the token
//! endpoint needs no database round trip for a known client.
//!
//! Coherence: every change to a client invalidates its entry — at once on the instance that
//! made it (`forget`, called after the write commits), and within the watcher's poll interval
//! on every other instance (`store::changes` delivers those as `Change` events). A load that raced with an invalidation is not
//! cached: each load notes the invalidation epoch first and is inserted only if no
//! invalidation happened meanwhile, so a stale row can never outlive the change that made it
//! stale. And it fails closed: entries are served (and cached) only while the watcher has
//! confirmed, within `max_staleness`, that every change committed before then has been
//! applied; otherwise every request reads the database (which answers, or fails with 503).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::RwLock;

use crate::store::changes::{Change, ChangeListener, Freshness};
use crate::store::clients::ClientCredentials;
use crate::store::revocations::CHANGE_PREFIX;

/// Past this many cached clients the cache starts over (the cost is one query per client).
const MAX_CACHED_CLIENTS: usize = 100_000;

pub struct ClientRecords {
    entries: RwLock<HashMap<String, Arc<ClientCredentials>>>,
    epoch: AtomicU64,
    /// Whether the watcher confirmed recently that no change made elsewhere was missed.
    freshness: Freshness,
}

/// Proof that a load started at a given epoch.
pub struct LoadTicket(u64);

impl ClientRecords {
    pub fn new(max_staleness: Duration) -> Self {
        Self {
            entries: RwLock::default(),
            epoch: AtomicU64::new(0),
            freshness: Freshness::new(max_staleness),
        }
    }

    fn fresh(&self) -> bool {
        self.freshness.is_fresh()
    }

    pub fn get(&self, client_id: &str) -> Option<Arc<ClientCredentials>> {
        if !self.fresh() {
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
        if self.epoch.load(Ordering::SeqCst) != ticket.0 || !self.fresh() {
            return;
        }
        if entries.len() >= MAX_CACHED_CLIENTS {
            entries.clear();
        }
        entries.insert(creds.id.clone(), creds);
    }

    /// Caches many rows read since `ticket` (see `insert`); false if none could be.
    pub fn insert_many(&self, ticket: LoadTicket, many: Vec<ClientCredentials>) -> bool {
        let mut entries = self.entries.write();
        if self.epoch.load(Ordering::SeqCst) != ticket.0 || !self.fresh() {
            return false;
        }
        for creds in many
            .into_iter()
            .take(MAX_CACHED_CLIENTS - entries.len().min(MAX_CACHED_CLIENTS))
        {
            entries.insert(creds.id.clone(), Arc::new(creds));
        }
        true
    }

    pub fn is_fresh(&self) -> bool {
        self.fresh()
    }

    /// How long ago the change watcher last confirmed nothing was missed.
    pub fn confirmation_age(&self) -> Option<Duration> {
        self.freshness.age()
    }

    pub fn forget(&self, client_id: &str) {
        let mut entries = self.entries.write();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        entries.remove(client_id);
    }

    /// Called by the watcher: every change committed before `at` has been applied.
    pub fn confirm(&self, at: Instant) {
        self.freshness.confirm(at);
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
            // A revocation (`revoked_tokens`): nothing about any client record.
            Change::Client(subject) if subject.starts_with(CHANGE_PREFIX) => {}
            Change::Client(id) => self.forget(id),
            Change::Unknown => self.clear(),
            Change::Confirmed(at) => self.confirm(at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SecretHash;
    use crate::store::clients::Credential;
    use chrono::NaiveDateTime;

    fn creds(id: &str, hash: &str) -> Arc<ClientCredentials> {
        Arc::new(ClientCredentials {
            id: id.into(),
            org_id: "org".into(),
            credential: Credential::Secret {
                hash: SecretHash::from_stored(hash.into()),
                previous: None,
                expires_at: None,
            },
            roles: Default::default(),
            tokens_not_before: None,
            disabled: false,
            token_ttl_seconds: None,
        })
    }

    fn confirmed(staleness: Duration) -> ClientRecords {
        let cache = ClientRecords::new(staleness);
        cache.confirm(Instant::now());
        cache
    }

    #[test]
    fn a_load_that_raced_with_an_invalidation_is_not_cached() {
        let cache = confirmed(Duration::from_secs(60));
        let ticket = cache.begin_load();
        // The row changes (and is invalidated) while the old version is being read.
        cache.forget("c");
        cache.insert(ticket, creds("c", "old-hash"));
        assert!(cache.get("c").is_none());

        let ticket = cache.begin_load();
        cache.insert(ticket, creds("c", "new-hash"));
        assert!(
            cache
                .get("c")
                .unwrap()
                .accepts_hash("new-hash", NaiveDateTime::default())
        );
        cache.clear();
        assert!(cache.get("c").is_none());
    }

    #[test]
    fn nothing_is_served_from_memory_without_a_recent_confirmation() {
        let cache = ClientRecords::new(Duration::from_millis(50));
        cache.insert(cache.begin_load(), creds("c", "h"));
        assert!(cache.get("c").is_none(), "never confirmed");
        cache.confirm(Instant::now());
        cache.insert(cache.begin_load(), creds("c", "h"));
        assert!(cache.get("c").is_some());
        std::thread::sleep(Duration::from_millis(80));
        assert!(
            cache.get("c").is_none(),
            "the confirmation is older than the staleness bound: fail closed"
        );
        cache.confirm(Instant::now());
        assert!(cache.get("c").is_some(), "confirmed again");
    }
}
