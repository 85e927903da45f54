//! The key set: every key in `keys/`, oldest first. The newest signs while every key stays in
//! the JWKS, so tokens signed before a rotation keep verifying. Never empty, by construction.

use std::path::Path;

use jsonwebtoken::jwk::JwkSet;

use super::key_files::{KeyError, generate_key, load_keys};
use super::signing_key::{SigningAlg, SigningKey};

pub struct KeySet {
    /// Older keys, oldest first: published, not signing.
    older: Vec<SigningKey>,
    active: SigningKey,
    jwks_json: Vec<u8>,
}

impl KeySet {
    /// Loads `dir`; when it holds no key, generates one of `alg` first. Instances starting
    /// together on a shared directory take turns (an exclusive lock on `dir/.lock`), so
    /// exactly one of them generates the first key and all publish the same set.
    pub fn load_or_init(dir: &Path, alg: SigningAlg) -> Result<Self, KeyError> {
        let _turn = lock_directory(dir)?;
        match Self::load(dir) {
            Err(KeyError::NoKeys(_)) => {
                let info = generate_key(dir, alg)?;
                log::info!(
                    "generated {} signing key {} in {}",
                    info.alg,
                    info.kid,
                    dir.display()
                );
                Self::load(dir)
            }
            loaded => loaded,
        }
    }

    /// The keys in `dir`; `NoKeys` when there are none.
    pub fn load(dir: &Path) -> Result<Self, KeyError> {
        let mut older = load_keys(dir)?;
        let active = older
            .pop()
            .ok_or_else(|| KeyError::NoKeys(dir.to_owned()))?;
        let jwks = JwkSet {
            keys: older
                .iter()
                .chain(std::iter::once(&active))
                .map(|k| k.jwk.clone())
                .collect(),
        };
        let jwks_json = serde_json::to_vec(&jwks).expect("a JWK set serializes");
        Ok(Self {
            older,
            active,
            jwks_json,
        })
    }

    pub fn active(&self) -> &SigningKey {
        &self.active
    }

    pub fn find(&self, kid: &str) -> Option<&SigningKey> {
        self.iter().find(|k| k.kid == kid)
    }

    /// Oldest first; the last one signs.
    pub fn iter(&self) -> impl Iterator<Item = &SigningKey> {
        self.older.iter().chain(std::iter::once(&self.active))
    }

    /// The RFC 7517 JWK set, serialized once.
    pub fn jwks_json(&self) -> &[u8] {
        &self.jwks_json
    }
}

/// Holds an exclusive lock on `dir/.lock` (created 0600, with `dir` 0700) until dropped.
fn lock_directory(dir: &Path) -> Result<std::fs::File, KeyError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let io = |source| KeyError::Io {
        path: dir.to_owned(),
        source,
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(dir.join(".lock"))
        .map_err(io)?;
    file.lock().map_err(io)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

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
}
