//! The live Keycloak target: operations become admin API requests.
//!
//! Operations name objects by natural keys; the ids come from the id cache (filled by
//! observe and by `Location` headers), with a lookup request only on a miss. Every operation
//! is idempotent so a rerun after a failure converges: deleting something gone succeeds,
//! and a create answered 409 after a retried attempt is taken as the earlier attempt's work.

mod flows;
mod identity_providers;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value, json};

use crate::keycloak::admin::client::AdminClient;
use crate::keycloak::admin::connection::Connection;
use crate::keycloak::admin::error::ApiError;
use crate::keycloak::admin::flow_template::Template;
use crate::keycloak::admin::ids::{ClientIds, Ids, repeated_fields};
use crate::keycloak::admin::read as observe;
use crate::keycloak::realm_json as rj;
use crate::reconcile::Operation;
use crate::reconcile::Scope;
use crate::state::{ATTRIBUTES_PREFIX, Fields, Flow, Mapper, RealmState, group_name, group_parent};
use crate::target::{Target, TargetError};

/// Held while one role's representation is read, edited and written back.
type RoleLock = Arc<tokio::sync::Mutex<()>>;

pub struct KeycloakTarget {
    pub(super) client: AdminClient,
    server: String,
    realm: String,
    pub(super) ids: Mutex<Ids>,
    /// Enforcement-flow templates seen by observe (hidden from the observed state).
    pub(super) observed_templates: Mutex<HashMap<String, Flow>>,
    /// Flow copies an interrupted run left unfinished, redone by their create.
    pub(super) unfinished_copies: Mutex<HashSet<String>>,
    /// Templates verified or built during this run, one initialisation each.
    pub(super) templates: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Template>>>>,
    /// Mappers created with their client in this run: their CreateMapper operations are done.
    inline_mappers: Mutex<HashSet<(String, String)>>,
    /// Serialises read-modify-write edits of one role (pilot bookkeeping of several users).
    role_locks: Mutex<HashMap<(String, String), RoleLock>>,
}

impl KeycloakTarget {
    pub fn connect(connection: &Connection) -> Result<KeycloakTarget, TargetError> {
        Ok(KeycloakTarget {
            client: AdminClient::connect(connection)?,
            server: connection.server.to_string(),
            realm: connection.realm.clone(),
            ids: Mutex::default(),
            observed_templates: Mutex::default(),
            unfinished_copies: Mutex::default(),
            templates: Mutex::default(),
            inline_mappers: Mutex::default(),
            role_locks: Mutex::default(),
        })
    }

    /// The admin client, for readers beyond the managed objects (access reviews).
    pub fn client(&self) -> &AdminClient {
        &self.client
    }

    /// The id cache. Never held across an `await`.
    pub(super) fn ids(&self) -> MutexGuard<'_, Ids> {
        lock(&self.ids)
    }
}

