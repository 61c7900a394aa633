//! Inbound federations → an identity provider (SAML or OIDC broker) with one import mapper per
//! shared attribute and a hard-coded group mapper that puts every user of the partner in the
//! access group (keycloak-admin-api.md §5). The partner's metadata or discovery document and
//! the OIDC client secret's source are read by the shell and handed in ([`InboundSources`]).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{RecordRef, ensure_owned_group, resolve};
use crate::record::attribute::{AttributeDefinition, AttributeSource, SamlNameFormat};
use crate::record::profile::AttributeProfile;
use crate::record::{ClientAuth, FirstSignIn, NameIdFormat, Pkce, Protocol};
use crate::saml::IdpSettings;
use crate::state::{
    self, Fields, IDP_MAPPERS_KEY, IdentityProvider, Mapper, OWNER_ATTRIBUTE, RealmState,
    SecretSource, config_path,
};

/// What inbound records take from outside the record files, by record id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InboundSources {
    /// SAML: the partner IdP as its metadata describes it, or (no metadata) the certificates
    /// of `partner_signing_cert` with the record's entity ID.
    pub saml: BTreeMap<String, IdpSettings>,
    /// OIDC: the partner's discovery document.
    pub oidc: BTreeMap<String, OidcDiscovery>,
    /// OIDC: where each record's client secret is read from (fedctl.yaml).
    pub secrets: BTreeMap<String, SecretSource>,
}

/// The endpoints of an OpenID Provider's discovery document that a broker needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct OidcDiscovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

/// Keycloak's built-in flow for a user's first brokered sign-in.
pub const FIRST_BROKER_LOGIN_FLOW: &str = "first broker login";
/// Name of the mapper that puts the partner's users in the access group.
pub const GROUP_MAPPER: &str = "access-group";
/// Every mapper follows the provider's sync mode.
const MAPPER_SYNC: &str = "INHERIT";

/// The alias of the identity provider an inbound record manages.
pub fn idp_alias<'r>(record: &'r RecordRef<'_>) -> &'r str {
    record
        .federation
        .technical
        .idp_alias
        .as_deref()
        .unwrap_or(record.id)
}

/// Adds the objects of an inbound federation, or says why it cannot be compiled.
pub fn add_inbound(
    state: &mut RealmState,
    record: &RecordRef<'_>,
    profile: &AttributeProfile,
    sources: &InboundSources,
) -> Result<(), String> {
    let federation = record.federation;
    let mut fields = common_fields(record);
    let client_secret = match federation.protocol {
        Protocol::Saml => {
            saml_fields(record, sources.saml.get(record.id), &mut fields)?;
            None
        }
        Protocol::Oidc => oidc_fields(record, sources, &mut fields)?,
    };
    let group = state::group_path(&federation.access_control.group);
    let mappers = mappers(record, profile, &group);
    set_config(
        &mut fields,
        IDP_MAPPERS_KEY,
        &state::join_list(mappers.keys()),
    );
    ensure_owned_group(state, &group, record.id);
    state.identity_providers.insert(
        idp_alias(record).to_owned(),
        IdentityProvider {
            fields,
            mappers,
            client_secret,
        },
    );
    Ok(())
}

/// Fields both protocols share, with the first sign-in policy.
fn common_fields(record: &RecordRef<'_>) -> Fields {
    let federation = record.federation;
    let policy = federation.technical.first_sign_in.unwrap_or_default();
    let mut fields = Fields::from([
        ("enabled".to_owned(), json!(true)),
        ("displayName".to_owned(), json!(federation.partner)),
        (
            "firstBrokerLoginFlowAlias".to_owned(),
            json!(FIRST_BROKER_LOGIN_FLOW),
        ),
        // Create: the partner vouches for the e-mail it sends (marked verified). Link only:
        // the partner's word creates nothing and verifies nothing.
        (
            "trustEmail".to_owned(),
            json!(policy == FirstSignIn::Create),
        ),
        (
            "linkOnly".to_owned(),
            json!(policy == FirstSignIn::LinkExisting),
        ),
    ]);
    // The partner is the authority on its users: their attributes are refreshed at every
    // sign-in, so a change at the partner reaches us.
    set_config(&mut fields, "syncMode", "FORCE");
    set_config(&mut fields, OWNER_ATTRIBUTE, record.id);
    fields
}

