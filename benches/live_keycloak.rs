//! Request budget, wall time and memory of `fedctl apply` and `fedctl plan` against the
//! simulator: 1,000 generated SAML federations, 5 ms latency per request.
//!
//!     cargo bench --bench live_keycloak            # FEDERATIONS=200 for a quicker run
//!
//! Goals (issue 4): apply from empty ≤ 12 requests per federation and ≤ 10 s; no-op plan
//! ≤ 4 requests per federation + a constant and ≤ 1.5 s; peak memory (VmHWM of the fedctl
//! process, measured by /usr/bin/time) ≤ 100 MB. Prints the figures; exits 1 when a goal
//! is missed.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kc_sim::{Faults, Simulator};

const REALM: &str = "bench";
const LATENCY_MS: u64 = 5;

fn record(i: usize) -> String {
    format!(
        r#"federation:
  partner: "Partner {i}"
  type: saml
  direction: your-idp-to-partner-sp
  technical:
    your_entity_id: "https://idp.example.org/realms/{REALM}"
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
    requests: u64,
    peak_kib: u64,
    status: i32,
}

/// Runs fedctl under `/usr/bin/time -v` and reads its maximum resident set size.
fn run(sim: &Simulator, records: &Path, args: &[&str]) -> Run {
    sim.reset_counts();
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_fedctl"))
        .args(args)
        .args(["--url", &sim.url()])
        .arg(records)
        .env("KEYCLOAK_USER", "admin")
        .env("KEYCLOAK_PASSWORD", "admin")
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
    Run {
        wall,
        requests: sim.request_counts().total,
        peak_kib,
        status,
    }
}

fn main() {
    let federations: usize = std::env::var("FEDERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().expect("temp dir");
    let records = dir.path().join("federations");
    std::fs::create_dir(&records).unwrap();
    for i in 0..federations {
        std::fs::write(records.join(format!("partner-{i:04}.yaml")), record(i)).unwrap();
    }
    let sim = Simulator::builder().start().expect("simulator starts");
    sim.add_realm(REALM);
    sim.set_faults(Faults {
        latency_ms: LATENCY_MS,
        ..Faults::default()
    });

    let apply = run(&sim, &records, &["apply", "--yes"]);
    let plan = run(&sim, &records, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status, 0, "the plan after apply has no changes");

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
    if !ok {
        std::process::exit(1);
    }
}
