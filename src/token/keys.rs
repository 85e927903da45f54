//! The key set in `keys/`: PKCS#8 PEM files named by creation time, so the newest (the last
//! in name order) is the active signing key while every key stays in the JWKS — tokens signed
//! before a rotation keep verifying. kid is the RFC 7638 SHA-256 thumbprint.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RsaKeyPair, RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, NaiveDateTime, Utc};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters, Jwk, JwkSet,
    KeyAlgorithm, OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse, RSAKeyParameters,
    ThumbprintHash,
};
use jsonwebtoken::{Algorithm, DecodingKey};

const FILE_TIME_FORMAT: &str = "%Y%m%dT%H%M%S%.6fZ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlg {
    Es256,
    Rs256,
    EdDsa,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
            Self::EdDsa => "EdDSA",
        }
    }

    pub fn jwt_algorithm(self) -> Algorithm {
        match self {
            Self::Es256 => Algorithm::ES256,
            Self::Rs256 => Algorithm::RS256,
            Self::EdDsa => Algorithm::EdDSA,
        }
    }
}

impl FromStr for SigningAlg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ES256" => Ok(Self::Es256),
            "RS256" => Ok(Self::Rs256),
            "EdDSA" => Ok(Self::EdDsa),
            other => Err(format!(
                "unsupported signing algorithm {other:?} (ES256, RS256 or EdDSA)"
            )),
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("keys directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("key file {0}: not a PKCS#8 PEM ES256 (P-256), RS256 or EdDSA (Ed25519) private key")]
    Unreadable(PathBuf),
    #[error("key generation failed")]
    Generation,
    #[error(
        "{} is group- or world-writable (mode {mode:o}): whoever can write there can replace \
         the signing key; fix it with `chmod go-w {}`", path.display(), path.display()
    )]
    InsecurePermissions { path: PathBuf, mode: u32 },
}

/// Refuses a keys directory or key file that others may write: they could plant a key of
/// their own, and every token it signs would verify.
fn check_not_writable_by_others(path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = fs::metadata(path).map_err(|source| KeyError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(KeyError::InsecurePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

enum KeyMaterial {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
    EdDsa(Ed25519KeyPair),
}

/// One loaded key: parsed once, with its public JWK and its encoded JOSE header ready.
pub struct SigningKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub created: NaiveDateTime,
    material: KeyMaterial,
    jwk: Jwk,
    decoding: DecodingKey,
    /// base64url of `{"alg":…,"typ":"at+jwt","kid":…}`.
    header_b64: String,
}

impl SigningKey {
    fn from_pkcs8(der: &[u8], created: NaiveDateTime) -> Option<Self> {
        let (alg, material, params) =
            if let Ok(k) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
                let point = k.public_key().as_ref();
                // Uncompressed SEC1 point: 0x04 || x (32 bytes) || y (32 bytes).
                let (x, y) = point.get(1..)?.split_at(32);
                let params = AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                    key_type: Default::default(),
                    curve: EllipticCurve::P256,
                    x: URL_SAFE_NO_PAD.encode(x),
                    y: URL_SAFE_NO_PAD.encode(y),
                });
                (SigningAlg::Es256, KeyMaterial::Es256(k), params)
            } else if let Ok(k) = Ed25519KeyPair::from_pkcs8(der) {
                let params = AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                    key_type: OctetKeyPairType::OctetKeyPair,
                    curve: EllipticCurve::Ed25519,
                    x: URL_SAFE_NO_PAD.encode(k.public_key().as_ref()),
                });
                (SigningAlg::EdDsa, KeyMaterial::EdDsa(k), params)
            } else if let Ok(k) = RsaKeyPair::from_pkcs8(der) {
                let public = RsaPublicKeyComponents::<Vec<u8>>::from(k.public_key());
                let params = AlgorithmParameters::RSA(RSAKeyParameters {
                    key_type: Default::default(),
                    n: URL_SAFE_NO_PAD.encode(&public.n),
                    e: URL_SAFE_NO_PAD.encode(&public.e),
                });
                (SigningAlg::Rs256, KeyMaterial::Rs256(k), params)
            } else {
                return None;
            };

        let mut jwk = Jwk {
            common: CommonParameters::default(),
            algorithm: params,
        };
        let kid = jwk.thumbprint(ThumbprintHash::SHA256).ok()?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(match alg {
            SigningAlg::Es256 => KeyAlgorithm::ES256,
            SigningAlg::Rs256 => KeyAlgorithm::RS256,
            SigningAlg::EdDsa => KeyAlgorithm::EdDSA,
        });
        let decoding = DecodingKey::from_jwk(&jwk).ok()?;
        let header = serde_json::json!({"alg": alg.as_str(), "typ": "at+jwt", "kid": kid});
        let header_b64 = URL_SAFE_NO_PAD.encode(header.to_string());
        Some(Self {
            kid,
            alg,
            created,
            material,
            jwk,
            decoding,
            header_b64,
        })
    }

    pub fn header_b64(&self) -> &str {
        &self.header_b64
    }

    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The raw JWS signature over `message` (`header.payload`).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.material {
            KeyMaterial::Es256(k) => k
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .expect("ECDSA signing with a validated key cannot fail"),
            KeyMaterial::EdDsa(k) => k.sign(message).as_ref().to_vec(),
            KeyMaterial::Rs256(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
                    .expect("RSA signing with a validated key cannot fail");
                sig
            }
        }
    }
}

