//! Groups (§4.2): top-level listing (Keycloak 22 full tree vs 23+ top level
//! with `subGroupCount`), search with hierarchy, children, members, count.

use crate::auth::Admin;
use crate::errors::{ApiError, ApiResult};
use crate::http::{Query, created, flag, json_list, json_response, no_content, paging};
use crate::json::{Obj, ObjExt, parse_object, render};
use crate::repr::GROUP;
use crate::state::{Group, Realm, new_id};
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// GroupRepresentation. `inline` puts the whole subtree into `subGroups`
/// (Keycloak ≤ 22 listings and search hierarchies).
pub fn represent(realm: &Realm, g: &Group, brief: bool, admin: &Admin, inline: bool) -> Value {
    represent_filtered(realm, g, brief, admin, inline.then_some(None))
}

/// `subtree`: `None` = no children inlined; `Some(None)` = all descendants;
/// `Some(Some(set))` = only descendants in the set (search hierarchies).
fn represent_filtered(
    realm: &Realm,
    g: &Group,
    brief: bool,
    admin: &Admin,
    subtree: Option<Option<&HashSet<String>>>,
) -> Value {
    let v22 = admin.app.config.version <= 22;
    let mut m = Obj::new();
    m.insert("id".into(), json!(g.id));
    m.insert("name".into(), json!(g.name));
    if let Some(d) = &g.description {
        m.insert("description".into(), json!(d));
    }
    m.insert("path".into(), json!(realm.group_path(&g.id)));
    if !v22 {
        if let Some(p) = &g.parent {
            m.insert("parentId".into(), json!(p));
        }
        m.insert(
            "subGroupCount".into(),
            json!(realm.children_of(Some(&g.id)).count()),
        );
    }
    let children: Vec<Value> = match subtree {
        None => Vec::new(),
        Some(filter) => sorted(realm.children_of(Some(&g.id)))
            .into_iter()
            .filter(|c| filter.is_none_or(|f| f.contains(&c.id)))
            .map(|c| represent_filtered(realm, c, brief, admin, Some(filter)))
            .collect(),
    };
    m.insert("subGroups".into(), Value::Array(children));
    if !brief {
        m.insert("attributes".into(), Value::Object(g.attributes.clone()));
        let (realm_roles, client_roles) = role_names(realm, &g.roles);
        m.insert("realmRoles".into(), json!(realm_roles));
        m.insert("clientRoles".into(), json!(client_roles));
    }
    let manage = admin.manage_users();
    m.insert(
        "access".into(),
        json!({ "view": admin.view_users() || admin.list_groups(), "viewMembers": admin.view_users(), "manageMembers": manage, "manage": manage, "manageMembership": manage }),
    );
    render(&m, &GROUP)
}

/// A group as a user's membership lists it (`GET /users/{id}/groups`): id, name, path,
/// parent and an empty `subGroups`; the full form adds attributes and role names. Keycloak
/// builds it without hierarchy or access data.
pub fn represent_membership(realm: &Realm, g: &Group, brief: bool) -> Value {
    let mut m = Obj::new();
    m.insert("id".into(), json!(g.id));
    m.insert("name".into(), json!(g.name));
    m.insert("path".into(), json!(realm.group_path(&g.id)));
    if let Some(p) = &g.parent {
        m.insert("parentId".into(), json!(p));
    }
    m.insert("subGroups".into(), json!([]));
    if !brief {
        m.insert("attributes".into(), Value::Object(g.attributes.clone()));
        let (realm_roles, client_roles) = role_names(realm, &g.roles);
        m.insert("realmRoles".into(), json!(realm_roles));
        m.insert("clientRoles".into(), json!(client_roles));
    }
    render(&m, &GROUP)
}

