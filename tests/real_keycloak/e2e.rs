//! The live-target end to end against the real server: the example records converge, pilot
//! users, secrets at the most verbose level, review, certs and export-metadata. (Drift, prune
//! and adoption run against both kc-sim and the real server in tests/live_keycloak.rs.)

use predicates::prelude::*;
use serde_json::{Value, json};

use crate::common::{Workspace, runbook_record};
use crate::server::{Realm, example_records, for_realm};

const SAML_CLIENT: &str = "https://app.partner.example.org";
const OIDC_CLIENT: &str = "partner-oidc-portal";

fn client_role_holders(realm: &Realm, client_id: &str, role: &str) -> Vec<String> {
    let uuid = realm.client(client_id)["id"].as_str().unwrap().to_owned();
    let users = realm.get(&format!("/clients/{uuid}/roles/{role}/users"));
    let mut names: Vec<String> = (users.as_array().unwrap().iter())
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_example_records_converge_and_then_plan_no_changes() {
    let Some(realm) = Realm::create("the_example_records_converge_and_then_plan_no_changes") else {
        return;
    };
    let workspace = example_records(&realm.name);
    realm.fedctl(&workspace, "apply", &["--yes"]).success();

    let saml = realm.client(SAML_CLIENT);
    let oidc = realm.client(OIDC_CLIENT);
    assert_eq!(oidc["publicClient"], false);
    assert_eq!(
        oidc["redirectUris"],
        json!(["https://portal.oidc-partner.example.org/oauth2/callback"])
    );
    assert_eq!(oidc["attributes"]["pkce.code.challenge.method"], "S256");
    let group = realm.get("/group-by-path/partners/oidc-partner-users");
    let granted = realm.get(&format!(
        "/groups/{}/role-mappings/clients/{}",
        group["id"].as_str().unwrap(),
        oidc["id"].as_str().unwrap()
    ));
    assert_eq!(granted[0]["name"], "portal-access");
    let flows = realm.get("/authentication/flows");
    for (client, record) in [(&saml, "partner-example"), (&oidc, "partner-oidc-example")] {
        let alias = format!("fedctl-restrict-{record}");
        let flow = (flows.as_array().unwrap().iter())
            .find(|f| f["alias"] == alias.as_str())
            .unwrap_or_else(|| panic!("flow {alias}"));
        assert_eq!(
            client["authenticationFlowBindingOverrides"]["browser"],
            flow["id"]
        );
    }

    realm
        .fedctl(&workspace, "plan", &["--detailed-exitcode"])
        .code(0)
        .stdout(predicate::str::contains("No changes"));
    realm
        .fedctl(&workspace, "apply", &["--yes"])
        .success()
        .stdout(predicate::str::contains("No changes"));
}

#[test]
fn pilot_users_hold_the_role_directly_until_removed_from_the_record() {
    let Some(realm) =
        Realm::create("pilot_users_hold_the_role_directly_until_removed_from_the_record")
    else {
        return;
    };
    for username in ["alice", "bob"] {
        realm.post("/users", &json!({"username": username, "enabled": true}));
    }
    let with_pilots = |pilots: &str| {
        runbook_record(&realm.name).replace(
            "    approver: \"IT Manager\"\n",
            &format!("    approver: \"IT Manager\"\n    pilot_users: [{pilots}]\n"),
        )
    };
    let workspace = Workspace::new(&[("partner-example.yaml", &with_pilots("alice"))]);
    realm.fedctl(&workspace, "apply", &["--yes"]).success();
    assert_eq!(
        client_role_holders(&realm, SAML_CLIENT, "access"),
        ["alice"]
    );
    realm
        .fedctl(&workspace, "plan", &["--detailed-exitcode"])
        .code(0);

    workspace.write_record("partner-example.yaml", &with_pilots("bob"));
    realm.fedctl(&workspace, "apply", &["--yes"]).success();
    assert_eq!(client_role_holders(&realm, SAML_CLIENT, "access"), ["bob"]);
    realm
        .fedctl(&workspace, "plan", &["--detailed-exitcode"])
        .code(0);
}

#[test]
fn secrets_never_appear_in_output_even_at_the_most_verbose_level() {
    let Some(realm) =
        Realm::create("secrets_never_appear_in_output_even_at_the_most_verbose_level")
    else {
        return;
    };
    let workspace = example_records(&realm.name);
    let mut texts = Vec::new();
    for extra in [&["-vvv"][..], &["--yes", "-vvv"], &["-vvv"]] {
        let subcommand = if extra.len() == 2 { "apply" } else { "plan" };
        let output = realm
            .fedctl(&workspace, subcommand, extra)
            .success()
            .get_output()
            .clone();
        texts.push(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let uuid = realm.client(OIDC_CLIENT)["id"].as_str().unwrap().to_owned();
    let client_secret = realm.get(&format!("/clients/{uuid}/client-secret"))["value"]
        .as_str()
        .expect("a confidential client has a secret")
        .to_owned();
    for text in &texts {
        assert!(
            text.contains("DEBUG") || text.contains("TRACE"),
            "verbose logs: {text}"
        );
        for secret in [realm.admin_password(), client_secret.as_str()] {
            assert!(!text.contains(secret), "a secret leaked:\n{text}");
        }
        // Access and refresh tokens are JWTs: base64url of `{"` starts with `eyJ`.
        assert!(!text.contains("eyJ"), "a token leaked:\n{text}");
    }
}

/// `fedctl review` of the review demo realm imported into the server lists exactly what it
/// lists from the realm file.
#[test]
fn live_review_lists_what_the_realm_file_lists() {
    let Some(realm) = Realm::reserve("live_review_lists_what_the_realm_file_lists") else {
        return;
    };
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/review");
    let mut demo: Value =
        serde_json::from_str(&std::fs::read_to_string(here.join("realm.json")).unwrap()).unwrap();
    demo["realm"] = realm.name.clone().into();
    demo.as_object_mut().unwrap().remove("id");
    let mut records = Vec::new();
    for entry in std::fs::read_dir(here.join("federations")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        records.push((
            path.file_name().unwrap().to_string_lossy().into_owned(),
            for_realm(&text, "demo", &realm.name),
        ));
    }
    let borrowed: Vec<(&str, &str)> = records
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let workspace = Workspace::new(&borrowed);
    workspace.write_realm_json(&demo);
    realm.create_from(demo);

    let review = |assert: assert_cmd::assert::Assert| {
        let mut report: Value =
            serde_json::from_slice(&assert.success().get_output().stdout).unwrap();
        report["source"] = Value::Null;
        report
    };
    let args = ["--as-of", "2025-06-30", "--output", "json"];
    let live = review(realm.fedctl(&workspace, "review", &args));
    let offline = review(workspace.run("review", &args));
    assert_eq!(live, offline);
}

/// The realm's signing key as the admin API lists it: (kid, certificate).
fn signing_key(realm: &Realm) -> (String, fedctl::x509::CertInfo) {
    let keys = realm.get("/keys");
    let rs256 = (keys["keys"].as_array().unwrap().iter())
        .find(|k| k["algorithm"] == "RS256" && k["use"] == "SIG")
        .expect("an RS256 signing key");
    let certificate = fedctl::x509::parse_base64(rs256["certificate"].as_str().unwrap()).unwrap();
    (rs256["kid"].as_str().unwrap().to_owned(), certificate)
}

#[test]
fn certs_reports_the_servers_realm_keys() {
    let Some(realm) = Realm::create("certs_reports_the_servers_realm_keys") else {
        return;
    };
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record(&realm.name))]);
    realm.fedctl(&workspace, "apply", &["--yes"]).success();
    let output = realm
        .fedctl(
            &workspace,
            "certs",
            &["--output", "json", "--as-of", "2026-01-01"],
        )
        .get_output()
        .clone();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let location = format!("{}/admin/realms/{}", realm.url, realm.name);
    let admin_api = (report["sources"].as_array().unwrap().iter())
        .find(|s| s["source"] == "admin-api")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(
        admin_api,
        &json!({"source": "admin-api", "location": location, "up": true, "error": null})
    );
    let (_, signing) = signing_key(&realm);
    let realm_keys: Vec<&Value> = (report["certificates"].as_array().unwrap().iter())
        .filter(|c| c["source"] == "realm-key")
        .collect();
    assert!(
        realm_keys
            .iter()
            .any(|c| c["fingerprint_sha256"] == signing.sha256_fingerprint.as_str()),
        "{report}"
    );
    assert!(realm_keys.iter().all(|c| c["status"] == "OK"), "{report}");
}

