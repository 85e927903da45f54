//! The token endpoint's input before any credential is checked: the form body, the Basic
//! header, and the unverified `iss`/`sub` of a `client_assertion`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orgauth::domain::client_keys::claimed_issuer_and_subject;
use orgauth::domain::{ClientId, ClientSecret};
use orgauth::http::oauth::client_authentication::decode_basic;
use orgauth::http::oauth::form::Form;

fuzz_target!(|data: &[u8]| {
    if let Ok(form) = Form::parse(data) {
        for name in ["grant_type", "client_id", "client_secret", "scope", "client_assertion"] {
            if let Some(value) = form.get(name) {
                let _ = ClientId::parse(value);
                let _ = ClientSecret::parse(value);
                let _ = claimed_issuer_and_subject(value);
            }
        }
    }
    if let Ok(header) = std::str::from_utf8(data) {
        if let Ok((id, secret)) = decode_basic(header) {
            let _ = ClientId::parse(&id);
            let _ = ClientSecret::parse(&secret);
        }
    }
});
