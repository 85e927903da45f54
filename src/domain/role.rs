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

/// A client's roles: valid role names, each once, sorted by name, at most `RoleSet::MAX`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleSet(Vec<String>);

impl RoleSet {
    /// The most roles one client may hold (keeps tokens and role checks small).
    pub const MAX: usize = 50;

    pub fn parse<S: AsRef<str>>(roles: &[S]) -> Result<Self, ParseError> {
        if roles.len() > Self::MAX {
            return Err(ParseError(format!(
                "a client holds at most {} roles",
                Self::MAX
            )));
        }
        let mut parsed = roles
            .iter()
            .map(|r| RoleName::parse(r.as_ref()).map(|r| r.0))
            .collect::<Result<Vec<_>, _>>()?;
        parsed.sort();
        if parsed.windows(2).any(|w| w[0] == w[1]) {
            return Err(ParseError("each role may appear once".into()));
        }
        Ok(Self(parsed))
    }

    /// Roles as the store holds them (already valid): sorted and deduplicated here.
    pub fn from_stored(mut roles: Vec<String>) -> Self {
        roles.sort();
        roles.dedup();
        Self(roles)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn contains(&self, role: &str) -> bool {
        self.0.binary_search_by(|r| r.as_str().cmp(role)).is_ok()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
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
    fn a_role_set_is_valid_unique_sorted_and_bounded() {
        let set = RoleSet::parse(&["b:write", "a:read"]).unwrap();
        assert_eq!(set.as_slice(), ["a:read", "b:write"]);
        assert!(set.contains("b:write") && !set.contains("c"));
        assert!(RoleSet::parse(&["a", "a"]).is_err());
        assert!(RoleSet::parse(&["bad role"]).is_err());
        let many: Vec<String> = (0..=RoleSet::MAX).map(|i| format!("r{i}")).collect();
        assert!(RoleSet::parse(&many).is_err());
        assert!(RoleSet::parse(&many[1..]).is_ok());
    }

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
