//! `GET /statuslists/{id}`: a Token Status List (SPEC §11) as a signed `statuslist+jwt`, from
//! memory, cacheable for its `ttl` while this instance knows it is current (otherwise `503`
//! and `no-store`: never a stale "valid"); `GET /statuslists`: the lists served now (the
//! aggregation endpoint).

use std::time::Duration;

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::http::AppState;
use crate::store;

fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .insert_header((header::RETRY_AFTER, "1"))
        .json(json!({
            "error": "temporarily_unavailable",
            "error_description": "this instance cannot confirm its status lists are current",
        }))
}

pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let id = path.into_inner();
    let lists = &state.status_lists;
    if id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return HttpResponse::NotFound().json(json!({"error": "not_found"}));
    }
    let mut served = lists.served(&id);
    if served.is_none() {
        // A list another instance started a moment ago: looked up, and rebuilt if it exists.
        let looked_up = id.clone();
        let now = store::now();
        let exists = store::run(lists.pool(), move |conn| {
            store::status_lists::exists(conn, &looked_up, now).map_err(store::StoreError::Query)
        })
        .await;
        match exists {
            Ok(true) => {
                lists.refresh(Duration::from_secs(1)).await;
                served = lists.served(&id);
            }
            Ok(false) => {}
            Err(_) => return unavailable(),
        }
    }
    if !lists.current() {
        return unavailable();
    }
    let Some(served) = served else {
        return HttpResponse::NotFound().json(json!({"error": "not_found"}));
    };
    let caching = CacheControl(vec![
        CacheDirective::Public,
        CacheDirective::MaxAge(u32::try_from(lists.ttl().as_secs()).unwrap_or(u32::MAX)),
    ]);
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == served.etag));
    if matches {
        return HttpResponse::NotModified()
            .insert_header(caching)
            .insert_header((header::ETAG, served.etag.clone()))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/statuslist+jwt"))
        .insert_header(caching)
        .insert_header((header::ETAG, served.etag.clone()))
        .body(served.jwt.to_string())
}

pub async fn aggregation(state: web::Data<AppState>) -> HttpResponse {
    let lists = &state.status_lists;
    if !lists.current() {
        return unavailable();
    }
    HttpResponse::Ok()
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(u32::try_from(lists.ttl().as_secs()).unwrap_or(u32::MAX)),
        ]))
        .json(json!({"status_lists": lists.uris()}))
}