/// A poisoned lock only means another operation panicked; the cache itself stays valid.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Target for KeycloakTarget {
    fn describe(&self) -> String {
        format!("Keycloak {}", self.server)
    }

    fn realm(&self) -> &str {
        &self.realm
    }

    async fn observe(&self, scope: &Scope) -> Result<RealmState, TargetError> {
        let observed = observe::observe(&self.client, &self.realm, scope).await?;
        *self.ids() = observed.ids;
        *lock(&self.observed_templates) = observed.templates;
        *lock(&self.unfinished_copies) = observed.unfinished_copies;
        Ok(observed.state)
    }

    async fn execute(&self, operation: &Operation) -> Result<(), TargetError> {
        use Operation::*;
        match operation {
            CreateGroup { path, fields } => self.create_group(path, fields).await,
            UpdateGroup { path, fields } => self.update_group(path, fields).await,
            DeleteGroup { path } => self.delete_group(path).await,
            CreateClient {
                client_id,
                fields,
                mappers,
                browser_flow,
            } => {
                self.create_client(client_id, fields, mappers, browser_flow.as_deref())
                    .await
            }
            UpdateClient { client_id, fields } => {
                let body = client_update_body(client_id, fields);
                self.put_client(client_id, body).await
            }
            DeleteClient { client_id } => self.delete_client(client_id).await,
            CreateMapper {
                client_id,
                name,
                mapper,
            } => self.create_mapper(client_id, name, mapper).await,
            UpdateMapper {
                client_id,
                name,
                mapper,
            } => self.update_mapper(client_id, name, mapper).await,
            DeleteMapper { client_id, name } => self.delete_mapper(client_id, name).await,
            CreateRole {
                client_id,
                role,
                fields,
            } => self.create_role(client_id, role, fields).await,
            UpdateRole {
                client_id,
                role,
                fields,
            } => {
                self.edit_role(client_id, role, |rep| rj::set_list_fields(rep, fields))
                    .await
            }
            DeleteRole { client_id, role } => self.delete_role(client_id, role).await,
            GrantGroupRole {
                path,
                client_id,
                role,
            } => self.group_grant(path, client_id, role, true).await,
            RevokeGroupRole {
                path,
                client_id,
                role,
            } => self.group_grant(path, client_id, role, false).await,
            GrantUserRole {
                username,
                client_id,
                role,
            } => self.pilot_grant(username, client_id, role, true).await,
            RevokeUserRole {
                username,
                client_id,
                role,
            } => self.pilot_grant(username, client_id, role, false).await,
            CreateFlow { alias, flow } => self.create_flow(alias, flow).await,
            ReplaceFlow { alias, flow } => self.replace_flow(alias, flow).await,
            DeleteFlow { alias } => self.delete_flow(alias).await,
            BindBrowserFlow { client_id, flow } => self.bind(client_id, flow.as_deref()).await,
            CreateIdentityProvider {
                alias,
                fields,
                client_secret,
            } => {
                self.create_identity_provider(alias, fields, client_secret.as_ref())
                    .await
            }
            UpdateIdentityProvider {
                alias,
                fields,
                client_secret,
            } => {
                self.update_identity_provider(alias, fields, client_secret.as_ref())
                    .await
            }
            DeleteIdentityProvider { alias } => self.delete_identity_provider(alias).await,
            CreateIdpMapper {
                alias,
                name,
                mapper,
            } => self.create_idp_mapper(alias, name, mapper).await,
            UpdateIdpMapper {
                alias,
                name,
                mapper,
            } => self.update_idp_mapper(alias, name, mapper).await,
            DeleteIdpMapper { alias, name } => self.delete_idp_mapper(alias, name).await,
        }
    }

    async fn commit(&self) -> Result<(), TargetError> {
        // Every request took effect when it was answered.
        Ok(())
    }
}

/// Turns a create's 409 into success when an earlier attempt of the same request may have
/// created the object, and into a conflict otherwise.
fn settle_create(
    result: Result<String, ApiError>,
    object: impl FnOnce() -> String,
) -> Result<Option<String>, TargetError> {
    match result {
        Ok(id) => Ok(Some(id)),
        Err(error) if error.is_conflict_after_retry() => Ok(None),
        Err(error) if error.is_conflict() => Err(TargetError::Conflict {
            object: object(),
            message: error.to_string(),
        }),
        Err(error) => Err(error.into()),
    }
}

fn missing(object: String) -> TargetError {
    TargetError::Missing { object }
}

// ---------------------------------------------------------------------------------------------
// Lookups: the id cache first, one request on a miss.

impl KeycloakTarget {
    pub(super) async fn client_ids(
        &self,
        client_id: &str,
    ) -> Result<Option<ClientIds>, TargetError> {
        if let Some(ids) = self.ids().clients.get(client_id) {
            return Ok(Some(ids.clone()));
        }
        let found = self
            .client
            .get(&["clients"], &[("clientId", client_id)])
            .await?;
        let Some(client) = found
            .as_array()
            .and_then(|list| list.iter().find(|c| c["clientId"] == client_id))
        else {
            return Ok(None);
        };
        let client_ids = ClientIds::from_representation(client);
        let mut ids = self.ids();
        if let Some(client_ids) = &client_ids {
            ids.clients.insert(client_id.to_owned(), client_ids.clone());
        }
        ids.add_mappers(
            client_id,
            client["protocolMappers"]
                .as_array()
                .map_or(&[], Vec::as_slice),
        );
        Ok(client_ids)
    }

