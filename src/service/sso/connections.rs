//! An organization's single sign-on connection (SPEC §10): its OpenID Connect IdP's issuer,
//! the client orgauth is registered as there (the secret write-only, sealed under the
//! key-encryption key), whether members must sign in through it, and the role of people who
//! join by their verified e-mail domain; and the domains a platform admin assigned to it.
//! (The IdP's discovery document is checked by the HTTP layer before `connect` is called.)

use serde_json::json;

use crate::domain::{MembershipRole, OrgId};
use crate::service::{Principal, ServiceError, access, audit};
use crate::store::sso::{self, SsoConnection};
use crate::store::{self, DbConnection};
use crate::token::KeyEncryptionKey;

pub const SSO_CONNECTED: &str = "sso.connected";
pub const SSO_UPDATED: &str = "sso.updated";
pub const SSO_DISCONNECTED: &str = "sso.disconnected";
pub const SSO_DOMAINS_SET: &str = "sso.domains_set";

/// The most domains one organization holds.
pub const MAX_DOMAINS: usize = 50;

pub struct ConnectionChange {
    /// Without a trailing `/`.
    pub issuer: String,
    pub client_id: String,
    /// `None` keeps the stored secret (required for a new connection).
    pub client_secret: Option<String>,
    pub require_sso: Option<bool>,
    /// `Some(None)` removes it.
    pub jit_role: Option<Option<MembershipRole>>,
}

/// A connection as the API shows it (never the secret) with the organization's domains.
pub struct Connection {
    pub connection: SsoConnection,
    pub domains: Vec<String>,
}

pub fn aad(org_id: &str) -> String {
    format!("sso:{org_id}")
}

/// Creates or replaces the organization's connection (its admins, recent sign-in).
pub fn connect(
    conn: &mut DbConnection,
    kek: &KeyEncryptionKey,
    actor: &Principal,
    org_id: &OrgId,
    change: ConnectionChange,
) -> Result<Connection, ServiceError> {
    let org = access::find_managed(conn, actor, org_id)?;
    actor.require_recent_sign_in()?;
    if change.client_id.is_empty()
        || change.client_id.len() > 255
        || change.client_id.chars().any(char::is_control)
    {
        return Err(ServiceError::invalid("client_id", "1–255 characters"));
    }
    if let Some(Some(role)) = change.jit_role
        && role == MembershipRole::PlatformAdmin
    {
        return Err(ServiceError::invalid(
            "jit_role",
            "org:admin or org:viewer (platform:admin is never given by a domain)",
        ));
    }
    let sealed = match &change.client_secret {
        Some(secret) if secret.is_empty() || secret.len() > 1024 => {
            return Err(ServiceError::invalid("client_secret", "1–1024 characters"));
        }
        Some(secret) => Some(kek.seal(&aad(&org.id), secret.as_bytes())?),
        None => None,
    };
    store::write_transaction(conn, |conn| {
        let before = sso::find(conn, &org.id)?;
        let now = store::now();
        let sealed_client_secret = match (sealed, &before) {
            (Some(sealed), _) => sealed,
            (None, Some(before)) => before.sealed_client_secret.clone(),
            (None, None) => {
                return Err(ServiceError::invalid(
                    "client_secret",
                    "required when the organization connects its IdP",
                ));
            }
        };
        let connection = SsoConnection {
            org_id: org.id.clone(),
            issuer: change.issuer.clone(),
            client_id: change.client_id.clone(),
            sealed_client_secret,
            require_sso: change
                .require_sso
                .unwrap_or(before.as_ref().is_some_and(|b| b.require_sso)),
            jit_role: match change.jit_role {
                Some(role) => role.map(|r| r.as_str().to_owned()),
                None => before.as_ref().and_then(|b| b.jit_role.clone()),
            },
            created_at: before.as_ref().map_or(now, |b| b.created_at),
            updated_at: now,
        };
        sso::save(conn, &connection)?;
        audit::record(
            conn,
            &org.id,
            actor,
            if before.is_some() {
                SSO_UPDATED
            } else {
                SSO_CONNECTED
            },
            &org.id,
            Some(&org.name),
            json!({
                "issuer": connection.issuer,
                "client_id": connection.client_id,
                "client_secret_changed": change.client_secret.is_some(),
                "require_sso": connection.require_sso,
                "jit_role": connection.jit_role,
            }),
        )?;
        let domains = sso::domains_of(conn, &org.id)?;
        Ok(Connection {
            connection,
            domains,
        })
    })
}

