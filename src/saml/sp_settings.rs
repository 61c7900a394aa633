//! SP metadata → the client values Keycloak's own SP-metadata converter
//! (`saml2-entity-descriptor`, keycloak-admin-api.md §7.4) derives, as plain fields. The
//! desired-state code combines them with what the record says; the record wins.

use super::model::{
    Endpoint, Entity, KeyDescriptor, KeyUse, Position, RequestedAttribute, binding,
    preferred_english,
};
use crate::url_rule::{self, UrlProblem};

/// What the converter takes from one entity's `SPSSODescriptor`. Each field names the client
/// attribute it feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpSettings {
    /// `clientId`: the entityID.
    pub client_id: String,
    /// `saml_assertion_consumer_url_post`: the first HTTP-POST ACS in document order.
    pub acs_post: Option<String>,
    /// `saml_assertion_consumer_url_redirect`: the first HTTP-Redirect ACS.
    pub acs_redirect: Option<String>,
    /// The first HTTP-Artifact ACS (`saml_artifact_binding_url` in older Keycloak,
    /// `saml_assertion_consumer_url_artifact` in newer).
    pub acs_artifact: Option<String>,
    /// `redirectUris`: the ACS locations of the SAML 2.0 bindings Keycloak knows (POST,
    /// Redirect, SOAP, PAOS, Artifact), deduplicated, in document order. Keycloak keeps only
    /// the first per binding; fedctl keeps them all, because Keycloak rejects an AuthnRequest
    /// whose ACS URL is not listed, and an SP may use any ACS its metadata declares.
    pub redirect_uris: Vec<String>,
    /// `saml_single_logout_service_url_post` / `_redirect` / `_soap`: the first SLO per binding.
    pub slo_post: Option<String>,
    pub slo_redirect: Option<String>,
    pub slo_soap: Option<String>,
    /// `saml_artifact_resolution_service_url`: the `isDefault` ARS, else the lowest index.
    pub artifact_resolution_service: Option<String>,
    /// `saml.signing.certificate` (base64 DER): the last readable `use="signing"` key, as
    /// Keycloak takes it; failing that, the last readable key without `use`.
    pub signing_certificate: Option<String>,
    /// `saml.client.signature`: Keycloak requires signed requests only when a key is
    /// explicitly `use="signing"` (keys without `use` do not switch it on).
    pub client_signature_required: bool,
    /// `saml.encryption.certificate` (base64 DER): the last readable `use="encryption"` key;
    /// failing that, the last readable key without `use`.
    pub encryption_certificate: Option<String>,
    /// `saml.encrypt`: only for an explicit `use="encryption"` key, as in Keycloak.
    pub encrypt_assertions: bool,
    /// `saml_name_id_format`: the first NameIDFormat Keycloak can map.
    pub name_id_format: Option<NameIdFormat>,
    /// `saml.assertion.signature`: `WantAssertionsSigned`.
    pub want_assertions_signed: bool,
    /// `logoUri`: the first mdui Logo.
    pub logo_uri: Option<String>,
    /// `policyUri`: the English mdui PrivacyStatementURL, else the first.
    pub policy_uri: Option<String>,
    /// One `saml-user-attribute-mapper` per requested attribute in Keycloak's converter.
    pub requested_attributes: Vec<RequestedAttribute>,
}

/// Keycloak's `saml_name_id_format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameIdFormat {
    Email,
    Persistent,
    Transient,
    Username,
}

impl NameIdFormat {
    /// The mapping of Keycloak's `SamlClient.samlNameIDFormatToClientAttribute`: exact URIs only.
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri {
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" => Some(NameIdFormat::Email),
            "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" => {
                Some(NameIdFormat::Persistent)
            }
            "urn:oasis:names:tc:SAML:2.0:nameid-format:transient" => Some(NameIdFormat::Transient),
            "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" => Some(NameIdFormat::Username),
            _ => None,
        }
    }

    /// The attribute value Keycloak stores.
    pub fn as_keycloak(self) -> &'static str {
        match self {
            NameIdFormat::Email => "email",
            NameIdFormat::Persistent => "persistent",
            NameIdFormat::Transient => "transient",
            NameIdFormat::Username => "username",
        }
    }
}

/// The `attribute.nameformat` label Keycloak's attribute mapper uses for a `NameFormat` URI.
pub fn keycloak_name_format(uri: &str) -> Option<&'static str> {
    match uri {
        "urn:oasis:names:tc:SAML:2.0:attrname-format:uri" => Some("URI Reference"),
        "urn:oasis:names:tc:SAML:2.0:attrname-format:basic" => Some("Basic"),
        "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified" => Some("Unspecified"),
        _ => None,
    }
}

/// Why an entity cannot be onboarded as a SAML client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpSettingsError {
    #[error(
        "entity {entity_id:?} has no SPSSODescriptor{}",
        if *.is_idp { " (it is an identity provider: is this the partner's IdP metadata?)" } else { "" }
    )]
    NotAServiceProvider { entity_id: String, is_idp: bool },
    #[error("entity {entity_id:?} is a SAML 1.x service provider; Keycloak speaks SAML 2.0 only")]
    NoSaml2 { entity_id: String },
    #[error(
        "{position}: {element} Location {location:?} {problem}; Keycloak would send users and \
         assertions there, so the metadata is refused"
    )]
    UnsafeLocation {
        element: &'static str,
        location: String,
        problem: UrlProblem,
        position: Position,
    },
}

