//! What export-metadata reads from a live Keycloak: the realm's public SAML IdP descriptor
//! (keycloak-admin-api.md §7.1), once per run, and the client secrets `--show-secret` asks for
//! (§2.1). Secrets go into [`Secret`]s straight from the answer, so no message or log can
//! carry them.

use std::collections::BTreeSet;

use futures_util::future::{try_join, try_join_all};
use serde_json::Value;

use super::{Descriptor, Secrets, Wanted, missing_client};
use crate::keycloak::admin::client::AdminClient;
use crate::keycloak::admin::error::ApiError;
use crate::keycloak::admin::secret::Secret;

const DESCRIPTOR: [&str; 3] = ["protocol", "saml", "descriptor"];

/// Everything `wanted` names, concurrently (the client bounds the requests in flight).
/// `target` describes the server in reasons.
pub(super) async fn read(
    client: &AdminClient,
    wanted: &Wanted,
    target: &str,
) -> Result<(Option<Descriptor>, BTreeSet<String>, Secrets), ApiError> {
    let descriptor = async {
        if wanted.descriptor {
            descriptor(client).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let secrets = try_join_all(wanted.secrets.iter().map(|client_id| async move {
        let found = find_client(client, client_id).await?;
        let secret = match &found {
            Some(representation) => {
                client_secret(client, representation, client_id, target).await?
            }
            None => Err(missing_client(client_id, target)),
        };
        Ok::<_, ApiError>((client_id.clone(), found.is_some(), secret))
    }));
    let (descriptor, secrets) = try_join(descriptor, secrets).await?;
    // Only the clients looked up anyway: the descriptor alone needs no sign-in, and
    // export-metadata must work without admin rights.
    let absent = (secrets.iter())
        .filter(|(_, found, _)| !found)
        .map(|(client_id, _, _)| client_id.clone())
        .collect();
    let secrets = (secrets.into_iter())
        .map(|(client_id, _, secret)| (client_id, secret))
        .collect();
    Ok((descriptor, absent, secrets))
}

/// The client with exactly this clientId (the search matches substrings).
async fn find_client(client: &AdminClient, client_id: &str) -> Result<Option<Value>, ApiError> {
    let found = client.get(&["clients"], &[("clientId", client_id)]).await?;
    Ok((found.as_array().into_iter().flatten())
        .find(|c| c.get("clientId").and_then(Value::as_str) == Some(client_id))
        .cloned())
}

/// Keycloak's own descriptor, as served: a public endpoint, read without the admin token.
async fn descriptor(client: &AdminClient) -> Result<Descriptor, ApiError> {
    let body = client.get_public(&DESCRIPTOR, "application/xml").await?;
    Ok(Descriptor::Served {
        url: client.public_url(&DESCRIPTOR).to_string(),
        body: body.to_vec(),
    })
}

/// The secret of client `client_id` (found as `representation`), or why it cannot be had.
/// The secret is read from its own endpoint (`{"type":"secret","value":…}`).
async fn client_secret(
    client: &AdminClient,
    representation: &Value,
    client_id: &str,
    target: &str,
) -> Result<Result<Secret, String>, ApiError> {
    if representation.get("publicClient") == Some(&Value::Bool(true)) {
        return Ok(Err(format!(
            "client {client_id} is a public client in {target}, so it has no secret \
             (the record describes a confidential one: run apply)"
        )));
    }
    let uuid =
        (representation.get("id").and_then(Value::as_str)).ok_or_else(|| ApiError::Unexpected {
            request: "GET /clients".into(),
            reason: format!("client {client_id} has no id"),
        })?;
    let credential = client.get(&["clients", uuid, "client-secret"], &[]).await?;
    Ok(match credential.get("value").and_then(Value::as_str) {
        Some(value) if !value.is_empty() => Ok(Secret::new(value)),
        _ => Err(format!("{target} holds no secret for client {client_id}")),
    })
}
