//! Realm and client roles, composites, and the users/groups holding a role (§4.1).

use crate::auth::Admin;
use crate::errors::{ApiError, ApiResult};
use crate::http::{Query, created, flag, json_list, json_response, no_content, paging};
use crate::json::{Obj, ObjExt, parse_list, parse_object};
use crate::repr::ROLE;
use crate::state::{Realm, Role, new_id};
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::Arc;

/// Creates a role without checks (built-in content, imports).
pub fn insert(
    realm: &mut Realm,
    client: Option<&str>,
    name: &str,
    description: Option<&str>,
) -> String {
    let id = new_id();
    let role = Role {
        id: id.clone(),
        name: name.to_string(),
        description: description.map(str::to_string),
        client: client.map(str::to_string),
        attributes: Obj::new(),
        composites: Vec::new(),
    };
    realm.roles.insert(id.clone(), role);
    id
}

/// Removes a role and every reference to it.
pub fn remove_role(realm: &mut Realm, id: &str) {
    realm.roles.shift_remove(id);
    for r in realm.roles.values_mut() {
        r.composites.retain(|c| c != id);
    }
    for u in realm.users.values_mut() {
        u.roles.retain(|c| c != id);
    }
    for g in realm.groups.values_mut() {
        g.roles.retain(|c| c != id);
    }
}

/// Brief RoleRepresentation (`id,name,description,composite,clientRole,containerId`).
pub fn brief(realm: &Realm, r: &Role) -> Value {
    let mut v = json!({ "id": r.id, "name": r.name });
    if let Some(d) = &r.description {
        v["description"] = json!(d);
    }
    v["composite"] = json!(!r.composites.is_empty());
    v["clientRole"] = json!(r.client.is_some());
    v["containerId"] = json!(r.client.clone().unwrap_or_else(|| realm.id.clone()));
    v
}

pub fn full(realm: &Realm, r: &Role) -> Value {
    let mut v = brief(realm, r);
    v["attributes"] = Value::Object(r.attributes.clone());
    v
}

pub fn represent(realm: &Realm, r: &Role, brief_rep: bool) -> Value {
    if brief_rep {
        brief(realm, r)
    } else {
        full(realm, r)
    }
}

/// Resolves `composites` of a RoleRepresentation (by name) to role ids.
fn resolve_composites(realm: &Realm, comp: &Obj) -> ApiResult<Vec<String>> {
    let mut out = Vec::new();
    for name in comp.strs("realm") {
        let r = realm.realm_role(&name).ok_or_else(|| {
            ApiError::Message(
                StatusCode::NOT_FOUND,
                format!("Realm Role with name {name} does not exist"),
            )
        })?;
        out.push(r.id.clone());
    }
    for (client_id, names) in comp.obj("client").into_iter().flatten() {
        let client = realm.client_by_client_id(client_id).ok_or_else(|| {
            ApiError::Message(
                StatusCode::NOT_FOUND,
                format!("Client with client ID {client_id} does not exist"),
            )
        })?;
        for name in names
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let r = realm.client_role(&client.id, name).ok_or_else(|| {
                ApiError::Message(
                    StatusCode::NOT_FOUND,
                    format!("Client Role with name {name} does not exist"),
                )
            })?;
            out.push(r.id.clone());
        }
    }
    Ok(out)
}

/// Creates a role from a RoleRepresentation in a container (`None` = realm).
pub fn create(realm: &mut Realm, client: Option<&str>, rep: &Obj) -> ApiResult<String> {
    let name = rep
        .str("name")
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("role has no name"))?;
    let exists = match client {
        None => realm.realm_role(name).is_some(),
        Some(c) => realm.client_role(c, name).is_some(),
    };
    if exists {
        return Err(ApiError::conflict(format!(
            "Role with name {name} already exists"
        )));
    }
    let composites = match rep.obj("composites") {
        Some(comp) if rep.bool("composite") == Some(true) => resolve_composites(realm, comp)?,
        _ => Vec::new(),
    };
    let id = insert(realm, client, name, rep.str("description"));
    let role = realm.roles.get_mut(&id).expect("inserted");
    role.attributes = rep.obj("attributes").cloned().unwrap_or_default();
    role.composites = composites;
    Ok(id)
}

