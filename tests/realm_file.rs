//! The realm-file target end to end: apply the runbook record to every shared realm export and
//! prove nothing else in the file is lost or altered, then drift, prune safety and adoption.

mod common;

use common::{Workspace, fixture, fixture_realm, preserved, realm_fixtures, runbook_record};
use predicates::prelude::*;
use serde_json::{Value, json};

const CLIENT: &str = "https://app.partner.example.org";

fn find_client<'v>(realm: &'v Value, client_id: &str) -> Option<&'v Value> {
    realm["clients"]
        .as_array()?
        .iter()
        .find(|c| c["clientId"] == client_id)
}

#[test]
fn every_shared_realm_export_survives_apply_without_losing_a_field() {
    for name in realm_fixtures() {
        let realm = fixture_realm(&name);
        let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record(&realm))]);
        workspace.use_realm_fixture(&name);
        let original = workspace.realm_json();

        workspace.run("apply", &["--yes"]).success();
        let written = workspace.realm_json();
        if let Err(difference) = preserved(&original, &written, "") {
            panic!("{name}: {difference}");
        }
        assert!(
            find_client(&written, CLIENT).is_some(),
            "{name}: client created"
        );
        // Converged: the second plan is empty (exit 0 with --detailed-exitcode).
        workspace
            .run("plan", &["--detailed-exitcode"])
            .code(0)
            .stdout(predicate::str::contains("No changes"));
    }
}

#[test]
fn an_untouched_export_is_written_back_byte_for_byte() {
    // Exports in the canonical two-space layout come back identical when nothing changes.
    for name in [
        "keycloak/kc26.5.5-saml-test-yo1000.json",
        "keycloak/kc25.0.6-cx-central-tractusx.json",
    ] {
        let workspace = Workspace::new(&[]);
        workspace.use_realm_fixture(name);
        let target =
            fedctl::keycloak::realm_file::RealmFile::open(&workspace.realm_file()).unwrap();
        fedctl::runtime::block_on(fedctl::target::Target::commit(&target)).unwrap();
        let before = std::fs::read(fixture(name)).unwrap();
        let after = std::fs::read(workspace.realm_file()).unwrap();
        assert!(before == after, "{name} changed on a no-op write");
    }
}

