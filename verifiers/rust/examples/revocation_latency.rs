//! How long after a revocation a resource server using this crate refuses the token: `ROUNDS`
//! times, a fresh token is verified (warm caches), revoked (RFC 7009), then verified every
//! 10 ms until refused. Prints p50 and p99 in milliseconds (bench/status_lists.sh).
//!
//!   cargo run --release -p orgauth-verifier --example revocation_latency -- ISSUER ID SECRET [ROUNDS]

use std::time::{Duration, Instant};

use orgauth_verifier::{Verifier, VerifyError};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (issuer, id, secret) = (&args[1], &args[2], &args[3]);
    let rounds: usize = args.get(4).and_then(|r| r.parse().ok()).unwrap_or(50);
    let http = reqwest::Client::new();
    let verifier = Verifier::new(issuer.as_str(), issuer.as_str());
    let mut took = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let body: serde_json::Value = serde_json::from_str(
            &http
                .post(format!("{issuer}/oauth/token"))
                .basic_auth(id, Some(secret))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("audience", issuer.as_str()),
                ])
                .send()
                .await
                .expect("token")
                .text()
                .await
                .expect("token body"),
        )
        .expect("token JSON");
        let token = body["access_token"].as_str().expect("a token").to_owned();
        // A warm cache, as a busy resource server has: the list fetched before the revocation.
        while verifier.verify(&token).await.is_err() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let revoked = Instant::now();
        http.post(format!("{issuer}/oauth/revoke"))
            .basic_auth(id, Some(secret))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .expect("revoke");
        loop {
            match verifier.verify(&token).await {
                Err(VerifyError::Revoked) => break,
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                Err(e) => panic!("unexpected refusal: {e}"),
            }
        }
        took.push(revoked.elapsed().as_secs_f64() * 1000.0);
    }
    took.sort_by(f64::total_cmp);
    let at = |q: f64| took[((took.len() as f64 * q).ceil() as usize).clamp(1, took.len()) - 1];
    println!(
        "rust p50_ms={:.0} p99_ms={:.0} rounds={rounds}",
        at(0.5),
        at(0.99)
    );
}
