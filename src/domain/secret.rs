//! Client secrets: `oas_` + 43 base62 characters (≈256 bits from the OS CSPRNG) + a 6-character
//! base62 CRC-32 of the first 47 bytes. The checksum lets scanners recognise a leaked secret
//! and lets us reject typos and garbage before spending any argon2 work on them.
//!
//! The plaintext only lives in `NewClientSecret` (returned once, at creation or rotation) and
//! in the `ClientSecret` a caller presents. Neither implements `Serialize`, both redact `Debug`.

use std::fmt;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::random::{BASE62, random_base62};

const PREFIX: &str = "oas_";
const BODY_LEN: usize = 43;
const CHECKSUM_LEN: usize = 6;
pub const SECRET_LEN: usize = PREFIX.len() + BODY_LEN + CHECKSUM_LEN;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretFormatError {
    #[error(
        "a client secret is 53 characters: oas_, 43 base62 characters and a 6-character checksum"
    )]
    Malformed,
    #[error("the client secret's checksum does not match")]
    BadChecksum,
}

/// A secret as presented by a caller, known to be well-formed (prefix, alphabet, checksum).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn parse(s: &str) -> Result<Self, SecretFormatError> {
        let bytes = s.as_bytes();
        if bytes.len() != SECRET_LEN
            || !s.starts_with(PREFIX)
            || !bytes[PREFIX.len()..].iter().all(u8::is_ascii_alphanumeric)
        {
            return Err(SecretFormatError::Malformed);
        }
        let (payload, checksum) = bytes.split_at(SECRET_LEN - CHECKSUM_LEN);
        if checksum != base62_checksum(payload) {
            return Err(SecretFormatError::BadChecksum);
        }
        Ok(Self(s.to_owned()))
    }

    /// The plaintext, for hashing and verification only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters, stored and shown so people can tell secrets apart.
    pub fn hint(&self) -> String {
        self.0[SECRET_LEN - 4..].to_owned()
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// A freshly generated secret. Its plaintext leaves the process exactly once, through
/// `into_plaintext`, in the response (or CLI output) that created it.
pub struct NewClientSecret(ClientSecret);

impl NewClientSecret {
    pub fn generate() -> Self {
        let mut s = String::with_capacity(SECRET_LEN);
        s.push_str(PREFIX);
        s.push_str(&random_base62(BODY_LEN));
        let checksum = base62_checksum(s.as_bytes());
        s.push_str(std::str::from_utf8(&checksum).expect("base62 is ASCII"));
        Self(ClientSecret(s))
    }

    pub fn secret(&self) -> &ClientSecret {
        &self.0
    }

    pub fn into_plaintext(self) -> String {
        self.0.0
    }
}

impl From<ClientSecret> for NewClientSecret {
    /// A secret supplied by an operator (the bootstrap client), treated like a generated one.
    fn from(secret: ClientSecret) -> Self {
        Self(secret)
    }
}

impl fmt::Debug for NewClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewClientSecret(<redacted>)")
    }
}

