//! `fedctl import` on realm files: every realm export of the test data, and a realm built the
//! way the runbook's kcadm commands build one. The contract is the round trip: import, fill
//! in the placeholders, `plan --adopt` changes nothing but fedctl's bookkeeping, what the
//! import listed and what the filled placeholders ask for; `apply --adopt`; then a plan has
//! No changes.

mod common;

mod import_support;

use common::{Workspace, fedctl, realm_fixtures};
use import_support::{
    SAML_CLIENT as SAML, fill_placeholders, import_notes, partner_certificate, plan_changes,
    runbook_clients, unexplained_changes,
};
use predicates::prelude::*;
use serde_json::{Value, json};

fn import(workspace: &Workspace, extra: &[&str]) -> assert_cmd::assert::Assert {
    fedctl()
        .current_dir(workspace.dir.path())
        .arg("import")
        .arg("--realm-file")
        .arg(workspace.realm_file())
        .arg("--out")
        .arg(workspace.records())
        .args(extra)
        .assert()
}

fn record_files(workspace: &Workspace) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(workspace.records())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// Import → fill → plan --adopt explained → apply --adopt → No changes.
fn round_trip(workspace: &Workspace, name: &str) {
    import(workspace, &["--all-partners"]).success();
    check_round_trip(workspace, name);
}

/// Fill the imported records in, then: `validate` passes, every change of `plan --adopt` is
/// explained, `apply --adopt` converges.
fn check_round_trip(workspace: &Workspace, name: &str) {
    let files = record_files(workspace);
    if files.is_empty() {
        return;
    }
    let original = workspace.realm_json();
    for file in &files {
        fill_placeholders(file, "idp.example.org");
    }
    fedctl()
        .arg("validate")
        .arg(workspace.records())
        .assert()
        .success();
    let plan = workspace.run("plan", &["--adopt", "--output", "json"]);
    let plan: Value = serde_json::from_slice(&plan.get_output().stdout).unwrap();
    let changes = plan_changes(&plan);
    let unexplained = unexplained_changes(&changes, &files, &original);
    assert!(unexplained.is_empty(), "{name}: {unexplained:#?}");
    workspace.run("apply", &["--adopt", "--yes"]).success();
    workspace
        .run("plan", &["--detailed-exitcode"])
        .code(0)
        .stdout(predicate::str::contains("No changes"));
}

#[test]
fn every_realm_export_in_the_test_data_round_trips() {
    for name in realm_fixtures() {
        let workspace = Workspace::new(&[]);
        workspace.use_realm_fixture(&name);
        round_trip(&workspace, &name);
    }
}

/// The realm the runbook's kcadm commands leave behind, as `kc.sh export` writes it: a SAML
/// client with the runbook's attributes and the partner's signing certificate, a confidential
/// and a public OIDC client, each with an `access` role granted to its group, and a pilot user.
pub fn runbook_realm(certificate: &str) -> Value {
    let mut clients = vec![json!({"clientId": "account", "protocol": "openid-connect"})];
    for (mut client, mappers) in runbook_clients(certificate) {
        client["protocolMappers"] = json!(mappers);
        clients.push(client);
    }
    // An export masks secrets.
    clients[2]["secret"] = json!("**********");
    json!({
        "realm": "your-realm",
        "enabled": true,
        "clients": clients,
        "roles": {"client": {
            SAML: [{"name": "access"}],
            "partner-portal": [{"name": "portal-access"}],
            "partner-spa": [{"name": "access"}]
        }},
        "groups": [
            {"name": "partner-example-users", "path": "/partner-example-users",
             "clientRoles": {SAML: ["access"]}},
            {"name": "partners", "path": "/partners", "subGroups": [
                {"name": "oidc-partner-users", "path": "/partners/oidc-partner-users",
                 "clientRoles": {"partner-portal": ["portal-access"]}}]},
            {"name": "spa-users", "path": "/spa-users", "clientRoles": {"partner-spa": ["access"]}}
        ],
        "users": [
            {"username": "pilot.user", "enabled": true, "clientRoles": {SAML: ["access"]}},
            {"username": "alice", "enabled": true, "groups": ["/partner-example-users"]}
        ]
    })
}

