//! A small async admin client over reqwest for the conformance tests.

use kc_sim::{Simulator, SimulatorBuilder};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method};
use serde_json::Value;

pub use serde_json::json;

/// Two tests of one check `async fn(Kc)`: on the default target (a Keycloak 26.7 simulator
/// or the real server), and on Keycloak 26.4 (a 26.4 simulator, or the real server when it
/// is 26.4; skipped otherwise).
macro_rules! on_both_releases {
    ($name:ident, $name_26_4:ident, $check:ident) => {
        #[tokio::test]
        async fn $name() {
            $check(Kc::start().await).await;
        }

        #[tokio::test]
        async fn $name_26_4() {
            if let Some(kc) = Kc::release_26(4).await {
                $check(kc).await;
            }
        }
    };
}

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

/// Where the tests run. By default an in-process simulator; with `KC_CONFORMANCE_URL`
/// (and `KC_CONFORMANCE_USER`/`KC_CONFORMANCE_PASSWORD`, default admin/admin) the same
/// tests run against a real Keycloak, so every claim the simulator makes is checked
/// against the server it imitates.
enum Target {
    Sim(Simulator),
    Real(String),
}

pub struct Kc {
    target: Target,
    pub http: Client,
    /// The server's `master` admin (it administers every realm) and a token of theirs
    /// with the time it was issued: a real master realm's tokens live 60 seconds, less
    /// than some tests take.
    admin: (String, String),
    token: std::sync::Mutex<(String, std::time::Instant)>,
    /// Prefix of every realm name, unique per test, so tests and reruns never share a
    /// realm on a real server; a test's `master` is its own realm (holding an
    /// `admin`/`admin` realm administrator), not the server's. Empty for tests of
    /// simulator settings, which see the simulator's own realms.
    prefix: String,
}

