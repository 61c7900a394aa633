//! Interrupted and faulty applies against the simulator: wherever a run stops (a refused
//! request, `kill -9`, the server going away), no client is left reachable without its gate,
//! and a plain rerun (no `--adopt`) converges with no duplicate objects. Counts and times are
//! bounded so these run in CI.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use assert_cmd::assert::OutputAssertExt;
use std::time::Duration;

use common::{Workspace, oidc_record, runbook_record};
use kc_sim::{FailNth, Faults, Simulator, SimulatorBuilder};
use serde_json::Value;

const REALM: &str = "your-realm";
const PASSWORD: &str = "Adm1n-pa55word";

fn start(builder: SimulatorBuilder) -> Simulator {
    let sim = builder
        .admin_credentials("admin", PASSWORD)
        .start()
        .expect("simulator starts");
    sim.add_realm(REALM);
    sim
}

/// `fedctl <subcommand> --url … federations/ <extra…>` as the simulator's admin.
fn fedctl(sim: &Simulator, workspace: &Workspace, subcommand: &str, extra: &[&str]) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("fedctl"));
    command
        .env("NO_COLOR", "1")
        .env_remove("KEYCLOAK_URL")
        .current_dir(workspace.dir.path())
        .env("KEYCLOAK_USER", "admin")
        .env("KEYCLOAK_PASSWORD", PASSWORD)
        .env_remove("KEYCLOAK_CLIENT_ID")
        .env_remove("KEYCLOAK_CLIENT_SECRET")
        .env_remove("KEYCLOAK_REALM")
        .arg(subcommand)
        .arg("--url")
        .arg(sim.url())
        .arg(workspace.records())
        .args(extra);
    command
}

/// The runbook record (SAML, mappers, a group) plus `count` OIDC records.
fn workspace(count: usize) -> Workspace {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record(REALM))]);
    for i in 0..count {
        workspace.write_record(
            &format!("partner-{i:03}.yaml"),
            &oidc_record(
                REALM,
                &format!("partner-{i:03}"),
                &format!("partner-{i:03}-users"),
            ),
        );
    }
    workspace
}

fn list<'v>(export: &'v Value, key: &str) -> &'v [Value] {
    export[key].as_array().map_or(&[], Vec::as_slice)
}

/// Every client fedctl created is bound to a finished (marked) flow of its own record.
fn assert_every_client_is_gated(sim: &Simulator) {
    let export = sim.export_realm(REALM).unwrap();
    let flows: BTreeMap<&str, &str> = list(&export, "authenticationFlows")
        .iter()
        .filter_map(|f| Some((f["id"].as_str()?, f["description"].as_str()?)))
        .collect();
    for client in list(&export, "clients") {
        let Some(record) = client["attributes"]["fedctl.managed-by"].as_str() else {
            continue;
        };
        let bound = client["authenticationFlowBindingOverrides"]["browser"]
            .as_str()
            .unwrap_or_default();
        let description = flows.get(bound).copied().unwrap_or_default();
        assert!(
            description.ends_with(&format!("{record}]")),
            "client {} of {record} is bound to {bound:?} ({description:?})",
            client["clientId"]
        );
    }
}

/// One of each: clients by clientId, top-level flows by alias, groups by name.
fn assert_no_duplicates(sim: &Simulator) {
    let export = sim.export_realm(REALM).unwrap();
    let mut names: Vec<String> = list(&export, "clients")
        .iter()
        .map(|c| format!("client {}", c["clientId"]))
        .chain(
            list(&export, "authenticationFlows")
                .iter()
                .filter(|f| f["topLevel"] == true)
                .map(|f| format!("flow {}", f["alias"])),
        )
        .chain(
            list(&export, "groups")
                .iter()
                .map(|g| format!("group {}", g["name"])),
        )
        .collect();
    let total = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), total, "duplicates among {names:?}");
}

