//! Background work, as named jobs: each run is logged (at DEBUG, failures at WARN) and counted
//! by its name in `orgauth_job_runs_total{job, outcome}`. The schedule is one loop
//! (`run_schedule`): first uses every second, the rest every `ORGAUTH_LAST_USED_FLUSH_SECONDS`.

use std::time::Duration;

use actix_web::web;

use crate::http::AppState;
use crate::last_used::Flush;
use crate::metrics::METRICS;
use crate::service::signing_keys;
use crate::store::{self, StoreError};

/// How many of the most recently used clients a starting instance loads in one query.
const PRELOAD_CLIENTS: usize = 20_000;

/// A job's name, as logs and metrics show it.
#[derive(Debug, Clone, Copy)]
pub enum Job {
    /// Loads the most recently used clients' records after a start.
    Preload,
    /// Writes `last_used_at` times: first uses every second, all of them every period.
    LastUsedFlush,
    /// Rotates the signing key when due and retires keys no unexpired token can carry.
    KeyMaintenance,
    /// Drops expired revocations, assertion records and old change records.
    Pruning,
    /// Counts client secrets that have expired or expire soon (a gauge).
    SecretExpiryGauge,
    /// Writes the status list runs of tokens issued here, and rebuilds the lists served.
    StatusLists,
}

impl Job {
    pub fn name(self) -> &'static str {
        match self {
            Self::Preload => "preload",
            Self::LastUsedFlush => "last_used_flush",
            Self::KeyMaintenance => "key_maintenance",
            Self::Pruning => "pruning",
            Self::SecretExpiryGauge => "secret_expiry_gauge",
            Self::StatusLists => "status_lists",
        }
    }

    /// Records one run's outcome: counted, and a failure logged (the job retries next time).
    fn finished<E: std::fmt::Display>(self, outcome: Result<(), E>) {
        let name = self.name();
        match outcome {
            Ok(()) => {
                log::debug!(job = name; "job {name} ran");
                METRICS.job_runs.with_label_values(&[name, "ok"]).inc();
            }
            Err(e) => {
                log::warn!(job = name; "job {name} failed (will retry): {e}");
                METRICS.job_runs.with_label_values(&[name, "failed"]).inc();
            }
        }
    }
}

/// Loads the records of the most recently used clients once the change watcher confirms this
/// instance is current: after a restart the returning fleet then costs one argon2 check per
/// client and no database round trip.
pub async fn preload(state: web::Data<AppState>) {
    let preloaded = state
        .authenticator
        .preload(PRELOAD_CLIENTS, Duration::from_secs(5))
        .await;
    Job::Preload.finished(preloaded.map(|used| {
        log::debug!("preloaded the records of {} used clients", used.len());
        // Their next use is not a first use: no urgent last_used_at write.
        state.last_used.already_recorded(used);
    }));
}

/// Runs the periodic jobs until aborted: every second the first-use flush; every `every` the
/// full flush, key maintenance, the secret-expiry gauge and pruning.
pub async fn run_schedule(state: web::Data<AppState>, every: Duration) {
    let tick = every.min(Duration::from_secs(1));
    let mut ticks = tokio::time::interval(tick);
    ticks.tick().await;
    let mut last_full = tokio::time::Instant::now();
    loop {
        ticks.tick().await;
        if last_full.elapsed() >= every {
            last_full = tokio::time::Instant::now();
            flush_last_used(&state, Flush::All).await;
            maintain_keys(&state).await;
            gauge_secret_expiry(&state).await;
            prune(&state).await;
        } else {
            flush_last_used(&state, Flush::IfFirstUse).await;
        }
    }
}

/// The status lists' loops, until aborted: every 200 ms the runs of the tokens issued here are
/// written (their own task: a slow rebuild never delays them), and every 100 ms the lists are
/// rebuilt when a change was reported, other instances' runs are due or signatures are.
pub async fn maintain_status_lists(state: web::Data<AppState>) {
    let flushing = state.clone();
    let flusher = tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_millis(200));
        loop {
            ticks.tick().await;
            if let Err(e) = flushing.status_lists.flush().await {
                Job::StatusLists.finished(Err(e));
            }
        }
    });
    let _stop_flusher = AbortOnDrop(flusher);
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    loop {
        ticks.tick().await;
        let lists = &state.status_lists;
        let keys = state.issuer.keys();
        if lists.needs_rebuild(&keys.active().kid) {
            let outcome = lists.rebuild(keys).await;
            if outcome.is_err() {
                Job::StatusLists.finished(outcome);
            }
        }
    }
}

/// Aborts a task when dropped (the flusher ends with the loop that started it).
pub struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub async fn flush_last_used(state: &web::Data<AppState>, mode: Flush) {
    let state = state.clone();
    let flushed =
        tokio::task::spawn_blocking(move || state.last_used.flush(&state.pool, mode)).await;
    match flushed {
        Ok(outcome) => Job::LastUsedFlush.finished(outcome.map(drop)),
        Err(e) => Job::LastUsedFlush.finished(Err(e)),
    }
}

async fn maintain_keys(state: &web::Data<AppState>) {
    let maintained = {
        let state = state.clone();
        store::run(&state.pool.clone(), move |conn| {
            signing_keys::maintain(
                conn,
                &state.kek,
                state.keys.alg,
                state.keys.activation_delay,
                state.keys.rotation_interval,
                state.issuer.ttl(),
            )
        })
        .await
    };
    Job::KeyMaintenance.finished(maintained.map(drop));
}

async fn gauge_secret_expiry(state: &web::Data<AppState>) {
    let now = store::now();
    let counted = store::run(&state.pool, move |conn| {
        let day = chrono::TimeDelta::days(1);
        let mut count = |after, until| {
            store::clients::count_secrets_expiring(conn, after, until).map_err(StoreError::Query)
        };
        Ok::<_, StoreError>([
            ("expired", count(None, now)?),
            ("7d", count(Some(now), now + day * 7)?),
            ("30d", count(Some(now), now + day * 30)?),
        ])
    })
    .await;
    Job::SecretExpiryGauge.finished(counted.map(|counts| {
        for (within, n) in counts {
            METRICS
                .client_secrets_expiring
                .with_label_values(&[within])
                .set(n);
        }
    }));
}

/// Revocations of tokens that have expired anyway, client-assertion records past their time,
/// people's ended sessions, lapsed passkey ceremonies and expired invitations, and change
/// records an hour old (a watcher that far behind starts over).
async fn prune(state: &web::Data<AppState>) {
    let now = store::now();
    // Tokens are judged with at most a minute of leeway: older revocations can go.
    state.revoked_tokens.prune(now.and_utc().timestamp() - 60);
    let people = state.people.clone();
    let pruned = store::run(&state.pool, move |conn| {
        store::revocations::prune(conn, now)?;
        store::client_assertions::prune(conn, now)?;
        // Ended sessions, lapsed passkey ceremonies and expired invitations.
        crate::service::people::sessions::prune(conn, &people)?;
        store::status_lists::prune(conn, now)?;
        store::changes::prune(conn, now - chrono::TimeDelta::hours(1))
            .map(drop)
            .map_err(StoreError::Query)
    })
    .await;
    Job::Pruning.finished(pruned);
}
