//! Realm files and exported files never lose data: concurrent applies, malformed exports,
//! symlinks, permissions and ownership, leftovers of a killed run, all-or-nothing export
//! sets, and the keys of a new realm file (which never appear in any output).

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{Workspace, fixture_realm, oidc_record, runbook_record};
use serde_json::{Value, json};

const REALM: &str = "demo";
const KEY_PROVIDER: &str = "org.keycloak.keys.KeyProvider";

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn client_ids(realm: &Value) -> Vec<String> {
    realm["clients"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["clientId"].as_str().map(str::to_owned))
        .collect()
}

/// `fedctl apply --yes --realm-file … <record>` as a child process.
fn spawn_apply(workspace: &Workspace, record: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_fedctl"))
        .env("NO_COLOR", "1")
        .env_remove("KEYCLOAK_URL")
        .current_dir(workspace.dir.path())
        .args(["apply", "--yes", "--lock-timeout", "300", "--realm-file"])
        .arg(workspace.realm_file())
        .arg(record)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fedctl starts")
}

/// Several applies to one realm file at once, each adding its own partner: every partner
/// is in the file afterwards (without the lock, concurrent runs overwrote each other).
fn concurrent_applies_lose_nothing(workspace: &Workspace, names: &[String]) {
    for name in names {
        workspace.write_record(
            &format!("{name}.yaml"),
            &oidc_record(REALM, name, &format!("{name}-users")),
        );
    }
    let children: Vec<Child> = names
        .iter()
        .map(|name| spawn_apply(workspace, &workspace.records().join(format!("{name}.yaml"))))
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let clients = client_ids(&workspace.realm_json());
    for name in names {
        assert!(clients.contains(name), "{name} lost: {clients:?}");
    }
}

#[test]
fn concurrent_applies_wait_for_each_other_and_lose_nothing() {
    let workspace = Workspace::new(&[]);
    let first: Vec<String> = (0..4).map(|i| format!("new-file-{i}")).collect();
    concurrent_applies_lose_nothing(&workspace, &first);
    let second: Vec<String> = (0..4).map(|i| format!("existing-file-{i}")).collect();
    concurrent_applies_lose_nothing(&workspace, &second);
}

#[test]
fn an_apply_that_cannot_get_the_lock_fails_clearly_and_writes_nothing() {
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record(REALM))]);
    workspace.write_realm_json(&json!({"realm": REALM}));
    let before = fs::read(workspace.realm_file()).unwrap();
    // Another run holds the lock (the lock file sits beside the realm file).
    let lock = fs::File::create(workspace.dir.path().join(".realm.json.lock")).unwrap();
    lock.lock().unwrap();
    let assert = workspace
        .run("apply", &["--yes", "--lock-timeout", "0"])
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("another fedctl run is changing"),
        "{stderr}"
    );
    assert!(stderr.contains("realm.json"), "{stderr}");
    assert_eq!(fs::read(workspace.realm_file()).unwrap(), before);
    drop(lock);
    workspace
        .run("apply", &["--yes", "--lock-timeout", "0"])
        .success();
}

