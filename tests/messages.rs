//! Messages people act on say what is wrong, where, and what to do: a realm that does not
//! exist, a `--realm` that disagrees with the records, a misspelled path, a request Keycloak
//! refused.

mod common;

use common::{Workspace, runbook_record};
use kc_sim::{Faults, Simulator};

const ADMIN_PASSWORD: &str = "Adm1n-pa55word-never-printed";

/// stderr without whitespace and miette's frame, so that wrapped lines still match.
fn squashed(assert: &assert_cmd::assert::Assert) -> String {
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
    stderr.split_whitespace().filter(|w| *w != "│").collect()
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect()
}

fn simulator() -> Simulator {
    Simulator::builder()
        .admin_credentials("admin", ADMIN_PASSWORD)
        .start()
        .expect("simulator starts")
}

/// `fedctl <subcommand> --url URL federations/ <extra…>` as the simulator's admin.
fn live(
    sim: &Simulator,
    workspace: &Workspace,
    subcommand: &str,
    extra: &[&str],
) -> assert_cmd::assert::Assert {
    workspace.run_live(&sim.url(), ("admin", ADMIN_PASSWORD), subcommand, extra)
}

#[test]
fn a_live_realm_that_does_not_exist_names_the_server_and_how_to_create_it() {
    let sim = simulator();
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    let stderr = squashed(&live(&sim, &workspace, "plan", &[]).code(1));
    let expected = squash(&format!(
        "Keycloak at {} has no realm `your-realm`",
        sim.url()
    ));
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(
        stderr.contains(&squash("fedctl never creates realms")),
        "{stderr}"
    );
    assert!(stderr.contains("kcadm.shcreaterealms"), "{stderr}");
    assert!(!stderr.contains("intherealm"), "{stderr}");
}

#[test]
fn a_realm_argument_that_disagrees_is_named_as_such() {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    workspace.run("apply", &["--yes"]).success();
    let before = std::fs::read(workspace.realm_file()).unwrap();
    let stderr = squashed(&workspace.run("plan", &["--realm", "other"]).code(1));
    assert!(
        stderr.contains(&squash(
            "--realm asks for realm `other`, but the records are for realm `your-realm`"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("recordsareforrealm`other`"), "{stderr}");
    assert_eq!(std::fs::read(workspace.realm_file()).unwrap(), before);
}

#[test]
fn a_misspelled_path_is_reported_and_nothing_points_above_it() {
    let dir = tempfile::tempdir().unwrap();
    let assert = common::fedctl()
        .current_dir(dir.path())
        .args(["plan", "federatons/", "--realm-file", "realm.json"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    let problem = stderr.find("federatons").expect("the path is named");
    // The summary's help is rendered before the problems it introduces.
    assert!(!stderr.contains("above"), "{stderr}");
    let help = stderr.find("each problem below").expect("the help line");
    assert!(help < problem, "{stderr}");
}

#[test]
fn a_refused_request_says_the_status_once() {
    let sim = simulator();
    sim.add_realm("your-realm");
    sim.set_faults(Faults {
        fail_nth: Some(kc_sim::FailNth {
            route: "POST /admin/realms/{realm}/clients".into(),
            n: 1,
            status: 400,
        }),
        ..Faults::default()
    });
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    let stderr = squashed(&live(&sim, &workspace, "apply", &["--yes"]).code(1));
    assert!(
        stderr.contains(&squash(
            "Keycloak refused POST /clients with HTTP 400: bad request (Keycloak gave no reason)"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("HTTP400:HTTP400"), "{stderr}");
}
