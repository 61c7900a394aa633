//! The library API used by tests: start a simulator in-process, inspect and
//! change its state, read request counts and set faults.

use crate::app::{App, Config};
use crate::counts::RequestCounts;
use crate::faults::Faults;
use crate::json::{Obj, ObjExt};
use crate::state::{Realm, Store};
use serde_json::{Value, json};
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// Why a simulator could not be built or started.
#[derive(Debug)]
pub struct SimError(pub String);

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SimError {}

/// Configures a [`Simulator`].
#[derive(Default)]
pub struct SimulatorBuilder {
    config: Config,
    imports: Vec<Value>,
    faults: Faults,
}

impl SimulatorBuilder {
    /// Keycloak major version to behave like (22..=26, default 26): group
    /// listings (22 inlines the tree), error descriptions, 403 bodies.
    pub fn keycloak_version(mut self, version: u8) -> Self {
        self.config.version = version.clamp(22, 26);
        self
    }

    /// A Keycloak 26 minor release to behave like (4 or 7, default 7): 26.4 keeps
    /// the older forms that 26.7 changed (README, "Keycloak 26.4 and 26.7").
    pub fn keycloak_minor(mut self, minor: u8) -> Self {
        self.config.minor = minor;
        self
    }

    /// Access-token lifespan for every realm (default: the realm's setting,
    /// 60 s in master, 300 s elsewhere).
    pub fn token_lifespan(mut self, lifespan: Duration) -> Self {
        self.config.token_lifespan = Some(lifespan.as_secs() as i64);
        self
    }

    /// Not-after of the realm keys' certificates (default: 10 years ahead).
    pub fn key_not_after(mut self, not_after: OffsetDateTime) -> Self {
        self.config.key_not_after = Some(not_after);
        self
    }

    /// Bootstrap admin of realm master (default `admin`/`admin`).
    pub fn admin_credentials(mut self, user: &str, password: &str) -> Self {
        self.config.admin_user = user.to_string();
        self.config.admin_password = password.to_string();
        self
    }