#[test]
fn malformed_realm_exports_are_refused_with_the_fields_path_and_left_untouched() {
    let cases = [
        (json!({"realm": REALM, "clients": "oops"}), "$.clients"),
        (json!({"realm": REALM, "groups": {}}), "$.groups"),
        (
            json!({"realm": REALM, "roles": {"client": "x"}}),
            "$.roles.client",
        ),
        (
            json!({"realm": REALM, "roles": {"client": {"app": {}}}}),
            "$.roles.client.app",
        ),
        (
            json!({"realm": REALM, "users": [{"username": "u", "groups": "/g"}]}),
            "$.users[0].groups",
        ),
        (
            json!({"realm": REALM, "groups": [{"name": "g", "subGroups": {}}]}),
            "$.groups[0].subGroups",
        ),
        (
            json!({"realm": REALM, "groups": [{"name": "g", "clientRoles": []}]}),
            "$.groups[0].clientRoles",
        ),
        (
            json!({"realm": REALM, "clients": [{"clientId": "a", "protocolMappers": {}}]}),
            "$.clients[0].protocolMappers",
        ),
        (
            json!({"realm": REALM, "clients": [{"clientId": "a", "authenticationFlowBindingOverrides": []}]}),
            "$.clients[0].authenticationFlowBindingOverrides",
        ),
        (
            json!({"realm": REALM, "authenticationFlows": {}}),
            "$.authenticationFlows",
        ),
        (
            json!({"realm": REALM, "authenticationFlows": [{"alias": "f", "authenticationExecutions": "x"}]}),
            "$.authenticationFlows[0].authenticationExecutions",
        ),
        (
            json!({"realm": REALM, "authenticatorConfig": {}}),
            "$.authenticatorConfig",
        ),
        (json!({"realm": REALM, "components": []}), "$.components"),
        (
            json!({"realm": REALM, "realm-extra": 1, "clients": [1]}),
            "$.clients[0]",
        ),
        (json!({"realm": 7}), "$.realm"),
    ];
    for (document, path) in cases {
        let workspace = Workspace::new(&[("partner.yaml", &runbook_record(REALM))]);
        workspace.write_realm_json(&document);
        let before = fs::read(workspace.realm_file()).unwrap();
        for command in ["apply", "plan"] {
            let assert = workspace
                .run(command, &["--yes"][..usize::from(command == "apply")])
                .code(1);
            let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
            assert!(
                stderr.contains(&format!("`{path}`")),
                "{document}: {stderr}"
            );
            assert!(stderr.contains("realm.json"), "{stderr}");
        }
        assert_eq!(
            fs::read(workspace.realm_file()).unwrap(),
            before,
            "{document}"
        );
    }
}

#[test]
fn every_realm_fixture_has_the_shape_fedctl_needs() {
    for name in common::realm_fixtures() {
        let workspace = Workspace::new(&[("partner.yaml", &runbook_record(&fixture_realm(&name)))]);
        workspace.use_realm_fixture(&name);
        workspace.run("plan", &[]).success();
    }
}

#[test]
fn a_symlinked_realm_file_is_written_through_to_its_target() {
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record(REALM))]);
    let real_dir = workspace.dir.path().join("exports");
    fs::create_dir(&real_dir).unwrap();
    fs::write(
        real_dir.join("realm.json"),
        json!({"realm": REALM}).to_string(),
    )
    .unwrap();
    std::os::unix::fs::symlink("exports/realm.json", workspace.realm_file()).unwrap();
    workspace.run("apply", &["--yes"]).success();
    assert!(
        fs::symlink_metadata(workspace.realm_file())
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let real: Value =
        serde_json::from_slice(&fs::read(real_dir.join("realm.json")).unwrap()).unwrap();
    assert!(client_ids(&real).contains(&"https://app.partner.example.org".to_owned()));
    // No stray files next to the link or the target.
    assert_eq!(
        fs::read_dir(&real_dir).unwrap().count(),
        2,
        "realm.json and its lock file"
    );
}

#[test]
fn a_new_realm_file_is_owner_only_and_an_existing_one_keeps_its_mode() {
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record(REALM))]);
    workspace.run("apply", &["--yes"]).success();
    assert_eq!(mode(&workspace.realm_file()), 0o600);
    fs::set_permissions(workspace.realm_file(), fs::Permissions::from_mode(0o640)).unwrap();
    workspace.write_record("oidc.yaml", &oidc_record(REALM, "portal", "portal-users"));
    workspace.run("apply", &["--yes"]).success();
    assert_eq!(mode(&workspace.realm_file()), 0o640);
}

#[test]
fn a_replaced_realm_file_keeps_its_owner_and_group() {
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record(REALM))]);
    workspace.write_realm_json(&json!({"realm": REALM}));
    let path = workspace.realm_file();
    // Giving a file away needs root; elsewhere this proves only that the own ids stay.
    let ids = match std::os::unix::fs::chown(&path, Some(65534), Some(65534)) {
        Ok(()) => (65534, 65534),
        Err(_) => (
            fs::metadata(&path).unwrap().uid(),
            fs::metadata(&path).unwrap().gid(),
        ),
    };
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    workspace.run("apply", &["--yes"]).success();
    let meta = fs::metadata(&path).unwrap();
    assert_eq!((meta.uid(), meta.gid()), ids);
    assert_eq!(mode(&path), 0o640);
    assert!(client_ids(&workspace.realm_json()).len() == 1);
}

