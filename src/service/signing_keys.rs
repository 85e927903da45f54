//! Signing keys in the database, shared by every instance: the first key (imported from
//! `keys/*.pem` once, so existing installs keep their kids, or generated), rotation — a *next*
//! key published `activation_delay` before it signs, by hand or on a schedule —, retiring keys
//! once no unexpired token can carry them, and reloading when another instance changed them.
//!
//! States, computed from the times: **next** (published, not signing yet), **active** (the last
//! key whose activation time has come), **retired** (superseded; published until every token
//! it signed has expired, then deleted).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::NaiveDateTime;

use super::{Principal, ServiceError, audit};
use crate::store::changes::{self, Change, ChangeListener, Freshness};
use crate::store::signing_keys::{self, StoredKey};
use crate::store::{self, DbConnection, Pool, StoreError};
use crate::token::{
    KeyEncryptionKey, KeyError, KeySet, ScheduledKey, SigningAlg, SigningKey, TokenIssuer,
    generate_pkcs8, read_key_files,
};

/// The change-log subject of any change to the signing keys.
pub const SUBJECT: &str = "signing-keys";

/// How long a revoked key's record is kept at least (the longest token lifetime allowed).
const REVOCATIONS_KEPT: chrono::TimeDelta = chrono::TimeDelta::days(31);

/// How long a superseded key stays published beyond the token lifetime (clock skew).
const RETIRE_MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Next,
    Active,
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }
}

/// A key as the servers see it.
pub struct KeyStatus {
    pub kid: String,
    pub alg: String,
    pub state: KeyState,
    pub created_at: NaiveDateTime,
    pub activates_at: NaiveDateTime,
    /// For a retired key: when it stops being published.
    pub retires_at: Option<NaiveDateTime>,
}

/// The stored keys with their states at `now` (the rows are in activation order).
fn statuses(rows: &[StoredKey], now: NaiveDateTime, token_ttl: Duration) -> Vec<KeyStatus> {
    let active = rows
        .iter()
        .rposition(|k| k.activates_at <= now)
        .unwrap_or(0);
    let ttl = chrono::TimeDelta::from_std(token_ttl).unwrap_or(chrono::TimeDelta::MAX);
    rows.iter()
        .enumerate()
        .map(|(i, k)| {
            let state = match i.cmp(&active) {
                std::cmp::Ordering::Less => KeyState::Retired,
                std::cmp::Ordering::Equal => KeyState::Active,
                std::cmp::Ordering::Greater => KeyState::Next,
            };
            let retires_at = (state == KeyState::Retired)
                .then(|| {
                    rows.get(i + 1)
                        .map(|n| n.activates_at + ttl + RETIRE_MARGIN)
                })
                .flatten();
            KeyStatus {
                kid: k.kid.clone(),
                alg: k.alg.clone(),
                state,
                created_at: k.created_at,
                activates_at: k.activates_at,
                retires_at,
            }
        })
        .collect()
}

fn seal(
    kek: &KeyEncryptionKey,
    der: &[u8],
    activates_at: NaiveDateTime,
) -> Result<StoredKey, KeyError> {
    let now = store::now();
    let key = SigningKey::from_pkcs8(der, now).ok_or(KeyError::Generation)?;
    Ok(StoredKey {
        sealed_private_key: kek.seal(&key.kid, der)?,
        kid: key.kid,
        alg: key.alg.as_str().to_owned(),
        created_at: now,
        activates_at,
    })
}

/// On an empty key table: imports the PEM files in `keys_dir` (each active from its file's
/// creation time, so the newest signs and kids are kept), or generates one key that signs at
/// once. One instance decides; the others find the keys.
pub fn ensure_initial(
    conn: &mut DbConnection,
    kek: &KeyEncryptionKey,
    keys_dir: &Path,
    alg: SigningAlg,
) -> Result<(), ServiceError> {
    store::write_transaction(conn, |conn| {
        store::lock_for_signing_keys(conn)?;
        if !signing_keys::list(conn)?.is_empty() {
            return Ok(());
        }
        let files = read_key_files(keys_dir)?;
        let revoked = signing_keys::revoked(conn)?;
        let mut imported = 0;
        for (der, created) in files {
            let key = seal(kek, &der, store::truncate_to_micros(created))?;
            if revoked.iter().any(|r| r.kid == key.kid) {
                log::warn!(
                    "not importing {} from {}: that key was revoked",
                    key.kid,
                    keys_dir.display()
                );
                continue;
            }
            log::info!(
                "imported the signing key {} from {}",
                key.kid,
                keys_dir.display()
            );
            signing_keys::insert(conn, &key)?;
            imported += 1;
        }
        if imported == 0 {
            let der = generate_pkcs8(alg).ok_or(KeyError::Generation)?;
            let key = seal(kek, &der, store::now())?;
            log::info!("generated the first signing key {} ({alg})", key.kid);
            signing_keys::insert(conn, &key)?;
        }
        changes::record_change(conn, SUBJECT)?;
        Ok(())
    })
}

