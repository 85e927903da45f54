//! People as the tests drive them: a software passkey (a WebAuthn authenticator in a few
//! lines: P-256 key, `none` attestation, user verification) and a signed-in person, who
//! talks to the admin API with the session cookie and the CSRF token as the console does.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};

use super::admin::AdminApi;
use super::app::TestApp;

/// A discoverable credential on a software authenticator.
pub struct SoftPasskey {
    pub id: Vec<u8>,
    key: EcdsaKeyPair,
    /// The user handle the server gave at registration.
    pub user_handle: Vec<u8>,
    counter: u32,
    /// The origin this authenticator's "browser" reports.
    pub origin: String,
}

fn cbor_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    match bytes.len() {
        n if n < 24 => out.push(0x40 | n as u8),
        n if n < 256 => out.extend([0x58, n as u8]),
        n => {
            out.push(0x59);
            out.extend((n as u16).to_be_bytes());
        }
    }
    out.extend(bytes);
}

fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false
    }))
    .unwrap()
}

impl SoftPasskey {
    /// Creates a credential answering registration `options` (the server's JSON).
    pub fn register(options: &Value, origin: &str) -> (Self, Value) {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();
        let mut id = vec![0u8; 32];
        SystemRandom::new().fill(&mut id).unwrap();
        let point = key.public_key().as_ref().to_vec();
        assert_eq!(point.len(), 65);
        // COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}
        let mut cose = vec![0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
        cose.extend(&point[1..33]);
        cose.extend([0x22, 0x58, 0x20]);
        cose.extend(&point[33..65]);
        let rp_id = options["rp"]["id"].as_str().expect("rp.id");
        let mut auth_data = digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec();
        auth_data.push(0x45); // UP | UV | AT
        auth_data.extend(0u32.to_be_bytes());
        auth_data.extend([0u8; 16]);
        auth_data.extend((id.len() as u16).to_be_bytes());
        auth_data.extend(&id);
        auth_data.extend(&cose);
        let mut attestation = vec![0xA3, 0x63];
        attestation.extend(b"fmt");
        attestation.push(0x64);
        attestation.extend(b"none");
        attestation.push(0x67);
        attestation.extend(b"attStmt");
        attestation.push(0xA0);
        attestation.push(0x68);
        attestation.extend(b"authData");
        cbor_bytes(&mut attestation, &auth_data);
        let challenge = options["challenge"].as_str().expect("challenge");
        let data = client_data("webauthn.create", challenge, origin);
        let user_handle = B64
            .decode(options["user"]["id"].as_str().expect("user.id"))
            .unwrap();
        let answer = json!({
            "id": B64.encode(&id), "rawId": B64.encode(&id), "type": "public-key",
            "response": {
                "attestationObject": B64.encode(&attestation),
                "clientDataJSON": B64.encode(&data),
            },
            "clientExtensionResults": {"credProps": {"rk": true}},
        });
        let passkey = Self {
            id,
            key,
            user_handle,
            counter: 0,
            origin: origin.to_owned(),
        };
        (passkey, answer)
    }

    /// Answers sign-in `options` (the server's JSON).
    pub fn sign(&mut self, options: &Value) -> Value {
        self.counter += 1;
        let rp_id = options["rpId"].as_str().expect("rpId");
        let mut auth_data = digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec();
        auth_data.push(0x05); // UP | UV
        auth_data.extend(self.counter.to_be_bytes());
        let challenge = options["challenge"].as_str().expect("challenge");
        let data = client_data("webauthn.get", challenge, &self.origin);
        let mut message = auth_data.clone();
        message.extend(digest(&SHA256, &data).as_ref());
        let signature = self.key.sign(&SystemRandom::new(), &message).unwrap();
        json!({
            "id": B64.encode(&self.id), "rawId": B64.encode(&self.id), "type": "public-key",
            "response": {
                "authenticatorData": B64.encode(&auth_data),
                "clientDataJSON": B64.encode(&data),
                "signature": B64.encode(signature.as_ref()),
                "userHandle": B64.encode(&self.user_handle),
            },
            "clientExtensionResults": {},
        })
    }
}

/// The session cookie a response set, if any.
pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("__Host-orgauth-session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .filter(|c| !c.is_empty())
}

impl TestApp {
    /// The console origin passkeys are bound to.
    pub fn passkey_origin(&self) -> String {
        orgauth::service::people::passkeys::relying_party_of(&self.config.issuer).1
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: Value,
        cookie: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.http.post(self.url(path)).json(&body);
        if let Some(cookie) = cookie {
            req = req.header("cookie", format!("__Host-orgauth-session={cookie}"));
        }
        req.send().await.unwrap()
    }

