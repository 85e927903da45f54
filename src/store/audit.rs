use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::audit_events;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: String,
    pub org_id: String,
    /// A client ID, `cli` / `bootstrap` for the operator.
    pub actor_id: String,
    pub action: String,
    pub target: String,
    /// JSON object text.
    pub details: String,
    pub created_at: NaiveDateTime,
    /// The acting client's name when it acted (`None` for the operator and older events).
    pub actor_name: Option<String>,
    /// The name the target had (client, organization or role).
    pub target_name: Option<String>,
    /// `operator`, `client` or `user` (`service::access::PrincipalKind`).
    pub actor_type: String,
    /// A person's e-mail, session id and sign-in method (`passkey`, `invitation`, `sso`).
    pub actor_email: Option<String>,
    pub actor_session_id: Option<String>,
    pub actor_method: Option<String>,
    /// Where the request came from (clients and people).
    pub actor_address: Option<String>,
    pub actor_user_agent: Option<String>,
}

/// Which events a page holds; every field narrows it.
#[derive(Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub target: Option<String>,
    /// Inclusive.
    pub since: Option<NaiveDateTime>,
    /// Exclusive.
    pub until: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, event: &AuditEvent) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)
        .map(drop)
}

/// Newest first; `before` is the (created_at, id) of the last event of the previous page.
pub fn page(
    conn: &mut DbConnection,
    org_id: &str,
    filter: &AuditFilter,
    before: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<AuditEvent>> {
    let mut query = audit_events::table
        .filter(audit_events::org_id.eq(org_id))
        .select(AuditEvent::as_select())
        .order((audit_events::created_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    if let Some(target) = &filter.target {
        query = query.filter(audit_events::target.eq(target.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_events::created_at.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_events::created_at.lt(until));
    }
    if let Some((at, id)) = before {
        query = query.filter(
            audit_events::created_at
                .lt(at)
                .or(audit_events::created_at.eq(at).and(audit_events::id.lt(id))),
        );
    }
    query.load(conn)
}
