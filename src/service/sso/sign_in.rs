//! Who a sign-in through an organization's IdP lets in (SPEC §10), and the sign-ins under
//! way.
//!
//! - An identity `(iss, sub)` already linked in the organization signs in the person it is
//!   linked to, if they are still a member.
//! - An unknown identity is linked to the person who started the sign-in while signed in with
//!   a recent sign-in (`link`: the IdP is asked to sign them in again, `prompt=login`,
//!   `max_age=0`, and `auth_time` is checked), if they are a member of the organization: both
//!   sides proved, explicitly. Otherwise it becomes a new person only through a pending
//!   invitation of the organization for its verified e-mail, or by the connection's
//!   `jit_role` when its verified e-mail's domain is one of the organization's. Never by an
//!   e-mail match alone: an e-mail that already belongs to someone is refused (they link by
//!   signing in first), `email_verified` must be `true`, and the address must be a plain
//!   ASCII e-mail address (no look-alike folding).
//! - An identity of X's IdP only ever signs in to X: identities are kept per organization,
//!   and the session it starts acts in X only.
//!
//! A refusal creates nothing (one transaction) and is recorded in the organization's audit
//! log.

use chrono::{NaiveDateTime, TimeDelta};
use serde_json::json;

use super::relying_party::VerifiedIdentity;
use crate::config::PeopleSettings;
use crate::domain::{MembershipRole, random_base62};
use crate::service::people::RequestOrigin;
use crate::service::people::sessions::{self, SignedInWith, StartedSession};
use crate::service::{Principal, ServiceError, UserPrincipal, audit};
use crate::store::people::{invitations, memberships, sessions as session_store, users};
use crate::store::sso::{self, SsoConnection, SsoFlow, SsoIdentity};
use crate::store::{self, DbConnection};
use crate::token::KeyEncryptionKey;

pub const SSO_SIGN_IN_FAILED: &str = "sso.sign_in_failed";
pub const SSO_IDENTITY_LINKED: &str = "sso.identity_linked";
pub const SSO_MEMBER_JOINED: &str = "sso.member_joined";

/// How long a sign-in may take at the IdP.
pub const FLOW_LIFETIME: TimeDelta = TimeDelta::minutes(10);
/// The most sign-ins under way at once: in all, for one organization, from one address
/// (`busy` beyond: anonymous starts cannot crowd out an organization's people).
const MAX_FLOWS: i64 = 10_000;
const MAX_FLOWS_PER_ORG: i64 = 1_000;
const MAX_FLOWS_PER_ADDRESS: i64 = 20;

/// What a sign-in is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SignIn,
    /// A person signed in (recently) links their identity at the organization's IdP: the IdP
    /// signs them in again (`prompt=login`, `max_age=0`).
    Link,
    /// The signed-in person signs in again at the IdP (`prompt=login`, `max_age=0`).
    StepUp,
    /// An organization admin checks the connection: the claims are reported, nobody signs in.
    Test,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::Link => "link",
            Self::StepUp => "step_up",
            Self::Test => "test",
        }
    }

    /// Whether the IdP must sign the person in again (and `auth_time` shows it).
    pub fn signs_in_again(self) -> bool {
        matches!(self, Self::Link | Self::StepUp)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "sign_in" => Some(Self::SignIn),
            "link" => Some(Self::Link),
            "step_up" => Some(Self::StepUp),
            "test" => Some(Self::Test),
            _ => None,
        }
    }
}

/// Why a sign-in was refused: a code the console turns into a message, and what the audit
/// log and the server log say.
#[derive(Debug)]
pub struct Refusal {
    pub code: &'static str,
    pub detail: String,
}

impl Refusal {
    pub fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }
}

/// A refusal, or the database failing underneath.
#[derive(Debug)]
pub enum Failure {
    Refused(Refusal),
    Service(ServiceError),
}

impl<E: Into<ServiceError>> From<E> for Failure {
    fn from(e: E) -> Self {
        Self::Service(e.into())
    }
}

fn refused(code: &'static str, detail: impl Into<String>) -> Failure {
    Failure::Refused(Refusal::new(code, detail))
}