/// Names of directly mapped roles: realm role names and `{clientId: [names]}`.
pub fn role_names(realm: &Realm, ids: &[String]) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    let mut realm_roles = Vec::new();
    let mut client_roles: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in ids.iter().filter_map(|id| realm.roles.get(id)) {
        match &r.client {
            None => realm_roles.push(r.name.clone()),
            Some(c) => {
                let cid = realm
                    .clients
                    .get(c)
                    .map(|c| c.client_id().to_string())
                    .unwrap_or_default();
                client_roles.entry(cid).or_default().push(r.name.clone());
            }
        }
    }
    (realm_roles, client_roles)
}

fn sorted<'a>(groups: impl Iterator<Item = &'a Group>) -> Vec<&'a Group> {
    let mut v: Vec<&Group> = groups.collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn find<'a>(realm: &'a Realm, id: &str) -> ApiResult<&'a Group> {
    realm
        .groups
        .get(id)
        .ok_or_else(|| ApiError::not_found("Could not find group by id"))
}

/// Creates a group under `parent` (checks name and sibling uniqueness).
pub fn create(realm: &mut Realm, parent: Option<&str>, rep: &Obj) -> ApiResult<String> {
    let name = rep.str("name").map(str::trim).filter(|n| !n.is_empty());
    let name = name
        .ok_or_else(|| ApiError::Message(StatusCode::BAD_REQUEST, "Group name is missing".into()))?
        .to_string();
    if realm.children_of(parent).any(|g| g.name == name) {
        return Err(ApiError::conflict(match parent {
            None => format!("Top level group named '{name}' already exists."),
            Some(_) => format!("Sibling group named '{name}' already exists."),
        }));
    }
    let id = new_id();
    let group = Group {
        id: id.clone(),
        name,
        description: rep.str("description").map(str::to_string),
        parent: parent.map(str::to_string),
        attributes: rep.obj("attributes").cloned().unwrap_or_default(),
        roles: Vec::new(),
    };
    realm.groups.insert(id.clone(), group);
    Ok(id)
}

/// Moves an existing group under `parent` (`None` = top level).
fn reparent(realm: &mut Realm, id: &str, parent: Option<&str>) -> ApiResult<()> {
    let g = realm
        .groups
        .get(id)
        .ok_or_else(|| ApiError::not_found("Could not find child by id"))?;
    if parent.is_some_and(|p| realm.subtree(id).iter().any(|s| s == p)) {
        return Err(ApiError::Message(
            StatusCode::BAD_REQUEST,
            "Cannot move a group under itself".into(),
        ));
    }
    if realm
        .children_of(parent)
        .any(|s| s.id != g.id && s.name == g.name)
    {
        return Err(ApiError::conflict(format!(
            "Sibling group named '{}' already exists.",
            g.name
        )));
    }
    realm.groups.get_mut(id).expect("found").parent = parent.map(str::to_string);
    Ok(())
}

/// Deletes a group and its subtree, with memberships.
pub fn remove(realm: &mut Realm, id: &str) {
    let doomed: HashSet<String> = realm.subtree(id).into_iter().collect();
    realm.groups.retain(|k, _| !doomed.contains(k));
    for u in realm.users.values_mut() {
        u.groups.retain(|g| !doomed.contains(g));
    }
}

pub fn routes() -> Router<Arc<crate::app::App>> {
    const G: &str = "/admin/realms/{realm}/groups/{id}";
    Router::new()
        .route("/admin/realms/{realm}/groups", get(list).post(post_top))
        .route("/admin/realms/{realm}/groups/count", get(count))
        .route(G, get(get_one).put(update).delete(delete))
        .route(&format!("{G}/children"), get(children).post(post_child))
        .route(&format!("{G}/members"), get(members))
        .route("/admin/realms/{realm}/group-by-path/{*path}", get(by_path))
}

/// Group name match: substring, case-insensitive, or equality with `exact`.
fn name_matches(name: &str, search: &str, exact: bool) -> bool {
    if exact {
        name == search
    } else {
        name.to_lowercase().contains(&search.to_lowercase())
    }
}

