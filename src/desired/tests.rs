use super::*;
use crate::record::attribute::{AttributeSource, OidcRelease, SamlNameFormat, SamlRelease};
use crate::record::{NameIdFormat, RecordFile};

fn profile() -> AttributeProfile {
    let definition = |source, saml: &str, oidc: &str| AttributeDefinition {
        name: None,
        source,
        saml: Some(SamlRelease {
            name: saml.into(),
            friendly_name: Some(saml.into()),
            name_format: SamlNameFormat::Basic,
        }),
        oidc: Some(OidcRelease {
            claim: oidc.into(),
            json_type: None,
            multivalued: false,
        }),
    };
    AttributeProfile {
        attributes: BTreeMap::from([
            (
                "email".into(),
                definition(AttributeSource::Property("email".into()), "email", "email"),
            ),
            (
                "department".into(),
                definition(
                    AttributeSource::Attribute("department".into()),
                    "department",
                    "department",
                ),
            ),
            (
                "groups".into(),
                definition(AttributeSource::Groups, "groups", "groups"),
            ),
        ]),
    }
}

fn record(yaml: &str) -> Federation {
    serde_saphyr::from_str::<RecordFile>(yaml)
        .expect("test record parses")
        .federation
}

const SAML: &str = r#"
federation:
  partner: "Example Partner Organisation"
  type: saml
  direction: your-idp-to-partner-sp
  technical:
    your_entity_id: "https://idp.example.org/realms/r"
    partner_entity_id: "https://app.partner.example.org"
    partner_acs: "https://app.partner.example.org/saml/acs"
  access_control:
    group: "partner-example-users"
    approver: "IT Manager"
    review_frequency: quarterly
  attributes_shared: [email, department, groups]
"#;

fn compile_one(id: &str, federation: &Federation) -> Desired {
    compile([RecordRef { id, federation }], &profile())
}

#[test]
fn client_defaults_template_is_valid() {
    assert_eq!(CLIENT_DEFAULTS.saml["protocol"], "saml");
    assert_eq!(CLIENT_DEFAULTS.oidc["protocol"], "openid-connect");
}

#[test]
fn an_outbound_saml_record_becomes_client_mappers_role_group_and_flow() {
    let federation = record(SAML);
    let desired = compile_one("partner-example", &federation);
    let state = &desired.state;
    let client = &state.clients["https://app.partner.example.org"];
    assert_eq!(client.owner(), Some("partner-example"));
    assert_eq!(client.protocol(), Some("saml"));
    assert_eq!(
        client.fields["redirectUris"],
        json!(["https://app.partner.example.org/saml/acs"])
    );
    assert_eq!(
        client.fields["attributes.saml_assertion_consumer_url_post"],
        "https://app.partner.example.org/saml/acs"
    );
    assert_eq!(client.fields["attributes.saml_name_id_format"], "email");
    assert_eq!(client.fields["attributes.saml.client.signature"], "false");
    assert_eq!(client.managed_mappers().len(), 3);

    let types: Vec<&str> = client
        .mappers
        .values()
        .map(|m| m.mapper_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "saml-user-attribute-mapper",
            "saml-user-property-mapper",
            "saml-group-membership-mapper"
        ]
    );
    assert_eq!(
        client.mappers["email"].config["attribute.nameformat"],
        "Basic"
    );
    assert_eq!(
        client.mappers["department"].config["user.attribute"],
        "department"
    );

    assert_eq!(client.roles["access"].owner(), Some("partner-example"));
    let group = &state.groups["/partner-example-users"];
    assert!(group.owners().contains("partner-example"));
    assert!(group.client_roles["https://app.partner.example.org"].contains("access"));

    assert_eq!(
        client.browser_flow.as_deref(),
        Some("fedctl-restrict-partner-example")
    );
    let flow = &state.flows["fedctl-restrict-partner-example"];
    assert_eq!(flow.owner(), Some("partner-example"));
    let StepKind::SubFlow { steps: gate, .. } = &flow.steps[1].kind else {
        panic!("second step is the gate sub-flow");
    };
    assert_eq!(flow.steps[1].requirement, Requirement::Conditional);
    let StepKind::Authenticator {
        provider,
        config: Some(config),
    } = &gate[0].kind
    else {
        panic!("gate starts with the role condition");
    };
    assert_eq!(provider, "conditional-user-role");
    assert_eq!(
        config.config["condUserRole"],
        "https://app.partner.example.org.access"
    );
    assert_eq!(config.config["negate"], "true");
}

