//! Wall time and request count of `fedctl review` against the simulator: 200 outbound SAML
//! federations with 50 members each (10,000 users), 5 ms latency per request.
//!
//!     cargo bench --bench review_live            # FEDERATIONS / MEMBERS override the sizes
//!
//! Goal (issue 7): ≤ 5 s. Prints the figures; exits 1 when the goal is missed or a member
//! is missing from the report.

use std::process::Command;
use std::time::{Duration, Instant};

use kc_sim::{Faults, Simulator};
use serde_json::{Value, json};

const REALM: &str = "bench";
const LATENCY_MS: u64 = 5;
const GOAL: Duration = Duration::from_secs(5);

fn size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn client_id(i: usize) -> String {
    format!("https://sp{i}.partner.example.org")
}

fn record(i: usize) -> String {
    format!(
        r#"federation:
  partner: "Partner {i}"
  type: saml
  direction: your-idp-to-partner-sp
  technical:
    your_entity_id: "https://idp.example.org/realms/{REALM}"
    partner_entity_id: "{client}"
    partner_acs: "{client}/saml/acs"
  access_control:
    group: "partner-{i:04}-users"
    approver: "IT Manager"
    review_frequency: quarterly
    last_reviewed: "2025-04-01"
"#,
        client = client_id(i)
    )
}

/// The realm as `fedctl apply` leaves it (client, role, group holding the role), with
/// `members` users in each group.
fn realm(federations: usize, members: usize) -> Value {
    let clients: Vec<Value> = (0..federations)
        .map(|i| json!({"clientId": client_id(i), "protocol": "saml"}))
        .collect();
    let roles: serde_json::Map<String, Value> = (0..federations)
        .map(|i| (client_id(i), json!([{"name": "access"}])))
        .collect();
    let groups: Vec<Value> = (0..federations)
        .map(|i| {
            json!({"name": format!("partner-{i:04}-users"),
                   "clientRoles": {client_id(i): ["access"]}})
        })
        .collect();
    let users: Vec<Value> = (0..federations)
        .flat_map(|i| {
            (0..members).map(move |m| {
                json!({"username": format!("user-{i:04}-{m:02}"), "enabled": true,
                       "email": format!("user{m}@partner{i}.example.org"),
                       "createdTimestamp": 1_717_243_200_000_i64,
                       "groups": [format!("/partner-{i:04}-users")]})
            })
        })
        .collect();
    json!({"realm": REALM, "enabled": true, "clients": clients,
           "roles": {"client": roles}, "groups": groups, "users": users})
}

fn main() {
    let federations = size("FEDERATIONS", 200);
    let members = size("MEMBERS", 50);
    let dir = tempfile::tempdir().unwrap();
    let records = dir.path().join("federations");
    std::fs::create_dir(&records).unwrap();
    for i in 0..federations {
        std::fs::write(records.join(format!("partner-{i:04}.yaml")), record(i)).unwrap();
    }
    let sim = Simulator::builder()
        .import_json(realm(federations, members))
        .start()
        .unwrap();
    sim.set_faults(Faults {
        latency_ms: LATENCY_MS,
        ..Faults::default()
    });
    sim.reset_counts();

    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_fedctl"))
        .args([
            "review",
            "--output",
            "json",
            "--as-of",
            "2025-06-30",
            "--url",
            &sim.url(),
        ])
        .arg(&records)
        .env("KEYCLOAK_USER", "admin")
        .env("KEYCLOAK_PASSWORD", "admin")
        .env_remove("KEYCLOAK_URL")
        .output()
        .unwrap();
    let wall = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let listed: usize = (report["federations"].as_array().unwrap().iter())
        .map(|f| f["users"].as_array().unwrap().len())
        .sum();
    let requests = sim.request_counts().total;
    println!(
        "review of {federations} federations × {members} members at {LATENCY_MS} ms/request: \
         {:.2} s, {requests} requests, {listed} users listed (goal ≤ {} s)",
        wall.as_secs_f64(),
        GOAL.as_secs()
    );
    let ok = listed == federations * members && wall <= GOAL;
    std::process::exit(if ok { 0 } else { 1 });
}
