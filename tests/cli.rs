//! The command line itself: `--version` names the commit, shell completions, and every
//! subcommand's help ends with examples.

mod common;

use std::path::Path;
use std::process::Command;

fn stdout(args: &[&str]) -> String {
    let output = common::fedctl().args(args).output().unwrap();
    assert!(output.status.success(), "fedctl {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let version = stdout(&["--version"]);
    let head = Command::new("git")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).unwrap().trim().to_owned());
    let expected = match head {
        Some(commit) => format!("commit {commit}"),
        // A build from a tarball has no repository to ask.
        None => "commit unknown".to_owned(),
    };
    assert_eq!(
        version.trim(),
        format!("fedctl {} ({expected})", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn completions_cover_every_subcommand_in_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout(&["completions", shell]);
        for subcommand in ["export-metadata", "review", "certs", "completions"] {
            assert!(script.contains(subcommand), "{shell}: {subcommand}");
        }
    }
    common::fedctl()
        .args(["completions", "tcsh"])
        .assert()
        .code(2);
}

#[test]
fn help_ends_with_examples() {
    for subcommand in [
        "validate",
        "plan",
        "apply",
        "new",
        "review",
        "certs",
        "export-metadata",
    ] {
        let help = stdout(&[subcommand, "--help"]);
        let lines: Vec<&str> = help.trim_end().lines().collect();
        let heading = lines.iter().rposition(|l| *l == "Examples:").unwrap();
        let examples = &lines[heading + 1..];
        assert!((2..=3).contains(&examples.len()), "{subcommand}:\n{help}");
        let prefix = format!("  fedctl {subcommand} ");
        assert!(examples.iter().all(|l| l.starts_with(&prefix)), "{help}");
    }
}
