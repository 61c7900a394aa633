//! A small async admin client over reqwest for the conformance tests.

use kc_sim::{Simulator, SimulatorBuilder};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method};
use serde_json::Value;

pub use serde_json::json;

pub struct Res {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: HeaderMap,
}

impl Res {
    pub fn location(&self) -> String {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
    /// Id of a created object: the last Location segment.
    pub fn id(&self) -> String {
        self.location()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

pub struct Kc {
    pub sim: Simulator,
    pub http: Client,
    pub token: String,
}

pub fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder().build().expect("client")
}

async fn into_res(r: reqwest::Response) -> Res {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Res {
        status,
        body,
        text,
        headers,
    }
}

/// `POST /realms/{realm}/protocol/openid-connect/token` with a form.
pub async fn token_request(http: &Client, base: &str, realm: &str, form: &[(&str, &str)]) -> Res {
    let r = http
        .post(format!(
            "{base}/realms/{realm}/protocol/openid-connect/token"
        ))
        .form(form)
        .send()
        .await
        .expect("token request");
    into_res(r).await
}

pub async fn password_token(
    http: &Client,
    base: &str,
    realm: &str,
    user: &str,
    password: &str,
) -> String {
    let form = [
        ("grant_type", "password"),
        ("client_id", "admin-cli"),
        ("username", user),
        ("password", password),
    ];
    let r = token_request(http, base, realm, &form).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

impl Kc {
    pub async fn start() -> Kc {
        Kc::with(Simulator::builder()).await
    }

    pub async fn version(v: u8) -> Kc {
        Kc::with(Simulator::builder().keycloak_version(v)).await
    }

    pub async fn with(builder: SimulatorBuilder) -> Kc {
        let http = client();
        let sim = builder.start().expect("simulator starts");
        let token = password_token(&http, &sim.url(), "master", "admin", "admin").await;
        Kc { sim, http, token }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.url())
    }

    /// An admin API call; `path` is relative to `/admin/realms`.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Res {
        self.call_as(&self.token, method, path, body).await
    }

    pub async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Res {
        let mut req = self
            .http
            .request(method, self.url(&format!("/admin/realms{path}")))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        into_res(req.send().await.expect("request")).await
    }

    /// A call with a raw body text (unknown fields, malformed JSON).
    pub async fn raw(&self, method: Method, path: &str, body: &str) -> Res {
        let req = self
            .http
            .request(method, self.url(&format!("/admin/realms{path}")))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_string());
        into_res(req.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Res {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Res {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Res {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Res {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates an enabled realm through the API.
    pub async fn realm(&self, name: &str) {
        let r = self
            .post("", json!({ "realm": name, "enabled": true }))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    /// Creates a confidential OIDC client; returns its uuid.
    pub async fn client(&self, realm: &str, client_id: &str) -> String {
        let r = self.post(&format!("/{realm}/clients"), json!({ "clientId": client_id, "protocol": "openid-connect", "publicClient": false })).await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.id()
    }

    /// Creates a top-level group; returns its id.
    pub async fn group(&self, realm: &str, name: &str) -> String {
        let r = self
            .post(&format!("/{realm}/groups"), json!({ "name": name }))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.id()
    }
}