#[test]
fn temporary_files_of_a_killed_apply_are_removed_by_the_next_run() {
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record(REALM))]);
    workspace.write_realm_json(&json!({"realm": REALM}));
    let stale = workspace.dir.path().join(".fedctl-realm.json.Xy12Ab.tmp");
    fs::write(&stale, "{\"realm\": \"half written").unwrap();
    workspace.run("plan", &[]).success();
    assert!(!stale.exists());
}

/// `sh -c 'umask …; exec fedctl export-metadata …'`
fn export_with_umask(workspace: &Workspace, umask: &str, out: &Path) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$@\""))
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_fedctl"))
        .args(["export-metadata", "--realm-file"])
        .arg(workspace.realm_file())
        .arg("--out")
        .arg(out)
        .arg(workspace.records())
        .env("NO_COLOR", "1")
        .env_remove("KEYCLOAK_URL")
        .output()
        .unwrap()
}

#[test]
fn new_files_respect_the_umask() {
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record(REALM))]);
    workspace.run("apply", &["--yes"]).success();
    for (umask, expected) in [("077", 0o600), ("022", 0o644)] {
        let out = workspace.dir.path().join(format!("out-{umask}"));
        let output = export_with_umask(&workspace, umask, &out);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let handoff = out.join("partner-handoff.json");
        assert_eq!(mode(&handoff), expected, "umask {umask}");
    }
}

#[test]
fn export_metadata_writes_its_files_all_or_nothing() {
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record(REALM))]);
    workspace.run("apply", &["--yes"]).success();
    let out = workspace.dir.path().join("out");
    fs::create_dir(&out).unwrap();
    for name in ["partner-handoff.json", "partner-idp-metadata.xml"] {
        fs::write(out.join(name), "old").unwrap();
    }
    // The Markdown handoff cannot be written: its place is a link into a missing directory.
    std::os::unix::fs::symlink(
        "/nonexistent-fedctl-dir/handoff.md",
        out.join("partner-handoff.md"),
    )
    .unwrap();
    let output = export_with_umask(&workspace, "022", &out);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("none of the 3 files was changed"),
        "{stderr}"
    );
    for name in ["partner-handoff.json", "partner-idp-metadata.xml"] {
        assert_eq!(fs::read_to_string(out.join(name)).unwrap(), "old", "{name}");
    }
    assert_eq!(
        fs::read_dir(&out).unwrap().count(),
        3,
        "no temporary file left"
    );
}

#[test]
fn a_new_realm_file_has_keycloaks_generated_keys_and_never_shows_them() {
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record(REALM))]);
    let apply = workspace.run("apply", &["--yes"]).success();
    let realm = workspace.realm_json();
    let providers = realm["components"][KEY_PROVIDER].as_array().unwrap();
    let names: Vec<&str> = providers
        .iter()
        .map(|p| p["providerId"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["rsa-generated", "rsa-enc-generated"]);
    let private_keys: Vec<String> = providers
        .iter()
        .map(|p| p["config"]["privateKey"][0].as_str().unwrap().to_owned())
        .collect();

    let out = workspace.dir.path().join("out");
    let export = workspace
        .run("export-metadata", &["--out", out.to_str().unwrap()])
        .success();
    let metadata = fs::read_to_string(out.join("partner-idp-metadata.xml")).unwrap();
    let certificate = providers[0]["config"]["certificate"][0].as_str().unwrap();
    assert!(
        metadata.contains(certificate),
        "the signing certificate is published"
    );

    let mut certs = common::fedctl();
    let certs = certs
        .current_dir(workspace.dir.path())
        .args(["certs", "--output", "json", "--realm-file"])
        .arg(workspace.realm_file())
        .arg(workspace.records())
        .assert();
    let report: Value = serde_json::from_slice(&certs.get_output().stdout).unwrap();
    let realm_keys = report["certificates"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["source"] == "realm-key")
        .count();
    assert!(realm_keys >= 2, "{report}");

    let mut shown = Vec::new();
    for output in [apply.get_output(), export.get_output(), certs.get_output()] {
        shown.extend_from_slice(&output.stdout);
        shown.extend_from_slice(&output.stderr);
    }
    for entry in fs::read_dir(&out).unwrap() {
        shown.extend(fs::read(entry.unwrap().path()).unwrap());
    }
    let shown = String::from_utf8_lossy(&shown);
    for key in &private_keys {
        assert!(!shown.contains(&key[..64]), "a private key was shown");
    }
}
