//! Signing in through an organization's IdP (SPEC §10): home-realm discovery, the start of a
//! sign-in and the IdP's callback.
//!
//! The session cookie is `SameSite=Strict`, so the IdP's redirect back (a cross-site
//! navigation) does not carry it: whatever the callback needs to know about the browser's
//! session is recorded at the start (a same-site navigation). The sign-in is bound to the
//! browser that started it by `__Host-orgauth-sso` (`SameSite=Lax`, 10 minutes), whose hash
//! the sign-in's record holds: a callback URL carried to another browser (login CSRF) is
//! refused. Every failure ends on the console's sign-in page with `?sso_error=<code>`.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::same_site;
use crate::domain::{BearerSecret, hash_text};
use crate::http::AppState;
use crate::http::admin::auth::request_origin;
use crate::http::admin::json::ApiJson;
use crate::http::admin::problem::ApiError;
use crate::http::session_cookie;
use crate::service::people::RequestOrigin;
use crate::service::people::sessions;
use crate::service::sso::relying_party::{SsoError, VerifiedIdentity};
use crate::service::sso::sign_in::{self, Failure, Finished, Purpose, Refusal};
use crate::store::{self, sso::SsoFlow};

const BINDING_COOKIE: &str = "__Host-orgauth-sso";

#[derive(Deserialize)]
pub struct StartQuery {
    return_to: Option<String>,
    purpose: Option<String>,
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

/// A redirect to the console's sign-in page with a failure's code.
fn failed(code: &str) -> HttpResponse {
    let mut res = HttpResponse::Found();
    clear_binding(&mut res);
    res.insert_header((header::LOCATION, format!("/console/?sso_error={code}")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn clear_binding(res: &mut HttpResponseBuilder) {
    let mut cookie = Cookie::build(BINDING_COOKIE, "")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .finish();
    cookie.make_removal();
    res.cookie(cookie);
}

/// `GET /auth/sso/{org}/start?return_to=/console/…&purpose=sign_in|step_up|test`: `302` to
/// the organization's IdP. A sign-in started by a person signed in recently links their
/// identity at the IdP (the IdP signs them in again).
pub async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let org_id = path.into_inner();
    let Ok(query) = web::Query::<StartQuery>::from_query(req.query_string()) else {
        return failed("bad_request");
    };
    let query = query.into_inner();
    let Some(mut purpose) = Purpose::parse(query.purpose.as_deref().unwrap_or("sign_in"))
        .filter(|p| *p != Purpose::Link)
    else {
        return failed("bad_request");
    };
    // A page elsewhere must not start a sign-in in this browser (login CSRF: the IdP of the
    // attacker's organization would sign the browser in as the attacker).
    if same_site(&state, &req).is_err() || crate::domain::OrgId::parse(&org_id).is_err() {
        return failed("bad_request");
    }
    let return_to = sign_in::return_path(query.return_to.as_deref());
    let cookie = session_cookie::read(&req);
    let origin = request_origin(&state, &req);
    let address = origin.address.clone();
    let settings = state.people.clone();
    let looked_up_org = org_id.clone();
    let found = store::run(&state.pool, move |conn| {
        let signed_in = match &cookie {
            Some(cookie) => sessions::authenticate(conn, &settings, cookie, &origin)?,
            None => None,
        };
        let connection = match sign_in::connection(conn, &looked_up_org) {
            Ok(connection) => Some(connection),
            Err(Failure::Refused(_)) => None,
            Err(Failure::Service(e)) => return Err(e),
        };
        Ok((signed_in, connection, cookie))
    })
    .await;
    let (signed_in, connection, cookie) = match found {
        Ok(found) => found,
        Err(e) => {
            log::warn!("single sign-on could not start: {e}");
            return failed("unavailable");
        }
    };
    let Some(connection) = connection else {
        return failed("no_connection");
    };
    let user = signed_in.map(|(user, _)| user);
    if purpose == Purpose::SignIn && user.as_ref().is_some_and(|u| u.fresh) {
        purpose = Purpose::Link;
    }
    match purpose {
        Purpose::Test if !user.as_ref().is_some_and(|u| can_manage(u, &org_id)) => {
            return failed("forbidden");
        }
        Purpose::StepUp if user.is_none() => return failed("session_required"),
        _ => {}
    }
    let redirect_uri = format!("{}/auth/sso/callback", state.relying_party.console_origin());
    let authorization = match state
        .sso
        .authorize(
            state.authenticator.remote_keys(),
            &connection.issuer,
            &connection.client_id,
            &redirect_uri,
            purpose.signs_in_again(),
        )
        .await
    {
        Ok(found) => found,
        Err(e) => {
            log::warn!(org = org_id.as_str(); "single sign-on could not start: {e}");
            return failed("idp_unavailable");
        }
    };
    let binding = BearerSecret::generate();
    let now = store::now();
    let flow = SsoFlow {
        state_hash: hash_text(&authorization.state),
        org_id: org_id.clone(),
        issuer: connection.issuer.clone(),
        client_id: connection.client_id.clone(),
        purpose: purpose.as_str().to_owned(),
        nonce: authorization.nonce,
        pkce_verifier: authorization.pkce_verifier,
        return_to,
        binding_hash: binding.hash(),
        // Who is signed in matters to a link, a step-up and a test only.
        user_id: user
            .filter(|_| purpose != Purpose::SignIn)
            .map(|u| u.user_id),
        // A test leaves the admin's session as it is.
        replacing_hash: cookie
            .filter(|_| purpose != Purpose::Test)
            .map(|c| c.hash()),
        address,
        started_at: now,
        expires_at: now + sign_in::FLOW_LIFETIME,
    };
    if let Err(e) = store::run(&state.pool, move |conn| sign_in::begin(conn, &flow)).await {
        log::warn!("single sign-on could not start: {e}");
        return failed("busy");
    }
    let mut res = HttpResponse::Found();
    res.cookie(
        Cookie::build(BINDING_COOKIE, binding.expose().to_owned())
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .max_age(time::Duration::seconds(
                sign_in::FLOW_LIFETIME.num_seconds(),
            ))
            .finish(),
    );
    res.insert_header((header::LOCATION, authorization.url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn can_manage(user: &crate::service::UserPrincipal, org_id: &str) -> bool {
    crate::domain::OrgId::parse(org_id)
        .is_ok_and(|org| crate::service::Principal::User(user.clone()).can_manage_org(&org))
}

/// `GET /auth/sso/callback`: the IdP's answer. Signs the person in and sends them to where
/// they were going, or to the sign-in page with the failure's code.
pub async fn callback(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let Ok(query) = web::Query::<CallbackQuery>::from_query(req.query_string()) else {
        return failed("bad_request");
    };
    let query = query.into_inner();
    let origin = request_origin(&state, &req);
    let Some(state_param) = query.state.filter(|s| !s.is_empty() && s.len() <= 256) else {
        return failed("state");
    };
    // Only the browser that started the sign-in finds it (a callback URL carried to another
    // browser neither signs it in nor spends the sign-in).
    let Some(binding) = req.cookie(BINDING_COOKIE).map(|c| hash_text(c.value())) else {
        log::info!(
            address = origin.address.as_deref().unwrap_or("-");
            "single sign-on refused: the callback came to a browser that started no sign-in"
        );
        return failed("state");
    };
    let taken = store::run(&state.pool, move |conn| {
        sign_in::take(conn, &state_param, &binding)
    })
    .await;
    let flow = match taken {
        Ok(Some(flow)) => flow,
        Ok(None) => {
            log::info!(
                address = origin.address.as_deref().unwrap_or("-");
                "single sign-on refused: unknown, used or expired state"
            );
            return failed("state");
        }
        Err(e) => {
            log::warn!("single sign-on could not finish: {e}");
            return failed("unavailable");
        }
    };
    let outcome = finish(&state, &flow, &query.iss, query.error, query.code, &origin).await;
    match outcome {
        Ok(Finished::SignedIn(started)) => {
            let mut res = HttpResponse::Found();
            clear_binding(&mut res);
            session_cookie::set(
                &mut res,
                &started.cookie,
                state.people.session_max.as_secs(),
            );
            res.insert_header((header::LOCATION, flow.return_to.clone()))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
        Ok(Finished::Tested(identity)) => {
            let report = serde_json::json!({
                "issuer": identity.issuer,
                "subject": identity.subject,
                "email": identity.email,
                "email_verified": identity.email_verified,
                "name": identity.name,
            });
            let encoded =
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(report.to_string());
            let mut res = HttpResponse::Found();
            clear_binding(&mut res);
            // In the fragment: the claims never reach a server log.
            res.insert_header((
                header::LOCATION,
                format!(
                    "/console/#/orgs/{}/settings?sso_tested={encoded}",
                    flow.org_id
                ),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()
        }
        Err((refusal, identity)) => {
            log::info!(
                org = flow.org_id.as_str(),
                address = origin.address.as_deref().unwrap_or("-");
                "single sign-on refused ({}): {}", refusal.code, refusal.detail
            );
            let org_id = flow.org_id.clone();
            let code = refusal.code;
            let recorded = store::run(&state.pool, move |conn| {
                sign_in::record_refusal(conn, &org_id, &refusal, identity.as_ref(), &origin)
            })
            .await;
            if let Err(e) = recorded {
                log::warn!("a refused single sign-on could not be audited: {e}");
            }
            failed(code)
        }
    }
}

type Refused = (Refusal, Option<VerifiedIdentity>);

/// Everything after the sign-in's record was taken: the browser binding, RFC 9207's `iss`,
/// the IdP's error, the code exchange and the ID token, and who gets in.
async fn finish(
    state: &AppState,
    flow: &SsoFlow,
    iss: &Option<String>,
    error: Option<String>,
    code: Option<String>,
    origin: &RequestOrigin,
) -> Result<Finished, Refused> {
    let refuse = |code: &'static str, detail: String| (Refusal::new(code, detail), None);
    let remote = state.authenticator.remote_keys();
    // RFC 9207: before anything else of the answer is read (a mix-up sends another IdP's
    // answer here).
    match iss {
        Some(iss) if iss.trim_end_matches('/') != flow.issuer => {
            let iss: String = iss.chars().take(200).collect();
            return Err(refuse(
                "wrong_issuer",
                format!("the answer came from {iss}, not {}", flow.issuer),
            ));
        }
        Some(_) => {}
        None => match state.sso.sends_iss(remote, &flow.issuer).await {
            Ok(false) => {}
            Ok(true) => {
                return Err(refuse(
                    "wrong_issuer",
                    "the answer lacks the iss parameter its IdP sends".into(),
                ));
            }
            Err(e) => return Err(refuse("idp_unavailable", e.to_string())),
        },
    }
    if let Some(error) = error {
        let code = if error == "access_denied" {
            "denied"
        } else {
            "idp_error"
        };
        let error: String = error.chars().take(100).collect();
        return Err(refuse(code, format!("the IdP answered {error}")));
    }
    let Some(code) = code.filter(|c| !c.is_empty() && c.len() <= 2048) else {
        return Err(refuse(
            "idp_error",
            "the IdP answered without a code".into(),
        ));
    };
    let Some(purpose) = Purpose::parse(&flow.purpose) else {
        return Err(refuse("state", "unknown purpose".into()));
    };
    let (kek, lookup) = (state.kek.clone(), flow.clone());
    let secret = store::run(&state.pool, move |conn| {
        Ok::<_, crate::service::ServiceError>(sign_in::client_secret(conn, &kek, &lookup))
    })
    .await
    .map_err(|e| refuse("unavailable", e.to_string()))?
    .map_err(|e| match e {
        Failure::Refused(r) => (r, None),
        Failure::Service(e) => refuse("unavailable", e.to_string()),
    })?;
    let redirect_uri = format!("{}/auth/sso/callback", state.relying_party.console_origin());
    let since = purpose
        .signs_in_again()
        .then(|| flow.started_at.and_utc() - chrono::TimeDelta::seconds(5));
    let identity = state
        .sso
        .finish(
            remote,
            &flow.issuer,
            &flow.client_id,
            secret,
            &redirect_uri,
            code,
            &flow.nonce,
            flow.pkce_verifier.clone(),
            since,
        )
        .await
        .map_err(|e| {
            let code = match e {
                SsoError::Unavailable(_) => "idp_unavailable",
                SsoError::CodeRefused(_) => "code_refused",
                SsoError::IdToken(_) => "id_token",
            };
            refuse(code, e.to_string())
        })?;
    let (settings, flow, origin, checked) = (
        state.people.clone(),
        flow.clone(),
        origin.clone(),
        identity.clone(),
    );
    let completed = store::run(&state.pool, move |conn| {
        Ok::<_, crate::service::ServiceError>(sign_in::complete(
            conn, &settings, &flow, purpose, &checked, &origin,
        ))
    })
    .await
    .map_err(|e| refuse("unavailable", e.to_string()))?;
    completed.map_err(|e| match e {
        Failure::Refused(r) => (r, Some(identity)),
        Failure::Service(e) => (Refusal::new("unavailable", e.to_string()), Some(identity)),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoverRequest {
    pub email: String,
}

/// Where a person of this e-mail domain signs in: their organization's IdP, when the domain
/// belongs to an organization with a connection; `{}` otherwise. It never says whether the
/// e-mail is known.
#[derive(Serialize)]
pub struct DiscoverView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sso: Option<DiscoveredSso>,
}

#[derive(Serialize)]
pub struct DiscoveredSso {
    pub organization_id: String,
    pub organization_name: String,
    pub start_url: String,
}

/// `POST /auth/discover` `{email}`.
pub async fn discover(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<DiscoverRequest>,
) -> Result<HttpResponse, ApiError> {
    same_site(&state, &req)?;
    let email = body.0.email.trim().to_ascii_lowercase();
    let domain = match email.rsplit_once('@') {
        Some((local, domain))
            if !local.is_empty() && domain.contains('.') && email.len() <= 320 =>
        {
            domain.trim_end_matches('.').to_owned()
        }
        _ => {
            return Err(ApiError::unprocessable(
                "email",
                "email: an e-mail address (like ada@acme.example)",
            ));
        }
    };
    let found = store::run(&state.pool, move |conn| {
        let Some(org_id) = store::sso::owner_of(conn, &domain)? else {
            return Ok::<_, crate::service::ServiceError>(None);
        };
        if store::sso::find(conn, &org_id)?.is_none() {
            return Ok(None);
        }
        Ok(store::organizations::find(conn, &org_id)?)
    })
    .await?;
    let sso = found.map(|org| DiscoveredSso {
        start_url: format!(
            "{}/auth/sso/{}/start",
            state.relying_party.console_origin(),
            org.id
        ),
        organization_id: org.id,
        organization_name: org.name,
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(DiscoverView { sso }))
}
