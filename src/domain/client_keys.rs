//! `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): a client's registered public
//! keys, and the check of the assertion it signs with one of them. An assertion names the
//! client as `iss` and `sub`, this server as `aud`, lives at most five minutes and carries a
//! `jti` (single use is enforced by the store, across instances).

use std::collections::HashSet;

use aws_lc_rs::signature;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::jose;

/// The most keys a client may register: the current one and the next.
pub const MAX_KEYS: usize = 2;
/// The longest an assertion may live (`exp` at most this far ahead).
pub const MAX_ASSERTION_SECONDS: i64 = 300;
/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECONDS: i64 = 30;
/// How long past its `exp` an assertion's `jti` is kept: past the leeway by a margin for
/// instances whose clocks differ, so no instance accepts an assertion whose record is gone.
pub const JTI_KEPT_PAST_EXP_SECONDS: i64 = LEEWAY_SECONDS + 60;
/// The signing algorithms accepted: never `none`, never a shared-key (HMAC) one.
pub const ALGORITHMS: [Algorithm; 4] = [
    Algorithm::ES256,
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::EdDSA,
];
/// The longest `jti` kept.
const MAX_JTI_LEN: usize = 256;
/// The largest RSA key kept from a workload issuer's set.
const MAX_REMOTE_RSA_BITS: usize = 4096;
/// The longest a workload token may still live: platforms issue minutes to hours; a token
/// valid for longer would be a credential of its own, presentable again all that time.
pub const MAX_WORKLOAD_TOKEN_SECONDS: i64 = 24 * 3600;

/// The smallest RSA modulus accepted, in bytes (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;
/// The largest (8192 bits), what the verifier supports.
const MAX_RSA_MODULUS_BYTES: usize = 1024;

/// A set of public keys, parsed once: a client's (`private_key_jwt`), or a workload issuer's
/// (federation).
pub struct ClientKeys {
    keys: Vec<Key>,
}

/// One public key: its `kid`, the algorithm its JWK names (honoured: a key published for
/// PS256 never verifies an RS256 signature), and the key.
struct Key {
    kid: Option<String>,
    alg: Option<Algorithm>,
    key: DecodingKey,
}

/// Why an assertion is refused: `Invalid` (no key of the client signed it, or it is not a JWT:
/// nothing is said, as for a wrong secret), or a reason told to whoever holds the key.
#[derive(Debug, PartialEq, Eq)]
pub enum AssertionError {
    Invalid,
    Refused(&'static str),
}

/// What a verified assertion leaves to check: that its `jti` was never seen.
#[derive(Debug)]
pub struct Assertion {
    pub jti: String,
    pub exp: i64,
}

impl Assertion {
    /// Until when its `jti` must be remembered: past every instant it could be accepted at.
    pub fn remember_until(&self) -> i64 {
        self.exp + JTI_KEPT_PAST_EXP_SECONDS
    }
}

#[derive(Deserialize)]
struct AssertionClaims {
    jti: Option<String>,
    exp: i64,
    iat: Option<i64>,
}

impl ClientKeys {
    /// A registered JWK set: 1–2 public signing keys (EC P-256, RSA of 2048 bits or more, or
    /// Ed25519), no private parts, distinct `kid`s. The error says what is wrong.
    pub fn parse(jwks: &serde_json::Value) -> Result<Self, String> {
        let keys = jwks
            .get("keys")
            .and_then(|k| k.as_array())
            .ok_or("must be a JWK set: {\"keys\": [...]}")?;
        if keys.is_empty() || keys.len() > MAX_KEYS {
            return Err(format!("must hold 1 to {MAX_KEYS} keys"));
        }
        for key in keys {
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                if key.get(private).is_some() {
                    return Err(format!(
                        "holds a private or symmetric key part ({private}): register public keys only"
                    ));
                }
            }
        }
        let set: JwkSet =
            serde_json::from_value(jwks.clone()).map_err(|e| format!("is not a JWK set: {e}"))?;
        let mut kids = HashSet::new();
        let mut parsed = Vec::with_capacity(set.keys.len());
        for jwk in &set.keys {
            check_key(jwk)?;
            let kid = jwk.common.key_id.clone();
            if let Some(kid) = &kid
                && !kids.insert(kid.clone())
            {
                return Err(format!("has two keys with kid {kid:?}"));
            }
            let alg =
                jose::key_algorithm(jwk.common.key_algorithm, &ALGORITHMS).map_err(|alg| {
                    format!("has a key whose alg ({alg:?}) is not ES256, RS256, PS256 or EdDSA")
                })?;
            let key =
                DecodingKey::from_jwk(jwk).map_err(|e| format!("has an unusable key: {e}"))?;
            parsed.push(Key { kid, alg, key });
        }
        // A token names the key it was signed with; two keys of one kind without a kid could
        // not be told apart (a token without kid is checked against one key at most).
        for (i, a) in parsed.iter().enumerate() {
            if a.kid.is_none()
                && parsed[i + 1..]
                    .iter()
                    .any(|b| b.kid.is_none() && b.key.family() == a.key.family())
            {
                return Err("has two keys of one kind without kid: give each a kid".into());
            }
        }
        Ok(Self { keys: parsed })
    }

