//! Signing in through an organization's IdP (SPEC §10), against a real OpenID Provider (npm
//! `oidc-provider`) driven through its login form: who gets in (an invitation, a domain's
//! JIT role, a linked identity), `require_sso`, step-up, home-realm discovery, and every way a
//! sign-in fails, refused with nothing created and an audit event.

use serde_json::{Value, json};

use crate::common::admin::AdminApi;
use crate::common::idp::{AtIdp, Idp, REDIRECT_URI, SsoBrowser};
use crate::common::people::Person;
use crate::common::{TestApp, assert_problem, spawn_app_with};

/// A test app that may reach IdPs on loopback.
async fn app(backend: crate::common::Backend) -> TestApp {
    spawn_app_with(backend, |c| c.allow_loopback_issuers = true).await
}

/// Connects `org` to the IdP as `client_id` (secret `secret-<client_id>`).
async fn connect(admin: &AdminApi<'_>, org: &str, idp: &Idp, client_id: &str, extra: Value) {
    let mut body = json!({
        "issuer": idp.issuer,
        "client_id": client_id,
        "client_secret": format!("secret-{client_id}"),
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let res = admin.put(&format!("/organizations/{org}/sso"), body).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
}

async fn invite(admin: &AdminApi<'_>, org: &str, email: &str, role: &str) -> String {
    admin.invite(org, email, role).await
}

/// Acme, connected to a new IdP, with Alice (alice@acme.test) invited as an admin; `None`
/// when the IdP cannot run here.
async fn acme_with_alice_invited(app: &TestApp) -> Option<(Idp, String)> {
    let idp = Idp::start(&[("acme-console", "secret-acme-console")]).await?;
    let admin = app.platform_admin().await;
    let acme = admin.create_org("Acme").await;
    connect(&admin, &acme, &idp, "acme-console", json!({})).await;
    admin.invite(&acme, "alice@acme.test", "org:admin").await;
    Some((idp, acme))
}

fn count(app: &TestApp, table: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
        .get_result::<N>(&mut **app.store())
        .unwrap()
        .n
}

/// The organization's `sso.sign_in_failed` events' reasons, oldest first.
async fn refusals(admin: &AdminApi<'_>, org: &str) -> Vec<String> {
    let res = admin
        .get(&format!(
            "/organizations/{org}/audit-events?action=sso.sign_in_failed"
        ))
        .await;
    assert_eq!(res.status, 200);
    let mut reasons: Vec<String> = res
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["actor"]["type"], "visitor");
            e["details"]["reason"].as_str().unwrap().to_owned()
        })
        .collect();
    reasons.reverse();
    reasons
}

