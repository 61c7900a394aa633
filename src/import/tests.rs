use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::*;
use crate::desired::attribute_mapper;
use crate::record::{NameIdFormat, Protocol, RecordFile, SharedAttribute};
use crate::state::{Client, Group, Mapper, User, attribute_path};

fn options(profile: &AttributeProfile, selection: Selection) -> ImportOptions<'_> {
    ImportOptions {
        selection,
        your_entity_id: "https://idp.example.org/realms/r".into(),
        profile,
        source: "test".into(),
        today: time::macros::date!(2026 - 01 - 01),
    }
}

fn saml_client() -> Client {
    let mut client = Client::default();
    client.fields.insert("protocol".into(), json!("saml"));
    client.fields.insert("name".into(), json!("Partner"));
    client
        .fields
        .insert("redirectUris".into(), json!(["https://sp.example.org/acs"]));
    client.roles.insert("access".into(), Default::default());
    client
}

fn state_with(client: Client) -> RealmState {
    let mut state = RealmState::default();
    state
        .clients
        .insert("https://sp.example.org".into(), client);
    let mut group = Group::default();
    group.client_roles.insert(
        "https://sp.example.org".into(),
        BTreeSet::from(["access".to_owned()]),
    );
    state.groups.insert("/a/b".into(), group);
    state
}

fn import_one(state: &RealmState) -> Imported {
    let profile = AttributeProfile::builtin();
    let selection = Selection::Clients(vec!["https://sp.example.org".into()]);
    import(state, "r", &options(&profile, selection)).unwrap()
}

/// The record text with its placeholders filled in, read as `validate` reads it.
fn parsed(record: &ImportedRecord) -> RecordFile {
    let text = record
        .text
        .replace("established: \"CHANGE-ME\"", "established: \"2024-01-01\"")
        .replace(
            "review_frequency: \"CHANGE-ME\"",
            "review_frequency: \"annual\"",
        );
    serde_saphyr::from_str(&text).unwrap()
}

#[test]
fn a_profile_mapper_becomes_its_name_and_others_inline_definitions() {
    let profile = AttributeProfile::builtin();
    let mut client = saml_client();
    let email = attribute_mapper(Protocol::Saml, &profile.attributes["email"]).unwrap();
    client.mappers.insert("email".into(), email.clone());
    // The profile's mapper under another name: kept under its own name, releasing the same.
    client.mappers.insert("mail".into(), email);
    let mut hardcoded = Mapper {
        protocol: "saml".into(),
        mapper_type: "saml-hardcode-attribute-mapper".into(),
        config: BTreeMap::new(),
    };
    hardcoded
        .config
        .insert("attribute.value".into(), "x".into());
    client.mappers.insert("tenant".into(), hardcoded);
    let imported = import_one(&state_with(client));
    let record = &imported.records[0];
    let shared = parsed(record).federation.attributes_shared;
    assert_eq!(shared[0], SharedAttribute::Named("email".into()));
    let SharedAttribute::Custom(mail) = &shared[1] else {
        panic!("{shared:?}");
    };
    assert_eq!(mail.name.as_deref(), Some("mail"));
    assert_eq!(mail.saml, profile.attributes["email"].saml);
    assert!(record.text.contains(
        "mapper `tenant` (saml-hardcode-attribute-mapper) is of a kind a record cannot describe"
    ));
    assert!(
        record
            .deviations
            .iter()
            .any(|d| d.starts_with("- mapper tenant of client https://sp.example.org")),
        "{:?}",
        record.deviations
    );
}

