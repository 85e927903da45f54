//! Prometheus metrics, registered once per process and rendered by `GET /metrics` with the
//! `prometheus` crate's text encoder. Updating one is an atomic add: cheap on the hot path.

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
}

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
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
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
        for collector in [
            Box::new(job_runs.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(token_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(request_duration.clone()),
            Box::new(secret_verifications.clone()),
            Box::new(admin_requests.clone()),
            Box::new(http_requests.clone()),
            Box::new(build_info),
            Box::new(signing_key_age.clone()),
            Box::new(change_confirmation_age.clone()),
            Box::new(prometheus::process_collector::ProcessCollector::for_self()),
            Box::new(pool_connections.clone()),
            Box::new(pool_idle_connections.clone()),
            Box::new(pool_wait.clone()),
            Box::new(client_secrets_expiring.clone()),
        ] {
            registry.register(collector).expect("metrics register once");
        }
        Self {
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
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding to a Vec cannot fail");
        out
    }
}

pub fn observe_pool_wait(waited: Duration) {
    METRICS.pool_wait.observe(waited.as_secs_f64());
}
