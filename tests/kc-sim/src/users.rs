//! Users, their group memberships and service-account users (§4.4).

use crate::auth::Admin;
use crate::errors::{ApiError, ApiResult};
use crate::http::{Query, created, flag, json_list, json_response, no_content, paging};
use crate::json::{Obj, ObjExt, parse_object, render};
use crate::repr::{CREDENTIAL, USER};
use crate::state::{Group, Realm, User, new_id, now_ms};
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, put};
use serde_json::{Value, json};
use std::sync::Arc;

/// Properties of a UserRepresentation kept on the user.
const STORED: &[&str] = &[
    "username",
    "firstName",
    "lastName",
    "email",
    "emailVerified",
    "attributes",
    "enabled",
    "totp",
    "federationLink",
    "requiredActions",
    "notBefore",
];

/// Adds a user without checks; returns its id. New users get the realm's default role.
pub fn insert(realm: &mut Realm, mut rep: Obj, password: Option<String>) -> String {
    let id = rep.str("id").map(str::to_string).unwrap_or_else(new_id);
    if let Some(u) = rep.str("username").map(str::to_lowercase) {
        rep.insert("username".into(), json!(u));
    }
    rep.retain(|k, v| {
        !v.is_null() && (STORED.contains(&k.as_str()) || k == "serviceAccountClientId")
    });
    rep.entry("enabled").or_insert(json!(false));
    rep.entry("emailVerified").or_insert(json!(false));
    rep.insert("createdTimestamp".into(), json!(now_ms()));
    let user = User {
        id: id.clone(),
        rep,
        password,
        groups: Vec::new(),
        roles: vec![realm.default_role.clone()],
    };
    realm.users.insert(id.clone(), user);
    id
}

/// Creates the `service-account-<clientId>` user of a client if missing.
pub fn ensure_service_account(realm: &mut Realm, client_uuid: &str) {
    if realm.service_account_of(client_uuid).is_some() {
        return;
    }
    let client_id = realm.clients[client_uuid].client_id().to_lowercase();
    let rep = json!({
        "username": format!("service-account-{client_id}"),
        "enabled": true,
        "serviceAccountClientId": client_uuid,
    });
    insert(realm, rep.as_object().cloned().unwrap_or_default(), None);
}

pub fn remove_service_account(realm: &mut Realm, client_uuid: &str) {
    realm
        .users
        .retain(|_, u| u.rep.str("serviceAccountClientId") != Some(client_uuid));
}

/// UserRepresentation; brief = the list form of §4.4.
pub fn represent(u: &User, brief: bool, access: Option<Value>) -> Value {
    let mut m = u.rep.clone();
    m.insert("id".into(), json!(u.id));
    m.entry("totp").or_insert(json!(false));
    let empty_attrs = m.obj("attributes").is_none_or(|a| a.is_empty());
    if brief || empty_attrs {
        m.remove("attributes");
    }
    if brief {
        m.retain(|k, _| {
            matches!(
                k.as_str(),
                "id" | "username"
                    | "firstName"
                    | "lastName"
                    | "email"
                    | "emailVerified"
                    | "enabled"
                    | "createdTimestamp"
                    | "federationLink"
            )
        });
    } else {
        m.insert("disableableCredentialTypes".into(), json!([]));
        m.entry("requiredActions").or_insert(json!([]));
        m.entry("notBefore").or_insert(json!(0));
    }
    if let Some(a) = access {
        m.insert("access".into(), a);
    }
    render(&m, &USER)
}

fn access(admin: &Admin) -> Value {
    let m = admin.manage_users();
    json!({ "view": admin.view_users(), "manageGroupMembership": m, "manage": m, "impersonate": false, "mapRoles": m })
}

fn find<'a>(realm: &'a Realm, id: &str) -> ApiResult<&'a User> {
    realm
        .users
        .get(id)
        .ok_or_else(|| ApiError::not_found("User not found"))
}

