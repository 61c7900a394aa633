//! The realm document a partial export would return, assembled from list endpoints, for
//! credentials that may manage clients, groups and flows but not export the realm. Only what
//! fedctl compares is fetched in depth: roles of managed or named clients, the trees of
//! managed or named flows (the rest are listed, not expanded).

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde_json::{Map, Value, json};

use super::lookup::group_children;
use crate::keycloak::admin::client::AdminClient;
use crate::keycloak::admin::error::ApiError;
use crate::keycloak::admin::flow_template;
use crate::reconcile::Scope;
use crate::state::{Flow, OWNER_ATTRIBUTE};

/// Per-object reads in flight at once (the client's own limit still applies).
const PARALLEL: usize = 16;

pub async fn export(client: &AdminClient, scope: &Scope) -> Result<Value, ApiError> {
    let clients = client.list(&["clients"], &[]).await?;
    let roles = client_roles(client, &clients, scope).await?;
    let groups = group_tree(client).await?;
    let (flows, configs) = flows(client, scope).await?;
    let (identity_providers, idp_mappers) = identity_providers(client).await?;
    Ok(json!({
        "clients": clients,
        "roles": { "client": roles },
        "groups": groups,
        "authenticationFlows": flows,
        "authenticatorConfig": configs,
        "identityProviders": identity_providers,
        "identityProviderMappers": idp_mappers,
    }))
}

/// Every identity provider, and the mappers of each (a realm has few; one request each).
/// Credentials that may not view identity providers see none: a provider planned as new
/// then meets Keycloak's 409 instead of being overwritten, and nothing is pruned unseen.
async fn identity_providers(client: &AdminClient) -> Result<(Vec<Value>, Vec<Value>), ApiError> {
    let providers = match client.list(&["identity-provider", "instances"], &[]).await {
        Ok(providers) => providers,
        Err(error) if error.status() == Some(403) => {
            tracing::info!("identity providers not readable with these credentials");
            return Ok((Vec::new(), Vec::new()));
        }
        Err(error) => return Err(error),
    };
    let mappers: Vec<Vec<Value>> = stream::iter(&providers)
        .filter_map(|idp| async move { idp["alias"].as_str() })
        .map(|alias| async move {
            let mappers = client
                .get(&["identity-provider", "instances", alias, "mappers"], &[])
                .await?;
            Ok::<_, ApiError>(match mappers {
                Value::Array(mappers) => mappers,
                _ => Vec::new(),
            })
        })
        .buffer_unordered(PARALLEL)
        .try_collect()
        .await?;
    Ok((providers, mappers.into_iter().flatten().collect()))
}

async fn client_roles(
    client: &AdminClient,
    clients: &[Value],
    scope: &Scope,
) -> Result<Map<String, Value>, ApiError> {
    let wanted = clients.iter().filter_map(|c| {
        let client_id = c["clientId"].as_str()?;
        let uuid = c["id"].as_str()?;
        let marked = c["attributes"].get(OWNER_ATTRIBUTE).is_some();
        (marked || scope.client_ids.contains(client_id)).then_some((client_id, uuid))
    });
    stream::iter(wanted)
        .map(|(client_id, uuid)| async move {
            let query = [("briefRepresentation", "false")];
            let roles = client.list(&["clients", uuid, "roles"], &query).await?;
            Ok::<_, ApiError>((client_id.to_owned(), Value::Array(roles)))
        })
        .buffer_unordered(PARALLEL)
        .try_collect()
        .await
}

/// Every group with its subtree inlined as `subGroups`, as an export nests them.
pub async fn group_tree(client: &AdminClient) -> Result<Vec<Value>, ApiError> {
    let top = client
        .list(&["groups"], &[("briefRepresentation", "false")])
        .await?;
    let mut groups = Vec::with_capacity(top.len());
    for group in top {
        groups.push(with_subtree(client, group).await?);
    }
    Ok(groups)
}

async fn with_subtree(client: &AdminClient, mut group: Value) -> Result<Value, ApiError> {
    // Keycloak 22 has already inlined the subtree; 23+ counts children instead.
    if group.get("subGroupCount").is_none() {
        return Ok(group);
    }
    let mut children = Vec::new();
    for child in group_children(client, &group).await? {
        children.push(Box::pin(with_subtree(client, child)).await?);
    }
    group["subGroups"] = Value::Array(children);
    Ok(group)
}

/// Top-level flows as listed, plus the sub-flows and configs of the ones fedctl compares.
async fn flows(client: &AdminClient, scope: &Scope) -> Result<(Vec<Value>, Vec<Value>), ApiError> {
    let top = client.get(&["authentication", "flows"], &[]).await?;
    let top = top.as_array().cloned().unwrap_or_default();
    let expanded: Vec<(Vec<Value>, Vec<Value>)> =
        stream::iter(top.iter().filter(|f| compared(f, scope)))
            .map(|flow| expand(client, flow))
            .buffer_unordered(PARALLEL)
            .try_collect()
            .await?;
    let mut flows: Vec<Value> = top
        .iter()
        .filter(|f| !compared(f, scope))
        .cloned()
        .collect();
    let mut configs = Vec::new();
    for (tree, tree_configs) in expanded {
        flows.extend(tree);
        configs.extend(tree_configs);
    }
    Ok((flows, configs))
}