#[test]
fn a_runbook_realm_imports_into_records_that_change_nothing_but_markers() {
    let workspace = Workspace::new(&[]);
    let certificate = partner_certificate();
    workspace.write_realm_json(&runbook_realm(&certificate));
    import(&workspace, &["--all-partners"])
        .success()
        .stdout(predicate::str::contains(
            "Left out Keycloak's built-in clients: account",
        ))
        .stdout(predicate::str::contains(
            "Identity providers (inbound federations) were skipped",
        ))
        .stdout(predicate::str::contains("would manage differently").not());
    let saml =
        std::fs::read_to_string(workspace.records().join("app-partner-example-org.yaml")).unwrap();
    for line in [
        r#"  partner: "Example Partner Organisation""#,
        r#"    partner_entity_id: "https://app.partner.example.org""#,
        r#"    partner_acs: "https://app.partner.example.org/saml/acs""#,
        r#"    signing_cert_expiry: "2034-01-01""#,
        r#"    partner_metadata: "app-partner-example-org.sp-metadata.xml""#,
        r#"    name_id_format: "email""#,
        r#"    group: "partner-example-users""#,
        "    pilot_users:\n      - \"pilot.user\"",
        "  attributes_shared:\n    - \"department\"\n    - \"display_name\"\n    - \"email\"",
    ] {
        assert!(saml.contains(line), "{line}\n{saml}");
    }
    let metadata = workspace
        .records()
        .join("app-partner-example-org.sp-metadata.xml");
    assert!(
        std::fs::read_to_string(metadata)
            .unwrap()
            .contains(&certificate)
    );
    let portal = std::fs::read_to_string(workspace.records().join("partner-portal.yaml")).unwrap();
    for line in [
        r#"    group: "/partners/oidc-partner-users""#,
        r#"    role: "portal-access""#,
        r#"    client_type: "confidential""#,
        r#"    pkce: "S256""#,
        "    post_logout_redirect_uris:\n      - \"https://portal.partner.example.org/\"",
    ] {
        assert!(portal.contains(line), "{line}\n{portal}");
    }
    assert!(!portal.contains("secret"), "{portal}");
    let spa = std::fs::read_to_string(workspace.records().join("partner-spa.yaml")).unwrap();
    assert!(spa.contains(r#"    client_type: "public""#), "{spa}");

    // `validate` lists exactly the fields to fill in, once each.
    let validate = fedctl()
        .arg("validate")
        .arg(workspace.records())
        .assert()
        .code(1);
    let output = validate.get_output();
    let summary = String::from_utf8_lossy(&output.stdout).into_owned();
    let errors = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        summary.trim(),
        "3 records, 18 errors, 0 warnings",
        "{errors}"
    );
    assert_eq!(errors.matches("placeholder left in record").count(), 18);

    // Markers only: nothing the import had to list.
    for file in record_files(&workspace) {
        assert!(import_notes(&file).is_empty(), "{}", file.display());
    }
    check_round_trip(&workspace, "runbook");
    let realm = workspace.realm_json();
    let client = realm["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["clientId"] == SAML)
        .unwrap();
    assert_eq!(client["attributes"]["saml.client.signature"], "true");
    assert_eq!(
        client["attributes"]["fedctl.managed-by"],
        "app-partner-example-org"
    );
}

#[test]
fn an_existing_record_is_kept_unless_forced_and_nothing_is_half_written() {
    let workspace = Workspace::new(&[("partner-spa.yaml", "# mine\n")]);
    workspace.write_realm_json(&runbook_realm(&partner_certificate()));
    import(&workspace, &["--all-partners"])
        .code(1)
        .stderr(predicate::str::contains("partner-spa.yaml"))
        .stderr(predicate::str::contains("--force"));
    assert_eq!(record_files(&workspace).len(), 1);
    assert_eq!(
        std::fs::read_to_string(workspace.records().join("partner-spa.yaml")).unwrap(),
        "# mine\n"
    );
    import(&workspace, &["--all-partners", "--force"]).success();
    assert_eq!(record_files(&workspace).len(), 3);
}

#[test]
fn a_named_client_is_imported_alone_and_an_unknown_one_is_an_error() {
    let workspace = Workspace::new(&[]);
    workspace.write_realm_json(&runbook_realm(&partner_certificate()));
    import(&workspace, &["--client", "partner-spa"]).success();
    assert_eq!(record_files(&workspace).len(), 1);
    import(&workspace, &["--client", "nope"])
        .code(1)
        .stderr(predicate::str::contains(
            "no client `nope` in realm your-realm",
        ));
    // A named client that cannot become a record is a failure of the run, with the reason.
    let mut realm = workspace.realm_json();
    realm["clients"]
        .as_array_mut()
        .unwrap()
        .push(json!({"clientId": "api", "bearerOnly": true}));
    workspace.write_realm_json(&realm);
    import(&workspace, &["--client", "api"])
        .code(1)
        .stdout(predicate::str::contains(
            "client api: bearer-only client: nobody signs in to it",
        ));
}

#[test]
fn what_fedctl_would_manage_differently_is_written_on_the_record_and_listed() {
    let workspace = Workspace::new(&[]);
    let mut realm = runbook_realm(&partner_certificate());
    // Made by hand: not forcing the NameID format, and a hard-coded attribute fedctl cannot
    // describe; the SPA's role is granted to two groups.
    realm["clients"][1]["attributes"]["saml_force_name_id_format"] = json!("false");
    realm["clients"][1]["protocolMappers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "tenant", "protocol": "saml",
            "protocolMapper": "saml-hardcode-attribute-mapper",
            "config": {"attribute.name": "tenant", "attribute.value": "acme"}}));
    realm["groups"][2]["subGroups"] = json!([]);
    realm["groups"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "spa-admins", "path": "/spa-admins",
            "clientRoles": {"partner-spa": ["access"]}}));
    workspace.write_realm_json(&realm);
    import(&workspace, &["--all-partners"])
        .success()
        .stdout(predicate::str::contains(
            "~ client https://app.partner.example.org: attributes.saml_force_name_id_format \"false\" → \"true\"",
        ))
        .stdout(predicate::str::contains(
            "- mapper tenant of client https://app.partner.example.org",
        ));
    let saml = workspace.records().join("app-partner-example-org.yaml");
    let notes = import_notes(&saml);
    assert_eq!(notes.len(), 2, "{notes:#?}");
    let text = std::fs::read_to_string(&saml).unwrap();
    assert!(
        text.contains(
            "mapper `tenant` (saml-hardcode-attribute-mapper) is of a kind a record cannot describe"
        ),
        "{text}"
    );
    let spa = std::fs::read_to_string(workspace.records().join("partner-spa.yaml")).unwrap();
    assert!(spa.contains(r#"group: "CHANGE-ME""#), "{spa}");
    assert!(
        spa.contains("the role is granted to groups `/spa-admins`, `/spa-users`"),
        "{spa}"
    );
    // Filled in, plan --adopt changes exactly what was listed (and the filled group's grant).
    check_round_trip(&workspace, "hand-made");
}

#[test]
fn a_realm_fedctl_manages_imports_back_into_records_that_plan_no_changes() {
    let record = common::runbook_record("your-realm");
    let workspace = Workspace::new(&[("partner-example.yaml", &record)]);
    workspace.run("apply", &["--yes"]).success();
    workspace.remove_record("partner-example.yaml");
    import(&workspace, &["--client", "https://app.partner.example.org"]).success();
    let text = std::fs::read_to_string(workspace.records().join("partner-example.yaml")).unwrap();
    // The deny flow fedctl bound is recognised: enforcement stays on (the default).
    assert!(!text.contains("enforce"), "{text}");
    assert!(import_notes(&workspace.records().join("partner-example.yaml")).is_empty());
    fill_placeholders(
        &workspace.records().join("partner-example.yaml"),
        "idp.yourorg.example.org",
    );
    workspace
        .run("plan", &["--detailed-exitcode"])
        .code(0)
        .stdout(predicate::str::contains("No changes"));
}