on_both_backends!(
    an_invitation_is_accepted_through_the_idp_and_the_identity_signs_in_again,
    |backend| async move {
        let app = app(backend).await;
        let Some((idp, acme)) = acme_with_alice_invited(&app).await else {
            return;
        };
        let admin = app.platform_admin().await;

        let mut browser = SsoBrowser::new(&app);
        let started = browser
            .start(&acme, "return_to=/console/%23/orgs/here")
            .await;
        assert_eq!(started.status, 302);
        let authorize = started.location.unwrap();
        assert!(
            authorize.starts_with(&format!("{}/auth?", idp.issuer)),
            "{authorize}"
        );
        for part in [
            "response_type=code",
            "code_challenge_method=S256",
            "scope=openid+email+profile",
            "state=",
            "nonce=",
            &format!("redirect_uri={}", urlencode(REDIRECT_URI)),
        ] {
            assert!(authorize.contains(part), "{part} in {authorize}");
        }
        let callback = browser.at_idp(&authorize, AtIdp::SignIn("alice")).await;
        assert!(callback.contains("iss="), "RFC 9207: {callback}");
        let landing = browser.callback(&callback).await;
        assert_eq!(landing.location, "/console/#/orgs/here", "{landing:?}");
        let cookie = landing.session.expect("a session");
        let alice = app.person(&cookie).await;
        assert_eq!(alice.me["email"], "alice@acme.test");
        assert_eq!(alice.me["name"], "Alice Acme");
        assert_eq!(alice.me["session"]["method"], "sso");
        assert_eq!(alice.me["memberships"][0]["organization_id"], acme.as_str());
        assert_eq!(alice.me["memberships"][0]["role"], "org:admin");
        assert_eq!(
            alice
                .api
                .get(&format!("/organizations/{acme}/clients"))
                .await
                .status,
            200
        );

        // The invitation is used; the acceptance is audited with the person as actor.
        let pending = admin
            .get(&format!("/organizations/{acme}/invitations"))
            .await;
        assert_eq!(pending.body.as_array().unwrap().len(), 0);
        let accepted = admin
            .get(&format!(
                "/organizations/{acme}/audit-events?action=invitation.accepted"
            ))
            .await;
        assert_eq!(accepted.body[0]["actor"]["email"], "alice@acme.test");
        assert_eq!(accepted.body[0]["details"]["method"], "sso");

        // A replayed callback is refused: the state was used.
        let replay = SsoBrowser::new(&app).callback(&landing.callback).await;
        assert_eq!(replay.error(), Some("state"));

        // The same identity signs in again, as the same person, in a fresh browser.
        let again = SsoBrowser::new(&app)
            .sign_in(&acme, "return_to=/console/", AtIdp::SignIn("alice"))
            .await;
        let cookie = again.session.expect("signed in again");
        assert_eq!(app.person(&cookie).await.id(), alice.id());
        assert_eq!(again.location, "/console/");
    }
);

fn urlencode(s: &str) -> String {
    url_escape(s)
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

on_both_backends!(
    people_of_the_organizations_domains_join_with_the_jit_role_and_nobody_else,
    |backend| async move {
        let app = app(backend).await;
        let Some(idp) = Idp::start(&[("acme-console", "secret-acme-console")]).await else {
            return;
        };
        let admin = app.platform_admin().await;
        let acme = admin.create_org("Acme").await;
        connect(
            &admin,
            &acme,
            &idp,
            "acme-console",
            json!({"jit_role": "org:viewer"}),
        )
        .await;
        let users_before = count(&app, "users");

        // Without the domain assigned, nobody joins by it.
        let bob = SsoBrowser::new(&app)
            .sign_in(&acme, "", AtIdp::SignIn("bob"))
            .await;
        assert_eq!(bob.error(), Some("no_membership"), "{bob:?}");
        assert!(bob.session.is_none());
        assert_eq!(count(&app, "users"), users_before, "nothing created");

        let res = admin
            .put(
                &format!("/organizations/{acme}/sso/domains"),
                json!(["acme.test"]),
            )
            .await;
        assert_eq!(res.status, 200, "{:?}", res.body);
        let bob = SsoBrowser::new(&app)
            .sign_in(&acme, "", AtIdp::SignIn("bob"))
            .await;
        let bob = app.person(&bob.session.expect("joined by domain")).await;
        assert_eq!(bob.me["memberships"][0]["role"], "org:viewer");
        assert_problem(
            &bob.api
                .post(
                    &format!("/organizations/{acme}/clients"),
                    json!({"name": "x", "roles": []}),
                )
                .await,
            403,
        );

        // An unverified e-mail never joins, even of the right domain.
        let users = count(&app, "users");
        let eve = SsoBrowser::new(&app)
            .sign_in(&acme, "", AtIdp::SignIn("eve"))
            .await;
        assert_eq!(eve.error(), Some("unverified_email"));
        assert!(eve.session.is_none());
        assert_eq!(count(&app, "users"), users);
        assert_eq!(count(&app, "sso_identities"), 1, "only bob's");
        assert_eq!(
            refusals(&admin, &acme).await,
            ["no_membership", "unverified_email"]
        );
    }
);

/// A person who joined with a passkey (invited), signed in.
async fn passkey_member<'a>(app: &'a TestApp, org: &str, email: &str, role: &str) -> Person<'a> {
    let admin = app.platform_admin().await;
    let url = invite(&admin, org, email, role).await;
    app.accept_invitation(&url, email).await.0
}