    async fn require_flow(&self, alias: &str) -> Result<String, TargetError> {
        self.flow_id(alias)
            .await?
            .ok_or_else(|| missing(format!("flow {alias}")))
    }

    async fn require_client(&self, client_id: &str) -> Result<ClientIds, TargetError> {
        self.client_ids(client_id)
            .await?
            .ok_or_else(|| missing(format!("client {client_id}")))
    }

    /// The `{id, name}` pair role mappings need.
    async fn role_ref(
        &self,
        client: &ClientIds,
        client_id: &str,
        role: &str,
    ) -> Result<Value, TargetError> {
        let key = (client_id.to_owned(), role.to_owned());
        let cached = self.ids().roles.get(&key).cloned();
        let id = match cached {
            Some(id) => id,
            None => {
                let rep = self
                    .client
                    .get_optional(&["clients", &client.uuid, "roles", role])
                    .await?
                    .ok_or_else(|| missing(format!("client role {role} of {client_id}")))?;
                let id = rep["id"].as_str().unwrap_or_default().to_owned();
                self.ids().roles.insert(key, id.clone());
                id
            }
        };
        Ok(json!({ "id": id, "name": role }))
    }

    pub(super) async fn group_id(&self, path: &str) -> Result<Option<String>, TargetError> {
        if let Some(id) = self.ids().groups.get(path) {
            return Ok(Some(id.clone()));
        }
        let id = self
            .find_group(path)
            .await?
            .and_then(|group| group["id"].as_str().map(str::to_owned));
        if let Some(id) = &id {
            self.ids().groups.insert(path.to_owned(), id.clone());
        }
        Ok(id)
    }

    /// A group by path, walking the tree from the top level.
    async fn find_group(&self, path: &str) -> Result<Option<Value>, TargetError> {
        let mut names = path.trim_start_matches('/').split('/');
        let top = names.next().unwrap_or_default();
        let query = [
            ("search", top),
            ("exact", "true"),
            ("briefRepresentation", "true"),
        ];
        let mut current = self
            .client
            .list(&["groups"], &query)
            .await?
            .into_iter()
            .find(|g| g["name"] == top);
        for name in names {
            let Some(parent) = current else {
                return Ok(None);
            };
            current = observe::group_children(&self.client, &parent)
                .await?
                .into_iter()
                .find(|g| g["name"] == name);
        }
        Ok(current)
    }

    async fn mapper_id(
        &self,
        client: &ClientIds,
        client_id: &str,
        name: &str,
    ) -> Result<Option<String>, TargetError> {
        let key = (client_id.to_owned(), name.to_owned());
        if let Some(id) = self.ids().mappers.get(&key) {
            return Ok(Some(id.clone()));
        }
        let mappers = self
            .client
            .get(
                &["clients", &client.uuid, "protocol-mappers", "models"],
                &[],
            )
            .await?;
        let mut ids = self.ids();
        ids.add_mappers(client_id, mappers.as_array().map_or(&[], Vec::as_slice));
        Ok(ids.mappers.get(&key).cloned())
    }

    async fn user_id(&self, username: &str) -> Result<Option<String>, TargetError> {
        if let Some(id) = self.ids().users.get(username) {
            return Ok(Some(id.clone()));
        }
        let id = observe::find_user(&self.client, username)
            .await?
            .and_then(|user| user["id"].as_str().map(str::to_owned));
        if let Some(id) = &id {
            self.ids().users.insert(username.to_owned(), id.clone());
        }
        Ok(id)
    }
}

// ---------------------------------------------------------------------------------------------
// Groups