pub fn routes() -> Router<Arc<crate::app::App>> {
    const U: &str = "/admin/realms/{realm}/users/{id}";
    Router::new()
        .route("/admin/realms/{realm}/users", get(list).post(create))
        .route("/admin/realms/{realm}/users/count", get(count))
        .route(U, get(get_one).put(update).delete(delete))
        .route(&format!("{U}/reset-password"), put(reset_password))
        .route(&format!("{U}/groups"), get(groups))
        .route(&format!("{U}/groups/count"), get(groups_count))
        .route(&format!("{U}/groups/{{group}}"), put(join).delete(leave))
}

/// Keycloak's user search string: `"x"` exact, `*x*` infix, otherwise prefix.
fn search_matches(pattern: &str, value: &str) -> bool {
    let value = value.to_lowercase();
    let p = pattern.trim().to_lowercase();
    if p.len() >= 2 && p.starts_with('"') && p.ends_with('"') {
        return value == p[1..p.len() - 1];
    }
    if let Some(inner) = p.strip_prefix('*') {
        return value.contains(inner.trim_end_matches('*'));
    }
    value.starts_with(p.trim_end_matches('*'))
}

/// The built-in user fields; searches compare them case-insensitively, as a
/// substring unless `exact`.
const BUILT_IN: [&str; 4] = ["username", "email", "firstName", "lastName"];

fn built_in_matches(u: &User, key: &str, wanted: &str, exact: bool) -> bool {
    let value = u.rep.str(key).unwrap_or_default().to_lowercase();
    let wanted = wanted.to_lowercase();
    if exact {
        value == wanted
    } else {
        value.contains(&wanted)
    }
}

/// One `key:value` term of `q`: a built-in field is searched like its own query
/// parameter (Keycloak maps both to the same search key); any other key is an
/// attribute that must hold the value.
fn query_term_matches(u: &User, key: &str, value: &str, exact: bool) -> bool {
    if BUILT_IN.contains(&key) {
        return built_in_matches(u, key, value, exact);
    }
    u.rep
        .obj("attributes")
        .and_then(|a| a.get(key))
        .and_then(Value::as_array)
        .is_some_and(|vals| vals.iter().any(|x| x == value))
}

fn filtered<'a>(realm: &'a Realm, q: &Query) -> Vec<&'a User> {
    let exact = flag(q, "exact", false);
    let field_matches = |u: &User, key: &str| {
        q.get(key)
            .is_none_or(|w| built_in_matches(u, key, w, exact))
    };
    let mut users: Vec<&User> = realm
        .users
        .values()
        .filter(|u| u.rep.str("serviceAccountClientId").is_none())
        .filter(|u| {
            q.get("search").is_none_or(|s| {
                BUILT_IN
                    .iter()
                    .any(|k| u.rep.str(k).is_some_and(|v| search_matches(s, v)))
            })
        })
        .filter(|u| BUILT_IN.iter().all(|k| field_matches(u, k)))
        .filter(|u| {
            q.get("enabled")
                .is_none_or(|e| u.enabled() == e.eq_ignore_ascii_case("true"))
        })
        .filter(|u| {
            q.get("q").is_none_or(|query| {
                query
                    .split(' ')
                    .filter_map(|p| p.split_once(':'))
                    .all(|(k, v)| query_term_matches(u, k, v, exact))
            })
        })
        .collect();
    users.sort_by(|a, b| a.username().cmp(b.username()));
    users
}

async fn list(admin: Admin, q: Query) -> ApiResult {
    admin.require(admin.query_users())?;
    admin.read(|realm| {
        let brief = flag(&q, "briefRepresentation", false);
        let page = paging(&q, None, Some(100));
        let a = access(&admin);
        let users = page.apply(filtered(realm, &q));
        Ok(json_list(
            users
                .into_iter()
                .map(|u| represent(u, brief, Some(a.clone())))
                .collect(),
        ))
    })
}

