//! `fedctl verify` refuses what it cannot do before signing anyone in.

mod common;

use common::{Workspace, fedctl, runbook_record};
use predicates::prelude::*;

#[test]
fn a_realm_file_is_refused_with_the_reason() {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    workspace
        .run("verify", &["--synthetic"])
        .code(1)
        .stderr(predicate::str::contains("so it needs a live"));
}

#[test]
fn named_users_need_their_passwords_in_the_environment() {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    fedctl()
        .current_dir(workspace.records().parent().unwrap())
        .env("KEYCLOAK_USER", "admin")
        .env("KEYCLOAK_PASSWORD", "admin")
        .env_remove("FEDCTL_VERIFY_MEMBER_PASSWORD")
        .args(["verify", "--url", "http://127.0.0.1:9"])
        .arg(workspace.records())
        .args(["--member", "pilot", "--non-member", "outsider"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the password of pilot is not set"))
        .stderr(predicate::str::contains("FEDCTL_VERIFY_MEMBER_PASSWORD"));
}

#[test]
fn synthetic_or_named_users_must_be_chosen() {
    fedctl()
        .args(["verify", "--url", "http://127.0.0.1:9", "--member", "pilot"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--non-member"));
    fedctl()
        .args(["verify", "--url", "http://127.0.0.1:9"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--synthetic"));
}
