//! A real OpenID Provider for the single sign-on tests (npm `oidc-provider`, started from
//! `tests/console/idp.mjs`), and a browser-like driver that goes through its login form:
//! redirects followed by hand, a cookie jar per site, the IdP's forms posted as a browser
//! would. The app is reached at the console origin's path on its real address.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::TestApp;
use super::process::free_port;

/// The redirect URI of every test app (its issuer is `http://orgauth.test`).
pub const REDIRECT_URI: &str = "http://orgauth.test/auth/sso/callback";
const CONSOLE_ORIGIN: &str = "http://orgauth.test";

pub struct Idp {
    pub issuer: String,
    child: Child,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn console_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/console")
}

/// Whether the IdP can run here (Node and `npm ci` in tests/console); under `CI=true` its
/// absence fails the test.
fn available() -> bool {
    let ready = console_dir().join("node_modules/oidc-provider").is_dir()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !ready && std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("CI=true but the OpenID Provider cannot run: node or tests/console/node_modules");
    }
    ready
}

impl Idp {
    /// An IdP with these clients (`(client_id, client_secret)`, each with the test apps'
    /// redirect URI); `None` when it cannot run here (outside CI).
    pub async fn start(clients: &[(&str, &str)]) -> Option<Self> {
        Self::start_with(clients, None).await
    }