async fn count(admin: Admin, q: Query) -> ApiResult {
    admin.require(admin.query_users())?;
    admin.read(|realm| Ok(json_response(json!(filtered(realm, &q).len()))))
}

fn password_of(rep: &Obj) -> Option<String> {
    rep.get("credentials")?
        .as_array()?
        .iter()
        .filter_map(Value::as_object)
        .find(|c| c.str("type").unwrap_or("password") == "password")
        .and_then(|c| c.str("value").map(str::to_string))
}

fn check_unique(realm: &Realm, id: Option<&str>, rep: &Obj) -> ApiResult<()> {
    let others = || realm.users.values().filter(|u| Some(u.id.as_str()) != id);
    if let Some(name) = rep.str("username").map(str::to_lowercase)
        && others().any(|u| u.username() == name)
    {
        return Err(ApiError::conflict("User exists with same username"));
    }
    let dup_emails = !realm
        .settings
        .bool("duplicateEmailsAllowed")
        .unwrap_or(false);
    if let Some(email) = rep.str("email").filter(|e| !e.is_empty() && dup_emails)
        && others().any(|u| {
            u.rep
                .str("email")
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
    {
        return Err(ApiError::conflict("User exists with same email"));
    }
    Ok(())
}

/// The default user profile's `length` validator on `username` (min 3, max 255; seen on
/// 26.4.7 and 26.7.3).
fn check_username_length(username: &str) -> ApiResult<()> {
    let length = username.chars().count();
    if (3..=255).contains(&length) {
        return Ok(());
    }
    Err(ApiError::Validation(
        "username".into(),
        "error-invalid-length".into(),
        vec![json!(3), json!(255)],
    ))
}

/// The attributes Keycloak 26's default user profile manages. Its unmanaged-attribute
/// policy is off, so any other attribute given on create or update is dropped without
/// an error (seen on 26.4.7 and 26.7.3); `attributes.firstName` and the like set the field.
const MANAGED: &[&str] = &["username", "email", "firstName", "lastName"];

/// Applies the default user profile to a representation: managed attributes given in
/// `attributes` become their fields (unless the field itself is given), the rest go.
fn apply_user_profile(rep: &mut Obj) {
    let Some(Value::Object(attrs)) = rep.remove("attributes") else {
        return;
    };
    for (name, value) in attrs {
        let first = value.as_array().and_then(|v| v.first()).cloned();
        if let Some(v) = first.filter(|_| MANAGED.contains(&name.as_str())) {
            rep.entry(name).or_insert(v);
        }
    }
}

async fn create(admin: Admin, body: Bytes) -> ApiResult {
    admin.require(admin.manage_users())?;
    let mut rep = parse_object(&body, &USER)?;
    if admin.app.config.version >= 26 {
        apply_user_profile(&mut rep);
    }
    let id = admin.write(|realm| {
        if rep.str("username").is_none_or(|u| u.trim().is_empty()) {
            // User-profile validation (26.x) names the field.
            return Err(ApiError::Validation(
                "username".into(),
                "error-user-attribute-required".into(),
                Vec::new(),
            ));
        }
        if admin.app.config.version >= 26 {
            check_username_length(rep.str("username").unwrap_or_default())?;
        }
        check_unique(realm, None, &rep)?;
        let group_paths = rep.strs("groups");
        let mut groups = Vec::new();
        for path in &group_paths {
            let g = realm.group_by_path(path).ok_or_else(|| {
                ApiError::Message(StatusCode::BAD_REQUEST, format!("Group {path} not found"))
            })?;
            groups.push(g.id.clone());
        }
        let password = password_of(&rep);
        let mut rep = rep;
        rep.remove("id");
        let id = insert(realm, rep, password);
        realm.users.get_mut(&id).expect("inserted").groups = groups;
        Ok(id)
    })?;
    Ok(created(admin.location(&format!("users/{id}"))))
}

async fn get_one(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.view_users())?;
    admin.read(|realm| {
        Ok(json_response(represent(
            find(realm, &id)?,
            false,
            Some(access(&admin)),
        )))
    })
}

async fn update(admin: Admin, Path((_, id)): Path<(String, String)>, body: Bytes) -> ApiResult {
    admin.require(admin.manage_users())?;
    let mut rep = parse_object(&body, &USER)?;
    if admin.app.config.version >= 26 {
        apply_user_profile(&mut rep);
    }
    admin.write(|realm| {
        find(realm, &id)?;
        check_unique(realm, Some(&id), &rep)?;
        let user = realm.users.get_mut(&id).expect("found");
        for k in STORED {
            if let Some(v) = rep.get(*k).filter(|v| !v.is_null()) {
                let v = if *k == "username" {
                    json!(v.as_str().unwrap_or_default().to_lowercase())
                } else {
                    v.clone()
                };
                user.rep.insert((*k).to_string(), v);
            }
        }
        if let Some(p) = password_of(&rep) {
            user.password = Some(p);
        }
        Ok(no_content())
    })
}

async fn delete(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.manage_users())?;
    admin.write(|realm| {
        find(realm, &id)?;
        realm.users.shift_remove(&id);
        Ok(no_content())
    })
}