/// `return_to` as accepted: a path under `/console` (never another origin, never a
/// protocol-relative `//host`, no backslash, no dot segment, nothing percent-encoded in the
/// path a browser would decode into one), with the console's `#/…` fragment; else
/// `/console/`.
pub fn return_path(raw: Option<&str>) -> String {
    let fallback = "/console/".to_owned();
    let Some(raw) = raw else { return fallback };
    let (path, _fragment) = raw.split_once('#').unwrap_or((raw, ""));
    let under_console = path == "/console" || path.starts_with("/console/");
    if !under_console
        || raw.len() > 512
        || raw.contains('\\')
        || path.contains("//")
        || path.contains(['%', ';', '?'])
        || path
            .split('/')
            .any(|segment| segment == ".." || segment == ".")
        || raw.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return fallback;
    }
    raw.to_owned()
}

/// The organization's connection, for starting a sign-in: `no_connection` when there is none.
pub fn connection(conn: &mut DbConnection, org_id: &str) -> Result<SsoConnection, Failure> {
    sso::find(conn, org_id)?.ok_or_else(|| {
        refused(
            "no_connection",
            "the organization has no single sign-on connection",
        )
    })
}

/// Records a sign-in under way, within the limits on sign-ins in flight.
pub fn begin(conn: &mut DbConnection, flow: &SsoFlow) -> Result<(), ServiceError> {
    let now = store::now();
    let (all, of_org, from_address) =
        sso::count_live_flows(conn, now, &flow.org_id, flow.address.as_deref())?;
    if all >= MAX_FLOWS || of_org >= MAX_FLOWS_PER_ORG || from_address >= MAX_FLOWS_PER_ADDRESS {
        return Err(ServiceError::Busy(
            "too many single sign-ons under way: try again shortly".into(),
        ));
    }
    sso::insert_flow(conn, flow)?;
    Ok(())
}

/// The sign-in a callback's `state` belongs to, if this browser (its binding cookie's hash)
/// started it, taken once: a replayed callback, or one after 10 minutes, finds nothing on
/// any instance.
pub fn take(
    conn: &mut DbConnection,
    state: &str,
    binding_hash: &str,
) -> Result<Option<SsoFlow>, ServiceError> {
    Ok(sso::take_flow(
        conn,
        &crate::domain::hash_text(state),
        binding_hash,
        store::now(),
    )?)
}

/// The connection's client secret for the code exchange, if the connection is still the one
/// the sign-in started with (`connection_changed` otherwise).
pub fn client_secret(
    conn: &mut DbConnection,
    kek: &KeyEncryptionKey,
    flow: &SsoFlow,
) -> Result<String, Failure> {
    let connection = sso::find(conn, &flow.org_id)?;
    let Some(connection) =
        connection.filter(|c| c.issuer == flow.issuer && c.client_id == flow.client_id)
    else {
        return Err(refused(
            "connection_changed",
            "the organization's connection changed during the sign-in",
        ));
    };
    if connection.sealed_client_secret.is_empty() {
        return Err(refused(
            "secret_missing",
            "the organization's client secret at its IdP must be entered again (it was sealed \
             under a lost key-encryption key)",
        ));
    }
    let secret = kek.open(
        &super::connections::aad(&flow.org_id),
        &connection.sealed_client_secret,
    )?;
    String::from_utf8(secret).map_err(|_| {
        Failure::Service(ServiceError::Internal(
            "the SSO client secret is not UTF-8".into(),
        ))
    })
}

/// What a finished sign-in gives.
pub enum Finished {
    /// A person signed in (a new session).
    SignedIn(Box<StartedSession>),
    /// A test: the claims the IdP sent.
    Tested(VerifiedIdentity),
}

