//! The realm's key providers for the rollover port
//! ([`crate::target::key_providers::KeyProviderTarget`]): read from a realm export's
//! components, or from the admin API's `/components` and `/keys`; and the realm file's side
//! of changing them. (The admin API's side is [`super::admin::key_providers`].)
//!
//! Keycloak's admin API never returns a provider's private key or certificate in
//! `/components` (they are stripped), so live the public facts come from `/keys`.

use serde_json::{Value, json};

use super::generated_keys;
use super::keys::{self, KEY_PROVIDER_TYPE, KeyStatus, KeyUse, KeysError, RealmKey};
use super::realm_file::RealmFile;
use crate::target::key_providers::{
    KeyChange, KeyProvider, KeyProviderTarget, KeySettings, RSA_PROVIDER_TYPES,
};
use crate::target::{Target, TargetError};

/// Key providers of a realm export (RealmRepresentation JSON).
pub fn from_export(realm: &Value) -> Result<Vec<KeyProvider>, KeysError> {
    Ok(from_realm_keys(&keys::from_realm_export(realm)?))
}

/// Key providers as far as their keys tell (a realm export's, or `/keys`: there the state
/// comes from the key's status, and a disabled key reads as inactive).
pub fn from_realm_keys(keys: &[RealmKey]) -> Vec<KeyProvider> {
    keys.iter()
        .map(|key| {
            let settings = KeySettings {
                priority: key.priority.unwrap_or(0),
                enabled: key.status != KeyStatus::Disabled,
                active: key.status == KeyStatus::Active,
            };
            let name = key.provider_name.clone().unwrap_or_default();
            let provider_type = key.provider_type.clone().unwrap_or_default();
            provider(&key.provider_id, name, provider_type, settings, Some(key))
        })
        .collect()
}

/// Key providers from `GET /components?type=org.keycloak.keys.KeyProvider` (settings) and
/// `GET /keys` (kid, certificate, use, algorithm).
pub fn from_admin_api(
    components: &[Value],
    keys_metadata: &Value,
) -> Result<Vec<KeyProvider>, KeysError> {
    let keys = keys::from_keys_metadata(keys_metadata)?;
    Ok(components
        .iter()
        .map(|component| {
            let id = text(component, "id");
            let key = keys.iter().find(|k| k.provider_id == id);
            provider(
                &id,
                text(component, "name"),
                text(component, "providerId"),
                settings_of(component),
                key,
            )
        })
        .collect())
}

fn provider(
    id: &str,
    name: String,
    provider_type: String,
    settings: KeySettings,
    key: Option<&RealmKey>,
) -> KeyProvider {
    let rs256_signing = key.is_some_and(|k| {
        k.key_use == KeyUse::Sig
            && k.certificate.is_some()
            && match k.algorithm.as_deref() {
                Some(algorithm) => algorithm == "RS256",
                None => RSA_PROVIDER_TYPES.contains(&provider_type.as_str()),
            }
    });
    let certificate = key.and_then(|k| k.certificate.clone());
    let not_after = key.and_then(|k| k.valid_to).or_else(|| {
        crate::x509::parse_base64(certificate.as_deref()?)
            .ok()
            .map(|c| c.not_after)
    });
    KeyProvider {
        id: id.to_owned(),
        name,
        provider_type,
        priority: settings.priority,
        enabled: settings.enabled,
        active: settings.active,
        rs256_signing,
        kid: key.and_then(|k| k.kid.clone()),
        certificate,
        not_after,
    }
}

fn text(value: &Value, field: &str) -> String {
    value
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// First value of a MultivaluedHashMap config entry.
fn config<'v>(component: &'v Value, key: &str) -> Option<&'v str> {
    component.get("config")?.get(key)?.get(0)?.as_str()
}

/// Keycloak's defaults: priority 0, enabled and active unless configured `false`.
fn settings_of(component: &Value) -> KeySettings {
    let flag = |key| config(component, key).is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"));
    KeySettings {
        priority: config(component, "priority")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(0),
        enabled: flag("enabled"),
        active: flag("active"),
    }
}

/// Writes `settings` into a component's config (the rest of the component is kept).
pub fn set_settings(component: &mut Value, settings: &KeySettings) {
    if !component["config"].is_object() {
        component["config"] = json!({});
    }
    let config = &mut component["config"];
    config["priority"] = json!([settings.priority.to_string()]);
    config["enabled"] = json!([settings.enabled.to_string()]);
    config["active"] = json!([settings.active.to_string()]);
}

