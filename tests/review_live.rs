//! `fedctl review` against the Keycloak simulator: the live source must list exactly what the
//! realm file lists (nested groups, direct grants, composites, disabled users, service
//! accounts, pilot users), also for read-only credentials and past the first page.

mod common;

use std::path::{Path, PathBuf};

use common::fedctl;
use kc_sim::Simulator;
use serde_json::Value;

fn here(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn simulator() -> Simulator {
    Simulator::builder()
        .import_file(here("tests/review/realm.json"))
        .unwrap()
        .start()
        .unwrap()
}

/// The JSON review of the demo records, from `source` arguments and environment.
fn review(source: &[&str], env: &[(&str, &str)]) -> Value {
    let mut command = fedctl();
    command
        .current_dir(here(""))
        .args([
            "review",
            "tests/review/federations",
            "--as-of",
            "2025-06-30",
        ])
        .args(["--output", "json"])
        .args(source)
        .envs(env.iter().copied());
    let output = command.assert().success().get_output().stdout.clone();
    let mut report: Value = serde_json::from_slice(&output).unwrap();
    report["source"] = Value::Null;
    report
}

fn from_file() -> Value {
    review(&["--realm-file", "tests/review/realm.json"], &[])
}

const ADMIN: [(&str, &str); 2] = [("KEYCLOAK_USER", "admin"), ("KEYCLOAK_PASSWORD", "admin")];

#[test]
fn live_review_lists_what_the_realm_file_lists() {
    let sim = simulator();
    let live = review(&["--url", &sim.url()], &ADMIN);
    assert_eq!(live, from_file());
}

#[test]
fn read_only_credentials_read_the_structure_by_parts() {
    let sim = simulator();
    let roles = ["view-realm", "view-users", "view-clients"];
    sim.add_service_account_client("demo", "auditor", "s3cret", &roles);
    let env = [
        ("KEYCLOAK_CLIENT_ID", "auditor"),
        ("KEYCLOAK_CLIENT_SECRET", "s3cret"),
        ("KEYCLOAK_AUTH_REALM", "demo"),
    ];
    sim.reset_counts();
    let live = review(&["--url", &sim.url()], &env);
    assert_eq!(live, from_file());
    let counts = sim.request_counts();
    let composites = counts.get("GET /admin/realms/{realm}/roles-by-id/{role}/composites");
    assert!(composites >= 3, "composites read by parts: {counts:?}");
}

/// One partial export, then one list per group and role on the walk, one lookup per pilot:
/// the request count follows the records, not the realm's size.
#[test]
fn requests_follow_the_walk() {
    let sim = simulator();
    for i in 0..300 {
        sim.add_user("demo", &format!("bystander-{i:03}"), "pw");
    }
    sim.reset_counts();
    review(&["--url", &sim.url()], &ADMIN);
    let counts = sim.request_counts();
    let members = counts.get("GET /admin/realms/{realm}/groups/{id}/members");
    // /partner-acme-users (+ berlin), /staff (+ it), /partners/globex, /initech-staff.
    assert_eq!(members, 6, "{counts:?}");
    assert_eq!(counts.get("POST /admin/realms/{realm}/partial-export"), 1);
    assert!(counts.total <= 20, "{counts:?}");
}

#[test]
fn every_page_of_a_large_group_is_read() {
    let sim = simulator();
    for i in 0..250 {
        let username = format!("member-{i:03}");
        sim.add_user("demo", &username, "pw");
        sim.add_member("demo", &username, "/partner-acme-users/berlin");
    }
    let live = review(&["--url", &sim.url()], &ADMIN);
    let acme = &live["federations"][0];
    assert_eq!(acme["record"], "acme");
    let members = acme["users"].as_array().unwrap();
    assert_eq!(
        members
            .iter()
            .filter(|u| u["username"].as_str().unwrap().starts_with("member-"))
            .count(),
        250
    );
}
