//! Realms: list, create (with import of the representation's content), get,
//! update, delete, and the realm keys (§7.3).

use crate::auth::{Admin, Caller};
use crate::errors::{ApiError, ApiResult};
use crate::http::{json_list, json_response, no_content};
use crate::json::{Obj, ObjExt, parse_object, render};
use crate::repr::REALM;
use crate::state::{Realm, Store};
use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::Arc;

pub fn routes() -> Router<Arc<crate::app::App>> {
    Router::new()
        .route("/admin/realms", get(list).post(create))
        .route(
            "/admin/realms/{realm}",
            get(get_one).put(update).delete(delete),
        )
        .route("/admin/realms/{realm}/keys", get(keys))
        .route("/admin/serverinfo", get(server_info))
}

/// Full RealmRepresentation as `GET /admin/realms/{realm}` answers it.
pub fn represent(realm: &Realm) -> Value {
    let mut m = Obj::new();
    m.insert("id".into(), json!(realm.id));
    m.insert("realm".into(), json!(realm.name));
    for (k, v) in &realm.settings {
        m.insert(k.clone(), v.clone());
    }
    if let Some(r) = realm.roles.get(&realm.default_role) {
        m.insert("defaultRole".into(), crate::roles::brief(realm, r));
    }
    render(&m, &REALM)
}

/// What a caller with some admin role but no view-realm sees.
fn minimal(realm: &Realm) -> Value {
    let mut v = json!({ "id": realm.id, "realm": realm.name });
    if let Some(d) = realm.settings.str("displayName") {
        v["displayName"] = json!(d);
    }
    v
}

fn can_view(rights: &std::collections::HashSet<String>) -> bool {
    rights.contains("view-realm")
        || rights.contains("manage-realm")
        || rights.contains("realm-admin")
}

async fn list(caller: Caller) -> ApiResult {
    let store = caller.app.read();
    let mut out = Vec::new();
    for realm in store.realms.values() {
        let rights = caller.rights_in(&store, &realm.name);
        if can_view(&rights) {
            out.push(represent(realm));
        } else if !rights.is_empty() {
            out.push(minimal(realm));
        }
    }
    if out.is_empty() {
        return Err(ApiError::Forbidden);
    }
    Ok(json_list(out))
}

async fn create(caller: Caller, body: Bytes) -> ApiResult {
    let rep = parse_object(&body, &REALM)?;
    let mut store = caller.app.write();
    if caller.token_realm != "master" || !caller.has_realm_role(&store, "create-realm") {
        return Err(ApiError::Forbidden);
    }
    let name = import_into(&mut store, &caller.app.config, Value::Object(rep))?;
    let location = format!(
        "{}/admin/realms/{}",
        caller.base,
        crate::http::encode_segment(&name)
    );
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

/// Creates a realm from a RealmRepresentation (API or import file).
pub fn import_into(
    store: &mut Store,
    config: &crate::app::Config,
    rep: Value,
) -> ApiResult<String> {
    let name = rep
        .get("realm")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if name.trim().is_empty() {
        return Err(ApiError::Message(
            StatusCode::BAD_REQUEST,
            "Realm name cannot be empty".into(),
        ));
    }
    if store.realms.contains_key(&name)
        || rep
            .get("id")
            .and_then(Value::as_str)
            .is_some_and(|id| store.realms.values().any(|r| r.id == id))
    {
        return Err(ApiError::conflict(
            "Conflict detected. See logs for details",
        ));
    }
    crate::import::import_realm(store, config, &rep).map_err(ApiError::Server)?;
    Ok(name)
}

async fn get_one(admin: Admin) -> ApiResult {
    admin.read(|realm| {
        if admin.view_realm() {
            Ok(json_response(represent(realm)))
        } else if admin.is_admin() {
            Ok(json_response(minimal(realm)))
        } else {
            Err(ApiError::Forbidden)
        }
    })
}

/// Collections of a RealmRepresentation that PUT does not touch here.
const NOT_SETTINGS: &[&str] = &[
    "id",
    "realm",
    "roles",
    "groups",
    "defaultRole",
    "defaultRoles",
    "users",
    "federatedUsers",
    "scopeMappings",
    "clientScopeMappings",
    "clients",
    "clientScopes",
    "identityProviders",
    "identityProviderMappers",
    "protocolMappers",
    "components",
    "authenticationFlows",
    "authenticatorConfig",
    "requiredActions",
    "applications",
    "oauthClients",
    "clientTemplates",
    "applicationScopeMappings",
    "organizations",
    "adminPermissionsClient",
    "userFederationProviders",
    "userFederationMappers",
    "keycloakVersion",
    "defaultDefaultClientScopes",
    "defaultOptionalClientScopes",
    "privateKey",
    "publicKey",
    "certificate",
    "codeSecret",
];

async fn update(admin: Admin, body: Bytes) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let rep = parse_object(&body, &REALM)?;
    let mut store = admin.app.write();
    let old = admin.realm.clone();
    let new_name = rep.str("realm").map(str::to_string).filter(|n| *n != old);
    if let Some(n) = &new_name
        && store.realms.contains_key(n)
    {
        return Err(ApiError::conflict("Realm with same name exists"));
    }
    let realm = store
        .realms
        .get_mut(&old)
        .ok_or_else(|| ApiError::not_found("Realm not found."))?;
    for (k, v) in rep {
        if !v.is_null() && !NOT_SETTINGS.contains(&k.as_str()) {
            realm.settings.insert(k, v);
        }
    }
    if let Some(n) = new_name {
        let mut r = store.realms.shift_remove(&old).expect("exists");
        r.name = n.clone();
        store.realms.insert(n, r);
    }
    Ok(no_content())
}

async fn delete(admin: Admin) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let mut store = admin.app.write();
    if admin.realm == "master" {
        return Err(ApiError::bad_request("Cannot delete the master realm"));
    }
    store.realms.shift_remove(&admin.realm);
    if let Some(master) = store.realms.get_mut("master") {
        crate::realm_defaults::remove_master_management_client(master, &admin.realm);
    }
    Ok(no_content())
}

async fn keys(admin: Admin) -> ApiResult {
    admin.require(admin.view_realm())?;
    admin.read(|realm| {
        Ok(json_response(crate::key_providers::metadata(
            &admin.app, realm,
        )))
    })
}

/// The release reported for each simulated version: the releases whose behaviour
/// was checked (26.4.7 and 26.7.3 against the real servers).
pub fn release(config: &crate::app::Config) -> &'static str {
    match config.version {
        22 => "22.0.5",
        23 => "23.0.7",
        24 => "24.0.5",
        25 => "25.0.6",
        _ if config.at_least(26, 7) => "26.7.3",
        _ => "26.4.7",
    }
}

/// `GET /admin/serverinfo`, reduced to what clients read (the version).
async fn server_info(caller: Caller) -> ApiResult {
    let version = release(&caller.app.config);
    Ok(json_response(json!({
        "systemInfo": { "version": version, "serverTime": time::OffsetDateTime::now_utc().to_string() },
        "profileInfo": { "name": "community", "disabledFeatures": [], "previewFeatures": [], "experimentalFeatures": [] },
    })))
}
