//! The Prometheus side of `fedctl certs`: the exposition output checked with
//! `promtool check metrics`, the atomic textfile, and the operations kit in deploy/ (alert
//! rules checked and unit-tested with promtool, the CronJob and systemd units).

mod common;
#[path = "certs/support.rs"]
mod support;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use serde_json::Value;
use support::*;

/// Runs `promtool check metrics` on `text`; returns its verdict and output.
fn check_metrics(text: &str) -> (bool, String) {
    let mut child = promtool()
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

/// Every kind of finding at once: expired, 3, 20 and 90 days, an unreadable certificate, a
/// record stating a wrong date, a source that cannot be read, metadata validity, and label
/// values that need escaping.
fn everything() -> common::Workspace {
    let record = outbound_record("2030-01-01").replace(
        "Example Partner Organisation",
        r#"Quote \"and\" backslash \\ Partner"#,
    );
    let metadata = metadata_fixture("entities/python3-saml_expired_metadata_settings1.xml");
    let inbound = inbound_record(&format!(
        "    partner_metadata: \"{}\"\n",
        metadata.display()
    ));
    workspace(
        &[("outbound.yaml", &record), ("inbound.yaml", &inbound)],
        vec![saml_client(
            OUTBOUND_CLIENT,
            Some(&cert_b64("sp", 20)),
            Some(&cert_b64("sp-enc", 90)),
        )],
        vec![saml_idp(
            "partner-idp",
            &[
                cert_b64("old", -30),
                cert_b64("new", 3),
                "bm90IGEgY2VydA==".to_owned(),
            ],
        )],
    )
}

fn samples<'t>(text: &'t str, metric: &str) -> Vec<&'t str> {
    text.lines()
        .filter(|l| l.starts_with(metric) && l[metric.len()..].starts_with(['{', ' ']))
        .collect()
}

