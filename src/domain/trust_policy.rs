//! Workload identity federation: a trust policy says which tokens of an external issuer (a CI
//! system, a Kubernetes cluster, a SPIFFE trust domain) may act as one client. A token matches
//! when its `iss` is the policy's issuer, its `aud` holds the policy's audience, and its `sub`
//! and each named claim match the policy's patterns (exact, or `*` for any run of characters).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ParseError;

/// The most claim conditions one policy may hold.
pub const MAX_CLAIMS: usize = 16;
/// The longest pattern or name.
const MAX_LEN: usize = 512;

/// A policy's conditions, parsed: what a presented token must show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustRules {
    /// `https://…` (or `http://` on loopback when allowed), no query or fragment.
    pub issuer: String,
    /// Where the issuer's keys are; `None`: from its discovery document.
    pub jwks_uri: Option<String>,
    /// Must be one of the token's `aud` values.
    pub audience: String,
    /// Pattern for `sub`.
    pub subject: String,
    /// Patterns for other claims (a string claim, or a number or boolean compared as text).
    pub claims: BTreeMap<String, String>,
}

impl TrustRules {
    /// Checks each field; whether an issuer URL may be fetched is decided when it is
    /// (`remote_keys`). `server` says what this server is: a policy may not trust its own
    /// tokens (a revoked token would mint new ones), and the audience must name this server (a
    /// platform lets its workloads ask for any audience: one meant for another service must not
    /// be accepted here).
    pub fn parse(
        issuer: &str,
        jwks_uri: Option<&str>,
        audience: &str,
        subject: &str,
        claims: BTreeMap<String, String>,
        server: &ServerIdentity<'_>,
    ) -> Result<Self, (&'static str, ParseError)> {
        let issuer = fetchable_url(issuer.trim_end_matches('/')).map_err(|e| ("issuer", e))?;
        let jwks_uri = jwks_uri
            .map(fetchable_url)
            .transpose()
            .map_err(|e| ("jwks_uri", e))?;
        if same_host(&issuer, server.issuer) {
            return Err((
                "issuer",
                ParseError("cannot be this server: its own tokens are not workload tokens".into()),
            ));
        }
        check_text(audience, false).map_err(|e| ("audience", e))?;
        if !server.audiences.contains(&audience) {
            return Err((
                "audience",
                ParseError(format!(
                    "must name this server: {}",
                    server.audiences.join(" or ")
                )),
            ));
        }
        check_pattern(subject).map_err(|e| ("subject", e))?;
        if claims.len() > MAX_CLAIMS {
            return Err((
                "claims",
                ParseError(format!("at most {MAX_CLAIMS} conditions")),
            ));
        }
        for (name, pattern) in &claims {
            check_text(name, false).map_err(|e| ("claims", e))?;
            if matches!(name.as_str(), "iss" | "aud" | "sub" | "exp" | "nbf" | "iat") {
                return Err((
                    "claims",
                    ParseError(format!("{name} is checked by the policy's own fields")),
                ));
            }
            check_pattern(pattern)
                .map_err(|e| ("claims", ParseError(format!("{name}: {}", e.0))))?;
        }
        Ok(Self {
            issuer,
            jwks_uri,
            audience: audience.to_owned(),
            subject: subject.to_owned(),
            claims,
        })
    }

    /// Whether a token's verified claims satisfy the policy (its `iss` and `aud` included).
    pub fn admits(&self, claims: &serde_json::Map<String, Value>) -> bool {
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let issuer_ok = claims
            .get("iss")
            .and_then(Value::as_str)
            .is_some_and(|iss| iss.trim_end_matches('/') == self.issuer);
        let audience_ok = match claims.get("aud") {
            Some(Value::String(aud)) => *aud == self.audience,
            Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(&self.audience)),
            _ => false,
        };
        let subject_ok = claims
            .get("sub")
            .and_then(Value::as_str)
            .is_some_and(|sub| glob_match(&self.subject, sub));
        issuer_ok
            && audience_ok
            && subject_ok
            && self.claims.iter().all(|(name, pattern)| {
                claims
                    .get(name)
                    .and_then(text)
                    .is_some_and(|value| glob_match(pattern, &value))
            })
    }
}

/// What a policy is checked against: this server's issuer and the audiences it answers to.
pub struct ServerIdentity<'a> {
    pub issuer: &'a str,
    /// The issuer and `ORGAUTH_AUDIENCES`.
    pub audiences: Vec<&'a str>,
}