async fn reset_password(
    admin: Admin,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    admin.require(admin.manage_users())?;
    let cred = parse_object(&body, &CREDENTIAL)?;
    admin.write(|realm| {
        find(realm, &id)?;
        let value = cred
            .str("value")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::bad_request("Password is missing"))?;
        realm.users.get_mut(&id).expect("found").password = Some(value.to_string());
        Ok(no_content())
    })
}

async fn groups(admin: Admin, Path((_, id)): Path<(String, String)>, q: Query) -> ApiResult {
    admin.require(admin.view_users())?;
    admin.read(|realm| {
        let brief = flag(&q, "briefRepresentation", true);
        let page = paging(&q, None, None);
        Ok(json_list(
            page.apply(user_groups(realm, find(realm, &id)?, &q))
                .into_iter()
                .map(|g| crate::groups::represent_membership(realm, g, brief))
                .collect(),
        ))
    })
}

/// A user's direct groups whose name contains `search` (case-insensitive), by name.
fn user_groups<'a>(realm: &'a Realm, user: &User, q: &Query) -> Vec<&'a Group> {
    let search = q.get("search").map(|s| s.to_lowercase());
    let mut groups: Vec<_> = user
        .groups
        .iter()
        .filter_map(|g| realm.groups.get(g))
        .filter(|g| {
            search
                .as_ref()
                .is_none_or(|s| g.name.to_lowercase().contains(s))
        })
        .collect();
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    groups
}

async fn groups_count(admin: Admin, Path((_, id)): Path<(String, String)>, q: Query) -> ApiResult {
    admin.require(admin.view_users())?;
    admin.read(|realm| {
        let n = user_groups(realm, find(realm, &id)?, &q).len();
        Ok(json_response(json!({ "count": n })))
    })
}

async fn join(admin: Admin, Path((_, id, group)): Path<(String, String, String)>) -> ApiResult {
    membership(admin, id, group, true)
}

async fn leave(admin: Admin, Path((_, id, group)): Path<(String, String, String)>) -> ApiResult {
    membership(admin, id, group, false)
}

fn membership(admin: Admin, id: String, group: String, join: bool) -> ApiResult {
    admin.require(admin.manage_users())?;
    admin.write(|realm| {
        find(realm, &id)?;
        if !realm.groups.contains_key(&group) {
            return Err(ApiError::not_found("Group not found"));
        }
        let user = realm.users.get_mut(&id).expect("found");
        if join {
            if !user.groups.contains(&group) {
                user.groups.push(group);
            }
        } else {
            user.groups.retain(|g| *g != group);
        }
        Ok(no_content())
    })
}
