//! Prometheus metrics, registered once per process and rendered by `GET /metrics` with the
//! `prometheus` crate's text encoder. Updating one is an atomic add: cheap on the hot path.
//! orgauth's own are prefixed `orgauth_`; the process's are the standard unprefixed
//! `process_*` (CPU seconds fractional, read from `/proc` at each scrape). Every labelled
//! series an alert may watch exists from the start at 0, so `rate()` and `absent()` work
//! before the first event.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    /// `/oauth/token` requests by outcome: issued, invalid_client, invalid_scope,
    /// invalid_request, invalid_target, unsupported_grant_type, rate_limited, unavailable.
    pub token_requests: IntCounterVec,
    /// Request latency by route pattern.
    pub request_duration: HistogramVec,
    /// Client secret checks that needed argon2 vs those answered by the verified cache.
    pub secret_verifications: IntCounterVec,
    pub admin_requests: IntCounterVec,
    /// Every HTTP request by method (bounded), route pattern and status class (2xx…5xx).
    pub http_requests: IntCounterVec,
    /// Seconds since the key that signs now was created.
    pub signing_key_age: prometheus::Gauge,
    /// Seconds since the change watcher last confirmed that no change made through another
    /// instance was missed (-1: never); past `ORGAUTH_MAX_STALENESS_MS` the caches are bypassed.
    pub change_confirmation_age: prometheus::Gauge,
    pub pool_connections: IntGauge,
    pub pool_idle_connections: IntGauge,
    pub pool_wait: Histogram,
    /// Client secrets by when they expire: `expired`, within `7d`, within `30d` (the 30 days
    /// include the 7); counted at each maintenance pass.
    pub client_secrets_expiring: IntGaugeVec,
    /// Background job runs by job name (`jobs.rs`) and outcome (`ok`, `failed`).
    pub job_runs: IntCounterVec,
    /// Secret checks waiting for an argon2 slot now.
    pub argon2_waiting: IntGauge,
    /// Secret checks refused because no argon2 slot freed up in time (answered 503).
    pub argon2_overloaded: prometheus::IntCounter,
    /// Attempts refused by the brute-force limiter, by what tripped: `failures` (the window
    /// after failures) or `in_flight` (attempts running now fill the limit).
    pub rate_limited: IntCounterVec,
    /// Answers held back by the tarpit now, and connections closed because it was full.
    pub tarpit_held: IntGauge,
    pub tarpit_closed: prometheus::IntCounter,
    /// Fetches of remote documents (JWKS, discovery, IdP exchanges) by outcome: `ok`,
    /// `failed`, `refused` (an address or URL the rules forbid), `busy` (too many at once).
    pub remote_fetches: IntCounterVec,
    pub remote_fetch_duration: Histogram,
    /// 1 when the database answered the last readiness check (`/readyz`, and each scrape).
    pub ready: IntGauge,
    /// The standard process metrics (unprefixed).
    process_registry: Registry,
}

/// The outcomes `token_requests` counts (all present from the start).
pub const TOKEN_OUTCOMES: &[&str] = &[
    "issued",
    "invalid_client",
    "invalid_scope",
    "invalid_request",
    "invalid_target",
    "unsupported_grant_type",
    "rate_limited",
    "unavailable",
];

