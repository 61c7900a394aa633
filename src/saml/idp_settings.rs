//! IdP metadata → the identity-provider values Keycloak's own importer
//! (`identity-provider/import-config`, keycloak-admin-api.md §5.1) derives, as plain fields.
//! The desired-state code combines them with what the record says; the record wins.

use super::model::{Endpoint, Entity, binding};
use crate::url_rule::{self, UrlProblem};

/// What an inbound federation takes from the partner's `IDPSSODescriptor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpSettings {
    /// `idpEntityId`.
    pub entity_id: String,
    /// `singleSignOnServiceUrl`: HTTP-POST preferred, else HTTP-Redirect (as Keycloak).
    pub sso_url: Option<String>,
    /// `postBindingAuthnRequest`/`postBindingResponse`: the SSO service speaks HTTP-POST.
    pub sso_post: bool,
    /// `singleLogoutServiceUrl`, HTTP-POST preferred.
    pub slo_url: Option<String>,
    /// `postBindingLogout`.
    pub slo_post: bool,
    /// `signingCertificate`: every readable signing key (base64 DER), so a partner's key
    /// rollover (old and new key published side by side) keeps working.
    pub signing_certificates: Vec<String>,
    /// `wantAuthnRequestsSigned`: `WantAuthnRequestsSigned` of the descriptor.
    pub want_authn_requests_signed: bool,
    /// The first `NameIDFormat` the IdP lists.
    pub name_id_format: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdpSettingsError {
    #[error("entity {entity_id:?} has no IDPSSODescriptor (is this the partner's SP metadata?)")]
    NotAnIdentityProvider { entity_id: String },
    #[error("entity {entity_id:?} is a SAML 1.x identity provider; Keycloak speaks SAML 2.0 only")]
    NoSaml2 { entity_id: String },
    #[error(
        "{element} Location {location:?} {problem}; Keycloak would send users there, so the \
         metadata is refused"
    )]
    UnsafeLocation {
        element: &'static str,
        location: String,
        problem: UrlProblem,
    },
}

impl IdpSettings {
    pub fn from_entity(entity: &Entity) -> Result<IdpSettings, IdpSettingsError> {
        let idp = entity
            .idp
            .as_ref()
            .ok_or_else(|| IdpSettingsError::NotAnIdentityProvider {
                entity_id: entity.entity_id.clone(),
            })?;
        if !idp.role.supports_saml2() {
            return Err(IdpSettingsError::NoSaml2 {
                entity_id: entity.entity_id.clone(),
            });
        }
        let (sso_url, sso_post) = post_or_redirect("SingleSignOnService", &idp.single_sign_on)?;
        let (slo_url, slo_post) = post_or_redirect("SingleLogoutService", &idp.role.single_logout)?;
        Ok(IdpSettings {
            entity_id: entity.entity_id.clone(),
            sso_url,
            sso_post,
            slo_url,
            slo_post,
            signing_certificates: idp
                .role
                .keys
                .iter()
                // A key without `use` signs as well (SAML metadata §2.4.1.1).
                .filter(|k| k.usage.signs())
                .filter_map(|k| k.certificate.as_ref().ok())
                .map(|c| c.base64_der())
                .collect(),
            want_authn_requests_signed: idp.want_authn_requests_signed.unwrap_or(false),
            name_id_format: idp.role.name_id_formats.first().cloned(),
        })
    }
}

/// The HTTP-POST endpoint, else the HTTP-Redirect one; whether it is POST.
fn post_or_redirect(
    element: &'static str,
    endpoints: &[Endpoint],
) -> Result<(Option<String>, bool), IdpSettingsError> {
    let find = |wanted: &str| endpoints.iter().find(|e| e.binding == wanted);
    let (endpoint, post) = match find(binding::HTTP_POST) {
        Some(post) => (Some(post), true),
        None => (find(binding::HTTP_REDIRECT), false),
    };
    let Some(endpoint) = endpoint else {
        return Ok((None, false));
    };
    url_rule::check(&endpoint.location, false).map_err(|problem| {
        IdpSettingsError::UnsafeLocation {
            element,
            location: url_rule::redact_credentials(&endpoint.location).into_owned(),
            problem,
        }
    })?;
    Ok((Some(endpoint.location.clone()), post))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::parse_metadata;

    const IDP: &str = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.partner.example.org/idp">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.partner.example.org/sso/redirect"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.partner.example.org/sso/post"/>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.partner.example.org/slo"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#;

    #[test]
    fn takes_the_post_endpoint_and_the_idp_switches() {
        let metadata = parse_metadata(IDP.as_bytes()).unwrap();
        let settings = IdpSettings::from_entity(&metadata.entities[0]).unwrap();
        assert_eq!(settings.entity_id, "https://idp.partner.example.org/idp");
        assert_eq!(
            settings.sso_url.as_deref(),
            Some("https://idp.partner.example.org/sso/post")
        );
        assert!(settings.sso_post);
        assert_eq!(
            settings.slo_url.as_deref(),
            Some("https://idp.partner.example.org/slo")
        );
        assert!(!settings.slo_post);
        assert!(settings.want_authn_requests_signed);
        assert_eq!(
            settings.name_id_format.as_deref(),
            Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
        );
    }

    #[test]
    fn sp_metadata_is_not_an_identity_provider() {
        let sp = IDP.replace("IDPSSODescriptor", "SPSSODescriptor");
        let metadata = parse_metadata(sp.as_bytes()).unwrap();
        assert!(matches!(
            IdpSettings::from_entity(&metadata.entities[0]),
            Err(IdpSettingsError::NotAnIdentityProvider { .. })
        ));
    }
}
