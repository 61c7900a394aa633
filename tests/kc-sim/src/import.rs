//! Loading realm exports (`--import`, `POST /admin/realms`) on top of a
//! realm's built-in content. Imports are lenient like Keycloak's file import:
//! unknown properties and references that do not resolve are skipped.

use crate::app::Config;
use crate::json::{Obj, ObjExt, Ty, coerce_lenient};
use crate::repr::{
    AUTH_CONFIG, CLIENT, CLIENT_SCOPE, FLOW, GROUP, IDP, IDP_MAPPER, REALM, ROLE, USER,
};
use crate::state::{AuthConfig, ClientScope, Execution, Group, Realm, Store, new_id};
use serde_json::{Value, json};

/// Imports one realm representation; returns the realm name.
pub fn import_realm(store: &mut Store, config: &Config, v: &Value) -> Result<String, String> {
    let name = v
        .get("realm")
        .and_then(Value::as_str)
        .ok_or("realm export without \"realm\"")?
        .to_string();
    let rep = coerce_lenient(v, &REALM);
    let settings: Obj = rep
        .iter()
        .filter(|(k, _)| {
            REALM
                .fields
                .iter()
                .any(|(n, t)| n == k && !matches!(t, Ty::Any))
                && !matches!(k.as_str(), "id" | "realm" | "defaultRoles")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(
            ["clientProfiles", "clientPolicies", "localizationTexts"]
                .iter()
                .filter_map(|k| v.get(*k).map(|x| (k.to_string(), x.clone()))),
        )
        .collect();
    let id = v.get("id").and_then(Value::as_str).map(str::to_string);
    let realm = crate::realm_defaults::create_realm(store, config, &name, id, settings);
    fill(realm, v)?;
    Ok(name)
}

fn list<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn fill(realm: &mut Realm, v: &Value) -> Result<(), String> {
    import_scopes(realm, v);
    if v.get("authenticationFlows").is_some_and(Value::is_array) {
        import_flows(realm, v);
    }
    for c in list(v, "clients") {
        upsert_client(realm, coerce_lenient(c, &CLIENT))?;
    }
    if let Some(roles) = v.get("roles") {
        import_roles(realm, roles, false).map_err(|e| format!("{e:?}"))?;
    }
    if let Some(defaults) = v.get("defaultRoles").and_then(Value::as_array) {
        let ids: Vec<String> = defaults
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|n| realm.realm_role(n))
            .map(|r| r.id.clone())
            .collect();
        let default_role = realm.default_role.clone();
        realm.roles[&default_role].composites.extend(ids);
    }
    for idp in list(v, "identityProviders") {
        let _ = crate::idps::insert(realm, coerce_lenient(idp, &IDP));
    }
    for m in list(v, "identityProviderMappers") {
        let _ = crate::idps::insert_mapper(realm, coerce_lenient(m, &IDP_MAPPER));
    }
    for g in list(v, "groups") {
        import_group(realm, None, g);
    }
    for u in list(v, "users") {
        import_user(realm, coerce_lenient(u, &USER));
    }
    if let Some(c) = v.get("components") {
        realm.components = c.clone();
    }
    if let Some(r) = v.get("requiredActions") {
        realm.required_actions = r.clone();
    }
    Ok(())
}

fn import_scopes(realm: &mut Realm, v: &Value) {
    for s in list(v, "clientScopes") {
        let mut rep = coerce_lenient(s, &CLIENT_SCOPE);
        let name = rep.str("name").unwrap_or_default().to_string();
        let mappers: Vec<Obj> = rep
            .remove("protocolMappers")
            .and_then(|m| m.as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| m.as_object().cloned())
            .collect();
        let existing = realm
            .scopes
            .values()
            .find(|x| x.rep.str("name") == Some(name.as_str()))
            .map(|x| x.id.clone());
        let id = existing
            .or_else(|| rep.str("id").map(str::to_string))
            .unwrap_or_else(new_id);
        rep.remove("id");
        let mut scope = ClientScope {
            id: id.clone(),
            rep,
            mappers: Vec::new(),
        };
        let protocol = scope
            .rep
            .str("protocol")
            .unwrap_or("openid-connect")
            .to_string();
        for m in mappers {
            let _ = crate::mappers::add(&mut scope.mappers, m, &protocol);
        }
        realm.scopes.insert(id, scope);
    }
    let by_names = |realm: &Realm, key: &str| -> Option<Vec<String>> {
        let names = v.get(key)?.as_array()?;
        Some(
            names
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|n| realm.scopes.values().find(|s| s.rep.str("name") == Some(n)))
                .map(|s| s.id.clone())
                .collect(),
        )
    };
    if let Some(ids) = by_names(realm, "defaultDefaultClientScopes") {
        realm.default_default_scopes = ids;
    }
    if let Some(ids) = by_names(realm, "defaultOptionalClientScopes") {
        realm.default_optional_scopes = ids;
    }
}

