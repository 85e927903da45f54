//! Who acts, and what they may do: the one place that holds the tenant check and the grant
//! rule, below every use case.
//!
//! A `Principal` is whoever performs a use case: the operator on the command line, an admin
//! client over the API (machine credentials), and a person signed in with a session.
//! Each holds roles *in organizations*: a client in its own organization only, a person in
//! every organization they are a member of. `platform:admin` (in any of them) reaches every
//! organization. Machine credentials and human sessions stay two kinds of principal.
//! A person's `org:viewer` membership reads an organization and changes nothing; a person's
//! changes to credentials, roles and memberships need a recent sign-in (step-up).

use crate::domain::{MembershipRole, ORG_ADMIN, OrgId, PLATFORM_ADMIN, RoleSet};
use crate::store::DbConnection;
use crate::store::organizations::{self, Organization};

use super::ServiceError;

/// An authenticated admin client, as the admin API's bearer check established it.
#[derive(Debug, Clone)]
pub struct ClientPrincipal {
    pub client_id: String,
    pub org_id: String,
    /// The roles both its token and its current record grant.
    pub roles: Vec<String>,
    /// Where the request came from.
    pub address: Option<String>,
}

/// A person signed in with a session.
#[derive(Debug, Clone)]
pub struct UserPrincipal {
    pub user_id: String,
    pub email: String,
    pub name: String,
    /// (organization id, role), as the store holds them now.
    pub memberships: Vec<(String, MembershipRole)>,
    pub session_id: String,
    /// How the session signed in: `passkey`, `invitation` or `sso`.
    pub method: String,
    /// The organization whose IdP signed the session in: it acts there only, and changes
    /// nothing of the person's account (passkeys, other sessions, other organizations).
    pub sso_org: Option<String>,
    /// Whether the last sign-in is recent enough for a sensitive change, and the window.
    pub fresh: bool,
    pub reauth_seconds: u64,
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

impl UserPrincipal {
    /// Refuses a change to the person's account (passkeys, sessions, joining another
    /// organization) from a session signed in through an organization's IdP: that IdP vouches
    /// for the person in its organization only, and a passkey added from such a session would
    /// reach every organization of the person.
    pub fn require_account_session(&self) -> Result<(), ServiceError> {
        match &self.sso_org {
            Some(_) => Err(ServiceError::Forbidden(
                "a session signed in through an organization's single sign-on acts in that \
                 organization only: sign in with a passkey to change the account"
                    .into(),
            )),
            None => Ok(()),
        }
    }
}

/// Who performs a use case.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The operator, who has the machine and the database already, so is not restricted:
    /// `cli` or `bootstrap`.
    Operator(&'static str),
    Client(ClientPrincipal),
    User(UserPrincipal),
}

/// The kind of principal, as the audit log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    Operator,
    Client,
    User,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Client => "client",
            Self::User => "user",
        }
    }
}

impl Principal {
    pub fn kind(&self) -> PrincipalKind {
        match self {
            Self::Operator(_) => PrincipalKind::Operator,
            Self::Client(_) => PrincipalKind::Client,
            Self::User(_) => PrincipalKind::User,
        }
    }

    /// The audit log's actor id: a client ID, or `cli` / `bootstrap` for the operator.
    pub fn id(&self) -> &str {
        match self {
            Self::Operator(name) => name,
            Self::Client(c) => &c.client_id,
            Self::User(u) => &u.user_id,
        }
    }

    /// Whether the principal holds `role` in `org` (the operator: every role everywhere).
    fn holds_in(&self, org: &str, role: &str) -> bool {
        match self {
            Self::Operator(_) => true,
            Self::Client(c) => c.org_id == org && c.roles.iter().any(|r| r == role),
            Self::User(u) => u
                .memberships
                .iter()
                .any(|(o, r)| o == org && r.as_str() == role),
        }
    }

    pub fn is_platform_admin(&self) -> bool {
        match self {
            Self::Operator(_) => true,
            Self::Client(c) => c.roles.iter().any(|r| r == PLATFORM_ADMIN),
            Self::User(u) => u
                .memberships
                .iter()
                .any(|(_, r)| *r == MembershipRole::PlatformAdmin),
        }
    }

    /// The tenant check: platform admins manage every organization; org admins their own.
    pub fn can_manage_org(&self, org_id: &OrgId) -> bool {
        self.is_platform_admin() || self.holds_in(org_id.as_str(), ORG_ADMIN)
    }

    /// Whether the principal may read the organization: its managers and its viewers.
    pub fn can_view_org(&self, org_id: &OrgId) -> bool {
        self.can_manage_org(org_id)
            || self.holds_in(org_id.as_str(), MembershipRole::Viewer.as_str())
    }

