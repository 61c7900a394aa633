//! The handoff summary: what a partner needs from us to finish its side of a federation, as
//! JSON for tools and Markdown for people. Pure: built from the record, the attribute profile
//! and, for SAML, our IdP descriptor exactly as served (the XML file handed over beside it is
//! that descriptor plus our contact), so the summary cannot disagree with the file.

use std::fmt::Write;

use serde::Serialize;
use time::OffsetDateTime;

use crate::desired;
use crate::record::attribute::SamlNameFormat;
use crate::record::profile::AttributeProfile;
use crate::record::{ClientAuth, ClientType, Federation, NameIdFormat, Pkce, Protocol};
use crate::saml::{Endpoint, Entity};

#[derive(Debug, Clone, Serialize)]
pub struct Handoff {
    pub record: String,
    pub partner: String,
    #[serde(flatten)]
    pub details: Details,
    pub released_attributes: Vec<ReleasedAttribute>,
    pub contacts: Contacts,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "protocol", rename_all = "lowercase")]
pub enum Details {
    Saml(SamlDetails),
    Oidc(OidcDetails),
}

#[derive(Debug, Clone, Serialize)]
pub struct SamlDetails {
    pub entity_id: String,
    /// The exported metadata file, beside this summary.
    pub metadata_file: String,
    pub single_sign_on: Vec<EndpointSummary>,
    pub single_logout: Vec<EndpointSummary>,
    pub signing_certificates: Vec<CertificateSummary>,
    /// The NameID format we send (URI).
    pub name_id_format: String,
    pub assertions_signed: bool,
    pub responses_signed: bool,
    /// The partner's side as we configured it, for the partner to check.
    pub partner_entity_id: Option<String>,
    pub partner_acs: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndpointSummary {
    pub binding: String,
    pub location: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CertificateSummary {
    pub key_name: Option<String>,
    pub subject: String,
    /// SHA-256 of the DER, colon-separated upper-case hex.
    pub sha256_fingerprint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct OidcDetails {
    pub issuer: String,
    pub discovery_url: String,
    pub client_id: Option<String>,
    pub client_type: &'static str,
    /// `token_endpoint_auth_method` values the client may use.
    pub token_endpoint_auth_methods: Vec<&'static str>,
    pub pkce: Option<&'static str>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub client_secret: ClientSecret,
}

/// Where the client secret is. The secret itself is never part of a handoff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ClientSecret {
    /// Public clients and private_key_jwt clients have none.
    NotUsed,
    /// Left out; `--show-secret` writes it to an owner-only file.
    Withheld,
    /// In this owner-only file, beside the summary.
    Written { file: String },
    /// The target cannot give it (realm exports mask secrets).
    Unavailable { reason: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct ReleasedAttribute {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saml_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// The SAML `NameFormat` URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc_claim: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contacts {
    pub ours: Option<String>,
    pub partner: Option<String>,
}

/// The handoff of an outbound SAML federation; `idp` is our IdP descriptor, parsed.
pub fn saml(
    record_id: &str,
    federation: &Federation,
    profile: &AttributeProfile,
    idp: &Entity,
    metadata_file: &str,
) -> Handoff {
    let technical = &federation.technical;
    let role = idp.idp.as_ref();
    let endpoints = |pick: fn(&crate::saml::IdpDescriptor) -> &Vec<Endpoint>| {
        role.map(pick)
            .into_iter()
            .flatten()
            .map(|e| EndpointSummary {
                binding: e.binding.clone(),
                location: e.location.clone(),
            })
            .collect()
    };
    let signing_certificates = idp
        .keys()
        .filter(|(_, key)| key.usage.signs())
        .filter_map(|(_, key)| {
            let cert = key.certificate.as_ref().ok()?;
            Some(CertificateSummary {
                key_name: key.key_name.clone(),
                subject: cert.subject.clone(),
                sha256_fingerprint: cert.fingerprint_colons(),
                not_after: cert.not_after,
            })
        })
        .collect();
    let details = SamlDetails {
        entity_id: idp.entity_id.clone(),
        metadata_file: metadata_file.to_owned(),
        single_sign_on: endpoints(|d| &d.single_sign_on),
        single_logout: endpoints(|d| &d.role.single_logout),
        signing_certificates,
        name_id_format: name_id_uri(technical.name_id_format.unwrap_or(NameIdFormat::Email))
            .to_owned(),
        assertions_signed: technical.sign_assertions.unwrap_or(true),
        responses_signed: technical.sign_documents.unwrap_or(true),
        partner_entity_id: technical.partner_entity_id.clone(),
        partner_acs: technical
            .partner_acs
            .as_ref()
            .map(|acs| acs.as_slice().to_vec())
            .unwrap_or_default(),
    };
    handoff(record_id, federation, profile, Details::Saml(details))
}

/// The handoff of an outbound OIDC federation.
pub fn oidc(
    record_id: &str,
    federation: &Federation,
    profile: &AttributeProfile,
    client_secret: ClientSecret,
) -> Handoff {
    let technical = &federation.technical;
    let public = technical.client_type == Some(ClientType::Public);
    let issuer = technical.your_entity_id.trim_end_matches('/').to_owned();
    // Keycloak's client-secret authenticator accepts the secret either way.
    let token_endpoint_auth_methods = match (public, technical.client_auth) {
        (true, _) => vec!["none"],
        (false, Some(ClientAuth::PrivateKeyJwt)) => vec!["private_key_jwt"],
        (false, _) => vec!["client_secret_basic", "client_secret_post"],
    };
    // The same defaults as the client fedctl creates (desired state).
    let pkce = match technical.pkce {
        Some(Pkce::S256) => Some("S256"),
        Some(Pkce::Plain) => Some("plain"),
        Some(Pkce::Disabled) => None,
        None => public.then_some("S256"),
    };
    let details = OidcDetails {
        discovery_url: format!("{issuer}/.well-known/openid-configuration"),
        issuer,
        client_id: technical.client_id.clone(),
        client_type: if public { "public" } else { "confidential" },
        token_endpoint_auth_methods,
        pkce,
        redirect_uris: technical.redirect_uris.clone(),
        post_logout_redirect_uris: technical.post_logout_redirect_uris.clone(),
        client_secret,
    };
    handoff(record_id, federation, profile, Details::Oidc(details))
}

/// Whether a federation's client authenticates with a secret Keycloak generates.
pub fn uses_client_secret(federation: &Federation) -> bool {
    let technical = &federation.technical;
    federation.protocol == Protocol::Oidc
        && technical.client_type != Some(ClientType::Public)
        && technical.client_auth != Some(ClientAuth::PrivateKeyJwt)
}

fn handoff(
    record_id: &str,
    federation: &Federation,
    profile: &AttributeProfile,
    details: Details,
) -> Handoff {
    Handoff {
        record: record_id.to_owned(),
        partner: federation.partner.clone(),
        details,
        released_attributes: released_attributes(federation, profile),
        contacts: Contacts {
            ours: federation.contacts.your_technical.clone(),
            partner: federation.contacts.partner_technical.clone(),
        },
    }
}

/// The attributes the partner receives, resolved as the desired state resolves them, with the
/// names of the federation's protocol.
fn released_attributes(
    federation: &Federation,
    profile: &AttributeProfile,
) -> Vec<ReleasedAttribute> {
    federation
        .attributes_shared
        .iter()
        .filter_map(|shared| desired::resolve(shared, profile))
        .map(|(name, definition)| {
            let saml = definition
                .saml
                .as_ref()
                .filter(|_| federation.protocol == Protocol::Saml);
            let oidc = definition
                .oidc
                .as_ref()
                .filter(|_| federation.protocol == Protocol::Oidc);
            ReleasedAttribute {
                name,
                saml_name: saml.map(|s| s.name.clone()),
                friendly_name: saml.and_then(|s| s.friendly_name.clone()),
                name_format: saml.map(|s| name_format_uri(s.name_format)),
                oidc_claim: oidc.map(|o| o.claim.clone()),
            }
        })
        .collect()
}

fn name_format_uri(format: SamlNameFormat) -> &'static str {
    match format {
        SamlNameFormat::Basic => "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
        SamlNameFormat::Uri => "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
        SamlNameFormat::Unspecified => "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
    }
}

fn name_id_uri(format: NameIdFormat) -> &'static str {
    match format {
        NameIdFormat::Email => "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        NameIdFormat::Username => "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        NameIdFormat::Persistent => "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        NameIdFormat::Transient => "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    }
}

/// The summary as Markdown, for the partner's administrators.
pub fn markdown(handoff: &Handoff) -> String {
    let mut md = String::new();
    // `write!` into a String cannot fail.
    let _ = writeln!(md, "# Federation handoff: {}\n", handoff.partner);
    match &handoff.details {
        Details::Saml(saml) => saml_markdown(&mut md, saml),
        Details::Oidc(oidc) => oidc_markdown(&mut md, oidc),
    }
    attributes_markdown(&mut md, handoff);
    let contact = |c: &Option<String>| c.clone().unwrap_or_else(|| "not recorded".into());
    let _ = write!(
        md,
        "\n## Contacts\n\n- Our technical contact: {}\n- Your technical contact: {}\n\n\
         _Generated by fedctl from federation record `{}`._\n",
        contact(&handoff.contacts.ours),
        contact(&handoff.contacts.partner),
        handoff.record
    );
    md
}

fn saml_markdown(md: &mut String, saml: &SamlDetails) {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let _ = write!(
        md,
        "SAML 2.0: our identity provider signs your users in to your service provider.\n\n\
         ## Our identity provider\n\n\
         - Entity ID: `{}`\n\
         - Metadata: `{}` (attached; import it rather than typing values)\n\
         - NameID format: `{}`\n\
         - Assertions signed: {}; responses signed: {}\n",
        saml.entity_id,
        saml.metadata_file,
        saml.name_id_format,
        yes_no(saml.assertions_signed),
        yes_no(saml.responses_signed)
    );
    endpoints_markdown(md, "Single sign-on endpoints", &saml.single_sign_on);
    endpoints_markdown(md, "Single logout endpoints", &saml.single_logout);
    md.push_str("\n### Signing certificates\n\n");
    table(
        md,
        &["Key name", "SHA-256 fingerprint", "Not after"],
        saml.signing_certificates.iter().map(|c| {
            vec![
                c.key_name.clone().unwrap_or_default(),
                c.sha256_fingerprint.clone(),
                c.not_after.date().to_string(),
            ]
        }),
    );
    let _ = writeln!(
        md,
        "\n## Your service provider, as we configured it\n\n- Entity ID: `{}`",
        saml.partner_entity_id.as_deref().unwrap_or("not recorded")
    );
    for acs in &saml.partner_acs {
        let _ = writeln!(md, "- Assertion consumer service: `{acs}`");
    }
}

fn endpoints_markdown(md: &mut String, title: &str, endpoints: &[EndpointSummary]) {
    let _ = write!(md, "\n### {title}\n\n");
    table(
        md,
        &["Binding", "Location"],
        endpoints
            .iter()
            .map(|e| vec![e.binding.clone(), e.location.clone()]),
    );
}

fn oidc_markdown(md: &mut String, oidc: &OidcDetails) {
    let _ = write!(
        md,
        "OpenID Connect: our OpenID provider signs your users in to your application.\n\n\
         ## Our OpenID provider\n\n\
         - Issuer: `{}`\n\
         - Discovery URL: `{}`\n\
         - Client ID: `{}`\n\
         - Client type: {}\n\
         - Token endpoint authentication: {}\n\
         - PKCE: {}\n\
         - Client secret: {}\n",
        oidc.issuer,
        oidc.discovery_url,
        oidc.client_id.as_deref().unwrap_or("not recorded"),
        oidc.client_type,
        oidc.token_endpoint_auth_methods.join(" or "),
        oidc.pkce.unwrap_or("not required"),
        secret_text(&oidc.client_secret)
    );
    for (title, uris) in [
        ("Redirect URIs", &oidc.redirect_uris),
        ("Post-logout redirect URIs", &oidc.post_logout_redirect_uris),
    ] {
        if !uris.is_empty() {
            let _ = writeln!(md, "\n### {title}\n");
            for uri in uris {
                let _ = writeln!(md, "- `{uri}`");
            }
        }
    }
}

fn secret_text(secret: &ClientSecret) -> String {
    match secret {
        ClientSecret::NotUsed => "none (this client does not use one)".into(),
        ClientSecret::Withheld => {
            "not included; rerun with --show-secret to write it to an owner-only file".into()
        }
        ClientSecret::Written { file } => {
            format!("in `{file}` (owner-only file; send it over a separate secure channel)")
        }
        ClientSecret::Unavailable { reason } => format!("not available: {reason}"),
    }
}

fn attributes_markdown(md: &mut String, handoff: &Handoff) {
    md.push_str("\n## Released attributes\n\n");
    match handoff.details {
        Details::Saml(_) => table(
            md,
            &["Attribute", "SAML name", "Friendly name", "Name format"],
            handoff.released_attributes.iter().map(|a| {
                vec![
                    a.name.clone(),
                    a.saml_name.clone().unwrap_or_default(),
                    a.friendly_name.clone().unwrap_or_default(),
                    a.name_format.unwrap_or_default().to_owned(),
                ]
            }),
        ),
        Details::Oidc(_) => table(
            md,
            &["Attribute", "Claim"],
            handoff
                .released_attributes
                .iter()
                .map(|a| vec![a.name.clone(), a.oidc_claim.clone().unwrap_or_default()]),
        ),
    }
}

fn table(md: &mut String, headers: &[&str], rows: impl Iterator<Item = Vec<String>>) {
    let _ = writeln!(md, "| {} |", headers.join(" | "));
    let _ = writeln!(md, "|{}", "---|".repeat(headers.len()));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
        let _ = writeln!(md, "| {} |", cells.join(" | "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::RecordFile;

    fn profile() -> AttributeProfile {
        serde_saphyr::from_str(include_str!("../../templates/attributes.yaml")).unwrap()
    }

    fn federation(yaml: &str) -> Federation {
        serde_saphyr::from_str::<RecordFile>(yaml)
            .unwrap()
            .federation
    }

    const OIDC: &str = r#"federation:
  partner: "P"
  type: oidc
  direction: your-idp-to-partner-sp
  technical:
    your_entity_id: "https://idp.example.org/realms/r/"
    client_id: "app"
    client_type: public
    redirect_uris: ["https://app.example.org/cb"]
  access_control: {group: g, approver: a, review_frequency: annual}
  attributes_shared: [email]
"#;

    #[test]
    fn oidc_public_clients_use_pkce_and_no_secret() {
        let federation = federation(OIDC);
        assert!(!uses_client_secret(&federation));
        let handoff = oidc("p", &federation, &profile(), ClientSecret::NotUsed);
        let Details::Oidc(details) = &handoff.details else {
            panic!("oidc details")
        };
        assert_eq!(
            details.discovery_url,
            "https://idp.example.org/realms/r/.well-known/openid-configuration"
        );
        assert_eq!(details.token_endpoint_auth_methods, ["none"]);
        assert_eq!(details.pkce, Some("S256"));
        assert_eq!(
            handoff.released_attributes[0].oidc_claim.as_deref(),
            Some("email")
        );
        assert_eq!(handoff.released_attributes[0].saml_name, None);
        let json = serde_json::to_value(&handoff).unwrap();
        assert_eq!(json["protocol"], "oidc");
        assert_eq!(json["client_secret"]["status"], "not_used");
    }

    #[test]
    fn markdown_cells_escape_pipes() {
        let mut md = String::new();
        table(&mut md, &["A"], std::iter::once(vec!["x|y".to_owned()]));
        assert_eq!(md, "| A |\n|---|\n| x\\|y |\n");
    }
}