#[test]
fn enforcement_off_means_no_flow_and_no_binding() {
    let federation = record(&SAML.replace(
        "review_frequency: quarterly",
        "review_frequency: quarterly\n    enforce: false",
    ));
    let desired = compile_one("p", &federation);
    assert!(desired.state.flows.is_empty());
    assert_eq!(
        desired.state.clients["https://app.partner.example.org"].browser_flow,
        None
    );
}

#[test]
fn record_values_override_saml_defaults() {
    let yaml = SAML.replace(
        "partner_acs:",
        "name_id_format: persistent\n    sign_assertions: false\n    partner_slo: \"https://app.partner.example.org/slo\"\n    partner_acs:",
    );
    let desired = compile_one("p", &record(&yaml));
    let fields = &desired.state.clients["https://app.partner.example.org"].fields;
    assert_eq!(fields["attributes.saml_name_id_format"], "persistent");
    assert_eq!(fields["attributes.saml.assertion.signature"], "false");
    assert_eq!(
        fields["attributes.saml_single_logout_service_url_post"],
        "https://app.partner.example.org/slo"
    );
}

#[test]
fn idp_initiated_sso_is_off_unless_the_record_names_a_url_name() {
    let attribute = "attributes.saml_idp_initiated_sso_url_name";
    let desired = compile_one("p", &record(SAML));
    let fields = &desired.state.clients["https://app.partner.example.org"].fields;
    assert_eq!(fields[attribute], serde_json::Value::Null);
    let yaml = SAML.replace(
        "partner_acs:",
        "idp_initiated_sso_url_name: partner-example\n    partner_acs:",
    );
    let desired = compile_one("p", &record(&yaml));
    let fields = &desired.state.clients["https://app.partner.example.org"].fields;
    assert_eq!(fields[attribute], "partner-example");
}

#[test]
fn a_public_oidc_client_gets_pkce_and_web_origins() {
    let yaml = r#"
federation:
  partner: P
  type: oidc
  direction: your-idp-to-partner-sp
  technical:
    your_entity_id: "https://idp.example.org/realms/r"
    client_id: spa
    client_type: public
    redirect_uris: ["https://spa.example.org/cb"]
    post_logout_redirect_uris: ["https://spa.example.org/", "https://spa.example.org/bye"]
  access_control: { group: "/apps/spa-users", approver: A, review_frequency: annual, role: user }
  attributes_shared: [email]
"#;
    let desired = compile_one("spa", &record(yaml));
    let client = &desired.state.clients["spa"];
    assert_eq!(client.fields["protocol"], "openid-connect");
    assert_eq!(client.fields["publicClient"], true);
    assert_eq!(client.fields["webOrigins"], json!(["+"]));
    assert_eq!(
        client.fields["attributes.pkce.code.challenge.method"],
        "S256"
    );
    assert_eq!(
        client.fields["attributes.post.logout.redirect.uris"],
        "https://spa.example.org/##https://spa.example.org/bye"
    );
    assert_eq!(
        client.mappers["email"].mapper_type,
        "oidc-usermodel-property-mapper"
    );
    assert_eq!(
        client.mappers["email"].config["introspection.token.claim"],
        "true"
    );
    assert!(client.roles.contains_key("user"));
    // Parent groups of a nested path are created (and owned) too.
    assert!(desired.state.groups.contains_key("/apps"));
    assert!(desired.state.groups["/apps/spa-users"].client_roles["spa"].contains("user"));
    assert!(desired.state.groups["/apps"].client_roles.is_empty());
}

#[test]
fn a_confidential_oidc_client_has_no_pkce_requirement() {
    let yaml = r#"
federation:
  partner: P
  type: oidc
  direction: your-idp-to-partner-sp
  technical: { your_entity_id: "https://idp.example.org/realms/r", client_id: app, redirect_uris: ["https://a.example.org/cb"], client_auth: private_key_jwt, jwks_url: "https://a.example.org/jwks" }
  access_control: { group: g, approver: A, review_frequency: monthly }
"#;
    let desired = compile_one("app", &record(yaml));
    let fields = &desired.state.clients["app"].fields;
    assert_eq!(fields["publicClient"], false);
    assert_eq!(fields["attributes.pkce.code.challenge.method"], Value::Null);
    assert_eq!(fields["clientAuthenticatorType"], "client-jwt");
    assert_eq!(fields["attributes.use.jwks.url"], "true");
    assert_eq!(fields["attributes.jwks.url"], "https://a.example.org/jwks");
}