    /// Step-up: a person's change to a credential, a role or a membership needs a sign-in
    /// within the re-authentication window. Clients and the operator pass.
    pub fn require_recent_sign_in(&self) -> Result<(), ServiceError> {
        match self {
            Self::User(u) if !u.fresh => Err(ServiceError::StepUpRequired(u.reauth_seconds)),
            _ => Ok(()),
        }
    }

    /// Whether the principal may hand out `role` in `org_id`: platform admins (and the
    /// operator) every catalog role, that organization's admins every role but
    /// `platform:admin`.
    pub fn can_grant(&self, org_id: &OrgId, role: &str) -> bool {
        self.is_platform_admin()
            || (self.holds_in(org_id.as_str(), ORG_ADMIN) && role != PLATFORM_ADMIN)
    }

    /// The grant rule: a principal may act on a client of `org_id` (rotate, rename, re-role,
    /// delete, trust) only if it could have granted every role that client holds. An org
    /// admin therefore never touches a `platform:admin` client, even one in its own
    /// organization.
    pub fn may_act_on(&self, org_id: &OrgId, client_roles: &RoleSet) -> Result<(), ServiceError> {
        match client_roles.iter().find(|r| !self.can_grant(org_id, r)) {
            None => Ok(()),
            Some(role) => Err(ServiceError::Forbidden(format!(
                "this client holds {role}, which the caller cannot grant, so the caller cannot \
                 change it"
            ))),
        }
    }

    /// The organization platform-level events (roles) are recorded under.
    pub fn home_org(&self) -> Option<&str> {
        match self {
            Self::Operator(_) => None,
            Self::Client(c) => Some(&c.org_id),
            Self::User(u) => u
                .memberships
                .iter()
                .find(|(_, r)| *r == MembershipRole::PlatformAdmin)
                .or(u.memberships.first())
                .map(|(o, _)| o.as_str()),
        }
    }
}

/// The organization, if `principal` may change it; `Forbidden` for its viewers, `NotFound`
/// for everyone else, so that another organization's existence is not revealed.
pub fn find_managed(
    conn: &mut DbConnection,
    principal: &Principal,
    org_id: &OrgId,
) -> Result<Organization, ServiceError> {
    if !principal.can_manage_org(org_id) {
        if principal.can_view_org(org_id) {
            return Err(ServiceError::Forbidden(
                "org:viewer is read-only: this change needs org:admin".into(),
            ));
        }
        return Err(ServiceError::NotFound("organization"));
    }
    organizations::find(conn, org_id.as_str())?.ok_or(ServiceError::NotFound("organization"))
}

/// The organization, if `principal` may read it (its viewers included); `NotFound`
/// otherwise.
pub fn find_visible(
    conn: &mut DbConnection,
    principal: &Principal,
    org_id: &OrgId,
) -> Result<Organization, ServiceError> {
    if !principal.can_view_org(org_id) {
        return Err(ServiceError::NotFound("organization"));
    }
    organizations::find(conn, org_id.as_str())?.ok_or(ServiceError::NotFound("organization"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(org: &str, roles: &[&str]) -> Principal {
        Principal::Client(ClientPrincipal {
            client_id: "c".into(),
            org_id: org.into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            address: None,
        })
    }

    fn org(id: &str) -> OrgId {
        OrgId::parse(id).expect("a valid organization id")
    }

    #[test]
    fn an_org_admin_manages_and_grants_in_its_own_organization_only() {
        let admin = client("org_a", &[ORG_ADMIN]);
        assert!(admin.can_manage_org(&org("org_a")));
        assert!(!admin.can_manage_org(&org("org_b")));
        assert!(admin.can_grant(&org("org_a"), "billing:read"));
        assert!(!admin.can_grant(&org("org_b"), "billing:read"));
        assert!(!admin.can_grant(&org("org_a"), PLATFORM_ADMIN));
    }

    #[test]
    fn the_grant_rule_keeps_org_admins_off_platform_admin_clients() {
        let admin = client("org_a", &[ORG_ADMIN]);
        let platform_client = RoleSet::from_stored(vec![PLATFORM_ADMIN.to_owned()]);
        assert!(admin.may_act_on(&org("org_a"), &platform_client).is_err());
        let platform = client("org_p", &[PLATFORM_ADMIN]);
        assert!(platform.may_act_on(&org("org_a"), &platform_client).is_ok());
        assert!(platform.can_manage_org(&org("org_a")));
    }

    #[test]
    fn a_role_other_than_the_admin_roles_manages_nothing() {
        let reader = client("org_a", &["billing:read"]);
        assert!(!reader.can_manage_org(&org("org_a")));
        assert!(!reader.can_grant(&org("org_a"), "billing:read"));
    }
}
