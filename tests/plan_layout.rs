//! The text plan as people read it: one section per record (execution order inside), the
//! reason after a dash (no nested parentheses), a changed flow as the executions that changed,
//! a pruned client's mappers and roles, one summary line; with and without colour.

mod common;

use common::{Workspace, oidc_record};
use fedctl::desired::{self, RecordRef};
use fedctl::keycloak::realm_file::RealmFile;
use fedctl::reconcile::Scope;
use fedctl::reconcile::{self, DiffOptions, Plan, render};
use fedctl::record::LoadOptions;
use fedctl::runtime::block_on;
use fedctl::target::Target;
use serde_json::json;

const REALM: &str = "your-realm";
const HEADER: &str = "Plan for realm your-realm (realm file realm.json)";

/// Three partners applied, then: acme moves to another group and gains a hand-made mapper,
/// globex's enforcement flow is edited by hand, and initech's record is removed.
fn drifted_workspace() -> Workspace {
    let workspace = Workspace::new(&[
        ("acme.yaml", &oidc_record(REALM, "acme", "acme-users")),
        ("globex.yaml", &oidc_record(REALM, "globex", "globex-users")),
        (
            "initech.yaml",
            &oidc_record(REALM, "initech", "initech-users"),
        ),
    ]);
    workspace.run("apply", &["--yes"]).success();
    let mut realm = workspace.realm_json();
    for client in realm["clients"].as_array_mut().unwrap() {
        if client["clientId"] == "acme" {
            client["protocolMappers"]
                .as_array_mut()
                .unwrap()
                .push(json!({
                    "name": "uid", "protocol": "openid-connect",
                    "protocolMapper": "oidc-usermodel-property-mapper",
                    "config": {"user.attribute": "username", "claim.name": "uid"}
                }));
        }
    }
    let flow_ids: Vec<String> = realm["authenticationFlows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["alias"] == "fedctl-restrict-globex gate")
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(flow_ids.len(), 1, "the gate sub-flow of globex");
    for flow in realm["authenticationFlows"].as_array_mut().unwrap() {
        if flow["alias"] == "fedctl-restrict-globex gate" {
            // Someone switched the deny step off by hand.
            for execution in flow["authenticationExecutions"].as_array_mut().unwrap() {
                if execution["authenticator"] == "deny-access-authenticator" {
                    execution["requirement"] = json!("DISABLED");
                }
            }
        }
    }
    workspace.write_realm_json(&realm);
    workspace.write_record("acme.yaml", &oidc_record(REALM, "acme", "acme-staff"));
    workspace.remove_record("initech.yaml");
    workspace
}

fn plan_of(workspace: &Workspace, options: DiffOptions) -> Plan {
    let set = fedctl::record::load(&LoadOptions {
        paths: vec![workspace.records()],
        attribute_profile: None,
    })
    .unwrap();
    let desired = desired::compile(
        set.records.iter().map(|r| RecordRef {
            id: &r.id,
            federation: &r.record.federation,
        }),
        &set.profile,
    );
    let target = RealmFile::open(&workspace.realm_file()).unwrap();
    let observed = block_on(target.observe(&Scope::of(&desired))).unwrap();
    reconcile::diff(&desired, &observed, options)
}

#[test]
fn the_plan_reads_by_record() {
    let workspace = drifted_workspace();
    let plan = plan_of(&workspace, DiffOptions::default());
    let text = render::text(&plan, HEADER, false);
    assert_eq!(
        text.matches("\nacme:\n").count(),
        1,
        "one section per record: {text}"
    );
    assert!(!text.contains("(record"), "no nested parentheses: {text}");
    assert_eq!(text.matches("Plan: ").count(), 1);
    insta::assert_snapshot!("plan_by_record", text);

    let pruned = plan_of(
        &workspace,
        DiffOptions {
            prune: true,
            ..DiffOptions::default()
        },
    );
    let text = render::text(&pruned, HEADER, false);
    insta::assert_snapshot!("plan_by_record_pruned", text);
}

#[test]
fn colour_marks_only_the_action_symbols() {
    let workspace = drifted_workspace();
    let plan = plan_of(&workspace, DiffOptions::default());
    let text = render::text(&plan, HEADER, true);
    insta::assert_snapshot!("plan_by_record_colour", text);
    let plain = render::text(&plan, HEADER, false);
    let stripped = text
        .replace("\x1b[0m", "")
        .replace("\x1b[32m", "")
        .replace("\x1b[33m", "")
        .replace("\x1b[31m", "")
        .replace("\x1b[36m", "")
        .replace("\x1b[1;35m", "");
    assert_eq!(stripped, plain);
}

#[test]
fn a_pipe_never_gets_colour_even_at_the_most_verbose_level() {
    let workspace = drifted_workspace();
    let output = common::fedctl()
        .current_dir(workspace.dir.path())
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .args(["-vv", "plan", "--realm-file"])
        .arg(workspace.realm_file())
        .arg(workspace.records())
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(!output.stdout.contains(&0x1b), "no escape codes on stdout");
    assert!(!output.stderr.contains(&0x1b), "no escape codes on stderr");
}
