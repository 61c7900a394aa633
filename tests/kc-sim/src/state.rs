//! The in-memory model of realms and everything in them.
//!
//! Objects whose behaviour the simulator implements (roles, groups,
//! memberships, flows, executions) are typed; "bags of properties" that are
//! mostly stored and echoed (client, user, identity-provider representations,
//! realm settings) are kept as JSON objects in their representation's shape.

use crate::json::{Obj, ObjExt};
use crate::keys::RealmKeys;
use indexmap::IndexMap;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use time::OffsetDateTime;

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn now_secs() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// All realms, keyed by name, plus login sessions.
#[derive(Default)]
pub struct Store {
    pub realms: IndexMap<String, Realm>,
    pub sessions: HashMap<String, Session>,
    /// Index of the next realm's key in the process-wide key pool.
    pub next_key: usize,
}

/// A login session (refresh tokens and `sid` of access tokens refer to it).
#[derive(Clone)]
pub struct Session {
    pub realm: String,
    pub user_id: String,
    pub client_id: String,
    pub expires: i64,
}

#[derive(Clone)]
pub struct Realm {
    pub id: String,
    pub name: String,
    /// Scalar parts of the RealmRepresentation (without `id`/`realm`).
    pub settings: Obj,
    pub keys: Arc<OnceLock<RealmKeys>>,
    pub key_index: usize,
    /// Key providers changed through `/components` (the defaults are backed by `keys`).
    pub key_providers: crate::key_providers::KeyProviders,
    pub clients: IndexMap<String, Client>,
    pub roles: IndexMap<String, Role>,
    pub groups: IndexMap<String, Group>,
    pub users: IndexMap<String, User>,
    pub scopes: IndexMap<String, ClientScope>,
    pub default_default_scopes: Vec<String>,
    pub default_optional_scopes: Vec<String>,
    /// Keyed by alias.
    pub idps: IndexMap<String, Idp>,
    pub idp_mappers: IndexMap<String, Obj>,
    pub flows: IndexMap<String, Flow>,
    pub executions: IndexMap<String, Execution>,
    pub auth_configs: IndexMap<String, AuthConfig>,
    pub default_role: String,
    /// Component and required-action lists of imports, kept for exports.
    pub components: serde_json::Value,
    pub required_actions: serde_json::Value,
}

#[derive(Clone)]
pub struct Client {
    pub id: String,
    /// ClientRepresentation without `id`, `protocolMappers`, client scopes, `access`.
    pub rep: Obj,
    /// ProtocolMapperRepresentations, each with its `id`.
    pub mappers: Vec<Obj>,
    pub default_scopes: Vec<String>,
    pub optional_scopes: Vec<String>,
    pub rotated_secret: Option<String>,
}

impl Client {
    pub fn client_id(&self) -> &str {
        self.rep.str("clientId").unwrap_or_default()
    }
    pub fn protocol(&self) -> &str {
        self.rep.str("protocol").unwrap_or("openid-connect")
    }
    pub fn flag(&self, k: &str) -> bool {
        self.rep.bool(k).unwrap_or(false)
    }
    /// Confidential: neither public nor bearer-only.
    pub fn confidential(&self) -> bool {
        !self.flag("publicClient") && !self.flag("bearerOnly")
    }
}

#[derive(Clone)]
pub struct ClientScope {
    pub id: String,
    /// ClientScopeRepresentation without `id` and `protocolMappers`.
    pub rep: Obj,
    pub mappers: Vec<Obj>,
}

#[derive(Clone)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Client uuid for client roles.
    pub client: Option<String>,
    pub attributes: Obj,
    pub composites: Vec<String>,
}

#[derive(Clone)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub parent: Option<String>,
    pub attributes: Obj,
    pub roles: Vec<String>,
}

#[derive(Clone)]
pub struct User {
    pub id: String,
    /// UserRepresentation properties without `id`, credentials and memberships.
    pub rep: Obj,
    pub password: Option<String>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
}

impl User {
    pub fn username(&self) -> &str {
        self.rep.str("username").unwrap_or_default()
    }
    pub fn enabled(&self) -> bool {
        self.rep.bool("enabled").unwrap_or(false)
    }
}

#[derive(Clone)]
pub struct Idp {
    pub internal_id: String,
    /// IdentityProviderRepresentation without `alias` and `internalId`.
    pub rep: Obj,
}

#[derive(Clone)]
pub struct Flow {
    pub id: String,
    pub alias: String,
    pub description: Option<String>,
    pub provider_id: String,
    pub top_level: bool,
    pub built_in: bool,
}