/// Routes whose request series exist from the start, with every status class.
const WATCHED_ROUTES: &[(&str, &str)] = &[
    ("POST", "/oauth/token"),
    ("POST", "/oauth/introspect"),
    ("POST", "/oauth/revoke"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/statuslists/{id}"),
];

pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Metrics {
    fn new() -> Self {
        let registry =
            Registry::new_custom(Some("orgauth".into()), None).expect("a valid metrics prefix");
        let token_requests = IntCounterVec::new(
            Opts::new("token_requests_total", "Token requests by outcome"),
            &["outcome"],
        )
        .expect("valid metric");
        let request_duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route",
            )
            // Past the database timeout (5 s by default, up to 600 s): a request that waited
            // for it lands in a bucket of its own, not in +Inf with everything slower.
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0, 30.0, 60.0,
            ]),
            &["method", "route"],
        )
        .expect("valid metric");
        let secret_verifications = IntCounterVec::new(
            Opts::new(
                "secret_verifications_total",
                "Client secret checks by path (argon2 or cache)",
            ),
            &["path"],
        )
        .expect("valid metric");
        let admin_requests = IntCounterVec::new(
            Opts::new("admin_requests_total", "Admin API requests by status"),
            &["status"],
        )
        .expect("valid metric");
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status class",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let build_info = IntGauge::with_opts(
            Opts::new("build_info", "The running build (value 1)")
                .const_label("version", env!("CARGO_PKG_VERSION")),
        )
        .expect("valid metric");
        build_info.set(1);
        let signing_key_age = prometheus::Gauge::new(
            "signing_key_age_seconds",
            "Seconds since the key that signs now was created",
        )
        .expect("valid metric");
        let change_confirmation_age = prometheus::Gauge::new(
            "change_confirmation_age_seconds",
            "Seconds since this instance last confirmed it had every change (-1: never)",
        )
        .expect("valid metric");
        let pool_connections =
            IntGauge::new("db_pool_connections", "Open database connections").expect("valid");
        let pool_idle_connections =
            IntGauge::new("db_pool_idle_connections", "Idle database connections").expect("valid");
        let pool_wait = Histogram::with_opts(
            HistogramOpts::new(
                "db_pool_wait_seconds",
                "Time spent waiting for a database connection",
            )
            .buckets(vec![0.00001, 0.0001, 0.001, 0.01, 0.1, 1.0, 5.0]),
        )
        .expect("valid metric");
        let client_secrets_expiring = IntGaugeVec::new(
            Opts::new(
                "client_secrets_expiring",
                "Client secrets that have expired or expire within 7 or 30 days",
            ),
            &["within"],
        )
        .expect("valid metric");
        let job_runs = IntCounterVec::new(
            Opts::new("job_runs_total", "Background job runs by job and outcome"),
            &["job", "outcome"],
        )
        .expect("valid metric");
        let ready = IntGauge::new(
            "ready",
            "1 when the database answered the last readiness check (each scrape checks)",
        )
        .expect("valid metric");
        let argon2_waiting =
            IntGauge::new("argon2_waiting", "Secret checks waiting for an argon2 slot")
                .expect("valid metric");
        let argon2_overloaded = prometheus::IntCounter::new(
            "argon2_overloaded_total",
            "Secret checks refused because no argon2 slot freed up in time",
        )
        .expect("valid metric");
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "rate_limited_total",
                "Attempts refused by the brute-force limiter, by reason",
            ),
            &["reason"],
        )
        .expect("valid metric");
        let tarpit_held =
            IntGauge::new("tarpit_held", "Refused answers held back now").expect("valid metric");
        let tarpit_closed = prometheus::IntCounter::new(
            "tarpit_closed_total",
            "Refused answers sent at once with Connection: close because the tarpit was full",
        )
        .expect("valid metric");
        let remote_fetches = IntCounterVec::new(
            Opts::new(
                "remote_fetches_total",
                "Fetches of remote JWKS, discovery documents and IdP exchanges by outcome",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        let remote_fetch_duration = Histogram::with_opts(
            HistogramOpts::new("remote_fetch_duration_seconds", "Remote fetch latency")
                .buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
        )
        .expect("valid metric");
        // Every series an alert may watch, at 0 from the start.
        for outcome in TOKEN_OUTCOMES {
            token_requests.with_label_values(&[outcome]);
        }
        for path in ["argon2", "cache"] {
            secret_verifications.with_label_values(&[path]);
        }
        for (method, route) in WATCHED_ROUTES {
            for class in ["2xx", "4xx", "5xx"] {
                http_requests.with_label_values(&[method, route, class]);
            }
        }
        for status in ["200", "401", "403", "500", "503"] {
            admin_requests.with_label_values(&[status]);
        }
        for job in [
            "preload",
            "last_used_flush",
            "key_maintenance",
            "pruning",
            "secret_expiry_gauge",
            "status_lists",
        ] {
            for outcome in ["ok", "failed"] {
                job_runs.with_label_values(&[job, outcome]);
            }
        }
        for within in ["expired", "7d", "30d"] {
            client_secrets_expiring.with_label_values(&[within]);
        }
        for reason in ["failures", "in_flight"] {
            rate_limited.with_label_values(&[reason]);
        }
        for outcome in ["ok", "failed", "refused", "busy"] {
            remote_fetches.with_label_values(&[outcome]);
        }
        for collector in [
            Box::new(job_runs.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(ready.clone()),
            Box::new(argon2_waiting.clone()),
            Box::new(argon2_overloaded.clone()),
            Box::new(rate_limited.clone()),
            Box::new(tarpit_held.clone()),
            Box::new(tarpit_closed.clone()),
            Box::new(remote_fetches.clone()),
            Box::new(remote_fetch_duration.clone()),
            Box::new(token_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(request_duration.clone()),
            Box::new(secret_verifications.clone()),
            Box::new(admin_requests.clone()),
            Box::new(http_requests.clone()),
            Box::new(build_info),
            Box::new(signing_key_age.clone()),
            Box::new(change_confirmation_age.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_idle_connections.clone()),
            Box::new(pool_wait.clone()),
            Box::new(client_secrets_expiring.clone()),
        ] {
            registry.register(collector).expect("metrics register once");
        }
        let process_registry = Registry::new();
        process_registry
            .register(Box::new(ProcessCollector::new()))
            .expect("process metrics register once");
        Self {
            process_registry,
            ready,
            argon2_waiting,
            argon2_overloaded,
            rate_limited,
            tarpit_held,
            tarpit_closed,
            remote_fetches,
            remote_fetch_duration,
            registry,
            token_requests,
            request_duration,
            secret_verifications,
            admin_requests,
            http_requests,
            signing_key_age,
            change_confirmation_age,
            pool_connections,
            pool_idle_connections,
            pool_wait,
            client_secrets_expiring,
            job_runs,
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(
                &[self.process_registry.gather(), self.registry.gather()].concat(),
                &mut out,
            )
            .expect("text encoding to a Vec cannot fail");
        out
    }
}

pub fn observe_pool_wait(waited: Duration) {
    METRICS.pool_wait.observe(waited.as_secs_f64());
}

/// The standard process metrics, read from `/proc/self` at each scrape: CPU seconds with
/// their fraction (`prometheus`'s own collector counts whole seconds), memory, file
/// descriptors, threads and the start time.
struct ProcessCollector {
    cpu: prometheus::Counter,
    resident: IntGauge,
    virtual_memory: IntGauge,
    open_fds: IntGauge,
    max_fds: IntGauge,
    threads: IntGauge,
    start_time: prometheus::Gauge,
    descs: Vec<prometheus::core::Desc>,
}

impl ProcessCollector {
    fn new() -> Self {
        let cpu = prometheus::Counter::new(
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
        )
        .expect("valid metric");
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("valid metric");
        let start_time = prometheus::Gauge::new(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
        )
        .expect("valid metric");
        if let (Ok(boot), Ok(stat)) = (
            procfs::boot_time_secs(),
            procfs::process::Process::myself().and_then(|p| p.stat()),
        ) {
            start_time.set(boot as f64 + stat.starttime as f64 / ticks_per_second());
        }
        let collector = Self {
            cpu,
            resident: gauge(
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
            ),
            virtual_memory: gauge(
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
            ),
            open_fds: gauge("process_open_fds", "Number of open file descriptors."),
            max_fds: gauge(
                "process_max_fds",
                "Maximum number of open file descriptors.",
            ),
            threads: gauge("process_threads", "Number of OS threads in the process."),
            start_time,
            descs: Vec::new(),
        };
        let descs = collector
            .parts()
            .iter()
            .flat_map(|c| c.desc())
            .cloned()
            .collect();
        Self { descs, ..collector }
    }

    fn parts(&self) -> [&dyn prometheus::core::Collector; 7] {
        [
            &self.cpu,
            &self.resident,
            &self.virtual_memory,
            &self.open_fds,
            &self.max_fds,
            &self.threads,
            &self.start_time,
        ]
    }
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a system constant.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).max(1) as f64
}

impl prometheus::core::Collector for ProcessCollector {
    fn desc(&self) -> Vec<&prometheus::core::Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<prometheus::proto::MetricFamily> {
        let Ok(me) = procfs::process::Process::myself() else {
            return Vec::new();
        };
        if let Ok(stat) = me.stat() {
            let total = (stat.utime + stat.stime) as f64 / ticks_per_second();
            let delta = total - self.cpu.get();
            if delta > 0.0 {
                self.cpu.inc_by(delta);
            }
            self.resident
                .set(i64::try_from(stat.rss).unwrap_or(i64::MAX) * procfs::page_size() as i64);
            self.virtual_memory
                .set(i64::try_from(stat.vsize).unwrap_or(i64::MAX));
            self.threads.set(stat.num_threads);
        }
        if let Ok(count) = me.fd_count() {
            self.open_fds.set(count as i64);
        }
        if let Ok(limits) = me.limits()
            && let procfs::process::LimitValue::Value(max) = limits.max_open_files.soft_limit
        {
            self.max_fds.set(i64::try_from(max).unwrap_or(i64::MAX));
        }
        self.parts().iter().flat_map(|c| c.collect()).collect()
    }
}