/// The private keys this instance has opened, by kid: a key sealed again under a
/// key-encryption key this instance lacks (a rotation half rolled out) stays usable here.
pub type OpenedKeys = std::collections::HashMap<String, Vec<u8>>;

/// The published keys, opened with `kek` (every one must open: the start refuses otherwise),
/// and their private keys for the reloader.
pub fn load(
    conn: &mut DbConnection,
    kek: &KeyEncryptionKey,
) -> Result<(KeySet, OpenedKeys), ServiceError> {
    let mut opened = OpenedKeys::new();
    let (keys, unreadable) = load_readable(conn, kek, &mut opened)?;
    if let Some(e) = unreadable.into_iter().next() {
        return Err(e.into());
    }
    let keys = keys.ok_or(KeyError::Kek("the database holds no signing key".into()))?;
    Ok((keys, opened))
}

/// The published keys: those `kek` opens, else the same key opened before (`opened`, which is
/// brought up to date); `None` when there is none. Also the errors of keys neither opens. A
/// key gone from the table (revoked, retired) is never among them, and leaves `opened`.
fn load_readable(
    conn: &mut DbConnection,
    kek: &KeyEncryptionKey,
    opened: &mut OpenedKeys,
) -> Result<(Option<KeySet>, Vec<KeyError>), ServiceError> {
    let mut keys = Vec::new();
    let mut unreadable = Vec::new();
    let rows = signing_keys::list(conn)?;
    opened.retain(|kid, _| rows.iter().any(|r| r.kid == *kid));
    for row in rows {
        let der = match kek.open(&row.kid, &row.sealed_private_key) {
            Ok(der) => {
                opened.insert(row.kid.clone(), der.clone());
                der
            }
            Err(_) if opened.contains_key(&row.kid) => opened[&row.kid].clone(),
            Err(e) => {
                unreadable.push(e);
                continue;
            }
        };
        let key = SigningKey::from_pkcs8(&der, row.created_at).ok_or_else(|| {
            KeyError::Kek(format!(
                "the signing key {} in the database is unreadable",
                row.kid
            ))
        })?;
        keys.push(ScheduledKey {
            key,
            activates_at: row.activates_at,
        });
    }
    Ok((KeySet::new(keys), unreadable))
}

/// Records a key operation in the platform organization's audit log (when there is one).
pub(super) fn audit_key_event(
    conn: &mut DbConnection,
    actor: &Principal,
    action: &str,
    kid: &str,
    details: serde_json::Value,
) -> Result<(), ServiceError> {
    if let Some(platform) = store::organizations::platform(conn)? {
        audit::record(conn, &platform.id, actor, action, kid, None, details)?;
    }
    Ok(())
}

/// Key operations: platform admins (a person with a recent sign-in) and the operator.
pub(super) fn require_platform_admin(actor: &Principal) -> Result<(), ServiceError> {
    if !actor.is_platform_admin() {
        return Err(ServiceError::Forbidden(
            "signing keys are managed by platform:admin".into(),
        ));
    }
    actor.require_recent_sign_in()
}

/// Adds a next key of `alg`, published now and signing after `delay`.
pub fn rotate(
    conn: &mut DbConnection,
    kek: &KeyEncryptionKey,
    actor: &Principal,
    alg: SigningAlg,
    delay: Duration,
) -> Result<StoredKey, ServiceError> {
    require_platform_admin(actor)?;
    let key = new_key(kek, alg, delay)?;
    store::write_transaction(conn, |conn| {
        store::lock_for_signing_keys(conn)?;
        insert_sealed_with(conn, kek, &key)?;
        audit_key_event(
            conn,
            actor,
            audit::KEY_ROTATED,
            &key.kid,
            serde_json::json!({"alg": key.alg, "activates_at": key.activates_at.and_utc()}),
        )
    })?;
    Ok(key)
}

/// What pulling a key did.
pub struct Revoked {
    pub kid: String,
    /// The key generated to sign at once, when the revoked one was signing.
    pub replacement: Option<StoredKey>,
}

