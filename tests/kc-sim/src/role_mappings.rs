//! Role mappings of users and groups (§4.3): grants are resolved by name and
//! must carry the matching id; `/composite` answers effective roles.

use crate::auth::Admin;
use crate::errors::{ApiError, ApiResult};
use crate::http::{Query, flag, json_list, json_response, no_content};
use crate::json::{ObjExt, parse_list};
use crate::repr::ROLE;
use crate::roles;
use crate::state::Realm;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::routing::get;
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq)]
enum Holder {
    User,
    Group,
}

/// Which roles a route is about: realm roles or one client's roles.
type Container = Option<String>;

fn direct<'a>(realm: &'a Realm, holder: Holder, id: &str) -> ApiResult<&'a Vec<String>> {
    match holder {
        Holder::User => realm
            .users
            .get(id)
            .map(|u| &u.roles)
            .ok_or_else(|| ApiError::not_found("User not found")),
        Holder::Group => realm
            .groups
            .get(id)
            .map(|g| &g.roles)
            .ok_or_else(|| ApiError::not_found("Could not find group by id")),
    }
}

fn direct_mut<'a>(realm: &'a mut Realm, holder: Holder, id: &str) -> &'a mut Vec<String> {
    match holder {
        Holder::User => &mut realm.users.get_mut(id).expect("checked").roles,
        Holder::Group => &mut realm.groups.get_mut(id).expect("checked").roles,
    }
}

/// Effective roles: for users via groups and composites, for groups via
/// ancestors and composites.
fn effective(realm: &Realm, holder: Holder, id: &str) -> HashSet<String> {
    match holder {
        Holder::User => realm.user_effective_roles(&realm.users[id]),
        Holder::Group => realm.expand(realm.group_roles(id)),
    }
}

fn check_container(realm: &Realm, c: &Container) -> ApiResult<()> {
    match c {
        Some(client) if !realm.clients.contains_key(client) => {
            Err(ApiError::not_found("Client not found"))
        }
        _ => Ok(()),
    }
}

fn can_view(admin: &Admin, holder: Holder) -> bool {
    match holder {
        Holder::User => admin.view_users(),
        Holder::Group => admin.list_groups(),
    }
}

pub fn routes() -> Router<Arc<crate::app::App>> {
    let mut r = Router::new();
    for (base, h) in [
        (
            "/admin/realms/{realm}/users/{id}/role-mappings",
            Holder::User,
        ),
        (
            "/admin/realms/{realm}/groups/{id}/role-mappings",
            Holder::Group,
        ),
    ] {
        r = r
            .route(
                base,
                get(move |a: Admin, Path((_, id)): Path<(String, String)>| all(a, id, h)),
            )
            .route(
                &format!("{base}/realm"),
                get(move |a: Admin, Path((_, id)): Path<(String, String)>| {
                    list(a, id, h, None, View::Direct)
                })
                .post(
                    move |a: Admin, Path((_, id)): Path<(String, String)>, b: Bytes| {
                        change(a, id, h, None, b, true)
                    },
                )
                .delete(
                    move |a: Admin, Path((_, id)): Path<(String, String)>, b: Bytes| {
                        change(a, id, h, None, b, false)
                    },
                ),
            )
            .route(
                &format!("{base}/realm/available"),
                get(move |a: Admin, Path((_, id)): Path<(String, String)>| {
                    list(a, id, h, None, View::Available)
                }),
            )
            .route(
                &format!("{base}/realm/composite"),
                get(
                    move |a: Admin, Path((_, id)): Path<(String, String)>, q: Query| {
                        list(
                            a,
                            id,
                            h,
                            None,
                            View::Effective(flag(&q, "briefRepresentation", true)),
                        )
                    },
                ),
            )
            .route(
                &format!("{base}/clients/{{client}}"),
                get(
                    move |a: Admin, Path((_, id, c)): Path<(String, String, String)>| {
                        list(a, id, h, Some(c), View::Direct)
                    },
                )
                .post(
                    move |a: Admin, Path((_, id, c)): Path<(String, String, String)>, b: Bytes| {
                        change(a, id, h, Some(c), b, true)
                    },
                )
                .delete(
                    move |a: Admin, Path((_, id, c)): Path<(String, String, String)>, b: Bytes| {
                        change(a, id, h, Some(c), b, false)
                    },
                ),
            )
            .route(
                &format!("{base}/clients/{{client}}/available"),
                get(
                    move |a: Admin, Path((_, id, c)): Path<(String, String, String)>| {
                        list(a, id, h, Some(c), View::Available)
                    },
                ),
            )
            .route(
                &format!("{base}/clients/{{client}}/composite"),
                get(
                    move |a: Admin, Path((_, id, c)): Path<(String, String, String)>, q: Query| {
                        list(
                            a,
                            id,
                            h,
                            Some(c),
                            View::Effective(flag(&q, "briefRepresentation", true)),
                        )
                    },
                ),
            );
    }
    r
}

