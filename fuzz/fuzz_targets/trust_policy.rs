//! Trust-policy patterns and matching: parsing a policy from arbitrary fields, and matching
//! arbitrary patterns against arbitrary values (bounded time, no panic).
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use orgauth::domain::trust_policy::{TrustRules, glob_match};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parts: Vec<&str> = text.split('\n').collect();
    if let [pattern, value, ..] = parts.as_slice() {
        let _ = glob_match(pattern, value);
    }
    if let [issuer, audience, subject, claim, ..] = parts.as_slice() {
        let claims = BTreeMap::from([("ref".to_owned(), (*claim).to_owned())]);
        let server = "https://auth.example.com";
        if let Ok(rules) = TrustRules::parse(issuer, None, audience, subject, claims, server) {
            let token = serde_json::json!({"iss": issuer, "aud": audience, "sub": subject,
                                           "ref": claim});
            let _ = rules.admits(token.as_object().expect("an object"));
        }
    }
});