fn saml_fields(
    record: &RecordRef<'_>,
    idp: Option<&IdpSettings>,
    fields: &mut Fields,
) -> Result<(), String> {
    let technical = &record.federation.technical;
    fields.insert("providerId".into(), json!("saml"));
    let entity_id = technical
        .partner_entity_id
        .as_deref()
        .or(idp.map(|i| i.entity_id.as_str()))
        .ok_or("no partner entity ID (validation reports it)")?;
    let sso = technical
        .partner_sso
        .as_deref()
        .or(idp.and_then(|i| i.sso_url.as_deref()))
        .ok_or("no single sign-on URL (validation reports it)")?;
    let certificates = idp.map_or(&[][..], |i| &i.signing_certificates[..]);
    if certificates.is_empty() {
        return Err(
            "no signing certificate of the partner IdP: add `partner_signing_cert` (a PEM file) \
             or `partner_metadata`; fedctl never sets up a broker that accepts unsigned \
             assertions"
                .into(),
        );
    }
    let name_id = name_id_policy(technical.name_id_format, idp)?;
    // From fields alone the bindings are unknown: HTTP-POST is what SAML IdPs universally serve.
    let sso_post = idp.is_none_or(|i| i.sso_url.is_none() || i.sso_post);
    let slo = technical
        .partner_slo
        .as_deref()
        .or(idp.and_then(|i| i.slo_url.as_deref()));
    let slo_post = idp.is_none_or(|i| i.slo_url.is_none() || i.slo_post);
    let want_signed_requests = idp.is_some_and(|i| i.want_authn_requests_signed);
    for (key, value) in [
        ("idpEntityId", entity_id),
        ("entityId", technical.your_entity_id.as_str()),
        ("singleSignOnServiceUrl", sso),
        ("singleLogoutServiceUrl", slo.unwrap_or("")),
        ("nameIDPolicyFormat", name_id),
        ("principalType", "SUBJECT"),
        ("signingCertificate", &certificates.join(",")),
    ] {
        set_config(fields, key, value);
    }
    for (key, on) in [
        ("postBindingAuthnRequest", sso_post),
        ("postBindingResponse", sso_post),
        ("postBindingLogout", slo_post),
        ("validateSignature", true),
        (
            "wantAssertionsSigned",
            technical.sign_assertions.unwrap_or(true),
        ),
        ("wantAuthnRequestsSigned", want_signed_requests),
    ] {
        set_config(fields, key, if on { "true" } else { "false" });
    }
    Ok(())
}

/// The NameID format asked of the partner: the record's, else the metadata's first, else
/// persistent (a stable, opaque identifier: what brokering needs to recognise a user again).
fn name_id_policy(format: Option<NameIdFormat>, idp: Option<&IdpSettings>) -> Result<&str, String> {
    Ok(match format {
        Some(NameIdFormat::Transient) => {
            return Err(
                "name_id_format: transient changes at every sign-in, so Keycloak cannot \
                 recognise a returning user by it; use persistent (or email)"
                    .into(),
            );
        }
        Some(NameIdFormat::Email) => "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        Some(NameIdFormat::Username) => "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        Some(NameIdFormat::Persistent) => PERSISTENT,
        None => idp
            .and_then(|i| i.name_id_format.as_deref())
            .filter(|f| !f.ends_with(":transient"))
            .unwrap_or(PERSISTENT),
    })
}

const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

