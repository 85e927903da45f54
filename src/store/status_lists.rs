//! Token Status Lists (SPEC §11): lists, the index ranges instances lease from them, and the
//! runs of tokens issued from those ranges.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{
    client_roles, clients, revoked_tokens, status_lists, status_ranges, status_runs,
};

/// The change subject that tells every instance the status lists changed (a new list, new
/// runs): anything else that changes a bit is a client or a revocation change already.
pub const CHANGE_SUBJECT: &str = "status-lists";

/// A leased range: indices `start..start + size` of list `list_id`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = status_ranges)]
pub struct Range {
    pub list_id: String,
    pub start_idx: i64,
    pub size: i64,
    pub leased_at: NaiveDateTime,
}

/// Consecutive indices given to tokens of one client, with the same roles and `iat`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = status_runs)]
pub struct Run {
    pub list_id: String,
    pub start_idx: i64,
    pub count: i64,
    pub client_id: String,
    /// Space-separated, as in the tokens' `scope`.
    pub roles: String,
    pub iat: i64,
    /// The signing key (`None` in runs written by a release before 0018).
    pub kid: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = status_lists)]
pub struct StatusList {
    pub id: String,
    pub capacity: i64,
    pub next_index: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Leases `size` indices from the newest list with room (a new list of `capacity` when none
/// has), in one transaction: the list's counter moves past them, so no index is ever leased
/// twice. The list is then served at least until `serve_until`.
pub fn lease(
    conn: &mut DbConnection,
    size: i64,
    capacity: i64,
    new_id: &str,
    now: NaiveDateTime,
    serve_until: NaiveDateTime,
) -> QueryResult<Range> {
    super::write_transaction(conn, |conn| {
        // The newest list with room that is still served; the counter moves only if the room
        // is still there when the row is updated (two instances leasing at once on Postgres:
        // the second re-checks after the first commits), else a new list.
        let open: Option<String> = status_lists::table
            .filter(status_lists::next_index.le(status_lists::capacity - size))
            .filter(status_lists::expires_at.gt(now))
            .order(status_lists::created_at.desc())
            .select(status_lists::id)
            .first(conn)
            .optional()?;
        let moved = match &open {
            Some(id) => diesel::update(
                status_lists::table
                    .find(id)
                    .filter(status_lists::next_index.le(status_lists::capacity - size)),
            )
            .set(status_lists::next_index.eq(status_lists::next_index + size))
            .execute(conn)?,
            None => 0,
        };
        let list_id = match open {
            Some(id) if moved == 1 => id,
            _ => {
                diesel::insert_into(status_lists::table)
                    .values((
                        status_lists::id.eq(new_id),
                        status_lists::capacity.eq(capacity),
                        status_lists::next_index.eq(size),
                        status_lists::created_at.eq(now),
                        status_lists::expires_at.eq(serve_until),
                    ))
                    .execute(conn)?;
                super::changes::record_change(conn, CHANGE_SUBJECT)?;
                new_id.to_owned()
            }
        };
        diesel::update(
            status_lists::table
                .find(&list_id)
                .filter(status_lists::expires_at.lt(serve_until)),
        )
        .set(status_lists::expires_at.eq(serve_until))
        .execute(conn)?;
        // Read under this transaction's write lock on the row: the range is its alone.
        let end: i64 = status_lists::table
            .find(&list_id)
            .select(status_lists::next_index)
            .first(conn)?;
        let range = Range {
            list_id,
            start_idx: end - size,
            size,
            leased_at: now,
        };
        diesel::insert_into(status_ranges::table)
            .values(&range)
            .execute(conn)?;
        Ok(range)
    })
}

/// Records runs of issued tokens. Idempotent: a batch written once already (a write that
/// timed out here but committed there) is written again without a conflict. Runs of a list
/// that is gone are dropped (no token can refer to it).
pub fn insert_runs(conn: &mut DbConnection, runs: &[Run]) -> QueryResult<()> {
    super::write_transaction(conn, |conn| {
        let mut by_list: HashMap<&str, Vec<&Run>> = HashMap::new();
        for run in runs {
            by_list.entry(run.list_id.as_str()).or_default().push(run);
        }
        for (list, runs) in by_list {
            let live: bool = diesel::select(diesel::dsl::exists(status_lists::table.find(list)))
                .get_result(conn)?;
            if !live {
                continue;
            }
            for chunk in runs.chunks(500) {
                let starts: Vec<i64> = chunk.iter().map(|r| r.start_idx).collect();
                diesel::delete(
                    status_runs::table
                        .filter(status_runs::list_id.eq(list))
                        .filter(status_runs::start_idx.eq_any(&starts)),
                )
                .execute(conn)?;
                // One statement per run: the multi-backend connection has no batch insert.
                for run in chunk {
                    diesel::insert_into(status_runs::table)
                        .values(*run)
                        .execute(conn)?;
                }
            }
        }
        Ok(())
    })
}

/// Everything the bits of the lists still served depend on.
pub struct Snapshot {
    pub lists: Vec<StatusList>,
    pub ranges: Vec<Range>,
    pub runs: Vec<Run>,
    /// `(list, idx)` of tokens revoked by themselves.
    pub revoked: Vec<(String, i64)>,
    /// The clients the runs name, as they are now (a deleted client is absent).
    pub clients: HashMap<String, ClientStanding>,
    /// Signing keys pulled before their time: every token they signed is invalid.
    pub revoked_keys: Vec<super::signing_keys::RevokedKey>,
}

/// What of a client decides its tokens' bits.
#[derive(Debug, Clone)]
pub struct ClientStanding {
    pub disabled: bool,
    pub tokens_not_before: Option<NaiveDateTime>,
    pub roles: Vec<String>,
}

/// Reads the lists served at `now` and what their bits depend on, in one transaction, with
/// the standing of `more_clients` too (those of runs not written yet).
pub fn snapshot(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    more_clients: &[String],
) -> QueryResult<Snapshot> {
    conn.transaction(|conn| {
        let lists: Vec<StatusList> = status_lists::table
            .filter(status_lists::expires_at.gt(now))
            .select(StatusList::as_select())
            .order(status_lists::created_at)
            .load(conn)?;
        let ids: Vec<&str> = lists.iter().map(|l| l.id.as_str()).collect();
        let ranges = status_ranges::table
            .filter(status_ranges::list_id.eq_any(&ids))
            .select(Range::as_select())
            .load(conn)?;
        let runs: Vec<Run> = status_runs::table
            .filter(status_runs::list_id.eq_any(&ids))
            .select(Run::as_select())
            .load(conn)?;
        let revoked: Vec<(Option<String>, Option<i64>)> = revoked_tokens::table
            .filter(revoked_tokens::status_list.eq_any(&ids))
            .select((revoked_tokens::status_list, revoked_tokens::status_idx))
            .load(conn)?;
        let revoked_keys = super::signing_keys::revoked(conn)?;
        let mut client_ids: Vec<&str> = runs
            .iter()
            .map(|r| r.client_id.as_str())
            .chain(more_clients.iter().map(String::as_str))
            .collect();
        client_ids.sort_unstable();
        client_ids.dedup();
        let mut clients_now = HashMap::new();
        for chunk in client_ids.chunks(500) {
            let rows: Vec<(String, bool, Option<NaiveDateTime>)> = clients::table
                .filter(clients::id.eq_any(chunk))
                .select((clients::id, clients::disabled, clients::tokens_not_before))
                .load(conn)?;
            for (id, disabled, tokens_not_before) in rows {
                clients_now.insert(
                    id,
                    ClientStanding {
                        disabled,
                        tokens_not_before,
                        roles: Vec::new(),
                    },
                );
            }
            let roles: Vec<(String, String)> = client_roles::table
                .filter(client_roles::client_id.eq_any(chunk))
                .select((client_roles::client_id, client_roles::role_name))
                .load(conn)?;
            for (id, role) in roles {
                if let Some(client) = clients_now.get_mut(&id) {
                    client.roles.push(role);
                }
            }
        }
        Ok(Snapshot {
            lists,
            ranges,
            runs,
            revoked: revoked
                .into_iter()
                .filter_map(|(list, idx)| Some((list?, idx?)))
                .collect(),
            clients: clients_now,
            revoked_keys,
        })
    })
}

/// Removes lists no token can refer to any more (with their ranges and runs).
pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    super::write_transaction(conn, |conn| {
        let gone: Vec<String> = status_lists::table
            .filter(status_lists::expires_at.le(now))
            .select(status_lists::id)
            .load(conn)?;
        if gone.is_empty() {
            return Ok(0);
        }
        diesel::delete(status_runs::table.filter(status_runs::list_id.eq_any(&gone)))
            .execute(conn)?;
        diesel::delete(status_ranges::table.filter(status_ranges::list_id.eq_any(&gone)))
            .execute(conn)?;
        diesel::delete(
            status_lists::table
                .filter(status_lists::id.eq_any(&gone))
                .filter(status_lists::expires_at.le(now)),
        )
        .execute(conn)
    })
}

/// The ids of the lists served now (the aggregation endpoint reads them from memory; this is
/// for a list asked for before this instance heard of it).
pub fn exists(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        status_lists::table
            .find(id)
            .filter(status_lists::expires_at.gt(now)),
    ))
    .get_result(conn)
}
