//! Token Status Lists (SPEC §11, `draft-ietf-oauth-status-list`): the index every access token
//! carries, and the signed lists this instance serves from memory.
//!
//! **Indices.** An instance leases a range of indices from a list's counter in the database
//! (one write per range: no index is ever given to two tokens, on any number of instances and
//! across restarts) and hands them out in memory on the token path. A range is used for at
//! most 5 s; its size follows demand (64 to 65,536). Which client, roles and `iat` the tokens
//! of a range carry is kept as runs of consecutive indices, written in batches every 200 ms
//! (a write per batch, not per token).
//!
//! **Bits.** Every instance computes the same bits from the database: a token's bit is 1 when
//! its client is gone or disabled, it was issued at or before the client's tokens were
//! revoked, it claims a role the client no longer holds, or it was revoked by itself (RFC
//! 7009). An index of a range whose runs should have been written (its 5 s of use and 2 s of
//! grace are over) but were not (its instance died first) is 1: fail closed.
//!
//! **Freshness.** Bits are rebuilt when the change watcher reports a change (clients,
//! revocations, new lists), and every 2 s for other instances' new runs (new tokens are valid
//! at birth, so these need no hurry). A list is served only while this instance is known to be
//! current, within 1 s (otherwise `503`, `no-store`): never a stale "valid".
//!
//! **Limits.** A rebuild reads every run of the lists still served: its cost grows with the
//! number of runs (about one per client, roles and second with tokens), which is fine for
//! thousands of clients and needs incremental rebuilds beyond that (see the README).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;
use parking_lot::{Mutex, RwLock};

mod bits;

use crate::domain::random_base62;
use crate::store::changes::{Change, ChangeListener};
use crate::store::status_lists::{self as stored, Range, Run};
use crate::store::{self, Pool, StoreError};
use crate::token::KeySet;
use bits::{compress, compute};

/// Indices per list (1 Mi bits: 128 KiB before compression).
pub const CAPACITY: i64 = 1 << 20;
const RANGE_USE_FOR: Duration = Duration::from_secs(5);
const FLUSH_GRACE: TimeDelta = TimeDelta::seconds(2);
const MIN_RANGE: i64 = 64;
const MAX_RANGE: i64 = 65_536;
/// How long this instance's own runs are kept in memory after they were written.
const OWN_RUNS_KEPT: Duration = Duration::from_secs(10);
/// The most a served list may lag behind the database.
const MAX_STALENESS: Duration = Duration::from_secs(1);
/// A served list's JWT is signed again after this long (its `exp` is 60 s after `iat`).
const RESIGN_AFTER: i64 = 30;
const JWT_LIFETIME: i64 = 60;
/// How long after a rebuild for a change the next one reads other instances' latest runs:
/// their batches of every 200 ms, written.
const FOLLOW_UP_AFTER: Duration = Duration::from_millis(400);
/// Other instances' runs are read at least this often.
const REBUILD_EVERY: Duration = Duration::from_secs(2);
/// Runs waiting to be written beyond which no token is issued (`503`): the database is not
/// taking them.
const MAX_PENDING_RUNS: usize = 200_000;

/// One list as served: its JWT and entity tag.
pub struct Served {
    pub jwt: Arc<str>,
    pub etag: String,
    /// The compressed bits, to sign again without recomputing.
    lst: String,
    signed_at: i64,
    /// The key that signed it: a list is signed again when another key signs (a revoked key
    /// must not keep vouching for lists).
    kid: String,
}

#[derive(Default)]
struct Built {
    lists: HashMap<String, Arc<Served>>,
}

struct Current {
    range: Range,
    next: i64,
    leased: Instant,
    uri: Arc<str>,
}

#[derive(Default)]
struct Allocator {
    current: Option<Current>,
    /// Runs not written yet.
    pending: Vec<Run>,
    /// Runs being written now.
    in_flight: Vec<Run>,
    /// Runs written, kept a while for rebuilds that read before the write was visible.
    written: Vec<(Instant, Run)>,
    /// How many indices the last range gave out (sizes the next one).
    last_used: i64,
}