#[derive(Clone, Copy)]
enum View {
    Direct,
    Available,
    /// Effective roles; the flag is `briefRepresentation`.
    Effective(bool),
}

/// `GET .../role-mappings`: direct mappings grouped by container.
async fn all(admin: Admin, id: String, holder: Holder) -> ApiResult {
    admin.require(can_view(&admin, holder))?;
    admin.read(|realm| {
        let ids = direct(realm, holder, &id)?;
        let mut out = Map::new();
        let mut realm_roles = Vec::new();
        let mut clients: Map<String, Value> = Map::new();
        for r in ids.iter().filter_map(|i| realm.roles.get(i)) {
            match &r.client {
                None => realm_roles.push(roles::brief(realm, r)),
                Some(c) => {
                    let Some(client) = realm.clients.get(c) else {
                        continue;
                    };
                    let entry = clients.entry(client.client_id().to_string()).or_insert_with(
                        || json!({ "id": client.id, "client": client.client_id(), "mappings": [] }),
                    );
                    if let Some(m) = entry["mappings"].as_array_mut() {
                        m.push(roles::brief(realm, r));
                    }
                }
            }
        }
        if !realm_roles.is_empty() {
            out.insert("realmMappings".into(), Value::Array(realm_roles));
        }
        if !clients.is_empty() {
            out.insert("clientMappings".into(), Value::Object(clients));
        }
        Ok(json_response(Value::Object(out)))
    })
}

async fn list(
    admin: Admin,
    id: String,
    holder: Holder,
    container: Container,
    view: View,
) -> ApiResult {
    admin.require(can_view(&admin, holder))?;
    admin.read(|realm| {
        let mapped = direct(realm, holder, &id)?;
        check_container(realm, &container)?;
        let in_container = |r: &&crate::state::Role| r.client == container;
        let items: Vec<Value> = match view {
            View::Direct => mapped
                .iter()
                .filter_map(|i| realm.roles.get(i))
                .filter(in_container)
                .map(|r| roles::brief(realm, r))
                .collect(),
            View::Available => realm
                .roles_of(container.as_deref())
                .filter(|r| !mapped.contains(&r.id))
                .map(|r| roles::brief(realm, r))
                .collect(),
            View::Effective(brief) => {
                let eff = effective(realm, holder, &id);
                realm
                    .roles_of(container.as_deref())
                    .filter(|r| eff.contains(&r.id))
                    .map(|r| roles::represent(realm, r, brief))
                    .collect()
            }
        };
        Ok(json_list(items))
    })
}

/// Grants (`add`) or revokes roles. Each element is looked up by name in the
/// container and its id must match, else 404 "Role not found" and nothing is
/// applied (one transaction). A DELETE without body removes all mappings of
/// the container.
async fn change(
    admin: Admin,
    id: String,
    holder: Holder,
    container: Container,
    body: Bytes,
    add: bool,
) -> ApiResult {
    admin.require(admin.manage_users())?;
    let reps = if !add && body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(parse_list(&body, &ROLE)?)
    };
    admin.write(|realm| {
        direct(realm, holder, &id)?;
        check_container(realm, &container)?;
        let targets: Vec<String> = match reps {
            None => realm
                .roles_of(container.as_deref())
                .map(|r| r.id.clone())
                .collect(),
            Some(reps) => {
                let mut ids = Vec::new();
                for rep in &reps {
                    let found = rep.str("name").and_then(|n| match &container {
                        None => realm.realm_role(n),
                        Some(c) => realm.client_role(c, n),
                    });
                    match found {
                        Some(r) if Some(r.id.as_str()) == rep.str("id") => ids.push(r.id.clone()),
                        _ => return Err(ApiError::not_found("Role not found")),
                    }
                }
                ids
            }
        };
        let mapped = direct_mut(realm, holder, &id);
        for t in targets {
            if add {
                if !mapped.contains(&t) {
                    mapped.push(t);
                }
            } else {
                mapped.retain(|m| *m != t);
            }
        }
        Ok(no_content())
    })
}
