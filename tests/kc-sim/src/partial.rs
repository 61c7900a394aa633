//! Partial export and partial import (§9), and the client-description
//! converter (§7.4).

use crate::auth::Admin;
use crate::errors::{ApiError, ApiResult};
use crate::http::{Query, flag, json_response};
use crate::import;
use crate::json::{Obj, ObjExt, coerce_lenient, parse_object};
use crate::repr::{CLIENT, IDP, IDP_MAPPER, PARTIAL_IMPORT, USER};
use crate::state::Realm;
use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Map, Value, json};
use std::sync::Arc;

const MASK: &str = "**********";

pub fn routes() -> Router<Arc<crate::app::App>> {
    Router::new()
        .route("/admin/realms/{realm}/partial-export", post(export))
        .route("/admin/realms/{realm}/partialImport", post(partial_import))
        .route(
            "/admin/realms/{realm}/client-description-converter",
            post(crate::converter::convert),
        )
}

/// A group for exports: nested `subGroups`, roles by name.
fn export_group(realm: &Realm, g: &crate::state::Group) -> Value {
    let (realm_roles, client_roles) = crate::groups::role_names(realm, &g.roles);
    let mut kids: Vec<_> = realm.children_of(Some(&g.id)).collect();
    kids.sort_by(|a, b| a.name.cmp(&b.name));
    json!({
        "id": g.id, "name": g.name, "path": realm.group_path(&g.id), "subGroups": kids.into_iter().map(|k| export_group(realm, k)).collect::<Vec<_>>(),
        "attributes": g.attributes, "realmRoles": realm_roles, "clientRoles": client_roles,
    })
}

/// RealmRepresentation without users, secrets masked (`StripSecretsUtils`).
pub fn export_realm(
    realm: &Realm,
    clients: bool,
    groups_and_roles: bool,
    config: &crate::app::Config,
) -> Value {
    let version = config.version;
    let mut v = crate::realms::represent(realm);
    let o = v.as_object_mut().expect("object");
    if groups_and_roles {
        let roles = |client: Option<&str>| -> Vec<Value> {
            realm
                .roles_of(client)
                .map(|r| {
                    let mut rep = crate::roles::full(realm, r);
                    if !r.composites.is_empty() {
                        let (rr, cr) = crate::groups::role_names(realm, &r.composites);
                        rep["composites"] = json!({ "realm": rr, "client": cr });
                    }
                    rep
                })
                .collect()
        };
        let mut by_client = Map::new();
        for c in realm.clients.values() {
            by_client.insert(c.client_id().to_string(), Value::Array(roles(Some(&c.id))));
        }
        o.insert(
            "roles".into(),
            json!({ "realm": roles(None), "client": by_client }),
        );
        let mut tops: Vec<_> = realm.children_of(None).collect();
        tops.sort_by(|a, b| a.name.cmp(&b.name));
        o.insert(
            "groups".into(),
            Value::Array(tops.into_iter().map(|g| export_group(realm, g)).collect()),
        );
    }
    if clients {
        let list = realm.clients.values().map(|c| {
            let mut rep = crate::clients::represent(realm, c, None, version);
            if rep.get("secret").is_some() {
                rep["secret"] = json!(MASK);
            }
            rep
        });
        o.insert("clients".into(), Value::Array(list.collect()));
    }
    o.insert(
        "identityProviders".into(),
        Value::Array(
            realm
                .idps
                .iter()
                .map(|(a, i)| crate::idps::represent(a, i, config))
                .collect(),
        ),
    );
    o.insert(
        "identityProviderMappers".into(),
        Value::Array(
            realm
                .idp_mappers
                .values()
                .cloned()
                .map(Value::Object)
                .collect(),
        ),
    );
    let mut flows: Vec<_> = realm.flows.values().collect();
    flows.sort_by(|a, b| a.alias.cmp(&b.alias));
    o.insert(
        "authenticationFlows".into(),
        Value::Array(
            flows
                .into_iter()
                .map(|f| crate::flows::represent(realm, f))
                .collect(),
        ),
    );
    let configs = realm
        .auth_configs
        .values()
        .map(|c| json!({ "id": c.id, "alias": c.alias, "config": c.config }));
    o.insert(
        "authenticatorConfig".into(),
        Value::Array(configs.collect()),
    );
    o.insert(
        "clientScopes".into(),
        Value::Array(
            realm
                .scopes
                .values()
                .map(crate::scopes::represent)
                .collect(),
        ),
    );
    let names = |ids: &[String]| -> Value {
        ids.iter()
            .filter_map(|i| realm.scopes.get(i))
            .filter_map(|s| s.rep.str("name"))
            .collect()
    };
    o.insert(
        "defaultDefaultClientScopes".into(),
        names(&realm.default_default_scopes),
    );
    o.insert(
        "defaultOptionalClientScopes".into(),
        names(&realm.default_optional_scopes),
    );
    o.insert("requiredActions".into(), realm.required_actions.clone());
    o.insert("components".into(), realm.components.clone());
    v
}