/// Lets the identity in, or refuses it (nothing created).
pub fn complete(
    conn: &mut DbConnection,
    settings: &PeopleSettings,
    flow: &SsoFlow,
    purpose: Purpose,
    identity: &VerifiedIdentity,
    origin: &RequestOrigin,
) -> Result<Finished, Failure> {
    if identity.issuer.trim_end_matches('/') != flow.issuer {
        return Err(refused(
            "wrong_issuer",
            format!("the ID token's issuer is {}", identity.issuer),
        ));
    }
    if purpose == Purpose::Test {
        return Ok(Finished::Tested(identity.clone()));
    }
    store::write_transaction(conn, |conn| {
        let now = store::now();
        let connection = sso::find(conn, &flow.org_id)?
            .filter(|c| c.issuer == flow.issuer && c.client_id == flow.client_id)
            .ok_or_else(|| refused("connection_changed", "the connection changed"))?;
        let linked = sso::find_identity(conn, &flow.org_id, &flow.issuer, &identity.subject)?;
        let user = match &linked {
            Some(link) => users::find(conn, &link.user_id)?
                .ok_or_else(|| refused("no_membership", "the linked person is gone"))?,
            None => admit_new_identity(conn, flow, purpose, &connection, identity, origin, now)?,
        };
        if user.disabled {
            return Err(refused("disabled", "the person is disabled"));
        }
        if memberships::find(conn, &flow.org_id, &user.id)?.is_none() {
            return Err(refused(
                "no_membership",
                "the person is not a member of the organization",
            ));
        }
        if purpose.signs_in_again() && flow.user_id.as_deref() != Some(user.id.as_str()) {
            return Err(refused(
                "other_person",
                "the IdP signed in someone else than the person signed in here",
            ));
        }
        match linked {
            Some(link) => sso::identity_signed_in(conn, &link, identity.email.as_deref(), now)?,
            None => sso::insert_identity(
                conn,
                &SsoIdentity {
                    org_id: flow.org_id.clone(),
                    issuer: flow.issuer.clone(),
                    subject: identity.subject.clone(),
                    user_id: user.id.clone(),
                    email: identity.email.clone(),
                    created_at: now,
                    last_sign_in_at: now,
                },
            )?,
        }
        if let Some(replacing) = &flow.replacing_hash {
            session_store::delete_by_hash(conn, replacing)?;
        }
        let (started, _) = sessions::start(
            conn,
            settings,
            &user.id,
            SignedInWith::Sso {
                org_id: &flow.org_id,
                auth_time: identity.auth_time.map(|t| t.naive_utc()),
            },
            origin,
            None,
        )?;
        Ok(Finished::SignedIn(Box::new(started)))
    })
}

