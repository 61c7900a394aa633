//! Certificates of a Keycloak realm: the realm's own keys, and the partners' certificates that
//! SAML clients (outbound federations) and SAML identity providers (inbound) hold.
//!
//! Input is a [`RealmSnapshot`]: built from a realm export ([`RealmSnapshot::from_export`]) or,
//! for a live target, from `GET /keys`, `GET /clients` and `GET /identity-provider/instances`
//! ([`RealmSnapshot::from_admin_api`]; clients and identity providers have the same JSON
//! shapes as in an export).

use serde_json::Value;

use super::{RecordRef, read_certificate};
use crate::certs::model::{Found, Inventory, RealmSigning, SourceKind, Usage};
use crate::keycloak::key_providers::from_realm_keys;
use crate::keycloak::keys::{self, KeyStatus, KeyUse, KeysError, RealmKey};
use crate::record::Direction;
use crate::state::OWNER_ATTRIBUTE;
use crate::target::key_providers;

/// The parts of a realm that hold certificates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RealmSnapshot {
    pub keys: Vec<RealmKey>,
    /// ClientRepresentation JSON objects.
    pub clients: Vec<Value>,
    /// IdentityProviderRepresentation JSON objects.
    pub identity_providers: Vec<Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum RealmError {
    #[error(transparent)]
    Keys(#[from] KeysError),
    #[error("the realm's `{0}` is not an array")]
    NotAnArray(&'static str),
}

impl RealmSnapshot {
    /// Reads a realm export (RealmRepresentation JSON).
    pub fn from_export(realm: &Value) -> Result<Self, RealmError> {
        Ok(RealmSnapshot {
            keys: keys::from_realm_export(realm)?,
            clients: array(realm, "clients")?,
            identity_providers: array(realm, "identityProviders")?,
        })
    }

    /// Reads the admin API's answers: the `/keys` document (KeysMetadataRepresentation) and
    /// every client and identity provider of the realm, all pages.
    pub fn from_admin_api(
        keys: &Value,
        clients: Vec<Value>,
        identity_providers: Vec<Value>,
    ) -> Result<Self, RealmError> {
        Ok(RealmSnapshot {
            keys: keys::from_keys_metadata(keys)?,
            clients,
            identity_providers,
        })
    }
}

fn array(realm: &Value, field: &'static str) -> Result<Vec<Value>, RealmError> {
    match realm.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(_) => Err(RealmError::NotAnArray(field)),
    }
}

/// What the realm contributes to a check: its certificates ([`collect`]) and its published
/// signing certificates, to judge outbound records by.
pub fn inventory(realm: &RealmSnapshot, records: &[RecordRef<'_>]) -> Inventory {
    Inventory {
        certificates: collect(realm, records),
        realm_signing: signing(realm),
        ..Inventory::default()
    }
}

/// The realm's enabled RS256 signing certificates, and which of them Keycloak signs with.
fn signing(realm: &RealmSnapshot) -> Vec<RealmSigning> {
    let providers = from_realm_keys(&realm.keys);
    let signer = key_providers::signer(&providers).map(|p| p.id.as_str());
    providers
        .iter()
        .filter(|p| p.rs256_signing && p.enabled)
        .filter_map(|p| {
            Some(RealmSigning {
                not_after: p.not_after?.to_offset(time::UtcOffset::UTC).date(),
                signs: Some(p.id.as_str()) == signer,
            })
        })
        .collect()
}

/// Every certificate of the realm that the given federations depend on.
///
/// Realm keys are used by every federation of the realm, so each is reported once per record.
/// Partner certificates come from the clients and identity providers the records manage;
/// without records every SAML client and SAML identity provider of the realm is checked.
/// Certificates Keycloak does not use (signature validation or encryption switched off) are
/// left out: their expiry breaks nothing.
pub fn collect(realm: &RealmSnapshot, records: &[RecordRef<'_>]) -> Vec<Found> {
    let mut found = Vec::new();
    if records.is_empty() {
        found.extend(key_certificates(&realm.keys, None, ""));
        for client in &realm.clients {
            let partner = str_field(client, "clientId").unwrap_or_default();
            found.extend(client_certificates(client, None, partner));
        }
        for idp in &realm.identity_providers {
            let partner = config(idp, "idpEntityId")
                .or(str_field(idp, "alias"))
                .unwrap_or_default();
            found.extend(identity_provider_certificates(idp, None, partner));
        }
        return found;
    }
    for record in records {
        let (id, partner) = (Some(record.id), record.federation.partner.as_str());
        found.extend(key_certificates(&realm.keys, id, partner));
        match record.federation.direction {
            Direction::Outbound => {
                if let Some(client) = managed_client(realm, record) {
                    found.extend(client_certificates(client, id, partner));
                }
            }
            Direction::Inbound => {
                if let Some(idp) = managed_identity_provider(realm, record) {
                    found.extend(identity_provider_certificates(idp, id, partner));
                }
            }
        }
    }
    found
}

fn key_certificates<'a>(
    keys: &'a [RealmKey],
    federation: Option<&'a str>,
    partner: &'a str,
) -> impl Iterator<Item = Found> + 'a {
    // Disabled keys are neither used nor published, so their certificates cannot break anything.
    keys.iter()
        .filter(|key| key.status != KeyStatus::Disabled)
        .filter_map(move |key| {
            Some(Found {
                federation: federation.map(str::to_owned),
                partner: partner.to_owned(),
                source: SourceKind::RealmKey,
                location: key_location(key),
                usage: match key.key_use {
                    KeyUse::Sig => Usage::Signing,
                    KeyUse::Enc => Usage::Encryption,
                },
                evidence: read_certificate(key.certificate.as_deref()?),
            })
        })
}

/// Where a realm key is, by what identifies it. Not its state: the location is a Prometheus
/// label, and deactivating a key must not start new series for the same certificate.
fn key_location(key: &RealmKey) -> String {
    let name = key.provider_name.as_deref().unwrap_or(&key.provider_id);
    match &key.kid {
        Some(kid) => format!("key {name} (kid {kid})"),
        None => format!("key {name}"),
    }
}

/// The client a record manages: clientId = the partner's entity ID (SAML) or client ID (OIDC).
fn managed_client<'a>(realm: &'a RealmSnapshot, record: &RecordRef<'_>) -> Option<&'a Value> {
    let technical = &record.federation.technical;
    let client_id = technical
        .partner_entity_id
        .as_deref()
        .or(technical.client_id.as_deref())?;
    realm
        .clients
        .iter()
        .find(|c| str_field(c, "clientId") == Some(client_id))
}

/// The identity provider a record manages: the one fedctl marked as the record's; else by
/// `idp_alias`; without one, by the partner's entity ID (`idpEntityId`) or by the record id
/// as alias.
fn managed_identity_provider<'a>(
    realm: &'a RealmSnapshot,
    record: &RecordRef<'_>,
) -> Option<&'a Value> {
    let technical = &record.federation.technical;
    let marked = realm
        .identity_providers
        .iter()
        .find(|idp| config(idp, OWNER_ATTRIBUTE) == Some(record.id));
    marked.or_else(|| {
        realm.identity_providers.iter().find(|idp| {
            let alias = str_field(idp, "alias");
            match &technical.idp_alias {
                Some(wanted) => alias == Some(wanted.as_str()),
                None => {
                    alias == Some(record.id)
                        || (technical.partner_entity_id.is_some()
                            && config(idp, "idpEntityId") == technical.partner_entity_id.as_deref())
                }
            }
        })
    })
}