/// Replaces all flows and authenticator configs by the export's (exports list
/// the complete set, built-in flows included), keeping their ids.
fn import_flows(realm: &mut Realm, v: &Value) {
    realm.flows.clear();
    realm.executions.clear();
    realm.auth_configs.clear();
    for c in list(v, "authenticatorConfig") {
        let rep = coerce_lenient(c, &AUTH_CONFIG);
        let id = rep.str("id").map(str::to_string).unwrap_or_else(new_id);
        let alias = rep.str("alias").unwrap_or_default().to_string();
        let config = rep.obj("config").cloned().unwrap_or_default();
        realm
            .auth_configs
            .insert(id.clone(), AuthConfig { id, alias, config });
    }
    let flows: Vec<Obj> = list(v, "authenticationFlows")
        .map(|f| coerce_lenient(f, &FLOW))
        .collect();
    for f in &flows {
        let id = crate::flows::insert_flow(
            realm,
            f.str("alias").unwrap_or_default(),
            f.str("description"),
            f.str("providerId").unwrap_or("basic-flow"),
            f.bool("topLevel").unwrap_or(false),
            f.bool("builtIn").unwrap_or(false),
        );
        if let Some(file_id) = f.str("id").filter(|i| !realm.flows.contains_key(*i)) {
            let mut flow = realm.flows.shift_remove(&id).expect("inserted");
            flow.id = file_id.to_string();
            realm.flows.insert(flow.id.clone(), flow);
        }
    }
    for f in &flows {
        let Some(parent) = realm
            .flow_by_alias(f.str("alias").unwrap_or_default())
            .map(|p| p.id.clone())
        else {
            continue;
        };
        for (i, e) in f
            .get("authenticationExecutions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(e) = e.as_object() else { continue };
            let sub = e
                .str("flowAlias")
                .and_then(|a| realm.flow_by_alias(a))
                .map(|f| f.id.clone());
            let config = e
                .str("authenticatorConfig")
                .and_then(|a| realm.auth_configs.values().find(|c| c.alias == a))
                .map(|c| c.id.clone());
            let exec = Execution {
                id: String::new(),
                parent: parent.clone(),
                authenticator: e.str("authenticator").map(str::to_string),
                sub_flow: sub,
                requirement: e.str("requirement").unwrap_or("DISABLED").to_string(),
                priority: e
                    .get("priority")
                    .and_then(Value::as_i64)
                    .unwrap_or(i as i64 * 10),
                config,
                user_setup_allowed: e
                    .get("userSetupAllowed")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            };
            crate::flows::insert_execution(realm, exec);
        }
    }
}

