//! `fedctl review` end to end: the sign-off sheet, CSV and JSON over a hand-written realm
//! (nested groups, direct grants, realm and client composites, disabled users, a service
//! account, pilot users, an inbound and an unapplied federation), over the shared realm
//! fixtures that have users, over a realm fedctl itself applied, and `--fail-on`.

mod common;

use std::path::{Path, PathBuf};

use common::{Workspace, fedctl, fixture, runbook_record};
use predicates::prelude::*;
use serde_json::{Value, json};

fn here(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// `fedctl review` run from the crate root, so paths in the output are relative and stable.
fn review(args: &[&str]) -> assert_cmd::assert::Assert {
    let mut command = fedctl();
    command.current_dir(here("")).arg("review").args(args);
    command.assert()
}

const DEMO: [&str; 5] = [
    "tests/review/federations",
    "--realm-file",
    "tests/review/realm.json",
    "--as-of",
    "2025-06-30",
];

fn demo(extra: &[&str]) -> assert_cmd::assert::Assert {
    let args: Vec<&str> = DEMO.iter().chain(extra).copied().collect();
    review(&args)
}

fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

fn demo_json() -> Value {
    serde_json::from_str(&stdout(&demo(&["--output", "json"]).success())).unwrap()
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "review/snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn markdown_sign_off_sheet() {
    snapshot("demo.md", &stdout(&demo(&[]).success()));
}

#[test]
fn csv_rows() {
    let csv = stdout(&demo(&["--output", "csv"]).success());
    // RFC 4180: CRLF after every record, quotes doubled inside quoted fields.
    assert_eq!(csv.matches("\r\n").count(), csv.lines().count());
    assert!(csv.contains(",Erin,\"Eve | \"\"Ops\"\"\",erin@example.org,"));
    snapshot("demo.csv", &csv);
}

#[test]
fn csv_has_a_row_for_every_federation_with_its_own_findings() {
    let csv = stdout(&demo(&["--output", "csv"]).success());
    let report = demo_json();
    let federations = report["federations"].as_array().unwrap();
    assert!(
        federations.iter().any(|f| f["users"] == json!([])),
        "the demo has a federation nobody can sign in to"
    );
    for f in federations {
        let record = f["record"].as_str().unwrap();
        let rows: Vec<&str> = (csv.lines())
            .filter(|l| l.starts_with(&format!("{record},")))
            .collect();
        let users = f["users"].as_array().unwrap();
        assert_eq!(rows.len(), users.len() + 1, "{record}:\n{csv}");
        // The federation's row: empty user columns, its own findings last.
        let listed = |name: &Value| users.iter().any(|u| u["username"] == *name);
        let own: Vec<&str> = (f["findings"].as_array().unwrap().iter())
            .filter(|finding| finding["user"].is_null() || !listed(&finding["user"]))
            .map(|finding| finding["kind"].as_str().unwrap())
            .collect();
        assert!(
            rows[0].ends_with(&format!(",,,,,,,,,,,,{}", own.join(";"))),
            "{record}: {}",
            rows[0]
        );
        if f["review"]["overdue"] == true {
            assert!(own.contains(&"overdue"), "{record}");
        }
    }
}

#[test]
fn json_report() {
    snapshot("demo.json", &stdout(&demo(&["--output", "json"]).success()));
}

fn federation<'r>(report: &'r Value, record: &str) -> &'r Value {
    report["federations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["record"] == record)
        .unwrap_or_else(|| panic!("{record} reviewed"))
}

fn user<'f>(federation: &'f Value, username: &str) -> &'f Value {
    federation["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("{username} listed"))
}

fn usernames(federation: &Value) -> Vec<&str> {
    let users = federation["users"].as_array().unwrap();
    users
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect()
}

fn findings(federation: &Value, kind: &str) -> Vec<Value> {
    let all = federation["findings"].as_array().unwrap();
    all.iter()
        .filter(|f| f["kind"] == kind)
        .map(|f| f["user"].clone())
        .collect()
}