/// Reruns apply (faults as they are) until it succeeds; every run ends cleanly, without a
/// conflict, and the clients stay gated throughout.
fn apply_until_converged(sim: &Simulator, workspace: &Workspace, max_runs: usize) -> usize {
    for run in 1..=max_runs {
        let output = fedctl(sim, workspace, "apply", &["--yes"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stdout.contains("not created by fedctl") && !stderr.contains("not created by fedctl"),
            "run {run} reported a conflict:\n{stdout}\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_every_client_is_gated(sim);
        match output.status.code() {
            Some(0) => return run,
            Some(1) => {}
            other => panic!("apply ended with {other:?}:\n{stdout}\n{stderr}"),
        }
    }
    panic!("not converged after {max_runs} runs");
}

fn assert_converged(sim: &Simulator, workspace: &Workspace) {
    fedctl(sim, workspace, "plan", &["--detailed-exitcode"])
        .assert()
        .code(0);
    assert_every_client_is_gated(sim);
    assert_no_duplicates(sim);
}

/// The write routes (and how often each is used) of a clean apply of `workspace`.
fn write_routes(workspace: &Workspace) -> BTreeMap<String, u64> {
    let sim = start(Simulator::builder());
    fedctl(&sim, workspace, "apply", &["--yes"])
        .assert()
        .success();
    sim.request_counts()
        .routes
        .into_iter()
        .filter(|(route, _)| {
            !route.starts_with("GET ")
                && route.contains("/admin/")
                && !route.ends_with("/partial-export")
        })
        .collect()
}

#[test]
fn a_run_refused_at_any_write_leaves_every_client_gated_and_a_rerun_converges() {
    let workspace = workspace(1);
    let routes = write_routes(&workspace);
    assert!(
        routes.keys().any(|r| r.ends_with("/copy")),
        "flows are copied: {routes:?}"
    );
    for (route, count) in &routes {
        let mut points = vec![1, *count];
        points.dedup();
        for n in points {
            let sim = start(Simulator::builder());
            sim.set_faults(Faults {
                fail_nth: Some(FailNth {
                    route: route.clone(),
                    n,
                    status: 400,
                }),
                ..Faults::default()
            });
            let stopped = fedctl(&sim, &workspace, "apply", &["--yes"])
                .output()
                .unwrap();
            assert_eq!(stopped.status.code(), Some(1), "{route} #{n}");
            assert_every_client_is_gated(&sim);
            sim.clear_faults();
            fedctl(&sim, &workspace, "apply", &["--yes"])
                .assert()
                .success();
            assert_converged(&sim, &workspace);
        }
    }
}

#[test]
fn a_flow_copy_left_unmarked_is_redone_not_a_conflict() {
    let workspace = workspace(0);
    let sim = start(Simulator::builder());
    // The copy's own description is the last step of creating it.
    sim.set_faults(Faults {
        fail_nth: Some(FailNth {
            route: "PUT /admin/realms/{realm}/authentication/flows/{id}".into(),
            n: 1,
            status: 400,
        }),
        ..Faults::default()
    });
    fedctl(&sim, &workspace, "apply", &["--yes"])
        .assert()
        .code(1);
    let copy = sim
        .flow(REALM, "fedctl-restrict-partner-example")
        .expect("the unfinished copy");
    assert!(
        copy["description"]
            .as_str()
            .unwrap()
            .starts_with("fedctl: template"),
        "{copy}"
    );
    sim.clear_faults();
    fedctl(&sim, &workspace, "plan", &["--detailed-exitcode"])
        .assert()
        .code(2);
    fedctl(&sim, &workspace, "apply", &["--yes"])
        .assert()
        .success();
    assert_converged(&sim, &workspace);
}

#[test]
fn two_hundred_records_at_a_30_percent_failure_rate_converge_in_bounded_runs() {
    let workspace = workspace(199);
    let sim = start(Simulator::builder().faults(Faults {
        fail_rate: 0.3,
        fail_statuses: vec![500, 502, 503, 504, 429],
        retry_after_secs: Some(0),
        ..Faults::default()
    }));
    let runs = apply_until_converged(&sim, &workspace, 12);
    sim.clear_faults();
    assert_converged(&sim, &workspace);
    eprintln!("converged after {runs} runs");
}

#[test]
fn kill_9_at_random_points_then_a_rerun_converges() {
    let workspace = workspace(20);
    let seed = fastrand::u64(..);
    eprintln!("seed {seed}");
    let mut rng = fastrand::Rng::with_seed(seed);
    for _ in 0..4 {
        let sim = start(Simulator::builder().faults(Faults {
            latency_ms: 5,
            ..Faults::default()
        }));
        let mut child = fedctl(&sim, &workspace, "apply", &["--yes"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.u64(50..1500)));
        // SIGKILL: no cleanup of any kind runs.
        let _ = child.kill();
        child.wait().unwrap();
        assert_every_client_is_gated(&sim);
        sim.clear_faults();
        apply_until_converged(&sim, &workspace, 2);
        assert_converged(&sim, &workspace);
    }
}

/// Waits until the simulator has answered `writes` admin writes.
fn wait_for_writes(sim: &Simulator, writes: u64) {
    while sim.request_counts().writes < writes {
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_server_gone_mid_apply_stops_the_run_at_once_and_a_restarted_one_converges() {
    let workspace = workspace(100);
    let sim = start(Simulator::builder().faults(Faults {
        latency_ms: 20,
        ..Faults::default()
    }));
    let addr = sim.addr();
    let child = fedctl(&sim, &workspace, "apply", &["--yes"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_writes(&sim, 30);
    // Keycloak keeps its database across a restart: the new server starts from the old state.
    let saved = sim.export_realm(REALM).unwrap();
    drop(sim);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // Only the operations in flight fail; the rest are not attempted, not each retried.
    let failed = stderr.lines().filter(|l| l.contains("failed:")).count();
    assert!((1..=8).contains(&failed), "{failed} failures:\n{stderr}");
    assert!(stderr.contains("not attempted:"), "{stderr}");
    assert!(
        stderr.contains("cannot reach Keycloak") || stderr.contains("cannot connect"),
        "{stderr}"
    );

    let sim = Simulator::builder()
        .admin_credentials("admin", PASSWORD)
        .import_json(saved)
        .start_on(addr)
        .expect("restarts on the same address");
    assert_every_client_is_gated(&sim);
    apply_until_converged(&sim, &workspace, 2);
    assert_converged(&sim, &workspace);
}
