//! What is sealed under the key-encryption key — the signing keys' private parts and the
//! single sign-on client secrets — sealed again under the first configured key (rotation), or,
//! when the key that sealed them is lost, forgotten so the server can start again.

use std::time::Duration;

use super::signing_keys::{self as keys, SUBJECT, audit_key_event, require_platform_admin};
use super::{Principal, ServiceError, audit};
use crate::store::changes;
use crate::store::signing_keys::{self, RevokedKey};
use crate::store::{self, DbConnection, sso};
use crate::token::{KeyEncryptionKey, SigningAlg};

/// How many secrets a re-wrap sealed again, and how many of them were sealed under another
/// key than the first before.
#[derive(Debug, Default, serde::Serialize)]
pub struct Rewrapped {
    pub signing_keys: usize,
    pub sso_client_secrets: usize,
    /// Of those, sealed under a key other than the first until now.
    pub under_older_keys: usize,
}

/// Seals every stored secret again under the first key-encryption key, in one transaction:
/// all or nothing (a secret no configured key opens stops it, naming the secret). Afterwards
/// the other keys can be removed from the configuration.
pub fn rewrap(
    conn: &mut DbConnection,
    kek: &KeyEncryptionKey,
    actor: &Principal,
) -> Result<Rewrapped, ServiceError> {
    require_platform_admin(actor)?;
    store::write_transaction(conn, |conn| {
        store::lock_for_signing_keys(conn)?;
        let mut done = Rewrapped::default();
        for key in signing_keys::list(conn)? {
            let (der, index) = kek.open_with_index(&key.kid, &key.sealed_private_key)?;
            signing_keys::update_sealed(conn, &key.kid, &kek.seal(&key.kid, &der)?)?;
            done.signing_keys += 1;
            done.under_older_keys += usize::from(index > 0);
        }
        for (org_id, sealed) in sso::sealed_secrets(conn)? {
            if sealed.is_empty() {
                continue; // forgotten with a lost key: entered again by the organization
            }
            let aad = super::sso::connections::aad(&org_id);
            let (secret, index) = kek.open_with_index(&aad, &sealed)?;
            sso::set_sealed_secret(conn, &org_id, &kek.seal(&aad, &secret)?)?;
            done.sso_client_secrets += 1;
            done.under_older_keys += usize::from(index > 0);
        }
        audit_key_event(
            conn,
            actor,
            audit::KEYS_REWRAPPED,
            "key-encryption-key",
            serde_json::to_value(&done).unwrap_or_default(),
        )?;
        Ok(done)
    })
}

/// What forgetting the secrets of a lost key-encryption key removed.
#[derive(Debug, Default, serde::Serialize)]
pub struct Forgotten {
    /// Signing keys no configured key opens: revoked (their tokens are inactive).
    pub signing_keys: Vec<String>,
    /// The key that signs from now on, when none was left.
    pub replacement: Option<String>,
    /// Organizations whose single sign-on client secret must be entered again.
    pub sso_client_secrets: Vec<String>,
}

/// What `forget_unopenable` would forget, read only (its dry run), and how many signing keys
/// do open (when some do, the configured keys may be wrong rather than lost: check first).
pub fn unopenable(
    conn: &mut DbConnection,
    kek: &KeyEncryptionKey,
) -> Result<(Forgotten, usize), ServiceError> {
    let mut found = Forgotten::default();
    let mut opening = 0;
    for key in signing_keys::list(conn)? {
        match kek.open(&key.kid, &key.sealed_private_key) {
            Ok(_) => opening += 1,
            Err(_) => found.signing_keys.push(key.kid),
        }
    }
    for (org_id, sealed) in sso::sealed_secrets(conn)? {
        let aad = super::sso::connections::aad(&org_id);
        if !sealed.is_empty() && kek.open(&aad, &sealed).is_err() {
            found.sso_client_secrets.push(org_id);
        }
    }
    Ok((found, opening))
}

/// After the key-encryption key is lost: every secret no configured key opens is forgotten, in
/// one transaction. Signing keys are revoked (their outstanding tokens become inactive and
/// their status bits set; applications simply get new tokens) and a new key signs when none
/// is left; a single sign-on connection keeps everything but its client secret, which its
/// organization enters again (until then its sign-ins fail, and `require_sso` still holds).
/// Clients, their secrets (argon2 hashes, not sealed), people, passkeys, roles and the audit
/// log are untouched.
pub fn forget_unopenable(
    conn: &mut DbConnection,
    kek: &KeyEncryptionKey,
    actor: &Principal,
    alg: SigningAlg,
) -> Result<Forgotten, ServiceError> {
    require_platform_admin(actor)?;
    let fresh = keys::new_key(kek, alg, Duration::ZERO)?;
    store::write_transaction(conn, |conn| {
        store::lock_for_signing_keys(conn)?;
        let mut forgotten = Forgotten::default();
        let now = store::now();
        let rows = signing_keys::list(conn)?;
        for key in &rows {
            if kek.open(&key.kid, &key.sealed_private_key).is_ok() {
                continue;
            }
            signing_keys::insert_revoked(
                conn,
                &RevokedKey {
                    kid: key.kid.clone(),
                    activated_at: key.activates_at,
                    revoked_at: now,
                },
            )?;
            signing_keys::delete(conn, &key.kid)?;
            forgotten.signing_keys.push(key.kid.clone());
        }
        let left = signing_keys::list(conn)?;
        if !left.iter().any(|k| k.activates_at <= now) {
            signing_keys::insert(conn, &fresh)?;
            forgotten.replacement = Some(fresh.kid.clone());
        }
        for (org_id, sealed) in sso::sealed_secrets(conn)? {
            let aad = super::sso::connections::aad(&org_id);
            if !sealed.is_empty() && kek.open(&aad, &sealed).is_err() {
                sso::set_sealed_secret(conn, &org_id, &[])?;
                forgotten.sso_client_secrets.push(org_id);
            }
        }
        changes::record_change(conn, SUBJECT)?;
        audit_key_event(
            conn,
            actor,
            audit::KEYS_FORGOTTEN,
            "key-encryption-key",
            serde_json::to_value(&forgotten).unwrap_or_default(),
        )?;
        Ok(forgotten)
    })
}
