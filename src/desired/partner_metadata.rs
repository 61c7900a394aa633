//! The SAML client values of an outbound federation: what the record says, filled in from the
//! partner's SP metadata (design §2). Metadata supplies what the record leaves out; where both
//! speak, the record wins and the disagreement becomes a note that plan shows.

use crate::record::{NameIdFormat, Technical};
use crate::saml::SpSettings;

/// The values the SAML client gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlSettings {
    /// `redirectUris`: every ACS location.
    pub acs: Vec<String>,
    /// `saml_assertion_consumer_url_post`.
    pub acs_post: Option<String>,
    /// `saml_single_logout_service_url_post`.
    pub slo_post: Option<String>,
    /// `saml_name_id_format`.
    pub name_id_format: &'static str,
    /// `saml.signing.certificate`; `saml.client.signature` is on exactly when it is known.
    pub signing_certificate: Option<String>,
    /// `saml.encryption.certificate`; `saml.encrypt` is on exactly when it is known.
    pub encryption_certificate: Option<String>,
    /// Disagreements between record and metadata, and settings that cannot take effect.
    pub notes: Vec<String>,
}

pub fn saml_settings(technical: &Technical, metadata: Option<&SpSettings>) -> SamlSettings {
    let mut notes = Vec::new();
    if let (Some(sp), Some(entity_id)) = (metadata, &technical.partner_entity_id)
        && &sp.client_id != entity_id
    {
        notes.push(format!(
            "the metadata's entityID {:?} differs from partner_entity_id {entity_id:?}; the client keeps the record's",
            sp.client_id
        ));
    }
    let record_acs: Vec<String> = technical
        .partner_acs
        .as_ref()
        .map(|acs| acs.as_slice().to_vec())
        .unwrap_or_default();
    let (acs, acs_post) = match metadata {
        Some(sp) if record_acs.is_empty() => (sp.redirect_uris.clone(), sp.acs_post.clone()),
        _ => {
            if let Some(sp) = metadata
                && !same_set(&record_acs, &sp.redirect_uris)
            {
                notes.push(format!(
                    "partner_acs {record_acs:?} differs from the metadata's ACS {:?}; the record wins",
                    sp.redirect_uris
                ));
            }
            (record_acs.clone(), record_acs.first().cloned())
        }
    };
    let metadata_slo = metadata.and_then(|sp| sp.slo_post.clone());
    let slo_post = pick(
        "partner_slo",
        technical.partner_slo.clone(),
        metadata_slo,
        &mut notes,
    );
    let name_id_format = pick(
        "name_id_format",
        technical.name_id_format.map(NameIdFormat::keycloak_value),
        metadata.and_then(|sp| sp.name_id_format.map(|f| f.as_keycloak())),
        &mut notes,
    )
    .unwrap_or(NameIdFormat::Email.keycloak_value());
    if metadata.is_some_and(|sp| sp.want_assertions_signed)
        && technical.sign_assertions == Some(false)
    {
        notes.push(
            "the metadata wants signed assertions (WantAssertionsSigned); the record's sign_assertions: false wins"
                .into(),
        );
    }
    // Keycloak requires signed requests only for an explicit signing key, as its converter does.
    let signing_certificate = metadata
        .filter(|sp| sp.client_signature_required)
        .and_then(|sp| sp.signing_certificate.clone());
    let encryption_certificate = encryption(technical.encrypt_assertions, metadata, &mut notes);
    SamlSettings {
        acs,
        acs_post,
        slo_post,
        name_id_format,
        signing_certificate,
        encryption_certificate,
        notes,
    }
}

/// The record's value, else the metadata's; a note when both are given and differ.
fn pick<T: PartialEq + std::fmt::Debug>(
    field: &str,
    record: Option<T>,
    metadata: Option<T>,
    notes: &mut Vec<String>,
) -> Option<T> {
    match (record, metadata) {
        (Some(record), Some(metadata)) => {
            if record != metadata {
                notes.push(format!(
                    "{field} {record:?} differs from the metadata's {metadata:?}; the record wins"
                ));
            }
            Some(record)
        }
        (record, metadata) => record.or(metadata),
    }
}

/// Assertions are encrypted when the record asks for it, or, when it does not say, when the
/// metadata has an explicit encryption key (Keycloak's converter rule); always with the
/// certificate the metadata gives.
fn encryption(
    wanted: Option<bool>,
    metadata: Option<&SpSettings>,
    notes: &mut Vec<String>,
) -> Option<String> {
    let certificate = metadata.and_then(|sp| sp.encryption_certificate.clone());
    match wanted {
        Some(true) if certificate.is_none() => {
            notes.push(
                "encrypt_assertions is on but no partner encryption certificate is known \
                 (give partner_metadata with one); assertions stay unencrypted"
                    .into(),
            );
            None
        }
        Some(true) => certificate,
        Some(false) => {
            if metadata.is_some_and(|sp| sp.encrypt_assertions) {
                notes.push(
                    "the metadata has an encryption key; the record's encrypt_assertions: false wins"
                        .into(),
                );
            }
            None
        }
        None => certificate.filter(|_| metadata.is_some_and(|sp| sp.encrypt_assertions)),
    }
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.iter().all(|x| b.contains(x)) && b.iter().all(|x| a.contains(x))
}
