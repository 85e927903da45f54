//! People (SPEC §9): invitations accepted with a passkey, passkey sign-in, sessions with
//! CSRF, step-up, switching organizations, viewers, the grant rule for members and the last
//! admin, all against the real server and a software authenticator.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::people::{Person, SoftPasskey, session_cookie};
use crate::common::{Backend, TestApp, assert_problem, spawn_app, spawn_with, test_config};

/// An invitation to `org` with `role`, created by the bootstrap admin client: its URL.
async fn invite(app: &TestApp, org: &str, email: &str, role: &str) -> String {
    app.platform_admin().await.invite(org, email, role).await
}

/// A person invited to `org` with `role` who accepted with a new passkey: signed in.
async fn join<'a>(
    app: &'a TestApp,
    org: &str,
    email: &str,
    role: &str,
    name: &str,
) -> (Person<'a>, SoftPasskey) {
    app.accept_invitation(&invite(app, org, email, role).await, name)
        .await
}

/// Makes the person's sign-in older than the step-up window (as time passing would).
pub(crate) fn age_sign_in(app: &TestApp, person: &Person<'_>) {
    use diesel::prelude::*;
    use orgauth::store::schema::sessions;
    let mut conn = app.store();
    let long_ago = orgauth::store::now() - chrono::TimeDelta::hours(1);
    diesel::update(sessions::table.filter(sessions::user_id.eq(person.id())))
        .set(sessions::authenticated_at.eq(long_ago))
        .execute(&mut **conn)
        .unwrap();
}

