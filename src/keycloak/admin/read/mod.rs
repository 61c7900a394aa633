//! Reading the realm: one partial export (clients with mappers, roles, nested groups with
//! their client roles, every authentication flow and authenticator config) converted by the
//! same code as a realm file, plus one lookup per pilot user. When the credentials may not
//! export, the same document is assembled from list endpoints ([`by_parts`]).

pub mod by_parts;
pub mod lookup;

pub use self::lookup::{find_user, group_children};

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use reqwest::Method;
use serde_json::Value;

use crate::keycloak::admin::client::{AdminClient, Request};
use crate::keycloak::admin::error::ApiError;
use crate::keycloak::admin::flow_template;
use crate::keycloak::admin::ids::Ids;
use crate::keycloak::realm_json as rj;
use crate::reconcile::Scope;
use crate::state::{Flow, RealmState, User};
use crate::target::TargetError;

pub struct Observed {
    pub state: RealmState,
    pub ids: Ids,
    /// Enforcement-flow templates: infrastructure, not any record's, so not in `state`.
    pub templates: HashMap<String, Flow>,
    /// Flow copies an interrupted run did not finish ([`flow_template::is_unfinished_copy`]): not in
    /// `state` either, so the record's flow is planned as a create, which redoes them.
    pub unfinished_copies: HashSet<String>,
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
    let templates = take_flows(&mut state, |alias, _| flow_template::is_template(alias));
    let unfinished_copies = take_flows(&mut state, flow_template::is_unfinished_copy)
        .into_keys()
        .collect();
    let users: Vec<(String, String, User)> = stream::iter(&scope.usernames)
        .map(|username| observe_user(client, username))
        .buffer_unordered(USER_LOOKUPS)
        .try_filter_map(|found| async move { Ok(found) })
        .try_collect()
        .await?;
    count_members(client, &ids, scope, &mut state).await?;
    add_role_holders(client, &ids, scope, &mut state).await?;
    let mut observed = Observed {
        state,
        ids,
        templates,
        unfinished_copies,
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

/// Direct members of the managed groups no record names (those a plan may delete or leave
/// behind), so the plan can say whom that affects. One request each (paged); groups the
/// records name are not counted, to keep a converged plan's cost flat. Credentials that may
/// not view users leave the counts unknown.
async fn count_members(
    client: &AdminClient,
    ids: &Ids,
    scope: &Scope,
    state: &mut RealmState,
) -> Result<(), TargetError> {
    let wanted: Vec<(String, String)> = state
        .groups
        .iter()
        .filter(|(path, group)| !scope.group_paths.contains(*path) && !group.owners().is_empty())
        .filter_map(|(path, _)| Some((path.clone(), ids.groups.get(path)?.clone())))
        .collect();
    let counts: Vec<(String, Option<usize>)> = stream::iter(wanted)
        .map(|(path, id)| async move {
            let query = [("briefRepresentation", "true")];
            match client.list(&["groups", &id, "members"], &query).await {
                Ok(members) => Ok((path, Some(members.len()))),
                Err(error) if error.status() == Some(403) => Ok((path, None)),
                Err(error) => Err(error),
            }
        })
        .buffer_unordered(USER_LOOKUPS)
        .try_collect()
        .await?;
    for (path, members) in counts {
        if let Some(group) = state.groups.get_mut(&path) {
            group.members = members;
        }
    }
    Ok(())
}

/// The users granted the scope's client roles directly (Keycloak lists direct holders
/// only), one list per role, each with the role among their client roles.
async fn add_role_holders(
    client: &AdminClient,
    ids: &Ids,
    scope: &Scope,
    state: &mut RealmState,
) -> Result<(), TargetError> {
    let wanted: Vec<(&String, &String, &str)> = (scope.role_holders.iter())
        .filter_map(|(client_id, role)| {
            Some((client_id, role, ids.clients.get(client_id)?.uuid.as_str()))
        })
        .collect();
    let lists: Vec<(&String, &String, Vec<Value>)> = stream::iter(wanted)
        .map(|(client_id, role, uuid)| async move {
            let query = [("briefRepresentation", "true")];
            let users = client
                .list(&["clients", uuid, "roles", role, "users"], &query)
                .await?;
            Ok::<_, ApiError>((client_id, role, users))
        })
        .buffer_unordered(USER_LOOKUPS)
        .try_collect()
        .await?;
    for (client_id, role, users) in lists {
        for user in users {
            let Some(username) = user["username"].as_str() else {
                continue;
            };
            let holder = state
                .users
                .entry(username.to_owned())
                .or_insert_with(|| User {
                    enabled: user["enabled"].as_bool().unwrap_or(true),
                    ..User::default()
                });
            holder
                .client_roles
                .entry(client_id.clone())
                .or_default()
                .insert(role.clone());
        }
    }
    Ok(())
}

/// The server root, for messages: the realm's public URL without `/realms/{realm}`.
fn server(client: &AdminClient) -> String {
    let mut url = client.public_url(&[]);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().pop().pop();
    }
    url.as_str().trim_end_matches('/').to_owned()
}

/// Removes the flows `which` picks from `state`.
fn take_flows(
    state: &mut RealmState,
    which: impl Fn(&str, &Flow) -> bool,
) -> HashMap<String, Flow> {
    let aliases: Vec<String> = state
        .flows
        .iter()
        .filter(|(alias, flow)| which(alias, flow))
        .map(|(alias, _)| alias.clone())
        .collect();
    aliases
        .into_iter()
        .filter_map(|alias| state.flows.remove_entry(&alias))
        .collect()
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