    /// Loads a realm export file at start.
    pub fn import_file(mut self, path: impl AsRef<Path>) -> Result<Self, SimError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| SimError(format!("{}: {e}", path.display())))?;
        let value = serde_json::from_str(&text)
            .map_err(|e| SimError(format!("{}: {e}", path.display())))?;
        self.imports.push(value);
        Ok(self)
    }

    /// Loads a realm representation at start.
    pub fn import_json(mut self, realm: Value) -> Self {
        self.imports.push(realm);
        self
    }

    /// Faults active from the first request.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Builds the state (master realm, then imports) without serving it.
    fn build(self) -> Result<Arc<App>, SimError> {
        let mut store = Store::default();
        crate::realm_defaults::create_realm(&mut store, &self.config, "master", None, Obj::new());
        for realm in &self.imports {
            crate::realms::import_into(&mut store, &self.config, realm.clone())
                .map_err(|e| SimError(format!("import failed: {e:?}")))?;
        }
        let app = Arc::new(App::new(self.config, store));
        app.faults.set(self.faults);
        Ok(app)
    }

    /// Starts on 127.0.0.1 with an ephemeral port, on a runtime of its own.
    pub fn start(self) -> Result<Simulator, SimError> {
        self.start_on(SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts on the given address, on a runtime of its own.
    pub fn start_on(self, addr: SocketAddr) -> Result<Simulator, SimError> {
        let app = self.build()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kc-sim")
            .enable_all()
            .build()
            .map_err(|e| SimError(e.to_string()))?;
        // Bound with std so that starting also works inside another runtime.
        let std_listener =
            std::net::TcpListener::bind(addr).map_err(|e| SimError(format!("bind {addr}: {e}")))?;
        std_listener
            .set_nonblocking(true)
            .map_err(|e| SimError(e.to_string()))?;
        let addr = std_listener
            .local_addr()
            .map_err(|e| SimError(e.to_string()))?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).map_err(|e| SimError(e.to_string()))?
        };
        runtime.spawn(crate::server::serve(
            listener,
            crate::server::router(app.clone()),
        ));
        Ok(Simulator {
            app,
            addr,
            runtime: Some(runtime),
        })
    }

    /// Serves on an already bound listener inside the caller's runtime (the binary).
    pub async fn serve(self, listener: tokio::net::TcpListener) -> Result<(), SimError> {
        let app = self.build()?;
        crate::server::serve(listener, crate::server::router(app)).await;
        Ok(())
    }
}

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    app: Arc<App>,
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Simulator {
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// A Keycloak 26 simulator with defaults.
    pub fn start() -> Result<Simulator, SimError> {
        SimulatorBuilder::default().start()
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Request counts since start or the last [`reset_counts`](Self::reset_counts).
    pub fn request_counts(&self) -> RequestCounts {
        self.app.counts().clone()
    }

    pub fn reset_counts(&self) {
        *self.app.counts() = RequestCounts::default();
    }

    /// Replaces the fault settings (also resets the `fail_nth` counter).
    pub fn set_faults(&self, faults: Faults) {
        self.app.faults.set(faults);
    }

    pub fn clear_faults(&self) {
        self.app.faults.set(Faults::default());
    }

    pub fn faults(&self) -> Faults {
        self.app.faults.get()
    }

    /// Runs `f` on a realm under the state lock (`None` if it does not exist).
    /// Do not call other simulator methods from inside `f`.
    pub fn with_realm<T>(&self, realm: &str, f: impl FnOnce(&mut Realm) -> T) -> Option<T> {
        let mut store = self.app.write();
        store.realms.get_mut(realm).map(f)
    }

    /// Realm names.
    pub fn realms(&self) -> Vec<String> {
        self.app.read().realms.keys().cloned().collect()
    }

    fn realm_mut<T>(&self, realm: &str, f: impl FnOnce(&mut Realm) -> T) -> T {
        self.with_realm(realm, f)
            .unwrap_or_else(|| panic!("kc-sim: no realm {realm}"))
    }

    /// Creates an empty, enabled realm with Keycloak's built-in content.
    pub fn add_realm(&self, name: &str) {
        let mut store = self.app.write();
        let settings = json!({ "enabled": true })
            .as_object()
            .cloned()
            .unwrap_or_default();
        crate::realm_defaults::create_realm(&mut store, &self.app.config, name, None, settings);
    }

    /// Adds an enabled user with a password; returns its id.
    pub fn add_user(&self, realm: &str, username: &str, password: &str) -> String {
        self.realm_mut(realm, |r| {
            let rep = json!({ "username": username, "enabled": true })
                .as_object()
                .cloned()
                .unwrap_or_default();
            crate::users::insert(r, rep, Some(password.to_string()))
        })
    }

    /// Ensures a group path such as `/partners/acme` exists; returns the id of the last group.
    pub fn add_group(&self, realm: &str, path: &str) -> String {
        self.realm_mut(realm, |r| {
            let mut parent: Option<String> = None;
            for name in path.trim_matches('/').split('/') {
                let existing = r
                    .children_of(parent.as_deref())
                    .find(|g| g.name == name)
                    .map(|g| g.id.clone());
                let id = match existing {
                    Some(id) => id,
                    None => {
                        let rep = json!({ "name": name })
                            .as_object()
                            .cloned()
                            .unwrap_or_default();
                        crate::groups::create(r, parent.as_deref(), &rep).expect("valid group")
                    }
                };
                parent = Some(id);
            }
            parent.expect("non-empty path")
        })
    }

    /// Makes a user (by username) a direct member of a group (by path).
    pub fn add_member(&self, realm: &str, username: &str, group_path: &str) {
        self.realm_mut(realm, |r| {
            let g = r
                .group_by_path(group_path)
                .map(|g| g.id.clone())
                .expect("group exists");
            let u = r
                .user_by_username(username)
                .map(|u| u.id.clone())
                .expect("user exists");
            let user = r.users.get_mut(&u).expect("user");
            if !user.groups.contains(&g) {
                user.groups.push(g);
            }
        })
    }

    /// Adds a realm role (no-op if it exists); returns its id.
    pub fn add_realm_role(&self, realm: &str, name: &str) -> String {
        self.realm_mut(realm, |r| match r.realm_role(name) {
            Some(role) => role.id.clone(),
            None => crate::roles::insert(r, None, name, None),
        })
    }

    /// Adds a client role (no-op if it exists); returns its id.
    pub fn add_client_role(&self, realm: &str, client_id: &str, name: &str) -> String {
        self.realm_mut(realm, |r| {
            let c = r
                .client_by_client_id(client_id)
                .map(|c| c.id.clone())
                .expect("client exists");
            match r.client_role(&c, name) {
                Some(role) => role.id.clone(),
                None => crate::roles::insert(r, Some(&c), name, None),
            }
        })
    }

    /// Grants a role — `"role"` (realm) or `"clientId.role"` (client, split at
    /// the last dot) — directly to a user (by username).
    pub fn grant_user_role(&self, realm: &str, username: &str, role: &str) {
        self.realm_mut(realm, |r| {
            let id = role_id(r, role).expect("role exists");
            let u = r
                .user_by_username(username)
                .map(|u| u.id.clone())
                .expect("user exists");
            let user = r.users.get_mut(&u).expect("user");
            if !user.roles.contains(&id) {
                user.roles.push(id);
            }
        })
    }

    /// Grants a role (`"role"` or `"clientId.role"`) to a group (by path).
    pub fn grant_group_role(&self, realm: &str, group_path: &str, role: &str) {
        self.realm_mut(realm, |r| {
            let id = role_id(r, role).expect("role exists");
            let g = r
                .group_by_path(group_path)
                .map(|g| g.id.clone())
                .expect("group exists");
            let group = r.groups.get_mut(&g).expect("group");
            if !group.roles.contains(&id) {
                group.roles.push(id);
            }
        })
    }

    /// Creates a confidential client with a service account holding the given
    /// `realm-management` roles (e.g. `["manage-clients", "view-realm"]`);
    /// returns its uuid. In master the roles of `master-realm` are used.
    pub fn add_service_account_client(
        &self,
        realm: &str,
        client_id: &str,
        secret: &str,
        roles: &[&str],
    ) -> String {
        let mgmt = if realm == "master" {
            "master-realm".to_string()
        } else {
            "realm-management".to_string()
        };
        let id = self.realm_mut(realm, |r| {
            let rep = json!({ "clientId": client_id, "secret": secret, "protocol": "openid-connect", "publicClient": false,
                "serviceAccountsEnabled": true, "standardFlowEnabled": false });
            crate::clients::create(r, rep.as_object().cloned().unwrap_or_default()).expect("client can be created")
        });
        let username = format!("service-account-{}", client_id.to_lowercase());
        for role in roles {
            self.grant_user_role(realm, &username, &format!("{mgmt}.{role}"));
        }
        id
    }

    /// A client's representation as `GET /clients/{id}` shows it (by clientId).
    pub fn client(&self, realm: &str, client_id: &str) -> Option<Value> {
        let store = self.app.read();
        let r = store.realms.get(realm)?;
        let c = r.client_by_client_id(client_id)?;
        Some(crate::clients::represent(
            r,
            c,
            None,
            self.app.config.version,
        ))
    }

    /// A user's representation (by username).
    pub fn user(&self, realm: &str, username: &str) -> Option<Value> {
        let store = self.app.read();
        let u = store.realms.get(realm)?.user_by_username(username)?;
        Some(crate::users::represent(u, false, None))
    }

    /// A group's full representation (by path), with its role mappings by name.
    pub fn group(&self, realm: &str, path: &str) -> Option<Value> {
        let store = self.app.read();
        let r = store.realms.get(realm)?;
        let g = r.group_by_path(path)?;
        let (realm_roles, client_roles) = crate::groups::role_names(r, &g.roles);
        Some(
            json!({ "id": g.id, "name": g.name, "path": path, "attributes": g.attributes,
            "realmRoles": realm_roles, "clientRoles": client_roles }),
        )
    }

    /// Usernames of a group's direct members, sorted.
    pub fn group_members(&self, realm: &str, path: &str) -> Vec<String> {
        let store = self.app.read();
        let Some(r) = store.realms.get(realm) else {
            return Vec::new();
        };
        let Some(g) = r.group_by_path(path) else {
            return Vec::new();
        };
        let mut v: Vec<String> = r
            .users
            .values()
            .filter(|u| u.groups.contains(&g.id))
            .map(|u| u.username().to_string())
            .collect();
        v.sort();
        v
    }

    /// A user's effective roles (direct, groups, composites) as `"role"` and
    /// `"clientId.role"`, sorted.
    pub fn effective_roles(&self, realm: &str, username: &str) -> Vec<String> {
        let store = self.app.read();
        let Some(r) = store.realms.get(realm) else {
            return Vec::new();
        };
        let Some(u) = r.user_by_username(username) else {
            return Vec::new();
        };
        let mut v: Vec<String> = r
            .user_effective_roles(u)
            .iter()
            .filter_map(|id| r.roles.get(id))
            .map(
                |role| match role.client.as_ref().and_then(|c| r.clients.get(c)) {
                    Some(c) => format!("{}.{}", c.client_id(), role.name),
                    None => role.name.clone(),
                },
            )
            .collect();
        v.sort();
        v
    }

    /// An authentication flow (by alias) with its executions, as `GET /flows` lists it.
    pub fn flow(&self, realm: &str, alias: &str) -> Option<Value> {
        let store = self.app.read();
        let r = store.realms.get(realm)?;
        Some(crate::flows::represent(r, r.flow_by_alias(alias)?))
    }

    /// An identity provider's representation (by alias; secrets masked).
    pub fn identity_provider(&self, realm: &str, alias: &str) -> Option<Value> {
        let store = self.app.read();
        let r = store.realms.get(realm)?;
        Some(crate::idps::represent(
            alias,
            r.idps.get(alias)?,
            &self.app.config,
        ))
    }

    /// The realm as a partial export with clients, groups and roles.
    pub fn export_realm(&self, realm: &str) -> Option<Value> {
        let store = self.app.read();
        Some(crate::partial::export_realm(
            store.realms.get(realm)?,
            true,
            true,
            &self.app.config,
        ))
    }

    /// A client attribute (by clientId), e.g. for assertions on SAML settings.
    pub fn client_attribute(&self, realm: &str, client_id: &str, key: &str) -> Option<String> {
        let store = self.app.read();
        let c = store.realms.get(realm)?.client_by_client_id(client_id)?;
        c.rep.obj("attributes")?.str(key).map(str::to_string)
    }
}

/// `"role"` or `"clientId.role"` (client ids may contain dots: split at the last).
fn role_id(r: &Realm, role: &str) -> Option<String> {
    if let Some((client, name)) = role.rsplit_once('.')
        && let Some(c) = r.client_by_client_id(client)
    {
        return r.client_role(&c.id, name).map(|x| x.id.clone());
    }
    r.realm_role(role).map(|x| x.id.clone())
}
