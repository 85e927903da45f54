//! JSON shapes of people: who am I, members, invitations, sessions, passkeys. Views never
//! hold a session id's value or an invitation token, except the invitation URL returned once
//! by its creation.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::service::people::invitations::CreatedInvitation;
use crate::store::people::invitations::Invitation;
use crate::store::people::memberships::Member;
use crate::store::people::passkeys::PasskeyRow;
use crate::store::people::sessions::Session;

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// The caller: a person (with a session) or an admin client.
#[derive(Serialize, ToSchema)]
pub struct MeView {
    /// `user` or `client`.
    #[serde(rename = "type")]
    #[schema(example = "user")]
    pub kind: &'static str,
    #[schema(example = "usr_Q2kd8Rm1Zp0aXw4TnB7cVe")]
    pub id: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
    /// A person's e-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "ada@example.com")]
    pub email: Option<String>,
    /// The organizations the caller may open, with its role in each.
    #[schema(example = json!([{"organization_id": "org_Aoonxx5hGGFIh4LSlA3hQZ", "organization_name": "Acme", "role": "org:admin", "sso_required": false}]))]
    pub memberships: Vec<MembershipView>,
    // The current session, for a person (no doc comment: utoipa would wrap the inline object
    // and drop its example).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(inline, nullable = false, example = json!({"id": "ses_9fLm2Qx7RkT4bN8cVw1ZpA", "method": "passkey", "authenticated_at": "2026-12-06T09:30:00Z", "expires_at": "2026-12-06T21:30:00Z"}))]
    pub session: Option<SessionSummaryView>,
    /// Send it as `X-CSRF-Token` with every change made with the session cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "hG3kLp9QzX2vB7nM4tR8wY1cF6dJ0aSe")]
    pub csrf_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"organization_id": "org_Aoonxx5hGGFIh4LSlA3hQZ", "organization_name": "Acme", "role": "org:admin", "sso_required": false}))]
pub struct MembershipView {
    #[schema(example = "org_Aoonxx5hGGFIh4LSlA3hQZ")]
    pub organization_id: String,
    #[schema(example = "Acme")]
    pub organization_name: String,
    /// `org:admin`, `org:viewer` or `platform:admin`.
    #[schema(example = "org:admin")]
    pub role: String,
    /// This session cannot act in the organization: it requires signing in through its own
    /// IdP (`require_sso`), or the session was signed in through another organization's IdP.
    #[schema(example = false)]
    pub sso_required: bool,
}

/// The current session.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "ses_9fLm2Qx7RkT4bN8cVw1ZpA", "method": "passkey", "authenticated_at": "2026-12-06T09:30:00Z", "expires_at": "2026-12-06T21:30:00Z"}))]
pub struct SessionSummaryView {
    #[schema(example = "ses_9fLm2Qx7RkT4bN8cVw1ZpA")]
    pub id: String,
    #[schema(example = "passkey")]
    pub method: String,
    /// The last sign-in or step-up.
    #[schema(example = "2026-12-06T09:30:00Z")]
    pub authenticated_at: DateTime<Utc>,
    /// When the session ends at the latest.
    #[schema(example = "2026-12-06T21:30:00Z")]
    pub expires_at: DateTime<Utc>,
}

impl From<&Session> for SessionSummaryView {
    fn from(s: &Session) -> Self {
        Self {
            id: s.id.clone(),
            method: s.method.clone(),
            authenticated_at: utc(s.authenticated_at),
            expires_at: utc(s.expires_at),
        }
    }
}

/// One of the person's sessions.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    #[schema(example = "ses_9fLm2Qx7RkT4bN8cVw1ZpA")]
    pub id: String,
    /// `passkey` or `sso`.
    #[schema(example = "passkey")]
    pub method: String,
    #[schema(example = "2026-12-06T09:30:00Z")]
    pub created_at: DateTime<Utc>,
    #[schema(example = "2026-12-06T09:30:00Z")]
    pub authenticated_at: DateTime<Utc>,
    /// Within a minute.
    #[schema(example = "2026-12-06T10:02:00Z")]
    pub last_seen_at: DateTime<Utc>,
    #[schema(example = "2026-12-06T21:30:00Z")]
    pub expires_at: DateTime<Utc>,
    /// Where it signed in from.
    #[schema(example = "203.0.113.7")]
    pub address: Option<String>,
    #[schema(example = "Mozilla/5.0 (X11; Linux x86_64)")]
    pub user_agent: Option<String>,
    /// Whether this is the session of this request.
    #[schema(example = true)]
    pub current: bool,
}