/// Which container a route addresses: realm roles or one client's roles.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Realm,
    Client,
}

struct Target {
    client: Option<String>,
}

impl Target {
    fn resolve(
        admin: &Admin,
        realm: &Realm,
        kind: Kind,
        client: Option<&str>,
    ) -> ApiResult<Target> {
        match kind {
            Kind::Realm => Ok(Target { client: None }),
            Kind::Client => {
                let id = client.unwrap_or_default();
                crate::clients::find(admin, realm, id)?;
                Ok(Target {
                    client: Some(id.to_string()),
                })
            }
        }
    }

    fn can_view(&self, admin: &Admin) -> bool {
        match self.client {
            None => admin.is_admin(),
            Some(_) => admin.list_clients(),
        }
    }

    fn can_manage(&self, admin: &Admin) -> bool {
        match self.client {
            None => admin.manage_realm(),
            Some(_) => admin.manage_clients(),
        }
    }

    fn role<'a>(&self, realm: &'a Realm, name: &str) -> ApiResult<&'a Role> {
        let r = match &self.client {
            None => realm.realm_role(name),
            Some(c) => realm.client_role(c, name),
        };
        r.ok_or_else(|| ApiError::not_found("Could not find role"))
    }

    fn location(&self, admin: &Admin, name: &str) -> String {
        let name = crate::http::encode_segment(name);
        match &self.client {
            None => admin.location(&format!("roles/{name}")),
            Some(c) => admin.location(&format!("clients/{c}/roles/{name}")),
        }
    }
}

/// Splits `(realm, [client,] rest...)` path parameters.
fn split(params: Vec<String>, kind: Kind) -> (Option<String>, Vec<String>) {
    let mut it = params.into_iter().skip(1);
    let client = if kind == Kind::Client {
        it.next()
    } else {
        None
    };
    (client, it.collect())
}

type P = Path<Vec<String>>;

pub fn routes() -> Router<Arc<crate::app::App>> {
    let mut r = Router::new();
    for (base, kind) in [
        ("/admin/realms/{realm}/roles", Kind::Realm),
        ("/admin/realms/{realm}/clients/{id}/roles", Kind::Client),
    ] {
        r = r
            .route(
                base,
                get(move |a: Admin, p: P, q: Query| list(a, p, q, kind))
                    .post(move |a: Admin, p: P, b: Bytes| post(a, p, b, kind)),
            )
            .route(
                &format!("{base}/{{role}}"),
                get(move |a: Admin, p: P| get_role(a, p, kind))
                    .put(move |a: Admin, p: P, b: Bytes| put(a, p, b, kind))
                    .delete(move |a: Admin, p: P| delete(a, p, kind)),
            )
            .route(
                &format!("{base}/{{role}}/composites"),
                get(move |a: Admin, p: P| composites(a, p, kind, None))
                    .post(move |a: Admin, p: P, b: Bytes| change_composites(a, p, b, kind, true))
                    .delete(move |a: Admin, p: P, b: Bytes| {
                        change_composites(a, p, b, kind, false)
                    }),
            )
            .route(
                &format!("{base}/{{role}}/composites/realm"),
                get(move |a: Admin, p: P| composites(a, p, kind, Some(None))),
            )
            .route(
                &format!("{base}/{{role}}/composites/clients/{{client}}"),
                get(move |a: Admin, Path(mut p): P| {
                    let c = p.pop();
                    composites(a, Path(p), kind, Some(c))
                }),
            )
            .route(
                &format!("{base}/{{role}}/users"),
                get(move |a: Admin, p: P, q: Query| holders(a, p, q, kind, true)),
            )
            .route(
                &format!("{base}/{{role}}/groups"),
                get(move |a: Admin, p: P, q: Query| holders(a, p, q, kind, false)),
            );
    }
    r.route(
        "/admin/realms/{realm}/roles-by-id/{role}",
        get(by_id_get).put(by_id_put).delete(by_id_delete),
    )
    .route(
        "/admin/realms/{realm}/roles-by-id/{role}/composites",
        get(by_id_composites)
            .post(|a: Admin, p: P, b: Bytes| by_id_change(a, p, b, true))
            .delete(|a: Admin, p: P, b: Bytes| by_id_change(a, p, b, false)),
    )
    .route(
        "/admin/realms/{realm}/roles-by-id/{role}/composites/realm",
        get(|a: Admin, Path(p): P| async move { by_id_composites_of(a, &p[1], Some(None)).await }),
    )
    .route(
        "/admin/realms/{realm}/roles-by-id/{role}/composites/clients/{client}",
        get(|a: Admin, Path(p): P| async move {
            by_id_composites_of(a, &p[1], Some(Some(p[2].clone()))).await
        }),
    )
}

