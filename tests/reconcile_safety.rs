//! Safe reconciliation on the realm-file target: partial runs, group changes that keep the old
//! group (and its members) until --prune, prunes that never take what fedctl does not own, a
//! hand-added mapper, and a written file that Keycloak's importer accepts after every prune.
//! The live target runs the same scenarios in tests/live_keycloak.rs.

mod common;

use std::collections::BTreeSet;

use common::{Workspace, oidc_record};
use predicates::prelude::*;
use serde_json::{Value, json};

const REALM: &str = "your-realm";

/// `fedctl <subcommand> --realm-file realm.json <paths…> <extra…>`, paths relative to the
/// workspace (a partial run names record files instead of the directory).
fn run_on(
    workspace: &Workspace,
    subcommand: &str,
    paths: &[&str],
    extra: &[&str],
) -> assert_cmd::assert::Assert {
    let mut command = common::fedctl();
    command
        .current_dir(workspace.dir.path())
        .arg(subcommand)
        .arg("--realm-file")
        .arg(workspace.realm_file())
        .args(paths)
        .args(extra);
    command.assert()
}

fn two_partners() -> Workspace {
    Workspace::new(&[
        ("acme.yaml", &oidc_record(REALM, "acme", "acme-users")),
        ("globex.yaml", &oidc_record(REALM, "globex", "globex-users")),
    ])
}

fn one_partner(group: &str) -> Workspace {
    Workspace::new(&[("acme.yaml", &oidc_record(REALM, "acme", group))])
}

/// The named entry of one of a realm's lists (`clients`, `groups`…), to edit by hand.
fn entry_mut<'v>(list: &'v mut Value, key: &str, name: &str) -> &'v mut Value {
    list.as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c[key] == name)
        .unwrap()
}

fn client<'v>(realm: &'v Value, client_id: &str) -> Option<&'v Value> {
    realm["clients"]
        .as_array()?
        .iter()
        .find(|c| c["clientId"] == client_id)
}

fn group_paths(groups: &Value, parent: &str, out: &mut BTreeSet<String>) {
    for group in groups.as_array().map_or(&[][..], Vec::as_slice) {
        let path = format!("{parent}/{}", group["name"].as_str().unwrap());
        group_paths(&group["subGroups"], &path, out);
        out.insert(path);
    }
}

fn paths(realm: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    group_paths(&realm["groups"], "", &mut out);
    out
}