/// The partner certificates of a SAML client (keycloak-admin-api.md §2.4), each only when the
/// switch that makes Keycloak use it is on.
fn client_certificates(client: &Value, federation: Option<&str>, partner: &str) -> Vec<Found> {
    const CERTIFICATES: [(&str, &str, Usage); 2] = [
        (
            "saml.signing.certificate",
            "saml.client.signature",
            Usage::Signing,
        ),
        (
            "saml.encryption.certificate",
            "saml.encrypt",
            Usage::Encryption,
        ),
    ];
    let attribute = |name: &str| {
        client
            .get("attributes")
            .and_then(|a| a.get(name))
            .and_then(Value::as_str)
            .filter(|v| !v.trim().is_empty())
    };
    let client_id = str_field(client, "clientId").unwrap_or_default();
    CERTIFICATES
        .iter()
        .filter(|(_, switch, _)| attribute(switch) == Some("true"))
        .filter_map(|&(name, _, usage)| {
            Some(Found {
                federation: federation.map(str::to_owned),
                partner: partner.to_owned(),
                source: SourceKind::SamlClient,
                location: format!("client {client_id} {name}"),
                usage,
                evidence: read_certificate(attribute(name)?),
            })
        })
        .collect()
}

/// The signing certificates of a SAML identity provider (§5.1: several, comma-separated),
/// when Keycloak validates signatures with them.
fn identity_provider_certificates(
    idp: &Value,
    federation: Option<&str>,
    partner: &str,
) -> Vec<Found> {
    if str_field(idp, "providerId") != Some("saml")
        || config(idp, "validateSignature") != Some("true")
    {
        return Vec::new();
    }
    let alias = str_field(idp, "alias").unwrap_or_default();
    let certificates: Vec<&str> = config(idp, "signingCertificate")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let several = certificates.len() > 1;
    certificates
        .iter()
        .enumerate()
        .map(|(i, text)| Found {
            federation: federation.map(str::to_owned),
            partner: partner.to_owned(),
            source: SourceKind::IdentityProvider,
            location: if several {
                format!("identity provider {alias} signingCertificate #{}", i + 1)
            } else {
                format!("identity provider {alias} signingCertificate")
            },
            usage: Usage::Signing,
            evidence: read_certificate(text),
        })
        .collect()
}

fn str_field<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str)
}

