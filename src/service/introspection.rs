//! What introspection (RFC 7662) may say about a verified access token, and to whom.

use std::sync::Arc;

use crate::domain::{PLATFORM_ADMIN, RoleSet};
use crate::store::clients::ClientCredentials;
use crate::store::{self, DbConnection, StoreError};
use crate::token::AccessTokenClaims;

/// The client asking: it sees tokens of its own organization, a platform admin every token.
pub struct Introspector<'a> {
    pub org_id: &'a str,
    pub roles: &'a RoleSet,
}

/// Whether a token with a valid signature still speaks for its client: one rule for
/// introspection and the admin API alike.
pub enum Standing {
    /// Not revoked, the client exists and has not had its tokens revoked since: the client as
    /// it is now.
    Live(Arc<ClientCredentials>),
    /// Revoked by `jti`, issued before the client's tokens were revoked, or its client is
    /// disabled.
    Revoked,
    /// Its client was deleted.
    ClientGone,
}

/// The rule, given whether the token's `jti` is revoked and its client as it is now.
pub fn judge(
    claims: &AccessTokenClaims,
    jti_revoked: bool,
    client: Option<Arc<ClientCredentials>>,
) -> Standing {
    match client {
        _ if jti_revoked => Standing::Revoked,
        None => Standing::ClientGone,
        Some(client) if client.revokes_token_issued_at(claims.iat) => Standing::Revoked,
        Some(client) if !client.tokens_honoured() => Standing::Revoked,
        Some(client) => Standing::Live(client),
    }
}

/// The standing of a token, read from the database (the admin API).
pub fn standing(
    conn: &mut DbConnection,
    claims: &AccessTokenClaims,
) -> Result<Standing, StoreError> {
    if store::revocations::is_revoked(conn, &claims.jti)? {
        return Ok(Standing::Revoked);
    }
    let client = store::clients::find_credentials(conn, &claims.client_id)?;
    Ok(judge(claims, false, client.map(Arc::new)))
}

/// Whether the caller may learn anything about a token: its own organization's, or any for a
/// platform admin.
pub fn visible(caller: &Introspector<'_>, claims: &AccessTokenClaims) -> bool {
    caller.org_id == claims.org_id || caller.roles.contains(PLATFORM_ADMIN)
}

/// Active only for a token visible to the caller (`visible`), not revoked, whose client still
/// exists and has not had its tokens revoked since (`judge`). The answer is about the client
/// as it is now: the roles and scope are narrowed to those it still holds. `None` means
/// `{"active": false}`.
pub fn introspect(
    caller: &Introspector<'_>,
    mut claims: AccessTokenClaims,
    standing: Standing,
) -> Option<AccessTokenClaims> {
    if !visible(caller, &claims) {
        return None;
    }
    let Standing::Live(client) = standing else {
        return None;
    };
    claims.roles.retain(|r| client.roles.contains(r));
    claims.scope = claims
        .scope
        .split(' ')
        .filter(|s| client.roles.contains(s))
        .collect::<Vec<_>>()
        .join(" ");
    Some(claims)
}
