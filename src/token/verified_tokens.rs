//! Tokens whose signature has already been checked, so that a resource server introspecting
//! the same token again (the common case: once per request it serves) costs a hash and a map
//! lookup instead of a signature verification.
//!
//! Safe because what is remembered is only what cannot change for a given token: its bytes
//! were signed by a key of a given key set. Everything that can change is checked on every
//! call — the time window (`exp`/`nbf`, with the caller's leeway) here, revocation and the
//! client's state by the caller — and an entry counts only while that same key set is the one
//! in use: when the keys change (a rotation, a retirement, a reload), every entry is ignored.
//! Entries are keyed by SHA-256 of the token, so the map holds no bearer token.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use aws_lc_rs::digest::{SHA256, digest};
use parking_lot::RwLock;

use super::{AccessTokenClaims, KeySet};

/// Past this many tokens the cache starts over (the cost is one verification per token).
const MAX_ENTRIES: usize = 16_384;

type TokenHash = [u8; 32];

struct Entry {
    /// The key set that verified it; a `Weak` also keeps its address from being reused.
    keys: Weak<KeySet>,
    claims: AccessTokenClaims,
}

#[derive(Default)]
pub struct VerifiedTokens {
    entries: RwLock<HashMap<TokenHash, Entry>>,
}

pub fn hash(token: &str) -> TokenHash {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
    out
}

impl VerifiedTokens {
    /// The claims of a token verified earlier by `keys`, if it is within its time window now.
    pub fn get(
        &self,
        token: &TokenHash,
        keys: &Arc<KeySet>,
        now: i64,
        leeway_seconds: u64,
    ) -> Option<AccessTokenClaims> {
        let entries = self.entries.read();
        let entry = entries.get(token)?;
        if !std::ptr::eq(entry.keys.as_ptr(), Arc::as_ptr(keys)) {
            return None;
        }
        let leeway = i64::try_from(leeway_seconds).unwrap_or(i64::MAX);
        let claims = &entry.claims;
        // The rules of `jsonwebtoken`'s own check, which admitted the token the first time.
        let in_window =
            claims.exp >= now.saturating_sub(leeway) && claims.nbf <= now.saturating_add(leeway);
        in_window.then(|| claims.clone())
    }

    pub fn insert(&self, token: TokenHash, keys: &Arc<KeySet>, claims: &AccessTokenClaims) {
        let mut entries = self.entries.write();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            token,
            Entry {
                keys: Arc::downgrade(keys),
                claims: claims.clone(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{ScheduledKey, SigningAlg, SigningKey, generate_pkcs8};

    fn key_set() -> Arc<KeySet> {
        let epoch = chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc();
        let der = generate_pkcs8(SigningAlg::Es256).unwrap();
        let key = SigningKey::from_pkcs8(&der, epoch).unwrap();
        let scheduled = ScheduledKey {
            key,
            activates_at: epoch,
        };
        Arc::new(KeySet::new(vec![scheduled]).unwrap())
    }

    fn claims(nbf: i64, exp: i64) -> AccessTokenClaims {
        AccessTokenClaims {
            status: None,
            iss: "https://issuer".into(),
            sub: "c".into(),
            client_id: "c".into(),
            aud: "https://issuer".into(),
            iat: nbf,
            nbf,
            exp,
            jti: "j".into(),
            scope: String::new(),
            roles: Vec::new(),
            org_id: "o".into(),
        }
    }

    #[test]
    fn an_entry_counts_only_within_the_tokens_window_and_with_the_same_keys() {
        let cache = VerifiedTokens::default();
        let keys = key_set();
        let token = hash("a.b.c");
        cache.insert(token, &keys, &claims(1_000, 2_000));
        assert!(cache.get(&token, &keys, 1_500, 0).is_some());
        assert!(cache.get(&hash("a.b.d"), &keys, 1_500, 0).is_none());
        // Expired, or not yet valid, unless the caller's leeway covers it.
        assert!(cache.get(&token, &keys, 2_001, 0).is_none());
        assert!(cache.get(&token, &keys, 2_001, 60).is_some());
        assert!(cache.get(&token, &keys, 999, 0).is_none());
        // After the keys changed (a rotation, a retirement), the signature counts no more.
        let reloaded = key_set();
        assert!(cache.get(&token, &reloaded, 1_500, 0).is_none());
        drop(keys);
        assert!(cache.get(&token, &reloaded, 1_500, 0).is_none());
    }
}
