//! The unexpired revocations, kept in memory so that introspection needs no database round
//! trip to know whether a token was revoked.
//!
//! Coherence follows the client records' rules (`client_auth::client_records`): a revocation
//! is added here at once on the instance that made it (after its transaction commits) and
//! within the change watcher's poll interval on every other instance (`store::changes`: the
//! revocation records a `token:<exp>:<jti>` change in its transaction). The set is loaded whole
//! on first use and again after the watcher lost track (`Change::Unknown`); a load that raced
//! with a loss of track is discarded, and revocations heard during a load are kept (the load
//! is merged in, never swapped over them). It fails closed: the set answers only while the
//! watcher confirmed recently that no change was missed; otherwise each question goes to the
//! database. So does each question for `OVERFLOW_BACKOFF` after the set grew past
//! `MAX_IN_MEMORY` (a client revoking its tokens as fast as it can), instead of loading a set
//! that large again and again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::RwLock;

use crate::store::changes::{Change, ChangeListener, Freshness};
use crate::store::revocations::{self, parse_change_subject};
use crate::store::{self, Pool, StoreError};

/// More kept revocations than this and questions go to the database (~100 bytes each).
const MAX_IN_MEMORY: usize = 200_000;
/// How long after an overflow the set is not loaded again.
const OVERFLOW_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Memory {
    /// Whether `expires_at` holds every unexpired revocation (else only those heard of).
    loaded: bool,
    /// jti → the token's `exp` (Unix seconds), to forget it once the token is expired anyway.
    expires_at: HashMap<String, i64>,
    /// After an overflow: no load before then.
    no_load_until: Option<Instant>,
}

pub struct RevokedTokens {
    memory: RwLock<Memory>,
    /// Bumped whenever the memory is emptied: a load that started before is discarded.
    epoch: AtomicU64,
    /// One load at a time.
    loading: tokio::sync::Mutex<()>,
    freshness: Freshness,
    pool: Pool,
}

impl RevokedTokens {
    pub fn new(pool: Pool, max_staleness: Duration) -> Self {
        Self {
            memory: RwLock::default(),
            epoch: AtomicU64::new(0),
            loading: tokio::sync::Mutex::new(()),
            freshness: Freshness::new(max_staleness),
            pool,
        }
    }

    pub async fn is_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        if self.freshness.is_fresh() {
            if let Some(answer) = self.remembered(jti) {
                return Ok(answer);
            }
            if self.may_load() {
                self.load().await?;
                if let Some(answer) = self.remembered(jti) {
                    return Ok(answer);
                }
            }
        }
        let jti = jti.to_owned();
        store::run(&self.pool, move |conn| {
            revocations::is_revoked(conn, &jti).map_err(StoreError::Query)
        })
        .await
    }

    fn remembered(&self, jti: &str) -> Option<bool> {
        let memory = self.memory.read();
        (memory.loaded && self.freshness.is_fresh()).then(|| memory.expires_at.contains_key(jti))
    }

    fn may_load(&self) -> bool {
        let memory = self.memory.read();
        memory.no_load_until.is_none_or(|t| Instant::now() >= t)
    }

    async fn load(&self) -> Result<(), StoreError> {
        let _loading = self.loading.lock().await;
        if self.memory.read().loaded {
            return Ok(());
        }
        let epoch = self.epoch.load(Ordering::SeqCst);
        let now = store::now();
        let limit = i64::try_from(MAX_IN_MEMORY).unwrap_or(i64::MAX) + 1;
        let rows = store::run(&self.pool, move |conn| {
            revocations::unexpired(conn, now, limit).map_err(StoreError::Query)
        })
        .await?;
        let mut memory = self.memory.write();
        if rows.len() > MAX_IN_MEMORY {
            memory.no_load_until = Some(Instant::now() + OVERFLOW_BACKOFF);
            return Ok(());
        }
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return Ok(());
        }
        for (jti, expires_at) in rows {
            memory
                .expires_at
                .insert(jti, expires_at.and_utc().timestamp());
        }
        memory.loaded = true;
        Ok(())
    }

    /// A revocation committed (here, or heard of from another instance).
    pub fn add(&self, jti: &str, expires_at: i64) {
        let mut memory = self.memory.write();
        if memory.expires_at.len() >= MAX_IN_MEMORY {
            memory.expires_at.clear();
            memory.loaded = false;
            memory.no_load_until = Some(Instant::now() + OVERFLOW_BACKOFF);
            self.epoch.fetch_add(1, Ordering::SeqCst);
        }
        memory.expires_at.insert(jti.to_owned(), expires_at);
    }

    /// Forgets revocations of tokens that expired before `before` (Unix seconds).
    pub fn prune(&self, before: i64) {
        self.memory
            .write()
            .expires_at
            .retain(|_, exp| *exp >= before);
    }

    fn forget_everything(&self) {
        let mut memory = self.memory.write();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let no_load_until = memory.no_load_until;
        *memory = Memory {
            no_load_until,
            ..Memory::default()
        };
    }
}

impl ChangeListener for RevokedTokens {
    fn changed(&self, change: Change<'_>) {
        match change {
            Change::Client(subject) => {
                if let Some((jti, expires_at)) = parse_change_subject(subject) {
                    self.add(jti, expires_at);
                }
            }
            Change::Unknown => self.forget_everything(),
            Change::Confirmed(at) => self.freshness.confirm(at),
        }
    }
}
