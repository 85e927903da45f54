//! The cross-instance change protocol, both halves: writers announce that a client changed
//! (`notify_changed`, inside the change's transaction) and every instance watches for such
//! announcements (`watch`), handing them to a `ChangeListener` (the client caches above).
//!
//! - Postgres: every client write runs `pg_notify('orgauth_client_changed', id)` in its
//!   transaction; a dedicated connection `LISTEN`s and is polled every `POLL` interval. When the
//!   listener connection is lost, whatever was missed is unknown, so the listener hears
//!   `Unknown` on reconnect.
//! - SQLite (instances sharing a file on one host): `PRAGMA data_version` on a dedicated
//!   connection changes whenever another connection commits: `Unknown` too.
//!
//! The watching thread ends when the listener it serves is gone.

use std::sync::Weak;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};

use crate::store::{self, DatabaseUrl, DbConnection};

/// What a watcher hears.
pub enum Change<'a> {
    /// This client changed.
    Client(&'a str),
    /// Anything may have changed (a change was missed, or the backend cannot say which).
    Unknown,
    /// Whether changes are being heard at all: while not, nothing may be served from memory.
    Watching(bool),
}

/// The side that consumes changes: the caches above the store.
pub trait ChangeListener: Send + Sync {
    fn changed(&self, change: Change<'_>);
}

const CHANNEL: &str = "orgauth_client_changed";
/// How often the watcher looks; other instances see a change within about this long.
const POLL: Duration = Duration::from_millis(100);
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Tells other orgauth instances that the client changed (Postgres `NOTIFY`, delivered when
/// the surrounding transaction commits). SQLite instances watch `data_version` instead.
pub fn notify_changed(conn: &mut DbConnection, client_id: &str) -> diesel::QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(CHANNEL)
            .bind::<diesel::sql_types::Text, _>(client_id)
            .execute(pg)?;
    }
    Ok(())
}

/// Watches for changes on a thread of its own, for as long as `listener` lives.
pub fn watch(url: DatabaseUrl, listener: Weak<dyn ChangeListener>) {
    let cache = listener;
    let spawned = std::thread::Builder::new()
        .name("client-change-watch".into())
        .spawn(move || match url {
            DatabaseUrl::Postgres(url) => watch_postgres(&url, &cache),
            DatabaseUrl::Sqlite(_) => watch_sqlite(&url, &cache),
        });
    if let Err(e) = spawned {
        log::error!("cannot start the client change watcher: {e}");
    }
}

/// How the listener shows up in `pg_stat_activity`.
pub const LISTENER_APPLICATION_NAME: &str = "orgauth-change-listener";

fn watch_postgres(url: &str, cache: &Weak<dyn ChangeListener>) {
    let separator = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{separator}application_name={LISTENER_APPLICATION_NAME}");
    store::init_tls();
    while cache.strong_count() > 0 {
        let mut conn = match PgConnection::establish(&url)
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                c.batch_execute(&format!("LISTEN {CHANNEL}"))
                    .map(|()| c)
                    .map_err(|e| e.to_string())
            }) {
            Ok(conn) => conn,
            Err(e) => {
                log::warn!("client change listener cannot connect (will retry): {e}");
                std::thread::sleep(RECONNECT_DELAY);
                continue;
            }
        };
        // Changes made while no one listened are unknown: start from an empty cache.
        let Some(live) = cache.upgrade() else { return };
        live.changed(Change::Watching(true));
        drop(live);
        loop {
            std::thread::sleep(POLL);
            let Some(live) = cache.upgrade() else { return };
            if let Err(e) = conn.batch_execute("SELECT 1") {
                log::warn!("client change listener lost its connection (reconnecting): {e}");
                live.changed(Change::Watching(false));
                break;
            }
            for notification in conn.notifications_iter() {
                match notification {
                    Ok(n) => live.changed(Change::Client(&n.payload)),
                    Err(_) => live.changed(Change::Unknown),
                }
            }
        }
    }
}

#[derive(QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    data_version: i64,
}

fn watch_sqlite(url: &DatabaseUrl, cache: &Weak<dyn ChangeListener>) {
    let mut conn: Option<DbConnection> = None;
    let mut seen: Option<i64> = None;
    while let Some(live) = cache.upgrade() {
        if conn.is_none() {
            conn = store::connect_existing(url).ok();
        }
        let version = conn.as_mut().and_then(|c| {
            diesel::sql_query("PRAGMA data_version")
                .get_result::<DataVersion>(c)
                .ok()
        });
        match version {
            Some(v) if seen != Some(v.data_version) => {
                if seen.is_some() {
                    live.changed(Change::Unknown);
                } else {
                    live.changed(Change::Watching(true));
                }
                seen = Some(v.data_version);
            }
            Some(_) => {}
            None => {
                conn = None;
                if seen.take().is_some() {
                    live.changed(Change::Watching(false));
                }
            }
        }
        drop(live);
        std::thread::sleep(POLL);
    }
}
