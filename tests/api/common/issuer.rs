//! An external issuer played by the test: an HTTP server with a discovery document and a JWK
//! set that the test may replace while it runs (a workload platform, or a client publishing
//! its keys at a `jwks_uri`).

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

/// The external issuer: discovery at `{url}/.well-known/openid-configuration`, keys at
/// `{url}/keys`, replaceable while it runs.
pub struct Issuer {
    pub url: String,
    pub keys: Arc<Mutex<Value>>,
    _server: actix_web::dev::ServerHandle,
}

pub async fn start_issuer(keys: Value) -> Issuer {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let shared = Arc::new(Mutex::new(keys));
    let (served, issuer) = (shared.clone(), url.clone());
    let server = HttpServer::new(move || {
        let (keys, issuer) = (served.clone(), issuer.clone());
        App::new()
            .route(
                "/.well-known/openid-configuration",
                web::get().to(move || {
                    let issuer = issuer.clone();
                    async move {
                        HttpResponse::Ok()
                            .json(json!({"issuer": issuer, "jwks_uri": format!("{issuer}/keys")}))
                    }
                }),
            )
            .route(
                "/keys",
                web::get().to(move || {
                    let keys = keys.lock().unwrap().clone();
                    async move { HttpResponse::Ok().json(keys) }
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Issuer {
        url,
        keys: shared,
        _server: handle,
    }
}