on_both_backends!(
    an_invited_person_joins_with_a_passkey_and_signs_in_again,
    |backend| async move {
        let app = spawn_app(backend).await;
        let url = invite(&app, &app.org_id, "Ada@Example.com", "org:admin").await;
        assert!(
            url.starts_with("http://orgauth.test/console/#/invitation/"),
            "{url}"
        );
        let token = url.rsplit('/').next().unwrap();
        assert!(token.len() >= 22, "at least 128 random bits");

        // The invitation page's first call says what it offers.
        let offer: Value = app
            .get(&format!("/auth/invitations/{token}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(offer["email"], "ada@example.com");
        assert_eq!(offer["role"], "org:admin");
        assert_eq!(offer["organization_name"], "Bootstrap organization");
        assert_eq!(offer["methods"], json!(["passkey"]));

        let (ada, mut passkey) = app.accept_invitation(&url, "Ada Lovelace").await;
        assert_eq!(ada.me["type"], "user");
        assert_eq!(ada.me["email"], "ada@example.com");
        assert_eq!(ada.me["name"], "Ada Lovelace");
        assert_eq!(
            ada.me["memberships"],
            json!([{"organization_id": app.org_id, "organization_name": "Bootstrap organization", "role": "org:admin", "sso_required": false}])
        );
        assert_eq!(ada.me["session"]["method"], "passkey");

        // The link worked once.
        assert_eq!(
            app.get(&format!("/auth/invitations/{token}"))
                .await
                .status(),
            404
        );
        let res = app
            .post_json(
                &format!("/auth/invitations/{token}/passkey/options"),
                json!({}),
                None,
            )
            .await;
        assert_eq!(res.status(), 404);

        // She can use the admin API with her session, as an org admin.
        let clients = ada
            .api
            .get(&format!("/organizations/{}/clients", app.org_id))
            .await;
        assert_eq!(clients.status, 200, "{:?}", clients.body);

        // A later sign-in with the passkey: a new session, a new cookie.
        let again = app.sign_in(&mut passkey).await;
        assert_ne!(again.cookie, ada.cookie);
        assert_eq!(again.id(), ada.id());
        let sessions = again.api.get("/me/sessions").await;
        assert_eq!(sessions.body.as_array().unwrap().len(), 2);

        // The audit log tells who joined and signed in.
        let admin = app.platform_admin().await;
        let events = admin
            .get(&format!("/organizations/{}/audit-events", app.org_id))
            .await;
        let actions: Vec<&str> = events
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for action in [
            "invitation.created",
            "invitation.accepted",
            "user.signed_in",
        ] {
            assert!(actions.contains(&action), "{action} in {actions:?}");
        }
    }
);

on_both_backends!(
    a_rotation_after_step_up_names_the_person_in_the_audit_log,
    |backend| async move {
        let app = spawn_app(backend).await;
        let (client_id, _) = app.create_client(&[]);
        let url = invite(&app, &app.org_id, "grace@example.com", "org:admin").await;
        let (grace, mut passkey) = app.accept_invitation(&url, "Grace Hopper").await;
        let rotate = format!("/organizations/{}/clients/{client_id}/secret", app.org_id);

        // A sign-in older than the window: 401 with RFC 9470's error, and nothing changes.
        age_sign_in(&app, &grace);
        let res = grace.api.post(&rotate, json!({})).await;
        assert_problem(&res, 401);
        let challenge = res
            .headers
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(
            challenge,
            r#"Session error="insufficient_user_authentication", max_age=600"#
        );
        let client = grace
            .api
            .get(&format!(
                "/organizations/{}/clients/{client_id}",
                app.org_id
            ))
            .await;
        assert!(client.body["secret_rotated_at"].is_null());

        // Step-up: sign in again (a new session id), then the rotation goes through.
        let fresh = app.sign_in(&mut passkey).await;
        assert_ne!(fresh.cookie, grace.cookie);
        let res = fresh.api.post(&rotate, json!({})).await;
        assert_eq!(res.status, 200, "{:?}", res.body);
        assert!(
            res.body["client_secret"]
                .as_str()
                .unwrap()
                .starts_with("oas_")
        );

        let events = fresh
            .api
            .get(&format!(
                "/organizations/{}/audit-events?action=client.secret_rotated",
                app.org_id
            ))
            .await;
        let actor = &events.body[0]["actor"];
        assert_eq!(actor["type"], "user");
        assert_eq!(actor["id"], fresh.id());
        assert_eq!(actor["email"], "grace@example.com");
        assert_eq!(actor["name"], "Grace Hopper");
        assert_eq!(actor["method"], "passkey");
        assert_eq!(actor["session_id"], fresh.me["session"]["id"]);
        assert_eq!(actor["address"], "127.0.0.1");
    }
);

on_both_backends!(
    changes_with_a_session_need_the_csrf_token_and_the_same_origin,
    |backend| async move {
        let app = spawn_app(backend).await;
        let url = invite(&app, &app.org_id, "lin@example.com", "org:admin").await;
        let (lin, _) = app.accept_invitation(&url, "Lin").await;
        let path = app.url(&format!("/admin/v1/organizations/{}/clients", app.org_id));
        let cookie = format!("__Host-orgauth-session={}", lin.cookie);
        let csrf = lin.me["csrf_token"].as_str().unwrap();
        let body = json!({"name": "from a session", "roles": []});

        // Reads need no token.
        let res = app
            .http
            .get(&path)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        // A change without the token, with a wrong one, or from another site: 403.
        for (token, site) in [
            (None, None),
            (Some("wrong"), None),
            (Some(csrf), Some("cross-site")),
            (Some(csrf), Some("same-site")),
        ] {
            let mut req = app.http.post(&path).header("cookie", &cookie).json(&body);
            if let Some(token) = token {
                req = req.header("x-csrf-token", token);
            }
            if let Some(site) = site {
                req = req.header("sec-fetch-site", site);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 403, "token {token:?}, site {site:?}");
        }
        let list: Value = app
            .http
            .get(&path)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            list.as_array().unwrap().len(),
            1,
            "only the bootstrap admin: nothing was created"
        );
        // With the token and from the same origin it works.
        let res = lin
            .api
            .post(&format!("/organizations/{}/clients", app.org_id), body)
            .await;
        assert_eq!(res.status, 201, "{:?}", res.body);
    }
);

on_both_backends!(
    a_person_in_two_organizations_switches_without_signing_in_again,
    |backend| async move {
        let app = spawn_app(backend).await;
        let admin = app.platform_admin().await;
        let acme = admin.create_org("Acme").await;
        let url = invite(&app, &app.org_id, "max@example.com", "org:viewer").await;
        let (max, _) = app.accept_invitation(&url, "Max").await;
        // Invited to Acme too: accepted while signed in, with the same person.
        let second = invite(&app, &acme, "max@example.com", "org:admin").await;
        let token = second.rsplit('/').next().unwrap();
        let res = max
            .auth_post(&format!("/auth/invitations/{token}/accept"), None)
            .await;
        assert_eq!(res.status(), 204);
        let me = max.api.get("/me").await.body;
        let orgs: Vec<(&str, &str)> = me["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["organization_name"].as_str().unwrap(),
                    m["role"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            orgs,
            vec![
                ("Acme", "org:admin"),
                ("Bootstrap organization", "org:viewer")
            ]
        );

        // The same session reads both; writes where it is an admin; reads only where a viewer.
        assert_eq!(
            max.api
                .get(&format!("/organizations/{acme}/clients"))
                .await
                .status,
            200
        );
        assert_eq!(
            max.api
                .get(&format!("/organizations/{}/clients", app.org_id))
                .await
                .status,
            200
        );
        let created = max
            .api
            .post(
                &format!("/organizations/{acme}/clients"),
                json!({"name": "acme-sync", "roles": []}),
            )
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let refused = max
            .api
            .post(
                &format!("/organizations/{}/clients", app.org_id),
                json!({"name": "nope", "roles": []}),
            )
            .await;
        assert_problem(&refused, 403);
        // A viewer rotates nothing and is never shown a secret.
        let rotate = max
            .api
            .post(
                &format!(
                    "/organizations/{}/clients/{}/secret",
                    app.org_id, app.admin_id
                ),
                json!({}),
            )
            .await;
        assert_problem(&rotate, 403);
        // Another organization stays invisible.
        let other = admin.create_org("Other").await;
        assert_problem(
            &max.api
                .get(&format!("/organizations/{other}/clients"))
                .await,
            404,
        );
    }
);

on_both_backends!(
    members_follow_the_grant_rule_and_keep_an_admin,
    |backend| async move {
        let app = spawn_app(backend).await;
        let admin = app.platform_admin().await;
        let acme = admin.create_org("Acme").await;
        let (ann, _) = join(&app, &acme, "ann@example.com", "org:admin", "Ann").await;
        let members = format!("/organizations/{acme}/members");

        // The only admin cannot be demoted or removed.
        assert_problem(
            &ann.api
                .patch(
                    &format!("{members}/{}", ann.id()),
                    json!({"role": "org:viewer"}),
                )
                .await,
            409,
        );
        assert_problem(
            &ann.api.delete(&format!("{members}/{}", ann.id())).await,
            409,
        );
        // An org admin cannot hand out platform:admin, by invitation or by role.
        let res = ann
            .api
            .post(
                &format!("/organizations/{acme}/invitations"),
                json!({"email": "x@example.com", "role": "platform:admin"}),
            )
            .await;
        assert_problem(&res, 403);
        // Bob joins as a viewer; Ann promotes him, then demotes herself.
        let res = ann
            .api
            .post(
                &format!("/organizations/{acme}/invitations"),
                json!({"email": "bob@example.com", "role": "org:viewer"}),
            )
            .await;
        assert_eq!(res.status, 201, "{:?}", res.body);
        let (bob, _) = app
            .accept_invitation(res.body["invitation_url"].as_str().unwrap(), "Bob")
            .await;
        assert_problem(
            &ann.api
                .patch(
                    &format!("{members}/{}", bob.id()),
                    json!({"role": "platform:admin"}),
                )
                .await,
            403,
        );
        let res = ann
            .api
            .patch(
                &format!("{members}/{}", bob.id()),
                json!({"role": "org:admin"}),
            )
            .await;
        assert_eq!(res.status, 200, "{:?}", res.body);
        assert_eq!(res.body["role"], "org:admin");
        let res = ann
            .api
            .patch(
                &format!("{members}/{}", ann.id()),
                json!({"role": "org:viewer"}),
            )
            .await;
        assert_eq!(res.status, 200, "{:?}", res.body);
        // Now Ann is a viewer: she changes nothing.
        assert_problem(
            &ann.api.delete(&format!("{members}/{}", bob.id())).await,
            403,
        );
        let list = bob.api.get(&members).await;
        let roles: Vec<(&str, &str)> = list
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["email"].as_str().unwrap(), m["role"].as_str().unwrap()))
            .collect();
        assert_eq!(
            roles,
            vec![
                ("ann@example.com", "org:viewer"),
                ("bob@example.com", "org:admin")
            ]
        );
        // Bob removes Ann: her session loses Acme at once.
        assert_eq!(
            bob.api
                .delete(&format!("{members}/{}", ann.id()))
                .await
                .status,
            204
        );
        assert_problem(
            &ann.api.get(&format!("/organizations/{acme}/clients")).await,
            404,
        );
        let events = bob
            .api
            .get(&format!(
                "/organizations/{acme}/audit-events?action=member.removed"
            ))
            .await;
        assert_eq!(events.body[0]["actor"]["email"], "bob@example.com");
        assert_eq!(events.body[0]["target"], ann.id());
    }
);

