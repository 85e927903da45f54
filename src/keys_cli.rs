//! `orgauth keys …`: the signing keys and the key-encryption key that seals them, acting as
//! the operator (`cli` in the platform organization's audit log). `--json` prints the admin
//! API's shapes, one object per line.

use clap::Subcommand;
use orgauth::config::Config;
use orgauth::http::admin::keys::{RevokedKeyView, SigningKeyView};
use orgauth::service::{key_encryption, signing_keys};
use orgauth::store::DbConnection;
use orgauth::token::{self, KeyEncryptionKey, SigningAlg};

use crate::admin_cli::OPERATOR;

type Error = Box<dyn std::error::Error>;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Add a next signing key: published at once, signing after
    /// ORGAUTH_KEY_ACTIVATION_DELAY_SECONDS, on every instance, without a restart.
    Rotate {
        /// ES256, RS256 or EdDSA; defaults to ORGAUTH_SIGNING_ALG.
        #[arg(long)]
        alg: Option<SigningAlg>,
    },
    /// List keys as the servers see them: kid, alg, state (next, active, retired), times.
    List,
    /// Pull a key now (a compromise): it leaves every instance's JWKS within a second, the
    /// tokens it signed become inactive, and a new key (ORGAUTH_SIGNING_ALG) signs at once if
    /// it was signing.
    Revoke { kid: String },
    /// Seal every stored secret (signing keys, single sign-on client secrets) again under the
    /// first key of ORGAUTH_KEY_ENCRYPTION_KEY; the keys after it can then be removed.
    Rewrap,
    /// The key-encryption key is lost: revoke the signing keys and forget the single sign-on
    /// client secrets that no configured key opens (see "Key-encryption key lost" in the
    /// README for what is lost and what is kept).
    ForgetUnreadable {
        /// Required: this invalidates every token the forgotten keys signed.
        #[arg(long)]
        yes: bool,
    },
}

