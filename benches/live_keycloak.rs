//! Request budget, wall time and memory of `fedctl apply` and `fedctl plan` against the
//! simulator: 1,000 generated SAML federations, 5 ms latency per request.
//!
//!     cargo bench --bench live_keycloak            # FEDERATIONS=200 for a quicker run
//!
//! With `FEDCTL_REAL_KEYCLOAK_URL` (+ `_USER`, `_PASSWORD` of a master admin; see
//! docs/real-keycloak.md) the same apply and no-op plan also run against that real Keycloak,
//! in a realm of their own (deleted afterwards), and both are printed side by side. Admin API
//! requests are counted from fedctl's own request log (`-vv`), which the simulator's count
//! confirms (sign-ins at the token endpoint are not counted).
//!
//! Goals (issue 4): apply from empty ≤ 12 requests per federation and ≤ 10 s; no-op plan
//! ≤ 4 requests per federation + a constant and ≤ 1.5 s; peak memory (VmHWM of the fedctl
//! process, measured by /usr/bin/time) ≤ 100 MB. Prints the figures; exits 1 when a goal
//! is missed.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kc_sim::{Faults, Simulator};
use serde_json::{Value, json};

const REALM: &str = "bench";
const LATENCY_MS: u64 = 5;

fn record(realm: &str, i: usize) -> String {
    format!(
        r#"federation:
  partner: "Partner {i}"
  type: saml
  direction: your-idp-to-partner-sp
  technical:
    your_entity_id: "https://idp.example.org/realms/{realm}"
    partner_entity_id: "https://sp{i}.partner.example.org"
    partner_acs: "https://sp{i}.partner.example.org/saml/acs"
  access_control:
    group: "partner-{i:04}-users"
    approver: "IT Manager"
    review_frequency: quarterly
  attributes_shared: [email, display_name, department]
"#
    )
}

struct Run {
    wall: Duration,
    /// Requests in fedctl's own log (admin requests and the token grant).
    requests: u64,
    peak_kib: u64,
    status: i32,
}

/// A Keycloak to run against: URL and master admin.
struct Server {
    url: String,
    user: String,
    password: String,
}

/// Runs fedctl under `/usr/bin/time -v` and reads its maximum resident set size.
fn run(server: &Server, records: &Path, args: &[&str]) -> Run {
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_fedctl"))
        .args(args)
        .args(["-vv", "--url", &server.url])
        .arg(records)
        .env("KEYCLOAK_USER", &server.user)
        .env("KEYCLOAK_PASSWORD", &server.password)
        .env("NO_COLOR", "1")
        .env_remove("KEYCLOAK_URL")
        .output()
        .expect("/usr/bin/time runs fedctl");
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let peak_kib = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak memory in:\n{stderr}"));
    let status = output.status.code().unwrap_or(-1);
    if !matches!(status, 0 | 2) {
        panic!("fedctl {args:?} exited {status}:\n{stderr}");
    }
    let requests = stderr
        .lines()
        .filter(|l| l.contains(" request=") && l.contains(" status="))
        .count() as u64;
    Run {
        wall,
        requests,
        peak_kib,
        status,
    }
}

/// Generated records for `realm` in a new directory.
fn records(realm: &str, federations: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for i in 0..federations {
        let path = dir.path().join(format!("partner-{i:04}.yaml"));
        std::fs::write(path, record(realm, i)).unwrap();
    }
    dir
}

/// Apply from empty, then a no-op plan.
fn apply_then_plan(server: &Server, records: &Path) -> (Run, Run) {
    let apply = run(server, records, &["apply", "--yes"]);
    let plan = run(server, records, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status, 0, "the plan after apply has no changes");
    (apply, plan)
}

