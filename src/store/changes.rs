//! The cross-instance change protocol, both halves: writers record that a client changed
//! (`record_change`, inside the change's transaction) and every instance watches for such
//! records (`watch`), handing them to a `ChangeListener` (the client caches above).
//!
//! Recording bumps the single `change_version` row and appends `(version, subject)` to
//! `change_log`. The version row stays locked until the writer commits, so versions become
//! visible in order and without gaps. Watching polls the version every `POLL` (one
//! primary-key read) and, when it moved, reads the records after the last one it applied. It
//! depends on no notification mechanism, so it works the same through failovers, poolers in
//! transaction mode and read-your-writes replicas, on Postgres and on a SQLite file shared by
//! instances on one host.
//!
//! After every successful poll the listener hears `Confirmed(t)`: everything committed before
//! `t` (the moment the poll started) has been delivered. The caches serve from memory only
//! while that confirmation is recent (fail closed): a watcher that cannot reach the database
//! makes them go to the database, which then answers or fails visibly, never stale.
//!
//! The watching thread ends when the listener it serves is gone.

use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{change_log, change_version};
use super::{DatabaseUrl, DbConnection};

/// What a watcher hears.
#[derive(Clone, Copy)]
pub enum Change<'a> {
    /// This client changed.
    Client(&'a str),
    /// Anything may have changed (first contact, or records were missed or pruned).
    Unknown,
    /// Every change committed before this instant has been delivered.
    Confirmed(Instant),
}

/// The side that consumes changes: the caches above the store.
pub trait ChangeListener: Send + Sync {
    fn changed(&self, change: Change<'_>);
}

/// When a listener last heard `Confirmed`, and whether that is recent enough for what it
/// keeps in memory to be trusted (fail closed: never confirmed is never fresh).
pub struct Freshness {
    /// Nanoseconds after `started` of the latest confirmation (0: never).
    confirmed: AtomicU64,
    started: Instant,
    max_staleness: Duration,
}

impl Freshness {
    pub fn new(max_staleness: Duration) -> Self {
        Self {
            confirmed: AtomicU64::new(0),
            started: Instant::now(),
            max_staleness,
        }
    }

    /// Every change committed before `at` has been applied.
    pub fn confirm(&self, at: Instant) {
        let nanos = at.saturating_duration_since(self.started).as_nanos();
        let nanos = u64::try_from(nanos).unwrap_or(u64::MAX).max(1);
        self.confirmed.fetch_max(nanos, Ordering::SeqCst);
    }

    /// How long ago the latest confirmation was (`None`: never confirmed).
    pub fn age(&self) -> Option<Duration> {
        let confirmed = self.confirmed.load(Ordering::SeqCst);
        (confirmed != 0).then(|| {
            self.started
                .elapsed()
                .saturating_sub(Duration::from_nanos(confirmed))
        })
    }

    pub fn is_fresh(&self) -> bool {
        let confirmed = self.confirmed.load(Ordering::SeqCst);
        confirmed != 0
            && self.started.elapsed().as_nanos()
                <= u128::from(confirmed) + self.max_staleness.as_nanos()
    }
}

/// Hands every change to several listeners (the client records, the signing keys).
pub struct Fanout(pub Vec<std::sync::Arc<dyn ChangeListener>>);

impl ChangeListener for Fanout {
    fn changed(&self, change: Change<'_>) {
        for listener in &self.0 {
            listener.changed(change);
        }
    }
}

/// How often the watcher polls; other instances see a change within about this long.
pub const POLL: Duration = Duration::from_millis(100);
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// How the watcher shows up in `pg_stat_activity`.
pub const WATCHER_APPLICATION_NAME: &str = "orgauth-change-watcher";

/// Records that `subject` (a client ID) changed. Call inside the change's transaction.
pub fn record_change(conn: &mut DbConnection, subject: &str) -> QueryResult<()> {
    diesel::update(change_version::table.find(1))
        .set(change_version::version.eq(change_version::version + 1))
        .execute(conn)?;
    let version: i64 = change_version::table
        .find(1)
        .select(change_version::version)
        .first(conn)?;
    diesel::insert_into(change_log::table)
        .values((
            change_log::version.eq(version),
            change_log::subject.eq(subject),
            change_log::changed_at.eq(super::now()),
        ))
        .execute(conn)?;
    // For instances of the previous release during a rolling upgrade, which still LISTEN on
    // this channel (remove once no such instance can be running).
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_notify('orgauth_client_changed', $1)")
            .bind::<diesel::sql_types::Text, _>(subject)
            .execute(pg)?;
    }
    Ok(())
}

