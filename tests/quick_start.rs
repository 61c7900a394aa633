//! README's quick start, offline: apply the bundled example records to a new realm file,
//! add the demo users, then export-metadata, certs and review all work on it.

mod common;

use std::path::Path;

use common::fedctl;
use serde_json::Value;

fn copy_examples(to: &Path) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("federations");
    std::fs::create_dir(to.join("federations")).unwrap();
    for entry in std::fs::read_dir(examples).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join("federations").join(entry.file_name())).unwrap();
    }
}

fn run(dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    fedctl().current_dir(dir).args(args).assert()
}

/// Every group path of a realm export, sub-groups included.
fn group_paths(groups: &Value, parent: &str, out: &mut Vec<String>) {
    for group in groups.as_array().into_iter().flatten() {
        let path = format!("{parent}/{}", group["name"].as_str().unwrap());
        group_paths(&group["subGroups"], &path, out);
        out.push(path);
    }
}

#[test]
fn the_quick_start_works_offline_on_a_new_realm_file() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    copy_examples(dir);
    let realm = ["--realm-file", "demo-realm.json", "federations/"];
    let with = |command: &[&'static str]| [command, &realm[..]].concat();
    let demo = ["new", "demo", "--realm-file", "demo-realm.json"];

    // Demo users need the access groups the records create.
    let early = run(dir, &demo).code(1);
    let stderr = String::from_utf8_lossy(&early.get_output().stderr).into_owned();
    assert!(stderr.contains("demo-realm.json"), "{stderr}");

    run(dir, &with(&["apply", "--yes"])).success();
    run(dir, &with(&["plan", "--detailed-exitcode"])).code(0);
    run(dir, &demo)
        .success()
        .stdout(predicates::str::contains("alice"));
    run(dir, &demo)
        .success()
        .stdout(predicates::str::contains("already has the demo users"));
    // Users are in groups that exist, as Keycloak's import requires.
    let document: Value =
        serde_json::from_slice(&std::fs::read(dir.join("demo-realm.json")).unwrap()).unwrap();
    let mut groups = Vec::new();
    group_paths(&document["groups"], "", &mut groups);
    let users = document["users"].as_array().unwrap();
    assert_eq!(users.len(), 3);
    for user in users {
        for group in user["groups"].as_array().unwrap() {
            assert!(
                groups.contains(&group.as_str().unwrap().to_owned()),
                "{group}"
            );
        }
    }

    run(dir, &with(&["export-metadata", "--out", "handoff"])).success();
    assert!(
        dir.join("handoff/partner-example-idp-metadata.xml")
            .exists()
    );
    let certs = run(dir, &with(&["certs", "--output", "json"]));
    let report: Value = serde_json::from_slice(&certs.get_output().stdout).unwrap();
    assert!(
        report.to_string().contains("rsa-generated"),
        "the realm's signing key is checked: {report}"
    );
    run(dir, &with(&["review"]))
        .success()
        .stdout(predicates::str::contains("alice"))
        .stdout(predicates::str::contains("carol"));
}
