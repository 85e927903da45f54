//! The one bound on argon2 work: `concurrency` dedicated threads, and as many slots; a request
//! waits at most `queue_timeout` for a slot and holds it for all its verifications (a failure
//! costs two), so it never waits twice. A job whose requester has gone is skipped, so an
//! abandoned request frees its slot without leaving work queued behind it.
//!
//! Why dedicated threads: each verification allocates the full memory cost (19 MiB by default);
//! on tokio's blocking pool those allocations would land in the malloc arenas of up to hundreds
//! of threads and stay there, so a flood of wrong secrets would leave the process hundreds of
//! MiB larger. Why slots: a request that cannot get one in time is answered `503` at once
//! instead of queueing behind a flood.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{Semaphore, SemaphorePermit, oneshot};

use crate::metrics::METRICS;

use crate::domain::{ClientSecret, SecretHash};

type Job = (SecretHash, ClientSecret, oneshot::Sender<bool>);

/// No slot became free within the queue timeout.
#[derive(Debug)]
pub struct Overloaded;

pub struct Argon2Pool {
    jobs: mpsc::Sender<Job>,
    slots: Arc<Semaphore>,
    queue_timeout: Duration,
}

impl Argon2Pool {
    pub fn new(concurrency: usize, queue_timeout: Duration) -> Self {
        let concurrency = concurrency.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..concurrency {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The pool is gone once its sender is dropped: the threads end.
                        let job = queue.lock().recv();
                        let Ok((hash, secret, reply)) = job else {
                            break;
                        };
                        if !reply.is_closed() {
                            let _ = reply.send(hash.verify(&secret));
                        }
                    }
                })
                .expect("the OS can start an argon2 thread");
        }
        Self {
            jobs,
            slots: Arc::new(Semaphore::new(concurrency)),
            queue_timeout,
        }
    }

    /// A slot, or `Overloaded` when none frees up within the queue timeout.
    pub async fn slot(&self) -> Result<Argon2Slot<'_>, Overloaded> {
        let waiting = WaitingGauge::enter();
        let permit = tokio::time::timeout(self.queue_timeout, self.slots.acquire()).await;
        drop(waiting);
        let Ok(Ok(permit)) = permit else {
            METRICS.argon2_overloaded.inc();
            return Err(Overloaded);
        };
        Ok(Argon2Slot {
            pool: self,
            _permit: permit,
        })
    }
}

/// The right to run verifications on the pool, one at a time.
pub struct Argon2Slot<'a> {
    pool: &'a Argon2Pool,
    _permit: SemaphorePermit<'a>,
}

impl Argon2Slot<'_> {
    /// Whether `secret` matches `hash` (false if the pool is shutting down).
    pub async fn verify(&self, hash: SecretHash, secret: ClientSecret) -> bool {
        let (reply, answer) = oneshot::channel();
        if self.pool.jobs.send((hash, secret, reply)).is_err() {
            return false;
        }
        answer.await.unwrap_or(false)
    }
}

/// Counts a check waiting for a slot while it lives (a cancelled request leaves too).
struct WaitingGauge;

impl WaitingGauge {
    fn enter() -> Self {
        METRICS.argon2_waiting.inc();
        Self
    }
}

impl Drop for WaitingGauge {
    fn drop(&mut self) {
        METRICS.argon2_waiting.dec();
    }
}