on_both_backends!(
    require_sso_confines_the_organization_to_sessions_of_its_idp,
    |backend| async move {
        let app = app(backend).await;
        let Some(idp) = Idp::start(&[("acme-console", "secret-acme-console")]).await else {
            return;
        };
        let admin = app.platform_admin().await;
        let acme = admin.create_org("Acme").await;
        let globex = admin.create_org("Globex").await;
        // Alice is a passkey member of both.
        let alice = passkey_member(&app, &acme, "alice@acme.test", "org:admin").await;
        let url = invite(&admin, &globex, "alice@acme.test", "org:admin").await;
        let token = url.rsplit('/').next().unwrap();
        let res = alice
            .auth_post(&format!("/auth/invitations/{token}/accept"), None)
            .await;
        assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
        connect(
            &admin,
            &acme,
            &idp,
            "acme-console",
            json!({"require_sso": true}),
        )
        .await;

        // Her passkey session no longer acts in Acme; Globex is unaffected.
        let acme_clients = format!("/organizations/{acme}/clients");
        let globex_clients = format!("/organizations/{globex}/clients");
        assert_problem(&alice.api.get(&acme_clients).await, 404);
        assert_eq!(alice.api.get(&globex_clients).await.status, 200);
        let me = app.person(&alice.cookie).await.me;
        let acme_membership = me["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["organization_id"] == acme.as_str())
            .unwrap()
            .clone();
        assert_eq!(acme_membership["sso_required"], true);

        // Signed in, she links her IdP identity (she is a member: no invitation needed, no
        // e-mail match involved); the new session acts in Acme, and in Acme only.
        let mut browser = SsoBrowser::with_session(&app, &alice.cookie);
        let linked = browser
            .sign_in(&acme, "return_to=/console/", AtIdp::SignIn("alice"))
            .await;
        let cookie = linked.session.expect("linked and signed in");
        let sso = app.person(&cookie).await;
        assert_eq!(sso.id(), alice.id());
        assert_eq!(sso.api.get(&acme_clients).await.status, 200);
        assert_problem(&sso.api.get(&globex_clients).await, 404);
        assert_eq!(
            app.get_with_cookie("/admin/v1/me", &alice.cookie).await,
            401,
            "the session signing in replaced the passkey session"
        );
        // That session vouches for her in Acme only: it changes nothing of her account.
        let sso_person = app.person(&cookie).await;
        assert_eq!(
            sso_person
                .auth_post("/auth/passkeys/register/options", None)
                .await
                .status(),
            403,
            "no passkey added from an SSO session (it would reach every organization)"
        );
        assert_problem(&sso_person.api.delete("/me/sessions").await, 403);
        let linked_events = admin
            .get(&format!(
                "/organizations/{acme}/audit-events?action=sso.identity_linked"
            ))
            .await;
        assert_eq!(linked_events.body.as_array().unwrap().len(), 1);
    }
);

impl TestApp {
    async fn get_with_cookie(&self, path: &str, cookie: &str) -> u16 {
        self.http
            .get(self.url(path))
            .header("cookie", format!("__Host-orgauth-session={cookie}"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

on_both_backends!(
    every_failed_sign_in_is_refused_with_nothing_created_and_audited,
    |backend| async move {
        let app = app(backend).await;
        let clients = [
            ("acme-console", "secret-acme-console"),
            ("globex-console", "secret-globex-console"),
        ];
        let (Some(idp), Some(other_idp), Some(forger)) = (
            Idp::start(&clients).await,
            Idp::start(&clients).await,
            Idp::start_with(&clients, Some("wrong-key")).await,
        ) else {
            return;
        };
        let admin = app.platform_admin().await;
        let acme = admin.create_org("Acme").await;
        let globex = admin.create_org("Globex").await;
        let initech = admin.create_org("Initech").await;
        connect(&admin, &acme, &idp, "acme-console", json!({})).await;
        connect(&admin, &globex, &idp, "globex-console", json!({})).await;
        connect(&admin, &initech, &forger, "acme-console", json!({})).await;
        invite(&admin, &acme, "alice@acme.test", "org:admin").await;
        invite(&admin, &initech, "alice@acme.test", "org:admin").await;
        let users = count(&app, "users");
        let sessions = count(&app, "sessions");

        // Denied at the IdP.
        let denied = SsoBrowser::new(&app).sign_in(&acme, "", AtIdp::Abort).await;
        assert_eq!(denied.error(), Some("denied"), "{denied:?}");

        // A made-up state; a callback in another browser than the one that started.
        let made_up = SsoBrowser::new(&app)
            .callback(&format!(
                "{REDIRECT_URI}?code=x&state=made-up&iss={}",
                idp.issuer
            ))
            .await;
        assert_eq!(made_up.error(), Some("state"));
        let mut starter = SsoBrowser::new(&app);
        let authorize = starter.start(&acme, "").await.location.unwrap();
        let callback = starter.at_idp(&authorize, AtIdp::SignIn("bob")).await;
        let elsewhere = SsoBrowser::new(&app).callback(&callback).await;
        assert_eq!(elsewhere.error(), Some("state"), "no binding cookie");
        let mut thief = SsoBrowser::new(&app);
        thief.app_cookies.insert(
            "__Host-orgauth-sso".into(),
            "another-browsers-binding".into(),
        );
        assert_eq!(thief.callback(&callback).await.error(), Some("state"));
        // ... and neither spent it: the browser that started it gets past the state (Bob has
        // no membership, so he is refused for that).
        assert_eq!(
            starter.callback(&callback).await.error(),
            Some("no_membership")
        );
        // A malformed callback and a start from another site end on the sign-in page too.
        let malformed = SsoBrowser::new(&app)
            .callback(&format!("{REDIRECT_URI}?state=a&state=b"))
            .await;
        assert_eq!(malformed.error(), Some("bad_request"));
        let cross_site = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(app.url(&format!("/auth/sso/{acme}/start")))
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        assert_eq!(
            cross_site.headers()["location"],
            "/console/?sso_error=bad_request",
            "login CSRF: another site cannot start a sign-in in this browser"
        );

        // A replayed code, under a fresh state of the same browser.
        let code = query_value(&callback, "code");
        let mut browser = SsoBrowser::new(&app);
        let authorize = browser.start(&acme, "").await.location.unwrap();
        let state = query_value(&authorize, "state");
        let replayed = browser
            .callback(&format!(
                "{REDIRECT_URI}?code={code}&state={state}&iss={}",
                urlencode(&idp.issuer)
            ))
            .await;
        assert_eq!(replayed.error(), Some("code_refused"), "{replayed:?}");

        // Mix-up: another IdP's answer (its code, its iss) to a sign-in started with this one;
        // with the iss forged, the code is not this IdP's.
        let mut browser = SsoBrowser::new(&app);
        let authorize = browser.start(&acme, "").await.location.unwrap();
        let state = query_value(&authorize, "state");
        let other_authorize = authorize.replace(&idp.issuer, &other_idp.issuer);
        let other_callback = browser
            .at_idp(&other_authorize, AtIdp::SignIn("alice"))
            .await;
        let other_code = query_value(&other_callback, "code");
        let mixed = browser
            .callback(&format!(
                "{REDIRECT_URI}?code={other_code}&state={state}&iss={}",
                urlencode(&other_idp.issuer)
            ))
            .await;
        assert_eq!(mixed.error(), Some("wrong_issuer"));
        let mut browser = SsoBrowser::new(&app);
        let authorize = browser.start(&acme, "").await.location.unwrap();
        let state = query_value(&authorize, "state");
        let other_callback = browser
            .at_idp(
                &authorize.replace(&idp.issuer, &other_idp.issuer),
                AtIdp::SignIn("alice"),
            )
            .await;
        let forged = browser
            .callback(&format!(
                "{REDIRECT_URI}?code={}&state={state}&iss={}",
                query_value(&other_callback, "code"),
                urlencode(&idp.issuer)
            ))
            .await;
        assert_eq!(forged.error(), Some("code_refused"));

        // An ID token whose signature does not verify.
        let forged = SsoBrowser::new(&app)
            .sign_in(&initech, "", AtIdp::SignIn("alice"))
            .await;
        assert_eq!(forged.error(), Some("id_token"), "{forged:?}");

        assert_eq!(count(&app, "users"), users, "nobody created");
        assert_eq!(count(&app, "sessions"), sessions, "no session started");
        assert_eq!(count(&app, "sso_identities"), 0);
        assert_eq!(
            refusals(&admin, &acme).await,
            [
                "denied",
                "no_membership",
                "code_refused",
                "wrong_issuer",
                "code_refused"
            ]
        );
        assert_eq!(refusals(&admin, &initech).await, ["id_token"]);

        // Alice joins Acme through its IdP; the same identity at Globex's connection (the
        // same IdP) is unknown there: no membership, no invitation, refused.
        let alice = SsoBrowser::new(&app)
            .sign_in(
                &acme,
                "return_to=https://evil.example/console/",
                AtIdp::SignIn("alice"),
            )
            .await;
        assert_eq!(
            alice.location, "/console/",
            "return_to stays under /console"
        );
        assert!(alice.session.is_some());
        let at_globex = SsoBrowser::new(&app)
            .sign_in(&globex, "", AtIdp::SignIn("alice"))
            .await;
        assert_eq!(at_globex.error(), Some("no_membership"));
        assert_eq!(refusals(&admin, &globex).await, ["no_membership"]);
    }
);

fn query_value(url: &str, name: &str) -> String {
    let parsed = reqwest::Url::parse(url).unwrap();
    parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| url_escape(&v))
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

on_both_backends!(
    a_step_up_signs_in_again_at_the_idp_and_a_test_reports_the_claims,
    |backend| async move {
        let app = app(backend).await;
        let Some((idp, acme)) = acme_with_alice_invited(&app).await else {
            return;
        };
        let mut browser = SsoBrowser::new(&app);
        let first = browser.sign_in(&acme, "", AtIdp::SignIn("alice")).await;
        let cookie = first.session.expect("signed in");
        let alice = app.person(&cookie).await;
        {
            use diesel::prelude::*;
            use orgauth::store::schema::sessions;
            let long_ago = orgauth::store::now() - chrono::TimeDelta::hours(1);
            diesel::update(sessions::table.filter(sessions::user_id.eq(alice.id())))
                .set(sessions::authenticated_at.eq(long_ago))
                .execute(&mut **app.store())
                .unwrap();
        }
        let create = format!("/organizations/{acme}/clients");
        let stale = alice
            .api
            .post(&create, json!({"name": "ci", "roles": []}))
            .await;
        assert_eq!(stale.status, 401);

        // The step-up asks the IdP to sign her in again, and starts a new session.
        let started = browser
            .start(&acme, "purpose=step_up&return_to=/console/")
            .await;
        let authorize = started.location.unwrap();
        assert!(
            authorize.contains("prompt=login") && authorize.contains("max_age=0"),
            "{authorize}"
        );
        let callback = browser.at_idp(&authorize, AtIdp::SignIn("alice")).await;
        let stepped = browser.callback(&callback).await;
        let fresh = app.person(&stepped.session.expect("stepped up")).await;
        assert_eq!(fresh.id(), alice.id());
        assert_eq!(
            fresh
                .api
                .post(&create, json!({"name": "ci", "roles": []}))
                .await
                .status,
            201
        );
        assert_eq!(
            app.get_with_cookie("/admin/v1/me", &cookie).await,
            401,
            "replaced"
        );

        // A test sign-in reports the claims and leaves the admin's session as it was.
        let mut tester = SsoBrowser::with_session(&app, &fresh.cookie);
        let tested = tester
            .sign_in(&acme, "purpose=test", AtIdp::SignIn("bob"))
            .await;
        let (_, encoded) = tested.location.split_once("sso_tested=").expect("a report");
        assert!(
            tested
                .location
                .starts_with(&format!("/console/#/orgs/{acme}/settings?"))
        );
        use base64::Engine;
        let report: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(encoded)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(report["email"], "bob@acme.test");
        assert_eq!(report["email_verified"], true);
        assert_eq!(report["issuer"], idp.issuer.as_str());
        assert!(tested.session.is_none(), "nobody signed in");
        assert_eq!(
            app.get_with_cookie("/admin/v1/me", &fresh.cookie).await,
            200
        );
        // Only the organization's admins test it.
        let viewer = passkey_member(&app, &acme, "vic@acme.test", "org:viewer").await;
        let refused = SsoBrowser::with_session(&app, &viewer.cookie)
            .start(&acme, "purpose=test")
            .await;
        assert_eq!(refused.location.unwrap(), "/console/?sso_error=forbidden");
        // Nor another organization's admin, nor a browser signed in to nobody.
        let globex = app.platform_admin().await.create_org("Globex").await;
        let outsider = passkey_member(&app, &globex, "gus@globex.test", "org:admin").await;
        let refused = SsoBrowser::with_session(&app, &outsider.cookie)
            .start(&acme, "purpose=test")
            .await;
        assert_eq!(refused.location.unwrap(), "/console/?sso_error=forbidden");
        let anonymous = SsoBrowser::new(&app).start(&acme, "purpose=test").await;
        assert_eq!(anonymous.location.unwrap(), "/console/?sso_error=forbidden");
    }
);

on_both_backends!(
    discovery_finds_the_idp_by_domain_and_never_reveals_who_is_known,
    |backend| async move {
        let app = app(backend).await;
        let Some(idp) = Idp::start(&[("acme-console", "secret-acme-console")]).await else {
            return;
        };
        let admin = app.platform_admin().await;
        let acme = admin.create_org("Acme").await;
        let discover = |email: &'static str| {
            let app = &app;
            async move {
                let res = app
                    .post_json("/auth/discover", json!({"email": email}), None)
                    .await;
                (res.status().as_u16(), res.json::<Value>().await.unwrap())
            }
        };
        // A domain with no connection yet.
        admin
            .put(
                &format!("/organizations/{acme}/sso/domains"),
                json!(["acme.test"]),
            )
            .await;
        assert_eq!(discover("alice@acme.test").await, (200, json!({})));
        connect(&admin, &acme, &idp, "acme-console", json!({})).await;
        invite(&admin, &acme, "alice@acme.test", "org:admin").await;
        let (status, known) = discover("Alice@Acme.test").await;
        assert_eq!(status, 200);
        assert_eq!(known["sso"]["organization_id"], acme.as_str());
        assert_eq!(known["sso"]["organization_name"], "Acme");
        assert_eq!(
            known["sso"]["start_url"],
            format!("http://orgauth.test/auth/sso/{acme}/start")
        );
        assert_eq!(
            discover("nobody-here@acme.test").await.1,
            known,
            "same answer"
        );
        assert_eq!(discover("alice@elsewhere.test").await, (200, json!({})));
        assert_eq!(discover("not-an-email").await.0, 422);
    }
);

on_both_backends!(
    a_sign_in_started_on_one_instance_finishes_on_another,
    |backend| async move {
        use crate::common::{TestDatabase, spawn_with, test_config};
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let mut config = test_config(&db, keys.path().to_owned());
        config.allow_loopback_issuers = true;
        let a = spawn_with(config.clone()).await;
        let b = spawn_with(config).await;
        let Some((_idp, acme)) = acme_with_alice_invited(&a).await else {
            return;
        };

        let mut on_a = SsoBrowser::new(&a);
        let authorize = on_a.start(&acme, "").await.location.unwrap();
        let callback = on_a.at_idp(&authorize, AtIdp::SignIn("alice")).await;
        // The load balancer sends the IdP's redirect to the other instance.
        let mut on_b = SsoBrowser::new(&b);
        on_b.app_cookies = on_a.app_cookies.clone();
        let landing = on_b.callback(&callback).await;
        let cookie = landing.session.expect("signed in on the other instance");
        assert_eq!(a.person(&cookie).await.me["email"], "alice@acme.test");
        // And it was spent there: the first instance refuses the same callback.
        assert_eq!(on_a.callback(&callback).await.error(), Some("state"));
    }
);