/// An identity the organization has not seen: linked to the person who started the sign-in
/// (a member), or a new person by invitation or by domain; refused otherwise.
fn admit_new_identity(
    conn: &mut DbConnection,
    flow: &SsoFlow,
    purpose: Purpose,
    connection: &SsoConnection,
    identity: &VerifiedIdentity,
    origin: &RequestOrigin,
    now: NaiveDateTime,
) -> Result<users::User, Failure> {
    let actor = |user: &users::User| {
        Principal::User(UserPrincipal {
            user_id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            memberships: Vec::new(),
            session_id: String::new(),
            method: "sso".into(),
            sso_org: Some(flow.org_id.clone()),
            fresh: false,
            reauth_seconds: 0,
            address: origin.address.clone(),
            user_agent: origin.user_agent.clone(),
        })
    };
    let identity_details = json!({
        "issuer": flow.issuer,
        "subject": identity.subject,
        "email": identity.email,
    });
    if purpose == Purpose::Link
        && let Some(user_id) = &flow.user_id
        && memberships::find(conn, &flow.org_id, user_id)?.is_some()
        && let Some(user) = users::find(conn, user_id)?
    {
        audit::record(
            conn,
            &flow.org_id,
            &actor(&user),
            SSO_IDENTITY_LINKED,
            &user.id,
            Some(&user.name),
            identity_details,
        )?;
        return Ok(user);
    }
    let email = match (&identity.email, identity.email_verified) {
        (Some(email), true) => email.clone(),
        _ => {
            return Err(refused(
                "unverified_email",
                "the IdP did not vouch for the person's e-mail address (email_verified)",
            ));
        }
    };
    // A plain ASCII address as the IdP sent it: no Unicode case folding that would make two
    // of the IdP's accounts one person here.
    let email = match crate::domain::Email::parse(&email) {
        Ok(parsed) if email.is_ascii() && parsed.as_str() == email => parsed.into_inner(),
        _ => {
            return Err(refused(
                "bad_email",
                "the IdP's e-mail address is not a plain e-mail address",
            ));
        }
    };
    let invitation = invitations::find_pending_for(conn, &flow.org_id, &email, now)?;
    let domain = email.rsplit_once('@').map(|(_, d)| d.to_owned());
    let jit_role = connection
        .jit_role
        .as_deref()
        .map(MembershipRole::from_stored)
        .filter(|role| *role != MembershipRole::PlatformAdmin);
    let by_domain = match (&domain, jit_role) {
        (Some(domain), Some(role)) => {
            (sso::owner_of(conn, domain)?.as_deref() == Some(flow.org_id.as_str())).then_some(role)
        }
        _ => None,
    };
    if invitation.is_none() && by_domain.is_none() {
        return Err(refused(
            "no_membership",
            "no pending invitation for this e-mail and its domain does not let people join",
        ));
    }
    if users::find_by_email(conn, &email)?.is_some() {
        return Err(refused(
            "existing_account",
            "this e-mail belongs to someone who signs in otherwise: they sign in first, then \
             through the IdP, to link it",
        ));
    }
    let user = users::User {
        id: format!("usr_{}", random_base62(22)),
        email: email.clone(),
        name: identity
            .name
            .as_deref()
            .map(|n| {
                n.chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect::<String>()
            })
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| email.clone()),
        disabled: false,
        webauthn_id: webauthn_rs::prelude::Uuid::new_v4().to_string(),
        created_at: now,
        last_sign_in_at: None,
    };
    users::insert(conn, &user)?;
    match invitation {
        Some(invitation) => {
            if !invitations::delete(conn, &invitation.id)? {
                return Err(Failure::Service(ServiceError::NotFound("invitation")));
            }
            crate::service::people::passkeys::join(conn, &invitation, &user.id, now)?;
            audit::record(
                conn,
                &flow.org_id,
                &actor(&user),
                audit::INVITATION_ACCEPTED,
                &user.id,
                Some(&user.name),
                json!({"invitation_id": invitation.id, "email": user.email,
                       "role": invitation.role, "method": "sso"}),
            )?;
        }
        None => {
            let role = by_domain.unwrap_or(MembershipRole::Viewer);
            memberships::insert(
                conn,
                &memberships::Membership {
                    user_id: user.id.clone(),
                    org_id: flow.org_id.clone(),
                    role: role.as_str().to_owned(),
                    created_at: now,
                },
            )?;
            audit::record(
                conn,
                &flow.org_id,
                &actor(&user),
                SSO_MEMBER_JOINED,
                &user.id,
                Some(&user.name),
                json!({"email": user.email, "role": role.as_str(), "domain": domain}),
            )?;
        }
    }
    Ok(user)
}

/// Records a refused sign-in in the organization's audit log.
pub fn record_refusal(
    conn: &mut DbConnection,
    org_id: &str,
    refusal: &Refusal,
    identity: Option<&VerifiedIdentity>,
    origin: &RequestOrigin,
) -> Result<(), ServiceError> {
    store::write_transaction(conn, |conn| {
        if crate::store::organizations::find(conn, org_id)?.is_none() {
            return Ok(());
        }
        audit::record_visitor(
            conn,
            org_id,
            SSO_SIGN_IN_FAILED,
            origin,
            json!({
                "reason": refusal.code,
                "detail": refusal.detail,
                "subject": identity.map(|i| &i.subject),
                "email": identity.and_then(|i| i.email.as_ref()),
            }),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::return_path;

    #[test]
    fn return_to_is_only_ever_a_console_path() {
        assert_eq!(return_path(Some("/console/#/orgs/x")), "/console/#/orgs/x");
        assert_eq!(return_path(Some("/console")), "/console");
        assert_eq!(
            return_path(Some("/console/#/orgs/x/audit?action=a%20b")),
            "/console/#/orgs/x/audit?action=a%20b",
            "the fragment is the console's own"
        );
        for outside in [
            "https://evil.example/console/",
            "//evil.example/console/",
            "/console//evil.example",
            "/consolex",
            "/console/../admin/v1/me",
            "/console/..",
            "/console/%2e%2e/admin/v1/me",
            "/console/.%2E/admin",
            "/console/;x",
            "/console/./x",
            "/console\\..\\x",
            "/admin/v1/me",
            "/console/\u{0}",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(return_path(Some(outside)), "/console/", "{outside:?}");
        }
        assert_eq!(return_path(None), "/console/");
    }
}