/// The real server under test, if any.
fn real_server() -> Option<String> {
    std::env::var("KC_CONFORMANCE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .map(|u| u.trim_end_matches('/').to_string())
}

/// Whether the tests run against a real Keycloak.
pub fn against_real_server() -> bool {
    real_server().is_some()
}

/// Tells why a test does not run against a real server (simulator controls, other
/// Keycloak versions); the test then returns early.
pub fn skipped(reason: &str) {
    eprintln!("skipped against the real server: {reason}");
}

/// The real server's release, read once per test binary (serverinfo is a large document).
async fn real_server_version(base: &str) -> String {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(v) = VERSION.get() {
        return v.clone();
    }
    let (user, password) = real_credentials();
    let http = client();
    let token = password_token(&http, base, "master", &user, &password).await;
    let info: Value = http
        .get(format!("{base}/admin/serverinfo"))
        .bearer_auth(token)
        .send()
        .await
        .expect("serverinfo")
        .json()
        .await
        .expect("serverinfo JSON");
    let version = info["systemInfo"]["version"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    VERSION.get_or_init(|| version).clone()
}

/// The real server's master admin.
fn real_credentials() -> (String, String) {
    let user = std::env::var("KC_CONFORMANCE_USER").unwrap_or_else(|_| "admin".into());
    let password = std::env::var("KC_CONFORMANCE_PASSWORD").unwrap_or_else(|_| "admin".into());
    (user, password)
}

fn unique_prefix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("c{}{n}-", &id[..8])
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
        match real_server() {
            Some(base) => Kc::real(base).await,
            None => Kc::on_sim(Simulator::builder()).await,
        }
    }

    /// A server of Keycloak major version `v`: the simulator set to it, or the real
    /// server when it is that version.
    pub async fn version(v: u8) -> Option<Kc> {
        Kc::of_release(&format!("{v}."), Simulator::builder().keycloak_version(v)).await
    }

    /// A Keycloak 26.`minor` server: the simulator set to it, or the real server when
    /// it is that release (tests of what changed between 26.4 and 26.7).
    pub async fn release_26(minor: u8) -> Option<Kc> {
        let builder = Simulator::builder().keycloak_minor(minor);
        Kc::of_release(&format!("26.{minor}."), builder).await
    }

    async fn of_release(prefix: &str, builder: SimulatorBuilder) -> Option<Kc> {
        let Some(base) = real_server() else {
            return Some(Kc::on_sim(builder).await);
        };
        let version = real_server_version(&base).await;
        if version.starts_with(prefix) {
            return Some(Kc::real(base).await);
        }
        skipped(&format!("the server is Keycloak {version}, not {prefix}x"));
        None
    }

    /// The server's release, such as `26.7.3`.
    pub async fn server_version(&self) -> String {
        match &self.target {
            Target::Sim(_) => {
                let info = self.get_admin("/admin/serverinfo").await.body;
                info["systemInfo"]["version"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            }
            Target::Real(base) => real_server_version(base).await,
        }
    }

    /// Whether the server is Keycloak 26.7 or newer (what changed since 26.4).
    pub async fn is_26_7(&self) -> bool {
        let version = self.server_version().await;
        let mut parts = version.split('.').map(|p| p.parse::<u8>().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (26, 7)
    }

    /// A simulator set up with its own controls; `None` (skipped) on a real server.
    pub async fn sim_only(builder: SimulatorBuilder, reason: &str) -> Option<Kc> {
        if against_real_server() {
            skipped(reason);
            return None;
        }
        let sim = builder.start().expect("simulator starts");
        let http = client();
        let token = password_token(&http, &sim.url(), "master", "admin", "admin").await;
        // The simulator's own realms, as its settings made them.
        Some(Kc {
            target: Target::Sim(sim),
            http,
            admin: ("admin".into(), "admin".into()),
            token: std::sync::Mutex::new((token, std::time::Instant::now())),
            prefix: String::new(),
        })
    }

    async fn on_sim(builder: SimulatorBuilder) -> Kc {
        let sim = builder.start().expect("simulator starts");
        Kc::connect(Target::Sim(sim), "admin", "admin").await
    }

    async fn real(base: String) -> Kc {
        let (user, password) = real_credentials();
        Kc::connect(Target::Real(base), &user, &password).await
    }

    /// Logs in as the master admin and creates the test's `master`: a fresh realm with
    /// an `admin`/`admin` realm administrator. Both targets run the same setup, so a
    /// test sees the same starting point on either.
    async fn connect(target: Target, user: &str, password: &str) -> Kc {
        let http = client();
        let base = match &target {
            Target::Sim(sim) => sim.url(),
            Target::Real(base) => base.clone(),
        };
        let token = password_token(&http, &base, "master", user, password).await;
        let kc = Kc {
            target,
            http,
            admin: (user.to_string(), password.to_string()),
            token: std::sync::Mutex::new((token, std::time::Instant::now())),
            prefix: unique_prefix(),
        };
        kc.realm("master").await;
        let admin = kc.add_user("master", "admin").await;
        kc.set_password("master", &admin, "admin").await;
        kc.grant_user_role("master", &admin, "realm-management.realm-admin")
            .await;
        kc
    }

    /// A valid token of the server's master admin.
    pub async fn token(&self) -> String {
        let (token, issued) = self.token.lock().expect("token lock").clone();
        if issued.elapsed() < std::time::Duration::from_secs(30) {
            return token;
        }
        let (user, password) = &self.admin;
        let fresh = password_token(&self.http, &self.base(), "master", user, password).await;
        *self.token.lock().expect("token lock") = (fresh.clone(), std::time::Instant::now());
        fresh
    }

    /// The simulator; only for tests that returned early on a real server.
    pub fn sim(&self) -> &Simulator {
        match &self.target {
            Target::Sim(sim) => sim,
            Target::Real(_) => panic!("simulator controls used against a real server"),
        }
    }

    /// The server's base URL.
    pub fn base(&self) -> String {
        match &self.target {
            Target::Sim(sim) => sim.url(),
            Target::Real(base) => base.clone(),
        }
    }

    /// The name a test's realm has on the server under test.
    pub fn realm_name(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Maps the realm segment of `/admin/realms/{realm}…`, `/realms/{realm}…` or an
    /// admin path `/{realm}…` to the test's realm on the server.
    fn map_realm(&self, path: &str, lead: &str) -> String {
        match path.strip_prefix(lead) {
            Some(rest) if !rest.is_empty() => {
                format!("{lead}{}{rest}", self.prefix)
            }
            _ => path.to_string(),
        }
    }

    /// URL of a server path; realm names in it are the test's.
    pub fn url(&self, path: &str) -> String {
        let path = if path.starts_with("/admin/realms/") {
            self.map_realm(path, "/admin/realms/")
        } else {
            self.map_realm(path, "/realms/")
        };
        format!("{}{path}", self.base())
    }

    /// A token request to one of the test's realms.
    pub async fn token_request(&self, realm: &str, form: &[(&str, &str)]) -> Res {
        token_request(&self.http, &self.base(), &self.realm_name(realm), form).await
    }

    /// A password-grant token of the admin-cli client in one of the test's realms.
    pub async fn password_token(&self, realm: &str, user: &str, password: &str) -> String {
        password_token(
            &self.http,
            &self.base(),
            &self.realm_name(realm),
            user,
            password,
        )
        .await
    }

    /// A GET of a path outside `/admin/realms` (serverinfo).
    pub async fn get_admin(&self, path: &str) -> Res {
        let r = self
            .http
            .get(format!("{}{path}", self.base()))
            .bearer_auth(self.token().await)
            .send()
            .await
            .expect("request");
        into_res(r).await
    }

    /// `/admin/realms{path}` with the test's realm names.
    fn admin_url(&self, path: &str) -> String {
        format!("{}/admin/realms{}", self.base(), self.map_realm(path, "/"))
    }

    /// An admin API call; `path` is relative to `/admin/realms`.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Res {
        self.call_as(&self.token().await, method, path, body).await
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
            .request(method, self.admin_url(path))
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
            .request(method, self.admin_url(path))
            .bearer_auth(self.token().await)
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
            .post(
                "",
                json!({ "realm": self.realm_name(name), "enabled": true }),
            )
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

    /// Creates an enabled user whose profile is complete (Keycloak's user profile
    /// refuses logins until it is); returns its id.
    pub async fn add_user(&self, realm: &str, username: &str) -> String {
        let r = self
            .post(
                &format!("/{realm}/users"),
                json!({ "username": username, "enabled": true, "firstName": username,
                        "lastName": "Test", "email": format!("{username}@example.org") }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.id()
    }

    /// Sets a user's permanent password.
    pub async fn set_password(&self, realm: &str, id: &str, password: &str) {
        let r = self
            .put(
                &format!("/{realm}/users/{id}/reset-password"),
                json!({ "type": "password", "value": password, "temporary": false }),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.text);
    }

    /// Creates a group at a new path such as `/a/b` (every level is new); returns its id.
    pub async fn add_group(&self, realm: &str, path: &str) -> String {
        let mut parent: Option<String> = None;
        for name in path.trim_start_matches('/').split('/') {
            let at = match &parent {
                Some(p) => format!("/{realm}/groups/{p}/children"),
                None => format!("/{realm}/groups"),
            };
            let r = self.post(&at, json!({ "name": name })).await;
            assert_eq!(r.status, 201, "{}", r.text);
            parent = Some(r.id());
        }
        parent.expect("a group path")
    }

    /// Makes a user a direct member of a group.
    pub async fn add_member(&self, realm: &str, user_id: &str, group_id: &str) {
        let r = self
            .call(
                Method::PUT,
                &format!("/{realm}/users/{user_id}/groups/{group_id}"),
                None,
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.text);
    }

    /// Creates a realm role.
    pub async fn add_realm_role(&self, realm: &str, name: &str) {
        let r = self
            .post(&format!("/{realm}/roles"), json!({ "name": name }))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    /// Uuid of a client by its clientId.
    pub async fn client_uuid(&self, realm: &str, client_id: &str) -> String {
        let r = self
            .get(&format!("/{realm}/clients?clientId={client_id}"))
            .await;
        r.body[0]["id"].as_str().expect("client exists").to_string()
    }

    /// Grants a realm role (`role`) or a client role (`clientId.role`) to a user.
    pub async fn grant_user_role(&self, realm: &str, user_id: &str, role: &str) {
        let (mapping, role_path) = match role.rsplit_once('.') {
            Some((client_id, role)) => {
                let uuid = self.client_uuid(realm, client_id).await;
                (
                    format!("clients/{uuid}"),
                    format!("/{realm}/clients/{uuid}/roles/{role}"),
                )
            }
            None => ("realm".to_string(), format!("/{realm}/roles/{role}")),
        };
        let rep = self.get(&role_path).await;
        assert_eq!(rep.status, 200, "{}", rep.text);
        let r = self
            .post(
                &format!("/{realm}/users/{user_id}/role-mappings/{mapping}"),
                json!([rep.body]),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.text);
    }

    /// A confidential client with a service account holding these `realm-management`
    /// roles; returns the service-account user's id.
    pub async fn add_service_account_client(
        &self,
        realm: &str,
        client_id: &str,
        secret: &str,
        roles: &[&str],
    ) -> String {
        let r = self
            .post(
                &format!("/{realm}/clients"),
                json!({ "clientId": client_id, "secret": secret, "publicClient": false,
                        "serviceAccountsEnabled": true }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let sa = self
            .get(&format!("/{realm}/clients/{}/service-account-user", r.id()))
            .await;
        let user = sa.body["id"].as_str().expect("service account").to_string();
        for role in roles {
            self.grant_user_role(realm, &user, &format!("realm-management.{role}"))
                .await;
        }
        user
    }
}
