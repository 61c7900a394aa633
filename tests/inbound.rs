//! Inbound federations on the realm-file target, through the command line: a SAML partner
//! IdP from the record's fields and certificate file, an OIDC partner from its discovery
//! document with the client secret from fedctl.yaml; apply, converge, drift, adopt, prune,
//! and the secret never shown.

mod common;
#[path = "common/web_server.rs"]
mod web_server;

use common::Workspace;
use predicates::prelude::*;
use serde_json::{Value, json};
use web_server::{Reply, WebServer};

const REALM: &str = "your-realm";

fn saml_record(extra: &str) -> String {
    format!(
        r#"federation:
  partner: "Example Partner University"
  type: saml
  direction: partner-idp-to-your-sp
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/{REALM}"
    partner_entity_id: "https://idp.university.example.edu/idp/shibboleth"
    partner_sso: "https://idp.university.example.edu/idp/profile/SAML2/POST/SSO"
    partner_signing_cert: "university-signing.pem"
    idp_alias: "partner-university"
{extra}  access_control:
    group: "partner-university-users"
    approver: "Head of Research IT"
    review_frequency: annual
  attributes_shared: [email, given_name]
"#
    )
}

fn oidc_record(issuer: &str) -> String {
    format!(
        r#"federation:
  partner: "OIDC University"
  type: oidc
  direction: partner-idp-to-your-sp
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/{REALM}"
    partner_issuer: "{issuer}"
    client_id: "yourorg-broker"
  access_control:
    group: "oidc-university-users"
    approver: "Head of Research IT"
    review_frequency: annual
  attributes_shared: [email]
"#
    )
}

fn signing_pem() -> String {
    rcgen::generate_simple_self_signed(vec!["idp.university.example.edu".into()])
        .unwrap()
        .cert
        .pem()
}

fn saml_workspace() -> Workspace {
    let workspace = Workspace::new(&[("partner-university.yaml", &saml_record(""))]);
    std::fs::write(
        workspace.records().join("university-signing.pem"),
        signing_pem(),
    )
    .unwrap();
    workspace
}

fn provider<'v>(realm: &'v Value, alias: &str) -> Option<&'v Value> {
    realm["identityProviders"]
        .as_array()?
        .iter()
        .find(|idp| idp["alias"] == alias)
}

