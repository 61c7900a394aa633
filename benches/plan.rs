//! Benchmark: validate and plan 1,000 generated records against a realm file that already
//! holds them (the no-op plan a scheduled drift check runs). Goal: under 300 ms and under
//! 100 MB peak memory. Run with `cargo bench --bench plan`.

use std::path::Path;
use std::time::{Duration, Instant};

use fedctl::desired::{self, RecordRef};
use fedctl::keycloak::realm_file::RealmFile;
use fedctl::pipeline::apply;
use fedctl::reconcile::Scope;
use fedctl::reconcile::{self, DiffOptions, render};
use fedctl::record::LoadOptions;
use fedctl::runtime::block_on;
use fedctl::target::Target;

const RECORDS: usize = 1_000;
const RUNS: usize = 15;

fn record(i: usize) -> String {
    format!(
        r#"federation:
  partner: "Partner {i}"
  type: saml
  direction: your-idp-to-partner-sp
  established: "2024-11-15"
  technical:
    your_entity_id: "https://idp.example.org/realms/bench"
    partner_entity_id: "https://app{i}.partner.example.org"
    partner_acs: "https://app{i}.partner.example.org/saml/acs"
  access_control:
    group: "partner-{i}-users"
    approver: "IT Manager"
    review_frequency: quarterly
  attributes_shared: [email, display_name, department]
  contacts:
    partner_technical: "tech@partner{i}.example.org"
"#
    )
}

/// Validate + compile + observe + diff + render: what `fedctl plan` does after start-up.
fn plan_once(records: &LoadOptions, realm_file: &Path) -> (usize, Duration) {
    let start = Instant::now();
    let set = fedctl::record::load(records).expect("records are valid");
    let desired = desired::compile(
        set.records.iter().map(|r| RecordRef {
            id: &r.id,
            federation: &r.record.federation,
        }),
        &set.profile,
    );
    let target = RealmFile::open(realm_file).expect("realm file");
    let observed = block_on(target.observe(&Scope::of(&desired))).expect("observe");
    let plan = reconcile::diff(&desired, &observed, DiffOptions::default());
    let text = render::text(&plan, "bench", false);
    assert!(!plan.has_changes(), "the realm already holds the records");
    (text.len(), start.elapsed())
}

fn peak_memory_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The measured runs happen in a child process, so its peak memory is that of planning alone,
/// not of the set-up that generated and applied the records.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, records_dir, realm_file] = args.as_slice()
        && flag == "--measure"
    {
        measure(Path::new(records_dir), Path::new(realm_file));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let records_dir = dir.path().join("federations");
    std::fs::create_dir(&records_dir).unwrap();
    for i in 0..RECORDS {
        std::fs::write(records_dir.join(format!("partner-{i:04}.yaml")), record(i)).unwrap();
    }
    let realm_file = dir.path().join("realm.json");
    let records = LoadOptions {
        paths: vec![records_dir],
        attribute_profile: None,
    };

    // Set-up: apply once so the realm holds every record's objects.
    let set = fedctl::record::load(&records).unwrap();
    let desired = desired::compile(
        set.records.iter().map(|r| RecordRef {
            id: &r.id,
            federation: &r.record.federation,
        }),
        &set.profile,
    );
    let target =
        RealmFile::open_for_update(&realm_file, Some("bench"), std::time::Duration::ZERO).unwrap();
    let observed = block_on(target.observe(&Scope::of(&desired))).unwrap();
    let plan = reconcile::diff(&desired, &observed, DiffOptions::default());
    let report = block_on(apply::apply(&target, &plan, 8, |_| {})).unwrap();
    assert!(report.succeeded());
    let size = std::fs::metadata(&realm_file).unwrap().len();
    drop((set, desired, target, observed, plan));
    println!(
        "realm file with {RECORDS} federations: {:.1} MB",
        size as f64 / 1e6
    );
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--measure")
        .arg(&records.paths[0])
        .arg(&realm_file)
        .status()
        .unwrap();
    assert!(status.success());
}

fn measure(records_dir: &Path, realm_file: &Path) {
    let records = LoadOptions {
        paths: vec![records_dir.to_owned()],
        attribute_profile: None,
    };
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| plan_once(&records, realm_file).1)
        .collect();
    times.sort();
    let median = times[RUNS / 2];
    println!(
        "validate + plan of {RECORDS} records: median {:.1} ms (min {:.1}, max {:.1}) over {RUNS} runs; peak memory {:.1} MB",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[RUNS - 1].as_secs_f64() * 1e3,
        peak_memory_mb()
    );
}
