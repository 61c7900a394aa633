//! Realm files fedctl wrote are real: Keycloak imports them, and the live target then agrees
//! with the offline one that nothing is left to do.

use std::io::Write;

use serde_json::Value;

use crate::common;

use crate::server::{Realm, example_records, version};

/// Applies the example records offline to `realm_file` (absent: a new realm), imports the
/// result into the real server as a new realm and plans against it over the admin API.
/// Returns what went wrong, if anything.
fn import_and_plan(realm: &Realm, start: Option<Value>) -> Result<(), String> {
    let workspace = example_records(&realm.name);
    if let Some(start) = start {
        workspace.write_realm_json(&start);
    }
    let applied = workspace.run("apply", &["--yes"]).get_output().clone();
    if !applied.status.success() {
        return Err(format!("offline apply: {}", output_text(&applied)));
    }
    let written = importable(workspace.realm_json());
    let (status, body) = realm.request(reqwest::Method::POST, "", Some(&written));
    if status != 201 {
        return Err(format!("Keycloak refused the realm file: {status} {body}"));
    }
    let planned = realm
        .fedctl(&workspace, "plan", &["--detailed-exitcode"])
        .get_output()
        .clone();
    let text = output_text(&planned);
    if planned.status.code() != Some(0) || !text.contains("No changes") {
        return Err(format!("plan --url after the import: {text}"));
    }
    Ok(())
}

/// Two exports in the test data cannot be imported as they are, with or without fedctl:
/// their publishers masked the realm's private keys (`**********`, not base64: Keycloak
/// answers 500), and one has an identity provider at a plain-http URL in a realm that requires
/// TLS for external addresses (refused since Keycloak 26). Neither concerns what fedctl
/// writes, so those parts are dropped or relaxed before the import.
fn importable(mut realm: Value) -> Value {
    if let Some(keys) = (realm.get_mut("components"))
        .and_then(|components| components.get_mut("org.keycloak.keys.KeyProvider"))
        .and_then(Value::as_array_mut)
    {
        keys.retain(|key| !key["config"].to_string().contains("\"**********\""));
    }
    let plain_http_idp = realm["identityProviders"]
        .as_array()
        .is_some_and(|idps| idps.iter().any(|idp| idp.to_string().contains("\"http://")));
    if plain_http_idp {
        realm["sslRequired"] = "none".into();
    }
    realm
}

fn output_text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_quick_start_realm_file_imports_and_plans_no_changes() {
    let Some(realm) = Realm::reserve("the_quick_start_realm_file_imports_and_plans_no_changes")
    else {
        return;
    };
    import_and_plan(&realm, None).unwrap();
}

/// Each realm export of the test data, renamed to the test's realm (and without its fixed id,
/// which must be unique on the server).
fn fixture_as(fixture: &str, realm: &Realm) -> Value {
    let text = std::fs::read_to_string(common::fixture(fixture)).unwrap();
    let mut representation: Value = serde_json::from_str(&text).unwrap();
    representation["realm"] = realm.name.clone().into();
    representation.as_object_mut().unwrap().remove("id");
    representation
}

/// Object ids in an export are unique server-wide, so the fixtures are imported one after the
/// other, by this one test.
#[test]
fn every_realm_export_with_the_examples_applied_imports_and_plans_no_changes() {
    let test = "every_realm_export_with_the_examples_applied_imports_and_plans_no_changes";
    if Realm::reserve(test).is_none() {
        return;
    }
    let mut failures = Vec::new();
    for fixture in common::realm_fixtures() {
        let realm = Realm::reserve(test).unwrap();
        let original = fixture_as(&fixture, &realm);
        // Keycloak does not import exports of newer versions (unknown fields and providers).
        let exported_by = original["keycloakVersion"].as_str().map(version);
        if exported_by.is_some_and(|by| by > realm.server_version()) {
            let _ = writeln!(
                std::io::stderr(),
                "not imported: {fixture} comes from a newer Keycloak than the server"
            );
            continue;
        }
        // The adjustments `importable` makes are needed: the server refuses those files as
        // published, without fedctl.
        if importable(original.clone()) != original {
            let (status, body) = realm.request(reqwest::Method::POST, "", Some(&original));
            if status == 201 {
                failures.push(format!("{fixture}: imported without adjustments ({body})"));
            }
        }
        if let Err(problem) = import_and_plan(&realm, Some(original)) {
            failures.push(format!("{fixture}: {problem}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
