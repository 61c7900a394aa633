//! Realm signing and encryption keys, as the admin `/keys` endpoint reports them
//! (KeysMetadataRepresentation, keycloak-admin-api.md §7.3) or as a realm export stores them
//! (the key-provider components, §9.1).
//!
//! Only public facts are read. A realm export may carry private keys and secrets in the same
//! component config; they are never copied out of the JSON value.

use std::collections::BTreeMap;

use base64::Engine;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The component type key under which a realm export lists its key providers.
pub const KEY_PROVIDER_TYPE: &str = "org.keycloak.keys.KeyProvider";

/// One key of the realm, from either source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealmKey {
    /// Id of the key-provider component (the `/keys` endpoint calls it `providerId`).
    pub provider_id: String,
    /// Component name, e.g. `rsa-generated`: realm exports only, `/keys` does not report it.
    pub provider_name: Option<String>,
    /// The provider factory (the component's `providerId`, e.g. `rsa-generated`): realm
    /// exports only.
    pub provider_type: Option<String>,
    /// Key id: reported by `/keys`; for exports the configured `kid`, or, for keys with a
    /// certificate, computed the way Keycloak does ([`keycloak_kid`]).
    pub kid: Option<String>,
    pub algorithm: Option<String>,
    pub status: KeyStatus,
    pub key_use: KeyUse,
    pub priority: Option<i64>,
    /// The key's X.509 certificate as Keycloak stores it, base64 DER. Decoding is left to the
    /// caller so that an unreadable certificate can be reported as a finding, not a load error.
    pub certificate: Option<String>,
    /// Certificate notAfter as `/keys` reports it (`validTo`); exports do not carry it.
    pub valid_to: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum KeyStatus {
    /// Used to sign and to verify.
    Active,
    /// Still published and used to verify, no longer used to sign (rollover).
    Passive,
    /// Neither used nor published.
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum KeyUse {
    Sig,
    Enc,
}

#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error("the /keys response is not a KeysMetadataRepresentation: {0}")]
    Metadata(#[source] serde_json::Error),
    #[error("the realm export's `components` is not a map of component lists: {0}")]
    Components(#[source] serde_json::Error),
}

/// Reads the admin `GET {admin}/keys` response.
pub fn from_keys_metadata(json: &Value) -> Result<Vec<RealmKey>, KeysError> {
    let metadata = KeysMetadata::deserialize(json).map_err(KeysError::Metadata)?;
    Ok(metadata
        .keys
        .into_iter()
        .map(KeyMetadata::into_realm_key)
        .collect())
}

/// Reads the key-provider components of a realm export (RealmRepresentation JSON).
/// A realm without components has no keys (Keycloak generates them on import).
pub fn from_realm_export(realm: &Value) -> Result<Vec<RealmKey>, KeysError> {
    let Some(components) = realm.get("components") else {
        return Ok(Vec::new());
    };
    let mut by_type = BTreeMap::<String, Vec<Component>>::deserialize(components)
        .map_err(KeysError::Components)?;
    Ok(by_type
        .remove(KEY_PROVIDER_TYPE)
        .unwrap_or_default()
        .into_iter()
        .map(Component::into_realm_key)
        .collect())
}

/// The key id Keycloak gives a key it generated or imported: base64url (no padding) of the
/// SHA-256 of the public key's SubjectPublicKeyInfo DER (`KeyUtils.createKeyId`).
pub fn keycloak_kid(certificate_der: &[u8]) -> Option<String> {
    let (_, cert) = X509Certificate::from_der(certificate_der).ok()?;
    let digest = Sha256::digest(cert.public_key().raw);
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest))
}