#[test]
fn the_runbook_record_becomes_exactly_the_expected_objects() {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    workspace.run("apply", &["--yes"]).success();
    let realm = workspace.realm_json();
    assert_eq!(realm["realm"], "your-realm");

    let client = find_client(&realm, CLIENT).expect("client");
    assert_eq!(client["protocol"], "saml");
    assert_eq!(client["name"], "Example Partner Organisation");
    assert_eq!(
        client["redirectUris"],
        json!(["https://app.partner.example.org/saml/acs"])
    );
    let attributes = &client["attributes"];
    assert_eq!(
        attributes["saml_assertion_consumer_url_post"],
        "https://app.partner.example.org/saml/acs"
    );
    assert_eq!(attributes["saml_name_id_format"], "email");
    assert_eq!(attributes["saml.assertion.signature"], "true");
    assert_eq!(attributes["saml.server.signature"], "true");
    assert_eq!(attributes["saml.client.signature"], "false");
    assert_eq!(attributes["fedctl.managed-by"], "partner-example");

    let mappers: Vec<&str> = client["protocolMappers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(mappers.len(), 3);
    for name in ["email", "display_name", "department"] {
        assert!(mappers.contains(&name), "mapper {name} in {mappers:?}");
    }
    let email = client["protocolMappers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "email")
        .unwrap();
    assert_eq!(email["protocol"], "saml");
    assert_eq!(email["config"]["attribute.name"], "email");
    assert_eq!(email["config"]["friendly.name"], "email");
    assert_eq!(email["config"]["attribute.nameformat"], "Basic");

    let roles = realm["roles"]["client"][CLIENT].as_array().unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0]["name"], "access");
    assert_eq!(roles[0]["containerId"], client["id"]);

    let group = realm["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "partner-example-users")
        .unwrap();
    assert_eq!(group["clientRoles"][CLIENT], json!(["access"]));
    assert_eq!(
        group["attributes"]["fedctl.managed-by"],
        json!(["partner-example"])
    );

    // The enforcement flow is bound to the client by id, and denies users without the role.
    let flow_id = client["authenticationFlowBindingOverrides"]["browser"]
        .as_str()
        .unwrap();
    let flows = realm["authenticationFlows"].as_array().unwrap();
    let flow = flows.iter().find(|f| f["id"] == flow_id).unwrap();
    assert_eq!(flow["alias"], "fedctl-restrict-partner-example");
    assert_eq!(flow["topLevel"], true);
    let config = realm["authenticatorConfig"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["config"]["condUserRole"].is_string())
        .unwrap();
    assert_eq!(config["config"]["condUserRole"], format!("{CLIENT}.access"));
    assert_eq!(config["config"]["negate"], "true");
    let gate = flows
        .iter()
        .find(|f| f["alias"] == "fedctl-restrict-partner-example gate")
        .unwrap();
    let providers: Vec<&str> = gate["authenticationExecutions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["authenticator"].as_str().unwrap())
        .collect();
    assert_eq!(
        providers,
        ["conditional-user-role", "deny-access-authenticator"]
    );
}

#[test]
fn a_hand_edited_managed_field_is_planned_back_and_unmanaged_fields_survive() {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    workspace.run("apply", &["--yes"]).success();
    let mut realm = workspace.realm_json();
    let client = realm["clients"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["clientId"] == CLIENT)
        .unwrap();
    client["attributes"]["saml_name_id_format"] = json!("username");
    client["attributes"]["custom.note"] = json!("added by hand");
    client["baseUrl"] = json!("https://app.partner.example.org/home");
    workspace.write_realm_json(&realm);

    workspace
        .run("plan", &["--detailed-exitcode"])
        .code(2)
        .stdout(predicate::str::contains(
            r#"attributes.saml_name_id_format: "username" → "email""#,
        ))
        .stdout(predicate::str::contains("custom.note").not())
        .stdout(predicate::str::contains("baseUrl").not());
    workspace.run("apply", &["--yes"]).success();

    let realm = workspace.realm_json();
    let client = find_client(&realm, CLIENT).unwrap();
    assert_eq!(client["attributes"]["saml_name_id_format"], "email");
    assert_eq!(client["attributes"]["custom.note"], "added by hand");
    assert_eq!(client["baseUrl"], "https://app.partner.example.org/home");
    workspace.run("plan", &["--detailed-exitcode"]).code(0);
}

#[test]
fn prune_deletes_only_what_fedctl_created() {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    workspace.run("apply", &["--yes"]).success();
    let mut realm = workspace.realm_json();
    realm["clients"]
        .as_array_mut()
        .unwrap()
        .push(json!({"clientId": "hand-made", "protocol": "saml", "attributes": {}}));
    realm["groups"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "hand-made-group", "path": "/hand-made-group", "subGroups": []}));
    workspace.write_realm_json(&realm);
    workspace.remove_record("partner-example.yaml");

    // Without --prune the managed objects are reported as orphans and kept.
    workspace
        .run("plan", &["--detailed-exitcode"])
        .code(0)
        .stdout(predicate::str::contains(
            "? client https://app.partner.example.org",
        ));
    workspace.run("apply", &["--yes"]).success();
    assert!(find_client(&workspace.realm_json(), CLIENT).is_some());

    // An empty record set would prune everything: refused unless confirmed.
    workspace
        .run("apply", &["--yes", "--prune"])
        .code(1)
        .stderr(predicate::str::contains("--allow-empty"));
    assert!(find_client(&workspace.realm_json(), CLIENT).is_some());
    workspace
        .run("apply", &["--yes", "--prune", "--allow-empty"])
        .success();
    let realm = workspace.realm_json();
    assert!(
        find_client(&realm, CLIENT).is_none(),
        "managed client pruned"
    );
    assert!(
        find_client(&realm, "hand-made").is_some(),
        "unmarked client survives"
    );
    let groups: Vec<&str> = realm["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["hand-made-group"]);
    let flows = realm["authenticationFlows"].as_array().unwrap();
    assert!(
        flows
            .iter()
            .all(|f| !f["alias"].as_str().unwrap().starts_with("fedctl-"))
    );
    assert!(realm["roles"]["client"].get(CLIENT).is_none());
}

#[test]
fn an_existing_unmanaged_client_is_a_conflict_until_adopted() {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    workspace.write_realm_json(&json!({
        "realm": "your-realm",
        "clients": [{"clientId": CLIENT, "protocol": "saml", "name": "made by hand", "attributes": {"keep": "me"}}]
    }));
    // A conflict left makes plan exit 1, even for a drift gate, naming the record not enforced.
    workspace
        .run("plan", &["--detailed-exitcode"])
        .code(1)
        .stdout(predicate::str::contains("! client https://app.partner.example.org — exists in Keycloak but was not created by fedctl"))
        .stderr(predicate::str::contains("not enforced:\n  partner-example: client https://app.partner.example.org is in conflict"));
    // Apply leaves the conflict untouched and says so with exit 1; nothing of the record
    // is applied (no flow bound to nothing, no group).
    workspace.run("apply", &["--yes"]).code(1);
    let realm = workspace.realm_json();
    assert_eq!(find_client(&realm, CLIENT).unwrap()["name"], "made by hand");
    assert!(realm.get("authenticationFlows").is_none_or(|flows| {
        flows
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["alias"].as_str().unwrap().starts_with("fedctl-"))
    }));
    assert!(
        realm
            .get("groups")
            .is_none_or(|g| g.as_array().unwrap().is_empty())
    );

    workspace.run("apply", &["--yes", "--adopt"]).success();
    let realm = workspace.realm_json();
    let client = find_client(&realm, CLIENT).unwrap();
    assert_eq!(client["name"], "Example Partner Organisation");
    assert_eq!(client["attributes"]["fedctl.managed-by"], "partner-example");
    assert_eq!(client["attributes"]["keep"], "me");
    workspace.run("plan", &["--detailed-exitcode"]).code(0);
}

