//! Records → the desired state of the realm (pure).
//!
//! An outbound federation becomes: a client (SAML or OIDC) with one protocol mapper per
//! released attribute, a client role, the access group holding that role, and — when access
//! is enforced — a browser flow bound to the client that denies everyone without the role
//! (keycloak-admin-api.md §6.3). An inbound federation becomes an identity provider
//! ([`inbound`]). Every object carries the ownership marker of its record.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::{Value, json};

use self::inbound::add_inbound;
pub use self::inbound::{InboundSources, OidcDiscovery, idp_alias};
use crate::record::attribute::{AttributeDefinition, AttributeSource};
use crate::record::profile::AttributeProfile;
use crate::record::{
    ClientAuth, ClientType, Direction, Federation, Pkce, Protocol, SharedAttribute,
};
use crate::saml::SpSettings;
use crate::state::{
    self, AuthenticatorConfig, Client, Fields, Flow, FlowStep, Group, MAPPERS_ATTRIBUTE, Mapper,
    OWNER_ATTRIBUTE, RealmState, Requirement, Role, StepKind, User, attribute_path,
};

/// What the records ask for, plus what could not be compiled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Desired {
    pub state: RealmState,
    /// Ids of every record that was compiled (objects marked with other ids are orphans).
    pub records: Vec<String>,
    /// Records or parts of records that fedctl cannot reconcile yet, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Per record: where partner metadata and the record disagree (the record wins), and
    /// settings that cannot take effect.
    pub notes: Vec<(String, String)>,
}

/// The partner SP metadata of records that name one, by record id: read and verified by the
/// shell ([`crate::metadata_source`]), so compiling stays free of I/O.
pub type PartnerMetadata = BTreeMap<String, SpSettings>;

/// One record as the compiler needs it: its id (file stem) and content.
pub struct RecordRef<'a> {
    pub id: &'a str,
    pub federation: &'a Federation,
}

/// Per-protocol client settings from templates/client-defaults.yaml.
#[derive(Debug, serde::Deserialize)]
struct ClientDefaults {
    saml: BTreeMap<String, Value>,
    oidc: BTreeMap<String, Value>,
}

static CLIENT_DEFAULTS: LazyLock<ClientDefaults> = LazyLock::new(|| {
    serde_saphyr::from_str(include_str!("../templates/client-defaults.yaml"))
        .expect("templates/client-defaults.yaml is valid (checked by a unit test)")
});

/// [`compile_with_metadata`] for records without partner metadata.
pub fn compile<'a>(
    records: impl IntoIterator<Item = RecordRef<'a>>,
    profile: &AttributeProfile,
) -> Desired {
    compile_with_metadata(records, profile, &PartnerMetadata::new())
}

/// [`compile_all`] for records without inbound sources.
pub fn compile_with_metadata<'a>(
    records: impl IntoIterator<Item = RecordRef<'a>>,
    profile: &AttributeProfile,
    metadata: &PartnerMetadata,
) -> Desired {
    compile_all(records, profile, metadata, &InboundSources::default())
}

/// Compiles every record: outbound ones with their partner's SP metadata, inbound ones with
/// their partner's IdP metadata, discovery document and secret source.
pub fn compile_all<'a>(
    records: impl IntoIterator<Item = RecordRef<'a>>,
    profile: &AttributeProfile,
    metadata: &PartnerMetadata,
    inbound: &InboundSources,
) -> Desired {
    let mut desired = Desired::default();
    for record in records {
        desired.records.push(record.id.to_owned());
        match record.federation.direction {
            Direction::Outbound => {
                let notes = add_outbound(
                    &mut desired.state,
                    &record,
                    profile,
                    metadata.get(record.id),
                );
                desired
                    .notes
                    .extend(notes.into_iter().map(|note| (record.id.to_owned(), note)));
            }
            Direction::Inbound => {
                if let Err(why) = add_inbound(&mut desired.state, &record, profile, inbound) {
                    desired.skipped.push((record.id.to_owned(), why));
                }
            }
        }
    }
    desired
}