fn attribute_matches(g: &Group, query: &str) -> bool {
    query
        .split(' ')
        .filter_map(|p| p.split_once(':'))
        .all(|(k, v)| {
            g.attributes
                .get(k)
                .and_then(Value::as_array)
                .is_some_and(|vals| vals.iter().any(|x| x == v))
        })
}

async fn list(admin: Admin, q: Query) -> ApiResult {
    admin.require(admin.list_groups())?;
    admin.read(|realm| {
        let brief = flag(&q, "briefRepresentation", true);
        let page = paging(&q, None, None);
        let exact = flag(&q, "exact", false);
        let search = q.get("search").filter(|s| !s.is_empty());
        let attr = q.get("q").filter(|s| !s.is_empty());
        if search.is_none() && attr.is_none() {
            let inline = admin.app.config.version <= 22;
            let tops = page.apply(sorted(realm.children_of(None)));
            return Ok(json_list(
                tops.into_iter()
                    .map(|g| represent(realm, g, brief, &admin, inline))
                    .collect(),
            ));
        }
        let matches = page.apply(sorted(realm.groups.values().filter(|g| {
            search.is_none_or(|s| name_matches(&g.name, s, exact))
                && attr.is_none_or(|a| attribute_matches(g, a))
        })));
        if !flag(&q, "populateHierarchy", true) {
            return Ok(json_list(
                matches
                    .into_iter()
                    .map(|g| represent(realm, g, brief, &admin, false))
                    .collect(),
            ));
        }
        // Each match is returned inside its ancestors, only along the paths to matches.
        let mut keep: HashSet<String> = HashSet::new();
        for g in &matches {
            let mut cur = Some(*g);
            while let Some(x) = cur {
                keep.insert(x.id.clone());
                cur = x.parent.as_ref().and_then(|p| realm.groups.get(p));
            }
        }
        let tops = sorted(realm.children_of(None).filter(|g| keep.contains(&g.id)));
        Ok(json_list(
            tops.into_iter()
                .map(|g| represent_filtered(realm, g, brief, &admin, Some(Some(&keep))))
                .collect(),
        ))
    })
}

async fn count(admin: Admin, q: Query) -> ApiResult {
    admin.require(admin.list_groups())?;
    admin.read(|realm| {
        let top = flag(&q, "top", false);
        let search = q.get("search");
        let n = realm
            .groups
            .values()
            .filter(|g| !top || g.parent.is_none())
            .filter(|g| search.is_none_or(|s| name_matches(&g.name, s, false)))
            .count();
        Ok(json_response(json!({ "count": n })))
    })
}

async fn post_top(admin: Admin, body: Bytes) -> ApiResult {
    admin.require(admin.manage_users())?;
    let rep = parse_object(&body, &GROUP)?;
    admin.write(|realm| match rep.str("id") {
        Some(id) => {
            reparent(realm, id, None)?;
            Ok(no_content())
        }
        None => {
            let id = create(realm, None, &rep)?;
            Ok(created(admin.location(&format!("groups/{id}"))))
        }
    })
}

async fn get_one(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.list_groups())?;
    admin.read(|realm| {
        let inline = admin.app.config.version <= 22;
        Ok(json_response(represent(
            realm,
            find(realm, &id)?,
            false,
            &admin,
            inline,
        )))
    })
}

/// `GET /group-by-path/{path}`: the full form without access data (Keycloak's
/// `toRepresentation(group, true)`), children counted but not inlined.
async fn by_path(admin: Admin, Path((_, path)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.list_groups())?;
    admin.read(|realm| {
        let g = realm
            .group_by_path(&format!("/{path}"))
            .ok_or_else(|| ApiError::not_found("Group path does not exist"))?;
        let mut rep = represent(realm, g, false, &admin, false);
        if let Value::Object(m) = &mut rep {
            m.remove("access");
        }
        Ok(json_response(rep))
    })
}

