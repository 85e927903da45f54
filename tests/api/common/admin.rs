//! Talking to the admin API as a test does.

use serde_json::Value;

use super::app::TestApp;

/// A response as the admin tests look at it.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

/// Talks to the admin API with one bearer token, keeping every response body it saw so a
/// test can check that no secret was ever returned twice.
pub struct AdminApi<'a> {
    pub app: &'a TestApp,
    pub token: String,
    pub seen: std::sync::Mutex<Vec<String>>,
    /// A person's session instead of the token: (cookie value, CSRF token).
    pub session: Option<(String, String)>,
}

impl TestApp {
    /// An access token for the client, or a panic with the server's answer.
    pub async fn access_token(&self, id: &str, secret: &str) -> String {
        let res = self.token_basic(id, secret, &[]).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "token for {id}: {body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A token for the admin API: its audience is the issuer.
    pub async fn admin_token(&self, id: &str, secret: &str) -> String {
        let res = self
            .token_basic(id, secret, &[("audience", &self.config.issuer)])
            .await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "admin token for {id}: {body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn admin_api(&self, id: &str, secret: &str) -> AdminApi<'_> {
        AdminApi {
            app: self,
            token: self.admin_token(id, secret).await,
            seen: Default::default(),
            session: None,
        }
    }

    /// The bootstrap admin (platform:admin + org:admin).
    pub async fn platform_admin(&self) -> AdminApi<'_> {
        self.admin_api(&self.admin_id, self.admin_secret()).await
    }
}

impl AdminApi<'_> {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> ApiResponse {
        let mut req = self
            .app
            .http
            .request(method, self.app.url(&format!("/admin/v1{path}")));
        req = match &self.session {
            None => req.bearer_auth(&self.token),
            Some((cookie, csrf)) => req
                .header("cookie", format!("__Host-orgauth-session={cookie}"))
                .header("x-csrf-token", csrf)
                .header("sec-fetch-site", "same-origin"),
        };
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = res.text().await.unwrap();
        self.seen.lock().unwrap().push(text.clone());
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        ApiResponse {
            status,
            content_type,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> ApiResponse {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> ApiResponse {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> ApiResponse {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> ApiResponse {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> ApiResponse {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// Creates a client over the API; returns (client_id, client_secret).
    pub async fn create_client(
        &self,
        org_id: &str,
        name: &str,
        roles: &[&str],
    ) -> (String, String) {
        let res = self
            .post(
                &format!("/organizations/{org_id}/clients"),
                serde_json::json!({"name": name, "roles": roles}),
            )
            .await;
        assert_eq!(res.status, 201, "{:?}", res.body);
        (
            res.body["client_id"].as_str().unwrap().to_owned(),
            res.body["client_secret"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn create_org(&self, name: &str) -> String {
        let res = self
            .post("/organizations", serde_json::json!({"name": name}))
            .await;
        assert_eq!(res.status, 201, "{:?}", res.body);
        res.body["id"].as_str().unwrap().to_owned()
    }

    /// Invites `email` to `org` with `role`: the invitation's URL (shown once).
    pub async fn invite(&self, org: &str, email: &str, role: &str) -> String {
        let res = self
            .post(
                &format!("/organizations/{org}/invitations"),
                serde_json::json!({"email": email, "role": role}),
            )
            .await;
        assert_eq!(res.status, 201, "{:?}", res.body);
        assert_eq!(res.body["email"], email.to_lowercase());
        assert_eq!(res.body["role"], role);
        res.body["invitation_url"].as_str().unwrap().to_owned()
    }

    pub async fn create_role(&self, name: &str) {
        let res = self
            .post(
                "/roles",
                serde_json::json!({"name": name, "description": format!("{name} role")}),
            )
            .await;
        assert_eq!(res.status, 201, "{:?}", res.body);
    }
}

/// Asserts an RFC 9457 problem document with `status`.
pub fn assert_problem(res: &ApiResponse, status: u16) {
    assert_eq!(res.status, status, "{:?}", res.body);
    assert!(
        res.content_type.starts_with("application/problem+json"),
        "content type {}",
        res.content_type
    );
    assert_eq!(res.body["status"], status);
    assert!(res.body["type"].is_string() && res.body["title"].is_string());
    assert!(res.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}