/// What Keycloak's realm import resolves by name and refuses when it cannot ("Unable to find
/// group specified by path", "Unable to find client role"): every user's group path, every
/// default group, and every client role granted to a user or group.
fn assert_importable(realm: &Value) {
    let groups = paths(realm);
    let role_exists = |client_id: &str, role: &str| {
        realm["roles"]["client"][client_id]
            .as_array()
            .is_some_and(|roles| roles.iter().any(|r| r["name"] == role))
    };
    let check_roles = |holder: &Value, what: &str| {
        for (client_id, roles) in holder["clientRoles"].as_object().into_iter().flatten() {
            for role in roles.as_array().unwrap() {
                let role = role.as_str().unwrap();
                assert!(
                    role_exists(client_id, role),
                    "{what} holds missing role {client_id}/{role}"
                );
            }
        }
    };
    for user in realm["users"].as_array().map_or(&[][..], Vec::as_slice) {
        let name = user["username"].as_str().unwrap();
        for path in user["groups"].as_array().map_or(&[][..], Vec::as_slice) {
            let path = path.as_str().unwrap();
            assert!(
                groups.contains(path),
                "user {name} is in missing group {path}"
            );
        }
        check_roles(user, &format!("user {name}"));
    }
    for path in realm["defaultGroups"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
    {
        assert!(
            groups.contains(path.as_str().unwrap()),
            "default group {path}"
        );
    }
    fn walk(groups: &Value, check: &dyn Fn(&Value, &str)) {
        for group in groups.as_array().map_or(&[][..], Vec::as_slice) {
            check(group, &format!("group {}", group["name"]));
            walk(&group["subGroups"], check);
        }
    }
    walk(&realm["groups"], &check_roles);
}

/// Adds users to the realm file, each a member of the given group paths.
fn add_users(workspace: &Workspace, users: &[(&str, &[&str])]) {
    let mut realm = workspace.realm_json();
    let list = realm
        .as_object_mut()
        .unwrap()
        .entry("users")
        .or_insert(json!([]));
    for (name, groups) in users {
        list.as_array_mut()
            .unwrap()
            .push(json!({"username": name, "enabled": true, "groups": groups, "clientRoles": {}}));
    }
    workspace.write_realm_json(&realm);
}

#[test]
fn a_partial_run_plans_only_its_records_and_refuses_to_prune() {
    let workspace = two_partners();
    workspace.run("apply", &["--yes"]).success();
    let before = workspace.realm_json();

    run_on(
        &workspace,
        "plan",
        &["federations/acme.yaml"],
        &["--detailed-exitcode"],
    )
    .code(0)
    .stdout(predicate::str::contains("gone").not())
    .stdout(predicate::str::contains("globex").not());
    workspace
        .run("plan", &["--record", "acme", "--detailed-exitcode"])
        .code(0)
        .stdout(predicate::str::contains("gone").not());

    for partial in [
        run_on(
            &workspace,
            "apply",
            &["federations/acme.yaml"],
            &["--yes", "--prune"],
        ),
        workspace.run("apply", &["--record", "acme", "--yes", "--prune"]),
    ] {
        partial
            .code(1)
            .stderr(predicate::str::contains("partial run"));
    }
    assert_eq!(workspace.realm_json(), before, "nothing written");
    workspace
        .run("plan", &["--record", "nobody"])
        .code(1)
        .stderr(predicate::str::contains("no record named nobody"));

    // A change to acme applied through a partial run leaves globex alone.
    workspace.write_record("acme.yaml", &oidc_record(REALM, "acme", "acme-staff"));
    run_on(&workspace, "apply", &["federations/acme.yaml"], &["--yes"]).success();
    let realm = workspace.realm_json();
    assert!(client(&realm, "globex").is_some());
    assert!(paths(&realm).contains("/globex-users"));
    assert!(paths(&realm).contains("/acme-staff"));
}

#[test]
fn a_group_change_keeps_the_old_group_and_its_members_until_prune() {
    let workspace = two_partners();
    workspace.run("apply", &["--yes"]).success();
    add_users(
        &workspace,
        &[
            ("ann", &["/acme-users"]),
            ("bob", &["/acme-users", "/globex-users"]),
        ],
    );
    workspace.write_record("acme.yaml", &oidc_record(REALM, "acme", "acme-staff"));

    workspace
        .run("plan", &[])
        .success()
        .stdout(predicate::str::contains(
            "? group /acme-users — record acme no longer uses it; its 2 members keep the group \
             but lose access to acme: access now goes to /acme-staff, a new group; kept until --prune",
        ));
    workspace.run("apply", &["--yes"]).success();
    let realm = workspace.realm_json();
    assert!(paths(&realm).contains("/acme-users"), "old group kept");
    assert!(paths(&realm).contains("/acme-staff"));
    assert_importable(&realm);

    workspace
        .run("plan", &["--prune"])
        .success()
        .stdout(predicate::str::contains("- group /acme-users"))
        .stdout(predicate::str::contains("members: 2 → (none)"))
        .stdout(predicate::str::contains(
            "Deleting group(s) removes 2 membership(s).",
        ));
    workspace.run("apply", &["--yes", "--prune"]).success();
    let realm = workspace.realm_json();
    assert!(!paths(&realm).contains("/acme-users"));
    let bob = realm["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "bob")
        .unwrap();
    assert_eq!(bob["groups"], json!(["/globex-users"]));
    assert_importable(&realm);
}

#[test]
fn a_hand_made_subgroup_survives_the_prune_of_its_managed_parent() {
    let workspace = one_partner("/partners/acme");
    workspace.run("apply", &["--yes"]).success();
    let mut realm = workspace.realm_json();
    let partners = entry_mut(&mut realm["groups"], "name", "partners");
    partners["subGroups"].as_array_mut().unwrap().push(
        json!({"name": "handmade", "path": "/partners/handmade", "subGroups": [], "attributes": {}}),
    );
    workspace.write_realm_json(&realm);
    add_users(
        &workspace,
        &[("cat", &["/partners/handmade", "/partners/acme"])],
    );
    workspace.remove_record("acme.yaml");

    workspace
        .run("plan", &["--prune", "--allow-empty"])
        .success()
        .stdout(predicate::str::contains("- group /partners/acme"))
        .stdout(predicate::str::contains(
            "~ group /partners — record acme is gone; kept, as Keycloak would delete subgroup \
             /partners/handmade with it",
        ));
    workspace
        .run("apply", &["--yes", "--prune", "--allow-empty"])
        .success();
    let realm = workspace.realm_json();
    let groups = paths(&realm);
    assert!(groups.contains("/partners/handmade"), "{groups:?}");
    assert!(!groups.contains("/partners/acme"), "{groups:?}");
    assert_importable(&realm);
    // The parent is no longer marked: a later prune has nothing of fedctl's to delete.
    workspace
        .run("plan", &["--prune", "--allow-empty", "--detailed-exitcode"])
        .code(0);
}

#[test]
fn adopt_then_prune_never_deletes_a_hand_made_group() {
    let workspace = one_partner("staff");
    workspace.write_realm_json(&json!({
        "realm": REALM,
        "groups": [{"name": "staff", "path": "/staff", "subGroups": [], "attributes": {}}],
        "clients": [{"clientId": "acme", "protocol": "openid-connect", "attributes": {}}],
    }));
    workspace.run("apply", &["--yes", "--adopt"]).success();
    let realm = workspace.realm_json();
    assert!(
        realm["groups"][0]["attributes"]
            .get("fedctl.managed-by")
            .is_none()
    );
    workspace.remove_record("acme.yaml");
    workspace
        .run("apply", &["--yes", "--prune", "--allow-empty"])
        .success();
    let realm = workspace.realm_json();
    assert!(
        client(&realm, "acme").is_none(),
        "the adopted client is pruned"
    );
    assert!(
        paths(&realm).contains("/staff"),
        "the hand-made group is not"
    );
}

#[test]
fn a_mapper_added_by_hand_to_a_managed_client_is_planned_and_removed() {
    let workspace = one_partner("acme-users");
    workspace.run("apply", &["--yes"]).success();
    let mut realm = workspace.realm_json();
    let acme = entry_mut(&mut realm["clients"], "clientId", "acme");
    acme["protocolMappers"].as_array_mut().unwrap().push(json!({
        "name": "uid", "protocol": "openid-connect", "protocolMapper": "oidc-usermodel-property-mapper",
        "config": {"user.attribute": "username", "claim.name": "uid"}
    }));
    workspace.write_realm_json(&realm);

    workspace
        .run("plan", &["--detailed-exitcode"])
        .code(2)
        .stdout(predicate::str::contains(
            "- mapper uid of client acme — added outside fedctl: a release the record does not agree to",
        ))
        .stdout(predicate::str::contains("config.claim.name: \"uid\" → (none)"));
    workspace.run("apply", &["--yes"]).success();
    let realm = workspace.realm_json();
    let mappers: Vec<&str> = client(&realm, "acme").unwrap()["protocolMappers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(!mappers.contains(&"uid"), "{mappers:?}");
    workspace.run("plan", &["--detailed-exitcode"]).code(0);
}

#[test]
fn validate_of_an_empty_directory_fails() {
    let workspace = Workspace::new(&[]);
    let mut command = common::fedctl();
    command
        .current_dir(workspace.dir.path())
        .args(["validate", "--offline"])
        .arg(workspace.records())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no record files"));
}

/// Keeps the helper honest: a dangling user group path is caught.
#[test]
#[should_panic(expected = "missing group /gone")]
fn the_import_check_catches_a_dangling_group_path() {
    assert_importable(&json!({"users": [{"username": "x", "groups": ["/gone"]}]}));
}

#[test]
fn a_saved_plan_runs_as_reviewed_or_not_at_all() {
    let workspace = two_partners();
    workspace
        .run("plan", &["--out", "plan.json"])
        .success()
        .stdout(predicate::str::contains("+ client acme"));
    // Applying the saved plan is exactly that plan; the records are not read again.
    workspace.remove_record("globex.yaml");
    run_on(&workspace, "apply", &["plan.json"], &["--yes"]).success();
    let realm = workspace.realm_json();
    assert!(client(&realm, "acme").is_some() && client(&realm, "globex").is_some());

    // A plan made, then someone edits a managed object: the saved plan is refused whole.
    workspace.write_record("acme.yaml", &oidc_record(REALM, "acme", "acme-staff"));
    workspace.run("plan", &["--out", "plan.json"]).success();
    let mut realm = workspace.realm_json();
    let acme = entry_mut(&mut realm["clients"], "clientId", "acme");
    acme["name"] = json!("edited by hand");
    workspace.write_realm_json(&realm);
    let before = std::fs::read(workspace.realm_file()).unwrap();
    run_on(&workspace, "apply", &["plan.json"], &["--yes"])
        .code(1)
        .stderr(predicate::str::contains(
            "the target changed since the plan was made",
        ));
    assert_eq!(
        std::fs::read(workspace.realm_file()).unwrap(),
        before,
        "nothing written"
    );

    // Options that would change the plan are refused with a saved plan.
    run_on(&workspace, "apply", &["plan.json"], &["--yes", "--prune"])
        .code(1)
        .stderr(predicate::str::contains("runs as it was made"));
}

#[test]
fn fedctl_yaml_names_the_complete_record_set() {
    let workspace = two_partners();
    workspace.run("apply", &["--yes"]).success();
    let dir = workspace.dir.path();
    std::fs::create_dir(dir.join("partners")).unwrap();
    std::fs::copy(
        dir.join("federations/acme.yaml"),
        dir.join("partners/acme.yaml"),
    )
    .unwrap();
    let plan_without_paths = || {
        let mut command = common::fedctl();
        command
            .current_dir(dir)
            .env_remove("FEDCTL_CONFIG")
            .args(["plan", "--realm-file"])
            .arg(workspace.realm_file());
        command.assert()
    };

    // No fedctl.yaml: the default set, federations/, holds both records.
    plan_without_paths()
        .success()
        .stdout(predicate::str::contains("globex").not());

    // `records: partners` makes partners/ the complete set: globex's record is gone there.
    std::fs::write(dir.join("fedctl.yaml"), "records: partners\n").unwrap();
    plan_without_paths()
        .success()
        .stdout(predicate::str::contains("record globex is gone"));
}