/// Creates a client, or updates the same-named built-in one in place.
pub fn upsert_client(realm: &mut Realm, mut rep: Obj) -> Result<String, String> {
    if let Some(Value::Object(o)) = rep.get_mut("authenticationFlowBindingOverrides") {
        let flows = &realm.flows;
        o.retain(|_, v| v.as_str().is_some_and(|id| flows.contains_key(id)));
    }
    let client_id = rep.str("clientId").unwrap_or_default().to_string();
    let Some(existing) = realm.client_by_client_id(&client_id).map(|c| c.id.clone()) else {
        if rep
            .str("id")
            .is_some_and(|id| realm.clients.contains_key(id))
        {
            rep.remove("id");
        }
        return crate::clients::create(realm, rep)
            .map_err(|e| format!("client {client_id}: {e:?}"));
    };
    let names = |key: &str, rep: &Obj| -> Option<Vec<String>> {
        let n = rep.get(key)?.as_array()?;
        Some(
            n.iter()
                .filter_map(Value::as_str)
                .filter_map(|n| realm.scopes.values().find(|s| s.rep.str("name") == Some(n)))
                .map(|s| s.id.clone())
                .collect(),
        )
    };
    let (default, optional) = (
        names("defaultClientScopes", &rep),
        names("optionalClientScopes", &rep),
    );
    let mappers = rep.remove("protocolMappers");
    let client = realm.clients.get_mut(&existing).expect("exists");
    for (k, v) in rep {
        if !v.is_null()
            && !matches!(
                k.as_str(),
                "id" | "defaultClientScopes" | "optionalClientScopes" | "access"
            )
        {
            client.rep.insert(k, v);
        }
    }
    if let Some(Value::Array(list)) = mappers {
        let protocol = client.protocol().to_string();
        client.mappers.clear();
        for m in list.into_iter().filter_map(|m| m.as_object().cloned()) {
            let _ = crate::mappers::add(&mut client.mappers, m, &protocol);
        }
    }
    if let Some(d) = default {
        client.default_scopes = d;
    }
    if let Some(o) = optional {
        client.optional_scopes = o;
    }
    if client.flag("serviceAccountsEnabled") {
        crate::users::ensure_service_account(realm, &existing);
    }
    Ok(existing)
}

/// Imports `{"realm": [...], "client": {clientId: [...]}}`; returns
/// (created, existing) role names per import. With `fail_on_exists` an existing
/// role is an error (partial import FAIL policy is decided by the caller).
pub fn import_roles(
    realm: &mut Realm,
    roles: &Value,
    fail_on_exists: bool,
) -> Result<Vec<(Option<String>, String, bool)>, String> {
    let mut done = Vec::new();
    let mut pending: Vec<(String, Obj)> = Vec::new();
    let mut one = |realm: &mut Realm, client: Option<String>, r: &Value| -> Result<(), String> {
        let rep = coerce_lenient(r, &ROLE);
        let name = rep.str("name").unwrap_or_default().to_string();
        let existing = match &client {
            None => realm.realm_role(&name),
            Some(c) => realm.client_role(c, &name),
        }
        .map(|r| r.id.clone());
        let id = match existing {
            Some(_) if fail_on_exists => return Err(name),
            Some(id) => {
                let role = realm.roles.get_mut(&id).expect("exists");
                if let Some(d) = rep.str("description") {
                    role.description = Some(d.to_string());
                }
                if let Some(a) = rep.obj("attributes") {
                    role.attributes = a.clone();
                }
                done.push((client.clone(), name.clone(), false));
                id
            }
            None => {
                let id =
                    crate::roles::insert(realm, client.as_deref(), &name, rep.str("description"));
                realm.roles.get_mut(&id).expect("inserted").attributes =
                    rep.obj("attributes").cloned().unwrap_or_default();
                done.push((client.clone(), name.clone(), true));
                id
            }
        };
        if let Some(c) = rep.obj("composites") {
            pending.push((id, c.clone()));
        }
        Ok(())
    };
    for r in roles
        .get("realm")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        one(realm, None, r)?;
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
        for r in list.as_array().into_iter().flatten() {
            one(realm, Some(cid.clone()), r)?;
        }
    }
    for (id, comp) in pending {
        let mut ids: Vec<String> = comp
            .strs("realm")
            .iter()
            .filter_map(|n| realm.realm_role(n))
            .map(|r| r.id.clone())
            .collect();
        for (client_id, names) in comp.obj("client").into_iter().flatten() {
            let Some(c) = realm.client_by_client_id(client_id).map(|c| c.id.clone()) else {
                continue;
            };
            for n in names
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                ids.extend(realm.client_role(&c, n).map(|r| r.id.clone()));
            }
        }
        let role = realm.roles.get_mut(&id).expect("exists");
        for i in ids {
            if !role.composites.contains(&i) && i != id {
                role.composites.push(i);
            }
        }
    }
    Ok(done)
}