/// The Keycloak clientId of an outbound federation.
pub fn client_id(federation: &Federation) -> Option<&str> {
    match federation.protocol {
        Protocol::Saml => federation.technical.partner_entity_id.as_deref(),
        Protocol::Oidc => federation.technical.client_id.as_deref(),
    }
}

/// What differs between a SAML record and its partner's metadata: the notes plan shows, for
/// `validate` to show them before any target is read.
pub fn metadata_notes(federation: &Federation, metadata: &SpSettings) -> Vec<String> {
    partner_metadata::saml_settings(&federation.technical, Some(metadata)).notes
}

/// Alias of the flow that restricts a federation's client to its role holders.
pub fn restrict_flow_alias(record_id: &str) -> String {
    format!("fedctl-restrict-{record_id}")
}

/// Adds the objects of an outbound federation; returns its notes.
fn add_outbound(
    state: &mut RealmState,
    record: &RecordRef<'_>,
    profile: &AttributeProfile,
    metadata: Option<&SpSettings>,
) -> Vec<String> {
    let federation = record.federation;
    // A SAML record may leave the entity ID to its partner metadata.
    let Some(client_id) = client_id(federation).or(metadata.map(|sp| sp.client_id.as_str())) else {
        return Vec::new(); // validation reports the missing id; nothing to compile
    };
    let access = &federation.access_control;
    let role = access.role_name().to_owned();

    let mappers = mappers(federation, profile);
    let (fields, notes) = client_fields(record, &mappers, metadata);
    let mut client = Client {
        fields,
        mappers,
        ..Client::default()
    };
    client.roles.insert(role.clone(), owned_role(record));
    if access.enforced() {
        let alias = restrict_flow_alias(record.id);
        state
            .flows
            .insert(alias.clone(), restrict_flow(record, client_id, &role));
        client.browser_flow = Some(alias);
    }
    state.clients.insert(client_id.to_owned(), client);

    add_group(
        state,
        &state::group_path(&access.group),
        record.id,
        client_id,
        &role,
    );
    for username in &access.pilot_users {
        let user = state.users.entry(username.clone()).or_insert_with(|| User {
            enabled: true,
            ..User::default()
        });
        user.client_roles
            .entry(client_id.to_owned())
            .or_default()
            .insert(role.clone());
    }
    notes
}

fn client_fields(
    record: &RecordRef<'_>,
    mappers: &BTreeMap<String, Mapper>,
    metadata: Option<&SpSettings>,
) -> (Fields, Vec<String>) {
    let federation = record.federation;
    let mut fields: Fields = match federation.protocol {
        Protocol::Saml => CLIENT_DEFAULTS.saml.clone(),
        Protocol::Oidc => CLIENT_DEFAULTS.oidc.clone(),
    };
    fields.insert("name".into(), json!(federation.partner));
    fields.insert(
        "description".into(),
        json!(format!(
            "Federation with {} (record {})",
            federation.partner, record.id
        )),
    );
    let notes = match federation.protocol {
        Protocol::Saml => saml_client_fields(federation, metadata, &mut fields),
        Protocol::Oidc => {
            oidc_client_fields(federation, &mut fields);
            Vec::new()
        }
    };
    set_attribute(&mut fields, OWNER_ATTRIBUTE, record.id);
    set_attribute(
        &mut fields,
        MAPPERS_ATTRIBUTE,
        &state::join_list(mappers.keys()),
    );
    (fields, notes)
}