/// Every key in `keys/`, oldest first; the last one signs.
pub struct KeySet {
    keys: Vec<SigningKey>,
    jwks_json: Vec<u8>,
}

impl KeySet {
    /// Loads `dir`; when it holds no key, generates one of `alg` first.
    pub fn load_or_init(dir: &Path, alg: SigningAlg) -> Result<Self, KeyError> {
        let mut set = Self::load(dir)?;
        if set.keys.is_empty() {
            let info = generate_key(dir, alg)?;
            log::info!(
                "generated {} signing key {} in {}",
                info.alg,
                info.kid,
                dir.display()
            );
            set = Self::load(dir)?;
        }
        Ok(set)
    }

    pub fn load(dir: &Path) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        for path in key_files(dir)? {
            let created = created_from_file_name(&path);
            let pem = fs::read_to_string(&path).map_err(|source| KeyError::Io {
                path: path.clone(),
                source,
            })?;
            let key = pem_to_der(&pem)
                .and_then(|der| SigningKey::from_pkcs8(&der, created))
                .ok_or_else(|| KeyError::Unreadable(path.clone()))?;
            keys.push(key);
        }
        keys.sort_by_key(|k| k.created);
        let jwks = JwkSet {
            keys: keys.iter().map(|k| k.jwk.clone()).collect(),
        };
        let jwks_json = serde_json::to_vec(&jwks).expect("a JWK set serializes");
        Ok(Self { keys, jwks_json })
    }

    pub fn active(&self) -> &SigningKey {
        self.keys.last().expect("a loaded key set is never empty")
    }

    pub fn find(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    pub fn iter(&self) -> impl Iterator<Item = &SigningKey> {
        self.keys.iter()
    }

    /// The RFC 7517 JWK set, serialized once.
    pub fn jwks_json(&self) -> &[u8] {
        &self.jwks_json
    }
}

#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: SigningAlg,
    pub created: NaiveDateTime,
    pub path: PathBuf,
}

/// Writes a new key of `alg` to `dir` (mode 0600), which makes it the active one.
pub fn generate_key(dir: &Path, alg: SigningAlg) -> Result<KeyInfo, KeyError> {
    let io_err = |source| KeyError::Io {
        path: dir.to_owned(),
        source,
    };
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_err)?;
    let der: Vec<u8> = match alg {
        SigningAlg::Es256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .and_then(|k| k.to_pkcs8v1())
            .map(|d| d.as_ref().to_vec()),
        SigningAlg::EdDsa => Ed25519KeyPair::generate()
            .and_then(|k| k.to_pkcs8v1())
            .map(|d| d.as_ref().to_vec()),
        SigningAlg::Rs256 => aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa2048)
            .and_then(|k| AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&k))
            .map(|d| d.as_ref().to_vec()),
    }
    .map_err(|_| KeyError::Generation)?;

    let mut created = crate::store::now();
    let mut path;
    loop {
        path = dir.join(format!("{}.pem", created.format(FILE_TIME_FORMAT)));
        if !path.exists() {
            break;
        }
        created += chrono::Duration::microseconds(1);
    }
    let key = SigningKey::from_pkcs8(&der, created).ok_or(KeyError::Generation)?;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|source| KeyError::Io {
            path: path.clone(),
            source,
        })?;
    file.write_all(der_to_pem(&der).as_bytes())
        .map_err(|source| KeyError::Io {
            path: path.clone(),
            source,
        })?;
    Ok(KeyInfo {
        kid: key.kid,
        alg,
        created,
        path,
    })
}

/// Every key in `dir`, oldest first; the last one is active.
pub fn list_keys(dir: &Path) -> Result<Vec<KeyInfo>, KeyError> {
    let set = KeySet::load(dir)?;
    let paths = key_files(dir)?;
    Ok(set
        .keys
        .iter()
        .map(|k| KeyInfo {
            kid: k.kid.clone(),
            alg: k.alg,
            created: k.created,
            path: paths
                .iter()
                .find(|p| created_from_file_name(p) == k.created)
                .cloned()
                .unwrap_or_default(),
        })
        .collect())
}

fn key_files(dir: &Path) -> Result<Vec<PathBuf>, KeyError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(KeyError::Io {
                path: dir.to_owned(),
                source,
            });
        }
    };
    check_not_writable_by_others(dir)?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "pem"))
        .collect();
    files.sort();
    for file in &files {
        check_not_writable_by_others(file)?;
    }
    Ok(files)
}

/// Keys are named by creation time; a file named otherwise counts as the oldest (its
/// modification time is the fallback).
fn created_from_file_name(path: &Path) -> NaiveDateTime {
    path.file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| NaiveDateTime::parse_from_str(s, FILE_TIME_FORMAT).ok())
        .or_else(|| {
            let modified = fs::metadata(path).ok()?.modified().ok()?;
            Some(DateTime::<Utc>::from(modified).naive_utc())
        })
        .unwrap_or_default()
}

fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN PRIVATE KEY-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .map(str::trim)
        .collect();
    STANDARD.decode(body).ok()
}

fn der_to_pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

#[cfg(test)]
mod tests {
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
