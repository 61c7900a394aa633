//! The realm's key providers through the admin API: `/components` for the providers and their
//! settings, `/keys` for their public keys. A new key is an `rsa-generated` provider, so
//! Keycloak makes its private key and it never leaves the server.
//!
//! A component PUT replaces the component, and `GET /components/{id}` strips the provider's
//! secrets: fedctl sends the stripped representation back with only priority, enabled and
//! active changed, which Keycloak 26 takes as "keep the stored key" (a missing private key
//! is only generated for a new provider).

use serde_json::{Value, json};

use super::write::KeycloakTarget;
use crate::keycloak::key_providers::{from_admin_api, set_settings};
use crate::keycloak::keys::KEY_PROVIDER_TYPE;
use crate::target::key_providers::{KeyChange, KeyProvider, KeyProviderTarget};
use crate::target::{Target, TargetError};

impl KeyProviderTarget for KeycloakTarget {
    async fn key_providers(&self) -> Result<Vec<KeyProvider>, TargetError> {
        let client = self.client();
        // `/components` does not page (no first/max): one answer holds them all.
        let (components, keys) = tokio::try_join!(
            client.get(&["components"], &[("type", KEY_PROVIDER_TYPE)]),
            client.get(&["keys"], &[]),
        )?;
        let unexpected = |action: &str, message: String| TargetError::Refused {
            action: action.into(),
            status: 0,
            message,
        };
        let Value::Array(components) = components else {
            return Err(unexpected("GET /components", "not a JSON array".into()));
        };
        from_admin_api(&components, &keys).map_err(|e| unexpected("GET /keys", e.to_string()))
    }

    async fn change_key(&self, change: &KeyChange) -> Result<(), TargetError> {
        let client = self.client();
        match change {
            KeyChange::Create { name, settings } => {
                let realm = client.get(&[], &[]).await?;
                let mut component = json!({
                    "name": name,
                    "providerId": "rsa-generated",
                    "providerType": KEY_PROVIDER_TYPE,
                    "parentId": realm.get("id").cloned().unwrap_or(Value::Null),
                    "config": {"keySize": ["2048"], "algorithm": ["RS256"]},
                });
                set_settings(&mut component, settings);
                client.create(&["components"], &component).await?;
            }
            KeyChange::Update { id, name, to, .. } => {
                let Some(mut component) = client.get_optional(&["components", id]).await? else {
                    return Err(TargetError::Missing {
                        object: format!("key provider {name}"),
                    });
                };
                set_settings(&mut component, to);
                client.put(&["components", id], &component).await?;
            }
            KeyChange::Delete { id, .. } => client.delete(&["components", id], None).await?,
        }
        Ok(())
    }

    async fn commit_keys(&self) -> Result<(), TargetError> {
        self.commit().await
    }
}
