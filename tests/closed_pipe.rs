//! A reader that hangs up early (`fedctl certs | head -1`) ends the command quietly with its
//! documented failure status: 3 (UNKNOWN) for the `certs` monitoring plugin, 1 for the
//! rest. Never a panic (101).

mod common;

use std::process::{Command, Stdio};

use common::{Workspace, fixture, runbook_record};

const REALM_FIXTURE: &str = "keycloak/kc26.5.5-saml-test-yo1000.json";

/// A pipe whose reading end is already closed: every write to it fails with EPIPE.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    writer
}

struct Outcome {
    code: Option<i32>,
    stderr: String,
}

fn run(command: &mut Command, close_stderr: bool) -> Outcome {
    command.stdin(Stdio::null()).stdout(closed_pipe());
    if close_stderr {
        command.stderr(closed_pipe());
    } else {
        command.stderr(Stdio::piped());
    }
    let output = command.output().expect("fedctl runs");
    Outcome {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn fedctl() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fedctl"));
    command.env("NO_COLOR", "1").env_remove("KEYCLOAK_URL");
    command
}

fn certs() -> Command {
    let mut command = fedctl();
    command
        .arg("certs")
        .arg("--realm-file")
        .arg(fixture(REALM_FIXTURE));
    command
}

#[test]
fn certs_with_closed_stdout_is_unknown_not_a_panic() {
    let outcome = run(&mut certs(), false);
    assert_eq!(outcome.code, Some(3), "stderr: {}", outcome.stderr);
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
}

#[test]
fn certs_with_closed_stdout_and_stderr_is_unknown() {
    assert_eq!(run(&mut certs(), true).code, Some(3));
}

#[test]
fn plan_with_closed_stdout_exits_1_quietly() {
    let workspace = Workspace::new(&[("partner.yaml", &runbook_record("demo"))]);
    let mut command = fedctl();
    command
        .current_dir(workspace.dir.path())
        .arg("plan")
        .arg("--realm-file")
        .arg(workspace.realm_file())
        .arg(workspace.records());
    let outcome = run(&mut command, false);
    assert_eq!(outcome.code, Some(1), "stderr: {}", outcome.stderr);
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
    assert!(
        !outcome.stderr.to_lowercase().contains("broken pipe"),
        "a hung-up reader is not reported: {}",
        outcome.stderr
    );
    let outcome = run(&mut command, true);
    assert_eq!(outcome.code, Some(1));
}
