//! What an operator or an admin types: admin API JSON bodies (with their RFC 3339 times and
//! durations), `.env` lines, and the settings parsed from text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orgauth::http::admin::json::parse_json;
use orgauth::http::admin::views::{
    CreateClientRequest, CreateOrganizationRequest, CreateRoleRequest, RotateSecretRequest,
    UpdateClientRequest, UpdateOrganizationRequest,
};

fuzz_target!(|data: &[u8]| {
    let _ = parse_json::<CreateClientRequest>(data);
    let _ = parse_json::<UpdateClientRequest>(data);
    let _ = parse_json::<RotateSecretRequest>(data);
    let _ = parse_json::<CreateRoleRequest>(data);
    let _ = parse_json::<CreateOrganizationRequest>(data);
    let _ = parse_json::<UpdateOrganizationRequest>(data);
    for item in dotenvy::from_read_iter(data) {
        let _ = item;
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = orgauth::config::parse_networks(text);
        let _ = orgauth::store::DatabaseUrl::parse_setting(text);
    }
});
