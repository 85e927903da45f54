//! `last_used_at`, without a database write per token: issuing a token only notes the time in
//! memory; a background task writes the notes at most once per flush interval (a minute by
//! default), in one transaction, and a final flush runs on shutdown.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::NaiveDateTime;

use crate::store::{self, Pool, StoreError};

#[derive(Default)]
pub struct LastUsedRecorder {
    pending: Mutex<HashMap<String, NaiveDateTime>>,
}

impl LastUsedRecorder {
    pub fn record(&self, client_id: &str) {
        let now = store::now();
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        match pending.get_mut(client_id) {
            Some(at) => *at = now,
            None => {
                pending.insert(client_id.to_owned(), now);
            }
        }
    }

    /// Writes every pending time (blocking). On failure the times are kept for the next try.
    pub fn flush(&self, pool: &Pool) -> Result<usize, StoreError> {
        let batch = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if batch.is_empty() {
            return Ok(0);
        }
        let written = store::with_connection(pool, |conn| {
            store::write_transaction(conn, |conn| {
                for (client_id, at) in &batch {
                    store::clients::set_last_used(conn, client_id, *at)?;
                }
                Ok::<_, diesel::result::Error>(batch.len())
            })
            .map_err(StoreError::Query)
        });
        if written.is_err() {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            for (client_id, at) in batch {
                pending.entry(client_id).or_insert(at);
            }
        }
        written
    }
}