/// Pulls a key now (a compromise): it leaves the published keys, so every instance stops
/// verifying its tokens (introspection) and publishing it (JWKS) at the next change, and the
/// status bits of every token it signed are set. When it was signing, a new key of `alg`
/// signs at once; other keys are kept.
pub fn revoke(
    conn: &mut DbConnection,
    kek: &KeyEncryptionKey,
    actor: &Principal,
    kid: &str,
    alg: SigningAlg,
    token_ttl: Duration,
) -> Result<Revoked, ServiceError> {
    require_platform_admin(actor)?;
    let replacement = new_key(kek, alg, Duration::ZERO)?;
    store::write_transaction(conn, |conn| {
        store::lock_for_signing_keys(conn)?;
        let rows = signing_keys::list(conn)?;
        let Some(status) = statuses(&rows, store::now(), token_ttl)
            .into_iter()
            .find(|k| k.kid == kid)
        else {
            return Err(ServiceError::NotFound("signing key"));
        };
        let signing = status.state == KeyState::Active;
        // Never left without a key that signs: the active one is replaced at once.
        let replacement = if signing {
            insert_sealed_with(conn, kek, &replacement)?;
            Some(replacement.clone())
        } else {
            None
        };
        signing_keys::insert_revoked(
            conn,
            &signing_keys::RevokedKey {
                kid: kid.to_owned(),
                activated_at: status.activates_at,
                revoked_at: store::now(),
            },
        )?;
        signing_keys::delete(conn, kid)?;
        changes::record_change(conn, SUBJECT)?;
        audit_key_event(
            conn,
            actor,
            audit::KEY_REVOKED,
            kid,
            serde_json::json!({
                "state": status.state.as_str(),
                "replacement": replacement.as_ref().map(|k| k.kid.clone()),
            }),
        )?;
        Ok(Revoked {
            kid: kid.to_owned(),
            replacement,
        })
    })
}

pub(super) fn new_key(
    kek: &KeyEncryptionKey,
    alg: SigningAlg,
    delay: Duration,
) -> Result<StoredKey, ServiceError> {
    let der = generate_pkcs8(alg).ok_or(KeyError::Generation)?;
    let activates_at =
        store::now() + chrono::TimeDelta::from_std(delay).unwrap_or(chrono::TimeDelta::MAX);
    Ok(seal(kek, &der, activates_at)?)
}

/// Inserts `key` once `kek` is proven to open the keys already stored: a key sealed under
/// another key-encryption key would stop every instance at its next start.
fn insert_sealed_with(
    conn: &mut DbConnection,
    kek: &KeyEncryptionKey,
    key: &StoredKey,
) -> Result<(), ServiceError> {
    if let Some(existing) = signing_keys::list(conn)?.last() {
        kek.open(&existing.kid, &existing.sealed_private_key)?;
    }
    signing_keys::insert(conn, key)?;
    changes::record_change(conn, SUBJECT)?;
    Ok(())
}

/// The scheduled work: rotates when the active key is `interval` old and no next key waits
/// (decided and done under one lock, so instances never add two), and deletes retired keys
/// no unexpired token can carry. Returns whether anything changed.
pub fn maintain(
    conn: &mut DbConnection,
    kek: &KeyEncryptionKey,
    alg: SigningAlg,
    delay: Duration,
    interval: Option<Duration>,
    token_ttl: Duration,
) -> Result<bool, ServiceError> {
    let now = store::now();
    store::write_transaction(conn, |conn| {
        store::lock_for_signing_keys(conn)?;
        let rows = signing_keys::list(conn)?;
        let mut changed = false;
        for status in statuses(&rows, now, token_ttl) {
            if status.retires_at.is_some_and(|at| at <= now) {
                signing_keys::delete(conn, &status.kid)?;
                changed = true;
            }
        }
        // Kept past any token lifetime the server allows (30 days at most), whatever this
        // instance's own: a token another instance issued for longer keeps its bit.
        let ttl = chrono::TimeDelta::from_std(token_ttl)
            .unwrap_or(chrono::TimeDelta::MAX)
            .max(REVOCATIONS_KEPT);
        if signing_keys::prune_revoked(conn, now - ttl - RETIRE_MARGIN)? > 0 {
            changed = true;
        }
        if changed {
            changes::record_change(conn, SUBJECT)?;
        }
        let waiting = rows.iter().any(|k| k.activates_at > now);
        let newest = rows.last().map(|k| k.activates_at);
        let due = interval.is_some_and(|every| {
            let every = chrono::TimeDelta::from_std(every).unwrap_or(chrono::TimeDelta::MAX);
            !waiting && newest.is_some_and(|at| at + every <= now)
        });
        if due {
            let key = new_key(kek, alg, delay)?;
            insert_sealed_with(conn, kek, &key)?;
            audit_key_event(
                conn,
                &Principal::Operator("scheduler"),
                audit::KEY_ROTATED,
                &key.kid,
                serde_json::json!({
                    "alg": key.alg,
                    "activates_at": key.activates_at.and_utc(),
                    "scheduled": true,
                }),
            )?;
            log::info!(
                "scheduled rotation: signing key {} signs from {}",
                key.kid,
                key.activates_at
            );
        }
        Ok(changed || due)
    })
}

