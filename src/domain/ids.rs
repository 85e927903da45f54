use std::fmt;

use super::{ParseError, random_base62};

/// An opaque client identifier: 1–64 characters from `A-Za-z0-9._-`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if s.is_empty() || s.len() > Self::MAX_LEN || !s.chars().all(valid_char) {
            return Err(ParseError(
                "client_id must be 1-64 characters from A-Z a-z 0-9 . _ -".into(),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn generate() -> Self {
        Self(random_base62(24))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientId({})", self.0)
    }
}

/// An organization identifier, `org_` followed by 22 base62 characters when generated.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OrgId(String);

impl OrgId {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        ClientId::parse(s)
            .map(|id| Self(id.0))
            .map_err(|_| ParseError("organization id is malformed".into()))
    }

    pub fn generate() -> Self {
        Self(format!("org_{}", random_base62(22)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_alphabet_and_lengths() {
        assert!(ClientId::parse("a").is_ok());
        assert!(ClientId::parse("My.client_id-42").is_ok());
        assert!(ClientId::parse(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn rejects_empty_long_and_foreign_characters() {
        for bad in ["", &"x".repeat(65), "a b", "a:b", "ü", "a/b"] {
            assert!(ClientId::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn generated_ids_parse() {
        let id = ClientId::generate();
        assert_eq!(ClientId::parse(id.as_str()).unwrap(), id);
        assert!(OrgId::parse(OrgId::generate().as_str()).is_ok());
    }
}
