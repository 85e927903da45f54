//! Slows down an address that is over its failure limit, at the connection level: its `429`
//! is held back for a while on a timer (holding no worker and no argon2 slot — an actix
//! worker serves thousands of such connections), so a flooding client sends a request per
//! connection per delay instead of as many as the server can answer. The number of held
//! answers is capped, in all and per address (a quarter of the places: one address cannot
//! take them all); past the cap the `429` goes out at once and the connection is closed
//! (HTTP/1.1; an HTTP/2 connection over native TLS gets the immediate `429` on its stream),
//! so holding can never cost unbounded memory or file descriptors.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Semaphore;

use crate::client_auth::counted_address;
use crate::config::TarpitSettings;
use crate::metrics::METRICS;

pub struct Tarpit {
    delay: Duration,
    held: Arc<Semaphore>,
    /// Answers held per address (IPv6 per /64), at most `per_address`.
    by_address: Mutex<HashMap<IpAddr, usize>>,
    per_address: usize,
}

/// A held place of one address (none counted when the address is unknown); given back on
/// drop.
struct AddressPlace<'a> {
    tarpit: &'a Tarpit,
    address: Option<IpAddr>,
}

impl Drop for AddressPlace<'_> {
    fn drop(&mut self) {
        let Some(address) = self.address else {
            return;
        };
        let mut by_address = self.tarpit.by_address.lock();
        if let Some(n) = by_address.get_mut(&address) {
            *n -= 1;
            if *n == 0 {
                by_address.remove(&address);
            }
        }
    }
}

/// What to do with the connection once the `429` is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    KeepAlive,
    Close,
}

impl Tarpit {
    pub fn new(settings: &TarpitSettings) -> Self {
        Self {
            delay: settings.delay,
            held: Arc::new(Semaphore::new(settings.max_held)),
            by_address: Mutex::default(),
            per_address: (settings.max_held / 4).max(1),
        }
    }

    fn take_address_place(&self, address: Option<IpAddr>) -> Option<AddressPlace<'_>> {
        let address = address.map(counted_address);
        if let Some(address) = address {
            let mut by_address = self.by_address.lock();
            let n = by_address.entry(address).or_insert(0);
            if *n >= self.per_address {
                return None;
            }
            *n += 1;
        }
        Some(AddressPlace {
            tarpit: self,
            address,
        })
    }

    /// Waits out the delay if a place is free (the connection may then stay open); with
    /// every place taken (or every place this address may have), returns at once and the
    /// connection should be closed.
    pub async fn hold(&self, retry_after: Duration, address: Option<IpAddr>) -> Connection {
        if self.delay.is_zero() {
            return Connection::KeepAlive;
        }
        let Some(_address_place) = self.take_address_place(address) else {
            METRICS.tarpit_closed.inc();
            return Connection::Close;
        };
        let Ok(_place) = self.held.try_acquire() else {
            METRICS.tarpit_closed.inc();
            return Connection::Close;
        };
        let _held = HeldGauge::enter();
        tokio::time::sleep(self.delay.min(retry_after)).await;
        Connection::KeepAlive
    }
}

/// Counts an answer held back while it lives (a client that hangs up leaves too).
struct HeldGauge;

impl HeldGauge {
    fn enter() -> Self {
        METRICS.tarpit_held.inc();
        Self
    }
}

impl Drop for HeldGauge {
    fn drop(&mut self) {
        METRICS.tarpit_held.dec();
    }
}