    /// `mode`: `wrong-key` publishes another key under the signing key's kid.
    pub async fn start_with(clients: &[(&str, &str)], mode: Option<&str>) -> Option<Self> {
        if !available() {
            return None;
        }
        let port = free_port();
        let clients: Vec<Value> = clients
            .iter()
            .map(|(id, secret)| {
                json!({"client_id": id, "client_secret": secret, "redirect_uris": [REDIRECT_URI]})
            })
            .collect();
        let mut command = Command::new("node");
        command
            .arg("idp.mjs")
            .current_dir(console_dir())
            .env("PORT", port.to_string())
            .env("CLIENTS", Value::from(clients).to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(mode) = mode {
            command.env("MODE", mode);
        }
        let child = command.spawn().expect("node starts");
        let issuer = format!("http://127.0.0.1:{port}");
        let idp = Self { issuer, child };
        let discovery = format!("{}/.well-known/openid-configuration", idp.issuer);
        for _ in 0..200 {
            if reqwest::get(&discovery)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Some(idp);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the OpenID Provider did not start");
    }
}

/// What the browser sees after orgauth answered the IdP's callback.
#[derive(Debug)]
pub struct Landing {
    pub status: u16,
    /// The `Location` orgauth sent the browser to.
    pub location: String,
    /// The new session cookie, if a session started.
    pub session: Option<String>,
    /// The callback URL as the IdP sent it (for replays).
    pub callback: String,
}

impl Landing {
    /// The `sso_error` code of a refused sign-in.
    pub fn error(&self) -> Option<&str> {
        self.location.split("sso_error=").nth(1)
    }
}

/// How the person answers at the IdP.
#[derive(Clone, Copy)]
pub enum AtIdp<'a> {
    /// Signs in as this account and consents.
    SignIn(&'a str),
    /// Cancels at the login page (`access_denied`).
    Abort,
}

/// A browser: two cookie jars (orgauth, the IdP), no automatic redirects.
pub struct SsoBrowser<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    pub app_cookies: BTreeMap<String, String>,
    idp_cookies: BTreeMap<String, String>,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl<'a> SsoBrowser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            app_cookies: BTreeMap::new(),
            idp_cookies: BTreeMap::new(),
        }
    }

    /// A browser already signed in with this session.
    pub fn with_session(app: &'a TestApp, cookie: &str) -> Self {
        let mut browser = Self::new(app);
        browser
            .app_cookies
            .insert("__Host-orgauth-session".into(), cookie.to_owned());
        browser
    }

    fn on_app(url: &str) -> bool {
        url.starts_with(CONSOLE_ORIGIN) || url.starts_with('/')
    }

    /// A request as the browser sends it; URLs of the console origin go to the app.
    pub async fn request(
        &mut self,
        method: &str,
        url: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Page {
        let on_app = Self::on_app(url);
        let target = if on_app {
            let path = url.strip_prefix(CONSOLE_ORIGIN).unwrap_or(url);
            self.app.url(path)
        } else {
            url.to_owned()
        };
        let jar = if on_app {
            &mut self.app_cookies
        } else {
            &mut self.idp_cookies
        };
        let cookie = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut req = match method {
            "POST" => self.http.post(&target),
            _ => self.http.get(&target),
        };
        if !cookie.is_empty() {
            req = req.header("cookie", cookie);
        }
        if let Some(form) = form {
            req = req.form(form);
        }
        let res = req.send().await.unwrap();
        for set in res.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let expired = set.to_ascii_lowercase().contains("max-age=0") || value.is_empty();
            if expired {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = res.status().as_u16();
        let location = res.headers().get("location").map(|l| {
            let l = l.to_str().unwrap();
            if l.starts_with('/') && !on_app {
                // The IdP's bare paths.
                let base = reqwest::Url::parse(url).unwrap();
                base.join(l).unwrap().to_string()
            } else {
                l.to_owned()
            }
        });
        Page {
            status,
            location,
            body: res.text().await.unwrap_or_default(),
        }
    }

    /// `GET /auth/sso/{org}/start`: the IdP's authorization URL, or the app's refusal page.
    pub async fn start(&mut self, org: &str, query: &str) -> Page {
        self.request("GET", &format!("/auth/sso/{org}/start?{query}"), None)
            .await
    }

    /// Goes through the IdP from its authorization URL to the callback URL it sends back.
    pub async fn at_idp(&mut self, authorization_url: &str, answer: AtIdp<'_>) -> String {
        let mut url = authorization_url.to_owned();
        let mut form: Option<Vec<(String, String)>> = None;
        for _ in 0..20 {
            if url.starts_with(CONSOLE_ORIGIN) {
                return url;
            }
            let page = match form.take() {
                Some(fields) => {
                    let fields: Vec<(&str, &str)> = fields
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    self.request("POST", &url, Some(&fields)).await
                }
                None => self.request("GET", &url, None).await,
            };
            if let Some(next) = page.location {
                url = next;
                continue;
            }
            assert_eq!(
                page.status, 200,
                "the IdP answered {}: {}",
                page.status, page.body
            );
            // An interaction page: the login form or the consent form.
            if page.body.contains("name=\"login\"") {
                match answer {
                    AtIdp::SignIn(account) => {
                        form = Some(vec![
                            ("prompt".into(), "login".into()),
                            ("login".into(), account.into()),
                            ("password".into(), "any".into()),
                        ]);
                    }
                    AtIdp::Abort => url = format!("{}/abort", url.trim_end_matches('/')),
                }
            } else {
                form = Some(vec![("prompt".into(), "consent".into())]);
            }
        }
        panic!("the IdP did not send the browser back");
    }

    /// The app's answer to a callback URL.
    pub async fn callback(&mut self, callback: &str) -> Landing {
        let page = self.request("GET", callback, None).await;
        Landing {
            status: page.status,
            location: page.location.unwrap_or_default(),
            session: self
                .app_cookies
                .get("__Host-orgauth-session")
                .cloned()
                .filter(|_| page.status == 302),
            callback: callback.to_owned(),
        }
    }

    /// A whole sign-in: start, the IdP, the callback.
    pub async fn sign_in(&mut self, org: &str, query: &str, answer: AtIdp<'_>) -> Landing {
        let before = self.app_cookies.get("__Host-orgauth-session").cloned();
        let started = self.start(org, query).await;
        let location = started.location.expect("a redirect");
        if Self::on_app(&location) {
            return Landing {
                status: started.status,
                location,
                session: None,
                callback: String::new(),
            };
        }
        let callback = self.at_idp(&location, answer).await;
        let mut landing = self.callback(&callback).await;
        if landing.session == before {
            landing.session = None;
        }
        landing
    }
}
