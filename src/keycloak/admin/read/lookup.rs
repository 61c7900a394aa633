//! Single objects looked up by name, for the reader and for the writer (which needs a
//! user's or a group's id before it can change them).

use serde_json::Value;

use crate::keycloak::admin::client::AdminClient;
use crate::keycloak::admin::error::ApiError;

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