fn config<'a>(idp: &'a Value, key: &str) -> Option<&'a str> {
    idp.get("config")
        .and_then(|c| c.get(key))
        .and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::certs::model::Evidence;
    use crate::record::RecordFile;

    fn inbound(idp_alias: Option<&str>) -> RecordFile {
        let alias = idp_alias.map_or(String::new(), |a| format!("    idp_alias: {a}\n"));
        let yaml = format!(
            "federation:\n  partner: Uni\n  type: saml\n  direction: partner-idp-to-your-sp\n  technical:\n    \
             your_entity_id: https://idp.example.org/realms/r\n    partner_entity_id: https://idp.uni.example\n{alias}  \
             access_control:\n    group: g\n    approver: a\n    review_frequency: annual\n"
        );
        serde_saphyr::from_str(&yaml).unwrap()
    }

    fn idp(alias: &str, entity_id: &str) -> Value {
        json!({"alias": alias, "providerId": "saml",
               "config": {"idpEntityId": entity_id, "validateSignature": "true", "signingCertificate": "AAAA, BBBB"}})
    }

    fn aliases(found: &[Found]) -> Vec<&str> {
        found.iter().map(|f| f.location.as_str()).collect()
    }

    #[test]
    fn the_identity_provider_fedctl_marked_for_the_record_comes_first() {
        let mut marked = idp("broker", "https://metadata-only.example");
        marked["config"]["fedctl.managed-by"] = json!("uni");
        let realm = RealmSnapshot {
            identity_providers: vec![idp("x", "https://idp.uni.example"), marked],
            ..RealmSnapshot::default()
        };
        let record = inbound(None);
        let refs = [RecordRef {
            id: "uni",
            federation: &record.federation,
        }];
        let found = collect(&realm, &refs);
        assert!(
            found
                .iter()
                .all(|f| f.location.starts_with("identity provider broker ")),
            "{:?}",
            aliases(&found)
        );
    }

    #[test]
    fn an_identity_provider_is_found_by_alias_or_entity_id() {
        let realm = RealmSnapshot {
            identity_providers: vec![
                idp("uni", "https://other.example"),
                idp("x", "https://idp.uni.example"),
            ],
            ..RealmSnapshot::default()
        };
        let by_entity_id = inbound(None);
        let refs = [RecordRef {
            id: "nomatch",
            federation: &by_entity_id.federation,
        }];
        assert_eq!(
            aliases(&collect(&realm, &refs)),
            [
                "identity provider x signingCertificate #1",
                "identity provider x signingCertificate #2"
            ]
        );
        let refs = [RecordRef {
            id: "uni",
            federation: &by_entity_id.federation,
        }];
        assert!(aliases(&collect(&realm, &refs))[0].starts_with("identity provider uni "));
        // An explicit alias wins over the entity ID.
        let by_alias = inbound(Some("uni"));
        let refs = [RecordRef {
            id: "nomatch",
            federation: &by_alias.federation,
        }];
        let found = collect(&realm, &refs);
        assert!(
            found
                .iter()
                .all(|f| f.location.starts_with("identity provider uni "))
        );
        assert!(
            found
                .iter()
                .all(|f| matches!(f.evidence, Evidence::Unreadable(_)))
        );
        assert!(
            found
                .iter()
                .all(|f| f.federation.as_deref() == Some("nomatch") && f.partner == "Uni")
        );
    }

    #[test]
    fn disabled_keys_and_keys_without_certificates_are_left_out() {
        let key = |id: &str, status, certificate: Option<&str>| RealmKey {
            provider_type: None,
            provider_id: id.into(),
            provider_name: None,
            kid: None,
            algorithm: None,
            status,
            key_use: KeyUse::Sig,
            priority: None,
            certificate: certificate.map(str::to_owned),
            valid_to: None,
        };
        let realm = RealmSnapshot {
            keys: vec![
                key("active", KeyStatus::Active, Some("AAAA")),
                key("passive", KeyStatus::Passive, Some("AAAA")),
                key("disabled", KeyStatus::Disabled, Some("AAAA")),
                key("hmac", KeyStatus::Active, None),
            ],
            ..RealmSnapshot::default()
        };
        assert_eq!(
            aliases(&collect(&realm, &[])),
            ["key active", "key passive"]
        );
    }

    #[test]
    fn a_keys_location_does_not_change_with_its_state() {
        let key = |status| RealmKey {
            provider_type: None,
            provider_id: "rsa-generated".into(),
            provider_name: Some("rsa-generated".into()),
            kid: Some("k1".into()),
            algorithm: None,
            status,
            key_use: KeyUse::Sig,
            priority: None,
            certificate: None,
            valid_to: None,
        };
        assert_eq!(
            key_location(&key(KeyStatus::Active)),
            "key rsa-generated (kid k1)"
        );
        assert_eq!(
            key_location(&key(KeyStatus::Passive)),
            key_location(&key(KeyStatus::Active))
        );
    }

    #[test]
    fn a_realm_export_with_a_wrong_shape_is_an_error() {
        assert!(matches!(
            RealmSnapshot::from_export(&json!({"clients": {}})),
            Err(RealmError::NotAnArray("clients"))
        ));
        assert_eq!(
            RealmSnapshot::from_export(&json!({})).unwrap(),
            RealmSnapshot::default()
        );
    }
}
