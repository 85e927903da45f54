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
    /// (`remote_keys`). `server_issuer` is this server's issuer URL: a policy may not trust its
    /// own tokens (a revoked token would mint new ones), and the audience must be exactly that
    /// URL (a platform lets its workloads ask for any audience: a token minted for a downstream
    /// API, which that API's operators see, must not be replayable here).
    pub fn parse(
        issuer: &str,
        jwks_uri: Option<&str>,
        audience: &str,
        subject: &str,
        claims: BTreeMap<String, String>,
        server_issuer: &str,
    ) -> Result<Self, (&'static str, ParseError)> {
        let issuer = fetchable_url(issuer.trim_end_matches('/')).map_err(|e| ("issuer", e))?;
        let jwks_uri = jwks_uri
            .map(fetchable_url)
            .transpose()
            .map_err(|e| ("jwks_uri", e))?;
        if same_host(&issuer, server_issuer) {
            return Err((
                "issuer",
                ParseError("cannot be this server: its own tokens are not workload tokens".into()),
            ));
        }
        check_text(audience, false).map_err(|e| ("audience", e))?;
        if audience != server_issuer {
            return Err((
                "audience",
                ParseError(format!("must be this server's issuer URL: {server_issuer}")),
            ));
        }
        check_pattern(subject).map_err(|e| ("subject", e))?;
        check_subject_names_its_owner(subject).map_err(|e| ("subject", e))?;
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
        check_shared_issuer_owner(&issuer, subject, &claims).map_err(|e| ("subject", e))?;
        Ok(Self {
            issuer,
            jwks_uri,
            audience: audience.to_owned(),
            subject: subject.to_owned(),
            claims,
        })
    }

    /// Whether a stored policy still passes today's rules (one stored by an earlier release
    /// may not: a `*` standing for the owner, another audience). One that does not admits
    /// nothing.
    pub fn still_valid(&self, server_issuer: &str) -> Result<(), (&'static str, ParseError)> {
        Self::parse(
            &self.issuer,
            self.jwks_uri.as_deref(),
            &self.audience,
            &self.subject,
            self.claims.clone(),
            server_issuer,
        )
        .map(drop)
    }

    /// Whether a token's verified claims satisfy the policy (its `iss` and `aud` included).
    /// A claim value longer than a pattern may be is never matched (it bounds the matcher's
    /// work).
    pub fn admits(&self, claims: &serde_json::Map<String, Value>) -> bool {
        let text = |v: &Value| match v {
            Value::String(s) if s.len() <= MAX_LEN * 2 => Some(s.clone()),
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
            .is_some_and(|sub| sub.len() <= MAX_LEN * 2 && glob_match(&self.subject, sub));
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

/// A value or a pattern. Every `*` must follow a `/` or `:` after a literal start
/// (`repo:acme/*`, `refs/heads/*`): `repo:acme*` would also match `repo:acme-evil/…`,
/// `…:refs/heads/main*` would match `main-evil`, and a leading `*` would match every owner on a
/// platform shared by many.
fn check_pattern(pattern: &str) -> Result<(), ParseError> {
    check_text(pattern, true)?;
    let refused =
        || ParseError("each * must follow a literal start and a / or : (like repo:acme/*)".into());
    for (star, _) in pattern.match_indices('*') {
        let literal = &pattern[..star];
        if !(literal.ends_with('/') || literal.ends_with(':'))
            || literal.trim_end_matches([':', '/']).is_empty()
        {
            return Err(refused());
        }
    }
    Ok(())
}

/// A subject pattern names whose workloads it trusts before its first `*`: at least two
/// segments (`repo:acme/*`, `project_path:group/*`, `spiffe://td/*`), three for a Kubernetes
/// service account (`system:serviceaccount:ns:*`). `repo:*`, `project_path:*`,
/// `system:serviceaccount:*` and `spiffe://*` would trust every tenant of the issuer.
fn check_subject_names_its_owner(subject: &str) -> Result<(), ParseError> {
    let Some(star) = subject.find('*') else {
        return Ok(());
    };
    let segments = subject[..star]
        .split(['/', ':'])
        .filter(|s| !s.is_empty())
        .count();
    let needed = if subject.starts_with("system:serviceaccount:") {
        3
    } else {
        2
    };
    if segments < needed {
        return Err(ParseError(
            "a * may not stand for the owner: name it first (repo:acme/*, \
             system:serviceaccount:ns:*, spiffe://trust-domain/*)"
                .into(),
        ));
    }
    Ok(())
}

/// Issuers shared by every customer of a platform, each with where a token names its owner:
/// the subject prefix whose next segment is the owner, and the claims that hold it.
const SHARED_ISSUERS: [(&str, &str, [&str; 2]); 2] = [
    (
        "https://token.actions.githubusercontent.com",
        "repo:",
        ["repository_owner", "repository_owner_id"],
    ),
    (
        "https://gitlab.com",
        "project_path:",
        ["namespace_path", "namespace_id"],
    ),
];

/// On a shared issuer (GitHub Actions, GitLab.com) a policy must name the owner: in the
/// subject (`repo:acme/…`, `project_path:group/…`) or as an exact owner claim condition.
fn check_shared_issuer_owner(
    issuer: &str,
    subject: &str,
    claims: &BTreeMap<String, String>,
) -> Result<(), ParseError> {
    let Some((_, prefix, owner_claims)) = SHARED_ISSUERS.iter().find(|(i, ..)| *i == issuer) else {
        return Ok(());
    };
    let owner_in_subject = subject.strip_prefix(prefix).is_some_and(|rest| {
        rest.split_once('/')
            .is_some_and(|(owner, _)| !owner.is_empty() && !owner.contains(['*', ':']))
    });
    let owner_in_claims = owner_claims
        .iter()
        .any(|name| claims.get(*name).is_some_and(|v| !v.contains('*')));
    if owner_in_subject || owner_in_claims {
        return Ok(());
    }
    Err(ParseError(format!(
        "{issuer} is shared by every customer of the platform: name the owner in the subject \
         ({prefix}OWNER/…) or with an exact {} condition",
        owner_claims.join(" or ")
    )))
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

/// A `*` at the end of a pattern matches the rest of the value (`repo:acme/*`: every
/// repository of acme, every ref); any other `*` matches a run of characters within one
/// segment, never a `/` or `:` (`repo:acme/*:environment:prod` matches one repository's
/// environment, not `repo:acme/x:ref:y:environment:prod`). Everything else matches itself.
pub fn glob_match(pattern: &str, value: &str) -> bool {
    // Dynamic programming over (pattern position, value position), one row at a time: time
    // proportional to the product of the lengths whatever the pattern (a stored pattern may
    // predate the rules on `*`), never exponential backtracking.
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    // `next[j]`: whether p[i + 1..] matches v[j..]; starts as "the empty pattern".
    let mut next: Vec<bool> = (0..=v.len()).map(|j| j == v.len()).collect();
    for i in (0..p.len()).rev() {
        let mut row = vec![false; v.len() + 1];
        for j in (0..=v.len()).rev() {
            row[j] = match p[i] {
                '*' if i == p.len() - 1 => true,
                '*' => next[j] || (j < v.len() && !matches!(v[j], '/' | ':') && row[j + 1]),
                c => j < v.len() && v[j] == c && next[j + 1],
            };
        }
        next = row;
    }
    next[0]
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

    fn server() -> &'static str {
        "https://auth.example.com"
    }

    fn rules() -> TrustRules {
        TrustRules::parse(
            "https://token.actions.githubusercontent.com/",
            None,
            "https://auth.example.com",
            "repo:acme/api:*",
            BTreeMap::from([("ref".into(), "refs/heads/main".into())]),
            server(),
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
                server(),
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
            server(),
        );
        assert_eq!(other_audience.map_err(|(f, _)| f), Err("audience"));
    }
}

#[cfg(test)]
mod hardening {
    use super::*;
    use proptest::prelude::*;

    const SERVER: &str = "https://auth.example.com";

    fn parse(
        issuer: &str,
        subject: &str,
        claims: &[(&str, &str)],
    ) -> Result<TrustRules, &'static str> {
        TrustRules::parse(
            issuer,
            None,
            SERVER,
            subject,
            claims
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            SERVER,
        )
        .map_err(|(field, _)| field)
    }

    #[test]
    fn a_star_may_not_stand_for_the_owner() {
        for subject in [
            "repo:*",
            "project_path:*",
            "system:serviceaccount:*",
            "spiffe://*",
        ] {
            assert_eq!(
                parse("https://issuer.example", subject, &[]).err(),
                Some("subject"),
                "{subject}"
            );
        }
        for subject in [
            "repo:acme/*",
            "system:serviceaccount:ci:*",
            "spiffe://acme.org/*",
        ] {
            assert!(
                parse("https://issuer.example", subject, &[]).is_ok(),
                "{subject}"
            );
        }
    }

    #[test]
    fn every_star_follows_a_separator() {
        assert_eq!(
            parse(
                "https://issuer.example",
                "repo:acme/*:ref:refs/heads/main*",
                &[]
            )
            .err(),
            Some("subject")
        );
        let rules = parse(
            "https://issuer.example",
            "repo:acme/*:ref:refs/heads/main",
            &[],
        )
        .unwrap();
        let token = |sub: &str| {
            serde_json::json!({"iss": "https://issuer.example", "aud": SERVER, "sub": sub})
                .as_object()
                .unwrap()
                .clone()
        };
        assert!(rules.admits(&token("repo:acme/api:ref:refs/heads/main")));
        assert!(!rules.admits(&token("repo:acme/api:ref:refs/heads/main-evil")));
        assert!(
            !rules.admits(&token("repo:acme/api:x:ref:refs/heads/main")),
            "a middle * stays within one segment"
        );
    }

    #[test]
    fn on_a_shared_issuer_the_owner_is_named() {
        let github = "https://token.actions.githubusercontent.com";
        assert_eq!(parse(github, "pull_request", &[]).err(), Some("subject"));
        assert!(parse(github, "repo:acme/api:ref:refs/heads/main", &[]).is_ok());
        assert!(parse(github, "pull_request", &[("repository_owner", "acme")]).is_ok());
        assert_eq!(
            parse("https://gitlab.com", "project_path:group/*", &[]).map(drop),
            Ok(())
        );
        assert_eq!(
            parse("https://gitlab.com", "pipeline", &[]).err(),
            Some("subject")
        );
    }

    #[test]
    fn the_audience_is_this_servers_issuer_url_only() {
        let downstream = TrustRules::parse(
            "https://issuer.example",
            None,
            "https://api.example.com",
            "repo:acme/api",
            BTreeMap::new(),
            SERVER,
        );
        assert_eq!(downstream.map_err(|(f, _)| f).err(), Some("audience"));
    }

    /// Found by the `trust_policy` fuzz target: backtracking made this take minutes. Patterns
    /// stored before the rules on `*` may still look like it.
    #[test]
    fn matching_takes_time_proportional_to_the_lengths_whatever_the_pattern() {
        let pattern = "a*".repeat(40) + "b";
        assert!(!glob_match(&pattern, &"a".repeat(200)));
        assert!(glob_match(&pattern, &("a".repeat(200) + "b")));
        assert!(!glob_match(
            "x:*a*a*a*a*a*a*a*a*a*a*a*a*b",
            &format!("x:{}", "a".repeat(300))
        ));
    }

    fn separators(s: &str) -> usize {
        s.matches(['/', ':']).count()
    }

    proptest! {
        /// A pattern never matches across a `/` or `:` it does not name: without a trailing
        /// `*`, a matched value has exactly the pattern's separators; with one, at least them.
        #[test]
        fn a_pattern_never_matches_across_a_boundary_it_does_not_name(
            pattern in "[a-c]{1,3}([/:]([a-c]{0,2}|\\*)){0,4}",
            value in "[a-c*/:]{0,16}",
        ) {
            if glob_match(&pattern, &value) {
                let names = separators(&pattern);
                if pattern.ends_with('*') {
                    prop_assert!(separators(&value) >= names);
                } else {
                    prop_assert_eq!(separators(&value), names);
                }
            }
        }

        /// Every value a pattern was built from by filling each `*` within its segment matches.
        #[test]
        fn a_star_matches_any_run_within_its_segment(
            owner in "[a-z]{1,8}",
            fill in "[a-z0-9-]{0,8}",
            tail in "[a-z/:]{0,12}",
        ) {
            let pattern = format!("repo:{owner}/*:ref:main");
            let value = format!("repo:{owner}/{fill}:ref:main");
            prop_assert!(glob_match(&pattern, &value));
            let trailing = format!("repo:{owner}/*");
            let value = format!("repo:{owner}/{fill}{tail}");
            prop_assert!(glob_match(&trailing, &value));
        }
    }
}
