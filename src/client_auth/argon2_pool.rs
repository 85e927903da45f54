//! The one bound on argon2 work: `concurrency` dedicated threads, and as many slots a request
//! must hold to use one, waited for at most `queue_timeout`.
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
use tokio::sync::{Semaphore, oneshot};

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
                        let _ = reply.send(hash.verify(&secret));
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

    /// Whether `secret` matches `hash` (false if the pool is shutting down), or `Overloaded`.
    pub async fn verify(&self, hash: SecretHash, secret: ClientSecret) -> Result<bool, Overloaded> {
        let _slot = tokio::time::timeout(self.queue_timeout, self.slots.acquire())
            .await
            .map_err(|_| Overloaded)?
            .map_err(|_| Overloaded)?;
        let (reply, answer) = oneshot::channel();
        if self.jobs.send((hash, secret, reply)).is_err() {
            return Ok(false);
        }
        Ok(answer.await.unwrap_or(false))
    }
}
