//! `last_used_at`, without a database write per token: issuing a token only notes the time in
//! memory; a background task writes the notes at most once per flush interval (a minute by
//! default), in one transaction, and a final flush runs on shutdown. The exception is a
//! client's first token seen by this instance: it is written within a second or two, so a
//! client that was never used and now is does not read "never used" for a minute.

use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, Timelike};

use crate::store::{self, Pool, StoreError};

#[derive(Default)]
pub struct LastUsedRecorder {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    pending: HashMap<String, NaiveDateTime>,
    /// Clients whose use this instance has written at least once.
    written: HashSet<String>,
    /// A pending client is not in `written`: flush at the next tick.
    urgent: bool,
}

/// Whether a flush writes everything pending or only when a first use is waiting.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    All,
    IfFirstUse,
}

impl LastUsedRecorder {
    pub fn record(&self, client_id: &str) {
        let now = store::now();
        let mut state = self.state.lock();
        match state.pending.get_mut(client_id) {
            Some(at) => *at = now,
            None => {
                state.pending.insert(client_id.to_owned(), now);
                if !state.written.contains(client_id) {
                    state.urgent = true;
                }
            }
        }
    }

    /// These clients' `last_used_at` is already set in the database (a starting instance
    /// read it): their next use can wait for the periodic flush.
    pub fn already_recorded(&self, client_ids: Vec<String>) {
        self.state.lock().written.extend(client_ids);
    }

    /// Writes every pending time (blocking). On failure the times are kept for the next try.
    pub fn flush(&self, pool: &Pool, mode: Flush) -> Result<usize, StoreError> {
        let batch = {
            let mut state = self.state.lock();
            if mode == Flush::IfFirstUse && !state.urgent {
                return Ok(0);
            }
            state.urgent = false;
            std::mem::take(&mut state.pending)
        };
        if batch.is_empty() {
            return Ok(0);
        }
        // One statement per second of use (times are kept to the second, rounded down, so
        // none is overstated) and per 1,000 clients, instead of one per client: a fleet's
        // first uses after a restart are a handful of statements, not thousands.
        let mut by_second: HashMap<NaiveDateTime, Vec<String>> = HashMap::new();
        for (client_id, at) in &batch {
            let second = at.with_nanosecond(0).unwrap_or(*at);
            by_second.entry(second).or_default().push(client_id.clone());
        }
        let written = store::with_connection(pool, |conn| {
            store::write_transaction(conn, |conn| {
                for (at, ids) in &by_second {
                    for chunk in ids.chunks(1000) {
                        store::clients::set_last_used_many(conn, chunk, *at)?;
                    }
                }
                Ok::<_, diesel::result::Error>(batch.len())
            })
            .map_err(StoreError::Query)
        });
        let mut state = self.state.lock();
        match &written {
            Ok(_) => state.written.extend(batch.into_keys()),
            Err(_) => {
                // Keep the times, and the urgency of first uses among them.
                state.urgent |= batch.keys().any(|id| !state.written.contains(id));
                for (client_id, at) in batch {
                    state.pending.entry(client_id).or_insert(at);
                }
            }
        }
        written
    }
}
