//! The record the token path, introspection and the admin bearer check judge a client by:
//! built here from its row and roles, and kept in memory by `client_auth`.

use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::super::DbConnection;
use super::super::schema::clients;
use super::roles_of;
use crate::domain::{AuthMethod, ClientKeys, RoleSet, SecretHash};

/// How a client proves who it is, as stored: exactly one of these.
pub enum Credential {
    /// A secret: its hash, the pre-rotation hash with the end of its grace period while one
    /// runs, and when the current secret stops working.
    Secret {
        hash: SecretHash,
        previous: Option<(SecretHash, NaiveDateTime)>,
        expires_at: Option<NaiveDateTime>,
    },
    /// `private_key_jwt` with registered public keys (`None`: the stored set no longer parses,
    /// so no assertion verifies).
    Keys(Option<Arc<ClientKeys>>),
    /// `private_key_jwt` with the keys the client publishes at this URL.
    KeysAt(String),
}

/// What a caller presented at the token, introspection or revocation endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    Secret,
    Assertion,
    /// A workload token admitted by one of the client's trust policies (any method).
    WorkloadToken,
}

/// The gate's answer for a credential that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// The client does not authenticate this way: told apart from a wrong credential by
    /// nobody.
    Rejected,
    /// The credential is right but the client may not authenticate now (told only to a caller
    /// who presented the right credential).
    Refused(&'static str),
}

/// What the token endpoint needs to authenticate a client and fill its token.
pub struct ClientCredentials {
    pub id: String,
    pub org_id: String,
    pub credential: Credential,
    pub roles: RoleSet,
    /// Tokens issued before this instant are revoked.
    pub tokens_not_before: Option<NaiveDateTime>,
    pub disabled: bool,
    pub token_ttl_seconds: Option<i64>,
}

/// The columns `ClientCredentials` is built from.
#[derive(Queryable, Selectable)]
#[diesel(table_name = clients)]
struct CredentialRow {
    id: String,
    org_id: String,
    secret_hash: String,
    previous_secret_hash: Option<String>,
    previous_secret_expires_at: Option<NaiveDateTime>,
    tokens_not_before: Option<NaiveDateTime>,
    disabled: bool,
    token_ttl_seconds: Option<i64>,
    secret_expires_at: Option<NaiveDateTime>,
    last_used_at: Option<NaiveDateTime>,
    token_endpoint_auth_method: String,
    jwks: Option<String>,
    jwks_uri: Option<String>,
}

impl CredentialRow {
    fn into_credentials(self, roles: Vec<String>) -> ClientCredentials {
        let method = AuthMethod::parse(&self.token_endpoint_auth_method);
        let credential = match (method, self.jwks_uri) {
            (Some(AuthMethod::ClientSecret), _) => Credential::Secret {
                hash: SecretHash::from_stored(self.secret_hash),
                previous: self
                    .previous_secret_hash
                    .map(SecretHash::from_stored)
                    .zip(self.previous_secret_expires_at),
                expires_at: self.secret_expires_at,
            },
            (_, Some(uri)) => Credential::KeysAt(uri),
            // An unknown method refuses every credential, as a key client without keys.
            _ => Credential::Keys(self.jwks.as_deref().and_then(|text| {
                let value = serde_json::from_str(text).ok()?;
                match ClientKeys::parse(&value) {
                    Ok(keys) => Some(Arc::new(keys)),
                    Err(e) => {
                        log::warn!(client_id = self.id.as_str(); "stored keys are unusable: {e}");
                        None
                    }
                }
            })),
        };
        ClientCredentials {
            id: self.id,
            org_id: self.org_id,
            credential,
            roles: RoleSet::from_stored(roles),
            tokens_not_before: self.tokens_not_before,
            disabled: self.disabled,
            token_ttl_seconds: self.token_ttl_seconds,
        }
    }
}

impl ClientCredentials {
    /// The one gate, after a credential verified: whether the client authenticates the way
    /// it was presented (its method decides, never a stored hash), is enabled, and its secret
    /// has not expired. The token path, introspection and revocation all pass through it.
    pub fn admit(&self, presented: Presented, now: NaiveDateTime) -> Admission {
        let method_fits = matches!(
            (presented, &self.credential),
            (Presented::Secret, Credential::Secret { .. })
                | (
                    Presented::Assertion,
                    Credential::Keys(_) | Credential::KeysAt(_)
                )
                | (Presented::WorkloadToken, _)
        );
        if !method_fits {
            return Admission::Rejected;
        }
        if self.disabled {
            return Admission::Refused("the client is disabled");
        }
        if let (Presented::Secret, Credential::Secret { expires_at, .. }) =
            (presented, &self.credential)
            && expires_at.is_some_and(|at| now >= at)
        {
            return Admission::Refused("the client secret has expired");
        }
        Admission::Admitted
    }