    /// A key set fetched from an issuer: its distinct usable signing keys (an issuer may
    /// publish keys of other kinds too), at most `max`, RSA keys at most 4096 bits (what a
    /// workload issuer uses; bigger ones only cost a verifier time); an error when none is.
    pub fn parse_remote(jwks: &serde_json::Value, max: usize) -> Result<Self, String> {
        let keys = jwks
            .get("keys")
            .and_then(|k| k.as_array())
            .ok_or("is not a JWK set")?;
        let mut seen = HashSet::new();
        let parsed: Vec<Key> = keys
            .iter()
            .filter(|key| key.get("d").is_none() && seen.insert(key.to_string()))
            .filter_map(|key| serde_json::from_value::<Jwk>(key.clone()).ok())
            .filter(|jwk| check_key(jwk).is_ok() && rsa_bits(jwk) <= MAX_REMOTE_RSA_BITS)
            .filter_map(|jwk| {
                let alg = jose::key_algorithm(jwk.common.key_algorithm, &ALGORITHMS).ok()?;
                let key = DecodingKey::from_jwk(&jwk).ok()?;
                Some(Key {
                    kid: jwk.common.key_id.clone(),
                    alg,
                    key,
                })
            })
            .take(max)
            .collect();
        if parsed.is_empty() {
            return Err("has no usable signing key (EC P-256, RSA, Ed25519)".into());
        }
        Ok(Self { keys: parsed })
    }