/// CRC-32 (IEEE) of `payload`, in base62, most significant digit first, padded to 6.
fn base62_checksum(payload: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut n = crc32fast::hash(payload);
    let mut out = [b'0'; CHECKSUM_LEN];
    for digit in out.iter_mut().rev() {
        *digit = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// An argon2id PHC string, the only form in which a secret is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash(String);

impl SecretHash {
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks `secret` against this hash in constant time (argon2 compares the outputs with
    /// `subtle`). A corrupt stored hash verifies nothing.
    pub fn verify(&self, secret: &ClientSecret) -> bool {
        match PasswordHash::new(&self.0) {
            Ok(parsed) => Argon2::default()
                .verify_password(secret.expose().as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(<redacted>)")
    }
}

/// argon2id with the configured cost.
#[derive(Clone)]
pub struct SecretHasher {
    argon2: Argon2<'static>,
    params: Params,
}

impl SecretHasher {
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, String> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| format!("invalid argon2 parameters: {e}"))?;
        Ok(Self {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()),
            params,
        })
    }

    /// Whether `hash` was made with another algorithm or cost than this hasher's: it is then
    /// replaced on the secret's next successful verification.
    pub fn needs_rehash(&self, hash: &SecretHash) -> bool {
        let Ok(parsed) = PasswordHash::new(&hash.0) else {
            return false;
        };
        let same_algorithm = parsed.algorithm == Algorithm::Argon2id.ident();
        let same_cost = Params::try_from(&parsed).is_ok_and(|p| {
            p.m_cost() == self.params.m_cost()
                && p.t_cost() == self.params.t_cost()
                && p.p_cost() == self.params.p_cost()
        });
        !(same_algorithm && same_cost)
    }

    pub fn hash(&self, secret: &ClientSecret) -> SecretHash {
        let salt = SaltString::generate(&mut OsRng);
        let phc = self
            .argon2
            .hash_password(secret.expose().as_bytes(), &salt)
            .expect("argon2 with validated parameters and a generated salt cannot fail")
            .to_string();
        SecretHash(phc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_of_another_cost_need_a_rehash() {
        let secret = NewClientSecret::generate();
        let old = SecretHasher::new(4096, 2, 1).unwrap();
        let new = SecretHasher::new(1024, 1, 1).unwrap();
        let hash = old.hash(secret.secret());
        assert!(new.needs_rehash(&hash));
        assert!(!old.needs_rehash(&hash));
        assert!(!new.needs_rehash(&new.hash(secret.secret())));
        assert!(hash.verify(secret.secret()), "old hashes still verify");
    }

    #[test]
    fn the_documented_example_secret_is_not_a_valid_one() {
        // README and OpenAPI show this one; nobody may ship it as a bootstrap secret.
        let example = "oas_EXAMPLExONLYxNOTxAxVALIDxSECRETxCHECKSUMxxxBADSUM";
        assert_eq!(example.len(), SECRET_LEN);
        assert!(matches!(
            ClientSecret::parse(example),
            Err(SecretFormatError::BadChecksum)
        ));
    }

    #[test]
    fn generated_secret_has_the_documented_shape() {
        let secret = NewClientSecret::generate().into_plaintext();
        assert_eq!(secret.len(), 53);
        assert!(secret.starts_with("oas_"));
        assert!(secret[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(ClientSecret::parse(&secret).is_ok());
    }

    #[test]
    fn checksum_matches_zlib_crc32_in_base62() {
        // Python: zlib.crc32(b"oas_" + b"A" * 43) == 0xca805028, which is "3hvAhE" in base62.
        let payload = format!("oas_{}", "A".repeat(43));
        assert_eq!(crc32fast::hash(payload.as_bytes()), 0xca80_5028);
        assert_eq!(&base62_checksum(payload.as_bytes()), b"3hvAhE");
        assert!(ClientSecret::parse(&format!("{payload}3hvAhE")).is_ok());
    }

    #[test]
    fn a_flipped_character_fails_the_checksum() {
        let secret = NewClientSecret::generate().into_plaintext();
        let mut bytes = secret.into_bytes();
        bytes[10] = if bytes[10] == b'a' { b'b' } else { b'a' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(
            ClientSecret::parse(&tampered),
            Err(SecretFormatError::BadChecksum)
        );
    }

    #[test]
    fn malformed_secrets_are_rejected() {
        for bad in ["", "oas_", "oas_short", &format!("xyz_{}", "A".repeat(49))] {
            assert_eq!(ClientSecret::parse(bad), Err(SecretFormatError::Malformed));
        }
    }

    #[test]
    fn hash_verifies_only_its_secret_and_debug_redacts() {
        let hasher = SecretHasher::new(1024, 1, 1).unwrap();
        let secret = NewClientSecret::generate();
        let other = NewClientSecret::generate();
        let hash = hasher.hash(secret.secret());
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hash.verify(secret.secret()));
        assert!(!hash.verify(other.secret()));
        assert_eq!(format!("{secret:?}"), "NewClientSecret(<redacted>)");
        assert!(!format!("{:?}", secret.secret()).contains("oas_"));
    }
}
