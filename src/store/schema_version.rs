//! Which schema the database is at, against the migrations this binary carries — and whether
//! this binary may run on it. Each migration records in `schema_compatibility` the oldest
//! migration whose binaries still work with it: additive migrations (new tables, new nullable
//! columns) name the previous one, so release N keeps running beside N+1 during a rolling
//! upgrade; a migration that removes or changes what older binaries read names itself. A
//! binary refuses to start on a database with a migration it does not know unless that
//! migration says the binary's newest migration is compatible.

use diesel::backend::Backend;
use diesel::migration::MigrationSource;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

use super::MigrationError;

/// The schema as this binary sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SchemaStatus {
    pub backend: &'static str,
    /// The newest migration this binary carries.
    pub binary_newest: String,
    /// The newest migration applied to the database (`None`: an empty database).
    pub database_newest: Option<String>,
    /// Migrations this binary carries that the database lacks (run at start).
    pub pending: Vec<String>,
    /// Migrations applied to the database that this binary does not know (a newer release's),
    /// each with the oldest migration whose binaries it works with (`None`: not recorded).
    pub unknown: Vec<UnknownMigration>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct UnknownMigration {
    pub version: String,
    pub oldest_compatible: Option<String>,
}

impl SchemaStatus {
    /// Whether this binary may run on the database: every migration it does not know accepts
    /// binaries as old as this one.
    pub fn compatible(&self) -> bool {
        self.unknown.iter().all(|m| self.accepted_by(m))
    }

    /// Whether `migration` records that binaries as old as this one work with it.
    fn accepted_by(&self, migration: &UnknownMigration) -> bool {
        migration
            .oldest_compatible
            .as_deref()
            .and_then(version_number)
            .zip(version_number(&self.binary_newest))
            .is_some_and(|(oldest, ours)| oldest <= ours)
    }

    /// The refusal when `compatible` is false.
    pub fn refusal(&self) -> String {
        format!(
            "the {} database's schema is at migration {}, newer than this binary knows \
             (its newest is {}), and {} not work with this binary: run the release that \
             applied it, or roll back by restoring the backup taken before the upgrade \
             (README: \"Upgrading and rolling back\")",
            self.backend,
            self.database_newest.as_deref().unwrap_or("?"),
            self.binary_newest,
            match self.unknown.iter().find(|m| !self.accepted_by(m)) {
                Some(m) => format!(
                    "migration {} needs at least {}, so it does",
                    m.version,
                    m.oldest_compatible.as_deref().unwrap_or("(unrecorded)")
                ),
                None => "it does".to_owned(),
            }
        )
    }
}

/// A migration version as a number: exactly 14 digits (`YYYYMMDDnnnnnn`); anything else is
/// no version (and a migration naming one is not accepted).
fn version_number(version: &str) -> Option<u64> {
    (version.len() == 14 && version.bytes().all(|b| b.is_ascii_digit()))
        .then(|| version.parse().ok())
        .flatten()
}

/// The versions this binary carries (`source`) and those applied to the database, sorted.
pub(super) fn versions<DB: Backend>(
    harness: &mut impl MigrationHarness<DB>,
    source: &EmbeddedMigrations,
) -> Result<(Vec<String>, Vec<String>), MigrationError>
where
    EmbeddedMigrations: MigrationSource<DB>,
{
    let mut known: Vec<String> = MigrationSource::<DB>::migrations(source)?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    known.sort();
    let mut applied: Vec<String> = harness
        .applied_migrations()?
        .iter()
        .map(ToString::to_string)
        .collect();
    applied.sort();
    Ok((known, applied))
}

/// The status from the two version lists, looking up the compatibility of unknown ones.
pub(super) fn status(
    backend: &'static str,
    (known, applied): (Vec<String>, Vec<String>),
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> SchemaStatus {
    let pending = known
        .iter()
        .filter(|v| !applied.contains(v))
        .cloned()
        .collect();
    let unknown = applied
        .iter()
        .filter(|v| !known.contains(v))
        .map(|version| UnknownMigration {
            oldest_compatible: lookup(version),
            version: version.clone(),
        })
        .collect();
    SchemaStatus {
        backend,
        binary_newest: known.last().cloned().unwrap_or_default(),
        database_newest: applied.last().cloned(),
        pending,
        unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(oldest: Option<&str>) -> SchemaStatus {
        SchemaStatus {
            backend: "SQLite",
            binary_newest: "20261207000018".into(),
            database_newest: Some("20270101000019".into()),
            pending: Vec::new(),
            unknown: vec![UnknownMigration {
                version: "20270101000019".into(),
                oldest_compatible: oldest.map(str::to_owned),
            }],
        }
    }

    #[test]
    fn only_a_well_formed_version_at_or_below_ours_is_accepted() {
        assert!(status(Some("20261207000018")).compatible());
        assert!(status(Some("20261206000017")).compatible());
        for refused in [
            None,
            Some("20270101000019"),
            Some(""),
            Some("2026-12-08-000019"),
            Some("2026120700001"),
            Some(" 20261206000017"),
        ] {
            let status = status(refused);
            assert!(!status.compatible(), "{refused:?}");
            assert!(status.refusal().contains("20261207000018"));
        }
    }
}