/// Sets the SAML client fields; returns the notes of merging the partner's metadata.
fn saml_client_fields(
    federation: &Federation,
    metadata: Option<&SpSettings>,
    fields: &mut Fields,
) -> Vec<String> {
    let technical = &federation.technical;
    let settings = partner_metadata::saml_settings(technical, metadata);
    fields.insert("redirectUris".into(), json!(settings.acs));
    if let Some(acs_post) = &settings.acs_post {
        set_attribute(fields, "saml_assertion_consumer_url_post", acs_post);
    }
    set_attribute(
        fields,
        "saml_single_logout_service_url_post",
        settings.slo_post.as_deref().unwrap_or(""),
    );
    set_attribute(fields, "saml_name_id_format", settings.name_id_format);
    set_flag(
        fields,
        "saml.assertion.signature",
        technical.sign_assertions.unwrap_or(true),
    );
    set_flag(
        fields,
        "saml.server.signature",
        technical.sign_documents.unwrap_or(true),
    );
    set_attribute(
        fields,
        "saml_idp_initiated_sso_url_name",
        technical
            .idp_initiated_sso_url_name
            .as_deref()
            .unwrap_or(""),
    );
    // Without a partner certificate, requiring signed requests would make Keycloak generate a
    // key pair of its own and reject every request of the partner; encryption needs the
    // partner's certificate. So each switch is on exactly when its certificate is known.
    set_certificate(
        fields,
        "saml.client.signature",
        "saml.signing.certificate",
        settings.signing_certificate.as_deref(),
    );
    set_certificate(
        fields,
        "saml.encrypt",
        "saml.encryption.certificate",
        settings.encryption_certificate.as_deref(),
    );
    settings.notes
}

/// A switch and its certificate: on with the certificate, or off (the certificate attribute
/// is then left as it is: unused, it does no harm).
fn set_certificate(fields: &mut Fields, switch: &str, attribute: &str, certificate: Option<&str>) {
    set_flag(fields, switch, certificate.is_some());
    if let Some(certificate) = certificate {
        set_attribute(fields, attribute, certificate);
    }
}

fn oidc_client_fields(federation: &Federation, fields: &mut Fields) {
    let technical = &federation.technical;
    let public = technical.client_type == Some(ClientType::Public);
    fields.insert("publicClient".into(), json!(public));
    fields.insert("redirectUris".into(), json!(technical.redirect_uris));
    // "+" allows CORS from the redirect URIs' origins, which browser-based public clients need.
    let web_origins: Vec<&str> = if public { vec!["+"] } else { vec![] };
    fields.insert("webOrigins".into(), json!(web_origins));
    let authenticator = match technical.client_auth {
        Some(ClientAuth::PrivateKeyJwt) => "client-jwt",
        _ => "client-secret",
    };
    fields.insert("clientAuthenticatorType".into(), json!(authenticator));
    let pkce = match technical.pkce {
        Some(Pkce::S256) => "S256",
        Some(Pkce::Plain) => "plain",
        Some(Pkce::Disabled) => "",
        None if public => "S256",
        None => "",
    };
    set_attribute(fields, "pkce.code.challenge.method", pkce);
    set_attribute(
        fields,
        "post.logout.redirect.uris",
        &technical.post_logout_redirect_uris.join("##"),
    );
    let jwks = technical.jwks_url.as_deref().unwrap_or("");
    set_flag(fields, "use.jwks.url", !jwks.is_empty());
    set_attribute(fields, "jwks.url", jwks);
}

/// Sets a client attribute; an empty value means "must be absent".
fn set_attribute(fields: &mut Fields, key: &str, value: &str) {
    let value = if value.is_empty() {
        Value::Null
    } else {
        json!(value)
    };
    fields.insert(attribute_path(key), value);
}

fn set_flag(fields: &mut Fields, key: &str, on: bool) {
    set_attribute(fields, key, if on { "true" } else { "false" });
}

/// The client role. Which pilot users hold it directly is bookkept by the grant operations
/// themselves (see [`crate::state::PILOT_USERS_ATTRIBUTE`]), not compared here.
fn owned_role(record: &RecordRef<'_>) -> Role {
    let mut fields = Fields::new();
    fields.insert(
        "description".into(),
        json!(format!(
            "Access to {} (granted to the group of record {})",
            record.federation.partner, record.id
        )),
    );
    fields.insert(attribute_path(OWNER_ATTRIBUTE), json!([record.id]));
    Role { fields }
}

