//! Micro-benchmarks of the token endpoint's hot path: `cargo bench --bench hot_path`.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, test as actix_test};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, criterion_group, criterion_main};
use orgauth::config::Config;
use orgauth::domain::{ClientId, ClientSecret, NewClientSecret};
use orgauth::store::DatabaseUrl;
use orgauth::token::{AccessTokenClaims, Expiry, KeySet, SigningAlg, TokenIssuer, generate_key};

fn parsing(c: &mut Criterion) {
    let secret = NewClientSecret::generate().into_plaintext();
    c.bench_function("secret format and checksum", |b| {
        b.iter(|| ClientSecret::parse(std::hint::black_box(&secret)).unwrap())
    });
    let header = format!(
        "Basic {}",
        STANDARD.encode(format!("billing-sync:{secret}"))
    );
    c.bench_function("basic header decode", |b| {
        b.iter(|| orgauth::http::oauth::decode_basic(std::hint::black_box(&header)).unwrap())
    });
}

fn signing(c: &mut Criterion) {
    let roles = vec!["billing:read".to_owned(), "billing:write".to_owned()];
    for alg in [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa] {
        let dir = tempfile::tempdir().unwrap();
        generate_key(dir.path(), alg).unwrap();
        let keys = Arc::new(KeySet::load(dir.path()).unwrap());
        let issuer = TokenIssuer::new(
            keys.clone(),
            "https://auth.example.com".into(),
            Duration::from_secs(3600),
        );
        c.bench_function(&format!("issue token {alg}"), |b| {
            b.iter(|| issuer.issue("billing-sync", "org_x", "https://api.example.com", &roles))
        });
        let token = issuer
            .issue("billing-sync", "org_x", "https://api.example.com", &roles)
            .access_token;
        c.bench_function(&format!("verify token {alg}"), |b| {
            b.iter(|| {
                keys.verify(&token, "https://auth.example.com", 0, Expiry::Enforce)
                    .unwrap()
            })
        });
    }
    let claims = AccessTokenClaims {
        status: None,
        iss: "https://auth.example.com".into(),
        sub: "billing-sync".into(),
        client_id: "billing-sync".into(),
        aud: "https://api.example.com".into(),
        iat: 1_800_000_000,
        nbf: 1_800_000_000,
        exp: 1_800_003_600,
        jti: "x".repeat(22),
        scope: roles.join(" "),
        roles: roles.clone(),
        org_id: "org_x".into(),
    };
    c.bench_function("claims serialization", |b| {
        b.iter(|| serde_json::to_vec(&claims).unwrap())
    });
}

/// The whole `/oauth/token` handler through actix's service stack, without a socket, for a
/// client whose record and secret are cached.
fn handler(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let secret = NewClientSecret::generate().into_plaintext();
    let config = Config {
        database_url: DatabaseUrl::parse(&dir.path().join("bench.db").display().to_string()),
        bind: "127.0.0.1:0".into(),
        issuer: "https://auth.example.com".into(),
        keys_dir: dir.path().join("keys"),
        pool_size: 4,
        argon2_concurrency: 2,
        workers: 1,
        bootstrap_client_id: Some(ClientId::parse("billing-sync").unwrap()),
        bootstrap_client_secret: Some(ClientSecret::parse(&secret).unwrap()),
        ..Config::defaults()
    };
    let system = actix_web::rt::System::new();
    let (state, _) = orgauth::app::build_state(&config).unwrap();
    let service = system.block_on(actix_test::init_service(
        App::new()
            .app_data(state)
            .configure(orgauth::http::oauth::routes),
    ));
    let authorization = format!(
        "Basic {}",
        STANDARD.encode(format!("billing-sync:{secret}"))
    );
    let request = || {
        actix_test::TestRequest::post()
            .uri("/oauth/token")
            .insert_header(("authorization", authorization.as_str()))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload("grant_type=client_credentials")
            .to_request()
    };
    // Let the change watcher come up, then pay for argon2 once.
    std::thread::sleep(Duration::from_millis(300));
    let first = system.block_on(actix_test::call_service(&service, request()));
    assert!(first.status().is_success());
    c.bench_function("token handler, cached client", |b| {
        b.iter(|| {
            let res = system.block_on(actix_test::call_service(&service, request()));
            assert!(res.status().is_success());
        })
    });
}

criterion_group!(benches, parsing, signing, handler);
criterion_main!(benches);