pub fn get(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
) -> Result<Connection, ServiceError> {
    access::find_visible(conn, actor, org_id)?;
    let connection =
        sso::find(conn, org_id.as_str())?.ok_or(ServiceError::NotFound("SSO connection"))?;
    let domains = sso::domains_of(conn, org_id.as_str())?;
    Ok(Connection {
        connection,
        domains,
    })
}

pub fn disconnect(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
) -> Result<(), ServiceError> {
    let org = access::find_managed(conn, actor, org_id)?;
    actor.require_recent_sign_in()?;
    store::write_transaction(conn, |conn| {
        let Some(before) = sso::find(conn, &org.id)? else {
            return Err(ServiceError::NotFound("SSO connection"));
        };
        sso::delete(conn, &org.id)?;
        audit::record(
            conn,
            &org.id,
            actor,
            SSO_DISCONNECTED,
            &org.id,
            Some(&org.name),
            json!({"issuer": before.issuer}),
        )
    })
}

/// A domain as assigned: lower-case DNS labels, at least two.
fn parse_domain(raw: &str) -> Result<String, ServiceError> {
    let domain = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if domain.len() > 253 || domain.split('.').count() < 2 || !domain.split('.').all(label_ok) {
        return Err(ServiceError::invalid(
            "domains",
            format!("{raw:?} is not a domain name (like acme.example)"),
        ));
    }
    Ok(domain)
}

/// Replaces the organization's e-mail domains (platform admins; each domain belongs to one
/// organization at most: `409`).
pub fn set_domains(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    domains: &[String],
) -> Result<Vec<String>, ServiceError> {
    if !actor.is_platform_admin() {
        return Err(ServiceError::Forbidden(
            "assigning e-mail domains needs platform:admin".into(),
        ));
    }
    let org = access::find_managed(conn, actor, org_id)?;
    actor.require_recent_sign_in()?;
    if domains.len() > MAX_DOMAINS {
        return Err(ServiceError::invalid(
            "domains",
            format!("at most {MAX_DOMAINS} domains"),
        ));
    }
    let mut parsed: Vec<String> = domains
        .iter()
        .map(|d| parse_domain(d))
        .collect::<Result<_, _>>()?;
    parsed.sort();
    parsed.dedup();
    store::write_transaction(conn, |conn| {
        for domain in &parsed {
            if let Some(owner) = sso::owner_of(conn, domain)?
                && owner != org.id
            {
                return Err(ServiceError::Conflict(format!(
                    "{domain} belongs to another organization"
                )));
            }
        }
        let before = sso::domains_of(conn, &org.id)?;
        sso::set_domains(conn, &org.id, &parsed, store::now())?;
        audit::record(
            conn,
            &org.id,
            actor,
            SSO_DOMAINS_SET,
            &org.id,
            Some(&org.name),
            json!({"domains": parsed, "previous_domains": before}),
        )?;
        Ok(parsed.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::parse_domain;

    #[test]
    fn domains_are_lower_case_dns_names_of_two_labels_or_more() {
        assert_eq!(parse_domain(" Acme.Example. ").unwrap(), "acme.example");
        for bad in [
            "acme",
            "",
            "-acme.example",
            "acme..example",
            "acme.example/x",
            "a b.example",
            "*.acme.example",
        ] {
            assert!(parse_domain(bad).is_err(), "{bad}");
        }
    }
}
