//! The database of a command: the connection (never a new, empty SQLite file), `migrate`,
//! `migrate status` and `backup`.

use clap::Subcommand;
use orgauth::app;
use orgauth::config::Config;
use orgauth::store::{self, DatabaseUrl, DbConnection};

type Error = Box<dyn std::error::Error>;

#[derive(Subcommand)]
pub enum MigrateCommand {
    /// The migrations this binary carries against those applied to DATABASE_URL: pending,
    /// unknown (a newer release's) and whether this binary may run on it. Runs none.
    Status,
}

/// One migrated connection for a command: no pool, so no background thread outlives it.
/// The database of an admin command: it must exist already (run in the wrong directory, a
/// command must not create a new, empty SQLite database and act on that).
pub fn connection(config: &Config) -> Result<DbConnection, Error> {
    must_exist(config)?;
    Ok(app::migrated_connection(config)?)
}

/// A connection for a command that only reads (or copies) the database as it is: no migration
/// runs (a backup taken before an upgrade must be of the schema before it).
pub fn existing_connection(config: &Config) -> Result<DbConnection, Error> {
    must_exist(config)?;
    Ok(app::unmigrated_connection(config)?)
}

fn must_exist(config: &Config) -> Result<(), Error> {
    if let DatabaseUrl::Sqlite(path) = &config.database_url
        && !std::path::Path::new(path).exists()
    {
        return Err(format!(
            "no database at {path} (DATABASE_URL): check the variable and the working \
             directory, or create it with `orgauth migrate`"
        )
        .into());
    }
    Ok(())
}

/// `orgauth migrate` (creates the SQLite file if needed) and `orgauth migrate status`.
pub fn migrate(config: &Config, command: Option<MigrateCommand>, json: bool) -> Result<(), Error> {
    let status = match command {
        None => {
            let mut conn = app::migrated_connection(config)?;
            if !json {
                println!("migrations are up to date");
                return Ok(());
            }
            store::schema_status(&mut conn).map_err(|e| e.to_string())?
        }
        Some(MigrateCommand::Status) => {
            store::schema_status(&mut app::unmigrated_connection(config)?)
                .map_err(|e| e.to_string())?
        }
    };
    if json {
        println!("{}", serde_json::to_string(&status)?);
        return Ok(());
    }
    println!("backend:          {}", status.backend);
    println!("binary's newest:  {}", status.binary_newest);
    println!(
        "database's newest: {}",
        status.database_newest.as_deref().unwrap_or("(empty)")
    );
    println!("pending:          {}", status.pending.len());
    for m in &status.unknown {
        println!(
            "unknown:          {} (works with binaries from {})",
            m.version,
            m.oldest_compatible.as_deref().unwrap_or("(unrecorded)")
        );
    }
    if !status.compatible() {
        return Err(status.refusal().into());
    }
    println!("this binary may run on it");
    Ok(())
}

/// `orgauth backup PATH`.
pub fn backup(config: &Config, path: &std::path::Path, json: bool) -> Result<(), Error> {
    let bytes = store::backup(&mut existing_connection(config)?, path)?;
    if json {
        println!(
            "{}",
            serde_json::json!({"path": path.display().to_string(), "bytes": bytes})
        );
    } else {
        println!("{} ({bytes} bytes)", path.display());
        println!(
            "Keep the key-encryption key (ORGAUTH_KEY_ENCRYPTION_KEY or {}) too, apart from \
             it: without it the signing keys in the copy cannot be opened.",
            config.keys_dir.join("kek").display()
        );
    }
    Ok(())
}
