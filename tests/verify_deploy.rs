//! The scheduled synthetic check in deploy/systemd runs a command line fedctl accepts.

use clap::Parser;

#[test]
fn the_systemd_unit_runs_a_valid_synthetic_verify_hourly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/systemd");
    let service = std::fs::read_to_string(dir.join("fedctl-verify.service")).unwrap();
    let timer = std::fs::read_to_string(dir.join("fedctl-verify.timer")).unwrap();
    let exec = service.split("ExecStart=").nth(1).unwrap();
    let words: Vec<&str> = exec.lines().next().unwrap().split_whitespace().collect();
    assert!(words[0].ends_with("/fedctl"), "{words:?}");
    let mut argv = vec!["fedctl"];
    argv.extend(&words[1..]);
    let cli = fedctl::cli::Cli::try_parse_from(&argv).unwrap();
    assert!(matches!(
        cli.command,
        fedctl::cli::Command::Verify(ref args) if args.synthetic
    ));
    assert!(service.contains("Type=oneshot"));
    assert!(
        !service.contains("SuccessExitStatus"),
        "a failed check must fail the unit"
    );
    assert!(timer.contains("OnCalendar=hourly"));
}