#[derive(Clone)]
pub struct Execution {
    pub id: String,
    pub parent: String,
    pub authenticator: Option<String>,
    /// Sub-flow id when this execution is a flow.
    pub sub_flow: Option<String>,
    pub requirement: String,
    pub priority: i64,
    pub config: Option<String>,
    pub user_setup_allowed: bool,
}

#[derive(Clone)]
pub struct AuthConfig {
    pub id: String,
    pub alias: String,
    pub config: Obj,
}

impl Realm {
    pub fn client_by_client_id(&self, client_id: &str) -> Option<&Client> {
        self.clients.values().find(|c| c.client_id() == client_id)
    }

    pub fn realm_role(&self, name: &str) -> Option<&Role> {
        self.roles
            .values()
            .find(|r| r.client.is_none() && r.name == name)
    }

    pub fn client_role(&self, client: &str, name: &str) -> Option<&Role> {
        self.roles
            .values()
            .find(|r| r.client.as_deref() == Some(client) && r.name == name)
    }

    /// Roles of a container (`None` = realm roles), in creation order.
    pub fn roles_of(&self, client: Option<&str>) -> impl Iterator<Item = &Role> {
        self.roles
            .values()
            .filter(move |r| r.client.as_deref() == client)
    }

    pub fn user_by_username(&self, username: &str) -> Option<&User> {
        let username = username.to_lowercase();
        self.users.values().find(|u| u.username() == username)
    }

    pub fn flow_by_alias(&self, alias: &str) -> Option<&Flow> {
        self.flows.values().find(|f| f.alias == alias)
    }

    /// `/parent/child` path of a group.
    pub fn group_path(&self, id: &str) -> String {
        let mut parts = Vec::new();
        let mut cur = self.groups.get(id);
        while let Some(g) = cur {
            parts.push(g.name.replace('/', "~/"));
            cur = g.parent.as_ref().and_then(|p| self.groups.get(p));
        }
        parts.reverse();
        format!("/{}", parts.join("/"))
    }

    pub fn group_by_path(&self, path: &str) -> Option<&Group> {
        self.groups
            .values()
            .find(|g| self.group_path(&g.id) == path)
    }

    pub fn children_of<'a>(&'a self, parent: Option<&'a str>) -> impl Iterator<Item = &'a Group> {
        self.groups
            .values()
            .filter(move |g| g.parent.as_deref() == parent)
    }

    /// A group and all its descendants.
    pub fn subtree(&self, id: &str) -> Vec<String> {
        let mut out = vec![id.to_string()];
        let mut i = 0;
        while i < out.len() {
            let cur = out[i].clone();
            out.extend(self.children_of(Some(&cur)).map(|g| g.id.clone()));
            i += 1;
        }
        out
    }

    /// Closure of a set of roles under composition.
    pub fn expand(&self, roles: impl IntoIterator<Item = String>) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut stack: Vec<String> = roles.into_iter().collect();
        while let Some(id) = stack.pop() {
            if seen.insert(id.clone())
                && let Some(r) = self.roles.get(&id)
            {
                stack.extend(r.composites.iter().cloned());
            }
        }
        seen
    }

    /// Roles mapped to a group, including those inherited from its ancestors.
    pub fn group_roles(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = self.groups.get(id);
        while let Some(g) = cur {
            out.extend(g.roles.iter().cloned());
            cur = g.parent.as_ref().and_then(|p| self.groups.get(p));
        }
        out
    }

    /// Effective roles of a user: direct, default-role, via groups, via composites
    /// (`RoleMapperModel.hasRole`).
    pub fn user_effective_roles(&self, user: &User) -> HashSet<String> {
        let mut direct = user.roles.clone();
        for g in &user.groups {
            direct.extend(self.group_roles(g));
        }
        self.expand(direct)
    }

    /// Users whose service account belongs to a client.
    pub fn service_account_of(&self, client_uuid: &str) -> Option<&User> {
        self.users
            .values()
            .find(|u| u.rep.str("serviceAccountClientId") == Some(client_uuid))
    }

    /// Every execution of a flow, sorted by priority (stable on insertion order).
    pub fn executions_of(&self, flow_id: &str) -> Vec<&Execution> {
        let mut v: Vec<&Execution> = self
            .executions
            .values()
            .filter(|e| e.parent == flow_id)
            .collect();
        v.sort_by_key(|e| e.priority);
        v
    }

    pub fn setting_i64(&self, key: &str, default: i64) -> i64 {
        self.settings.int(key).unwrap_or(default)
    }
}