/// Drops records older than `before`: a watcher that far behind starts over (`Unknown`).
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(change_log::table.filter(change_log::changed_at.lt(before))).execute(conn)
}

fn current_version(conn: &mut DbConnection) -> QueryResult<i64> {
    change_version::table
        .find(1)
        .select(change_version::version)
        .first(conn)
}

/// The records after `seen`, up to `upto`, oldest first.
fn records_after(conn: &mut DbConnection, seen: i64, upto: i64) -> QueryResult<Vec<(i64, String)>> {
    change_log::table
        .filter(change_log::version.gt(seen))
        .filter(change_log::version.le(upto))
        .select((change_log::version, change_log::subject))
        .order(change_log::version.asc())
        .load(conn)
}

/// Watches for changes on a thread of its own, for as long as `listener` lives.
pub fn watch(url: DatabaseUrl, timeout: Duration, listener: Weak<dyn ChangeListener>) {
    let url = match url {
        DatabaseUrl::Postgres(url) => {
            let separator = if url.contains('?') { '&' } else { '?' };
            DatabaseUrl::Postgres(format!(
                "{url}{separator}application_name={WATCHER_APPLICATION_NAME}"
            ))
        }
        sqlite => sqlite,
    };
    let spawned = std::thread::Builder::new()
        .name("change-watcher".into())
        .spawn(move || run_watcher(&url, timeout, &listener));
    if let Err(e) = spawned {
        log::error!("cannot start the change watcher: {e}");
    }
}

fn run_watcher(url: &DatabaseUrl, timeout: Duration, listener: &Weak<dyn ChangeListener>) {
    let mut conn: Option<DbConnection> = None;
    let mut seen: Option<i64> = None;
    let mut warned = false;
    while let Some(live) = listener.upgrade() {
        if conn.is_none() {
            match super::connect_existing(url, timeout) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    if !std::mem::replace(&mut warned, true) {
                        log::warn!("change watcher cannot connect (will retry): {e}");
                    }
                    drop(live);
                    std::thread::sleep(RECONNECT_DELAY);
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let started = Instant::now();
        match poll(c, seen, &*live) {
            Ok(version) => {
                seen = Some(version);
                warned = false;
                live.changed(Change::Confirmed(started));
            }
            Err(e) => {
                if !std::mem::replace(&mut warned, true) {
                    log::warn!("change watcher lost the database (reconnecting): {e}");
                }
                conn = None;
                // The database behind the next connection may be another one (a promoted
                // standby that lost the last commits and reused their versions): start over.
                seen = None;
            }
        }
        drop(live);
        std::thread::sleep(POLL);
    }
}

/// One poll: delivers what changed since `seen`; returns the version now applied.
fn poll(
    conn: &mut DbConnection,
    seen: Option<i64>,
    listener: &dyn ChangeListener,
) -> QueryResult<i64> {
    let version = current_version(conn)?;
    match seen {
        Some(seen) if version == seen => {}
        Some(seen) if version > seen => {
            let records = records_after(conn, seen, version)?;
            let complete = records.len() as i64 == version - seen
                && records.first().is_some_and(|(v, _)| *v == seen + 1);
            if complete {
                for (_, subject) in &records {
                    listener.changed(Change::Client(subject));
                }
            } else {
                listener.changed(Change::Unknown);
            }
        }
        // First contact, or a database that went back in time (restored): start over.
        _ => listener.changed(Change::Unknown),
    }
    Ok(version)
}