/// Adds the access group (and any missing parents) with the record as an owner, and the
/// grant of the client role.
fn add_group(state: &mut RealmState, path: &str, record_id: &str, client_id: &str, role: &str) {
    if let Some(parent) = state::group_parent(path) {
        ensure_owned_group(state, parent, record_id);
    }
    let group = ensure_owned_group(state, path, record_id);
    group
        .client_roles
        .entry(client_id.to_owned())
        .or_default()
        .insert(role.to_owned());
}

fn ensure_owned_group<'s>(state: &'s mut RealmState, path: &str, record_id: &str) -> &'s mut Group {
    if let Some(parent) = state::group_parent(path) {
        ensure_owned_group(state, parent, record_id);
    }
    let group = state.groups.entry(path.to_owned()).or_default();
    let mut owners = group.owners();
    owners.insert(record_id.to_owned());
    group
        .fields
        .insert(attribute_path(OWNER_ATTRIBUTE), json!(owners));
    group
}

fn mappers(federation: &Federation, profile: &AttributeProfile) -> BTreeMap<String, Mapper> {
    federation
        .attributes_shared
        .iter()
        .filter_map(|shared| resolve(shared, profile))
        .filter_map(|(name, definition)| {
            Some((name, attribute_mapper(federation.protocol, definition)?))
        })
        .collect()
}

/// The protocol mapper fedctl makes for a released attribute; `None` when the definition
/// does not release it in that protocol.
pub fn attribute_mapper(protocol: Protocol, definition: &AttributeDefinition) -> Option<Mapper> {
    match protocol {
        Protocol::Saml => saml_mapper(definition),
        Protocol::Oidc => oidc_mapper(definition),
    }
}

/// The profile definition of a released attribute, with the name its mapper gets; `None`
/// for a name the profile lacks (validation reports it).
pub fn resolve<'p>(
    shared: &'p SharedAttribute,
    profile: &'p AttributeProfile,
) -> Option<(String, &'p AttributeDefinition)> {
    match shared {
        SharedAttribute::Named(name) => Some((name.clone(), profile.attributes.get(name)?)),
        SharedAttribute::Custom(definition) => Some((definition.name.clone()?, definition)),
    }
}

fn saml_mapper(definition: &AttributeDefinition) -> Option<Mapper> {
    let release = definition.saml.as_ref()?;
    let mut config = BTreeMap::from([
        ("attribute.name".to_owned(), release.name.clone()),
        (
            "attribute.nameformat".to_owned(),
            release.name_format.keycloak_value().to_owned(),
        ),
        (
            "friendly.name".to_owned(),
            release.friendly_name.clone().unwrap_or_default(),
        ),
    ]);
    config.retain(|_, value| !value.is_empty());
    let mapper_type = match &definition.source {
        AttributeSource::Property(property) => {
            config.insert("user.attribute".into(), property.clone());
            "saml-user-property-mapper"
        }
        AttributeSource::Attribute(attribute) => {
            config.insert("user.attribute".into(), attribute.clone());
            config.insert("aggregate.attrs".into(), "false".into());
            "saml-user-attribute-mapper"
        }
        AttributeSource::Groups => {
            config.insert("single".into(), "true".into());
            config.insert("full.path".into(), "false".into());
            "saml-group-membership-mapper"
        }
        AttributeSource::Roles => {
            config.insert("single".into(), "true".into());
            "saml-role-list-mapper"
        }
    };
    Some(Mapper {
        protocol: "saml".into(),
        mapper_type: mapper_type.into(),
        config,
    })
}

