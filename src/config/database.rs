//! The store: which database, how many connections, how long a query may wait, and how stale
//! memory may be before it is not trusted.

use super::setting::{Setting, millis, number};
use crate::store::DatabaseUrl;

pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "DATABASE_URL",
        secret: true,
        read: |config, value| {
            if let Some(url) = value {
                config.database_url = DatabaseUrl::parse_setting(&url)
                    .map_err(|accepted| super::ConfigError(format!("DATABASE_URL: {accepted}")))?;
            }
            Ok(())
        },
        show: |config| match &config.database_url {
            DatabaseUrl::Postgres(url) => redact_password(url),
            DatabaseUrl::Sqlite(path) => path.clone(),
        },
    },
    number!("ORGAUTH_DB_POOL_SIZE", pool_size, 1, 1000),
    millis!("ORGAUTH_DB_TIMEOUT_MS", db_timeout, 1, 600_000),
    millis!("ORGAUTH_MAX_STALENESS_MS", max_staleness, 1, 600_000),
];

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`; also hides a
/// `password=` query parameter.
fn redact_password(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        out = format!("{scheme}://{user}:***@{host}");
    }
    if let Some(at) = out.find("password=") {
        let end = out[at..].find('&').map_or(out.len(), |e| at + e);
        out.replace_range(at + "password=".len()..end, "***");
    }
    out
}
