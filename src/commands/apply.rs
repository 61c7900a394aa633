//! `fedctl apply`: make the identity provider match the records.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use super::Exit;
use super::args::{RecordArgs, TargetArgs};
use super::plan::{self, Output, ReconcileArgs, conflicts_exit, plan_header};
use crate::error::Error;
use crate::pipeline::apply::{self, ApplyReport};
use crate::pipeline::{AnyTarget, Prepared, open_target};
use crate::printable::colour_allowed;
use crate::reconcile::saved::SavedPlan;
use crate::reconcile::{Plan, render};
use crate::runtime::block_on;
use crate::target::Target;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub records: RecordArgs,

    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub reconcile: ReconcileArgs,

    /// Apply without asking. Required when not on a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// `text`: the plan, then what was applied; `json`: one document on stdout with the plan
    /// and each operation's result (`done`, `failed` with the error, `not_attempted`).
    /// Needs --yes (there is no prompt between the two).
    #[arg(long, value_enum, default_value_t = Output::Text, requires = "yes")]
    pub output: Output,
}

/// Plans below this size finish before a progress bar would be readable.
const PROGRESS_THRESHOLD: usize = 20;

pub fn run(args: &Args) -> Result<Exit, Error> {
    if let Some(path) = saved_plan_path(args)? {
        return run_saved(args, path);
    }
    let Prepared { target, plan, .. } =
        plan::prepare(&args.records, &args.target, &args.reconcile)?;
    execute(args, &target, &plan)
}

/// `apply FILE.json`: a saved plan rather than records (records are YAML).
fn saved_plan_path(args: &Args) -> Result<Option<&Path>, Error> {
    let [path] = args.records.paths.as_slice() else {
        return Ok(None);
    };
    if path.extension().is_none_or(|e| e != "json") || path.is_dir() {
        return Ok(None);
    }
    let r = &args.reconcile;
    if r.prune || r.adopt || !r.records.is_empty() || r.allow_expired_metadata {
        return Err(Error::Usage(
            "a saved plan runs as it was made: --prune, --adopt, --record and \
             --allow-expired-metadata belong to the `fedctl plan --out` that wrote it"
                .into(),
        ));
    }
    Ok(Some(path))
}

/// Observes the target again (what the plan looked at), refuses when anything the plan
/// depends on changed, and otherwise executes the saved plan as it is.
fn run_saved(args: &Args, path: &Path) -> Result<Exit, Error> {
    let saved = SavedPlan::read(path)?;
    let target = open_target(
        &args.target.choice(),
        Some(&saved.realm),
        Some(args.reconcile.lock_timeout()),
    )?;
    let observed = block_on(target.observe(&saved.scope))?;
    saved.check(target.realm(), &target.describe(), &observed)?;
    execute(args, &target, &saved.plan)
}

/// Shows `plan`, asks (unless --yes), applies it and reports; shared by a fresh plan and a
/// saved one.
pub(crate) fn execute(args: &Args, target: &AnyTarget, plan: &Plan) -> Result<Exit, Error> {
    let json = args.output == Output::Json;
    if !json {
        let colour = colour_allowed(std::io::stdout().is_terminal());
        let text = render::text(plan, &plan_header(target), colour);
        println!("{}", text.trim_end());
    }
    if !plan.has_changes() && !json {
        return Ok(conflicts_exit(plan).unwrap_or(Exit::SUCCESS));
    }
    if !args.yes && !confirm(target)? {
        println!("Apply cancelled; nothing was changed.");
        return Ok(Exit(1));
    }
    let operations = plan.operations().count();
    let bar = progress_bar(operations);
    let concurrency = usize::from(args.target.concurrency);
    let report = block_on(apply::apply(target, plan, concurrency, |_| bar.inc(1)))?;
    bar.finish_and_clear();
    if json {
        println!(
            "{}",
            render::apply_json(
                plan,
                |change| report.outcome(change),
                report.succeeded(),
                target.realm(),
                &target.describe()
            )
        );
    } else {
        print_report(&report, target);
    }
    if !report.succeeded() {
        return Ok(Exit(1));
    }
    Ok(conflicts_exit(plan).unwrap_or(Exit::SUCCESS))
}

/// The plan (and its one summary line) is already on screen: only the question remains.
fn confirm(target: &impl Target) -> Result<bool, Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "refusing to apply without --yes: standard input is not a terminal to confirm on"
                .into(),
        ));
    }
    eprint!(
        "\nApply these changes to {}? Only 'yes' is accepted: ",
        target.describe()
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::Usage(format!("cannot read the confirmation: {e}")))?;
    Ok(answer.trim() == "yes")
}

fn progress_bar(operations: usize) -> ProgressBar {
    if operations < PROGRESS_THRESHOLD || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(operations as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} changes ({eta} left)") {
        bar.set_style(style);
    }
    bar
}

fn print_report(report: &ApplyReport<'_>, target: &impl Target) {
    if report.succeeded() {
        println!(
            "\nApplied {} change(s) to {}.",
            report.done.len(),
            target.describe()
        );
        return;
    }
    eprintln!("\nApply failed after {} change(s):", report.done.len());
    for (change, error) in &report.failed {
        eprintln!(
            "  failed: {} {} — {error}",
            change.action.symbol(),
            change.object
        );
    }
    for change in &report.not_attempted {
        eprintln!(
            "  not attempted: {} {}",
            change.action.symbol(),
            change.object
        );
    }
    eprintln!("Fix the cause and run apply again: it continues from where this run stopped.");
}
