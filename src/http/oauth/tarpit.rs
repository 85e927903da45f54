//! Slows down an address that is over its failure limit, at the connection level: its `429`
//! is held back for a while on a timer (holding no worker and no argon2 slot — an actix
//! worker serves thousands of such connections), so a flooding client sends a request per
//! connection per delay instead of as many as the server can answer. The number of held
//! answers is capped; past the cap the `429` goes out at once and the connection is closed,
//! so holding can never cost unbounded memory or file descriptors.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

#[derive(Clone, Debug)]
pub struct TarpitSettings {
    /// How long a rate-limited answer is held (0: not at all).
    pub delay: Duration,
    /// How many answers may be held at once.
    pub max_held: usize,
}

pub struct Tarpit {
    delay: Duration,
    held: Arc<Semaphore>,
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
        }
    }

    /// Waits out the delay if a place is free (the connection may then stay open); with
    /// every place taken, returns at once and the connection should be closed.
    pub async fn hold(&self, retry_after: Duration) -> Connection {
        if self.delay.is_zero() {
            return Connection::KeepAlive;
        }
        let Ok(_place) = self.held.try_acquire() else {
            return Connection::Close;
        };
        tokio::time::sleep(self.delay.min(retry_after)).await;
        Connection::KeepAlive
    }
}