async fn update(admin: Admin, Path((_, id)): Path<(String, String)>, body: Bytes) -> ApiResult {
    admin.require(admin.manage_users())?;
    let rep = parse_object(&body, &GROUP)?;
    admin.write(|realm| {
        let g = find(realm, &id)?;
        let name = rep.str("name").map(str::trim).filter(|n| !n.is_empty());
        let name = name.ok_or_else(|| {
            ApiError::Message(StatusCode::BAD_REQUEST, "Group name is missing".into())
        })?;
        if rep.str("id").is_some_and(|i| i != id) {
            return Err(ApiError::Message(
                StatusCode::BAD_REQUEST,
                "Invalid group id".into(),
            ));
        }
        let parent = g.parent.clone();
        if realm
            .children_of(parent.as_deref())
            .any(|s| s.id != id && s.name == name)
        {
            return Err(ApiError::conflict(format!(
                "Sibling group named '{name}' already exists."
            )));
        }
        let g = realm.groups.get_mut(&id).expect("found");
        g.name = name.to_string();
        if let Some(attrs) = rep.obj("attributes") {
            g.attributes = attrs.clone();
        }
        if rep.contains_key("description") {
            g.description = rep.str("description").map(str::to_string);
        }
        Ok(no_content())
    })
}

async fn delete(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.manage_users())?;
    admin.write(|realm| {
        find(realm, &id)?;
        remove(realm, &id);
        Ok(no_content())
    })
}

async fn children(admin: Admin, Path((_, id)): Path<(String, String)>, q: Query) -> ApiResult {
    if admin.app.config.version <= 22 {
        // 22 had no GET on /children.
        return Err(ApiError::Jaxrs(
            StatusCode::METHOD_NOT_ALLOWED,
            "HTTP 405 Method Not Allowed".into(),
        ));
    }
    admin.require(admin.list_groups())?;
    admin.read(|realm| {
        find(realm, &id)?;
        let brief = flag(&q, "briefRepresentation", false);
        let exact = flag(&q, "exact", false);
        let search = q
            .get("search")
            .filter(|s| !s.is_empty() && admin.app.config.version >= 25);
        let kids = sorted(
            realm
                .children_of(Some(&id))
                .filter(|g| search.is_none_or(|s| name_matches(&g.name, s, exact))),
        );
        let page = paging(&q, Some(0), Some(10));
        Ok(json_list(
            page.apply(kids)
                .into_iter()
                .map(|g| represent(realm, g, brief, &admin, false))
                .collect(),
        ))
    })
}

async fn post_child(admin: Admin, Path((_, id)): Path<(String, String)>, body: Bytes) -> ApiResult {
    admin.require(admin.manage_users())?;
    let rep = parse_object(&body, &GROUP)?;
    admin.write(|realm| {
        find(realm, &id)?;
        match rep.str("id") {
            Some(child) => {
                reparent(realm, child, Some(&id))?;
                Ok(no_content())
            }
            None => {
                let child = create(realm, Some(&id), &rep)?;
                let body = represent(realm, &realm.groups[&child], false, &admin, false);
                let location = admin.location(&format!("groups/{child}"));
                Ok((
                    StatusCode::CREATED,
                    [(header::LOCATION, location)],
                    Json(body),
                )
                    .into_response())
            }
        }
    })
}

async fn members(admin: Admin, Path((_, id)): Path<(String, String)>, q: Query) -> ApiResult {
    admin.require(admin.view_users())?;
    admin.read(|realm| {
        find(realm, &id)?;
        let brief = flag(&q, "briefRepresentation", false);
        let page = paging(&q, Some(0), Some(100));
        let mut users: Vec<_> = realm
            .users
            .values()
            .filter(|u| u.groups.contains(&id))
            .collect();
        users.sort_by(|a, b| a.username().cmp(b.username()));
        Ok(json_list(
            page.apply(users)
                .into_iter()
                .map(|u| crate::users::represent(u, brief, None))
                .collect(),
        ))
    })
}
