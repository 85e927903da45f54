//! An organization's client list: search, order, cursor pages and the total.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::super::DbConnection;
use super::super::schema::{client_roles, clients};
use super::ClientRow;

/// The order of an organization's client list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientOrder {
    CreatedAsc,
    CreatedDesc,
    NameAsc,
    NameDesc,
    /// Never-used clients sort as the least recently used.
    LastUsedAsc,
    LastUsedDesc,
}

/// Where a page starts: the sort key and ID of the previous page's last row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientKey {
    At(NaiveDateTime),
    Name(String),
}

impl ClientOrder {
    /// The key of `row` under this order (for the next page's cursor).
    pub fn key_of(self, row: &ClientRow) -> ClientKey {
        match self {
            Self::CreatedAsc | Self::CreatedDesc => ClientKey::At(row.created_at),
            Self::NameAsc | Self::NameDesc => ClientKey::Name(row.name.clone()),
            Self::LastUsedAsc | Self::LastUsedDesc => ClientKey::At(
                row.last_used_at
                    .unwrap_or(chrono::DateTime::UNIX_EPOCH.naive_utc()),
            ),
        }
    }

    fn descending(self) -> bool {
        matches!(
            self,
            Self::CreatedDesc | Self::NameDesc | Self::LastUsedDesc
        )
    }
}

/// What a client list asks for: a search and an order.
pub struct ClientFilter<'a> {
    pub org_id: &'a str,
    /// A case-insensitive part of the name, or the start of the client ID (8 characters or more,
    /// exact case).
    pub search: Option<&'a str>,
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);
diesel::define_sql_function!(
    fn substr(
        x: diesel::sql_types::Text,
        start: diesel::sql_types::Integer,
        len: diesel::sql_types::Integer,
    ) -> diesel::sql_types::Text
);

/// The shortest search that is also matched against the start of client IDs: a shorter one
/// would find unrelated clients whose random ID happens to start with it (`e` matches one
/// client in 62).
const MIN_ID_PREFIX: usize = 8;

fn looks_like_id_prefix(search: &str) -> bool {
    search.len() >= MIN_ID_PREFIX && search.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `last_used_at`, with never as the epoch (both backends compare it with a bound timestamp).
fn last_used_or_epoch() -> diesel::expression::SqlLiteral<diesel::sql_types::Timestamp> {
    diesel::dsl::sql("COALESCE(clients.last_used_at, '1970-01-01 00:00:00')")
}

fn filtered<'a>(filter: &ClientFilter<'_>) -> clients::BoxedQuery<'a, super::super::MultiBackend> {
    let mut query = clients::table
        .filter(clients::org_id.eq(filter.org_id.to_owned()))
        .into_boxed();
    if let Some(search) = filter.search {
        let escaped = search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let in_name = lower(clients::name)
            .like(format!("%{}%", escaped.to_lowercase()))
            .escape('\\');
        query = if looks_like_id_prefix(search) {
            // Exact case on both backends (SQLite's LIKE ignores ASCII case).
            let len = search.len() as i32;
            query.filter(in_name.or(substr(clients::id, 1, len).eq(search.to_owned())))
        } else {
            query.filter(in_name)
        };
    }
    query
}

/// How many clients match `filter`.
pub fn count_matching(conn: &mut DbConnection, filter: &ClientFilter<'_>) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

/// One page of the clients matching `filter` in `order`, ties broken by ID; `after` is the
/// key and ID of the last row of the previous page.
pub fn page(
    conn: &mut DbConnection,
    filter: &ClientFilter<'_>,
    order: ClientOrder,
    after: Option<(ClientKey, String)>,
    limit: i64,
) -> QueryResult<Vec<ClientRow>> {
    use ClientOrder::*;
    let mut query = filtered(filter).select(ClientRow::as_select()).limit(limit);
    query = match order {
        CreatedAsc => query.order((clients::created_at.asc(), clients::id.asc())),
        CreatedDesc => query.order((clients::created_at.desc(), clients::id.desc())),
        NameAsc => query.order((clients::name.asc(), clients::id.asc())),
        NameDesc => query.order((clients::name.desc(), clients::id.desc())),
        LastUsedAsc => query.order((last_used_or_epoch().asc(), clients::id.asc())),
        LastUsedDesc => query.order((last_used_or_epoch().desc(), clients::id.desc())),
    };
    if let Some((key, id)) = after {
        let desc = order.descending();
        query = match (order, key) {
            (CreatedAsc | CreatedDesc, ClientKey::At(at)) if desc => query.filter(
                clients::created_at
                    .lt(at)
                    .or(clients::created_at.eq(at).and(clients::id.lt(id))),
            ),
            (CreatedAsc | CreatedDesc, ClientKey::At(at)) => query.filter(
                clients::created_at
                    .gt(at)
                    .or(clients::created_at.eq(at).and(clients::id.gt(id))),
            ),
            (NameAsc | NameDesc, ClientKey::Name(name)) if desc => query.filter(
                clients::name
                    .lt(name.clone())
                    .or(clients::name.eq(name).and(clients::id.lt(id))),
            ),
            (NameAsc | NameDesc, ClientKey::Name(name)) => query.filter(
                clients::name
                    .gt(name.clone())
                    .or(clients::name.eq(name).and(clients::id.gt(id))),
            ),
            (LastUsedAsc | LastUsedDesc, ClientKey::At(at)) if desc => query.filter(
                last_used_or_epoch()
                    .lt(at)
                    .or(last_used_or_epoch().eq(at).and(clients::id.lt(id))),
            ),
            (LastUsedAsc | LastUsedDesc, ClientKey::At(at)) => query.filter(
                last_used_or_epoch()
                    .gt(at)
                    .or(last_used_or_epoch().eq(at).and(clients::id.gt(id))),
            ),
            // A cursor of another order: the caller refused it already; start over.
            _ => query,
        };
    }
    query.load(conn)
}

/// The roles of each of `client_ids`, sorted by name.
pub fn roles_of_many(
    conn: &mut DbConnection,
    client_ids: &[String],
) -> QueryResult<std::collections::HashMap<String, Vec<String>>> {
    let pairs: Vec<(String, String)> = client_roles::table
        .filter(client_roles::client_id.eq_any(client_ids))
        .select((client_roles::client_id, client_roles::role_name))
        .order((client_roles::client_id, client_roles::role_name))
        .load(conn)?;
    let mut map = std::collections::HashMap::new();
    for (client, role) in pairs {
        map.entry(client).or_insert_with(Vec::new).push(role);
    }
    Ok(map)
}
