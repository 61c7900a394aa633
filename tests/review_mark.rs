//! `fedctl review --mark-reviewed`: the one line changes (or is added), every other byte stays.

mod common;

use std::path::Path;

use common::{fedctl, runbook_record};
use predicates::prelude::*;

fn mark(path: &Path, date: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut command = fedctl();
    command
        .arg("review")
        .arg("--mark-reviewed")
        .arg(path)
        .args(["--date", date])
        .args(extra);
    command.assert()
}

fn record_file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("partner.yaml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn adds_the_line_to_the_runbook_record_keeping_everything_else() {
    let original = runbook_record("demo");
    let (_dir, path) = record_file(&original);
    mark(&path, "2025-06-30", &["--as-of", "2025-07-01"])
        .success()
        .stderr(predicate::str::contains("last_reviewed set to 2025-06-30"));
    let expected = original.replace(
        "    review_frequency: \"quarterly\"       # monthly | quarterly | semiannual | annual\n",
        "    review_frequency: \"quarterly\"       # monthly | quarterly | semiannual | annual\n    last_reviewed: \"2025-06-30\"\n",
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
}

#[test]
fn replaces_only_the_existing_line() {
    let original = runbook_record("demo").replace(
        "  attributes_shared:",
        "    last_reviewed: '2025-01-15'   # Q1 review\n  attributes_shared:",
    );
    let (_dir, path) = record_file(&original);
    mark(&path, "2025-04-02", &["--as-of", "2025-04-02"]).success();
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written,
        original.replace("'2025-01-15'   # Q1", "'2025-04-02'   # Q1")
    );
    // Again with the same date: nothing to do.
    mark(&path, "2025-04-02", &["--as-of", "2025-04-02"])
        .success()
        .stderr(predicate::str::contains("already 2025-04-02"));
}

#[test]
fn refuses_future_dates_and_invalid_records() {
    let original = runbook_record("demo");
    let (_dir, path) = record_file(&original);
    mark(&path, "2999-01-01", &[])
        .code(1)
        .stderr(predicate::str::contains("after today"));
    let broken = original.replace(
        "review_frequency: \"quarterly\"",
        "review_frequency: \"weekly\"",
    );
    std::fs::write(&path, &broken).unwrap();
    mark(&path, "2025-01-01", &[]).code(1);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        broken,
        "left alone"
    );
}

#[test]
fn date_needs_mark_reviewed() {
    let mut command = fedctl();
    command
        .args(["review", "--date", "2025-01-01"])
        .assert()
        .code(2);
}

#[test]
fn without_a_date_the_review_is_recorded_today() {
    let original = runbook_record("demo");
    let (_dir, path) = record_file(&original);
    // --as-of is "today" for fedctl, so the default is pinned.
    fedctl()
        .args(["review", "--as-of", "2025-07-01", "--mark-reviewed"])
        .arg(&path)
        .assert()
        .success()
        .stderr(predicate::str::contains("last_reviewed set to 2025-07-01"));
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("    last_reviewed: \"2025-07-01\"\n")
    );
}