/// The SAML 2.0 ACS bindings Keycloak's converter reads, in its order.
const ACS_BINDINGS: [&str; 5] = [
    binding::HTTP_POST,
    binding::HTTP_REDIRECT,
    binding::SOAP,
    binding::PAOS,
    binding::HTTP_ARTIFACT,
];

impl SpSettings {
    pub fn from_entity(entity: &Entity) -> Result<SpSettings, SpSettingsError> {
        let sp = entity
            .sp
            .as_ref()
            .ok_or_else(|| SpSettingsError::NotAServiceProvider {
                entity_id: entity.entity_id.clone(),
                is_idp: entity.idp.is_some(),
            })?;
        if !sp.role.supports_saml2() {
            return Err(SpSettingsError::NoSaml2 {
                entity_id: entity.entity_id.clone(),
            });
        }
        let acs = &sp.assertion_consumer;
        let slo = &sp.role.single_logout;
        let keys = &sp.role.keys;
        check_locations(
            "AssertionConsumerService",
            with_bindings(acs, &ACS_BINDINGS),
        )?;
        check_locations("SingleLogoutService", with_bindings(slo, &SLO_BINDINGS))?;
        check_locations("ArtifactResolutionService", &sp.role.artifact_resolution)?;
        let mut redirect_uris: Vec<String> = Vec::new();
        for endpoint in with_bindings(acs, &ACS_BINDINGS) {
            if !redirect_uris.contains(&endpoint.location) {
                redirect_uris.push(endpoint.location.clone());
            }
        }
        Ok(SpSettings {
            client_id: entity.entity_id.clone(),
            acs_post: first_location(acs, binding::HTTP_POST),
            acs_redirect: first_location(acs, binding::HTTP_REDIRECT),
            acs_artifact: first_location(acs, binding::HTTP_ARTIFACT),
            redirect_uris,
            slo_post: first_location(slo, binding::HTTP_POST),
            slo_redirect: first_location(slo, binding::HTTP_REDIRECT),
            slo_soap: first_location(slo, binding::SOAP),
            artifact_resolution_service: default_endpoint(&sp.role.artifact_resolution),
            signing_certificate: certificate_for(keys, KeyUse::Signing),
            client_signature_required: keys
                .iter()
                .any(|k| k.usage == KeyUse::Signing && k.certificate.is_ok()),
            encryption_certificate: certificate_for(keys, KeyUse::Encryption),
            encrypt_assertions: keys
                .iter()
                .any(|k| k.usage == KeyUse::Encryption && k.certificate.is_ok()),
            name_id_format: sp
                .role
                .name_id_formats
                .iter()
                .find_map(|f| NameIdFormat::from_uri(f)),
            want_assertions_signed: sp.want_assertions_signed.unwrap_or(false),
            logo_uri: sp.role.ui.logos.first().map(|l| l.value.clone()),
            policy_uri: preferred_english(&sp.role.ui.privacy_statement_urls).map(str::to_owned),
            requested_attributes: sp.requested_attributes.clone(),
        })
    }
}

/// The logout bindings whose locations Keycloak is given.
const SLO_BINDINGS: [&str; 3] = [binding::HTTP_POST, binding::HTTP_REDIRECT, binding::SOAP];

fn with_bindings<'e>(
    endpoints: &'e [Endpoint],
    bindings: &'e [&str],
) -> impl Iterator<Item = &'e Endpoint> {
    endpoints
        .iter()
        .filter(|e| bindings.contains(&e.binding.as_str()))
}

/// Every location Keycloak can be given passes the URL rule a record's URLs pass.
fn check_locations<'e>(
    element: &'static str,
    endpoints: impl IntoIterator<Item = &'e Endpoint>,
) -> Result<(), SpSettingsError> {
    for endpoint in endpoints {
        if let Err(problem) = url_rule::check(&endpoint.location, false) {
            return Err(SpSettingsError::UnsafeLocation {
                element,
                location: url_rule::redact_credentials(&endpoint.location).into_owned(),
                problem,
                position: endpoint.position,
            });
        }
    }
    Ok(())
}

fn first_location(endpoints: &[Endpoint], binding: &str) -> Option<String> {
    endpoints
        .iter()
        .find(|e| e.binding == binding)
        .map(|e| e.location.clone())
}

/// The `isDefault="true"` endpoint, else the one with the lowest index (Keycloak's rule for
/// the artifact resolution service).
fn default_endpoint(endpoints: &[Endpoint]) -> Option<String> {
    endpoints
        .iter()
        .find(|e| e.is_default == Some(true))
        .or_else(|| endpoints.iter().min_by_key(|e| e.index.unwrap_or(u16::MAX)))
        .map(|e| e.location.clone())
}

/// The last readable certificate explicitly for `usage`, else the last readable one without `use`.
fn certificate_for(keys: &[KeyDescriptor], usage: KeyUse) -> Option<String> {
    let last_with = |wanted: KeyUse| {
        keys.iter()
            .rev()
            .filter(|k| k.usage == wanted)
            .find_map(|k| k.certificate.as_ref().ok())
            .map(|c| c.base64_der())
    };
    last_with(usage).or_else(|| last_with(KeyUse::Unspecified))
}
