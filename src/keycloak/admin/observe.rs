//! Reading the realm: one partial export (clients with mappers, roles, nested groups with
//! their client roles, every authentication flow and authenticator config) converted by the
//! same code as a realm file, plus one lookup per pilot user. When the credentials may not
//! export, the same document is assembled from list endpoints ([`super::by_parts`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use reqwest::Method;
use serde_json::Value;

use super::by_parts;
use super::client::{AdminClient, Request};
use super::error::ApiError;
use super::flows;
use super::ids::Ids;
use crate::keycloak::realm_json as rj;
use crate::state::{Flow, RealmState, User};
use crate::target::{Scope, TargetError};

pub struct Observed {
    pub state: RealmState,
    pub ids: Ids,
    /// Enforcement-flow templates: infrastructure, not any record's, so not in `state`.
    pub templates: HashMap<String, Flow>,
}

/// Pilot users looked up at once (the client bounds the requests actually in flight).
const USER_LOOKUPS: usize = 32;

pub async fn observe(
    client: &AdminClient,
    realm: &str,
    scope: &Scope,
) -> Result<Observed, TargetError> {
    let document = export(client, realm, scope).await?;
    let ids = Ids::from_export(&document);
    let mut state = rj::observe(&document);
    drop(document);
    let templates = take_templates(&mut state);
    let users: Vec<(String, String, User)> = stream::iter(&scope.usernames)
        .map(|username| observe_user(client, username))
        .buffer_unordered(USER_LOOKUPS)
        .try_filter_map(|found| async move { Ok(found) })
        .try_collect()
        .await?;
    let mut observed = Observed {
        state,
        ids,
        templates,
    };
    for (username, id, user) in users {
        observed.ids.users.insert(username.clone(), id);
        observed.state.users.insert(username, user);
    }
    Ok(observed)
}

async fn export(client: &AdminClient, realm: &str, scope: &Scope) -> Result<Value, TargetError> {
    let query = [("exportClients", "true"), ("exportGroupsAndRoles", "true")];
    let request = Request::new(Method::POST, &["partial-export"]).query(&query);
    match client.send(&request).await {
        Ok(reply) => Ok(reply.json(&request)?),
        Err(error) if error.status() == Some(404) => Err(TargetError::NoSuchRealm {
            server: server(client),
            realm: realm.to_owned(),
        }),
        Err(error) if error.status() == Some(403) => {
            tracing::info!("partial export refused (no manage-realm); reading object by object");
            Ok(by_parts::export(client, scope).await?)
        }
        Err(error) => Err(error.into()),
    }
}

/// The server root, for messages: the realm's public URL without `/realms/{realm}`.
fn server(client: &AdminClient) -> String {
    let mut url = client.public_url(&[]);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().pop().pop();
    }
    url.as_str().trim_end_matches('/').to_owned()
}

fn take_templates(state: &mut RealmState) -> HashMap<String, Flow> {
    let aliases: Vec<String> = state
        .flows
        .keys()
        .filter(|alias| flows::is_template(alias))
        .cloned()
        .collect();
    aliases
        .into_iter()
        .filter_map(|alias| state.flows.remove_entry(&alias))
        .collect()
}

/// The user by exact username (Keycloak stores usernames lower-case).
pub async fn find_user(client: &AdminClient, username: &str) -> Result<Option<Value>, ApiError> {
    let query = [
        ("username", username),
        ("exact", "true"),
        ("briefRepresentation", "true"),
    ];
    let found = client.get(&["users"], &query).await?;
    Ok(found.as_array().and_then(|users| {
        users
            .iter()
            .find(|u| {
                u["username"]
                    .as_str()
                    .is_some_and(|name| name.eq_ignore_ascii_case(username))
            })
            .cloned()
    }))
}

/// A pilot user and the client roles granted to them directly.
async fn observe_user(
    client: &AdminClient,
    username: &str,
) -> Result<Option<(String, String, User)>, ApiError> {
    let Some(user) = find_user(client, username).await? else {
        return Ok(None);
    };
    let Some(id) = user["id"].as_str() else {
        return Ok(None);
    };
    let mappings = client.get(&["users", id, "role-mappings"], &[]).await?;
    let client_roles: BTreeMap<String, BTreeSet<String>> = mappings["clientMappings"]
        .as_object()
        .map(|by_client| {
            by_client
                .iter()
                .map(|(client_id, mapping)| {
                    let names = mapping["mappings"]
                        .as_array()
                        .map_or(&[][..], Vec::as_slice)
                        .iter()
                        .filter_map(|role| role["name"].as_str().map(str::to_owned))
                        .collect();
                    (client_id.clone(), names)
                })
                .collect()
        })
        .unwrap_or_default();
    let enabled = user["enabled"].as_bool().unwrap_or(true);
    Ok(Some((
        username.to_owned(),
        id.to_owned(),
        User {
            enabled,
            client_roles,
        },
    )))
}

/// The direct children of a group. Keycloak 23+ marks its group representations with
/// `subGroupCount` and serves children from a paged endpoint; 22 and older inline the whole
/// subtree in `GET /groups/{id}` (search results inline only the matching part).
pub async fn group_children(client: &AdminClient, group: &Value) -> Result<Vec<Value>, ApiError> {
    let Some(id) = group["id"].as_str() else {
        return Ok(Vec::new());
    };
    match group.get("subGroupCount").and_then(Value::as_u64) {
        Some(0) => Ok(Vec::new()),
        Some(_) => {
            let query = [("briefRepresentation", "false")];
            client.list(&["groups", id, "children"], &query).await
        }
        None => {
            let full = client.get(&["groups", id], &[]).await?;
            Ok(full["subGroups"].as_array().cloned().unwrap_or_default())
        }
    }
}