async fn list(admin: Admin, Path(p): P, q: Query, kind: Kind) -> ApiResult {
    let (client, _) = split(p, kind);
    admin.read(|realm| {
        let t = Target::resolve(&admin, realm, kind, client.as_deref())?;
        admin.require(t.can_view(&admin))?;
        let search = q
            .get("search")
            .map(|s| s.to_lowercase())
            .filter(|s| !s.is_empty());
        let brief_rep = flag(&q, "briefRepresentation", true);
        let mut roles: Vec<&Role> = realm
            .roles_of(t.client.as_deref())
            .filter(|r| {
                search
                    .as_ref()
                    .is_none_or(|s| r.name.to_lowercase().contains(s))
            })
            .collect();
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        // Paging applies only when both first and max are given, or with search.
        let page = paging(&q, None, None);
        let roles = if search.is_some() || (q.contains_key("first") && q.contains_key("max")) {
            page.apply(roles)
        } else {
            roles
        };
        Ok(json_list(
            roles
                .into_iter()
                .map(|r| represent(realm, r, brief_rep))
                .collect(),
        ))
    })
}

async fn post(admin: Admin, Path(p): P, body: Bytes, kind: Kind) -> ApiResult {
    let (client, _) = split(p, kind);
    let rep = parse_object(&body, &ROLE)?;
    admin.write(|realm| {
        let t = Target::resolve(&admin, realm, kind, client.as_deref())?;
        admin.require(t.can_manage(&admin))?;
        create(realm, t.client.as_deref(), &rep)?;
        Ok(created(
            t.location(&admin, rep.str("name").unwrap_or_default()),
        ))
    })
}

async fn get_role(admin: Admin, Path(p): P, kind: Kind) -> ApiResult {
    let (client, rest) = split(p, kind);
    admin.read(|realm| {
        let t = Target::resolve(&admin, realm, kind, client.as_deref())?;
        admin.require(t.can_view(&admin))?;
        Ok(json_response(full(realm, t.role(realm, &rest[0])?)))
    })
}

/// Updates name, description and (when given) attributes of a role.
fn update_role(realm: &mut Realm, id: &str, rep: &Obj) -> ApiResult<()> {
    let role = &realm.roles[id];
    if let Some(name) = rep.str("name").filter(|n| *n != role.name) {
        let clash = realm
            .roles
            .values()
            .any(|r| r.client == role.client && r.name == name);
        if clash {
            return Err(ApiError::conflict(format!(
                "Role with name {name} already exists"
            )));
        }
    }
    let role = realm.roles.get_mut(id).expect("exists");
    if let Some(name) = rep.str("name") {
        role.name = name.to_string();
    }
    if rep.contains_key("description") {
        role.description = rep.str("description").map(str::to_string);
    }
    if let Some(attrs) = rep.obj("attributes") {
        role.attributes = attrs.clone();
    }
    Ok(())
}

async fn put(admin: Admin, Path(p): P, body: Bytes, kind: Kind) -> ApiResult {
    let (client, rest) = split(p, kind);
    let rep = parse_object(&body, &ROLE)?;
    admin.write(|realm| {
        let t = Target::resolve(&admin, realm, kind, client.as_deref())?;
        admin.require(t.can_manage(&admin))?;
        let id = t.role(realm, &rest[0])?.id.clone();
        update_role(realm, &id, &rep)?;
        Ok(no_content())
    })
}

