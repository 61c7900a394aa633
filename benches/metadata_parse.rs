//! Metadata parsing benchmark (issue goal: ≤ 100 ms and ≤ 64 MB peak).
//!
//! One run = parse the 9 MB InCommon aggregate, select one entity, list every certificate of
//! every entity with its not-after. Prints the median wall time over `RUNS` runs (default 20),
//! the process's peak resident memory (VmHWM, which includes the 9 MB input), and the time of
//! `xmllint --noout` on the same file measured in the same run for comparison.
//!
//! `cargo bench --bench metadata_parse` (optimised build).

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fedctl::saml::{Entity, parse_metadata};

const AGGREGATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/saml-metadata/aggregates/pysaml2-4.0.0_InCommon-metadata.xml"
);
const ENTITY: &str = "https://proxy.ohiolink.edu/shibboleth";
const GOAL_MS: f64 = 100.0;
const GOAL_MB: f64 = 64.0;

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20)
        .max(1);
    let bytes = std::fs::read(AGGREGATE).expect("the InCommon fixture");
    let input_peak = peak_rss_mb();

    let mut times = Vec::with_capacity(runs);
    let mut listed = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let metadata = parse_metadata(black_box(&bytes)).expect("InCommon parses");
        let entity = metadata
            .entity(ENTITY)
            .expect("the entity is in the aggregate");
        let not_after: Vec<(&str, time::OffsetDateTime)> = metadata
            .entities
            .iter()
            .flat_map(|e: &Entity| {
                e.keys().filter_map(move |(_, key)| {
                    key.certificate
                        .as_ref()
                        .ok()
                        .map(|c| (e.entity_id.as_str(), c.not_after))
                })
            })
            .collect();
        times.push(start.elapsed());
        listed = black_box(not_after.len());
        black_box(entity);
    }
    let parse = median(&mut times);
    let peak = peak_rss_mb();

    let mut xmllint_times: Vec<Duration> = (0..5)
        .filter_map(|_| xmllint(Path::new(AGGREGATE)))
        .collect();

    println!(
        "metadata_parse: {} ({:.1} MB)",
        AGGREGATE.rsplit('/').next().unwrap_or(AGGREGATE),
        mb(bytes.len())
    );
    println!(
        "  parse + select + list {listed} certificates: median {:.1} ms over {runs} runs (min {:.1}, max {:.1}) — goal ≤ {GOAL_MS} ms: {}",
        ms(parse),
        ms(times[0]),
        ms(times[times.len() - 1]),
        verdict(ms(parse) <= GOAL_MS)
    );
    println!(
        "  peak resident memory (VmHWM): {peak:.1} MB, of which {input_peak:.1} MB before parsing (input held in memory) — goal ≤ {GOAL_MB} MB: {}",
        verdict(peak <= GOAL_MB)
    );
    if xmllint_times.is_empty() {
        println!("  xmllint --noout: not measured (xmllint missing; Debian package libxml2-utils)");
    } else {
        let runs = xmllint_times.len();
        println!(
            "  xmllint --noout on the same file: median {:.1} ms over {runs} runs",
            ms(median(&mut xmllint_times))
        );
    }
}

fn xmllint(path: &Path) -> Option<Duration> {
    let start = Instant::now();
    let status = Command::new("xmllint")
        .args(["--noout", "--nonet"])
        .arg(path)
        .status()
        .ok()?;
    status.success().then(|| start.elapsed())
}

/// Sorts and returns the median.
fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Peak resident set size of this process, from /proc (Linux).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN);
    kb / 1024.0
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}
