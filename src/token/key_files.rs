//! Key files in `keys/`: PKCS#8 PEM, one per key, named by creation time and mode 0600, in a
//! directory nobody else may write. Loading them, generating one, listing them.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};

use super::signing_key::{SigningAlg, SigningKey};

const FILE_TIME_FORMAT: &str = "%Y%m%dT%H%M%S%.6fZ";
const PKCS8_TAG: &str = "PRIVATE KEY";

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
    #[error("keys directory {0}: holds no signing key")]
    NoKeys(PathBuf),
    #[error("{0}")]
    Kek(String),
    #[error(
        "{} is group- or world-writable (mode {mode:o}): whoever can write there can plant \
         a signing key; fix it with `chmod go-w {}`", path.display(), path.display()
    )]
    WritableByOthers { path: PathBuf, mode: u32 },
    #[error(
        "{} is readable by others (mode {mode:o}): it is a private signing key; fix it with \
         `chmod 600 {}`", path.display(), path.display()
    )]
    ReadableByOthers { path: PathBuf, mode: u32 },
}

fn mode_of(path: &Path) -> Result<u32, KeyError> {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .map_err(|source| KeyError::Io {
            path: path.to_owned(),
            source,
        })
}

/// Checks the keys directory (when it exists), its key files and the key-encryption key file
/// as `check_directory` and `check_key_file` do: run at every start.
pub fn check_key_permissions(dir: &Path) -> Result<(), KeyError> {
    if !dir.exists() {
        return Ok(());
    }
    key_files(dir)?;
    let kek = dir.join("kek");
    if kek.exists() {
        check_key_file(&kek)?;
    }
    Ok(())
}

/// Refuses a keys directory that others may write: they could plant a key of their own, and
/// every token it signs would verify.
fn check_directory(dir: &Path) -> Result<(), KeyError> {
    let mode = mode_of(dir)?;
    if mode & 0o022 != 0 {
        return Err(KeyError::WritableByOthers {
            path: dir.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// Refuses a key file that anyone but its owner may write (a planted key) or read (a stolen
/// one).
fn check_key_file(file: &Path) -> Result<(), KeyError> {
    let mode = mode_of(file)?;
    let path = file.to_owned();
    if mode & 0o022 != 0 {
        return Err(KeyError::WritableByOthers { path, mode });
    }
    if mode & 0o044 != 0 {
        return Err(KeyError::ReadableByOthers { path, mode });
    }
    Ok(())
}

/// The PKCS#8 DER of every key file in `dir`, with its creation time, oldest first (for the
/// one-time import into the database).
pub fn read_key_files(dir: &Path) -> Result<Vec<(Vec<u8>, NaiveDateTime)>, KeyError> {
    let mut keys = Vec::new();
    for path in key_files(dir)? {
        let pem = fs::read_to_string(&path).map_err(|source| KeyError::Io {
            path: path.clone(),
            source,
        })?;
        let der = pem_to_der(&pem).ok_or_else(|| KeyError::Unreadable(path.clone()))?;
        keys.push((der, created_from_file_name(&path)));
    }
    keys.sort_by_key(|(_, created)| *created);
    Ok(keys)
}

/// Every key in `dir`, oldest first.
pub(super) fn load_keys(dir: &Path) -> Result<Vec<SigningKey>, KeyError> {
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
    Ok(keys)
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
    let der = super::signing_key::generate_pkcs8(alg).ok_or(KeyError::Generation)?;

    // Microseconds, as the file name keeps them.
    let now = Utc::now().naive_utc();
    let mut created = now
        .with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now);
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
    check_directory(dir)?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "pem"))
        .collect();
    files.sort();
    for file in &files {
        check_key_file(file)?;
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

fn pem_to_der(text: &str) -> Option<Vec<u8>> {
    let pem = pem::parse(text).ok()?;
    (pem.tag() == PKCS8_TAG).then(|| pem.into_contents())
}

fn der_to_pem(der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(PKCS8_TAG, der),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}