/// Role ids of `realmRoles` names and `clientRoles` `{clientId: [names]}`.
pub fn role_ids(realm: &Realm, rep: &Obj) -> Vec<String> {
    let mut ids: Vec<String> = rep
        .strs("realmRoles")
        .iter()
        .filter_map(|n| realm.realm_role(n))
        .map(|r| r.id.clone())
        .collect();
    for (client_id, names) in rep.obj("clientRoles").into_iter().flatten() {
        let Some(c) = realm.client_by_client_id(client_id).map(|c| c.id.clone()) else {
            continue;
        };
        for n in names
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            ids.extend(realm.client_role(&c, n).map(|r| r.id.clone()));
        }
    }
    ids
}

/// Imports a group with its nested `subGroups`; returns its id.
pub fn import_group(realm: &mut Realm, parent: Option<&str>, v: &Value) -> String {
    let rep = coerce_lenient(v, &GROUP);
    let id = rep
        .str("id")
        .filter(|i| !realm.groups.contains_key(*i))
        .map(str::to_string)
        .unwrap_or_else(new_id);
    let group = Group {
        id: id.clone(),
        name: rep.str("name").unwrap_or_default().to_string(),
        description: rep.str("description").map(str::to_string),
        parent: parent.map(str::to_string),
        attributes: rep.obj("attributes").cloned().unwrap_or_default(),
        roles: role_ids(realm, &rep),
    };
    realm.groups.insert(id.clone(), group);
    for sub in v
        .get("subGroups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        import_group(realm, Some(&id), sub);
    }
    id
}

/// Imports a user with roles, group paths, a clear-text password credential,
/// and `serviceAccountClientId` given as clientId (as exports write it).
pub fn import_user(realm: &mut Realm, mut rep: Obj) -> String {
    let roles = role_ids(realm, &rep);
    let groups: Vec<String> = rep
        .strs("groups")
        .iter()
        .filter_map(|p| realm.group_by_path(p))
        .map(|g| g.id.clone())
        .collect();
    let password = rep
        .get("credentials")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .find(|c| c.str("type").unwrap_or("password") == "password")
        .and_then(|c| c.str("value").map(str::to_string));
    if let Some(cid) = rep.str("serviceAccountClientId").map(str::to_string) {
        match realm
            .client_by_client_id(&cid)
            .or_else(|| realm.clients.get(&cid))
        {
            Some(c) => {
                let uuid = c.id.clone();
                crate::users::remove_service_account(realm, &uuid);
                rep.insert("serviceAccountClientId".into(), json!(uuid));
            }
            None => {
                rep.remove("serviceAccountClientId");
            }
        }
    }
    if rep.str("id").is_some_and(|i| realm.users.contains_key(i)) {
        rep.remove("id");
    }
    let created = rep.get("createdTimestamp").cloned();
    let id = crate::users::insert(realm, rep, password);
    let user = realm.users.get_mut(&id).expect("inserted");
    user.roles = roles;
    user.groups = groups;
    if let Some(ts) = created.filter(|t| t.is_i64()) {
        user.rep.insert("createdTimestamp".into(), ts);
    }
    id
}
