//! Brute-force protection (RFC 6749 §2.3.1) that cannot be turned into a lockout lever.
//!
//! Failed client authentications are counted per (client ID, source address) and per source
//! address, in a sliding window (the previous fixed window weighted by how much of it still
//! overlaps, plus the current one). Nothing is counted per client ID alone: failures sent from
//! one address never deny the real client its token from another address. Guessing is
//! pointless anyway (secrets carry ≈256 bits); what the limiter protects is CPU, together with
//! the bounded argon2 queue.
//!
//! Attempts in flight count against the limit too, so a concurrent burst cannot slip past it:
//! with a limit of 3, a burst of 30 gets at most 3 attempts. An admitted attempt counts as a
//! failure unless it is marked otherwise, so an attempt that ends early (a timeout waiting for
//! argon2, a dropped connection) cannot keep an address's count at zero.
//!
//! IPv6 callers are counted per /64, the block one subscriber usually holds. The table of
//! counters is bounded: past `MAX_TRACKED` keys, idle ones go, and if that is not enough the
//! history is dropped (the argon2 bound still holds CPU and memory).

use parking_lot::Mutex;

use crate::metrics::METRICS;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use crate::config::LimiterSettings;

struct Counter {
    window_start: Instant,
    current: u32,
    previous: u32,
    in_flight: u32,
}

impl Counter {
    fn new(now: Instant) -> Self {
        Self {
            window_start: now,
            current: 0,
            previous: 0,
            in_flight: 0,
        }
    }

    fn roll(&mut self, now: Instant, window: Duration) {
        let elapsed = now.duration_since(self.window_start);
        if elapsed >= window * 2 {
            self.window_start = now;
            self.current = 0;
            self.previous = 0;
        } else if elapsed >= window {
            self.previous = self.current;
            self.current = 0;
            self.window_start += window;
        }
    }

    fn estimate(&self, now: Instant, window: Duration) -> f64 {
        let into = now.duration_since(self.window_start).as_secs_f64() / window.as_secs_f64();
        f64::from(self.previous) * (1.0 - into).max(0.0) + f64::from(self.current)
    }

    fn idle(&self, now: Instant, window: Duration) -> bool {
        self.in_flight == 0 && now.duration_since(self.window_start) >= window * 2
    }
}

#[derive(Hash, PartialEq, Eq, Clone)]
enum Key {
    ClientAtAddress(String, IpAddr),
    Address(IpAddr),
}

pub struct FailureLimiter {
    settings: LimiterSettings,
    counters: Mutex<HashMap<Key, Counter>>,
}

/// Past this many tracked keys, idle ones are dropped.
const MAX_TRACKED: usize = 100_000;

/// One authentication attempt admitted by the limiter. Dropped as it is, it counts as a
/// failure of the client at this address and of the address.
pub struct Attempt<'a> {
    limiter: &'a FailureLimiter,
    keys: [Key; 2],
    failed: bool,
    /// Whether it counts as in flight (argon2 attempts do; cheap ones do not).
    in_flight: bool,
}

impl Attempt<'_> {
    /// The secret was right.
    pub fn succeeded(mut self) {
        self.failed = false;
    }

    /// Nothing was checked (no argon2 slot was free, the store was down): the attempt says
    /// nothing about the secret.
    pub fn not_checked(mut self) {
        self.failed = false;
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let window = self.limiter.settings.window;
        let now = Instant::now();
        let mut counters = self.limiter.lock();
        for key in &self.keys {
            if self.in_flight
                && let Some(counter) = counters.get_mut(key)
            {
                counter.in_flight = counter.in_flight.saturating_sub(1);
            }
            if self.failed {
                let counter = counters
                    .entry(key.clone())
                    .or_insert_with(|| Counter::new(now));
                counter.roll(now, window);
                counter.current = counter.current.saturating_add(1);
            }
        }
    }
}

impl FailureLimiter {
    pub fn new(settings: LimiterSettings) -> Self {
        Self {
            settings,
            counters: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> parking_lot::MutexGuard<'_, HashMap<Key, Counter>> {
        self.counters.lock()
    }

    /// What an attempt counts against: the client at this address, and the address.
    fn keys_and_limits(&self, client_id: &str, address: Option<IpAddr>) -> ([Key; 2], [u32; 2]) {
        let address = counted_address(address.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
        (
            [
                Key::ClientAtAddress(client_id.to_owned(), address),
                Key::Address(address),
            ],
            [
                self.settings.max_failures_per_client,
                self.settings.max_failures_per_address,
            ],
        )
    }

    /// Admits an attempt, or says how long to wait when the client at this address, or the
    /// address, has failed (or is failing right now) too often: the window after failures, a
    /// second when only attempts in flight fill the limit.
    pub fn begin(&self, client_id: &str, address: Option<IpAddr>) -> Result<Attempt<'_>, Duration> {
        let (keys, limits) = self.keys_and_limits(client_id, address);
        let now = Instant::now();
        let window = self.settings.window;
        let mut counters = self.lock();
        if counters.len() >= MAX_TRACKED {
            counters.retain(|_, c| !c.idle(now, window));
            if counters.len() >= MAX_TRACKED / 2 {
                counters.retain(|_, c| c.in_flight > 0);
            }
        }
        for (key, limit) in keys.iter().zip(limits) {
            if let Some(counter) = counters.get_mut(key) {
                counter.roll(now, window);
                let failures = counter.estimate(now, window);
                if failures >= f64::from(limit) {
                    METRICS.rate_limited.with_label_values(&["failures"]).inc();
                    return Err(window);
                }
                if failures + f64::from(counter.in_flight) >= f64::from(limit) {
                    METRICS.rate_limited.with_label_values(&["in_flight"]).inc();
                    return Err(Duration::from_secs(1));
                }
            }
        }
        for key in &keys {
            let counter = counters
                .entry(key.clone())
                .or_insert_with(|| Counter::new(now));
            counter.in_flight += 1;
        }
        drop(counters);
        Ok(Attempt {
            limiter: self,
            keys,
            failed: true,
            in_flight: true,
        })
    }

    /// Admits a cheap attempt (a signature check, no argon2), refused only once the client at
    /// this address, or the address, has failed too often. Attempts in flight do not count: a
    /// busy client's concurrent requests are not a burst of guesses, and cost no argon2.
    pub fn begin_cheap(
        &self,
        client_id: &str,
        address: Option<IpAddr>,
    ) -> Result<Attempt<'_>, Duration> {
        let (keys, limits) = self.keys_and_limits(client_id, address);
        let now = Instant::now();
        let window = self.settings.window;
        let mut counters = self.lock();
        for (key, limit) in keys.iter().zip(limits) {
            if let Some(counter) = counters.get_mut(key) {
                counter.roll(now, window);
                if counter.estimate(now, window) >= f64::from(limit) {
                    METRICS.rate_limited.with_label_values(&["failures"]).inc();
                    return Err(window);
                }
            }
        }
        drop(counters);
        Ok(Attempt {
            limiter: self,
            keys,
            failed: true,
            in_flight: false,
        })
    }
}