    /// Whether its tokens speak for it at all (introspection, the admin API): not while it is
    /// disabled.
    pub fn tokens_honoured(&self) -> bool {
        !self.disabled
    }

    /// Whether `hash` is one the client's secret may match now: the current one, or the
    /// previous one during its grace period.
    pub fn accepts_hash(&self, hash: &str, now: NaiveDateTime) -> bool {
        match &self.credential {
            Credential::Secret {
                hash: current,
                previous,
                ..
            } => {
                hash == current.as_str()
                    || previous
                        .as_ref()
                        .is_some_and(|(prev, until)| hash == prev.as_str() && now < *until)
            }
            _ => false,
        }
    }

    /// Whether a token of this client issued at `iat` (whole seconds) is revoked by its
    /// `tokens_not_before` cut-off (set a little ahead of the revocation: see
    /// `service::clients::TOKEN_CUTOFF_MARGIN`). `iat` has no sub-second part, so the whole
    /// second of the cut-off counts as before it; the token endpoint holds this client's tokens
    /// until that second is over (`token_wait`), so no token it issues once it knows of the
    /// revocation is caught by it.
    pub fn revokes_token_issued_at(&self, iat: i64) -> bool {
        self.tokens_not_before
            .is_some_and(|cutoff| iat <= cutoff.and_utc().timestamp())
    }

    /// How long to wait before issuing a token whose `iat` would fall in the cut-off's second.
    pub fn token_wait(&self, now: chrono::DateTime<chrono::Utc>) -> Option<std::time::Duration> {
        let cutoff = self.tokens_not_before?.and_utc().timestamp();
        let next_second = chrono::DateTime::from_timestamp(cutoff + 1, 0)?;
        (next_second > now).then(|| (next_second - now).to_std().unwrap_or_default())
    }
}

pub fn find_credentials(
    conn: &mut DbConnection,
    client_id: &str,
) -> QueryResult<Option<ClientCredentials>> {
    let row: Option<CredentialRow> = clients::table
        .find(client_id)
        .select(CredentialRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let roles = roles_of(conn, client_id)?;
    Ok(Some(row.into_credentials(roles)))
}

/// The credentials of up to `limit` clients, the most recently used first, each with whether
/// it was ever used: what a starting instance loads in one go instead of one query per client
/// as each comes back.
pub fn recently_used_credentials(
    conn: &mut DbConnection,
    limit: i64,
) -> QueryResult<Vec<(ClientCredentials, bool)>> {
    let rows: Vec<CredentialRow> = clients::table
        .select(CredentialRow::as_select())
        // Never-used clients last, on both backends (they sort NULLs differently).
        .order((
            clients::last_used_at.is_null().asc(),
            clients::last_used_at.desc(),
            clients::id,
        ))
        .limit(limit)
        .load(conn)?;
    let mut roles = std::collections::HashMap::new();
    for chunk in rows.chunks(1000) {
        let ids: Vec<String> = chunk.iter().map(|row| row.id.clone()).collect();
        roles.extend(super::list::roles_of_many(conn, &ids)?);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let used = row.last_used_at.is_some();
            let row_roles = roles.remove(&row.id).unwrap_or_default();
            (row.into_credentials(row_roles), used)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(credential: Credential, disabled: bool) -> ClientCredentials {
        ClientCredentials {
            id: "c".into(),
            org_id: "org".into(),
            credential,
            roles: RoleSet::default(),
            tokens_not_before: None,
            disabled,
            token_ttl_seconds: None,
        }
    }

    fn secret(expires_at: Option<NaiveDateTime>) -> Credential {
        Credential::Secret {
            hash: SecretHash::from_stored("$argon2id$current".into()),
            previous: None,
            expires_at,
        }
    }

    #[test]
    fn the_method_decides_before_anything_else() {
        let now = NaiveDateTime::default();
        let keys = client(Credential::KeysAt("https://keys.example".into()), true);
        assert_eq!(keys.admit(Presented::Secret, now), Admission::Rejected);
        assert!(!keys.accepts_hash("$argon2id$current", now));
        let secret_client = client(secret(None), false);
        assert_eq!(
            secret_client.admit(Presented::Assertion, now),
            Admission::Rejected
        );
        assert_eq!(
            secret_client.admit(Presented::WorkloadToken, now),
            Admission::Admitted
        );
    }

    #[test]
    fn a_disabled_client_or_an_expired_secret_is_refused_with_a_reason() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let disabled = client(secret(None), true);
        assert_eq!(
            disabled.admit(Presented::WorkloadToken, now),
            Admission::Refused("the client is disabled")
        );
        assert!(!disabled.tokens_honoured());
        let expired = client(secret(Some(now)), false);
        assert_eq!(
            expired.admit(Presented::Secret, now),
            Admission::Refused("the client secret has expired")
        );
        // A workload token does not present the secret, so its expiry does not apply.
        assert_eq!(
            expired.admit(Presented::WorkloadToken, now),
            Admission::Admitted
        );
    }
}