#[test]
fn lists_exactly_who_holds_the_role_and_how() {
    let report = demo_json();
    let acme = federation(&report, "acme");
    // Not ivan's auditors role, not gina (another federation's group), not hal.
    assert_eq!(
        usernames(acme),
        [
            "alice",
            "bruno",
            "carla",
            "dave",
            "erin",
            "frank",
            "ivan",
            "pia",
            "service-account-reporting-bot"
        ]
    );
    // Sub-group member: approved.
    assert_eq!(
        user(acme, "bruno")["groups"],
        json!(["/partner-acme-users/berlin"])
    );
    assert_eq!(user(acme, "bruno")["outside_group"], false);
    // Realm composite → client composite → role, mapped on an ancestor of the user's group.
    assert_eq!(
        user(acme, "erin")["grants"],
        json!([{
            "source": "group", "member_of": "/staff/it", "mapped_on": "/staff",
            "via": [
                {"client": null, "role": "partner-bundle"},
                {"client": "https://app.acme.example.org", "role": "team"}
            ]
        }])
    );
    assert_eq!(
        findings(acme, "outside-access"),
        [
            json!("dave"),
            json!("erin"),
            json!("frank"),
            json!("ivan"),
            json!("service-account-reporting-bot")
        ]
    );
    assert_eq!(findings(acme, "disabled"), [json!("carla")]);
    assert_eq!(
        findings(acme, "service-account"),
        [json!("service-account-reporting-bot")]
    );
    assert_eq!(findings(acme, "pilot"), [json!("pia"), json!("ghost")]);
    assert_eq!(
        user(acme, "pia")["outside_group"],
        false,
        "a pilot's own grant is approved"
    );
    assert_eq!(user(acme, "carla")["created"], "2024-01-01T00:00:00Z");
    assert_eq!(acme["review"]["next_due"], "2025-04-15");
    assert_eq!(acme["review"]["overdue"], true);

    let initech = federation(&report, "initech");
    assert_eq!(usernames(initech), ["hal"]);
    assert_eq!(user(initech, "hal")["holds_role"], Value::Null);
    assert_eq!(initech["review"]["overdue"], false);

    let umbrella = federation(&report, "umbrella");
    assert_eq!(findings(umbrella, "not-applied").len(), 2);
    assert_eq!(
        findings(federation(&report, "globex"), "not-enforced").len(),
        1
    );
}

#[test]
fn fail_on_exits_1_only_for_the_listed_kinds() {
    demo(&["--output", "json"]).code(0);
    demo(&["--fail-on", "overdue,outside-access,disabled"])
        .code(1)
        .stderr(
            predicate::str::contains("overdue: 2")
                .and(predicate::str::contains("outside-access: 5")),
        );
    // The Initech review is current and has no outside access.
    review(&[
        "tests/review/federations/initech.yaml",
        "--realm-file",
        "tests/review/realm.json",
        "--as-of",
        "2025-06-30",
        "--fail-on",
        "overdue,outside-access",
    ])
    .code(0);
    demo(&["--fail-on", "no-such-kind"])
        .code(2)
        .stderr(predicate::str::contains("outside-access"));
}

#[test]
fn out_writes_the_file_and_nothing_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("review.md");
    let assert = demo(&["--out", out.to_str().unwrap()]).success();
    assert!(stdout(&assert).is_empty());
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written, stdout(&demo(&[]).success()));
}

#[test]
fn a_realm_file_without_users_is_refused() {
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record("saml-test"))]);
    let mut command = fedctl();
    command
        .args(["review", "--realm-file"])
        .arg(fixture("keycloak/kc26.5.5-saml-test-yo1000.json"))
        .arg(workspace.records())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("has no users"));
    review(&[
        "tests/review/federations",
        "--realm-file",
        "tests/review/missing.json",
    ])
    .code(1)
    .stderr(predicate::str::contains("missing.json"));
}