impl KeyProviderTarget for RealmFile {
    async fn key_providers(&self) -> Result<Vec<KeyProvider>, TargetError> {
        from_export(&self.document()).map_err(|e| TargetError::NotARealm {
            path: self.path().to_owned(),
            reason: e.to_string(),
        })
    }

    async fn change_key(&self, change: &KeyChange) -> Result<(), TargetError> {
        // fedctl generates the new key here; it goes into the document and nowhere else.
        let created = match change {
            KeyChange::Create { name, settings } => {
                let now = time::OffsetDateTime::now_utc();
                let mut component = generated_keys::signing_key_provider(self.realm(), now)
                    .map_err(|source| TargetError::KeyGen {
                        path: self.path().to_owned(),
                        source: Box::new(source),
                    })?;
                component["name"] = json!(name);
                set_settings(&mut component, settings);
                Some(component)
            }
            _ => None,
        };
        self.edit(|document| {
            let Some(list) = key_provider_list(document) else {
                return Err(TargetError::Missing {
                    object: "the realm's key-provider components".into(),
                });
            };
            match change {
                KeyChange::Create { .. } => list.extend(created),
                KeyChange::Update { id, name, to, .. } => {
                    let component = list
                        .iter_mut()
                        .find(|c| c.get("id").and_then(Value::as_str) == Some(id))
                        .ok_or_else(|| TargetError::Missing {
                            object: format!("key provider {name}"),
                        })?;
                    set_settings(component, to);
                }
                KeyChange::Delete { id, .. } => {
                    list.retain(|c| c.get("id").and_then(Value::as_str) != Some(id));
                }
            }
            Ok(())
        })
    }

    async fn commit_keys(&self) -> Result<(), TargetError> {
        self.commit().await
    }
}

/// The export's `components["org.keycloak.keys.KeyProvider"]` list, made if absent.
fn key_provider_list(document: &mut Value) -> Option<&mut Vec<Value>> {
    let components = document
        .as_object_mut()?
        .entry("components")
        .or_insert_with(|| json!({}));
    components
        .as_object_mut()?
        .entry(KEY_PROVIDER_TYPE)
        .or_insert_with(|| json!([]))
        .as_array_mut()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_components_and_keys_combine_into_providers() {
        let components = [
            json!({"id": "a", "name": "rsa-generated", "providerId": "rsa-generated",
                   "config": {"priority": ["100"]}}),
            json!({"id": "b", "name": "fedctl-rollover 2026-12-04 replaces a",
                   "providerId": "rsa-generated",
                   "config": {"priority": ["100"], "active": ["false"], "enabled": ["true"]}}),
            json!({"id": "h", "name": "hmac-generated-hs512", "providerId": "hmac-generated",
                   "config": {"priority": ["100"], "algorithm": ["HS512"]}}),
        ];
        let keys = json!({"keys": [
            {"providerId": "a", "kid": "ka", "status": "ACTIVE", "algorithm": "RS256", "use": "SIG",
             "certificate": "MIIB", "validTo": 1893456000000_i64},
            {"providerId": "b", "kid": "kb", "status": "PASSIVE", "algorithm": "RS256", "use": "SIG",
             "certificate": "MIIC", "validTo": 2112026150000_i64},
            {"providerId": "h", "kid": "kh", "status": "ACTIVE", "algorithm": "HS512", "use": "SIG"}
        ]});
        let providers = from_admin_api(&components, &keys).unwrap();
        assert_eq!(providers.len(), 3);
        assert!(providers[0].rs256_signing && providers[0].active);
        assert_eq!(providers[1].kid.as_deref(), Some("kb"));
        assert!(providers[1].enabled && !providers[1].active);
        assert_eq!(
            providers[1].not_after.unwrap().unix_timestamp(),
            2_112_026_150
        );
        assert!(
            !providers[2].rs256_signing,
            "HMAC keys are not in the descriptor"
        );
    }

    #[test]
    fn settings_follow_keycloak_defaults_and_are_written_as_lists() {
        let mut component = json!({"id": "x", "config": {"keySize": ["2048"]}});
        let defaults = settings_of(&component);
        assert_eq!(
            defaults,
            KeySettings {
                priority: 0,
                enabled: true,
                active: true
            }
        );
        let changed = KeySettings {
            priority: 101,
            enabled: true,
            active: false,
        };
        set_settings(&mut component, &changed);
        assert_eq!(settings_of(&component), changed);
        assert_eq!(
            component["config"]["keySize"],
            json!(["2048"]),
            "the rest is kept"
        );
        assert_eq!(component["config"]["active"], json!(["false"]));
    }
}