/// IPv6 addresses count per /64; IPv4-mapped IPv6 addresses as the IPv4 address.
pub fn counted_address(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(
                u128::from(v6) & !((1u128 << 64) - 1),
            )),
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_client: u32, per_address: u32) -> FailureLimiter {
        FailureLimiter::new(LimiterSettings {
            max_failures_per_client: per_client,
            max_failures_per_address: per_address,
            window: Duration::from_secs(60),
        })
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn trips_per_client_and_address_after_the_limit() {
        let l = limiter(3, 100);
        for _ in 0..3 {
            drop(l.begin("a", ip("10.0.0.1")).unwrap());
        }
        assert!(l.begin("a", ip("10.0.0.1")).is_err());
        assert!(l.begin("b", ip("10.0.0.1")).is_ok(), "another client");
        assert!(
            l.begin("a", ip("10.0.0.9")).is_ok(),
            "the same client from another address is never locked out"
        );
    }

    #[test]
    fn cheap_attempts_in_flight_do_not_count_but_their_failures_do() {
        let l = limiter(3, 100);
        let admitted: Vec<_> = (0..30)
            .filter_map(|_| l.begin_cheap("a", ip("10.0.0.5")).ok())
            .collect();
        assert_eq!(admitted.len(), 30, "a busy client's concurrent assertions");
        assert!(
            l.begin("b", ip("10.0.0.5")).is_ok(),
            "nor do they fill the address for argon2 attempts"
        );
        for attempt in admitted.into_iter().skip(27) {
            attempt.succeeded();
        }
        // 27 were dropped unmarked: failures.
        assert!(l.begin_cheap("a", ip("10.0.0.5")).is_err());
        assert!(
            l.begin("a", ip("10.0.0.5")).is_err(),
            "one count for both kinds"
        );
    }

    #[test]
    fn trips_per_address_across_client_ids() {
        let l = limiter(100, 5);
        for i in 0..5 {
            drop(l.begin(&format!("client-{i}"), ip("10.0.0.2")).unwrap());
        }
        assert!(l.begin("fresh", ip("10.0.0.2")).is_err());
        assert!(l.begin("fresh", ip("10.0.0.3")).is_ok());
    }

    #[test]
    fn attempts_in_flight_count_against_the_limit() {
        let l = limiter(3, 100);
        let admitted: Vec<_> = (0..30)
            .filter_map(|_| l.begin("a", ip("10.0.0.4")).ok())
            .collect();
        assert_eq!(admitted.len(), 3);
        assert_eq!(
            l.begin("a", ip("10.0.0.4")).err(),
            Some(Duration::from_secs(1)),
            "full of attempts in flight, not of failures: retry in a second"
        );
        for attempt in admitted {
            attempt.succeeded();
        }
        assert!(l.begin("a", ip("10.0.0.4")).is_ok(), "room again");
    }

    #[test]
    fn an_attempt_that_ends_without_a_verdict_counts_as_failed() {
        let l = limiter(2, 100);
        drop(l.begin("a", ip("10.0.0.5")).unwrap());
        l.begin("a", ip("10.0.0.5")).unwrap().not_checked();
        drop(l.begin("a", ip("10.0.0.5")).unwrap());
        assert_eq!(
            l.begin("a", ip("10.0.0.5")).err(),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn ipv6_counts_per_64() {
        let l = limiter(100, 2);
        drop(l.begin("a", ip("2001:db8:1:2::1")).unwrap());
        drop(l.begin("b", ip("2001:db8:1:2:ffff::9")).unwrap());
        assert!(l.begin("c", ip("2001:db8:1:2:abcd::1")).is_err());
        assert!(l.begin("c", ip("2001:db8:1:3::1")).is_ok());
    }

    #[test]
    fn the_window_slides() {
        let mut c = Counter::new(Instant::now());
        c.current = 10;
        let w = Duration::from_secs(60);
        let later = c.window_start + Duration::from_secs(90);
        c.roll(later, w);
        // Half of the previous window still overlaps.
        assert!((c.estimate(later, w) - 5.0).abs() < 0.01);
        let much_later = later + Duration::from_secs(200);
        c.roll(much_later, w);
        assert_eq!(c.estimate(much_later, w), 0.0);
    }
}
