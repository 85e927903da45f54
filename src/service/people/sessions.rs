//! Server-side sessions. The browser holds a 256-bit id in `__Host-orgauth-session`; the
//! store keeps its SHA-256, so a database read does not yield a usable cookie. Every request
//! reads the session, its user and its memberships from the database (no cache): ending a
//! session, removing a membership or disabling a user takes effect on every instance at the
//! next request, and an unreachable database is a `503`, never a stale answer.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use serde_json::json;

use super::RequestOrigin;
use crate::config::PeopleSettings;
use crate::domain::{BearerSecret, MembershipRole, random_base62};
use crate::service::{Principal, ServiceError, UserPrincipal, audit};
use crate::store::people::memberships::MembershipRow;
use crate::store::people::sessions::{self, Session};
use crate::store::people::{memberships, users};
use crate::store::{self, DbConnection};

/// `last_seen_at` is written at most this often per session (the idle limit's granularity).
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);

/// A session just started: the cookie value (shown to the browser once) and its record.
pub struct StartedSession {
    pub cookie: BearerSecret,
    pub session: Session,
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// The principal a session stands for, from its record and the user's memberships now.
fn principal(
    settings: &PeopleSettings,
    session: &Session,
    email: String,
    name: String,
    memberships: Vec<MembershipRow>,
    origin: &RequestOrigin,
    now: NaiveDateTime,
) -> UserPrincipal {
    UserPrincipal {
        user_id: session.user_id.clone(),
        email,
        name,
        memberships: memberships
            .into_iter()
            .filter(|m| usable(session, m))
            .map(|m| (m.org_id, MembershipRole::from_stored(&m.role)))
            .collect(),
        session_id: session.id.clone(),
        method: session.method.clone(),
        sso_org: session.sso_org_id.clone(),
        fresh: session.authenticated_at + delta(settings.reauth) > now,
        reauth_seconds: settings.reauth.as_secs(),
        address: origin.address.clone(),
        user_agent: origin.user_agent.clone(),
    }
}

/// Whether a session may act on a membership (SPEC §10): a session signed in through an
/// organization's IdP acts in that organization only; any other session acts everywhere the
/// person is a member except in organizations that require their own IdP.
pub fn usable(session: &Session, membership: &MembershipRow) -> bool {
    match &session.sso_org_id {
        Some(org) => *org == membership.org_id,
        None => !membership.requires_sso,
    }
}

/// How a session signed in: `passkey` (with which one), or `sso` through the IdP of an
/// organization.
pub enum SignedInWith<'a> {
    Passkey(&'a str),
    /// `auth_time`: when the IdP last authenticated the person (the ID token's); the session
    /// counts as a recent sign-in from then, and not at all without it.
    Sso {
        org_id: &'a str,
        auth_time: Option<NaiveDateTime>,
    },
}

/// Starts a session for `user_id`, replacing the browser's current session (`replacing`,
/// whoever's it was): a new id at every sign-in and step-up. Call it inside the transaction
/// that established who signed in.
pub fn start(
    conn: &mut DbConnection,
    settings: &PeopleSettings,
    user_id: &str,
    with: SignedInWith<'_>,
    origin: &RequestOrigin,
    replacing: Option<&BearerSecret>,
) -> Result<(StartedSession, UserPrincipal), ServiceError> {
    let now = store::now();
    let (method, passkey_id, sso_org_id, authenticated_at) = match with {
        SignedInWith::Passkey(id) => ("passkey", Some(id.to_owned()), None, now),
        SignedInWith::Sso { org_id, auth_time } => (
            "sso",
            None,
            Some(org_id.to_owned()),
            auth_time.map_or(chrono::DateTime::UNIX_EPOCH.naive_utc(), |t| t.min(now)),
        ),
    };
    if let Some(old) = replacing {
        sessions::delete_by_hash(conn, &old.hash())?;
    }
    let cookie = BearerSecret::generate();
    let session = Session {
        id: format!("ses_{}", random_base62(22)),
        token_hash: cookie.hash(),
        user_id: user_id.to_owned(),
        csrf_token: random_base62(32),
        method: method.to_owned(),
        created_at: now,
        authenticated_at,
        last_seen_at: now,
        expires_at: now + delta(settings.session_max),
        address: origin.address.clone(),
        user_agent: origin.user_agent.clone(),
        passkey_id,
        sso_org_id,
    };
    sessions::insert(conn, &session)?;
    users::signed_in(conn, user_id, now)?;
    let user = users::find(conn, user_id)?.ok_or(ServiceError::NotFound("user"))?;
    let principal = principal(
        settings,
        &session,
        user.email,
        user.name,
        memberships::rows_of(conn, user_id)?,
        origin,
        now,
    );
    let actor = Principal::User(principal.clone());
    audit::record_for_user(
        conn,
        user_id,
        &actor,
        audit::USER_SIGNED_IN,
        Some(&principal.name),
        json!({"method": method, "session_id": session.id}),
    )?;
    Ok((StartedSession { cookie, session }, principal))
}

/// The person behind a session cookie, if the session is live (within its idle and absolute
/// limits, its user not disabled), with their memberships as they are now.
pub fn authenticate(
    conn: &mut DbConnection,
    settings: &PeopleSettings,
    cookie: &BearerSecret,
    origin: &RequestOrigin,
) -> Result<Option<(UserPrincipal, Session)>, ServiceError> {
    let now = store::now();
    let idle_since = now - delta(settings.session_idle);
    let Some(live) = sessions::find_live(conn, &cookie.hash(), now, idle_since)? else {
        return Ok(None);
    };
    let session = live.session;
    if session.last_seen_at + TOUCH_EVERY <= now {
        sessions::touch(conn, &session.id, now)?;
    }
    let principal = principal(
        settings,
        &session,
        live.email,
        live.name,
        live.memberships,
        origin,
        now,
    );
    Ok(Some((principal, session)))
}

/// Sign-out: ends the session behind this cookie (nothing, if there is none).
pub fn sign_out(
    conn: &mut DbConnection,
    settings: &PeopleSettings,
    cookie: &BearerSecret,
    origin: &RequestOrigin,
) -> Result<(), ServiceError> {
    store::write_transaction(conn, |conn| {
        if let Some((user, session)) = authenticate(conn, settings, cookie, origin)? {
            sessions::delete(conn, &session.user_id, &session.id)?;
            let actor = Principal::User(user.clone());
            audit::record_for_user(
                conn,
                &user.user_id,
                &actor,
                audit::USER_SIGNED_OUT,
                Some(&user.name),
                json!({"session_id": session.id}),
            )?;
        } else {
            sessions::delete_by_hash(conn, &cookie.hash())?;
        }
        Ok(())
    })
}

/// The person's sessions, newest first.
pub fn list(conn: &mut DbConnection, user: &UserPrincipal) -> Result<Vec<Session>, ServiceError> {
    Ok(sessions::of_user(conn, &user.user_id)?)
}

/// Ends one of the person's own sessions.
pub fn end(conn: &mut DbConnection, user: &UserPrincipal, id: &str) -> Result<(), ServiceError> {
    user.require_account_session()?;
    store::write_transaction(conn, |conn| {
        if !sessions::delete(conn, &user.user_id, id)? {
            return Err(ServiceError::NotFound("session"));
        }
        audit::record_for_user(
            conn,
            &user.user_id,
            &Principal::User(user.clone()),
            audit::SESSION_ENDED,
            Some(&user.name),
            json!({"session_id": id}),
        )
    })
}

/// "Sign out everywhere else": every session of the person but this one. How many ended.
pub fn end_others(conn: &mut DbConnection, user: &UserPrincipal) -> Result<usize, ServiceError> {
    user.require_account_session()?;
    store::write_transaction(conn, |conn| {
        let ended = sessions::delete_others(conn, &user.user_id, &user.session_id)?;
        audit::record_for_user(
            conn,
            &user.user_id,
            &Principal::User(user.clone()),
            audit::SESSION_ENDED,
            Some(&user.name),
            json!({"others": ended}),
        )?;
        Ok(ended)
    })
}

/// Removes sessions and ceremonies past their limits, and expired invitations (a job).
pub fn prune(conn: &mut DbConnection, settings: &PeopleSettings) -> diesel::QueryResult<usize> {
    let now = store::now();
    let idle_since = now - delta(settings.session_idle);
    Ok(sessions::prune(conn, now, idle_since)?
        + crate::store::people::ceremonies::prune(conn, now)?
        + crate::store::people::invitations::prune(conn, now)?
        + crate::store::sso::prune_flows(conn, now)?)
}
