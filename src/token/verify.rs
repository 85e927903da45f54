use jsonwebtoken::Validation;

use super::{AccessTokenClaims, KeySet};

/// Whether an expired token still counts (revocation accepts expired tokens quietly).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Enforce,
    Ignore,
}

impl KeySet {
    /// Verifies one of our access tokens: `typ: at+jwt`, a `kid` from this key set, that key's
    /// algorithm only (never the token's `alg` alone), the signature, our issuer, and `exp` /
    /// `nbf` within `leeway_seconds`. `None` for anything else, garbage included.
    pub fn verify(
        &self,
        token: &str,
        issuer: &str,
        leeway_seconds: u64,
        expiry: Expiry,
    ) -> Option<AccessTokenClaims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.typ.as_deref() != Some("at+jwt") {
            return None;
        }
        let key = self.find(header.kid.as_deref()?)?;
        let alg = key.alg.jwt_algorithm();
        if header.alg != alg {
            return None;
        }
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[issuer]);
        validation.validate_aud = false;
        validation.validate_nbf = expiry == Expiry::Enforce;
        validation.validate_exp = expiry == Expiry::Enforce;
        validation.leeway = leeway_seconds;
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "sub"]);
        jsonwebtoken::decode::<AccessTokenClaims>(token, key.decoding_key(), &validation)
            .ok()
            .map(|data| data.claims)
    }
}
