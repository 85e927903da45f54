//! Signing JWTs as a client or a workload issuer would: real keys (orgauth's own key types),
//! compact JWS by hand so that a test can also forge what a library would refuse to make.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use orgauth::token::{SigningAlg, SigningKey, generate_pkcs8};
use serde_json::{Value, json};

/// A new key pair of `alg`.
pub fn key(alg: SigningAlg) -> SigningKey {
    let der = generate_pkcs8(alg).unwrap();
    SigningKey::from_pkcs8(&der, chrono::Utc::now().naive_utc()).unwrap()
}

/// The public halves as a JWK set.
pub fn jwks(keys: &[&SigningKey]) -> Value {
    json!({"keys": keys.iter().map(|k| serde_json::to_value(k.public_jwk()).unwrap()).collect::<Vec<_>>()})
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A JWS of `claims` signed by `key`, with `header` fields over the key's own.
pub fn sign(key: &SigningKey, header: Value, claims: Value) -> String {
    let mut full = json!({"alg": key.alg.as_str(), "kid": key.kid, "typ": "JWT"});
    full.as_object_mut()
        .unwrap()
        .extend(header.as_object().unwrap().clone());
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(full.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key.sign(message.as_bytes());
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
}
