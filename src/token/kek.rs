//! The key-encryption key: signing keys are stored in the database encrypted with AES-256-GCM
//! under it, the key ID as associated data (a ciphertext cannot be moved to another key's row).
//! It comes from `ORGAUTH_KEY_ENCRYPTION_KEY` (or `…_FILE`): 32 bytes, base64. Without one, it
//! is generated once into `keys/kek` (0600) — fine for the embedded default; several instances
//! must share it (the same secret, or the same keys volume).
//!
//! Rotation: the variable (or file) may hold several keys, separated by commas or new lines.
//! The first seals; every one of them opens. `orgauth keys rewrap` seals everything stored
//! again under the first, after which the others can be dropped.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::key_files::KeyError;

pub const VARIABLE: &str = "ORGAUTH_KEY_ENCRYPTION_KEY";
const FILE_NAME: &str = "kek";

pub struct KeyEncryptionKey {
    /// The first seals; all open.
    keys: Vec<LessSafeKey>,
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(…)")
    }
}

impl KeyEncryptionKey {
    /// From its base64 text (the variable or file content): one key, or several separated by
    /// commas or new lines, the sealing one first.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        for (i, part) in text
            .split([',', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .enumerate()
        {
            let bytes = STANDARD
                .decode(part)
                .ok()
                .filter(|b| b.len() == 32)
                .ok_or_else(|| {
                    KeyError::Kek(format!(
                        "{VARIABLE}: key {} must be 32 bytes in base64 (e.g. `openssl rand \
                         -base64 32`); several keys are separated by commas, the sealing one \
                         first",
                        i + 1
                    ))
                })?;
            let key = UnboundKey::new(&AES_256_GCM, &bytes)
                .map_err(|_| KeyError::Kek("unusable key-encryption key".into()))?;
            keys.push(LessSafeKey::new(key));
        }
        if keys.is_empty() {
            return Err(KeyError::Kek(format!(
                "{VARIABLE} is empty: set 32 bytes in base64 (e.g. `openssl rand -base64 32`)"
            )));
        }
        Ok(Self { keys })
    }

    /// How many keys open (the first of them seals).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The configured key, or the one in `keys_dir/kek`, generated there when missing.
    pub fn load_or_create(configured: Option<&str>, keys_dir: &Path) -> Result<Self, KeyError> {
        Self::load_for(configured, keys_dir, false)
    }

    /// `load_or_create`, for a database that holds secrets sealed already (`sealed_exist`):
    /// then a missing key is an error, never a new one that could open nothing (and a stray
    /// `keys/kek` that later starts would trust).
    pub fn load_for(
        configured: Option<&str>,
        keys_dir: &Path,
        sealed_exist: bool,
    ) -> Result<Self, KeyError> {
        if let Some(text) = configured {
            return Self::parse(text);
        }
        let path = keys_dir.join(FILE_NAME);
        let io = |source| KeyError::Io {
            path: path.clone(),
            source,
        };
        match fs::read_to_string(&path) {
            Ok(text) => return Self::parse(&text),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            Err(_) => {}
        }
        if sealed_exist {
            return Err(KeyError::Kek(format!(
                "the database holds signing keys sealed under a key-encryption key, but \
                 {VARIABLE} is not set and {} does not exist: set the key the other servers \
                 use (lost it? see \"Key-encryption key lost\" in the README)",
                path.display()
            )));
        }
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| KeyError::Generation)?;
        let text = STANDARD.encode(bytes);
        {
            use std::os::unix::fs::DirBuilderExt;
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(keys_dir)
                .map_err(io)?;
        }
        // Written in full under a private name, then linked into place: an instance starting
        // at the same moment either wins the link or reads the complete key of the one that did.
        let staged = keys_dir.join(format!(
            ".{FILE_NAME}.{}.{}",
            std::process::id(),
            crate::domain::random_base62(8)
        ));
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&staged)
            .map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        let linked = fs::hard_link(&staged, &path);
        let _ = fs::remove_file(&staged);
        match linked {
            Ok(()) => {
                log::info!(
                    "generated the key-encryption key {} (set {VARIABLE} to share one)",
                    path.display()
                );
                Self::parse(&text)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Self::parse(&fs::read_to_string(&path).map_err(io)?)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// `nonce ‖ ciphertext ‖ tag`.
    pub fn seal(&self, kid: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| KeyError::Generation)?;
        let mut sealed = plaintext.to_vec();
        self.keys[0]
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| KeyError::Generation)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens what any of the keys sealed; `aad` is what it was sealed with (a key ID, or
    /// `sso:<org>`).
    pub fn open(&self, aad: &str, sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.open_with_index(aad, sealed).map(|(plain, _)| plain)
    }

    /// `open`, and which of the keys opened it (0: the sealing one).
    pub fn open_with_index(&self, aad: &str, sealed: &[u8]) -> Result<(Vec<u8>, usize), KeyError> {
        let cannot = || {
            let what = match aad.strip_prefix("sso:") {
                Some(org) => format!("the single sign-on client secret of organization {org}"),
                None => format!("the signing key {aad}"),
            };
            KeyError::Kek(format!(
                "{what} in the database cannot be opened with this {VARIABLE}: every instance \
                 needs the key-encryption key the keys were stored with (lost it? see \
                 \"Key-encryption key lost\" in the README)"
            ))
        };
        if sealed.len() < NONCE_LEN {
            return Err(cannot());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        for (i, key) in self.keys.iter().enumerate() {
            let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| cannot())?;
            let mut buffer = ciphertext.to_vec();
            if let Ok(plain) = key.open_in_place(nonce, Aad::from(aad.as_bytes()), &mut buffer) {
                return Ok((plain.to_vec(), i));
            }
        }
        Err(cannot())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_the_same_kek_and_kid() {
        let dir = tempfile::tempdir().unwrap();
        let kek = KeyEncryptionKey::load_or_create(None, dir.path()).unwrap();
        let sealed = kek.seal("kid-1", b"private").unwrap();
        assert_eq!(kek.open("kid-1", &sealed).unwrap(), b"private");
        assert!(kek.open("kid-2", &sealed).is_err(), "bound to its kid");
        let again = KeyEncryptionKey::load_or_create(None, dir.path()).unwrap();
        assert_eq!(
            again.open("kid-1", &sealed).unwrap(),
            b"private",
            "kept in keys/kek"
        );
        let other = KeyEncryptionKey::parse(&STANDARD.encode([7u8; 32])).unwrap();
        assert!(
            other
                .open("kid-1", &sealed)
                .unwrap_err()
                .to_string()
                .contains(VARIABLE)
        );
        assert!(KeyEncryptionKey::parse("short").is_err());
    }

    #[test]
    fn the_first_of_several_keys_seals_and_each_opens() {
        let (old, new) = (STANDARD.encode([1u8; 32]), STANDARD.encode([2u8; 32]));
        let sealed_old = KeyEncryptionKey::parse(&old)
            .unwrap()
            .seal("k", b"x")
            .unwrap();
        let both = KeyEncryptionKey::parse(&format!(" {new} ,\n{old}\n")).unwrap();
        assert_eq!(both.len(), 2);
        assert_eq!(
            both.open_with_index("k", &sealed_old).unwrap(),
            (b"x".to_vec(), 1)
        );
        let sealed_new = both.seal("k", b"y").unwrap();
        assert_eq!(both.open_with_index("k", &sealed_new).unwrap().1, 0);
        let only_new = KeyEncryptionKey::parse(&new).unwrap();
        assert!(
            only_new.open("k", &sealed_old).is_err(),
            "the old key is needed"
        );
        assert_eq!(only_new.open("k", &sealed_new).unwrap(), b"y");
        let message = KeyEncryptionKey::parse(&format!("{new},nope"))
            .unwrap_err()
            .to_string();
        assert!(message.contains("key 2"), "{message}");
        assert!(KeyEncryptionKey::parse(" , ").is_err());
    }
}