pub struct StatusLists {
    pool: Pool,
    issuer: String,
    ttl: Duration,
    token_ttl: Duration,
    allocator: Mutex<Allocator>,
    leasing: tokio::sync::Mutex<()>,
    built: RwLock<Arc<Built>>,
    dirty: AtomicBool,
    last_confirmed: Mutex<Option<Instant>>,
    as_of: Mutex<Option<Instant>>,
    rebuilt: tokio::sync::Notify,
    last_rebuild: Mutex<Option<Instant>>,
    /// A rebuild after a change is followed by another one then: other instances' runs of
    /// tokens issued just before the change are written by then.
    follow_up: Mutex<Option<Instant>>,
}

impl StatusLists {
    pub fn new(pool: Pool, issuer: String, ttl: Duration, token_ttl: Duration) -> Self {
        Self {
            pool,
            issuer,
            ttl,
            token_ttl,
            allocator: Mutex::default(),
            leasing: tokio::sync::Mutex::new(()),
            built: RwLock::default(),
            dirty: AtomicBool::new(true),
            last_confirmed: Mutex::new(None),
            as_of: Mutex::new(None),
            rebuilt: tokio::sync::Notify::new(),
            last_rebuild: Mutex::new(None),
            follow_up: Mutex::new(None),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn uri(&self, list_id: &str) -> String {
        format!("{}/statuslists/{list_id}", self.issuer)
    }

    pub fn aggregation_uri(&self) -> String {
        format!("{}/statuslists", self.issuer)
    }

    /// The list id a token's `uri` names, if it is one of this server's.
    pub fn list_of(&self, uri: &str) -> Option<String> {
        uri.strip_prefix(&self.issuer)?
            .strip_prefix("/statuslists/")
            .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
            .map(str::to_owned)
    }

    /// Whether the runs of issued tokens are not being written (no token should be issued).
    pub fn overloaded(&self) -> bool {
        self.allocator.lock().pending.len() >= MAX_PENDING_RUNS
    }

    /// An index for a token of `client_id` with `roles` issued at `iat` and signed by `kid`,
    /// from the range in hand; `None` when a range must be leased first (`lease`).
    pub fn allocate(
        &self,
        client_id: &str,
        roles: &[String],
        iat: i64,
        kid: &str,
    ) -> Option<(Arc<str>, i64)> {
        let mut a = self.allocator.lock();
        let a = &mut *a;
        let current = a.current.as_mut()?;
        if current.next >= current.range.start_idx + current.range.size
            || current.leased.elapsed() >= RANGE_USE_FOR
        {
            return None;
        }
        let idx = current.next;
        current.next += 1;
        let same_roles = |run: &Run| {
            if roles.is_empty() {
                run.roles.is_empty()
            } else {
                run.roles.split(' ').eq(roles.iter().map(String::as_str))
            }
        };
        match a.pending.last_mut() {
            Some(run)
                if run.list_id == current.range.list_id
                    && run.start_idx + run.count == idx
                    && run.iat == iat
                    && run.kid.as_deref() == Some(kid)
                    && run.client_id == client_id
                    && same_roles(run) =>
            {
                run.count += 1;
            }
            _ => a.pending.push(Run {
                list_id: current.range.list_id.clone(),
                start_idx: idx,
                count: 1,
                client_id: client_id.to_owned(),
                roles: roles.join(" "),
                iat,
                kid: Some(kid.to_owned()),
            }),
        }
        Some((current.uri.clone(), idx))
    }

    /// Leases a new range (one at a time; a caller that waited finds the range already there).
    pub async fn lease(&self) -> Result<(), StoreError> {
        let _one = self.leasing.lock().await;
        let size = {
            let a = self.allocator.lock();
            if let Some(c) = &a.current
                && c.next < c.range.start_idx + c.range.size
                && c.leased.elapsed() < RANGE_USE_FOR
            {
                return Ok(());
            }
            let used = a
                .current
                .as_ref()
                .map_or(a.last_used, |c| c.next - c.range.start_idx);
            (used * 2).clamp(MIN_RANGE, MAX_RANGE)
        };
        let now = store::now();
        let serve_until = now
            + TimeDelta::from_std(self.token_ttl + RANGE_USE_FOR).unwrap_or(TimeDelta::MAX)
            + TimeDelta::minutes(2);
        let id = random_base62(16);
        // Its 5 s of use count from before the database was asked: never used past the time
        // other instances count from.
        let leased = Instant::now();
        let range = store::run(&self.pool, move |conn| {
            stored::lease(conn, size, CAPACITY, &id, now, serve_until).map_err(StoreError::Query)
        })
        .await?;
        let mut a = self.allocator.lock();
        a.last_used = a.current.as_ref().map_or(0, |c| c.next - c.range.start_idx);
        a.current = Some(Current {
            uri: self.uri(&range.list_id).into(),
            next: range.start_idx,
            leased,
            range,
        });
        Ok(())
    }

    /// Writes the runs of tokens issued since the last call (a job, every 200 ms).
    pub async fn flush(&self) -> Result<(), StoreError> {
        let runs = {
            let mut a = self.allocator.lock();
            let runs = std::mem::take(&mut a.pending);
            a.in_flight = runs.clone();
            runs
        };
        if runs.is_empty() {
            return Ok(());
        }
        let written = runs.clone();
        let stored = store::run(&self.pool, move |conn| {
            stored::insert_runs(conn, &written).map_err(StoreError::Query)
        })
        .await;
        let mut a = self.allocator.lock();
        a.in_flight.clear();
        match stored {
            Ok(()) => {
                let now = Instant::now();
                a.written.retain(|(at, _)| at.elapsed() < OWN_RUNS_KEPT);
                a.written.extend(runs.into_iter().map(|r| (now, r)));
                Ok(())
            }
            Err(e) => {
                // Kept for the next flush, before what was issued since.
                let mut again = runs;
                again.append(&mut a.pending);
                a.pending = again;
                Err(e)
            }
        }
    }

    /// Whether the bits need computing again (or signing again: `signing_kid` is the key that
    /// signs now).
    pub fn needs_rebuild(&self, signing_kid: &str) -> bool {
        self.dirty.load(Ordering::SeqCst)
            || self.follow_up.lock().is_some_and(|at| at <= Instant::now())
            || self
                .last_rebuild
                .lock()
                .is_none_or(|at| at.elapsed() >= REBUILD_EVERY)
            || self.built.read().lists.values().any(|s| {
                chrono::Utc::now().timestamp() - s.signed_at >= RESIGN_AFTER || s.kid != signing_kid
            })
    }

    /// Computes every served list's bits from the database (and this instance's runs not yet
    /// read back), and signs them with the active key.
    pub async fn rebuild(&self, keys: Arc<KeySet>) -> Result<(), StoreError> {
        let confirmed = *self.last_confirmed.lock();
        let after_change = self.dirty.swap(false, Ordering::SeqCst);
        *self.last_rebuild.lock() = Some(Instant::now());
        {
            let mut follow_up = self.follow_up.lock();
            *follow_up = if after_change {
                Some(Instant::now() + FOLLOW_UP_AFTER)
            } else {
                None
            };
        }
        let now = store::now();
        let own: Vec<Run> = {
            let a = self.allocator.lock();
            a.pending
                .iter()
                .chain(&a.in_flight)
                .cloned()
                .chain(a.written.iter().map(|(_, r)| r.clone()))
                .collect()
        };
        let mut own_clients: Vec<String> = own.iter().map(|r| r.client_id.clone()).collect();
        own_clients.sort_unstable();
        own_clients.dedup();
        let snapshot = match store::run(&self.pool, move |conn| {
            stored::snapshot(conn, now, &own_clients).map_err(StoreError::Query)
        })
        .await
        {
            Ok(snapshot) => snapshot,
            Err(e) => {
                self.dirty.store(true, Ordering::SeqCst);
                return Err(e);
            }
        };
        let previous = self.built.read().clone();
        let signed_now = chrono::Utc::now().timestamp();
        let mut lists = HashMap::new();
        for (id, bits) in compute(&snapshot, &own, now) {
            let lst = compress(&bits);
            let kept = previous.lists.get(&id).filter(|s| {
                s.lst == lst
                    && signed_now - s.signed_at < RESIGN_AFTER
                    && s.kid == keys.active().kid
            });
            let served = match kept {
                Some(served) => served.clone(),
                None => Arc::new(self.sign(&keys, &id, lst, signed_now)),
            };
            lists.insert(id, served);
        }
        *self.built.write() = Arc::new(Built { lists });
        if let Some(confirmed) = confirmed {
            let mut as_of = self.as_of.lock();
            if as_of.is_none_or(|t| t < confirmed) {
                *as_of = Some(confirmed);
            }
        }
        self.rebuilt.notify_waiters();
        Ok(())
    }

    fn sign(&self, keys: &KeySet, id: &str, lst: String, now: i64) -> Served {
        let key = keys.active();
        let header =
            serde_json::json!({"alg": key.alg.as_str(), "kid": key.kid, "typ": "statuslist+jwt"});
        let claims = serde_json::json!({
            "sub": self.uri(id),
            "iat": now,
            "exp": now + JWT_LIFETIME,
            "ttl": self.ttl.as_secs(),
            "status_list": {"bits": 1, "lst": lst},
        });
        let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(claims.to_string(), &mut jwt);
        let signature = key.sign(jwt.as_bytes());
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut jwt);
        let etag = format!("\"{}\"", &crate::domain::hash_text(&jwt)[..22]);
        Served {
            jwt: jwt.into(),
            etag,
            lst,
            signed_at: now,
            kid: key.kid.clone(),
        }
    }

    /// Whether the lists in memory are known to reflect every change committed more than 1 s
    /// ago (the watcher confirmed it, and any change it reported since was rebuilt).
    pub fn current(&self) -> bool {
        self.as_of
            .lock()
            .is_some_and(|t| t.elapsed() < MAX_STALENESS)
    }

    /// A list as served now, if this instance has it.
    pub fn served(&self, id: &str) -> Option<Arc<Served>> {
        self.built.read().lists.get(id).cloned()
    }

    /// The lists served now, by uri.
    pub fn uris(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.built.read().lists.keys().cloned().collect();
        ids.sort();
        ids.into_iter().map(|id| self.uri(&id)).collect()
    }

    /// Waits (at most `wait`) for the next rebuild after asking for one.
    pub async fn refresh(&self, wait: Duration) {
        let rebuilt = self.rebuilt.notified();
        self.dirty.store(true, Ordering::SeqCst);
        let _ = tokio::time::timeout(wait, rebuilt).await;
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

impl ChangeListener for StatusLists {
    fn changed(&self, change: Change<'_>) {
        match change {
            Change::Client(_) => self.dirty.store(true, Ordering::SeqCst),
            // Records may have been missed, or the database failed over and lost its last
            // commits (leases among them): the range in hand is dropped, a new one is leased.
            Change::Unknown => {
                self.dirty.store(true, Ordering::SeqCst);
                self.allocator.lock().current = None;
            }
            Change::Confirmed(at) => {
                *self.last_confirmed.lock() = Some(at);
                if !self.dirty.load(Ordering::SeqCst) {
                    let mut as_of = self.as_of.lock();
                    if as_of.is_none_or(|t| t < at) {
                        *as_of = Some(at);
                    }
                }
            }
        }
    }
}