fn mapper_names(realm: &Value, alias: &str) -> Vec<String> {
    let mut names: Vec<String> = realm["identityProviderMappers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["identityProviderAlias"] == alias)
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_saml_partner_idp_from_fields_is_applied_and_converges() {
    let workspace = saml_workspace();
    workspace
        .run("plan", &[])
        .success()
        .stdout(predicate::str::contains(
            "identity provider partner-university",
        ));
    workspace.run("apply", &["--yes"]).success();
    let realm = workspace.realm_json();
    let idp = provider(&realm, "partner-university").expect("identity provider written");
    assert_eq!(idp["providerId"], "saml");
    assert_eq!(idp["config"]["validateSignature"], "true");
    assert_eq!(idp["config"]["fedctl.managed-by"], "partner-university");
    let certificate = idp["config"]["signingCertificate"].as_str().unwrap();
    assert!(certificate.starts_with("MII"), "{certificate}");
    assert_eq!(
        mapper_names(&realm, "partner-university"),
        ["access-group", "email", "given_name"]
    );
    let group_mapper = realm["identityProviderMappers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "access-group")
        .unwrap();
    assert_eq!(group_mapper["config"]["group"], "/partner-university-users");
    assert!(
        realm["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == "partner-university-users")
    );
    workspace
        .run("plan", &["--detailed-exitcode"])
        .code(0)
        .stdout(predicate::str::contains("No changes"));
}

#[test]
fn drift_on_a_provider_is_corrected_and_a_gone_record_is_pruned() {
    let workspace = saml_workspace();
    workspace.run("apply", &["--yes"]).success();
    let mut realm = workspace.realm_json();
    let idps = realm["identityProviders"].as_array_mut().unwrap();
    idps[0]["config"]["singleSignOnServiceUrl"] = json!("https://evil.example.org/sso");
    workspace.write_realm_json(&realm);
    workspace
        .run("plan", &[])
        .success()
        .stdout(predicate::str::contains("evil.example.org"));
    workspace.run("apply", &["--yes"]).success();
    let realm = workspace.realm_json();
    assert_eq!(
        provider(&realm, "partner-university").unwrap()["config"]["singleSignOnServiceUrl"],
        "https://idp.university.example.edu/idp/profile/SAML2/POST/SSO"
    );

    workspace.remove_record("partner-university.yaml");
    workspace
        .run("plan", &[])
        .success()
        .stdout(predicate::str::contains("kept until --prune"));
    workspace
        .run("apply", &["--yes", "--prune", "--allow-empty"])
        .success();
    let realm = workspace.realm_json();
    assert!(provider(&realm, "partner-university").is_none());
    assert!(mapper_names(&realm, "partner-university").is_empty());
}

#[test]
fn an_existing_provider_is_taken_over_only_with_adopt() {
    let workspace = saml_workspace();
    workspace.run("apply", &["--yes"]).success();
    let mut realm = workspace.realm_json();
    let idps = realm["identityProviders"].as_array_mut().unwrap();
    idps[0]["config"]
        .as_object_mut()
        .unwrap()
        .remove("fedctl.managed-by");
    workspace.write_realm_json(&realm);
    workspace
        .run("plan", &[])
        .code(1)
        .stdout(predicate::str::contains("not created by fedctl"));
    workspace.run("apply", &["--yes", "--adopt"]).success();
    let realm = workspace.realm_json();
    assert_eq!(
        provider(&realm, "partner-university").unwrap()["config"]["fedctl.managed-by"],
        "partner-university"
    );
}

#[test]
fn an_oidc_partner_is_brokered_from_discovery_and_its_secret_is_never_shown() {
    const SECRET: &str = "s3cr3t-from-the-partner-4b1d";
    let server = WebServer::https();
    let issuer = server.url("/realms/partner");
    let discovery = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/protocol/openid-connect/auth"),
        "token_endpoint": format!("{issuer}/protocol/openid-connect/token"),
        "userinfo_endpoint": format!("{issuer}/protocol/openid-connect/userinfo"),
        "jwks_uri": format!("{issuer}/protocol/openid-connect/certs"),
    });
    server.route(
        "/realms/partner/.well-known/openid-configuration",
        vec![Reply::ok(discovery.to_string())],
    );
    let workspace = Workspace::new(&[("oidc-university.yaml", &oidc_record(&issuer))]);
    let ca = workspace.dir.path().join("ca.pem");
    std::fs::write(&ca, &server.ca_pem).unwrap();
    std::fs::write(
        workspace.dir.path().join("fedctl.yaml"),
        "inbound_secrets:\n  oidc-university: { env: UNI_BROKER_SECRET }\n",
    )
    .unwrap();
    let run = |subcommand: &str, extra: &[&str]| {
        let mut command = common::fedctl();
        command
            .current_dir(workspace.dir.path())
            .env("UNI_BROKER_SECRET", SECRET)
            .env_remove("FEDCTL_CONFIG")
            .arg(subcommand)
            .arg("--realm-file")
            .arg(workspace.realm_file())
            .arg("--ca-cert")
            .arg(&ca)
            .arg(workspace.records())
            .args(extra);
        command.assert()
    };
    let never = || predicate::str::contains(SECRET).not();
    run("plan", &[])
        .success()
        .stdout(predicate::str::contains("(secret, set)").and(never()))
        .stderr(never());
    let saved = workspace.dir.path().join("plan.json");
    run(
        "plan",
        &["--output", "json", "--out", saved.to_str().unwrap()],
    )
    .success()
    .stdout(never());
    assert!(!std::fs::read_to_string(&saved).unwrap().contains(SECRET));
    run("apply", &["--yes", "-vvv"])
        .success()
        .stdout(never())
        .stderr(never());
    let realm = workspace.realm_json();
    let idp = provider(&realm, "oidc-university").unwrap();
    assert_eq!(idp["providerId"], "oidc");
    assert_eq!(
        idp["config"]["tokenUrl"],
        format!("{issuer}/protocol/openid-connect/token")
    );
    assert_eq!(idp["config"]["pkceMethod"], "S256");
    // The realm file is the one place the secret is written to: Keycloak imports it.
    assert_eq!(idp["config"]["clientSecret"], SECRET);
    run("plan", &["--detailed-exitcode"])
        .code(0)
        .stdout(predicate::str::contains("No changes").and(never()));
    // One discovery request per plan, whatever the number of records.
    let discoveries = server
        .requests()
        .iter()
        .filter(|p| p.ends_with("openid-configuration"))
        .count();
    assert_eq!(discoveries, 4);
}

#[test]
fn review_lists_the_partner_users_in_the_access_group() {
    let workspace = saml_workspace();
    workspace.run("apply", &["--yes"]).success();
    let mut realm = workspace.realm_json();
    // A user the broker created: linked to the partner IdP and put in the access group.
    realm["users"] = json!([{
        "username": "jdoe@university.example.edu",
        "email": "jdoe@university.example.edu",
        "enabled": true,
        "createdTimestamp": 1_735_689_600_000_u64,
        "federatedIdentities": [{
            "identityProvider": "partner-university",
            "userId": "opaque-1",
            "userName": "jdoe"
        }],
        "groups": ["/partner-university-users"]
    }]);
    workspace.write_realm_json(&realm);
    let output = workspace
        .run("review", &["--output", "json"])
        .success()
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&output).unwrap();
    let text = report.to_string();
    assert!(text.contains("jdoe@university.example.edu"), "{text}");
    assert!(!text.contains("records not applied"), "{text}");
}

#[test]
fn a_saml_partner_idp_from_its_metadata_trusts_every_signing_key() {
    const METADATA: &str =
        "saml-metadata/entities/python3-saml_idp_metadata_multi_signing_certs.xml";
    let record = format!(
        r#"federation:
  partner: "Metadata University"
  type: saml
  direction: partner-idp-to-your-sp
  technical:
    your_entity_id: "https://idp.yourorg.example.org/realms/{REALM}"
    partner_metadata: "idp-metadata.xml"
  access_control:
    group: "metadata-university-users"
    approver: "Head of Research IT"
    review_frequency: annual
  attributes_shared: [email]
"#
    );
    let workspace = Workspace::new(&[("metadata-university.yaml", &record)]);
    std::fs::copy(
        common::fixture(METADATA),
        workspace.records().join("idp-metadata.xml"),
    )
    .unwrap();
    workspace.run("apply", &["--yes"]).success();
    let realm = workspace.realm_json();
    let config = &provider(&realm, "metadata-university").unwrap()["config"];
    assert_eq!(
        config["idpEntityId"],
        "https://idp.examle.com/saml/metadata"
    );
    assert_eq!(
        config["singleSignOnServiceUrl"],
        "https://idp.examle.com/saml/sso"
    );
    // Only an HTTP-Redirect SSO service: requests go by redirect.
    assert_eq!(config["postBindingAuthnRequest"], "false");
    let certificates = config["signingCertificate"].as_str().unwrap();
    assert_eq!(certificates.split(',').count(), 3, "{certificates}");
    workspace.run("plan", &["--detailed-exitcode"]).code(0);
}
