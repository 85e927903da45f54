//! What one caller may cost: argon2's cost and concurrency, the failure limiter, the tarpit
//! for rate-limited answers, and how often `last_used_at` is written.

use std::time::Duration;

use super::setting::{DAY, Setting, millis, number, seconds};

#[derive(Clone)]
pub struct Argon2Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// Failed authentications allowed per window (`client_auth`'s limiter).
#[derive(Clone, Debug)]
pub struct LimiterSettings {
    /// Failures of one client ID from one address.
    pub max_failures_per_client: u32,
    /// Failures from one address, whatever the client ID.
    pub max_failures_per_address: u32,
    pub window: Duration,
}

/// How rate-limited answers are held back (`http::oauth::tarpit`).
#[derive(Clone, Debug)]
pub struct TarpitSettings {
    /// How long a rate-limited answer is held (0: not at all).
    pub delay: Duration,
    /// How many answers may be held at once.
    pub max_held: usize,
}

pub const SETTINGS: &[Setting] = &[
    number!("ORGAUTH_ARGON2_MEMORY_KIB", argon2.memory_kib, 8, 4 << 20),
    number!("ORGAUTH_ARGON2_ITERATIONS", argon2.iterations, 1, 100),
    number!("ORGAUTH_ARGON2_PARALLELISM", argon2.parallelism, 1, 64),
    number!("ORGAUTH_ARGON2_CONCURRENCY", argon2_concurrency, 1, 1024),
    millis!(
        "ORGAUTH_ARGON2_QUEUE_TIMEOUT_MS",
        argon2_queue_timeout,
        1,
        60_000
    ),
    number!(
        "ORGAUTH_MAX_AUTH_FAILURES_PER_CLIENT",
        limiter.max_failures_per_client,
        1,
        1_000_000
    ),
    number!(
        "ORGAUTH_MAX_AUTH_FAILURES_PER_ADDRESS",
        limiter.max_failures_per_address,
        1,
        1_000_000
    ),
    seconds!(
        "ORGAUTH_AUTH_FAILURE_WINDOW_SECONDS",
        limiter.window,
        1,
        DAY
    ),
    millis!("ORGAUTH_RATE_LIMIT_DELAY_MS", tarpit.delay, 0, 60_000),
    number!("ORGAUTH_RATE_LIMIT_MAX_HELD", tarpit.max_held, 1, 100_000),
    seconds!("ORGAUTH_LAST_USED_FLUSH_SECONDS", last_used_flush, 1, DAY),
];
