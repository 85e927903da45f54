//! Keys and signed tokens that must not be trusted (issue: hardening the remote-key surface):
//! degenerate public keys, JOSE headers this server does not understand, a key's own `alg`,
//! tokens that name no key, and workload tokens that live too long. Checked on the parsed key
//! sets the token endpoint uses, with real signatures.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use orgauth::domain::ClientKeys;
use orgauth::domain::client_keys::AssertionError;
use orgauth::token::SigningAlg;
use serde_json::{Value, json};

use crate::common::jws::{jwks, key, now, sign};

const CLIENT: &str = "client-1";
const AUDIENCE: &str = "https://auth.example.com/oauth/token";

fn assertion_claims() -> Value {
    json!({"iss": CLIENT, "sub": CLIENT, "aud": AUDIENCE, "exp": now() + 60, "jti": "j1"})
}

fn verify(keys: &ClientKeys, token: &str) -> Result<(), AssertionError> {
    keys.verify(token, CLIENT, &[AUDIENCE.to_owned()], now())
        .map(drop)
}

#[test]
fn degenerate_public_keys_are_refused_when_registered_and_skipped_when_fetched() {
    let zero = URL_SAFE_NO_PAD.encode([0u8; 32]);
    let small_order = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": zero}]});
    let err = ClientKeys::parse(&small_order).err().unwrap();
    assert!(err.contains("small order"), "{err}");
    assert!(ClientKeys::parse_remote(&small_order, 8).is_err());

    let rsa = key(SigningAlg::Rs256);
    let mut weak = jwks(&[&rsa]);
    weak["keys"][0]["e"] = json!("AQ"); // e = 1
    let err = ClientKeys::parse(&weak).err().unwrap();
    assert!(err.contains("exponent"), "{err}");
    assert!(ClientKeys::parse_remote(&weak, 8).is_err());
    assert!(ClientKeys::parse(&jwks(&[&rsa])).is_ok());
}

#[test]
fn headers_with_critical_extensions_or_unencoded_payloads_are_refused() {
    let k = key(SigningAlg::EdDsa);
    let keys = ClientKeys::parse(&jwks(&[&k])).unwrap();
    assert_eq!(
        verify(&keys, &sign(&k, json!({}), assertion_claims())),
        Ok(())
    );
    for header in [
        json!({"crit": ["exp"], "exp": 1}),
        json!({"b64": false, "crit": ["b64"]}),
        json!({"b64": true}),
    ] {
        let token = sign(&k, header.clone(), assertion_claims());
        assert_eq!(
            verify(&keys, &token),
            Err(AssertionError::Invalid),
            "{header}"
        );
        let workload = sign(
            &k,
            header.clone(),
            json!({"iss": "https://ci.example", "sub": "repo:acme/api", "exp": now() + 60}),
        );
        assert!(keys.verify_workload(&workload, now()).is_err(), "{header}");
    }
}

#[test]
fn a_keys_own_alg_is_honoured() {
    let rsa = key(SigningAlg::Rs256);
    let mut set = jwks(&[&rsa]);
    set["keys"][0]["alg"] = json!("PS256");
    let keys = ClientKeys::parse(&set).unwrap();
    let rs256 = sign(&rsa, json!({}), assertion_claims());
    assert_eq!(verify(&keys, &rs256), Err(AssertionError::Invalid));

    set["keys"][0]["alg"] = json!("HS256");
    assert!(
        ClientKeys::parse(&set).is_err(),
        "an HMAC key is never registered"
    );
}

#[test]
fn a_token_naming_no_key_is_checked_against_one_key_at_most() {
    let (a, b) = (key(SigningAlg::EdDsa), key(SigningAlg::EdDsa));
    let unnamed = sign(&a, json!({"kid": null}), assertion_claims());
    let one = ClientKeys::parse(&jwks(&[&a])).unwrap();
    assert_eq!(verify(&one, &unnamed), Ok(()));
    let two = ClientKeys::parse(&jwks(&[&b, &a])).unwrap();
    assert_eq!(
        verify(&two, &unnamed),
        Err(AssertionError::Invalid),
        "with two keys of its kind the token must say which (kid)"
    );
    let named = sign(&a, json!({}), assertion_claims());
    assert_eq!(verify(&two, &named), Ok(()));
}

#[test]
fn a_workload_token_lives_at_most_a_day_and_is_not_issued_in_the_future() {
    let k = key(SigningAlg::Es256);
    let keys = ClientKeys::parse_remote(&jwks(&[&k]), 8).unwrap();
    let token = |claims: Value| sign(&k, json!({}), claims);
    let base = json!({"iss": "https://ci.example", "sub": "repo:acme/api"});
    let with = |extra: Value| {
        let mut claims = base.clone();
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        claims
    };
    let t = now();
    assert!(
        keys.verify_workload(&token(with(json!({"iat": t, "exp": t + 3600}))), t)
            .is_ok()
    );
    for (claims, why) in [
        (json!({"iat": t, "exp": t + 10 * 365 * 86_400}), "ten years"),
        (json!({"exp": t + 2 * 86_400}), "two days without iat"),
        (
            json!({"iat": t + 86_400, "exp": t + 90_000}),
            "issued tomorrow",
        ),
    ] {
        assert!(
            matches!(
                keys.verify_workload(&token(with(claims)), t),
                Err(AssertionError::Refused(_))
            ),
            "{why}"
        );
    }
}

#[test]
fn two_keys_of_one_kind_without_kid_are_refused_when_registered() {
    let (a, b) = (key(SigningAlg::EdDsa), key(SigningAlg::EdDsa));
    let mut set = jwks(&[&a, &b]);
    for k in set["keys"].as_array_mut().unwrap() {
        k.as_object_mut().unwrap().remove("kid");
    }
    let err = ClientKeys::parse(&set).err().unwrap();
    assert!(err.contains("without kid"), "{err}");
}

#[test]
fn a_workload_token_whose_times_are_not_whole_seconds_is_refused() {
    let k = key(SigningAlg::Es256);
    let keys = ClientKeys::parse_remote(&jwks(&[&k]), 8).unwrap();
    let t = now();
    let token = sign(
        &k,
        json!({}),
        json!({"iss": "https://ci.example", "sub": "s", "iat": 4e9, "exp": t + 60}),
    );
    assert!(keys.verify_workload(&token, t).is_err());
}