    /// Accepts an invitation (its URL or token) with a new passkey: the person, signed in.
    pub async fn accept_invitation(
        &self,
        invitation: &str,
        name: &str,
    ) -> (Person<'_>, SoftPasskey) {
        let token = invitation.rsplit('/').next().unwrap();
        let res = self
            .post_json(
                &format!("/auth/invitations/{token}/passkey/options"),
                json!({"name": name}),
                None,
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let options: Value = res.json().await.unwrap();
        let (passkey, answer) = SoftPasskey::register(&options, &self.passkey_origin());
        let res = self
            .post_json(&format!("/auth/invitations/{token}/passkey"), answer, None)
            .await;
        assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
        let cookie = session_cookie(&res).expect("a session cookie");
        (self.person(&cookie).await, passkey)
    }

    /// Signs in with the passkey: the person, with a new session.
    pub async fn sign_in(&self, passkey: &mut SoftPasskey) -> Person<'_> {
        let res = self.try_sign_in(passkey, None).await;
        assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
        let cookie = session_cookie(&res).expect("a session cookie");
        self.person(&cookie).await
    }

    pub async fn try_sign_in(
        &self,
        passkey: &mut SoftPasskey,
        cookie: Option<&str>,
    ) -> reqwest::Response {
        let options: Value = self
            .post_json("/auth/passkeys/sign-in/options", json!({}), None)
            .await
            .json()
            .await
            .unwrap();
        let answer = passkey.sign(&options);
        self.post_json("/auth/passkeys/sign-in", answer, cookie)
            .await
    }

    /// The person behind a session cookie, with their CSRF token from `GET /me`.
    pub async fn person(&self, cookie: &str) -> Person<'_> {
        let res = self
            .http
            .get(self.url("/admin/v1/me"))
            .header("cookie", format!("__Host-orgauth-session={cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let me: Value = res.json().await.unwrap();
        let api = AdminApi {
            app: self,
            token: String::new(),
            seen: Default::default(),
            session: Some((
                cookie.to_owned(),
                me["csrf_token"].as_str().unwrap().to_owned(),
            )),
        };
        Person {
            api,
            cookie: cookie.to_owned(),
            me,
        }
    }
}

/// A person signed in: the admin API with their session, and who `GET /me` said they are.
pub struct Person<'a> {
    pub api: AdminApi<'a>,
    pub cookie: String,
    pub me: Value,
}

impl Person<'_> {
    pub fn id(&self) -> &str {
        self.me["id"].as_str().unwrap()
    }

    /// A `/auth` POST with this session, its CSRF token and the same origin, as the console
    /// sends it.
    pub async fn auth_post(&self, path: &str, body: Option<&Value>) -> reqwest::Response {
        let app = self.api.app;
        let mut req = app
            .http
            .post(app.url(path))
            .header("cookie", format!("__Host-orgauth-session={}", self.cookie))
            .header("x-csrf-token", self.me["csrf_token"].as_str().unwrap())
            .header("sec-fetch-site", "same-origin");
        if let Some(body) = body {
            req = req.json(body);
        }
        req.send().await.unwrap()
    }
}