#[test]
fn a_group_shared_by_two_records_lists_both_owners() {
    let first = record(SAML);
    let second = record(&SAML.replace(
        "https://app.partner.example.org",
        "https://other.example.org",
    ));
    let desired = compile(
        [
            RecordRef {
                id: "a",
                federation: &first,
            },
            RecordRef {
                id: "b",
                federation: &second,
            },
        ],
        &profile(),
    );
    let group = &desired.state.groups["/partner-example-users"];
    assert_eq!(group.owners().into_iter().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(group.client_roles.len(), 2);
}

#[test]
fn pilot_users_get_the_role_directly_and_incomplete_inbound_records_are_skipped() {
    let yaml = SAML.replace(
        "review_frequency: quarterly",
        "review_frequency: quarterly\n    pilot_users: [alice]",
    );
    let inbound = record(&SAML.replace("your-idp-to-partner-sp", "partner-idp-to-your-sp"));
    let outbound = record(&yaml);
    let desired = compile(
        [
            RecordRef {
                id: "out",
                federation: &outbound,
            },
            RecordRef {
                id: "in",
                federation: &inbound,
            },
        ],
        &profile(),
    );
    assert!(
        desired.state.users["alice"].client_roles["https://app.partner.example.org"]
            .contains("access")
    );
    assert_eq!(desired.records, ["out", "in"]);
    assert_eq!(desired.skipped.len(), 1);
    assert_eq!(desired.skipped[0].0, "in");
    assert!(desired.skipped[0].1.contains("no single sign-on URL"));
    assert!(desired.state.identity_providers.is_empty());
}

/// What the partner's SP metadata says, as `SpSettings::from_entity` reports it.
fn partner_sp() -> SpSettings {
    SpSettings {
        client_id: "https://app.partner.example.org".into(),
        acs_post: Some("https://app.partner.example.org/md/acs".into()),
        acs_redirect: Some("https://app.partner.example.org/md/acs-redirect".into()),
        acs_artifact: None,
        redirect_uris: vec![
            "https://app.partner.example.org/md/acs".into(),
            "https://app.partner.example.org/md/acs-redirect".into(),
        ],
        slo_post: Some("https://app.partner.example.org/md/slo".into()),
        slo_redirect: None,
        slo_soap: None,
        artifact_resolution_service: None,
        signing_certificate: Some("SIGNING-CERT".into()),
        client_signature_required: true,
        encryption_certificate: Some("ENCRYPTION-CERT".into()),
        encrypt_assertions: true,
        name_id_format: Some(crate::saml::NameIdFormat::Persistent),
        want_assertions_signed: true,
        logo_uri: None,
        policy_uri: None,
        requested_attributes: Vec::new(),
    }
}

fn compile_with_sp(federation: &Federation, sp: SpSettings) -> Desired {
    compile_with_metadata(
        [RecordRef {
            id: "p",
            federation,
        }],
        &profile(),
        &PartnerMetadata::from([("p".to_owned(), sp)]),
    )
}

/// The SAML record without the values metadata can supply.
fn saml_without_acs() -> Federation {
    let mut federation = record(SAML);
    federation.technical.partner_acs = None;
    federation
}

fn saml_client(desired: &Desired) -> &Client {
    &desired.state.clients["https://app.partner.example.org"]
}

#[test]
fn metadata_fills_in_endpoints_certificates_and_name_id() {
    let desired = compile_with_sp(&saml_without_acs(), partner_sp());
    let fields = &saml_client(&desired).fields;
    assert_eq!(
        fields["redirectUris"],
        json!([
            "https://app.partner.example.org/md/acs",
            "https://app.partner.example.org/md/acs-redirect"
        ])
    );
    assert_eq!(
        fields["attributes.saml_assertion_consumer_url_post"],
        "https://app.partner.example.org/md/acs"
    );
    assert_eq!(
        fields["attributes.saml_single_logout_service_url_post"],
        "https://app.partner.example.org/md/slo"
    );
    assert_eq!(fields["attributes.saml_name_id_format"], "persistent");
    assert_eq!(fields["attributes.saml.client.signature"], "true");
    assert_eq!(
        fields["attributes.saml.signing.certificate"],
        "SIGNING-CERT"
    );
    assert_eq!(fields["attributes.saml.encrypt"], "true");
    assert_eq!(
        fields["attributes.saml.encryption.certificate"],
        "ENCRYPTION-CERT"
    );
    assert_eq!(desired.notes, []);
}

#[test]
fn the_record_wins_and_each_disagreement_is_a_note() {
    let mut federation = record(SAML);
    let technical = &mut federation.technical;
    technical.partner_slo = Some("https://app.partner.example.org/slo".into());
    technical.name_id_format = Some(NameIdFormat::Email);
    technical.encrypt_assertions = Some(false);
    technical.sign_assertions = Some(false);
    let desired = compile_with_sp(&federation, partner_sp());
    let fields = &saml_client(&desired).fields;
    assert_eq!(
        fields["redirectUris"],
        json!(["https://app.partner.example.org/saml/acs"])
    );
    assert_eq!(
        fields["attributes.saml_single_logout_service_url_post"],
        "https://app.partner.example.org/slo"
    );
    assert_eq!(fields["attributes.saml_name_id_format"], "email");
    assert_eq!(fields["attributes.saml.encrypt"], "false");
    assert!(!fields.contains_key("attributes.saml.encryption.certificate"));
    // No record field names a signing certificate: the metadata's applies.
    assert_eq!(fields["attributes.saml.client.signature"], "true");

    let notes: Vec<&str> = desired.notes.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(notes.len(), 5, "{notes:#?}");
    for field in [
        "partner_acs",
        "partner_slo",
        "name_id_format",
        "sign_assertions",
        "encrypt_assertions",
    ] {
        assert!(
            notes.iter().any(|n| n.contains(field)),
            "{field}: {notes:#?}"
        );
    }
    assert!(desired.notes.iter().all(|(record, _)| record == "p"));
}

#[test]
fn signed_requests_and_encryption_need_explicit_keys() {
    // Keys without `use`: certificates known, but Keycloak's converter switches nothing on.
    let mut sp = partner_sp();
    sp.client_signature_required = false;
    sp.encrypt_assertions = false;
    let desired = compile_with_sp(&saml_without_acs(), sp);
    let fields = &saml_client(&desired).fields;
    assert_eq!(fields["attributes.saml.client.signature"], "false");
    assert_eq!(fields["attributes.saml.encrypt"], "false");
    assert!(!fields.contains_key("attributes.saml.signing.certificate"));

    // Asked for explicitly, encryption uses the certificate the metadata has.
    let mut federation = saml_without_acs();
    federation.technical.encrypt_assertions = Some(true);
    let mut sp = partner_sp();
    sp.encrypt_assertions = false;
    let desired = compile_with_sp(&federation, sp);
    assert_eq!(
        saml_client(&desired).fields["attributes.saml.encryption.certificate"],
        "ENCRYPTION-CERT"
    );
}

#[test]
fn encryption_without_a_certificate_stays_off_with_a_note() {
    let mut federation = record(SAML);
    federation.technical.encrypt_assertions = Some(true);
    let desired = compile_one("p", &federation);
    assert_eq!(
        saml_client(&desired).fields["attributes.saml.encrypt"],
        "false"
    );
    assert_eq!(desired.notes.len(), 1);
    assert!(
        desired.notes[0]
            .1
            .contains("no partner encryption certificate")
    );
}

#[test]
fn a_different_entity_id_keeps_the_records_client_id() {
    let mut sp = partner_sp();
    sp.client_id = "https://other.example.org".into();
    let desired = compile_with_sp(&saml_without_acs(), sp);
    assert!(
        desired
            .state
            .clients
            .contains_key("https://app.partner.example.org")
    );
    assert!(desired.notes[0].1.contains("partner_entity_id"));
}

#[test]
fn without_partner_entity_id_the_client_id_comes_from_the_metadata() {
    let mut federation = saml_without_acs();
    federation.technical.partner_entity_id = None;
    let desired = compile_with_sp(&federation, partner_sp());
    assert!(
        desired.state.clients["https://app.partner.example.org"].fields["redirectUris"]
            .as_array()
            .is_some_and(|acs| acs.len() == 2)
    );
    assert_eq!(desired.notes, []);
}
