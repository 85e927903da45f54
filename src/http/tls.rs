//! Native HTTPS (optional): rustls through actix-web's own listener, HTTP/2 and HTTP/1.1 by
//! ALPN. The certificate and key are read from PEM files and read again when either file
//! changes (cert-manager and similar tools replace them before they expire), so a renewal
//! needs no restart: new connections get the new certificate, open ones keep theirs. A
//! replacement that does not parse (a half-written file, a key that does not match) is
//! logged and the previous certificate stays in use.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::RwLock;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::config::TlsFiles;

/// How often the files are checked for a change.
pub const RELOAD_CHECK: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("the TLS key does not fit the certificate or is not supported: {0}")]
    Key(rustls::Error),
}

/// The certificate chain of a PEM file, leaf first.
pub fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let file_error = |message: String| TlsError::File {
        path: path.to_owned(),
        message,
    };
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(e.to_string()))?;
    if chain.is_empty() {
        return Err(file_error("no certificate in the file".into()));
    }
    Ok(chain)
}

fn load(files: &TlsFiles, provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, TlsError> {
    let chain = read_chain(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| TlsError::File {
        path: files.key.clone(),
        message: e.to_string(),
    })?;
    let certified = CertifiedKey::from_der(chain, key, provider).map_err(TlsError::Key)?;
    Ok(Arc::new(certified))
}

fn modified(files: &TlsFiles) -> Option<(SystemTime, SystemTime)> {
    let at = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    Some((at(&files.cert)?, at(&files.key)?))
}

/// Serves the current certificate; `watch` swaps it when the files change.
#[derive(Debug)]
struct ReloadingCertificate {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for ReloadingCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().clone())
    }
}

/// The server's TLS configuration; fails (naming the file) if the files do not load now.
pub fn server_config(files: &TlsFiles) -> Result<rustls::ServerConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let resolver = Arc::new(ReloadingCertificate {
        current: RwLock::new(load(files, &provider)?),
    });
    watch(files.clone(), provider.clone(), Arc::downgrade(&resolver));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Key)?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    Ok(config)
}

/// Checks the files every `RELOAD_CHECK` on a thread of its own, for as long as the server's
/// configuration lives.
fn watch(
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    resolver: std::sync::Weak<ReloadingCertificate>,
) {
    let spawned = std::thread::Builder::new()
        .name("tls-reload".into())
        .spawn(move || {
            let mut seen = modified(&files);
            loop {
                std::thread::sleep(RELOAD_CHECK);
                let Some(resolver) = resolver.upgrade() else {
                    return;
                };
                let now = modified(&files);
                if now == seen {
                    continue;
                }
                match load(&files, &provider) {
                    Ok(certified) => {
                        *resolver.current.write() = certified;
                        seen = now;
                        log::info!("TLS certificate reloaded from {}", files.cert.display());
                    }
                    // Perhaps half-written: try again at the next check.
                    Err(e) => log::warn!("TLS certificate not reloaded (keeping the old): {e}"),
                }
            }
        });
    if let Err(e) = spawned {
        log::error!("cannot watch the TLS files: {e}");
    }
}
