//! A fixed set of threads that run argon2 verifications. Each verification allocates the full
//! memory cost (19 MiB by default); on tokio's blocking pool those allocations would land in
//! the malloc arenas of up to hundreds of threads and stay there, so a flood of wrong secrets
//! would leave the process hundreds of MiB larger. A few dedicated threads keep it bounded.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::domain::{ClientSecret, SecretHash};

type Job = (SecretHash, ClientSecret, oneshot::Sender<bool>);

pub struct Argon2Pool {
    jobs: mpsc::Sender<Job>,
}

impl Argon2Pool {
    pub fn new(threads: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The pool is gone once its sender is dropped: the threads end.
                        let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok((hash, secret, reply)) = job else {
                            break;
                        };
                        let _ = reply.send(hash.verify(&secret));
                    }
                })
                .expect("the OS can start an argon2 thread");
        }
        Self { jobs }
    }

    /// Whether `secret` matches `hash`; false if the pool is shutting down.
    pub async fn verify(&self, hash: SecretHash, secret: ClientSecret) -> bool {
        let (reply, answer) = oneshot::channel();
        if self.jobs.send((hash, secret, reply)).is_err() {
            return false;
        }
        answer.await.unwrap_or(false)
    }
}
