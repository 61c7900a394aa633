//! The real Keycloak of the tier and a fresh realm per test.
//!
//! scripts/test.sh starts the server and names it in `FEDCTL_REAL_KEYCLOAK_URL` (with a master
//! admin in `FEDCTL_REAL_KEYCLOAK_USER`/`_PASSWORD`). Without it a test says so on stderr and
//! returns: a local `cargo test` must not fail for want of a Java server, and it must not look
//! as if it had checked anything either. CI (`CI=true`) never skips.

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::Workspace;

pub const URL_VAR: &str = "FEDCTL_REAL_KEYCLOAK_URL";
const USER_VAR: &str = "FEDCTL_REAL_KEYCLOAK_USER";
const PASSWORD_VAR: &str = "FEDCTL_REAL_KEYCLOAK_PASSWORD";

/// Admin access tokens of `admin-cli` live 60 s by default: renew well before.
const TOKEN_REUSE: Duration = Duration::from_secs(30);

/// A realm of its own on the real server for one test; deleted when dropped.
pub struct Realm {
    pub name: String,
    pub url: String,
    user: String,
    password: String,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    token: std::cell::RefCell<Option<(Instant, String)>>,
}

impl Realm {
    /// A name for the test's realm on the configured server (created by `create*`), or `None`
    /// after printing why the test is skipped.
    pub fn reserve(test: &str) -> Option<Realm> {
        let Ok(url) = std::env::var(URL_VAR) else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{URL_VAR} is not set in CI: the real-Keycloak tier must run (scripts/test.sh)"
            );
            // Straight to stderr: the test harness would swallow eprintln! of a passing test.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: {URL_VAR} is not set (scripts/test.sh starts a real Keycloak \
                 and sets it; see docs/real-keycloak.md)"
            );
            return None;
        };
        let env = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set with {URL_VAR}"))
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        Some(Realm {
            name: format!("fedctl-{}", fastrand::u32(..)),
            url: url.trim_end_matches('/').to_owned(),
            user: env(USER_VAR),
            password: env(PASSWORD_VAR),
            http: reqwest::Client::new(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            token: Default::default(),
        })
    }

    /// An empty realm.
    pub fn create(test: &str) -> Option<Realm> {
        let realm = Realm::reserve(test)?;
        realm.create_from(serde_json::json!({"realm": realm.name, "enabled": true}));
        Some(realm)
    }

    /// Creates the realm from a full representation (`POST /admin/realms`, as the admin
    /// console's "Create realm" from a file does); its name must be this realm's.
    pub fn create_from(&self, representation: Value) {
        assert_eq!(representation["realm"], self.name.as_str());
        let (status, body) = self.request(reqwest::Method::POST, "", Some(&representation));
        assert_eq!(status, 201, "creating realm {}: {body}", self.name);
    }

    /// `{url}/admin/realms/{name}{path}` as the master admin: status and JSON body (or text).
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let url = if path.is_empty() && method == reqwest::Method::POST {
            format!("{}/admin/realms", self.url)
        } else {
            format!("{}/admin/realms/{}{path}", self.url, self.name)
        };
        let token = self.token();
        self.runtime.block_on(async {
            let mut request = self.http.request(method, url).bearer_auth(token);
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.expect("the real Keycloak answers");
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
            (status, body)
        })
    }

    /// The server's version, `[major, minor, patch]` (`/admin/serverinfo`).
    pub fn server_version(&self) -> Vec<u32> {
        let url = format!("{}/admin/serverinfo", self.url);
        let token = self.token();
        let info: Value = self.runtime.block_on(async {
            let response = self.http.get(url).bearer_auth(token).send().await.unwrap();
            response.json().await.unwrap()
        });
        version(info["systemInfo"]["version"].as_str().expect("a version"))
    }

    pub fn get(&self, path: &str) -> Value {
        let (status, body) = self.request(reqwest::Method::GET, path, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// POSTs a new object (look it up afterwards where its id is needed).
    pub fn post(&self, path: &str, body: &Value) {
        let (status, answer) = self.request(reqwest::Method::POST, path, Some(body));
        assert!(
            matches!(status, 201 | 204),
            "POST {path}: {status} {answer}"
        );
    }

    /// The public (unauthenticated) `{url}/realms/{name}{path}` as text.
    pub fn public(&self, path: &str) -> String {
        let url = format!("{}/realms/{}{path}", self.url, self.name);
        self.runtime.block_on(async {
            let response = self.http.get(&url).send().await.unwrap();
            assert_eq!(response.status(), 200, "GET {url}");
            response.text().await.unwrap()
        })
    }

    /// The one client with this clientId.
    pub fn client(&self, client_id: &str) -> Value {
        let found = self.get(&format!("/clients?clientId={}", urlencode(client_id)));
        let found = found.as_array().unwrap();
        assert_eq!(found.len(), 1, "exactly one client {client_id}: {found:?}");
        found[0].clone()
    }

    /// `fedctl <subcommand> --url URL <records> <extra…>` with the admin in the environment.
    pub fn fedctl(
        &self,
        workspace: &Workspace,
        subcommand: &str,
        extra: &[&str],
    ) -> assert_cmd::assert::Assert {
        let admin = (self.user.as_str(), self.password.as_str());
        workspace.run_live(&self.url, admin, subcommand, extra)
    }

    /// [`Realm::fedctl`] with more environment variables (test users' passwords).
    pub fn fedctl_with_env(
        &self,
        workspace: &Workspace,
        subcommand: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> assert_cmd::assert::Assert {
        let admin = (self.user.as_str(), self.password.as_str());
        workspace.run_live_with_env(&self.url, admin, subcommand, extra, env)
    }

    pub fn admin_password(&self) -> &str {
        &self.password
    }

    fn token(&self) -> String {
        if let Some((at, token)) = &*self.token.borrow()
            && at.elapsed() < TOKEN_REUSE
        {
            return token.clone();
        }
        let url = format!("{}/realms/master/protocol/openid-connect/token", self.url);
        let form = [
            ("grant_type", "password"),
            ("client_id", "admin-cli"),
            ("username", &self.user),
            ("password", &self.password),
        ];
        let answer: Value = self.runtime.block_on(async {
            let response = self.http.post(url).form(&form).send().await.unwrap();
            assert_eq!(
                response.status(),
                200,
                "the admin signs in to the real Keycloak"
            );
            response.json().await.unwrap()
        });
        let token = answer["access_token"].as_str().unwrap().to_owned();
        *self.token.borrow_mut() = Some((Instant::now(), token.clone()));
        token
    }
}

impl Drop for Realm {
    fn drop(&mut self) {
        // 404 when the test never created it.
        let (status, body) = self.request(reqwest::Method::DELETE, "", None);
        if !matches!(status, 204 | 404) && !std::thread::panicking() {
            panic!("deleting realm {}: {status} {body}", self.name);
        }
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The repository's example records (federations/), for realm `realm` instead of `your-realm`.
pub fn example_records(realm: &str) -> Workspace {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("federations");
    let mut records = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Records name the realm; files beside them (an inbound example's certificate) do not.
        let is_record = path.extension().is_some_and(|e| e == "yaml");
        let text = if is_record {
            for_realm(&text, "your-realm", realm)
        } else {
            text
        };
        records.push((name, text));
    }
    let borrowed: Vec<(&str, &str)> = records
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Workspace::new(&borrowed)
}

/// A record's text with its `your_entity_id` realm replaced.
pub fn for_realm(record: &str, from: &str, to: &str) -> String {
    let replaced = record.replace(&format!("/realms/{from}\""), &format!("/realms/{to}\""));
    assert_ne!(replaced, record, "the record names realm {from}");
    replaced
}

/// `26.4.7` (or `26.4.7-SNAPSHOT`) as `[26, 4, 7]`, for ordering.
pub fn version(text: &str) -> Vec<u32> {
    (text.split(['.', '-']).take(3))
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}