/// Every stored key with its state, as the servers see it now.
pub fn list(conn: &mut DbConnection, token_ttl: Duration) -> Result<Vec<KeyStatus>, ServiceError> {
    Ok(statuses(
        &signing_keys::list(conn)?,
        store::now(),
        token_ttl,
    ))
}

/// Reloads the issuer's keys when another instance changed them (or when changes may have been
/// missed). Runs on the change watcher's thread.
pub struct KeyReloader {
    pool: Pool,
    kek: Arc<KeyEncryptionKey>,
    issuer: Weak<TokenIssuer>,
    /// A reload failed: try again after the next successful poll.
    pending: AtomicBool,
    /// The last reload met keys this instance's key-encryption key cannot open (another
    /// instance sealed them under a key this one lacks): it is not ready.
    unreadable: AtomicBool,
    opened: parking_lot::Mutex<OpenedKeys>,
    /// Whether the watcher confirmed recently that no key change was missed.
    freshness: Freshness,
}

impl KeyReloader {
    pub fn new(
        pool: Pool,
        kek: Arc<KeyEncryptionKey>,
        issuer: Weak<TokenIssuer>,
        max_staleness: Duration,
        opened: OpenedKeys,
    ) -> Self {
        Self {
            opened: parking_lot::Mutex::new(opened),
            pool,
            kek,
            issuer,
            pending: AtomicBool::new(false),
            unreadable: AtomicBool::new(false),
            freshness: Freshness::new(max_staleness),
        }
    }

    /// Whether the keys in memory are known to be the latest (confirmed within the staleness
    /// bound, and no reload pending).
    pub fn is_current(&self) -> bool {
        self.freshness.is_fresh() && !self.pending.load(Ordering::SeqCst)
    }

    /// Whether the last reload found keys this instance cannot open (then `/readyz` fails).
    pub fn has_unreadable_keys(&self) -> bool {
        self.unreadable.load(Ordering::SeqCst)
    }

    fn reload(&self) {
        let Some(issuer) = self.issuer.upgrade() else {
            return;
        };
        let loaded = store::with_connection(&self.pool, |conn| {
            load_readable(conn, &self.kek, &mut self.opened.lock()).map_err(|e| match e {
                ServiceError::Store(e) => e,
                other => StoreError::Unavailable(other.to_string()),
            })
        });
        match loaded {
            Ok((keys, unreadable)) => {
                // The keys that open replace the set whatever else failed: a key revoked
                // elsewhere must leave this instance even if its replacement cannot be opened
                // here (a key-encryption key rotation half rolled out).
                if let Some(first) = unreadable.first() {
                    log::error!(
                        "{} signing key(s) cannot be opened here; not ready until they can: {first}",
                        unreadable.len()
                    );
                }
                self.unreadable
                    .store(!unreadable.is_empty(), Ordering::SeqCst);
                match keys {
                    Some(keys) => {
                        issuer.replace_keys(Arc::new(keys));
                        self.pending.store(!unreadable.is_empty(), Ordering::SeqCst);
                    }
                    // Not one key is usable here: every key this instance had is gone (the
                    // one it signed with revoked) and the new ones are sealed under a key it
                    // lacks. It must not go on signing with a revoked key: it stops.
                    None => {
                        log::error!(
                            "no signing key in the database can be opened with this \
                             instance's key-encryption key, and the keys it had were revoked: \
                             stopping (start it with the key-encryption key the others use)"
                        );
                        std::process::exit(1);
                    }
                }
            }
            Err(e) => {
                log::warn!("could not reload the signing keys (will retry): {e}");
                self.pending.store(true, Ordering::SeqCst);
            }
        }
    }
}

impl ChangeListener for KeyReloader {
    fn changed(&self, change: Change<'_>) {
        match change {
            Change::Client(SUBJECT) | Change::Unknown => self.reload(),
            Change::Confirmed(at) => {
                if self.pending.load(Ordering::SeqCst) {
                    self.reload();
                }
                self.freshness.confirm(at);
            }
            Change::Client(_) => {}
        }
    }
}
