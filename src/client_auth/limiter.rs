//! Brute-force protection (RFC 6749 §2.3.1): failed client authentications are counted per
//! client ID and per source address in a sliding window (the previous fixed window weighted
//! by how much of it still overlaps, plus the current one). Past a limit, further attempts are
//! refused before any argon2 work until the window slides on.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct LimiterSettings {
    pub max_failures_per_client: u32,
    pub max_failures_per_address: u32,
    pub window: Duration,
}

struct Counter {
    window_start: Instant,
    current: u32,
    previous: u32,
}

impl Counter {
    fn roll(&mut self, now: Instant, window: Duration) {
        let elapsed = now.duration_since(self.window_start);
        if elapsed >= window * 2 {
            *self = Counter {
                window_start: now,
                current: 0,
                previous: 0,
            };
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
}

#[derive(Hash, PartialEq, Eq, Clone)]
enum Key {
    Client(String),
    Address(IpAddr),
}

pub struct FailureLimiter {
    settings: LimiterSettings,
    counters: Mutex<HashMap<Key, Counter>>,
}

/// Past this many tracked keys, idle ones are dropped.
const MAX_TRACKED: usize = 100_000;

impl FailureLimiter {
    pub fn new(settings: LimiterSettings) -> Self {
        Self {
            settings,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(retry_after)` when the client ID or the address has failed too often.
    pub fn check(&self, client_id: &str, address: Option<IpAddr>) -> Option<Duration> {
        let now = Instant::now();
        let window = self.settings.window;
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let mut over = |key: Key, limit: u32| {
            counters.get_mut(&key).is_some_and(|c| {
                c.roll(now, window);
                c.estimate(now, window) >= f64::from(limit)
            })
        };
        let limited = over(
            Key::Client(client_id.to_owned()),
            self.settings.max_failures_per_client,
        ) || address
            .is_some_and(|a| over(Key::Address(a), self.settings.max_failures_per_address));
        limited.then_some(window)
    }

    pub fn record_failure(&self, client_id: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let window = self.settings.window;
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        if counters.len() >= MAX_TRACKED {
            counters.retain(|_, c| now.duration_since(c.window_start) < window * 2);
        }
        let keys =
            std::iter::once(Key::Client(client_id.to_owned())).chain(address.map(Key::Address));
        for key in keys {
            let counter = counters.entry(key).or_insert(Counter {
                window_start: now,
                current: 0,
                previous: 0,
            });
            counter.roll(now, window);
            counter.current = counter.current.saturating_add(1);
        }
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

    #[test]
    fn trips_per_client_after_the_limit() {
        let l = limiter(3, 100);
        let ip = Some("10.0.0.1".parse().unwrap());
        for _ in 0..3 {
            assert_eq!(l.check("a", ip), None);
            l.record_failure("a", ip);
        }
        assert!(l.check("a", ip).is_some());
        assert_eq!(l.check("b", ip), None, "another client is unaffected");
    }

    #[test]
    fn trips_per_address_across_client_ids() {
        let l = limiter(100, 5);
        let ip = Some("10.0.0.2".parse().unwrap());
        for i in 0..5 {
            l.record_failure(&format!("client-{i}"), ip);
        }
        assert!(l.check("fresh", ip).is_some());
        assert_eq!(l.check("fresh", Some("10.0.0.3".parse().unwrap())), None);
    }

    #[test]
    fn the_window_slides() {
        let mut c = Counter {
            window_start: Instant::now(),
            current: 10,
            previous: 0,
        };
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
