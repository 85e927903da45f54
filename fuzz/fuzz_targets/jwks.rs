//! JWK and JWK-set parsing: a registered set and a fetched one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orgauth::domain::ClientKeys;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(keys) = ClientKeys::parse(&value) {
            let _ = keys.has_kid("a");
        }
        let _ = ClientKeys::parse_remote(&value, 8);
    }
});