    /// Whether one of the keys has this `kid`.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    /// A workload token from a trusted issuer: signed by one of these keys with an accepted
    /// algorithm, within its `exp` (required) and `nbf`, issued (`iat`) no later than now and
    /// expiring at most 24 hours after it was issued or, without `iat`, after now. Its issuer,
    /// audience and other claims are the trust policy's to judge; it may be presented again
    /// until it expires.
    pub fn verify_workload(
        &self,
        token: &str,
        now: i64,
    ) -> Result<serde_json::Map<String, serde_json::Value>, AssertionError> {
        let header = signed_header(token)?;
        let mut validation = Validation::new(header.alg);
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = LEEWAY_SECONDS as u64;
        validation.validate_nbf = true;
        let claims = self
            .candidates(&header)
            .find_map(|key| {
                jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
                    token,
                    key,
                    &validation,
                )
                .ok()
            })
            .map(|data| data.claims)
            .ok_or(AssertionError::Invalid)?;
        // A time that is not a whole number of seconds is refused, not taken as absent.
        let number = |name: &str| match claims.get(name) {
            None => Ok(None),
            Some(value) => value.as_i64().map(Some).ok_or(AssertionError::Invalid),
        };
        let (exp, iat) = (number("exp")?.unwrap_or(i64::MAX), number("iat")?);
        if iat.is_some_and(|iat| iat > now + LEEWAY_SECONDS) {
            return Err(AssertionError::Refused(
                "the workload token was issued in the future (iat)",
            ));
        }
        if exp.saturating_sub(iat.unwrap_or(now)) > MAX_WORKLOAD_TOKEN_SECONDS {
            return Err(AssertionError::Refused(
                "the workload token lives longer than 24 hours (exp)",
            ));
        }
        Ok(claims)
    }

    /// The keys that may have signed a token with this header: those of the algorithm's
    /// family whose JWK allows the algorithm, with the `kid` it names (a key without a `kid`
    /// never matches a token with one). A token naming no `kid` is checked against one key at
    /// most: the set's only key that fits, or none when several do (it must say which).
    fn candidates<'a>(
        &'a self,
        header: &'a jsonwebtoken::Header,
    ) -> impl Iterator<Item = &'a DecodingKey> + 'a {
        let fits = move |k: &&Key| {
            k.key.family() == header.alg.family() && k.alg.is_none_or(|alg| alg == header.alg)
        };
        let named = header.kid.is_some();
        let unnamed_fits = if named {
            0
        } else {
            self.keys.iter().filter(fits).count()
        };
        self.keys
            .iter()
            .filter(fits)
            .filter(move |k| {
                if named {
                    k.kid.as_deref() == header.kid.as_deref()
                } else {
                    unnamed_fits == 1
                }
            })
            .map(|k| &k.key)
    }

    /// Checks `assertion` for `client_id`: a signature by one of the keys (the one its `kid`
    /// names, or any without a `kid`) with an accepted algorithm; `iss` = `sub` = the client;
    /// `aud` one of `audiences`; `exp` in the future and at most five minutes ahead; a `jti`.
    pub fn verify(
        &self,
        assertion: &str,
        client_id: &str,
        audiences: &[String],
        now: i64,
    ) -> Result<Assertion, AssertionError> {
        let header = signed_header(assertion)?;
        let mut validation = Validation::new(header.alg);
        validation.set_audience(audiences);
        validation.set_issuer(&[client_id]);
        validation.sub = Some(client_id.to_owned());
        validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        validation.leeway = LEEWAY_SECONDS as u64;
        validation.validate_nbf = true;
        let mut claims = None;
        for key in self.candidates(&header) {
            if let Ok(data) = jsonwebtoken::decode::<AssertionClaims>(assertion, key, &validation) {
                claims = Some(data.claims);
                break;
            }
        }
        let claims = claims.ok_or(AssertionError::Invalid)?;
        if claims.exp > now + MAX_ASSERTION_SECONDS + LEEWAY_SECONDS {
            return Err(AssertionError::Refused(
                "the client assertion lives longer than 5 minutes (exp)",
            ));
        }
        if claims.iat.is_some_and(|iat| iat > now + LEEWAY_SECONDS) {
            return Err(AssertionError::Refused(
                "the client assertion was issued in the future (iat)",
            ));
        }
        let jti = claims
            .jti
            .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN)
            .ok_or(AssertionError::Refused(
                "the client assertion has no jti (or one longer than 256 characters)",
            ))?;
        // Refused before it could reach a query (a NUL byte is an error in Postgres text).
        if jti.chars().any(char::is_control) {
            return Err(AssertionError::Refused(
                "the client assertion's jti holds control characters",
            ));
        }
        Ok(Assertion {
            jti,
            exp: claims.exp,
        })
    }
}

