//! A client's own settings → the record's `technical` block (and, for SAML, the partner
//! metadata that carries the certificates Keycloak holds).

use serde_json::Value;

use super::ImportOptions;
use super::metadata::SpMetadata;
use crate::record::{ClientAuth, ClientType, NameIdFormat, OneOrMany, Pkce, Protocol, Technical};
use crate::state::{Client, attribute_path};

/// The `technical` block and the metadata document it points at.
pub struct TechnicalPart {
    pub technical: Technical,
    pub metadata: Option<SpMetadata>,
}

/// The record protocol of a client; an error (the reason it is not imported) for others.
pub fn protocol(client: &Client) -> Result<Protocol, String> {
    if client.fields.get("bearerOnly") == Some(&Value::Bool(true)) {
        return Err("bearer-only client: nobody signs in to it, so it is no federation".into());
    }
    // Keycloak treats a client without a protocol as OpenID Connect.
    match client.protocol().unwrap_or("openid-connect") {
        "saml" => Ok(Protocol::Saml),
        "openid-connect" => Ok(Protocol::Oidc),
        other => Err(format!(
            "protocol `{other}`: records describe SAML and OpenID Connect federations"
        )),
    }
}

/// The partner's name: the client's display name, else its clientId.
pub fn partner(client_id: &str, client: &Client) -> String {
    client
        .fields
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .unwrap_or(client_id)
        .to_owned()
}

pub fn technical(
    client_id: &str,
    client: &Client,
    protocol: Protocol,
    options: &ImportOptions<'_>,
    notes: &mut Vec<String>,
) -> TechnicalPart {
    let mut technical = Technical {
        your_entity_id: options.your_entity_id.clone(),
        ..Technical::default()
    };
    let metadata = match protocol {
        Protocol::Saml => saml(client_id, client, &mut technical, notes),
        Protocol::Oidc => {
            oidc(client_id, client, &mut technical, notes);
            None
        }
    };
    TechnicalPart {
        technical,
        metadata,
    }
}

/// A client attribute's value; absent and empty are the same to Keycloak.
pub fn attribute<'c>(client: &'c Client, key: &str) -> Option<&'c str> {
    client
        .fields
        .get(&attribute_path(key))
        .and_then(Value::as_str)
        .filter(|value| !value.is_empty())
}

fn flag(client: &Client, key: &str) -> bool {
    attribute(client, key) == Some("true")
}

fn strings(client: &Client, field: &str) -> Vec<String> {
    client
        .fields
        .get(field)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn saml(
    client_id: &str,
    client: &Client,
    technical: &mut Technical,
    notes: &mut Vec<String>,
) -> Option<SpMetadata> {
    technical.partner_entity_id = Some(client_id.to_owned());
    // fedctl makes the first ACS the POST binding's and lists them all as redirect URIs.
    let mut acs: Vec<String> = attribute(client, "saml_assertion_consumer_url_post")
        .map(str::to_owned)
        .into_iter()
        .collect();
    for uri in strings(client, "redirectUris") {
        if !acs.contains(&uri) {
            acs.push(uri);
        }
    }
    technical.partner_acs = match acs.len() {
        0 => None,
        1 => Some(OneOrMany::One(acs[0].clone())),
        _ => Some(OneOrMany::Many(acs.clone())),
    };
    technical.partner_slo =
        attribute(client, "saml_single_logout_service_url_post").map(str::to_owned);
    technical.name_id_format = Some(name_id_format(client, notes));
    let sign_assertions = flag(client, "saml.assertion.signature");
    technical.sign_assertions = (!sign_assertions).then_some(false);
    technical.sign_documents = (!flag(client, "saml.server.signature")).then_some(false);
    let signing = certificate(client, "saml.client.signature", "saml.signing.certificate");
    let encryption = certificate(client, "saml.encrypt", "saml.encryption.certificate");
    if let Some(certificate) = &signing {
        match crate::x509::parse_base64(certificate) {
            Ok(info) => {
                technical.signing_cert_expiry = Some(crate::record::IsoDate(info.not_after.date()))
            }
            Err(error) => notes.push(format!(
                "the partner's signing certificate in Keycloak cannot be read ({error})"
            )),
        }
    }
    if encryption.is_some() {
        technical.encrypt_assertions = Some(true);
    }
    if signing.is_none() && encryption.is_none() {
        return None;
    }
    Some(SpMetadata {
        entity_id: client_id.to_owned(),
        acs,
        want_assertions_signed: sign_assertions,
        signing_certificate: signing,
        encryption_certificate: encryption,
    })
}

/// A partner certificate Keycloak uses: its switch is on and the certificate is there.
fn certificate(client: &Client, switch: &str, attribute_key: &str) -> Option<String> {
    if !flag(client, switch) {
        return None;
    }
    attribute(client, attribute_key).map(|text| text.split_whitespace().collect())
}

/// Keycloak sends the unspecified format (the username) when no format is set.
fn name_id_format(client: &Client, notes: &mut Vec<String>) -> NameIdFormat {
    match attribute(client, "saml_name_id_format") {
        None | Some("username") => NameIdFormat::Username,
        Some("email") => NameIdFormat::Email,
        Some("persistent") => NameIdFormat::Persistent,
        Some("transient") => NameIdFormat::Transient,
        Some(other) => {
            notes.push(format!(
                "NameID format `{other}` is none of email, username, persistent, transient"
            ));
            NameIdFormat::Username
        }
    }
}

fn oidc(client_id: &str, client: &Client, technical: &mut Technical, notes: &mut Vec<String>) {
    technical.client_id = Some(client_id.to_owned());
    let public = client.fields.get("publicClient") == Some(&Value::Bool(true));
    technical.client_type = Some(if public {
        ClientType::Public
    } else {
        ClientType::Confidential
    });
    technical.redirect_uris = strings(client, "redirectUris");
    technical.post_logout_redirect_uris = post_logout_uris(client, &technical.redirect_uris, notes);
    let authenticator = client
        .fields
        .get("clientAuthenticatorType")
        .and_then(Value::as_str);
    if !public && authenticator == Some("client-jwt") {
        technical.client_auth = Some(ClientAuth::PrivateKeyJwt);
        if flag(client, "use.jwks.url") {
            technical.jwks_url = attribute(client, "jwks.url").map(str::to_owned);
        }
    }
    technical.pkce = match attribute(client, "pkce.code.challenge.method") {
        Some("S256") => Some(Pkce::S256),
        Some("plain") => Some(Pkce::Plain),
        // Public clients get S256 unless the record says otherwise.
        _ if public => Some(Pkce::Disabled),
        _ => None,
    };
}

/// `+` means "the redirect URIs" to Keycloak; a record lists URIs, so it gets them.
fn post_logout_uris(
    client: &Client,
    redirect_uris: &[String],
    notes: &mut Vec<String>,
) -> Vec<String> {
    let Some(text) = attribute(client, "post.logout.redirect.uris") else {
        return Vec::new();
    };
    let mut uris = Vec::new();
    for uri in text.split("##").filter(|uri| !uri.is_empty()) {
        if uri == "+" {
            notes.push(
                "post-logout redirect URIs `+` (the redirect URIs) are written out as the list"
                    .into(),
            );
            uris.extend(redirect_uris.iter().cloned());
        } else {
            uris.push(uri.to_owned());
        }
    }
    uris.dedup();
    uris
}