#[derive(Deserialize)]
struct KeysMetadata {
    #[serde(default)]
    keys: Vec<KeyMetadata>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyMetadata {
    #[serde(default)]
    provider_id: String,
    provider_priority: Option<i64>,
    kid: Option<String>,
    algorithm: Option<String>,
    status: Option<KeyStatus>,
    #[serde(rename = "use")]
    key_use: Option<KeyUse>,
    certificate: Option<String>,
    /// Epoch milliseconds; a number in the JSON although the JS typings say string.
    valid_to: Option<Value>,
}

impl KeyMetadata {
    fn into_realm_key(self) -> RealmKey {
        RealmKey {
            provider_id: self.provider_id,
            provider_name: None,
            provider_type: None,
            kid: self.kid,
            algorithm: self.algorithm,
            status: self.status.unwrap_or(KeyStatus::Active),
            key_use: self.key_use.unwrap_or(KeyUse::Sig),
            priority: self.provider_priority,
            certificate: self.certificate.filter(|c| !c.trim().is_empty()),
            valid_to: self.valid_to.as_ref().and_then(epoch_millis),
        }
    }
}

fn epoch_millis(value: &Value) -> Option<OffsetDateTime> {
    let millis = match value {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok()
}

/// ComponentExportRepresentation; `config` is a MultivaluedHashMap (every value a list).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Component {
    #[serde(default)]
    id: String,
    name: Option<String>,
    provider_id: Option<String>,
    #[serde(default)]
    config: BTreeMap<String, Vec<String>>,
}

impl Component {
    fn first(&self, key: &str) -> Option<&str> {
        self.config
            .get(key)
            .and_then(|values| values.first())
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    fn is_false(&self, key: &str) -> bool {
        self.first(key)
            .is_some_and(|v| v.eq_ignore_ascii_case("false"))
    }

    fn into_realm_key(self) -> RealmKey {
        // Keycloak's defaults: a provider is enabled and active unless configured otherwise.
        let status = if self.is_false("enabled") {
            KeyStatus::Disabled
        } else if self.is_false("active") {
            KeyStatus::Passive
        } else {
            KeyStatus::Active
        };
        let certificate = self.first("certificate").map(str::to_owned);
        let kid = self.first("kid").map(str::to_owned).or_else(|| {
            let der = base64::engine::general_purpose::STANDARD
                .decode(certificate.as_deref()?.trim())
                .ok()?;
            keycloak_kid(&der)
        });
        RealmKey {
            kid,
            algorithm: self.first("algorithm").map(str::to_owned),
            status,
            key_use: self.key_use(),
            priority: self.first("priority").and_then(|p| p.trim().parse().ok()),
            certificate,
            valid_to: None,
            provider_type: self.provider_id,
            provider_id: self.id,
            provider_name: self.name,
        }
    }

    /// `keyUse` when configured; otherwise the provider's default: the `*-enc-*` RSA
    /// providers encrypt, every other key provider signs.
    fn key_use(&self) -> KeyUse {
        match self.first("keyUse").map(str::to_ascii_uppercase).as_deref() {
            Some("ENC") => KeyUse::Enc,
            Some(_) => KeyUse::Sig,
            None if self
                .provider_id
                .as_deref()
                .is_some_and(|p| p.contains("-enc-")) =>
            {
                KeyUse::Enc
            }
            None => KeyUse::Sig,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keycloak/");

    fn fixture(name: &str) -> Value {
        let text = std::fs::read_to_string(format!("{FIXTURES}{name}")).expect("fixture");
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn reads_the_keys_endpoint() {
        let json = json!({
            "active": {"RS256": "kid-1"},
            "keys": [
                {"providerId": "c1", "providerPriority": 100, "kid": "kid-1", "status": "ACTIVE",
                 "type": "RSA", "algorithm": "RS256", "publicKey": "AAAA", "certificate": "MIIB",
                 "use": "SIG", "validTo": 1893456000000_i64},
                {"providerId": "c2", "kid": "kid-2", "status": "PASSIVE", "type": "OCT",
                 "algorithm": "HS512", "use": "SIG"},
                {"providerId": "c3", "kid": "kid-3", "status": "DISABLED", "algorithm": "RSA-OAEP",
                 "use": "ENC", "certificate": "MIIC", "validTo": "1893456000000"}
            ]
        });
        let keys = from_keys_metadata(&json).unwrap();
        assert_eq!(keys.len(), 3);
        assert_eq!(keys[0].provider_id, "c1");
        assert_eq!(keys[0].priority, Some(100));
        assert_eq!(keys[0].valid_to.unwrap().unix_timestamp(), 1_893_456_000);
        assert_eq!(keys[1].status, KeyStatus::Passive);
        assert_eq!(keys[1].certificate, None);
        assert_eq!(keys[2].key_use, KeyUse::Enc);
        assert_eq!(keys[2].status, KeyStatus::Disabled);
        // The typings' string form is accepted too.
        assert_eq!(keys[2].valid_to, keys[0].valid_to);
    }

    #[test]
    fn a_wrong_keys_document_is_a_typed_error() {
        let err = from_keys_metadata(&json!({"keys": [{"status": "SOMETIMES"}]})).unwrap_err();
        assert!(matches!(err, KeysError::Metadata(_)), "{err}");
    }

    #[test]
    fn reads_key_components_of_a_keycloak_26_export() {
        let keys = from_realm_export(&fixture("kc26.5.5-saml-test-yo1000.json")).unwrap();
        assert_eq!(keys.len(), 4);
        let with_cert: Vec<_> = keys.iter().filter(|k| k.certificate.is_some()).collect();
        assert_eq!(with_cert.len(), 2);
        let signing = keys
            .iter()
            .find(|k| k.provider_name.as_deref() == Some("rsa-generated"))
            .unwrap();
        assert_eq!(signing.provider_id, "593df4d2-0d2a-4767-8195-c4e948388197");
        assert_eq!(signing.key_use, KeyUse::Sig);
        assert_eq!(signing.status, KeyStatus::Active);
        assert_eq!(signing.priority, Some(100));
        assert!(
            signing.kid.as_ref().is_some_and(|kid| kid.len() == 43),
            "{signing:?}"
        );
        let enc = keys
            .iter()
            .find(|k| k.provider_name.as_deref() == Some("rsa-enc-generated"))
            .unwrap();
        assert_eq!(enc.key_use, KeyUse::Enc);
        assert_eq!(enc.algorithm.as_deref(), Some("RSA-OAEP"));
        // Symmetric keys keep their configured kid and have no certificate.
        let hmac = keys
            .iter()
            .find(|k| k.provider_name.as_deref() == Some("hmac-generated-hs512"))
            .unwrap();
        assert_eq!(
            hmac.kid.as_deref(),
            Some("4e2b6ade-0522-4e1a-bfe9-6bd063aa11a7")
        );
    }

    #[test]
    fn never_copies_private_material() {
        // This export carries an unmasked RSA private key and HMAC/AES secrets.
        let realm = fixture("import_testrealm-user-null-attr.json");
        let keys = from_realm_export(&realm).unwrap();
        let debug = format!("{keys:?}");
        for component in realm["components"][KEY_PROVIDER_TYPE].as_array().unwrap() {
            for secret_key in ["privateKey", "secret"] {
                if let Some(secret) = component["config"][secret_key][0].as_str() {
                    assert!(!debug.contains(secret), "{secret_key} leaked");
                }
            }
        }
        assert_eq!(keys.iter().filter(|k| k.certificate.is_some()).count(), 1);
    }

    #[test]
    fn status_and_use_follow_keycloak_defaults() {
        let realm = json!({"components": {KEY_PROVIDER_TYPE: [
            {"id": "a", "providerId": "rsa-generated", "config": {"active": ["false"]}},
            {"id": "b", "providerId": "rsa-enc-generated", "config": {"enabled": ["false"], "active": ["true"]}},
            {"id": "c", "providerId": "java-keystore", "config": {}}
        ], "org.keycloak.storage.UserStorageProvider": []}});
        let keys = from_realm_export(&realm).unwrap();
        let summary: Vec<_> = keys
            .iter()
            .map(|k| (k.provider_id.as_str(), k.status, k.key_use))
            .collect();
        assert_eq!(
            summary,
            [
                ("a", KeyStatus::Passive, KeyUse::Sig),
                ("b", KeyStatus::Disabled, KeyUse::Enc),
                ("c", KeyStatus::Active, KeyUse::Sig)
            ]
        );
        assert!(
            from_realm_export(&json!({"realm": "x"}))
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            from_realm_export(&json!({"components": []})),
            Err(KeysError::Components(_))
        ));
    }

    #[test]
    fn every_realm_fixture_reads() {
        for entry in std::fs::read_dir(FIXTURES).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let realm: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                from_realm_export(&realm).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
    }
}