#[test]
fn a_realm_file_for_another_realm_is_refused() {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    workspace.use_realm_fixture("keycloak/testrealm.json");
    let before = std::fs::read(workspace.realm_file()).unwrap();
    workspace
        .run("apply", &["--yes"])
        .code(1)
        .stderr(predicate::str::contains(
            "records are for realm `your-realm` but the target holds realm `test`",
        ));
    assert_eq!(
        std::fs::read(workspace.realm_file()).unwrap(),
        before,
        "file untouched"
    );
}

#[test]
fn apply_refuses_without_yes_when_not_on_a_terminal() {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    workspace
        .run("apply", &[])
        .code(1)
        .stderr(predicate::str::contains("refusing to apply without --yes"));
    assert!(!workspace.realm_file().exists(), "nothing written");
}

#[test]
fn plan_output_for_the_runbook_record() {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    let output = workspace
        .run("plan", &["--detailed-exitcode"])
        .code(2)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(output).unwrap();
    let text = text.replace(&workspace.realm_file().display().to_string(), "realm.json");
    insta::assert_snapshot!("runbook_plan_text", text);

    let output = workspace
        .run("plan", &["--output", "json"])
        .success()
        .get_output()
        .stdout
        .clone();
    let mut plan: Value = serde_json::from_slice(&output).unwrap();
    plan["target"] = json!("realm file realm.json");
    insta::assert_json_snapshot!("runbook_plan_json", plan);
}