impl SessionView {
    pub fn of(s: Session, current: &str) -> Self {
        Self {
            current: s.id == current,
            id: s.id,
            method: s.method,
            created_at: utc(s.created_at),
            authenticated_at: utc(s.authenticated_at),
            last_seen_at: utc(s.last_seen_at),
            expires_at: utc(s.expires_at),
            address: s.address,
            user_agent: s.user_agent,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PasskeyView {
    #[schema(example = "pk_7hQ2mR9xT4bN1cVw8ZpLaK")]
    pub id: String,
    #[schema(example = "Laptop")]
    pub name: String,
    #[schema(example = "2026-12-06T09:30:00Z")]
    pub created_at: DateTime<Utc>,
    #[schema(example = "2026-12-06T10:00:00Z")]
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<PasskeyRow> for PasskeyView {
    fn from(p: PasskeyRow) -> Self {
        Self {
            id: p.id,
            name: p.name,
            created_at: utc(p.created_at),
            last_used_at: p.last_used_at.map(utc),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    #[schema(example = "usr_Q2kd8Rm1Zp0aXw4TnB7cVe")]
    pub user_id: String,
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
    /// `org:admin`, `org:viewer` or `platform:admin`.
    #[schema(example = "org:admin")]
    pub role: String,
    #[schema(example = "2026-12-01T09:30:00Z")]
    pub joined_at: DateTime<Utc>,
    #[schema(example = "2026-12-06T09:30:00Z")]
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        Self {
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role,
            joined_at: utc(m.joined_at),
            last_sign_in_at: m.last_sign_in_at.map(utc),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    /// `org:admin`, `org:viewer` (or `platform:admin`, by a platform admin, in the platform
    /// organization).
    #[schema(example = "org:viewer")]
    pub role: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitationRequest {
    #[schema(example = "grace@example.com")]
    pub email: String,
    /// `org:admin` or `org:viewer` (or `platform:admin`, by a platform admin, in the platform
    /// organization).
    #[schema(example = "org:admin")]
    pub role: String,
    /// 1–30; default 7.
    #[schema(example = 7)]
    pub expires_in_days: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    #[schema(example = "inv_4nB8cVw1ZpA9fLm2Qx7RkT")]
    pub id: String,
    #[schema(example = "grace@example.com")]
    pub email: String,
    #[schema(example = "org:admin")]
    pub role: String,
    #[schema(example = "2026-12-06T09:30:00Z")]
    pub created_at: DateTime<Utc>,
    #[schema(example = "2026-12-13T09:30:00Z")]
    pub expires_at: DateTime<Utc>,
    /// Only in the answer that created it: the link to pass on (single-use).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        example = "http://localhost:8080/console/#/invitation/3kQ9mZrT1bX2cV5nL8pW0yA4sD6fG8hJ0kL2zX4cV6b"
    )]
    pub invitation_url: Option<String>,
    /// Only in the answer that created it: whether it was also sent by e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = false)]
    pub emailed: Option<bool>,
}

impl From<Invitation> for InvitationView {
    fn from(i: Invitation) -> Self {
        Self {
            id: i.id,
            email: i.email,
            role: i.role,
            created_at: utc(i.created_at),
            expires_at: utc(i.expires_at),
            invitation_url: None,
            emailed: None,
        }
    }
}

impl InvitationView {
    pub fn created(created: &CreatedInvitation, url: String, emailed: bool) -> Self {
        Self {
            invitation_url: Some(url),
            emailed: Some(emailed),
            ..Self::from(created.invitation.clone())
        }
    }
}

/// The console link of an invitation token.
pub fn invitation_url(console_origin: &str, token: &str) -> String {
    format!("{console_origin}/console/#/invitation/{token}")
}