#[test]
fn export_metadata_hands_over_the_servers_own_descriptor() {
    let Some(realm) = Realm::create("export_metadata_hands_over_the_servers_own_descriptor") else {
        return;
    };
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record(&realm.name))]);
    realm.fedctl(&workspace, "apply", &["--yes"]).success();
    let out = workspace.dir.path().join("handoff");
    realm
        .fedctl(
            &workspace,
            "export-metadata",
            &["--out", out.to_str().unwrap()],
        )
        .success();

    let contact = "<md:ContactPerson contactType=\"technical\"><md:EmailAddress>mailto:it@yourorg.example.org</md:EmailAddress></md:ContactPerson>";
    let descriptor = realm.public("/protocol/saml/descriptor");
    let expected = descriptor.replace(
        "</md:EntityDescriptor>",
        &format!("{contact}\n</md:EntityDescriptor>"),
    );
    assert_ne!(
        expected, descriptor,
        "the descriptor ends its EntityDescriptor as expected"
    );
    let xml = std::fs::read_to_string(out.join("partner-idp-metadata.xml")).unwrap();
    assert_eq!(xml, expected);

    let handoff: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("partner-handoff.json")).unwrap())
            .unwrap();
    let issuer = format!("{}/realms/{}", realm.url, realm.name);
    assert_eq!(handoff["entity_id"], issuer);
    let (kid, signing) = signing_key(&realm);
    let listed = &handoff["signing_certificates"];
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["key_name"] == kid.as_str()
                && c["sha256_fingerprint"] == signing.fingerprint_colons()),
        "{listed}"
    );
}