#[test]
fn the_single_role_and_group_pilots_and_name_id_default_are_read_back() {
    let mut state = state_with(saml_client());
    state.users.insert(
        "pilot".into(),
        User {
            enabled: true,
            client_roles: BTreeMap::from([(
                "https://sp.example.org".to_owned(),
                BTreeSet::from(["access".to_owned()]),
            )]),
        },
    );
    state.users.insert("other".into(), User::default());
    let imported = import_one(&state);
    let federation = parsed(&imported.records[0]).federation;
    assert_eq!(imported.records[0].id, "sp-example-org");
    assert_eq!(federation.access_control.group, "/a/b");
    assert_eq!(federation.access_control.role, None);
    assert_eq!(federation.access_control.pilot_users, ["pilot"]);
    assert_eq!(federation.access_control.enforce, Some(false));
    // Keycloak sends the username (unspecified format) when none is set.
    assert_eq!(
        federation.technical.name_id_format,
        Some(NameIdFormat::Username)
    );
    assert_eq!(federation.partner, "Partner");
}

#[test]
fn two_granted_roles_leave_role_and_group_to_the_admin() {
    let mut client = saml_client();
    client.roles.insert("admin".into(), Default::default());
    let mut state = state_with(client);
    let mut other = Group::default();
    other.client_roles.insert(
        "https://sp.example.org".into(),
        BTreeSet::from(["admin".to_owned()]),
    );
    state.groups.insert("/admins".into(), other);
    let record = &import_one(&state).records[0];
    assert!(
        record
            .placeholders
            .contains(&"federation.access_control.role".to_owned())
    );
    assert!(record.text.contains("    group: \"CHANGE-ME\""));
    assert!(
        record
            .text
            .contains("the client has roles `access`, `admin`")
    );
}

#[test]
fn a_managed_client_keeps_its_record_id_and_ids_stay_unique() {
    let mut managed = saml_client();
    managed.fields.insert(
        attribute_path("fedctl.managed-by"),
        json!("partner-example"),
    );
    let mut state = state_with(managed);
    state
        .clients
        .insert("https://SP.example.org/".into(), saml_client());
    let profile = AttributeProfile::builtin();
    let imported = import(&state, "r", &options(&profile, Selection::AllPartners)).unwrap();
    let ids: Vec<&str> = imported.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["sp-example-org", "partner-example"]);
}

#[test]
fn the_partners_signing_certificate_goes_into_metadata_the_plan_reads_back() {
    let key = rcgen::KeyPair::generate().unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["sp".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let base64 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        certificate.der(),
    );
    let mut client = saml_client();
    for (key, value) in [
        ("saml.client.signature", "true"),
        ("saml.signing.certificate", base64.as_str()),
        ("saml.assertion.signature", "true"),
        ("saml.server.signature", "true"),
    ] {
        client.fields.insert(attribute_path(key), json!(value));
    }
    let record = &import_one(&state_with(client)).records[0];
    let xml = record.metadata.as_deref().unwrap();
    let parsed = crate::saml::parse_metadata(xml.as_bytes()).unwrap();
    let settings =
        crate::saml::SpSettings::from_entity(parsed.entity("https://sp.example.org").unwrap())
            .unwrap();
    assert!(settings.client_signature_required);
    assert_eq!(
        settings.signing_certificate.as_deref(),
        Some(base64.as_str())
    );
    assert!(
        record
            .text
            .contains("partner_metadata: \"sp-example-org.sp-metadata.xml\"")
    );
    assert!(
        !record
            .deviations
            .iter()
            .any(|d| d.contains("saml.client.signature")),
        "{:?}",
        record.deviations
    );
}

#[test]
fn built_in_and_bearer_only_clients_are_left_out_with_reasons() {
    let mut state = state_with(saml_client());
    state.clients.insert("account".into(), Client::default());
    let mut bearer = Client::default();
    bearer.fields.insert("bearerOnly".into(), json!(true));
    state.clients.insert("api".into(), bearer);
    let profile = AttributeProfile::builtin();
    let imported = import(&state, "r", &options(&profile, Selection::AllPartners)).unwrap();
    assert_eq!(imported.builtin_left_out, ["account"]);
    assert_eq!(imported.not_imported.len(), 1);
    assert!(imported.not_imported[0].1.starts_with("bearer-only"));
}
