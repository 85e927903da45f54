//! An external issuer played by the test: an HTTP server with a discovery document and a JWK
//! set that the test may replace while it runs (a workload platform, or a client publishing
//! its keys at a `jwks_uri`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

/// The external issuer: discovery at `{url}/.well-known/openid-configuration`, keys at
/// `{url}/keys`, replaceable while it runs.
pub struct Issuer {
    pub url: String,
    pub keys: Arc<Mutex<Value>>,
    /// How long the discovery document takes to answer (a slow or stalled issuer).
    pub delay: Arc<Mutex<Duration>>,
    /// The `issuer` its discovery document names (`None`: its own URL).
    pub named_issuer: Arc<Mutex<Option<String>>>,
    fetches: Arc<AtomicUsize>,
    _server: actix_web::dev::ServerHandle,
}

impl Issuer {
    /// How many times its discovery document or key set was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

pub async fn start_issuer(keys: Value) -> Issuer {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let shared = Arc::new(Mutex::new(keys));
    let delay = Arc::new(Mutex::new(Duration::ZERO));
    let named_issuer = Arc::new(Mutex::new(None::<String>));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (served, issuer) = (shared.clone(), url.clone());
    let (slow, named, counted) = (delay.clone(), named_issuer.clone(), fetches.clone());
    let server = HttpServer::new(move || {
        let (keys, issuer) = (served.clone(), issuer.clone());
        let (slow, named, counted, counted_keys) = (
            slow.clone(),
            named.clone(),
            counted.clone(),
            counted.clone(),
        );
        App::new()
            .route(
                "/.well-known/openid-configuration",
                web::get().to(move || {
                    let issuer = issuer.clone();
                    let delay = *slow.lock().unwrap();
                    let named = named.lock().unwrap().clone().unwrap_or(issuer.clone());
                    counted.fetch_add(1, Ordering::SeqCst);
                    async move {
                        tokio::time::sleep(delay).await;
                        HttpResponse::Ok().json(json!({
                            "issuer": named,
                            "jwks_uri": format!("{issuer}/keys"),
                            "authorization_endpoint": format!("{issuer}/authorize"),
                            "token_endpoint": format!("{issuer}/token"),
                        }))
                    }
                }),
            )
            .route(
                "/keys",
                web::get().to(move || {
                    let keys = keys.lock().unwrap().clone();
                    counted_keys.fetch_add(1, Ordering::SeqCst);
                    async move { HttpResponse::Ok().json(keys) }
                }),
            )
    })
    .workers(2)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Issuer {
        url,
        keys: shared,
        delay,
        named_issuer,
        fetches,
        _server: handle,
    }
}
