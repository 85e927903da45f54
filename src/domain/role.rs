use std::fmt;

use super::ParseError;

pub const ORG_ADMIN: &str = "org:admin";
pub const PLATFORM_ADMIN: &str = "platform:admin";

/// A role name, also usable as an OAuth scope token: 1–64 characters from `A-Za-z0-9:._-/`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let valid_char =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-' | '/');
        if s.is_empty() || s.len() > 64 || !s.chars().all(valid_char) {
            return Err(ParseError(format!(
                "role {s:?} is not a valid role name (1-64 characters from A-Z a-z 0-9 : . _ - /)"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RoleName({})", self.0)
    }
}

/// A requested OAuth scope: space-separated role names, duplicates dropped, order kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope(Vec<RoleName>);

impl Scope {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let mut roles: Vec<RoleName> = Vec::new();
        for token in s.split(' ').filter(|t| !t.is_empty()) {
            let role = RoleName::parse(token)?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        Ok(Self(roles))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn roles(&self) -> &[RoleName] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_splits_and_deduplicates() {
        let scope = Scope::parse("a:read  b:write a:read").unwrap();
        let names: Vec<_> = scope.roles().iter().map(RoleName::as_str).collect();
        assert_eq!(names, ["a:read", "b:write"]);
    }

    #[test]
    fn scope_rejects_invalid_tokens() {
        assert!(Scope::parse("ok \"quoted\"").is_err());
        assert!(Scope::parse("tab\there").is_err());
    }
}