fn main() {
    let federations: usize = std::env::var("FEDERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let sim = Simulator::builder().start().expect("simulator starts");
    sim.add_realm(REALM);
    sim.set_faults(Faults {
        latency_ms: LATENCY_MS,
        ..Faults::default()
    });
    let simulated = Server {
        url: sim.url(),
        user: "admin".into(),
        password: "admin".into(),
    };
    let dir = records(REALM, federations);
    sim.reset_counts();
    let (apply, plan) = apply_then_plan(&simulated, dir.path());
    // fedctl logs its admin API requests; sign-ins at the token endpoint are not among them.
    let served = sim.request_counts();
    let tokens = served.get("POST /realms/{realm}/protocol/openid-connect/token");
    assert_eq!(
        apply.requests + plan.requests,
        served.total - tokens,
        "fedctl's log counts the admin API requests the simulator served"
    );

    let per = |r: &Run| r.requests as f64 / federations as f64;
    println!("{federations} federations, {LATENCY_MS} ms latency per request, concurrency 8");
    let mut ok = true;
    for (name, r, max_per, max_wall) in [
        ("apply from empty", &apply, 12.0, 10.0),
        ("no-op plan", &plan, 4.0, 1.5),
    ] {
        let within =
            per(r) <= max_per && r.wall.as_secs_f64() <= max_wall && r.peak_kib <= 100 * 1024;
        ok &= within;
        println!(
            "{name:>17}: {:>6} requests ({:.2}/federation, goal ≤ {max_per}), {:>6.2} s (goal ≤ {max_wall} s), peak {:.1} MB — {}",
            r.requests,
            per(r),
            r.wall.as_secs_f64(),
            r.peak_kib as f64 / 1024.0,
            if within { "ok" } else { "MISSED" }
        );
    }
    if let Some(real) = real_keycloak() {
        let realm = format!("fedctl-bench-{}", fastrand::u32(..));
        admin(
            &real,
            reqwest::Method::POST,
            "",
            json!({"realm": realm, "enabled": true}),
        );
        let dir = records(&realm, federations);
        let (real_apply, real_plan) = apply_then_plan(&real, dir.path());
        admin(&real, reqwest::Method::DELETE, &realm, Value::Null);
        println!("\nside by side ({} federations):", federations);
        println!(
            "{:>17}  {:>22}  {:>22}",
            "", "kc-sim (5 ms/request)", "real Keycloak"
        );
        for (name, sim_run, real_run) in [
            ("apply from empty", &apply, &real_apply),
            ("no-op plan", &plan, &real_plan),
        ] {
            let cell = |r: &Run| format!("{:>6} req {:>7.2} s", r.requests, r.wall.as_secs_f64());
            println!("{name:>17}  {:>22}  {:>22}", cell(sim_run), cell(real_run));
        }
    }
    if !ok {
        std::process::exit(1);
    }
}

/// The real Keycloak of the tier, when one is configured.
fn real_keycloak() -> Option<Server> {
    let url = std::env::var("FEDCTL_REAL_KEYCLOAK_URL").ok()?;
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    Some(Server {
        url,
        user: var("FEDCTL_REAL_KEYCLOAK_USER"),
        password: var("FEDCTL_REAL_KEYCLOAK_PASSWORD"),
    })
}

/// `{method} {url}/admin/realms/{path}` as the master admin (realm creation and deletion).
fn admin(server: &Server, method: reqwest::Method, path: &str, body: Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // reqwest is built without a default TLS provider; fedctl's main installs ring, so must we.
    let _ = rustls::crypto::ring::default_provider().install_default();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let token: Value = http
            .post(format!(
                "{}/realms/master/protocol/openid-connect/token",
                server.url
            ))
            .form(&[
                ("grant_type", "password"),
                ("client_id", "admin-cli"),
                ("username", &server.user),
                ("password", &server.password),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut request = http
            .request(
                method,
                format!("{}/admin/realms/{path}", server.url.trim_end_matches('/')),
            )
            .bearer_auth(token["access_token"].as_str().expect("the admin signs in"));
        if !body.is_null() {
            request = request.json(&body);
        }
        let status = request.send().await.unwrap().status();
        assert!(status.is_success(), "admin request {path}: {status}");
    });
}