fn oidc_fields(
    record: &RecordRef<'_>,
    sources: &InboundSources,
    fields: &mut Fields,
) -> Result<Option<SecretSource>, String> {
    let technical = &record.federation.technical;
    fields.insert("providerId".into(), json!("oidc"));
    let discovery = sources
        .oidc
        .get(record.id)
        .ok_or("the partner's discovery document was not read")?;
    let client_id = technical
        .client_id
        .as_deref()
        .ok_or("no client_id (validation reports it)")?;
    let private_key_jwt = technical.client_auth == Some(ClientAuth::PrivateKeyJwt);
    let secret = if private_key_jwt {
        None
    } else {
        Some(sources.secrets.get(record.id).cloned().ok_or(
            "no client secret: name its environment variable or 0600 file under \
             `inbound_secrets:` in fedctl.yaml",
        )?)
    };
    let auth_method = if private_key_jwt {
        "private_key_jwt"
    } else {
        "client_secret_post"
    };
    let pkce = match technical.pkce {
        Some(Pkce::Disabled) => "",
        Some(Pkce::Plain) => "plain",
        Some(Pkce::S256) | None => "S256",
    };
    let jwks = discovery.jwks_uri.as_deref().unwrap_or("");
    let optional = |value: &Option<String>| value.clone().unwrap_or_default();
    for (key, value) in [
        ("issuer", discovery.issuer.clone()),
        ("authorizationUrl", discovery.authorization_endpoint.clone()),
        ("tokenUrl", discovery.token_endpoint.clone()),
        ("userInfoUrl", optional(&discovery.userinfo_endpoint)),
        ("logoutUrl", optional(&discovery.end_session_endpoint)),
        ("jwksUrl", jwks.to_owned()),
        ("useJwksUrl", (!jwks.is_empty()).to_string()),
        ("validateSignature", (!jwks.is_empty()).to_string()),
        ("clientId", client_id.to_owned()),
        ("clientAuthMethod", auth_method.to_owned()),
        ("pkceEnabled", (!pkce.is_empty()).to_string()),
        ("pkceMethod", pkce.to_owned()),
        ("defaultScope", "openid profile email".to_owned()),
    ] {
        set_config(fields, key, &value);
    }
    Ok(secret)
}

/// One import mapper per shared attribute the profile can map, and the group mapper.
fn mappers(
    record: &RecordRef<'_>,
    profile: &AttributeProfile,
    group: &str,
) -> BTreeMap<String, Mapper> {
    let protocol = record.federation.protocol;
    let mut mappers: BTreeMap<String, Mapper> = record
        .federation
        .attributes_shared
        .iter()
        .filter_map(|shared| resolve(shared, profile))
        .filter_map(|(name, definition)| Some((name, import_mapper(protocol, definition)?)))
        .collect();
    mappers.insert(
        GROUP_MAPPER.to_owned(),
        idp_mapper(
            "oidc-hardcoded-group-idp-mapper",
            [("group", group.to_owned())],
        ),
    );
    mappers
}

/// Partner attribute (name and format) or claim → our user attribute or property. Group and
/// role sources are what we release, not what a partner can set, so they import nothing.
fn import_mapper(protocol: Protocol, definition: &AttributeDefinition) -> Option<Mapper> {
    let user_attribute = match &definition.source {
        AttributeSource::Property(name) | AttributeSource::Attribute(name) => name.clone(),
        AttributeSource::Groups | AttributeSource::Roles => return None,
    };
    Some(match protocol {
        Protocol::Saml => {
            let release = definition.saml.as_ref()?;
            idp_mapper(
                "saml-user-attribute-idp-mapper",
                [
                    ("attribute.name", release.name.clone()),
                    (
                        "attribute.name.format",
                        name_format(release.name_format).to_owned(),
                    ),
                    ("user.attribute", user_attribute),
                ],
            )
        }
        Protocol::Oidc => {
            let release = definition.oidc.as_ref()?;
            idp_mapper(
                "oidc-user-attribute-idp-mapper",
                [
                    ("claim", release.claim.clone()),
                    ("user.attribute", user_attribute),
                ],
            )
        }
    })
}

/// The `attribute.name.format` values of Keycloak's SAML attribute importer.
fn name_format(format: SamlNameFormat) -> &'static str {
    match format {
        SamlNameFormat::Basic => "ATTRIBUTE_FORMAT_BASIC",
        SamlNameFormat::Uri => "ATTRIBUTE_FORMAT_URI",
        SamlNameFormat::Unspecified => "ATTRIBUTE_FORMAT_UNSPECIFIED",
    }
}

