//! Path parameters, parsed into the domain's IDs at the edge: an ID that cannot exist is
//! simply not found (`404`), and what reaches the use cases is typed.

use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::ApiError;
use crate::domain::{ClientId, OrgId, ParseError};

/// `/organizations/{org_id}/…`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct OrgPath {
    /// Organization ID
    org_id: String,
}

impl OrgPath {
    pub fn parse(self) -> Result<OrgId, ApiError> {
        OrgId::parse(&self.org_id).map_err(|_| not_found("organization"))
    }
}

/// `/organizations/{org_id}/clients/{client_id}/…`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ClientPath {
    /// Organization ID
    org_id: String,
    /// Client ID
    client_id: String,
}

impl ClientPath {
    pub fn parse(self) -> Result<(OrgId, ClientId), ApiError> {
        let org_id = OrgId::parse(&self.org_id).map_err(|_| not_found("organization"))?;
        let client_id = ClientId::parse(&self.client_id).map_err(|_| not_found("client"))?;
        Ok((org_id, client_id))
    }
}

/// `/organizations/{org_id}/clients/{client_id}/trust-policies/{policy_id}`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TrustPolicyPath {
    /// Organization ID
    org_id: String,
    /// Client ID
    client_id: String,
    /// Trust policy ID
    policy_id: String,
}

impl TrustPolicyPath {
    pub fn parse(self) -> Result<(OrgId, ClientId, String), ApiError> {
        let (org_id, client_id) = ClientPath {
            org_id: self.org_id,
            client_id: self.client_id,
        }
        .parse()?;
        let valid = self.policy_id.len() <= 64
            && self
                .policy_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(not_found("trust policy"));
        }
        Ok((org_id, client_id, self.policy_id))
    }
}

fn not_found(what: &str) -> ApiError {
    ApiError::NotFound(format!("{what} not found"))
}

/// A body field that failed to parse: `422` naming it.
pub fn invalid(field: &'static str) -> impl FnOnce(ParseError) -> ApiError {
    move |e| ApiError::unprocessable(field, format!("{field}: {}", e.0))
}

/// `/organizations/{org_id}/members/{user_id}`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MemberPath {
    /// Organization ID
    org_id: String,
    /// User ID
    user_id: String,
}

impl MemberPath {
    pub fn parse(self) -> Result<(OrgId, String), ApiError> {
        let org_id = OrgId::parse(&self.org_id).map_err(|_| not_found("organization"))?;
        Ok((org_id, plain_id(self.user_id, "member")?))
    }
}

/// `/organizations/{org_id}/invitations/{invitation_id}`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct InvitationPath {
    /// Organization ID
    org_id: String,
    /// Invitation ID
    invitation_id: String,
}

impl InvitationPath {
    pub fn parse(self) -> Result<(OrgId, String), ApiError> {
        let org_id = OrgId::parse(&self.org_id).map_err(|_| not_found("organization"))?;
        Ok((org_id, plain_id(self.invitation_id, "invitation")?))
    }
}

/// `/me/sessions/{id}`, `/me/passkeys/{id}`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct OwnPath {
    /// Session or passkey ID
    id: String,
}

impl OwnPath {
    pub fn parse(self, what: &str) -> Result<String, ApiError> {
        plain_id(self.id, what)
    }
}

/// An ID of ours (`usr_…`, `inv_…`, `ses_…`, `pk_…`): letters, digits and `_`.
fn plain_id(id: String, what: &str) -> Result<String, ApiError> {
    let valid = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid { Ok(id) } else { Err(not_found(what)) }
}
