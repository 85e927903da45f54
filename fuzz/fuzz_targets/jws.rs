//! JWS/JWT checks of client assertions and workload tokens against fixed key sets of every
//! accepted kind: any input is refused or verified, never a panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use orgauth::domain::ClientKeys;
use orgauth::domain::jose::header_is_plain;

static KEYS: LazyLock<ClientKeys> = LazyLock::new(|| {
    let set = serde_json::json!({"keys": [
        {"kty": "EC", "crv": "P-256", "kid": "ec",
         "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
         "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
        {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    ]});
    ClientKeys::parse(&set).expect("the fixed key set parses")
});

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let _ = header_is_plain(token);
    let audiences = ["https://auth.example.com".to_owned()];
    let _ = KEYS.verify(token, "client", &audiences, 1_800_000_000);
    let _ = KEYS.verify_workload(token, 1_800_000_000);
});
