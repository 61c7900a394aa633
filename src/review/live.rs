//! The live source: the realm's structure from one partial export (or, for credentials that
//! may read but not export, from list endpoints), then only the member and holder lists that
//! [`super::narrow`] names, all pages of each, fetched concurrently — the admin client bounds
//! the requests actually in flight (`--concurrency`).
//!
//! Requests: 1 export + one member list per group in the walk + one holder list per role in
//! the walk + one lookup per pilot user (more pages for lists over 100). Reading by parts adds
//! one role list per client and one composites read per composite role.

use std::collections::HashMap;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::collect::{self, CollectError};
use super::model::{Directory, RoleRef, Scope};
use super::narrow::{self, Found, Queries};
use crate::keycloak::admin::client::{AdminClient, Request};
use crate::keycloak::admin::error::ApiError;
use crate::keycloak::admin::ids::Ids;
use crate::keycloak::admin::read::by_parts::group_tree;
use crate::keycloak::admin::read::find_user;

/// Lists requested at once; the client's own limit decides how many are in flight.
const PARALLEL: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Collect(#[from] CollectError),
}

pub async fn collect(client: &AdminClient, scope: &Scope) -> Result<Directory, LiveError> {
    let document = structure_document(client).await?;
    let ids = Ids::from_export(&document);
    let client_ids: HashMap<&str, &str> = (ids.clients.iter())
        .map(|(client_id, c)| (c.uuid.as_str(), client_id.as_str()))
        .collect();
    let mut directory = collect::structure(&document)?;
    let mut queries = narrow::queries(&directory, scope);
    // A role that does not exist has no holders to list (Keycloak would answer 404).
    queries
        .role_holders
        .retain(|role| directory.roles.contains_key(role));
    let lists = fetch(client, &queries, &ids).await?;
    for (found, users) in lists {
        for representation in &users {
            let (username, mut facts) = collect::user(representation)?;
            // The admin API names a service account's client by its uuid, an export by clientId.
            if let Some(uuid) = facts.service_account_of.as_deref()
                && let Some(client_id) = client_ids.get(uuid)
            {
                facts.service_account_of = Some((*client_id).to_owned());
            }
            narrow::record(&mut directory, &found, username, facts);
        }
    }
    Ok(directory)
}

/// Every list the walk names, each with how its users were found.
async fn fetch(
    client: &AdminClient,
    queries: &Queries,
    ids: &Ids,
) -> Result<Vec<(Found, Vec<Value>)>, ApiError> {
    let members = (queries.group_members.iter())
        .filter_map(|path| Some((Found::Member(path.clone()), group_members(ids, path)?)));
    let holders = (queries.role_holders.iter())
        .filter_map(|role| Some((Found::Holder(role.clone()), role_holders(ids, role)?)));
    let lists = stream::iter(members.chain(holders))
        .map(|(found, path)| async move {
            let segments: Vec<&str> = path.iter().map(String::as_str).collect();
            Ok::<_, ApiError>((found, client.list(&segments, &[]).await?))
        })
        .buffer_unordered(PARALLEL);
    let named = stream::iter(&queries.usernames)
        .map(|username| async move {
            let user = find_user(client, username).await?;
            Ok((Found::Named, user.into_iter().collect()))
        })
        .buffer_unordered(PARALLEL);
    lists.chain(named).try_collect().await
}

fn group_members(ids: &Ids, path: &str) -> Option<Vec<String>> {
    let id = ids.groups.get(path)?;
    Some(vec!["groups".into(), id.clone(), "members".into()])
}

fn role_holders(ids: &Ids, role: &RoleRef) -> Option<Vec<String>> {
    let name = role.name.clone();
    Some(match &role.client {
        None => vec!["roles".into(), name, "users".into()],
        Some(client_id) => {
            let uuid = ids.clients.get(client_id)?.uuid.clone();
            vec!["clients".into(), uuid, "roles".into(), name, "users".into()]
        }
    })
}

/// Clients, roles with composites and the nested groups with their mappings, as a partial
/// export has them.
async fn structure_document(client: &AdminClient) -> Result<Value, ApiError> {
    let query = [("exportClients", "true"), ("exportGroupsAndRoles", "true")];
    let request = Request::new(Method::POST, &["partial-export"]).query(&query);
    match client.send(&request).await {
        Ok(reply) => reply.json(&request),
        // Exporting needs manage-realm; reviewers often hold only view roles.
        Err(error) if error.status() == Some(403) => {
            tracing::info!("partial export refused; reading clients, roles and groups by parts");
            by_parts(client).await
        }
        Err(error) => Err(error),
    }
}

async fn by_parts(client: &AdminClient) -> Result<Value, ApiError> {
    let clients = client.list(&["clients"], &[]).await?;
    let client_ids: HashMap<&str, &str> = clients
        .iter()
        .filter_map(|c| Some((c["id"].as_str()?, c["clientId"].as_str()?)))
        .collect();
    let full = [("briefRepresentation", "false")];
    let realm_roles = client.list(&["roles"], &full).await?;
    let realm_roles = with_composites(client, realm_roles, &client_ids).await?;
    let client_roles: Map<String, Value> = stream::iter(&client_ids)
        .map(|(uuid, client_id)| {
            let client_ids = &client_ids;
            async move {
                let roles = client.list(&["clients", uuid, "roles"], &full).await?;
                let roles = with_composites(client, roles, client_ids).await?;
                Ok::<_, ApiError>(((*client_id).to_owned(), Value::Array(roles)))
            }
        })
        .buffer_unordered(PARALLEL)
        .try_collect()
        .await?;
    Ok(json!({
        "clients": clients,
        "roles": { "realm": realm_roles, "client": client_roles },
        "groups": group_tree(client).await?,
    }))
}

/// Composite roles with their `composites` written as an export writes them.
async fn with_composites(
    client: &AdminClient,
    roles: Vec<Value>,
    client_ids: &HashMap<&str, &str>,
) -> Result<Vec<Value>, ApiError> {
    stream::iter(roles)
        .map(|mut role| async move {
            if role["composite"].as_bool() == Some(true)
                && let Some(id) = role["id"].as_str()
            {
                let contained = client.get(&["roles-by-id", id, "composites"], &[]).await?;
                role["composites"] = export_composites(&contained, client_ids);
            }
            Ok(role)
        })
        .buffered(PARALLEL)
        .try_collect()
        .await
}

/// Role representations (`clientRole`, `containerId` = client uuid) → `{realm, client}` names.
fn export_composites(contained: &Value, client_ids: &HashMap<&str, &str>) -> Value {
    let mut realm = Vec::new();
    let mut by_client: Map<String, Value> = Map::new();
    for role in contained.as_array().map_or(&[][..], Vec::as_slice) {
        let Some(name) = role["name"].as_str() else {
            continue;
        };
        let client = (role["clientRole"].as_bool() == Some(true))
            .then(|| role["containerId"].as_str())
            .flatten();
        match client.and_then(|uuid| client_ids.get(uuid)) {
            Some(client_id) => {
                let names = by_client.entry(*client_id).or_insert_with(|| json!([]));
                names
                    .as_array_mut()
                    .expect("made an array")
                    .push(json!(name));
            }
            None => realm.push(json!(name)),
        }
    }
    json!({ "realm": realm, "client": by_client })
}