/// The `iss` and `sub` a JWT claims, before anything is verified: whether it is a client's
/// own assertion (`iss` = `sub` = the client) or a workload token (another issuer), and where
/// to look for its keys.
pub fn claimed_issuer_and_subject(token: &str) -> Option<(String, String)> {
    #[derive(Deserialize)]
    struct Claimed {
        iss: String,
        sub: String,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    // Control characters (a NUL byte among them) never name an issuer or a client: refused
    // here, before they could reach a query.
    serde_json::from_slice::<Claimed>(&bytes)
        .ok()
        .filter(|c| !c.iss.chars().chain(c.sub.chars()).any(char::is_control))
        .map(|c| (c.iss, c.sub))
}

/// The header of a JWS this server will check: parsed, an accepted algorithm, and no member it
/// does not understand (`jose::header_is_plain`).
fn signed_header(token: &str) -> Result<jsonwebtoken::Header, AssertionError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| AssertionError::Invalid)?;
    if !ALGORITHMS.contains(&header.alg) || !jose::header_is_plain(token) {
        return Err(AssertionError::Invalid);
    }
    Ok(header)
}

/// An RSA key's modulus size in bits (0 for other keys).
fn rsa_bits(jwk: &Jwk) -> usize {
    match &jwk.algorithm {
        AlgorithmParameters::RSA(rsa) => URL_SAFE_NO_PAD
            .decode(rsa.n.trim_end_matches('='))
            .map(|n| n.iter().skip_while(|b| **b == 0).count() * 8)
            .unwrap_or(usize::MAX),
        _ => 0,
    }
}

fn check_key(jwk: &Jwk) -> Result<(), String> {
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != jsonwebtoken::jwk::PublicKeyUse::Signature)
    {
        return Err("has a key whose use is not sig".into());
    }
    let bytes = |field: &str, value: &str| {
        URL_SAFE_NO_PAD
            .decode(value.trim_end_matches('='))
            .map_err(|_| format!("has a key whose {field} is not base64url"))
    };
    // The key must parse as what it claims to be (a point on the curve, a usable modulus), so
    // a client learns of a broken key when it registers it, not at its first token request.
    let parses = |algorithm: &'static dyn signature::VerificationAlgorithm, public: &[u8]| {
        signature::ParsedPublicKey::new(algorithm, public)
            .map(drop)
            .map_err(|_| "has a key that is not a valid public key".to_owned())
    };
    match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            let (x, y) = (bytes("x", &ec.x)?, bytes("y", &ec.y)?);
            if x.len() != 32 || y.len() != 32 {
                return Err("has a P-256 key whose x or y is not 32 bytes".into());
            }
            let point = [&[4u8][..], &x, &y].concat();
            parses(&signature::ECDSA_P256_SHA256_FIXED, &point)
        }
        AlgorithmParameters::EllipticCurve(_) => Err("has an EC key not on P-256 (ES256)".into()),
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            let x = bytes("x", &okp.x)?;
            let encoded: [u8; 32] = x
                .as_slice()
                .try_into()
                .map_err(|_| "has an Ed25519 key whose x is not 32 bytes".to_owned())?;
            if !jose::ed25519_key_is_sound(&encoded) {
                return Err("has an Ed25519 key of small order or not in canonical form".into());
            }
            parses(&signature::ED25519, &x)
        }
        AlgorithmParameters::OctetKeyPair(_) => Err("has an OKP key not on Ed25519".into()),
        AlgorithmParameters::RSA(rsa) => {
            let modulus = bytes("n", &rsa.n)?;
            let exponent = bytes("e", &rsa.e)?;
            let n: Vec<u8> = modulus.into_iter().skip_while(|b| *b == 0).collect();
            let e: Vec<u8> = exponent.into_iter().skip_while(|b| *b == 0).collect();
            if !(MIN_RSA_MODULUS_BYTES..=MAX_RSA_MODULUS_BYTES).contains(&n.len()) {
                return Err("has an RSA key outside 2048 to 8192 bits".into());
            }
            if e.is_empty() || e.len() > 4 || e.last().is_some_and(|b| b % 2 == 0) || e == [1] {
                return Err(
                    "has an RSA key whose exponent is not an odd 32-bit number of at least 3"
                        .into(),
                );
            }
            Ok(())
        }
        _ => Err("has a key of a type not accepted (EC P-256, RSA, or OKP Ed25519)".into()),
    }
}
