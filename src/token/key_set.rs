//! The key set: every published key with the moment it starts signing. A next key is
//! published before it signs, so every cached JWKS knows it by then; older keys stay published
//! so tokens signed before a rotation keep verifying. Never empty, by construction.

use std::path::Path;

use chrono::NaiveDateTime;
use jsonwebtoken::jwk::JwkSet;

use super::key_files::{KeyError, load_keys};
use super::signing_key::SigningKey;

/// A key and the moment it starts signing: published at once, signing from `activates_at`.
pub struct ScheduledKey {
    pub key: SigningKey,
    pub activates_at: NaiveDateTime,
}

pub struct KeySet {
    /// Sorted by `activates_at`: `first`, then `later`. The active key is the last one whose
    /// time has come (the first one before any has).
    first: ScheduledKey,
    later: Vec<ScheduledKey>,
    jwks_json: Vec<u8>,
}

impl KeySet {
    /// `None` when there is no key at all.
    pub fn new(mut keys: Vec<ScheduledKey>) -> Option<Self> {
        keys.sort_by_key(|k| k.activates_at);
        let mut keys = keys.into_iter();
        let first = keys.next()?;
        let later: Vec<ScheduledKey> = keys.collect();
        let jwks = JwkSet {
            keys: std::iter::once(&first)
                .chain(&later)
                .map(|k| k.key.jwk.clone())
                .collect(),
        };
        let jwks_json = serde_json::to_vec(&jwks).expect("a JWK set serializes");
        Some(Self {
            first,
            later,
            jwks_json,
        })
    }

    /// The key files in `dir`, each active from its creation; `NoKeys` when there are none.
    pub fn load(dir: &Path) -> Result<Self, KeyError> {
        let keys = load_keys(dir)?
            .into_iter()
            .map(|key| ScheduledKey {
                activates_at: key.created,
                key,
            })
            .collect();
        Self::new(keys).ok_or_else(|| KeyError::NoKeys(dir.to_owned()))
    }

    /// The key that signs now.
    pub fn active(&self) -> &SigningKey {
        self.active_at(chrono::Utc::now().naive_utc())
    }

    pub fn active_at(&self, now: NaiveDateTime) -> &SigningKey {
        &self
            .later
            .iter()
            .rev()
            .find(|k| k.activates_at <= now)
            .unwrap_or(&self.first)
            .key
    }

    pub fn find(&self, kid: &str) -> Option<&SigningKey> {
        self.iter().find(|k| k.kid == kid)
    }

    /// Every published key, in activation order.
    pub fn iter(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.first)
            .chain(&self.later)
            .map(|k| &k.key)
    }

    /// The RFC 7517 JWK set, serialized once.
    pub fn jwks_json(&self) -> &[u8] {
        &self.jwks_json
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::token::{SigningAlg, generate_key};

    #[test]
    fn each_algorithm_generates_loads_and_signs_verifiably() {
        let dir = tempfile::tempdir().unwrap();
        for alg in [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa] {
            let info = generate_key(dir.path(), alg).unwrap();
            let mode = fs::metadata(&info.path).unwrap().permissions();
            assert_eq!(
                std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
                0o600
            );
            let set = KeySet::load(dir.path()).unwrap();
            let key = set.active();
            assert_eq!((key.alg, key.kid.as_str()), (alg, info.kid.as_str()));
            let message = b"header.payload";
            let sig = URL_SAFE_NO_PAD.encode(key.sign(message));
            assert!(
                jsonwebtoken::crypto::verify(
                    &sig,
                    message,
                    key.decoding_key(),
                    alg.jwt_algorithm()
                )
                .unwrap()
            );
        }
        assert_eq!(KeySet::load(dir.path()).unwrap().iter().count(), 3);
    }

    #[test]
    fn a_next_key_is_published_before_it_signs() {
        let at = |s: i64| chrono::DateTime::from_timestamp(s, 0).unwrap().naive_utc();
        let key = |s| {
            let der = crate::token::generate_pkcs8(SigningAlg::Es256).unwrap();
            ScheduledKey {
                key: SigningKey::from_pkcs8(&der, at(0)).unwrap(),
                activates_at: at(s),
            }
        };
        let set = KeySet::new(vec![key(200), key(100), key(300)]).unwrap();
        let kids: Vec<&str> = set.iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(set.iter().count(), 3, "all published");
        assert_eq!(
            set.active_at(at(150)).kid,
            kids[0],
            "activation order, not insertion"
        );
        assert_eq!(set.active_at(at(250)).kid, kids[1]);
        assert_eq!(set.active_at(at(50)).kid, kids[0], "before any: the first");
        assert!(KeySet::new(Vec::new()).is_none());
    }
}