async fn export(admin: Admin, q: Query) -> ApiResult {
    let clients = flag(&q, "exportClients", false);
    let groups = flag(&q, "exportGroupsAndRoles", false);
    admin.require(
        admin.manage_realm()
            && (!clients || admin.view_clients())
            && (!groups || admin.list_groups()),
    )?;
    admin.read(|realm| {
        Ok(json_response(export_realm(
            realm,
            clients,
            groups,
            &admin.app.config,
        )))
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Policy {
    Fail,
    Skip,
    Overwrite,
}

#[derive(Default)]
struct Results {
    items: Vec<Value>,
    added: u64,
    skipped: u64,
    overwritten: u64,
}

impl Results {
    fn push(&mut self, action: &str, kind: &str, name: &str, id: &str) {
        match action {
            "ADDED" => self.added += 1,
            "SKIPPED" => self.skipped += 1,
            _ => self.overwritten += 1,
        }
        self.items.push(
            json!({ "action": action, "resourceType": kind, "resourceName": name, "id": id }),
        );
    }
}

/// Decides what to do with an existing resource; `Ok(None)` = add.
fn decide(
    policy: Policy,
    existing: Option<String>,
    conflict: impl FnOnce() -> String,
) -> ApiResult<Option<(&'static str, String)>> {
    match (existing, policy) {
        (None, _) => Ok(None),
        (Some(_), Policy::Fail) => Err(ApiError::conflict(conflict())),
        (Some(id), Policy::Skip) => Ok(Some(("SKIPPED", id))),
        (Some(id), Policy::Overwrite) => Ok(Some(("OVERWRITTEN", id))),
    }
}

fn list(v: &Obj, key: &str) -> Vec<Value> {
    v.get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Runs the import on a copy of the realm so that a failure changes nothing.
async fn partial_import(admin: Admin, body: Bytes) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let rep = parse_object(&body, &PARTIAL_IMPORT)?;
    let policy = match rep
        .str("ifResourceExists")
        .or(rep.str("policy"))
        .unwrap_or("FAIL")
    {
        "SKIP" => Policy::Skip,
        "OVERWRITE" => Policy::Overwrite,
        _ => Policy::Fail,
    };
    admin.write(|realm| {
        let mut work = realm.clone();
        let results = run_import(&mut work, &rep, policy, &admin.app.config)?;
        *realm = work;
        Ok(json_response(json!({
            "overwritten": results.overwritten, "added": results.added, "skipped": results.skipped, "results": results.items,
        })))
    })
}

fn run_import(
    realm: &mut Realm,
    rep: &Obj,
    policy: Policy,
    config: &crate::app::Config,
) -> ApiResult<Results> {
    let mut r = Results::default();
    let server = |e: String| ApiError::Server(e);
    for c in list(rep, "clients") {
        let c = coerce_lenient(&c, &CLIENT);
        let client_id = c.str("clientId").unwrap_or_default().to_string();
        let existing = realm.client_by_client_id(&client_id).map(|x| x.id.clone());
        match decide(policy, existing, || {
            format!("Client id '{client_id}' already exists")
        })? {
            Some(("SKIPPED", id)) => r.push("SKIPPED", "CLIENT", &client_id, &id),
            Some((_, id)) => {
                crate::clients::remove(realm, &id);
                let new = import::upsert_client(realm, c).map_err(server)?;
                r.push("OVERWRITTEN", "CLIENT", &client_id, &new);
            }
            None => {
                let new = import::upsert_client(realm, c).map_err(server)?;
                r.push("ADDED", "CLIENT", &client_id, &new);
            }
        }
    }
    if let Some(roles) = rep.get("roles") {
        import_roles(realm, roles, policy, &mut r)?;
    }
    for i in list(rep, "identityProviders") {
        let i = coerce_lenient(&i, &IDP);
        let alias = i.str("alias").unwrap_or_default().to_string();
        let existing = realm.idps.get(&alias).map(|x| x.internal_id.clone());
        let action = decide(policy, existing, || {
            format!("Identity Provider '{alias}' already exists.")
        })?;
        if let Some(("SKIPPED", id)) = &action {
            r.push("SKIPPED", "IDP", &alias, id);
            continue;
        }
        realm.idps.shift_remove(&alias);
        crate::idps::insert(realm, i)?;
        let id = realm.idps[&alias].internal_id.clone();
        r.push(
            if action.is_some() {
                "OVERWRITTEN"
            } else {
                "ADDED"
            },
            "IDP",
            &alias,
            &id,
        );
    }
    for m in list(rep, "identityProviderMappers") {
        let m = coerce_lenient(&m, &IDP_MAPPER);
        let (alias, name) = (
            m.str("identityProviderAlias")
                .unwrap_or_default()
                .to_string(),
            m.str("name").unwrap_or_default().to_string(),
        );
        let existing = realm
            .idp_mappers
            .values()
            .find(|x| {
                x.str("identityProviderAlias") == Some(alias.as_str())
                    && x.str("name") == Some(name.as_str())
            })
            .and_then(|x| x.str("id").map(str::to_string));
        let action = decide(policy, existing, || {
            format!("Identity Provider Mapper'{name}' already exists.")
        })?;
        match action {
            Some(("SKIPPED", id)) => r.push("SKIPPED", "IDP_MAPPER", &name, &id),
            other => {
                if let Some((_, id)) = &other {
                    realm.idp_mappers.shift_remove(id);
                }
                let id = crate::idps::insert_mapper(realm, m)?;
                r.push(
                    if other.is_some() {
                        "OVERWRITTEN"
                    } else {
                        "ADDED"
                    },
                    "IDP_MAPPER",
                    &name,
                    &id,
                );
            }
        }
    }
    for g in list(rep, "groups") {
        let name = g
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let existing = realm
            .children_of(None)
            .find(|x| x.name == name)
            .map(|x| x.id.clone());
        let path = format!("/{name}");
        // Keycloak finds the imported group again by its `path`; without one it fails
        // with a NullPointerException, a 500 (seen on Keycloak 26.7).
        if g.get("path").and_then(Value::as_str).is_none() {
            return Err(ApiError::Server(format!(
                "Error creating {name}: group without path"
            )));
        }
        match decide(policy, existing, || {
            format!("Group '{path}' already exists")
        })? {
            Some(("SKIPPED", id)) => r.push("SKIPPED", "GROUP", &name, &id),
            Some(_) if config.version == 26 && !config.at_least(26, 7) => {
                // 26.4 re-creates the group before the old one is gone: the sibling
                // names' unique index refuses it (seen on 26.4.7).
                return Err(ApiError::Message(
                    StatusCode::CONFLICT,
                    crate::clients::DUPLICATE.into(),
                ));
            }
            other => {
                if let Some((_, id)) = &other {
                    crate::groups::remove(realm, id);
                }
                let id = import::import_group(realm, None, &g);
                r.push(
                    if other.is_some() {
                        "OVERWRITTEN"
                    } else {
                        "ADDED"
                    },
                    "GROUP",
                    &name,
                    &id,
                );
            }
        }
    }
    for u in list(rep, "users") {
        let u = coerce_lenient(&u, &USER);
        let username = u.str("username").unwrap_or_default().to_lowercase();
        let existing = realm.user_by_username(&username).map(|x| x.id.clone());
        match decide(policy, existing, || {
            format!("User '{username}' already exists")
        })? {
            Some(("SKIPPED", id)) => r.push("SKIPPED", "USER", &username, &id),
            other => {
                if let Some((_, id)) = &other {
                    realm.users.shift_remove(id);
                }
                let id = import::import_user(realm, u);
                r.push(
                    if other.is_some() {
                        "OVERWRITTEN"
                    } else {
                        "ADDED"
                    },
                    "USER",
                    &username,
                    &id,
                );
            }
        }
    }
    Ok(r)
}

fn import_roles(
    realm: &mut Realm,
    roles: &Value,
    policy: Policy,
    r: &mut Results,
) -> ApiResult<()> {
    // Realm roles first, then client roles (Keycloak's order); existing roles
    // are checked up front so that FAIL aborts before anything is applied.
    let mut wanted = Value::Object(Map::new());
    for role in roles
        .get("realm")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = role.get("name").and_then(Value::as_str).unwrap_or_default();
        match realm.realm_role(name).map(|x| x.id.clone()) {
            Some(id) => match decide(policy, Some(id), || {
                format!("Realm role '{name}' already exists.")
            })? {
                Some(("SKIPPED", id)) => r.push("SKIPPED", "REALM_ROLE", name, &id),
                _ => push_role(&mut wanted, None, role),
            },
            None => push_role(&mut wanted, None, role),
        }
    }
    for (client_id, list) in roles
        .get("client")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Some(cid) = realm.client_by_client_id(client_id).map(|c| c.id.clone()) else {
            continue;
        };
        for role in list.as_array().into_iter().flatten() {
            let name = role.get("name").and_then(Value::as_str).unwrap_or_default();
            match realm.client_role(&cid, name).map(|x| x.id.clone()) {
                Some(id) => match decide(policy, Some(id), || {
                    format!("Client role '{name}' for client '{client_id}' already exists.")
                })? {
                    Some(("SKIPPED", id)) => r.push("SKIPPED", "CLIENT_ROLE", name, &id),
                    _ => push_role(&mut wanted, Some(client_id), role),
                },
                None => push_role(&mut wanted, Some(client_id), role),
            }
        }
    }
    let done = import::import_roles(realm, &wanted, false).map_err(ApiError::Server)?;
    for (client, name, added) in done {
        let id = match &client {
            None => realm.realm_role(&name),
            Some(c) => realm.client_role(c, &name),
        }
        .map(|x| x.id.clone())
        .unwrap_or_default();
        let kind = if client.is_some() {
            "CLIENT_ROLE"
        } else {
            "REALM_ROLE"
        };
        if added {
            r.push("ADDED", kind, &name, &id);
            continue;
        }
        r.push("OVERWRITTEN", kind, &name, &id);
        // An overwritten realm role is re-created and so also reported (and counted)
        // as added (seen on 26.4.7 and 26.7.3; client roles not checked).
        if client.is_none() {
            r.push("ADDED", kind, &name, &id);
        }
    }
    Ok(())
}

fn push_role(wanted: &mut Value, client: Option<&str>, role: &Value) {
    let slot = match client {
        None => &mut wanted["realm"],
        Some(c) => &mut wanted["client"][c],
    };
    if !slot.is_array() {
        *slot = json!([]);
    }
    if let Some(a) = slot.as_array_mut() {
        a.push(role.clone());
    }
}