#[test]
fn promtool_accepts_the_output_with_every_kind_of_finding() {
    let workspace = everything();
    let missing = "--metadata=/nonexistent/partner.xml";
    let run = certs(&workspace, &["--output", "prometheus", missing]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let (ok, said) = check_metrics(&run.stdout);
    assert!(ok, "promtool rejects the output: {said}\n{}", run.stdout);

    let report = certs(&workspace, &["--output", "json", missing]).json();
    let readable = report["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["not_after"].is_string())
        .count();
    // One not-after gauge per readable certificate, expired ones included.
    let not_after = samples(&run.stdout, "fedctl_cert_not_after_seconds");
    assert_eq!(not_after.len(), readable);
    assert!(not_after.iter().any(|l| l.contains(r#"subject_cn="old""#)));
    assert!(
        samples(&run.stdout, "fedctl_cert_expired")
            .iter()
            .any(|l| l.contains(r#"subject_cn="old""#) && l.ends_with(" 1"))
    );
    assert_eq!(samples(&run.stdout, "fedctl_cert_error").len(), 1);
    assert_eq!(
        samples(&run.stdout, "fedctl_record_cert_expiry_mismatch").len(),
        1
    );
    assert!(!samples(&run.stdout, "fedctl_metadata_valid_until_seconds").is_empty());
    assert!(
        run.stdout
            .contains(r#"partner="Quote \"and\" backslash \\ Partner""#),
        "{}",
        run.stdout
    );
    assert!(
        samples(&run.stdout, "fedctl_cert_source_up")
            .iter()
            .any(|l| l.contains(r#"location="/nonexistent/partner.xml""#) && l.ends_with(" 0"))
    );
    assert_eq!(
        samples(&run.stdout, "fedctl_certs_status"),
        ["fedctl_certs_status 2"]
    );
    // No sample carries a timestamp: the value is the last field after the labels.
    for line in run.stdout.lines().filter(|l| !l.starts_with('#')) {
        let after_labels = line.rsplit_once('}').map_or(line, |(_, rest)| rest);
        assert_eq!(
            after_labels.split_whitespace().count(),
            if line.contains('}') { 1 } else { 2 },
            "{line}"
        );
    }
}

#[test]
fn promtool_is_not_a_rubber_stamp() {
    let (ok, _) = check_metrics("fedctl_cert_not_after_seconds{federation=\"a} 1\n");
    assert!(!ok);
}

#[test]
fn promtool_accepts_a_whole_federation_aggregate() {
    let path = metadata_fixture("aggregates/pysaml2-4.0.0_InCommon-metadata.xml");
    let dir = tempfile::tempdir().unwrap();
    let run = certs_in(
        dir.path(),
        &[
            "--metadata",
            path.to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--output",
            "prometheus",
        ],
    );
    let (ok, said) = check_metrics(&run.stdout);
    assert!(ok, "{said}");
    assert!(samples(&run.stdout, "fedctl_cert_not_after_seconds").len() > 1500);
}

#[test]
fn prometheus_file_is_written_atomically_beside_the_text_report() {
    let workspace = everything();
    let textfile_dir = workspace.dir.path().join("textfile");
    std::fs::create_dir(&textfile_dir).unwrap();
    let file = textfile_dir.join("fedctl-certs.prom");
    std::fs::write(&file, "stale\n").unwrap();
    let run = certs(&workspace, &["--prometheus-file", file.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.starts_with("CERTS CRITICAL"),
        "text on stdout: {}",
        run.stdout
    );
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        written,
        certs(&workspace, &["--output", "prometheus"]).stdout
    );
    assert!(check_metrics(&written).0);
    // Only the target file: no temporary file left for the collector to pick up.
    let names: Vec<_> = std::fs::read_dir(&textfile_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["fedctl-certs.prom"]);
}

#[test]
fn an_unwritable_prometheus_file_is_unknown() {
    let run = certs(
        &single_ok(),
        &["--prometheus-file", "/nonexistent-dir/fedctl-certs.prom"],
    );
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains("/nonexistent-dir/fedctl-certs.prom"),
        "{}",
        run.stderr
    );
}

fn single_ok() -> common::Workspace {
    workspace(
        &[("outbound.yaml", &outbound_record(&expiry_date(90)))],
        vec![saml_client(
            OUTBOUND_CLIENT,
            Some(&cert_b64("sp", 90)),
            None,
        )],
        vec![],
    )
}

// ---------------------------------------------------------------- deploy/

fn deploy(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(relative)
}

#[test]
fn the_alert_rules_are_valid_and_fire_as_their_unit_tests_say() {
    let dir = deploy("prometheus");
    for args in [
        &["check", "rules", "fedctl-certs.rules.yaml"][..],
        &["test", "rules", "fedctl-certs.rules.test.yaml"][..],
    ] {
        let output = promtool().current_dir(&dir).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn the_alert_rules_use_only_metrics_fedctl_emits() {
    let rules = std::fs::read_to_string(deploy("prometheus/fedctl-certs.rules.yaml")).unwrap();
    let emitted = certs(&everything(), &["--output", "prometheus"]).stdout;
    let families: Vec<&str> = emitted
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for word in rules.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("fedctl_") {
            assert!(
                families.contains(&word),
                "the rules use {word}, which fedctl does not emit"
            );
        }
    }
}

#[test]
fn the_cronjob_runs_the_check_and_keeps_its_exit_status() {
    let text = std::fs::read_to_string(deploy("kubernetes/fedctl-certs-cronjob.yaml")).unwrap();
    let manifest: Value = serde_saphyr::from_str(&text).expect("valid YAML");
    assert_eq!(manifest["apiVersion"], "batch/v1");
    assert_eq!(manifest["kind"], "CronJob");
    let pod = &manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let script = pod["containers"][0]["args"][0].as_str().unwrap();
    assert!(script.contains("fedctl certs "), "{script}");
    assert!(
        script.contains("--prometheus-file /tmp/fedctl-certs.prom"),
        "{script}"
    );
    assert!(script.contains("exit $status"), "{script}");
    // The live check's credentials come from a Secret, never from the manifest itself.
    let env = pod["containers"][0]["env"].as_array().unwrap();
    let secret = env
        .iter()
        .find(|e| e["name"] == "KEYCLOAK_CLIENT_SECRET")
        .expect("a service-account secret");
    assert!(secret.get("value").is_none(), "{secret}");
    assert_eq!(
        secret["valueFrom"]["secretKeyRef"]["name"],
        "fedctl-keycloak"
    );
    // Every mounted volume exists.
    let volumes: Vec<&str> = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    for mount in pod["containers"][0]["volumeMounts"].as_array().unwrap() {
        assert!(
            volumes.contains(&mount["name"].as_str().unwrap()),
            "{mount}"
        );
    }
}

#[test]
fn the_systemd_units_run_the_check_hourly_into_the_textfile_directory() {
    let service = std::fs::read_to_string(deploy("systemd/fedctl-certs.service")).unwrap();
    let timer = std::fs::read_to_string(deploy("systemd/fedctl-certs.timer")).unwrap();
    let exec = service
        .split("ExecStart=")
        .nth(1)
        .unwrap()
        .replace("\\\n", " ");
    let exec = exec.lines().next().unwrap();
    assert!(exec.contains("fedctl certs"), "{exec}");
    assert!(
        exec.contains("--prometheus-file /var/lib/prometheus/node-exporter/fedctl-certs.prom"),
        "{exec}"
    );
    assert!(service.contains("Type=oneshot"));
    assert!(service.contains("SuccessExitStatus=1 2"));
    assert!(service.contains("ReadWritePaths=/var/lib/prometheus/node-exporter"));
    assert!(timer.contains("OnCalendar=hourly"));
    assert!(timer.contains("WantedBy=timers.target"));
}

#[test]
fn a_realm_keys_series_survive_its_deactivation() {
    let workspace = workspace(
        &[("outbound.yaml", &outbound_record("2030-01-01"))],
        vec![],
        vec![],
    );
    let key_series = |workspace: &common::Workspace| -> Vec<String> {
        let run = certs(workspace, &["--output", "prometheus"]);
        (samples(&run.stdout, "fedctl_cert_not_after_seconds").into_iter())
            .filter(|l| l.contains(r#"source="realm-key""#))
            .map(str::to_owned)
            .collect()
    };
    let active = key_series(&workspace);
    assert_eq!(active.len(), 2, "{active:?}");

    // Every key provider made passive (still published, no longer signing).
    let mut realm = workspace.realm_json();
    let providers = realm["components"]["org.keycloak.keys.KeyProvider"]
        .as_array_mut()
        .unwrap();
    for provider in providers {
        provider["config"]["active"] = serde_json::json!(["false"]);
    }
    workspace.write_realm_json(&realm);
    assert_eq!(key_series(&workspace), active);
}
