//! `fedctl import` against the real server: a realm built through the admin API the way the
//! runbook's kcadm commands build it (`kcadm.sh create clients -s …`, protocol mappers, a
//! client role, groups, `kcadm.sh add-roles`), imported, filled in, adopted, converged.

use predicates::prelude::*;
use serde_json::{Value, json};

use crate::common::{Workspace, fedctl};
use crate::import_support::{
    SAML_CLIENT as SAML, fill_placeholders, import_notes, partner_certificate, plan_changes,
    runbook_clients, unexplained_changes,
};
use crate::server::Realm;

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// `kcadm.sh create clients -r REALM -s …` and its protocol mappers; returns the client's id.
fn create_client(realm: &Realm, client: Value, mappers: &[Value]) -> String {
    let client_id = client["clientId"].as_str().unwrap().to_owned();
    realm.post("/clients", &client);
    let id = id_of(&realm.client(&client_id));
    for mapper in mappers {
        realm.post(&format!("/clients/{id}/protocol-mappers/models"), mapper);
    }
    id
}

/// `kcadm.sh create clients/$ID/roles -s name=ROLE`; returns the role representation.
fn create_role(realm: &Realm, client: &str, role: &str) -> Value {
    realm.post(&format!("/clients/{client}/roles"), &json!({"name": role}));
    realm.get(&format!("/clients/{client}/roles/{role}"))
}

/// `kcadm.sh create groups -s name=NAME` (or `groups/$PARENT/children`); returns its id.
fn create_group(realm: &Realm, parent: Option<&str>, name: &str) -> String {
    let path = match parent {
        Some(parent) => format!("/groups/{parent}/children"),
        None => "/groups".to_owned(),
    };
    realm.post(&path, &json!({"name": name}));
    let full = match parent {
        Some(parent) => {
            let parent = realm.get(&format!("/groups/{parent}"));
            format!("{}/{name}", parent["path"].as_str().unwrap())
        }
        None => format!("/{name}"),
    };
    id_of(&realm.get(&format!("/group-by-path{full}")))
}

/// `kcadm.sh add-roles --gname … | --uusername … --cclientid … --rolename …`.
fn grant(realm: &Realm, holder: &str, client: &str, role: &Value) {
    realm.post(
        &format!("{holder}/role-mappings/clients/{client}"),
        &json!([{"id": role["id"], "name": role["name"]}]),
    );
}

/// The runbook's clients ([`runbook_clients`]), each role granted to one group, and a pilot
/// user holding the SAML client's role directly.
fn build_runbook_realm(realm: &Realm, certificate: &str) {
    let ids: Vec<String> = runbook_clients(certificate)
        .into_iter()
        .map(|(client, mappers)| create_client(realm, client, &mappers))
        .collect();
    let [saml, portal, spa] = [&ids[0], &ids[1], &ids[2]];
    let saml_role = create_role(realm, saml, "access");
    let users = create_group(realm, None, "partner-example-users");
    grant(realm, &format!("/groups/{users}"), saml, &saml_role);
    let partners = create_group(realm, None, "partners");
    let oidc_users = create_group(realm, Some(&partners), "oidc-partner-users");
    let portal_role = create_role(realm, portal, "portal-access");
    grant(
        realm,
        &format!("/groups/{oidc_users}"),
        portal,
        &portal_role,
    );
    let spa_users = create_group(realm, None, "spa-users");
    let spa_role = create_role(realm, spa, "access");
    grant(realm, &format!("/groups/{spa_users}"), spa, &spa_role);
    realm.post(
        "/users",
        &json!({"username": "pilot.user", "enabled": true}),
    );
    let pilot = id_of(&realm.get("/users?username=pilot.user&exact=true")[0]);
    grant(realm, &format!("/users/{pilot}"), saml, &saml_role);
}

fn import(realm: &Realm, workspace: &Workspace) -> assert_cmd::assert::Assert {
    let user = std::env::var("FEDCTL_REAL_KEYCLOAK_USER").unwrap();
    fedctl()
        .current_dir(workspace.dir.path())
        .env("KEYCLOAK_USER", user)
        .env("KEYCLOAK_PASSWORD", realm.admin_password())
        .env_remove("KEYCLOAK_CLIENT_ID")
        .env_remove("KEYCLOAK_CLIENT_SECRET")
        .env_remove("KEYCLOAK_REALM")
        .args(["import", "--url", &realm.url, "--realm", &realm.name])
        .args(["--all-partners", "--out"])
        .arg(workspace.records())
        .assert()
}

#[test]
fn a_realm_made_with_the_runbooks_kcadm_commands_round_trips() {
    let Some(realm) = Realm::create("a_realm_made_with_the_runbooks_kcadm_commands_round_trips")
    else {
        return;
    };
    build_runbook_realm(&realm, &partner_certificate());
    let workspace = Workspace::new(&[]);
    import(&realm, &workspace)
        .success()
        .stdout(predicate::str::contains("Imported 3 client(s)"))
        .stdout(predicate::str::contains(
            "Identity providers (inbound federations) were skipped",
        ));
    let saml = workspace.records().join("app-partner-example-org.yaml");
    let text = std::fs::read_to_string(&saml).unwrap();
    let issuer = format!("{}/realms/{}", realm.url, realm.name);
    for line in [
        format!("    your_entity_id: \"{issuer}\""),
        r#"    signing_cert_expiry: "2034-01-01""#.to_owned(),
        r#"    group: "partner-example-users""#.to_owned(),
        "    pilot_users:\n      - \"pilot.user\"".to_owned(),
        "  attributes_shared:\n    - \"department\"\n    - \"display_name\"\n    - \"email\""
            .to_owned(),
    ] {
        assert!(text.contains(&line), "{line}\n{text}");
    }
    let mut files: Vec<_> = ["app-partner-example-org", "partner-portal", "partner-spa"]
        .iter()
        .map(|id| workspace.records().join(format!("{id}.yaml")))
        .collect();
    files.sort();
    for file in &files {
        // Made as the runbook says, a client is taken over without any change fedctl lists.
        assert!(
            import_notes(file).is_empty(),
            "{}",
            std::fs::read_to_string(file).unwrap()
        );
        fill_placeholders(file, "unused.example.org");
    }
    let plan = realm.fedctl(&workspace, "plan", &["--adopt", "--output", "json"]);
    let plan: Value = serde_json::from_slice(&plan.success().get_output().stdout).unwrap();
    // The pilot grant exists: recording it is bookkeeping.
    let pilot = json!({"users": [{"username": "pilot.user", "clientRoles": {SAML: ["access"]}}]});
    let unexplained = unexplained_changes(&plan_changes(&plan), &files, &pilot);
    assert!(unexplained.is_empty(), "{unexplained:#?}");
    realm
        .fedctl(&workspace, "apply", &["--adopt", "--yes"])
        .success();
    realm
        .fedctl(&workspace, "plan", &["--detailed-exitcode"])
        .code(0)
        .stdout(predicate::str::contains("No changes"));
    let client = realm.client(SAML);
    assert_eq!(client["attributes"]["saml.client.signature"], "true");
    assert_eq!(
        client["attributes"]["fedctl.managed-by"],
        "app-partner-example-org"
    );
}
