//! Names the git commit fedctl is built from in `fedctl --version`. A build outside a git
//! checkout (a source tarball, a crate download) says "commit unknown" rather than failing.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    let described = match &commit {
        Some(commit) => format!("commit {commit}"),
        None => "commit unknown".to_owned(),
    };
    println!(
        "cargo:rustc-env=FEDCTL_VERSION={} ({described})",
        env!("CARGO_PKG_VERSION")
    );
    // Rebuilt when HEAD moves: a checkout changes HEAD, a commit changes the branch's ref.
    // Only files that exist are named; cargo would rerun every build for a missing one.
    let watched = ["HEAD", "packed-refs"]
        .into_iter()
        .map(str::to_owned)
        .chain(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]).map(PathBuf::from)
            && path.exists()
        {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// The trimmed output of a successful `git` command, `None` when git or the repository is
/// missing.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_owned())
}