on_both_backends!(
    a_removed_member_is_refused_on_another_instance_within_a_second,
    |backend| async move {
        let db = crate::common::TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let config = test_config(&db, keys.path().to_owned());
        let a = spawn_with(config.clone()).await;
        let b = spawn_with(config).await;
        let url = invite(&a, &a.org_id, "eve@example.com", "org:viewer").await;
        let (eve_on_a, _) = a.accept_invitation(&url, "Eve").await;
        let eve_on_b = b.person(&eve_on_a.cookie).await;
        let clients = format!("/organizations/{}/clients", a.org_id);
        assert_eq!(eve_on_b.api.get(&clients).await.status, 200);

        let admin = a.platform_admin().await;
        let res = admin
            .delete(&format!(
                "/organizations/{}/members/{}",
                a.org_id,
                eve_on_a.id()
            ))
            .await;
        assert_eq!(res.status, 204, "{:?}", res.body);
        let removed = std::time::Instant::now();
        loop {
            if eve_on_b.api.get(&clients).await.status == 404 {
                break;
            }
            assert!(
                removed.elapsed() < Duration::from_secs(1),
                "still served after 1 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Ending a session reaches the other instance the same way.
        let (_, mut passkey) = b
            .accept_invitation(
                &invite(&a, &a.org_id, "eve2@example.com", "org:viewer").await,
                "Eve 2",
            )
            .await;
        let one = a.sign_in(&mut passkey).await;
        let two = b.sign_in(&mut passkey).await;
        assert_eq!(
            one.api
                .delete(&format!(
                    "/me/sessions/{}",
                    two.me["session"]["id"].as_str().unwrap()
                ))
                .await
                .status,
            204
        );
        assert_problem(&two.api.get("/me").await, 401);
        assert_eq!(one.api.get("/me").await.status, 200);
    }
);

on_both_backends!(
    passkeys_and_sessions_belong_to_their_person,
    |backend| async move {
        let app = spawn_app(backend).await;
        let (kim, mut first) =
            join(&app, &app.org_id, "kim@example.com", "org:viewer", "Kim").await;
        let listed = kim.api.get("/me/passkeys").await;
        assert_eq!(listed.body.as_array().unwrap().len(), 1);
        let only = listed.body[0]["id"].as_str().unwrap().to_owned();
        // The last way to sign in stays.
        assert_problem(&kim.api.delete(&format!("/me/passkeys/{only}")).await, 409);

        // A second passkey (the session is fresh: it just signed in).
        let res = app
            .post_json(
                "/auth/passkeys/register/options",
                json!({}),
                Some(&kim.cookie),
            )
            .await;
        assert_eq!(res.status(), 403, "without the CSRF token");
        let options: Value = kim
            .auth_post("/auth/passkeys/register/options", None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(
            options["authenticatorSelection"]["userVerification"],
            "required"
        );
        assert_eq!(
            options["excludeCredentials"].as_array().map(Vec::len),
            Some(1),
            "{options}"
        );
        let (mut second, mut answer) = SoftPasskey::register(&options, &app.passkey_origin());
        answer["name"] = json!("Backup key");
        let res = kim
            .auth_post("/auth/passkeys/register", Some(&answer))
            .await;
        assert_eq!(res.status(), 201);
        let added: Value = res.json().await.unwrap();
        assert_eq!(added["name"], "Backup key");
        // Both sign in; now the first can go, and the sessions it signed in (a lost or
        // stolen passkey) end with it.
        let kim2 = app.sign_in(&mut second).await;
        let with_first = app.sign_in(&mut first).await;
        assert_eq!(
            kim2.api
                .delete(&format!("/me/passkeys/{only}"))
                .await
                .status,
            204
        );
        let res = app.try_sign_in(&mut first, None).await;
        assert_eq!(res.status(), 401, "a removed passkey signs in nobody");
        assert_problem(&kim.api.get("/me").await, 401);
        assert_problem(&with_first.api.get("/me").await, 401);

        // Sign out everywhere else, then sign out.
        let third = app.sign_in(&mut second).await;
        let sessions = kim2.api.get("/me/sessions").await.body;
        assert_eq!(sessions.as_array().unwrap().len(), 2, "{sessions}");
        assert_eq!(
            sessions
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["current"] == true)
                .count(),
            1
        );
        assert_eq!(kim2.api.delete("/me/sessions").await.status, 204);
        assert_problem(&third.api.get("/me").await, 401);
        assert_eq!(
            kim2.api
                .get("/me/sessions")
                .await
                .body
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let res = app
            .post_json("/auth/sign-out", json!({}), Some(&kim2.cookie))
            .await;
        assert_eq!(res.status(), 204);
        assert!(
            res.headers()
                .get("set-cookie")
                .unwrap()
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        assert_problem(&kim2.api.get("/me").await, 401);
    }
);

on_both_backends!(
    a_sign_in_answer_works_once_and_only_for_its_challenge,
    |backend| async move {
        let app = spawn_app(backend).await;
        let (_, mut passkey) = join(&app, &app.org_id, "ray@example.com", "org:admin", "Ray").await;
        let options: Value = app
            .post_json("/auth/passkeys/sign-in/options", json!({}), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(options["rpId"], "orgauth.test");
        assert_eq!(options["userVerification"], "required");
        let answer = passkey.sign(&options);
        let first = app
            .post_json("/auth/passkeys/sign-in", answer.clone(), None)
            .await;
        assert_eq!(first.status(), 204);
        assert!(session_cookie(&first).is_some());
        // Replayed: the challenge is gone.
        let replay = app.post_json("/auth/passkeys/sign-in", answer, None).await;
        assert!(
            replay.status() == 422 || replay.status() == 401,
            "{}",
            replay.status()
        );
        assert!(session_cookie(&replay).is_none());
        // Signed for another origin: refused.
        passkey.origin = "https://evil.example".into();
        let res = app.try_sign_in(&mut passkey, None).await;
        assert_eq!(res.status(), 401);
        // A cross-site page cannot sign a browser in (login CSRF).
        let res = app
            .http
            .post(app.url("/auth/passkeys/sign-in/options"))
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
    }
);

on_both_backends!(
    revoked_and_expired_invitations_open_nothing,
    |backend| async move {
        let app = spawn_app(backend).await;
        let admin = app.platform_admin().await;
        let res = admin
            .post(
                &format!("/organizations/{}/invitations", app.org_id),
                json!({"email": "zoe@example.com", "role": "org:admin", "expires_in_days": 1}),
            )
            .await;
        assert_eq!(res.status, 201);
        let (id, url) = (
            res.body["id"].as_str().unwrap().to_owned(),
            res.body["invitation_url"].as_str().unwrap().to_owned(),
        );
        let listed = admin
            .get(&format!("/organizations/{}/invitations", app.org_id))
            .await;
        let emails: Vec<&str> = listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["email"].as_str().unwrap())
            .collect();
        assert_eq!(
            emails,
            vec!["admin@localhost", "zoe@example.com"],
            "the first start's, then this one"
        );
        assert!(
            listed.body[1].get("invitation_url").is_none(),
            "the link is shown once"
        );
        assert_eq!(
            admin
                .delete(&format!("/organizations/{}/invitations/{id}", app.org_id))
                .await
                .status,
            204
        );
        let token = url.rsplit('/').next().unwrap();
        assert_eq!(
            app.get(&format!("/auth/invitations/{token}"))
                .await
                .status(),
            404
        );
        for bad in [
            json!({"email": "not an email", "role": "org:admin"}),
            json!({"email": "a@example.com", "role": "billing:read"}),
            json!({"email": "a@example.com", "role": "org:admin", "expires_in_days": 31}),
        ] {
            assert_problem(
                &admin
                    .post(&format!("/organizations/{}/invitations", app.org_id), bad)
                    .await,
                422,
            );
        }
        assert_eq!(
            app.get("/auth/invitations/not-a-token!").await.status(),
            404
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_invites_the_first_platform_admin() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut conn = app.store();
    // The bootstrap left one pending invitation: platform:admin, in the platform organization.
    let pending = orgauth::store::people::invitations::page_pending(
        &mut conn,
        &app.org_id,
        orgauth::store::now(),
        None,
        10,
    )
    .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].role, "platform:admin");
    assert_eq!(pending[0].email, "admin@localhost");
}

on_both_backends!(
    an_admin_who_leaves_takes_their_pending_invitations_along,
    |backend| async move {
        let app = spawn_app(backend).await;
        let admin = app.platform_admin().await;
        let acme = admin.create_org("Acme").await;
        let (mallory, _) = join(&app, &acme, "mallory@example.com", "org:admin", "Mallory").await;
        let (_keeper, _) = join(&app, &acme, "keeper@example.com", "org:admin", "Keeper").await;
        // Mallory keeps a link for later, then is removed.
        let res = mallory
            .api
            .post(
                &format!("/organizations/{acme}/invitations"),
                json!({"email": "later@example.com", "role": "org:admin"}),
            )
            .await;
        assert_eq!(res.status, 201, "{:?}", res.body);
        let token = res.body["invitation_url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(
            admin
                .delete(&format!("/organizations/{acme}/members/{}", mallory.id()))
                .await
                .status,
            204
        );
        // Her link no longer opens anything.
        assert_eq!(
            app.get(&format!("/auth/invitations/{token}"))
                .await
                .status(),
            404
        );
    }
);

on_both_backends!(
    an_org_admin_cannot_touch_a_platform_admin_who_is_a_member_elsewhere,
    |backend| async move {
        let app = spawn_app(backend).await;
        let admin = app.platform_admin().await;
        let acme = admin.create_org("Acme").await;
        // Pat: platform admin, also a viewer of Acme. Nina: Acme's admin.
        let (pat, _) = join(
            &app,
            &app.org_id,
            "pat@example.com",
            "platform:admin",
            "Pat",
        )
        .await;
        let token = invite(&app, &acme, "pat@example.com", "org:viewer").await;
        let res = app
            .http
            .post(app.url(&format!(
                "/auth/invitations/{}/accept",
                token.rsplit('/').next().unwrap()
            )))
            .header("cookie", format!("__Host-orgauth-session={}", pat.cookie))
            .header("x-csrf-token", pat.me["csrf_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        let (nina, _) = join(&app, &acme, "nina@example.com", "org:admin", "Nina").await;
        let member = format!("/organizations/{acme}/members/{}", pat.id());
        assert_problem(&nina.api.delete(&format!("{member}/sessions")).await, 403);
        assert_problem(&nina.api.delete(&member).await, 403);
        assert_problem(
            &nina.api.patch(&member, json!({"role": "org:admin"})).await,
            403,
        );
        assert_eq!(
            pat.api.get("/me").await.status,
            200,
            "Pat is still signed in"
        );
    }
);

on_both_backends!(
    a_disabled_person_is_signed_out_everywhere_and_cannot_sign_in,
    |backend| async move {
        let db = crate::common::TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let config = test_config(&db, keys.path().to_owned());
        let a = spawn_with(config.clone()).await;
        let b = spawn_with(config).await;
        let (lee, mut passkey) = join(&a, &a.org_id, "lee@example.com", "org:viewer", "Lee").await;
        let lee_on_b = b.person(&lee.cookie).await;
        let operator = orgauth::service::Principal::Operator("cli");
        let email = orgauth::domain::Email::parse("lee@example.com").unwrap();
        let ended =
            orgauth::service::people::users::set_disabled(&mut a.store(), &operator, &email, true)
                .unwrap();
        assert_eq!(ended, 1);
        assert_problem(&lee_on_b.api.get("/me").await, 401);
        assert_eq!(b.try_sign_in(&mut passkey, None).await.status(), 401);
        orgauth::service::people::users::set_disabled(&mut a.store(), &operator, &email, false)
            .unwrap();
        b.sign_in(&mut passkey).await;
    }
);

on_both_backends!(
    ceremonies_and_sessions_keep_their_limits_across_instances,
    |backend| async move {
        use diesel::prelude::*;
        use orgauth::store::schema::{passkey_ceremonies, sessions};
        let db = crate::common::TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let config = test_config(&db, keys.path().to_owned());
        let a = spawn_with(config.clone()).await;
        let b = spawn_with(config).await;
        let (_, mut passkey) = join(&a, &a.org_id, "sam@example.com", "org:viewer", "Sam").await;

        // Options from one instance, the answer to the other.
        let options: Value = a
            .post_json("/auth/passkeys/sign-in/options", json!({}), None)
            .await
            .json()
            .await
            .unwrap();
        let res = b
            .post_json("/auth/passkeys/sign-in", passkey.sign(&options), None)
            .await;
        assert_eq!(res.status(), 204);

        // A challenge older than 5 minutes is refused.
        let options: Value = a
            .post_json("/auth/passkeys/sign-in/options", json!({}), None)
            .await
            .json()
            .await
            .unwrap();
        let past = orgauth::store::now() - chrono::TimeDelta::seconds(1);
        diesel::update(passkey_ceremonies::table)
            .set(passkey_ceremonies::expires_at.eq(past))
            .execute(&mut **a.store())
            .unwrap();
        let res = b
            .post_json("/auth/passkeys/sign-in", passkey.sign(&options), None)
            .await;
        assert!(
            session_cookie(&res).is_none(),
            "an expired challenge signs nobody in"
        );
        assert_ne!(res.status(), 204);

        // Idle and absolute limits.
        let idle = a.sign_in(&mut passkey).await;
        let long = a.sign_in(&mut passkey).await;
        let now = orgauth::store::now();
        let session_id = |p: &Person<'_>| p.me["session"]["id"].as_str().unwrap().to_owned();
        diesel::update(sessions::table.filter(sessions::id.eq(session_id(&idle))))
            .set(sessions::last_seen_at.eq(now - chrono::TimeDelta::seconds(1801)))
            .execute(&mut **a.store())
            .unwrap();
        diesel::update(sessions::table.filter(sessions::id.eq(session_id(&long))))
            .set(sessions::expires_at.eq(now - chrono::TimeDelta::seconds(1)))
            .execute(&mut **a.store())
            .unwrap();
        assert_problem(&idle.api.get("/me").await, 401);
        assert_problem(&long.api.get("/me").await, 401);
    }
);

on_both_backends!(
    failed_sign_ins_are_limited_per_address,
    |backend| async move {
        let app = spawn_app(backend).await;
        let (_, mut passkey) =
            join(&app, &app.org_id, "tess@example.com", "org:viewer", "Tess").await;
        passkey.origin = "https://elsewhere.example".into();
        let mut statuses = Vec::new();
        for _ in 0..12 {
            statuses.push(app.try_sign_in(&mut passkey, None).await.status().as_u16());
        }
        assert_eq!(&statuses[..10], &[401; 10], "{statuses:?}");
        assert_eq!(statuses[11], 429, "{statuses:?}");
    }
);