fn delete_checked(realm: &mut Realm, id: &str) -> ApiResult<()> {
    if realm.default_role == id {
        return Err(ApiError::Message(
            StatusCode::BAD_REQUEST,
            "You can't delete the default role".into(),
        ));
    }
    remove_role(realm, id);
    Ok(())
}

async fn delete(admin: Admin, Path(p): P, kind: Kind) -> ApiResult {
    let (client, rest) = split(p, kind);
    admin.write(|realm| {
        let t = Target::resolve(&admin, realm, kind, client.as_deref())?;
        admin.require(t.can_manage(&admin))?;
        let id = t.role(realm, &rest[0])?.id.clone();
        delete_checked(realm, &id)?;
        Ok(no_content())
    })
}

/// Direct composites of a role, optionally only realm (`Some(None)`) or one
/// client's (`Some(Some(uuid))`).
/// A role's composites in the brief form, all of them (`None`), the realm roles
/// (`Some(None)`) or one client's (`Some(Some(uuid))`, which must exist).
fn composite_roles<'a>(
    realm: &'a Realm,
    role: &Role,
    only: Option<Option<String>>,
) -> ApiResult<Vec<&'a Role>> {
    if let Some(Some(client)) = &only
        && !realm.clients.contains_key(client)
    {
        return Err(ApiError::not_found("Could not find client"));
    }
    Ok(role
        .composites
        .iter()
        .filter_map(|id| realm.roles.get(id))
        .filter(|r| only.as_ref().is_none_or(|o| r.client == *o))
        .collect())
}

fn list_composites(
    realm: &Realm,
    role: &Role,
    only: Option<Option<String>>,
) -> ApiResult<Vec<Value>> {
    Ok(composite_roles(realm, role, only)?
        .into_iter()
        .map(|r| brief(realm, r))
        .collect())
}

async fn composites(
    admin: Admin,
    Path(p): P,
    kind: Kind,
    only: Option<Option<String>>,
) -> ApiResult {
    let (client, rest) = split(p, kind);
    admin.read(|realm| {
        let t = Target::resolve(&admin, realm, kind, client.as_deref())?;
        admin.require(t.can_view(&admin))?;
        let role = t.role(realm, &rest[0])?;
        Ok(json_list(list_composites(realm, role, only)?))
    })
}

/// Adds or removes composites given as RoleRepresentations (looked up by id).
fn change(realm: &mut Realm, id: &str, reps: &[Obj], add: bool) -> ApiResult<()> {
    let mut ids = Vec::new();
    for rep in reps {
        let rid = rep.str("id").filter(|r| realm.roles.contains_key(*r));
        let rid = rid.ok_or_else(|| ApiError::not_found("Could not find composite role"))?;
        ids.push(rid.to_string());
    }
    let role = realm.roles.get_mut(id).expect("exists");
    for rid in ids {
        if add {
            if !role.composites.contains(&rid) && rid != id {
                role.composites.push(rid);
            }
        } else {
            role.composites.retain(|c| *c != rid);
        }
    }
    Ok(())
}

async fn change_composites(
    admin: Admin,
    Path(p): P,
    body: Bytes,
    kind: Kind,
    add: bool,
) -> ApiResult {
    let (client, rest) = split(p, kind);
    let reps = parse_list(&body, &ROLE)?;
    admin.write(|realm| {
        let t = Target::resolve(&admin, realm, kind, client.as_deref())?;
        admin.require(t.can_manage(&admin))?;
        let id = t.role(realm, &rest[0])?.id.clone();
        change(realm, &id, &reps, add)?;
        Ok(no_content())
    })
}

