//! An organization's members: list, change a role, remove, end a member's sessions. The
//! grant rule holds: an org admin cannot promote to, demote, remove or sign out a
//! `platform:admin`; the last admin of an organization stays (`409`).

use serde_json::json;

use super::invitations::check_grantable;
use crate::domain::{MembershipRole, OrgId, PLATFORM_ADMIN};
use crate::service::{Principal, ServiceError, access, audit};
use crate::store::organizations::{self, Organization};
use crate::store::people::memberships::{self, Member, Membership};
use crate::store::people::{invitations, sessions, users};
use crate::store::{self, DbConnection};

pub fn list(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    after: Option<(chrono::NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<Member>, ServiceError> {
    access::find_visible(conn, actor, org_id)?;
    Ok(memberships::page(conn, org_id.as_str(), after, limit)?)
}

/// The member, locked with their organization for a change the actor may make.
fn lock_member(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    user_id: &str,
) -> Result<(Organization, Membership, users::User), ServiceError> {
    let org = access::find_managed(conn, actor, org_id)?;
    actor.require_recent_sign_in()?;
    organizations::lock(conn, &org.id)?;
    let membership =
        memberships::find(conn, &org.id, user_id)?.ok_or(ServiceError::NotFound("member"))?;
    let role = MembershipRole::from_stored(&membership.role);
    let elsewhere = memberships::roles_of(conn, user_id)?;
    let platform_anywhere = elsewhere
        .iter()
        .any(|(_, r)| r == MembershipRole::PlatformAdmin.as_str());
    if platform_anywhere && !actor.is_platform_admin() {
        return Err(ServiceError::Forbidden(format!(
            "this person holds {PLATFORM_ADMIN}, which the caller cannot grant, so the caller \
             cannot change them"
        )));
    }
    check_grantable(actor, &org, role).map_err(|_| {
        ServiceError::Forbidden(format!(
            "this member holds {PLATFORM_ADMIN}, which the caller cannot grant, so the caller \
             cannot change them"
        ))
    })?;
    let user = users::find(conn, user_id)?.ok_or(ServiceError::NotFound("member"))?;
    Ok((org, membership, user))
}

/// Refuses a change that would leave the organization without an admin member.
fn keep_an_admin(
    conn: &mut DbConnection,
    org_id: &str,
    leaving: MembershipRole,
) -> Result<(), ServiceError> {
    if !leaving.manages() {
        return Ok(());
    }
    let admins = memberships::count_with_role(conn, org_id, MembershipRole::Admin.as_str())?
        + memberships::count_with_role(conn, org_id, MembershipRole::PlatformAdmin.as_str())?;
    if admins <= 1 {
        return Err(ServiceError::Conflict(
            "this is the organization's last admin member: make someone else an admin first".into(),
        ));
    }
    Ok(())
}

pub fn change_role(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    user_id: &str,
    role: MembershipRole,
) -> Result<Member, ServiceError> {
    store::write_transaction(conn, |conn| {
        let (org, membership, user) = lock_member(conn, actor, org_id, user_id)?;
        check_grantable(actor, &org, role)?;
        let before = MembershipRole::from_stored(&membership.role);
        if before != role {
            if !role.manages() {
                keep_an_admin(conn, &org.id, before)?;
            }
            memberships::set_role(conn, &org.id, user_id, role.as_str())?;
            // A viewer invites nobody: their pending invitations go with the power.
            if !role.manages() {
                invitations::delete_by_inviter(conn, &org.id, user_id)?;
            }
            audit::record(
                conn,
                &org.id,
                actor,
                audit::MEMBER_ROLE_CHANGED,
                user_id,
                Some(&user.email),
                json!({"role": role.as_str(), "previous_role": before.as_str()}),
            )?;
        }
        Ok(Member {
            user_id: user.id,
            email: user.email,
            name: user.name,
            role: role.as_str().to_owned(),
            joined_at: membership.created_at,
            last_sign_in_at: user.last_sign_in_at,
        })
    })
}

/// Removes a member: their sessions lose this organization at their next request.
pub fn remove(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    user_id: &str,
) -> Result<(), ServiceError> {
    store::write_transaction(conn, |conn| {
        let (org, membership, user) = lock_member(conn, actor, org_id, user_id)?;
        let role = MembershipRole::from_stored(&membership.role);
        keep_an_admin(conn, &org.id, role)?;
        memberships::delete(conn, &org.id, user_id)?;
        invitations::delete_by_inviter(conn, &org.id, user_id)?;
        audit::record(
            conn,
            &org.id,
            actor,
            audit::MEMBER_REMOVED,
            user_id,
            Some(&user.email),
            json!({"email": user.email, "role": role.as_str()}),
        )
    })
}

/// Ends every session of a member (a lost laptop): how many ended.
pub fn end_sessions(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    user_id: &str,
) -> Result<usize, ServiceError> {
    store::write_transaction(conn, |conn| {
        let (org, _, user) = lock_member(conn, actor, org_id, user_id)?;
        // Sessions are the person's, not the organization's: only a platform admin ends
        // those of someone who is also a member elsewhere (removing the membership is how an
        // organization cuts its own access).
        let elsewhere = memberships::roles_of(conn, user_id)?
            .iter()
            .any(|(o, _)| *o != org.id);
        if elsewhere && !actor.is_platform_admin() {
            return Err(ServiceError::Forbidden(
                "this person is also a member of other organizations: remove their membership \
                 here instead, or ask a platform admin to sign them out everywhere"
                    .into(),
            ));
        }
        let ended = sessions::delete_all(conn, user_id)?;
        audit::record(
            conn,
            &org.id,
            actor,
            audit::MEMBER_SESSIONS_ENDED,
            user_id,
            Some(&user.email),
            json!({"email": user.email, "sessions": ended}),
        )?;
        Ok(ended)
    })
}
