//! Client scopes and the realm's default client scopes.

use crate::auth::Admin;
use crate::errors::{ApiError, ApiResult};
use crate::http::{created, json_list, json_response, no_content};
use crate::json::{Obj, ObjExt, parse_object, render};
use crate::repr::CLIENT_SCOPE;
use crate::state::{ClientScope, Realm, new_id};
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::routing::{get, put};
use serde_json::{Value, json};
use std::sync::Arc;

pub fn represent(s: &ClientScope) -> Value {
    let mut m = Obj::new();
    m.insert("id".into(), json!(s.id));
    for (k, v) in &s.rep {
        m.insert(k.clone(), v.clone());
    }
    if !s.mappers.is_empty() {
        m.insert(
            "protocolMappers".into(),
            Value::Array(s.mappers.iter().cloned().map(Value::Object).collect()),
        );
    }
    render(&m, &CLIENT_SCOPE)
}

fn find<'a>(realm: &'a Realm, id: &str) -> ApiResult<&'a ClientScope> {
    realm
        .scopes
        .get(id)
        .ok_or_else(|| ApiError::not_found("Could not find client scope"))
}

pub fn routes() -> Router<Arc<crate::app::App>> {
    Router::new()
        .route(
            "/admin/realms/{realm}/client-scopes",
            get(list).post(create),
        )
        .route(
            "/admin/realms/{realm}/client-scopes/{id}",
            get(get_one).put(update).delete(delete),
        )
        .route(
            "/admin/realms/{realm}/default-default-client-scopes",
            get(|a: Admin| defaults(a, false)),
        )
        .route(
            "/admin/realms/{realm}/default-optional-client-scopes",
            get(|a: Admin| defaults(a, true)),
        )
        .route(
            "/admin/realms/{realm}/default-default-client-scopes/{id}",
            put(|a: Admin, p: Path<(String, String)>| link(a, p, false, true))
                .delete(|a: Admin, p: Path<(String, String)>| link(a, p, false, false)),
        )
        .route(
            "/admin/realms/{realm}/default-optional-client-scopes/{id}",
            put(|a: Admin, p: Path<(String, String)>| link(a, p, true, true))
                .delete(|a: Admin, p: Path<(String, String)>| link(a, p, true, false)),
        )
}

async fn list(admin: Admin) -> ApiResult {
    admin.require(admin.is_admin())?;
    admin.read(|realm| Ok(json_list(realm.scopes.values().map(represent).collect())))
}

async fn create(admin: Admin, body: Bytes) -> ApiResult {
    admin.require(admin.manage_clients())?;
    let mut rep = parse_object(&body, &CLIENT_SCOPE)?;
    admin.write(|realm| {
        let name = rep.str("name").unwrap_or_default().to_string();
        if realm
            .scopes
            .values()
            .any(|s| s.rep.str("name") == Some(name.as_str()))
        {
            return Err(ApiError::conflict(format!(
                "Client Scope {name} already exists"
            )));
        }
        let id = rep.str("id").map(str::to_string).unwrap_or_else(new_id);
        let mappers = rep.remove("protocolMappers");
        rep.remove("id");
        rep.retain(|_, v| !v.is_null());
        let protocol = rep.str("protocol").unwrap_or("openid-connect").to_string();
        let mut scope = ClientScope {
            id: id.clone(),
            rep,
            mappers: Vec::new(),
        };
        for m in mappers
            .and_then(|m| m.as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| m.as_object().cloned())
        {
            crate::mappers::add(&mut scope.mappers, m, &protocol)?;
        }
        realm.scopes.insert(id.clone(), scope);
        Ok(created(admin.location(&format!("client-scopes/{id}"))))
    })
}

async fn get_one(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.is_admin())?;
    admin.read(|realm| Ok(json_response(represent(find(realm, &id)?))))
}

async fn update(admin: Admin, Path((_, id)): Path<(String, String)>, body: Bytes) -> ApiResult {
    admin.require(admin.manage_clients())?;
    let rep = parse_object(&body, &CLIENT_SCOPE)?;
    admin.write(|realm| {
        find(realm, &id)?;
        let s = realm.scopes.get_mut(&id).expect("found");
        for (k, v) in rep {
            if !v.is_null() && !matches!(k.as_str(), "id" | "protocolMappers") {
                s.rep.insert(k, v);
            }
        }
        Ok(no_content())
    })
}

async fn delete(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.manage_clients())?;
    admin.write(|realm| {
        find(realm, &id)?;
        realm.scopes.shift_remove(&id);
        realm.default_default_scopes.retain(|s| *s != id);
        realm.default_optional_scopes.retain(|s| *s != id);
        for c in realm.clients.values_mut() {
            c.default_scopes.retain(|s| *s != id);
            c.optional_scopes.retain(|s| *s != id);
        }
        Ok(no_content())
    })
}

async fn defaults(admin: Admin, optional: bool) -> ApiResult {
    admin.require(admin.is_admin())?;
    admin.read(|realm| {
        let ids = if optional {
            &realm.default_optional_scopes
        } else {
            &realm.default_default_scopes
        };
        let items = ids
            .iter()
            .filter_map(|id| realm.scopes.get(id))
            .map(|s| json!({ "id": s.id, "name": s.rep.str("name") }))
            .collect();
        Ok(json_list(items))
    })
}

async fn link(
    admin: Admin,
    Path((_, id)): Path<(String, String)>,
    optional: bool,
    add: bool,
) -> ApiResult {
    admin.require(admin.manage_realm())?;
    admin.write(|realm| {
        find(realm, &id)?;
        realm.default_default_scopes.retain(|s| *s != id);
        realm.default_optional_scopes.retain(|s| *s != id);
        if add {
            let list = if optional {
                &mut realm.default_optional_scopes
            } else {
                &mut realm.default_default_scopes
            };
            list.push(id);
        }
        Ok(no_content())
    })
}