impl KeycloakTarget {
    async fn create_group(&self, path: &str, fields: &Fields) -> Result<(), TargetError> {
        let mut body = Map::from_iter([("name".to_owned(), json!(group_name(path)))]);
        rj::set_list_fields(&mut body, fields);
        let body = Value::Object(body);
        let result = match group_parent(path) {
            None => self.client.create(&["groups"], &body).await,
            Some(parent) => {
                let parent_id = self
                    .group_id(parent)
                    .await?
                    .ok_or_else(|| missing(format!("group {parent}")))?;
                self.client
                    .create(&["groups", &parent_id, "children"], &body)
                    .await
            }
        };
        if let Some(id) = settle_create(result, || format!("group {path}"))? {
            self.ids().groups.insert(path.to_owned(), id);
        }
        Ok(())
    }

    /// Group PUTs replace the attribute map, so unmanaged attributes are read and sent back.
    async fn update_group(&self, path: &str, fields: &Fields) -> Result<(), TargetError> {
        let id = self
            .group_id(path)
            .await?
            .ok_or_else(|| missing(format!("group {path}")))?;
        let current = self
            .client
            .get_optional(&["groups", &id])
            .await?
            .ok_or_else(|| missing(format!("group {path}")))?;
        let mut body: Map<String, Value> = ["id", "name", "description", "attributes"]
            .into_iter()
            .filter_map(|key| Some((key.to_owned(), current.get(key)?.clone())))
            .collect();
        rj::set_list_fields(&mut body, fields);
        self.client
            .put(&["groups", &id], &Value::Object(body))
            .await?;
        Ok(())
    }

    async fn delete_group(&self, path: &str) -> Result<(), TargetError> {
        if let Some(id) = self.group_id(path).await? {
            self.client.delete(&["groups", &id], None).await?;
        }
        self.ids().remove_group(path);
        Ok(())
    }

