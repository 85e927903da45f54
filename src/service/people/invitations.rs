//! Invitations: an organization's admin invites a person by e-mail with a role; the link
//! (256 random bits, stored as a hash) is shown once, works once and lapses (7 days unless
//! the inviter says 1–30). Accepting it is `passkeys::accept_invitation` (a new person) or
//! `passkeys::accept_invitation_as` (someone signed in).

use chrono::TimeDelta;
use serde_json::json;

use crate::domain::{BearerSecret, Email, MembershipRole, OrgId, random_base62};
use crate::service::{Principal, ServiceError, access, audit};
use crate::store::organizations::{self, Organization};
use crate::store::people::invitations::{self, Invitation};
use crate::store::people::{memberships, users};
use crate::store::{self, DbConnection};

pub const DEFAULT_DAYS: u32 = 7;

pub struct NewInvitation {
    pub email: Email,
    pub role: MembershipRole,
    pub expires_in_days: u32,
}

/// A created invitation and its token, for the link shown (and mailed) this once.
pub struct CreatedInvitation {
    pub invitation: Invitation,
    pub token: BearerSecret,
    pub organization_name: String,
}

/// Whether `actor` may hand `role` to people of `org`: platform admins every role (and
/// `platform:admin` only in the platform organization), org admins `org:admin` and
/// `org:viewer`.
pub fn check_grantable(
    actor: &Principal,
    org: &Organization,
    role: MembershipRole,
) -> Result<(), ServiceError> {
    if role == MembershipRole::PlatformAdmin {
        if !actor.is_platform_admin() {
            return Err(ServiceError::Forbidden(
                "only a platform admin can grant platform:admin".into(),
            ));
        }
        if !org.platform {
            return Err(ServiceError::invalid(
                "role",
                "platform:admin is held only in the platform (bootstrap) organization",
            ));
        }
    }
    Ok(())
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    new: NewInvitation,
) -> Result<CreatedInvitation, ServiceError> {
    if !(1..=30).contains(&new.expires_in_days) {
        return Err(ServiceError::invalid("expires_in_days", "between 1 and 30"));
    }
    let org = access::find_managed(conn, actor, org_id)?;
    actor.require_recent_sign_in()?;
    check_grantable(actor, &org, new.role)?;
    let token = BearerSecret::generate();
    let now = store::now();
    let invitation = Invitation {
        id: format!("inv_{}", random_base62(22)),
        org_id: org.id.clone(),
        email: new.email.into_inner(),
        role: new.role.as_str().to_owned(),
        token_hash: token.hash(),
        invited_by: actor.id().to_owned(),
        created_at: now,
        expires_at: now + TimeDelta::days(i64::from(new.expires_in_days)),
    };
    store::write_transaction(conn, |conn| {
        if let Some(user) = users::find_by_email(conn, &invitation.email)?
            && memberships::find(conn, &org.id, &user.id)?.is_some()
        {
            return Err(ServiceError::Conflict(
                "this person is already a member of the organization".into(),
            ));
        }
        invitations::insert(conn, &invitation)?;
        audit::record(
            conn,
            &org.id,
            actor,
            audit::INVITATION_CREATED,
            &invitation.id,
            Some(&invitation.email),
            json!({
                "email": invitation.email,
                "role": invitation.role,
                "expires_at": invitation.expires_at.and_utc().to_rfc3339(),
            }),
        )
    })?;
    Ok(CreatedInvitation {
        invitation,
        token,
        organization_name: org.name,
    })
}

/// The organization's pending invitations (never their tokens).
pub fn list(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    after: Option<(chrono::NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<Invitation>, ServiceError> {
    access::find_visible(conn, actor, org_id)?;
    Ok(invitations::page_pending(
        conn,
        org_id.as_str(),
        store::now(),
        after,
        limit,
    )?)
}

pub fn revoke(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    id: &str,
) -> Result<(), ServiceError> {
    let org = access::find_managed(conn, actor, org_id)?;
    actor.require_recent_sign_in()?;
    store::write_transaction(conn, |conn| {
        let invitation =
            invitations::find(conn, &org.id, id)?.ok_or(ServiceError::NotFound("invitation"))?;
        check_grantable(actor, &org, MembershipRole::from_stored(&invitation.role))?;
        if !invitations::delete(conn, &invitation.id)? {
            return Err(ServiceError::NotFound("invitation"));
        }
        audit::record(
            conn,
            &org.id,
            actor,
            audit::INVITATION_REVOKED,
            &invitation.id,
            Some(&invitation.email),
            json!({"email": invitation.email, "role": invitation.role}),
        )
    })
}

/// The invitation's e-mail: subject and plain-text body.
pub fn mail(created: &CreatedInvitation, url: &str) -> (String, String) {
    let invitation = &created.invitation;
    let subject = format!(
        "You are invited to administer {} in orgauth",
        created.organization_name
    );
    let body = format!(
        "You have been invited to join {org} as {role}.\n\n\
         Open this link to accept (it works once, until {expires} UTC):\n\n{url}\n\n\
         You will create a passkey on this device; there is no password.\n\
         If you did not expect this invitation, ignore this message.\n",
        org = created.organization_name,
        role = invitation.role,
        expires = invitation.expires_at.format("%Y-%m-%d %H:%M"),
    );
    (subject, body)
}

/// What the invitation page shows before the person accepts.
pub struct InvitationOffer {
    pub organization_name: String,
    pub email: String,
    pub role: String,
    pub expires_at: chrono::NaiveDateTime,
}

pub fn offer(
    conn: &mut DbConnection,
    token: &BearerSecret,
) -> Result<InvitationOffer, ServiceError> {
    let invitation = super::passkeys::pending(conn, token)?;
    let org = organizations::find(conn, &invitation.org_id)?
        .ok_or(ServiceError::NotFound("invitation"))?;
    Ok(InvitationOffer {
        organization_name: org.name,
        email: invitation.email,
        role: invitation.role,
        expires_at: invitation.expires_at,
    })
}