pub fn run(config: &Config, command: KeysCommand, json: bool) -> Result<(), Error> {
    let time = |t: chrono::NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    match command {
        KeysCommand::Rotate { alg } => {
            let (mut conn, kek) = keys_access(config)?;
            let alg = alg.unwrap_or(config.signing_alg);
            let key =
                signing_keys::rotate(&mut conn, &kek, &OPERATOR, alg, config.key_activation_delay)?;
            if json {
                let view = signing_keys::list(&mut conn, config.token_ttl)?
                    .into_iter()
                    .find(|k| k.kid == key.kid)
                    .map(SigningKeyView::from);
                println!("{}", serde_json::to_string(&view)?);
            } else {
                println!(
                    "{} {} next; signs from {}",
                    key.kid,
                    key.alg,
                    time(key.activates_at)
                );
            }
        }
        KeysCommand::List => {
            // Read-only: needs no key-encryption key, creates nothing, migrates nothing.
            let mut conn = crate::database_cli::existing_connection(config)?;
            let keys = signing_keys::list(&mut conn, config.token_ttl)?;
            if json {
                for key in keys {
                    println!("{}", serde_json::to_string(&SigningKeyView::from(key))?);
                }
                return Ok(());
            }
            println!(
                "{:<45} {:<6} {:<8} {:<21} {:<21} retires",
                "kid", "alg", "state", "created", "activates"
            );
            for key in keys {
                println!(
                    "{:<45} {:<6} {:<8} {:<21} {:<21} {}",
                    key.kid,
                    key.alg,
                    key.state.as_str(),
                    time(key.created_at),
                    time(key.activates_at),
                    key.retires_at.map_or_else(|| "-".to_owned(), time)
                );
            }
        }
        KeysCommand::Revoke { kid } => {
            let (mut conn, kek) = keys_access(config)?;
            let revoked = signing_keys::revoke(
                &mut conn,
                &kek,
                &OPERATOR,
                &kid,
                config.signing_alg,
                config.token_ttl,
            )?;
            let view = RevokedKeyView::new(revoked.kid, revoked.replacement.as_ref());
            if json {
                println!("{}", serde_json::to_string(&view)?);
            } else {
                println!("{} revoked", view.revoked_kid);
                if let Some(kid) = view.replacement_kid {
                    println!("{kid} signs from now on");
                }
            }
        }
        KeysCommand::Rewrap => {
            let (mut conn, kek) = keys_access(config)?;
            let done = key_encryption::rewrap(&mut conn, &kek, &OPERATOR)?;
            if json {
                println!("{}", serde_json::to_string(&done)?);
            } else {
                println!(
                    "sealed again under the first key-encryption key: {} signing keys, {} \
                     single sign-on client secrets ({} were under an older key)",
                    done.signing_keys, done.sso_client_secrets, done.under_older_keys
                );
                if kek.len() > 1 {
                    println!(
                        "every instance can now drop the other {} key(s) from {}",
                        kek.len() - 1,
                        token::KEK_VARIABLE
                    );
                }
            }
        }
        KeysCommand::ForgetUnreadable { yes } => {
            let mut conn = crate::database_cli::connection(config)?;
            let kek = configured_kek(config)?;
            if !yes {
                // The dry run: what would go, and a warning when some keys do open.
                let (found, opening) = key_encryption::unopenable(&mut conn, &kek)?;
                println!(
                    "would revoke {} signing key(s) no configured key opens: {}",
                    found.signing_keys.len(),
                    found.signing_keys.join(", ")
                );
                for org in &found.sso_client_secrets {
                    println!("would forget the single sign-on client secret of {org}");
                }
                if opening > 0 {
                    println!(
                        "{opening} signing key(s) DO open with the configured keys: if the \
                         others were sealed under a key you still have, add it to \
                         ORGAUTH_KEY_ENCRYPTION_KEY instead"
                    );
                }
                return Err(
                    "nothing was changed: this revokes the keys above (their tokens \
                            stop working) and forgets those secrets; run it again with --yes"
                        .into(),
                );
            }
            let forgotten =
                key_encryption::forget_unopenable(&mut conn, &kek, &OPERATOR, config.signing_alg)?;
            if json {
                println!("{}", serde_json::to_string(&forgotten)?);
            } else {
                println!(
                    "revoked {} signing key(s) no configured key opens: {}",
                    forgotten.signing_keys.len(),
                    forgotten.signing_keys.join(", ")
                );
                if let Some(kid) = &forgotten.replacement {
                    println!("{kid} signs from now on");
                }
                for org in &forgotten.sso_client_secrets {
                    println!("organization {org}: enter its single sign-on client secret again");
                }
            }
        }
    }
    Ok(())
}

/// The configured key-encryption key; unlike `keys_access`, never generates one and never
/// opens the stored keys (it is for when they cannot be opened).
fn configured_kek(config: &Config) -> Result<KeyEncryptionKey, Error> {
    token::check_key_permissions(&config.keys_dir)?;
    let kek_file = config.keys_dir.join("kek");
    if config.key_encryption_key.is_none() && !kek_file.exists() {
        return Err(format!(
            "set the new key-encryption key first (ORGAUTH_KEY_ENCRYPTION_KEY, or {})",
            kek_file.display()
        )
        .into());
    }
    Ok(KeyEncryptionKey::load_or_create(
        config.key_encryption_key.as_deref(),
        &config.keys_dir,
    )?)
}

/// A connection and the key-encryption key, with the first signing key in place. Rotation
/// refuses a key-encryption key that cannot open the keys already stored.
fn keys_access(config: &Config) -> Result<(DbConnection, KeyEncryptionKey), Error> {
    token::check_key_permissions(&config.keys_dir)?;
    let mut conn = crate::database_cli::connection(config)?;
    let sealed_exist = !orgauth::store::signing_keys::list(&mut conn)?.is_empty();
    let kek = KeyEncryptionKey::load_for(
        config.key_encryption_key.as_deref(),
        &config.keys_dir,
        sealed_exist,
    )?;
    signing_keys::ensure_initial(&mut conn, &kek, &config.keys_dir, config.signing_alg)?;
    Ok((conn, kek))
}