fn oidc_mapper(definition: &AttributeDefinition) -> Option<Mapper> {
    let release = definition.oidc.as_ref()?;
    // Every token flag explicitly: Keycloak's treatment of absent flags differs by version.
    let mut config = BTreeMap::from([
        ("claim.name".to_owned(), release.claim.clone()),
        ("id.token.claim".to_owned(), "true".to_owned()),
        ("access.token.claim".to_owned(), "true".to_owned()),
        ("userinfo.token.claim".to_owned(), "true".to_owned()),
        ("introspection.token.claim".to_owned(), "true".to_owned()),
        ("lightweight.claim".to_owned(), "false".to_owned()),
    ]);
    let json_type = release.json_type.clone().unwrap_or_else(|| "String".into());
    let mapper_type = match &definition.source {
        AttributeSource::Property(property) => {
            config.insert("user.attribute".into(), property.clone());
            config.insert("jsonType.label".into(), json_type);
            "oidc-usermodel-property-mapper"
        }
        AttributeSource::Attribute(attribute) => {
            config.insert("user.attribute".into(), attribute.clone());
            config.insert("jsonType.label".into(), json_type);
            config.insert("multivalued".into(), release.multivalued.to_string());
            config.insert("aggregate.attrs".into(), "false".into());
            "oidc-usermodel-attribute-mapper"
        }
        AttributeSource::Groups => {
            config.insert("full.path".into(), "false".into());
            "oidc-group-membership-mapper"
        }
        AttributeSource::Roles => {
            config.insert("jsonType.label".into(), json_type);
            config.insert("multivalued".into(), "true".into());
            "oidc-usermodel-realm-role-mapper"
        }
    };
    Some(Mapper {
        protocol: "openid-connect".into(),
        mapper_type: mapper_type.into(),
        config,
    })
}

/// The enforcement flow of keycloak-admin-api.md §6.3: sign the user in (cookie, IdP
/// redirector, or password plus OTP for users who have one), then deny anyone who lacks the
/// client role. The role check sits in its own top-level conditional sub-flow so that it also
/// runs for SSO-cookie logins, which skip the forms.
fn restrict_flow(record: &RecordRef<'_>, client_id: &str, role: &str) -> Flow {
    let alias = restrict_flow_alias(record.id);
    let authenticator = |provider: &str, requirement| FlowStep {
        requirement,
        kind: StepKind::Authenticator {
            provider: provider.into(),
            config: None,
        },
    };
    let sub_flow = |suffix: &str, requirement, steps| FlowStep {
        requirement,
        kind: StepKind::SubFlow {
            alias: format!("{alias} {suffix}"),
            steps,
        },
    };
    let otp = sub_flow(
        "otp",
        Requirement::Conditional,
        vec![
            authenticator("conditional-user-configured", Requirement::Required),
            authenticator("auth-otp-form", Requirement::Required),
        ],
    );
    let forms = sub_flow(
        "forms",
        Requirement::Alternative,
        vec![
            authenticator("auth-username-password-form", Requirement::Required),
            otp,
        ],
    );
    let sign_in = sub_flow(
        "sign-in",
        Requirement::Required,
        vec![
            authenticator("auth-cookie", Requirement::Alternative),
            authenticator("identity-provider-redirector", Requirement::Alternative),
            forms,
        ],
    );
    let role_condition = FlowStep {
        requirement: Requirement::Required,
        kind: StepKind::Authenticator {
            provider: "conditional-user-role".into(),
            config: Some(AuthenticatorConfig {
                alias: format!("{alias}-role"),
                // Keycloak splits `clientId.role` at the last dot, so clientIds with dots work.
                config: BTreeMap::from([
                    ("condUserRole".to_owned(), format!("{client_id}.{role}")),
                    ("negate".to_owned(), "true".to_owned()),
                ]),
            }),
        },
    };
    let gate = sub_flow(
        "gate",
        Requirement::Conditional,
        vec![
            role_condition,
            authenticator("deny-access-authenticator", Requirement::Required),
        ],
    );
    Flow {
        description: Flow::marked_description(
            &format!(
                "Browser flow for {}: only holders of the client role {role} may sign in.",
                record.federation.partner
            ),
            record.id,
        ),
        steps: vec![sign_in, gate],
    }
}

pub mod inbound;
mod partner_metadata;

#[cfg(test)]
mod tests;