fn idp_mapper<const N: usize>(mapper_type: &str, config: [(&str, String); N]) -> Mapper {
    let mut config: BTreeMap<String, String> = config
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
    config.insert("syncMode".into(), MAPPER_SYNC.into());
    Mapper {
        protocol: String::new(),
        mapper_type: mapper_type.into(),
        config,
    }
}

/// Sets a config key; an empty value means "must be absent" (Keycloak drops empty values).
fn set_config(fields: &mut Fields, key: &str, value: &str) {
    let value = if value.is_empty() {
        Value::Null
    } else {
        json!(value)
    };
    fields.insert(config_path(key), value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{PartnerMetadata, compile_all};
    use crate::record::attribute::{OidcRelease, SamlRelease};
    use crate::record::{Federation, RecordFile};

    fn profile() -> AttributeProfile {
        AttributeProfile {
            attributes: BTreeMap::from([(
                "email".into(),
                AttributeDefinition {
                    name: None,
                    source: AttributeSource::Property("email".into()),
                    saml: Some(SamlRelease {
                        name: "urn:oid:0.9.2342.19200300.100.1.3".into(),
                        friendly_name: Some("mail".into()),
                        name_format: SamlNameFormat::Uri,
                    }),
                    oidc: Some(OidcRelease {
                        claim: "email".into(),
                        json_type: None,
                        multivalued: false,
                    }),
                },
            )]),
        }
    }

    fn record(protocol: &str, technical: &str) -> Federation {
        let yaml = format!(
            "federation:\n  partner: Uni\n  type: {protocol}\n  direction: partner-idp-to-your-sp\n  \
             technical:\n    your_entity_id: \"https://idp.example.org/realms/r\"\n{technical}  \
             access_control: {{ group: uni-users, approver: a, review_frequency: annual }}\n  \
             attributes_shared: [email]\n"
        );
        serde_saphyr::from_str::<RecordFile>(&yaml)
            .unwrap()
            .federation
    }

    fn idp(certificates: &[&str]) -> IdpSettings {
        IdpSettings {
            entity_id: "https://idp.uni.example.edu/md".into(),
            sso_url: Some("https://idp.uni.example.edu/sso-from-metadata".into()),
            sso_post: false,
            slo_url: None,
            slo_post: false,
            signing_certificates: certificates.iter().map(|c| (*c).to_owned()).collect(),
            want_authn_requests_signed: true,
            name_id_format: None,
        }
    }

    fn compile_one(federation: &Federation, sources: &InboundSources) -> crate::desired::Desired {
        let record = RecordRef {
            id: "uni",
            federation,
        };
        compile_all([record], &profile(), &PartnerMetadata::new(), sources)
    }

    fn config<'a>(idp: &'a IdentityProvider, key: &str) -> Option<&'a str> {
        idp.fields.get(&config_path(key)).and_then(Value::as_str)
    }

    #[test]
    fn saml_from_fields_trusts_every_partner_certificate_and_the_record_wins() {
        let federation = record(
            "saml",
            "    partner_entity_id: \"https://idp.uni.example.edu/idp\"\n    \
             partner_sso: \"https://idp.uni.example.edu/sso\"\n    idp_alias: uni-idp\n",
        );
        let sources = InboundSources {
            saml: BTreeMap::from([("uni".into(), idp(&["OLD", "NEW"]))]),
            ..InboundSources::default()
        };
        let desired = compile_one(&federation, &sources);
        assert_eq!(desired.skipped, vec![]);
        let idp = &desired.state.identity_providers["uni-idp"];
        assert_eq!(idp.owner(), Some("uni"));
        assert_eq!(idp.fields["providerId"], json!("saml"));
        assert_eq!(
            config(idp, "idpEntityId"),
            Some("https://idp.uni.example.edu/idp")
        );
        assert_eq!(
            config(idp, "singleSignOnServiceUrl"),
            Some("https://idp.uni.example.edu/sso")
        );
        assert_eq!(config(idp, "signingCertificate"), Some("OLD,NEW"));
        assert_eq!(config(idp, "validateSignature"), Some("true"));
        assert_eq!(config(idp, "wantAuthnRequestsSigned"), Some("true"));
        assert_eq!(config(idp, "nameIDPolicyFormat"), Some(PERSISTENT));
        assert_eq!(idp.fields["trustEmail"], json!(true));
        assert_eq!(idp.fields["linkOnly"], json!(false));
        let email = &idp.mappers["email"];
        assert_eq!(email.mapper_type, "saml-user-attribute-idp-mapper");
        assert_eq!(
            email.config["attribute.name"],
            "urn:oid:0.9.2342.19200300.100.1.3"
        );
        assert_eq!(
            email.config["attribute.name.format"],
            "ATTRIBUTE_FORMAT_URI"
        );
        assert_eq!(email.config["user.attribute"], "email");
        assert_eq!(idp.mappers[GROUP_MAPPER].config["group"], "/uni-users");
        assert_eq!(config(idp, IDP_MAPPERS_KEY), Some("access-group,email"));
        assert_eq!(
            desired.state.groups["/uni-users"].owners(),
            ["uni".to_owned()].into()
        );
    }

    #[test]
    fn saml_without_a_certificate_or_with_transient_ids_is_not_compiled() {
        let federation = record(
            "saml",
            "    partner_entity_id: \"https://idp.uni.example.edu/idp\"\n    \
             partner_sso: \"https://idp.uni.example.edu/sso\"\n",
        );
        let desired = compile_one(&federation, &InboundSources::default());
        assert!(desired.state.identity_providers.is_empty());
        assert!(desired.skipped[0].1.contains("unsigned assertions"));

        let transient = record(
            "saml",
            "    partner_metadata: md.xml\n    name_id_format: transient\n",
        );
        let sources = InboundSources {
            saml: BTreeMap::from([("uni".into(), idp(&["K"]))]),
            ..InboundSources::default()
        };
        let desired = compile_one(&transient, &sources);
        assert!(desired.skipped[0].1.contains("transient"));
    }

    #[test]
    fn oidc_takes_the_discovery_document_and_only_the_secrets_source() {
        let federation = record(
            "oidc",
            "    partner_issuer: \"https://login.uni.example.edu\"\n    client_id: ours\n    \
             first_sign_in: link-existing\n",
        );
        let discovery = OidcDiscovery {
            issuer: "https://login.uni.example.edu".into(),
            authorization_endpoint: "https://login.uni.example.edu/auth".into(),
            token_endpoint: "https://login.uni.example.edu/token".into(),
            jwks_uri: Some("https://login.uni.example.edu/jwks".into()),
            ..OidcDiscovery::default()
        };
        let mut sources = InboundSources {
            oidc: BTreeMap::from([("uni".into(), discovery)]),
            ..InboundSources::default()
        };
        let desired = compile_one(&federation, &sources);
        assert!(desired.skipped[0].1.contains("inbound_secrets"));

        sources
            .secrets
            .insert("uni".into(), SecretSource::Env("UNI_SECRET".into()));
        let desired = compile_one(&federation, &sources);
        let idp = &desired.state.identity_providers["uni"];
        assert_eq!(idp.fields["providerId"], json!("oidc"));
        assert_eq!(
            config(idp, "tokenUrl"),
            Some("https://login.uni.example.edu/token")
        );
        assert_eq!(config(idp, "pkceMethod"), Some("S256"));
        assert_eq!(config(idp, "clientId"), Some("ours"));
        assert_eq!(config(idp, crate::state::CLIENT_SECRET_KEY), None);
        assert_eq!(
            idp.client_secret,
            Some(SecretSource::Env("UNI_SECRET".into()))
        );
        assert_eq!(idp.fields["linkOnly"], json!(true));
        assert_eq!(idp.fields["trustEmail"], json!(false));
        assert_eq!(
            idp.mappers["email"].mapper_type,
            "oidc-user-attribute-idp-mapper"
        );
    }
}