/// Users (`users=true`) or groups with a direct mapping of the role.
async fn holders(admin: Admin, Path(p): P, q: Query, kind: Kind, users: bool) -> ApiResult {
    let (client, rest) = split(p, kind);
    admin.read(|realm| {
        let t = Target::resolve(&admin, realm, kind, client.as_deref())?;
        admin.require(t.can_view(&admin) && (admin.query_users() || admin.list_groups()))?;
        let id = t.role(realm, &rest[0])?.id.clone();
        let page = paging(&q, Some(0), Some(100));
        let items = if users {
            let brief_rep = flag(&q, "briefRepresentation", false);
            page.apply(realm.users.values().filter(|u| u.roles.contains(&id)))
                .into_iter()
                .map(|u| crate::users::represent(u, brief_rep, None))
                .collect()
        } else {
            let brief_rep = flag(&q, "briefRepresentation", true);
            page.apply(realm.groups.values().filter(|g| g.roles.contains(&id)))
                .into_iter()
                .map(|g| crate::groups::represent(realm, g, brief_rep, &admin, false))
                .collect()
        };
        Ok(json_list(items))
    })
}

/// Permission check for a role addressed by id.
fn by_id_can(admin: &Admin, role: &Role, manage: bool) -> bool {
    match (&role.client, manage) {
        (None, false) => admin.is_admin(),
        (None, true) => admin.manage_realm(),
        (Some(_), false) => admin.list_clients(),
        (Some(_), true) => admin.manage_clients(),
    }
}

fn by_id<'a>(realm: &'a Realm, id: &str) -> ApiResult<&'a Role> {
    realm
        .roles
        .get(id)
        .ok_or_else(|| ApiError::not_found("Could not find role with id"))
}

async fn by_id_get(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.read(|realm| {
        let r = by_id(realm, &id)?;
        admin.require(by_id_can(&admin, r, false))?;
        Ok(json_response(full(realm, r)))
    })
}

async fn by_id_put(admin: Admin, Path((_, id)): Path<(String, String)>, body: Bytes) -> ApiResult {
    let rep = parse_object(&body, &ROLE)?;
    admin.write(|realm| {
        let r = by_id(realm, &id)?;
        admin.require(by_id_can(&admin, r, true))?;
        update_role(realm, &id, &rep)?;
        Ok(no_content())
    })
}

async fn by_id_delete(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.write(|realm| {
        let r = by_id(realm, &id)?;
        admin.require(by_id_can(&admin, r, true))?;
        delete_checked(realm, &id)?;
        Ok(no_content())
    })
}

/// `GET /roles-by-id/{id}/composites`: by name, filtered by `search` (a
/// case-insensitive substring) and paged by `first`/`max`, as Keycloak's model query.
async fn by_id_composites(
    admin: Admin,
    Path((_, id)): Path<(String, String)>,
    q: Query,
) -> ApiResult {
    admin.read(|realm| {
        let r = by_id(realm, &id)?;
        admin.require(by_id_can(&admin, r, false))?;
        let search = q.get("search").map(|s| s.to_lowercase());
        let mut roles: Vec<&Role> = composite_roles(realm, r, None)?
            .into_iter()
            .filter(|c| {
                search
                    .as_ref()
                    .is_none_or(|s| c.name.to_lowercase().contains(s))
            })
            .collect();
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        let page = paging(&q, None, None);
        Ok(json_list(
            page.apply(roles)
                .into_iter()
                .map(|c| brief(realm, c))
                .collect(),
        ))
    })
}

/// `GET /roles-by-id/{id}/composites/realm` and `…/clients/{client}`.
async fn by_id_composites_of(admin: Admin, id: &str, only: Option<Option<String>>) -> ApiResult {
    admin.read(|realm| {
        let r = by_id(realm, id)?;
        admin.require(by_id_can(&admin, r, false))?;
        Ok(json_list(list_composites(realm, r, only)?))
    })
}

async fn by_id_change(admin: Admin, Path(p): P, body: Bytes, add: bool) -> ApiResult {
    let reps = parse_list(&body, &ROLE)?;
    admin.write(|realm| {
        let r = by_id(realm, &p[1])?;
        admin.require(by_id_can(&admin, r, true))?;
        change(realm, &p[1], &reps, add)?;
        Ok(no_content())
    })
}