fn compared(flow: &Value, scope: &Scope) -> bool {
    let alias = flow["alias"].as_str().unwrap_or_default();
    let marked = Flow {
        description: flow["description"].as_str().unwrap_or_default().to_owned(),
        steps: Vec::new(),
    }
    .owner()
    .is_some();
    marked || scope.flow_aliases.contains(alias) || flow_template::is_template(alias)
}

/// A top-level flow and its sub-flows in export form, from the flattened execution list.
async fn expand(client: &AdminClient, flow: &Value) -> Result<(Vec<Value>, Vec<Value>), ApiError> {
    let alias = flow["alias"].as_str().unwrap_or_default();
    let rows = client
        .get(&["authentication", "flows", alias, "executions"], &[])
        .await?;
    let rows = rows.as_array().map_or(&[][..], Vec::as_slice);
    let mut configs = Vec::new();
    for id in rows
        .iter()
        .filter_map(|r| r["authenticationConfig"].as_str())
    {
        configs.push(client.get(&["authentication", "config", id], &[]).await?);
    }
    Ok((flows_from_rows(flow, rows), configs))
}

/// Rebuilds export-shaped flows (`authenticationExecutions` per flow, sub-flows by alias)
/// from a flattened execution list, whose rows come depth first with their `level`.
fn flows_from_rows(top: &Value, rows: &[Value]) -> Vec<Value> {
    let mut flows = vec![top.clone()];
    flows[0]["authenticationExecutions"] = json!([]);
    // Index in `flows` of the flow each level's rows belong to.
    let mut parents = vec![0usize];
    for row in rows {
        let level = row["level"].as_u64().unwrap_or(0) as usize;
        if level >= parents.len() {
            continue; // a row deeper than its parent: malformed, skipped
        }
        parents.truncate(level + 1);
        let parent = parents[level];
        let priority = row["priority"]
            .as_i64()
            .unwrap_or_else(|| (row["index"].as_i64().unwrap_or(0) + 1) * 10);
        let requirement = row["requirement"].clone();
        let execution = if row["authenticationFlow"].as_bool().unwrap_or(false) {
            let sub_alias = row["displayName"].clone();
            flows.push(json!({
                "alias": sub_alias,
                "topLevel": false,
                "authenticationExecutions": [],
            }));
            parents.push(flows.len() - 1);
            json!({"authenticatorFlow": true, "flowAlias": sub_alias,
                   "requirement": requirement, "priority": priority})
        } else {
            let mut execution = json!({"authenticator": row["providerId"], "authenticatorFlow": false,
                                       "requirement": requirement, "priority": priority});
            if row["authenticationConfig"].is_string() {
                execution["authenticatorConfig"] = row["alias"].clone();
            }
            execution
        };
        if let Some(list) = flows[parent]["authenticationExecutions"].as_array_mut() {
            list.push(execution);
        }
    }
    flows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keycloak::realm_json;
    use crate::state::{Requirement, StepKind};

    #[test]
    fn rebuilds_flow_trees_from_flattened_rows() {
        let top = json!({"id": "f1", "alias": "r", "description": "x", "topLevel": true});
        let rows = json!([
            {"level": 0, "index": 0, "requirement": "REQUIRED", "authenticationFlow": true, "displayName": "r sign-in"},
            {"level": 1, "index": 0, "requirement": "ALTERNATIVE", "providerId": "auth-cookie"},
            {"level": 0, "index": 1, "requirement": "CONDITIONAL", "authenticationFlow": true, "displayName": "r gate"},
            {"level": 1, "index": 0, "requirement": "REQUIRED", "providerId": "conditional-user-role",
             "authenticationConfig": "c1", "alias": "r-role"},
            {"level": 1, "index": 1, "requirement": "REQUIRED", "providerId": "deny-access-authenticator"},
        ]);
        let flows = flows_from_rows(&top, rows.as_array().unwrap());
        let document = json!({
            "authenticationFlows": flows,
            "authenticatorConfig": [{"id": "c1", "alias": "r-role", "config": {"negate": "true"}}],
        });
        let state = realm_json::observe(&document);
        let flow = &state.flows["r"];
        assert_eq!(flow.steps.len(), 2);
        let StepKind::SubFlow { alias, steps } = &flow.steps[1].kind else {
            panic!("gate is a sub-flow")
        };
        assert_eq!(alias, "r gate");
        assert_eq!(flow.steps[1].requirement, Requirement::Conditional);
        assert_eq!(steps.len(), 2);
        let StepKind::Authenticator {
            config: Some(config),
            ..
        } = &steps[0].kind
        else {
            panic!("the role condition has a config")
        };
        assert_eq!(config.config["negate"], "true");
    }
}