    async fn group_grant(
        &self,
        path: &str,
        client_id: &str,
        role: &str,
        on: bool,
    ) -> Result<(), TargetError> {
        let Some(group) = self.group_id(path).await? else {
            return if on {
                Err(missing(format!("group {path}")))
            } else {
                Ok(())
            };
        };
        let Some(client) = self.client_ids(client_id).await? else {
            return if on {
                Err(missing(format!("client {client_id}")))
            } else {
                Ok(())
            };
        };
        let roles = json!([self.role_ref(&client, client_id, role).await?]);
        let path = [
            "groups",
            group.as_str(),
            "role-mappings",
            "clients",
            &client.uuid,
        ];
        if on {
            self.client.post(&path, &roles).await?;
        } else {
            self.client.delete(&path, Some(&roles)).await?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Clients and their mappers

/// A mapper as Keycloak takes it (without `id`: the server assigns one).
fn mapper_body(name: &str, mapper: &Mapper) -> Value {
    json!({
        "name": name,
        "protocol": mapper.protocol,
        "protocolMapper": mapper.mapper_type,
        "config": mapper.config,
    })
}

/// The body of a merging client PUT: the given fields only. A removed attribute is sent as
/// `""` (Keycloak deletes blank attributes); an unmentioned one is kept.
fn client_update_body(client_id: &str, fields: &Fields) -> Map<String, Value> {
    let mut body = Map::from_iter([("clientId".to_owned(), json!(client_id))]);
    for (path, value) in fields {
        match path.strip_prefix(ATTRIBUTES_PREFIX) {
            Some(key) => {
                let value = if value.is_null() {
                    json!("")
                } else {
                    value.clone()
                };
                rj::object_entry(&mut body, "attributes").insert(key.to_owned(), value);
            }
            None if value.is_null() => {}
            None => {
                body.insert(path.clone(), value.clone());
            }
        }
    }
    body
}

impl KeycloakTarget {
    /// One request: the client with its mappers and its gate, so no interruption can leave it
    /// reachable without the gate.
    async fn create_client(
        &self,
        client_id: &str,
        fields: &Fields,
        mappers: &std::collections::BTreeMap<String, Mapper>,
        browser_flow: Option<&str>,
    ) -> Result<(), TargetError> {
        let mut body = Map::from_iter([("clientId".to_owned(), json!(client_id))]);
        rj::set_string_fields(&mut body, fields);
        if let Some(alias) = browser_flow {
            let flow_id = self.require_flow(alias).await?;
            body.insert(
                "authenticationFlowBindingOverrides".into(),
                json!({ "browser": flow_id }),
            );
        }
        if !mappers.is_empty() {
            let list = mappers.iter().map(|(n, m)| mapper_body(n, m)).collect();
            body.insert("protocolMappers".into(), Value::Array(list));
        }
        let result = self.client.create(&["clients"], &Value::Object(body)).await;
        if let Some(uuid) = settle_create(result, || format!("client {client_id}"))? {
            let ids = ClientIds {
                uuid,
                authorization: false,
                repeated: repeated_fields(|key| fields.get(key)),
            };
            self.ids().clients.insert(client_id.to_owned(), ids);
        }
        lock(&self.inline_mappers).extend(
            mappers
                .keys()
                .map(|name| (client_id.to_owned(), name.clone())),
        );
        Ok(())
    }

    /// A merging PUT that never carries `protocolMappers` (they would be fully synced) and
    /// always repeats `authorizationServicesEnabled` (omitting it disables them) and the
    /// other fields Keycloak changes when they are omitted (`ids::REPEATED_ON_PUT`).
    async fn put_client(
        &self,
        client_id: &str,
        mut body: Map<String, Value>,
    ) -> Result<(), TargetError> {
        let client = self.require_client(client_id).await?;
        body.remove("protocolMappers");
        body.insert(
            "authorizationServicesEnabled".into(),
            json!(client.authorization),
        );
        let mut repeated = client.repeated;
        repeated.extend(repeated_fields(|key| body.get(key)));
        body.extend(repeated.clone());
        self.client
            .put(&["clients", &client.uuid], &Value::Object(body))
            .await?;
        if let Some(stored) = self.ids().clients.get_mut(client_id) {
            stored.repeated = repeated;
        }
        Ok(())
    }

    async fn delete_client(&self, client_id: &str) -> Result<(), TargetError> {
        if let Some(client) = self.client_ids(client_id).await? {
            self.client.delete(&["clients", &client.uuid], None).await?;
        }
        self.ids().remove_client(client_id);
        Ok(())
    }

    async fn bind(&self, client_id: &str, flow: Option<&str>) -> Result<(), TargetError> {
        let flow_id = match flow {
            Some(alias) => self.require_flow(alias).await?,
            // An empty value removes the override.
            None => String::new(),
        };
        let body = Map::from_iter([
            ("clientId".to_owned(), json!(client_id)),
            (
                "authenticationFlowBindingOverrides".to_owned(),
                json!({ "browser": flow_id }),
            ),
        ]);
        self.put_client(client_id, body).await
    }

    async fn create_mapper(
        &self,
        client_id: &str,
        name: &str,
        mapper: &Mapper,
    ) -> Result<(), TargetError> {
        if lock(&self.inline_mappers).contains(&(client_id.to_owned(), name.to_owned())) {
            return Ok(());
        }
        let client = self.require_client(client_id).await?;
        let result = self
            .client
            .create(
                &["clients", &client.uuid, "protocol-mappers", "models"],
                &mapper_body(name, mapper),
            )
            .await;
        if let Some(id) = settle_create(result, || format!("mapper {name} of client {client_id}"))?
        {
            self.ids()
                .mappers
                .insert((client_id.to_owned(), name.to_owned()), id);
        }
        Ok(())
    }

    /// Mapper PUTs replace the config and need the id in the body.
    async fn update_mapper(
        &self,
        client_id: &str,
        name: &str,
        mapper: &Mapper,
    ) -> Result<(), TargetError> {
        let client = self.require_client(client_id).await?;
        let id = self
            .mapper_id(&client, client_id, name)
            .await?
            .ok_or_else(|| missing(format!("mapper {name} of client {client_id}")))?;
        let mut body = mapper_body(name, mapper);
        body["id"] = json!(id);
        self.client
            .put(
                &["clients", &client.uuid, "protocol-mappers", "models", &id],
                &body,
            )
            .await?;
        Ok(())
    }

    async fn delete_mapper(&self, client_id: &str, name: &str) -> Result<(), TargetError> {
        let Some(client) = self.client_ids(client_id).await? else {
            return Ok(());
        };
        if let Some(id) = self.mapper_id(&client, client_id, name).await? {
            self.client
                .delete(
                    &["clients", &client.uuid, "protocol-mappers", "models", &id],
                    None,
                )
                .await?;
        }
        self.ids()
            .mappers
            .remove(&(client_id.to_owned(), name.to_owned()));
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Roles and pilot users

impl KeycloakTarget {
    async fn create_role(
        &self,
        client_id: &str,
        role: &str,
        fields: &Fields,
    ) -> Result<(), TargetError> {
        let client = self.require_client(client_id).await?;
        let mut body = Map::from_iter([("name".to_owned(), json!(role))]);
        rj::set_list_fields(&mut body, fields);
        let result = self
            .client
            .create(&["clients", &client.uuid, "roles"], &Value::Object(body))
            .await;
        // The Location of a role is its name, not its id: the id is looked up when needed.
        settle_create(result, || format!("client role {role} of {client_id}"))?;
        Ok(())
    }

    /// Role PUTs replace description and attributes: read, edit, write back, one edit of a
    /// role at a time.
    async fn edit_role(
        &self,
        client_id: &str,
        role: &str,
        edit: impl FnOnce(&mut Map<String, Value>),
    ) -> Result<(), TargetError> {
        let client = self.require_client(client_id).await?;
        let role_lock = lock(&self.role_locks)
            .entry((client_id.to_owned(), role.to_owned()))
            .or_default()
            .clone();
        let _guard = role_lock.lock().await;
        let path = ["clients", client.uuid.as_str(), "roles", role];
        let mut current = self
            .client
            .get_optional(&path)
            .await?
            .ok_or_else(|| missing(format!("client role {role} of {client_id}")))?;
        let Some(rep) = current.as_object_mut() else {
            return Err(missing(format!("client role {role} of {client_id}")));
        };
        edit(rep);
        self.client.put(&path, &current).await?;
        Ok(())
    }

    async fn delete_role(&self, client_id: &str, role: &str) -> Result<(), TargetError> {
        if let Some(client) = self.client_ids(client_id).await? {
            self.client
                .delete(&["clients", &client.uuid, "roles", role], None)
                .await?;
        }
        self.ids()
            .roles
            .remove(&(client_id.to_owned(), role.to_owned()));
        Ok(())
    }

    /// Grants or revokes a pilot user's direct role and keeps the role's list of pilots.
    async fn pilot_grant(
        &self,
        username: &str,
        client_id: &str,
        role: &str,
        on: bool,
    ) -> Result<(), TargetError> {
        let client = self.require_client(client_id).await?;
        match self.user_id(username).await? {
            Some(user) => {
                let roles = json!([self.role_ref(&client, client_id, role).await?]);
                let path = [
                    "users",
                    user.as_str(),
                    "role-mappings",
                    "clients",
                    &client.uuid,
                ];
                if on {
                    self.client.post(&path, &roles).await?;
                } else {
                    self.client.delete(&path, Some(&roles)).await?;
                }
            }
            None if on => return Err(missing(format!("user {username}"))),
            None => {}
        }
        self.edit_role(client_id, role, |rep| rj::track_pilot(rep, username, on))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_puts_send_removed_attributes_blank() {
        let fields = Fields::from([
            ("name".to_owned(), json!("Partner")),
            ("description".to_owned(), Value::Null),
            ("attributes.saml.encrypt".to_owned(), json!("false")),
            (
                "attributes.saml_single_logout_service_url_post".to_owned(),
                Value::Null,
            ),
        ]);
        let body = Value::Object(client_update_body("app", &fields));
        assert_eq!(
            body,
            json!({
                "clientId": "app",
                "name": "Partner",
                "attributes": {"saml.encrypt": "false", "saml_single_logout_service_url_post": ""}
            })
        );
    }
}