fn fixture_review(records: &str, realm: &str) -> Value {
    let realm = fixture(realm);
    let assert = review(&[
        records,
        "--realm-file",
        realm.to_str().unwrap(),
        "--as-of",
        "2025-06-30",
        "--output",
        "json",
    ]);
    serde_json::from_str(&stdout(&assert.success())).unwrap()
}

#[test]
fn keycloak_test_realm_groups_direct_grants_and_composites() {
    let report = fixture_review(
        "tests/review/fixture-records/testrealm",
        "keycloak/testrealm.json",
    );
    let customers = federation(&report, "test-app-customers");
    assert_eq!(
        usernames(customers),
        [
            "direct-login",
            "john-doh@localhost",
            "keycloak-user@localhost",
            "level2GroupUser",
            "non-duplicate-email-user",
            "roleRichUser",
            "test-user@localhost",
            "topGroupUser"
        ]
    );
    // /topGroup maps no client role; its sub-group level2group does.
    assert_eq!(user(customers, "topGroupUser")["holds_role"], false);
    assert_eq!(user(customers, "level2GroupUser")["outside_group"], false);
    assert_eq!(findings(customers, "not-applied").len(), 1);
    assert_eq!(findings(customers, "outside-access").len(), 5);
    assert_eq!(findings(customers, "pilot"), [json!("direct-login")]);

    // A client role inside a realm composite mapped to the parent of the user's group. A
    // second record for the same client (test-app) is its own run: fedctl allows one record
    // per client in a set.
    let report = fixture_review(
        "tests/review/fixture-records/testrealm-samples",
        "keycloak/testrealm.json",
    );
    let samples = federation(&report, "test-app-samples");
    assert_eq!(usernames(samples), ["roleRichUser"]);
    let grants = &user(samples, "roleRichUser")["grants"];
    assert_eq!(grants[0]["mapped_on"], "/roleRichGroup");
    assert_eq!(grants[0]["via"][0]["role"], "realm-composite-role");
    assert!(samples["findings"].as_array().unwrap().is_empty());
}

#[test]
fn catena_x_service_accounts_and_the_default_role_composite() {
    let report = fixture_review(
        "tests/review/fixture-records/cx-central",
        "keycloak/kc25.0.6-cx-central-tractusx.json",
    );
    let portal = federation(&report, "portal-checklist");
    assert_eq!(
        usernames(portal),
        [
            "service-account-sa-cl2-01",
            "service-account-sa-cl2-02",
            "service-account-sa-cl2-06"
        ]
    );
    assert_eq!(findings(portal, "service-account").len(), 3);
    assert_eq!(findings(portal, "not-applied").len(), 1, "no access group");
    // Every user holds view_policy_hub through default-roles-cx-central.
    let hub = federation(&report, "policy-hub");
    assert_eq!(hub["users"].as_array().unwrap().len(), 19);
    assert_eq!(
        user(hub, "service-account-sa-cl8-cx-1")["grants"][0]["via"][0]["role"],
        "default-roles-cx-central"
    );
}

/// The objects `fedctl apply` creates are what the review reads: after applying the runbook
/// record and putting users in its group, exactly they are listed and nothing is "not applied".
#[test]
fn reviews_what_apply_created() {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("demo"))]);
    workspace.run("apply", &["--yes"]).success();
    let mut realm = workspace.realm_json();
    realm["users"] = json!([
        {"username": "member", "enabled": true, "groups": ["/partner-example-users"]},
        {"username": "bystander", "enabled": true}
    ]);
    workspace.write_realm_json(&realm);
    let assert = workspace.run("review", &["--output", "json", "--as-of", "2025-06-30"]);
    let report: Value = serde_json::from_str(&stdout(&assert.success())).unwrap();
    let example = federation(&report, "partner-example");
    assert_eq!(usernames(example), ["member"]);
    assert_eq!(user(example, "member")["holds_role"], true);
    assert_eq!(findings(example, "not-applied"), Vec::<Value>::new());
}