/// An `https://` (or `http://`, fetched only on loopback when allowed) URL with a host and
/// nothing that could disguise it: no user info, query, fragment or control characters. The
/// stored form is the parsed one, so what is shown is what is fetched.
pub fn fetchable_url(raw: &str) -> Result<String, ParseError> {
    let invalid = |why: &str| ParseError(format!("must be an https:// URL {why}"));
    if raw.len() > MAX_LEN || raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("without spaces or control characters"));
    }
    let url = reqwest::Url::parse(raw).map_err(|_| invalid("(absolute, with a host)"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("(absolute, with a host)"));
    }
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if url.scheme() == "http" && !loopback {
        return Err(invalid(
            "(plain http:// only for loopback, in tests and development)",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("without user info (user@host)"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("without query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn same_host(a: &str, b: &str) -> bool {
    let host = |u: &str| {
        reqwest::Url::parse(u).ok().map(|u| {
            (
                u.host_str().map(str::to_lowercase),
                u.port_or_known_default(),
            )
        })
    };
    host(a).is_some() && host(a) == host(b)
}

/// A value or a pattern. A `*` may only follow a literal start ending at `/` or `:`
/// (`repo:acme/*`, `refs/heads/*`): `repo:acme*` would also match `repo:acme-evil/…`, and a
/// leading `*` would match every owner on a platform shared by many.
fn check_pattern(pattern: &str) -> Result<(), ParseError> {
    check_text(pattern, true)?;
    if let Some(star) = pattern.find('*') {
        let literal = &pattern[..star];
        if !(literal.ends_with('/') || literal.ends_with(':'))
            || literal.trim_end_matches([':', '/']).is_empty()
        {
            return Err(ParseError(
                "a * must follow a literal start ending at / or : (like repo:acme/*)".into(),
            ));
        }
    }
    Ok(())
}

fn check_text(s: &str, pattern: bool) -> Result<(), ParseError> {
    if s.is_empty() || s.len() > MAX_LEN || s.chars().any(char::is_control) {
        return Err(ParseError(format!(
            "must be 1-{MAX_LEN} characters without control characters"
        )));
    }
    if !pattern && s.contains('*') {
        return Err(ParseError("cannot be a pattern (no *)".into()));
    }
    Ok(())
}

/// `*` matches any run of characters (also none); everything else matches itself.
pub fn glob_match(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if value.len() < first.len() + last.len() || !value.starts_with(first) || !value.ends_with(last)
    {
        return false;
    }
    let mut rest = &value[first.len()..value.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globs_match_runs_of_any_characters() {
        assert!(glob_match(
            "repo:acme/api:ref:refs/heads/main",
            "repo:acme/api:ref:refs/heads/main"
        ));
        assert!(!glob_match("repo:acme/api:*", "repo:acme/api2:ref:x"));
        assert!(glob_match(
            "repo:acme/*:environment:prod",
            "repo:acme/api:environment:prod"
        ));
        assert!(!glob_match(
            "repo:acme/*:environment:prod",
            "repo:acme/api:environment:staging"
        ));
        assert!(glob_match(
            "spiffe://acme.org/ns/*",
            "spiffe://acme.org/ns/billing/sa/x"
        ));
        assert!(!glob_match(
            "spiffe://acme.org/ns/*",
            "spiffe://evil.org/ns/billing"
        ));
        assert!(
            !glob_match("a*a", "a"),
            "the prefix and the suffix may not overlap"
        );
        assert!(glob_match("a*b*c", "a-b-b-c"));
        assert!(!glob_match("a*b*c", "a-c-b"));
    }

    fn server() -> ServerIdentity<'static> {
        ServerIdentity {
            issuer: "https://auth.example.com",
            audiences: vec!["https://auth.example.com"],
        }
    }

    fn rules() -> TrustRules {
        TrustRules::parse(
            "https://token.actions.githubusercontent.com/",
            None,
            "https://auth.example.com",
            "repo:acme/api:*",
            BTreeMap::from([("ref".into(), "refs/heads/main".into())]),
            &server(),
        )
        .unwrap()
    }

    #[test]
    fn a_token_is_admitted_only_when_everything_matches() {
        let token = json!({
            "iss": "https://token.actions.githubusercontent.com",
            "aud": ["https://auth.example.com"],
            "sub": "repo:acme/api:ref:refs/heads/main",
            "ref": "refs/heads/main",
        });
        let claims = token.as_object().unwrap();
        assert!(rules().admits(claims));
        for (name, value) in [
            ("iss", json!("https://evil.example")),
            ("aud", json!("https://other.example.com")),
            ("sub", json!("repo:acme/other:ref:refs/heads/main")),
            ("ref", json!("refs/heads/feature")),
        ] {
            let mut changed = claims.clone();
            changed.insert(name.into(), value);
            assert!(!rules().admits(&changed), "{name}");
        }
        let mut missing = claims.clone();
        missing.remove("ref");
        assert!(!rules().admits(&missing), "a named claim must be present");
    }

    #[test]
    fn policies_refuse_what_would_trust_too_much() {
        let parse = |issuer: &str, subject: &str, claims: &[(&str, &str)]| {
            TrustRules::parse(
                issuer,
                None,
                "https://auth.example.com",
                subject,
                claims
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                &server(),
            )
            .map_err(|(field, _)| field)
        };
        assert_eq!(parse("ftp://x", "s", &[]), Err("issuer"));
        assert_eq!(parse("http://example.com", "s", &[]), Err("issuer"));
        assert_eq!(parse("https://x?q", "s", &[]), Err("issuer"));
        assert_eq!(
            parse(
                "https://token.actions.githubusercontent.com@evil.example",
                "s",
                &[]
            ),
            Err("issuer")
        );
        assert_eq!(parse("https://x\r", "s", &[]), Err("issuer"));
        assert_eq!(
            parse("https://AUTH.example.com/", "s", &[]),
            Err("issuer"),
            "this server"
        );
        assert_eq!(parse("https://x", "*", &[]), Err("subject"));
        assert_eq!(
            parse("https://x", "*:ref:refs/heads/main", &[]),
            Err("subject")
        );
        assert_eq!(parse("https://x", "repo:acme*", &[]), Err("subject"));
        assert_eq!(parse("https://x", "s", &[("aud", "x")]), Err("claims"));
        assert_eq!(
            parse("https://x", "s", &[("environment", "prod*")]),
            Err("claims")
        );
        assert!(parse("https://x", "repo:acme/*", &[("repository", "acme/*")]).is_ok());
        let other_audience = TrustRules::parse(
            "https://x",
            None,
            "sts.amazonaws.com",
            "s",
            BTreeMap::new(),
            &server(),
        );
        assert_eq!(other_audience.map_err(|(f, _)| f), Err("audience"));
    }
}
