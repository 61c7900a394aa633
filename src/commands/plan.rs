//! `fedctl plan`: show what apply would change.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::Exit;
use super::args::{RecordArgs, TargetArgs};
use crate::error::Error;
use crate::fsutil::{self, Mode};
use crate::pipeline::{self, AnyTarget, Notice, PrepareOptions, Prepared};
use crate::printable::{colour_allowed, printable};
use crate::reconcile::saved::SavedPlan;
use crate::reconcile::{Plan, render};
use crate::target::Target;
use crate::target::TargetError;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub records: RecordArgs,

    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub reconcile: ReconcileArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,

    /// Also write the plan to FILE, with a fingerprint of what it was computed from, for
    /// `fedctl apply FILE` (which runs exactly this plan, or nothing if the target changed).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Exit 2 when the plan has changes (0: none, 1: error or a conflict left), like
    /// `terraform plan`.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ReconcileArgs {
    /// Work on this record only (its file name without .yaml; repeatable), like Terraform's
    /// -target: a partial run that never reports or prunes other records' objects.
    #[arg(long = "record", value_name = "NAME")]
    pub records: Vec<String>,

    /// Delete objects fedctl created for records that no longer exist, and groups no record
    /// uses any more (never anything else). Needs the complete record set: refused in a
    /// partial run (record files named one by one, or --record).
    #[arg(long)]
    pub prune: bool,

    /// Allow --prune with an empty record set, which deletes everything fedctl manages.
    #[arg(long, requires = "prune")]
    pub allow_empty: bool,

    /// Take over existing objects that fedctl did not create but that the records describe.
    #[arg(long)]
    pub adopt: bool,

    /// Accept partner metadata whose validUntil has passed (refused by default).
    #[arg(long)]
    pub allow_expired_metadata: bool,

    /// Seconds to wait for another fedctl run that is changing the same realm file.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub lock_timeout: u64,
}

impl ReconcileArgs {
    pub fn lock_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.lock_timeout)
    }

    /// What the library's pipeline needs of these arguments, the records' and the target's.
    pub fn prepare_options(&self, records: &RecordArgs, target: &TargetArgs) -> PrepareOptions {
        PrepareOptions {
            load: records.load_options(),
            records: self.records.clone(),
            prune: self.prune,
            allow_empty: self.allow_empty,
            adopt: self.adopt,
            allow_expired_metadata: self.allow_expired_metadata,
            fetch: target.tls.fetch_options(),
            lock_timeout: self.lock_timeout(),
        }
    }
}

/// Loads, compiles, observes and diffs, showing warnings on stderr (so that `--output json`
/// stays machine-readable) as soon as they are known.
pub(crate) fn prepare(
    records: &RecordArgs,
    target: &TargetArgs,
    reconcile: &ReconcileArgs,
) -> Result<Prepared, Error> {
    let options = reconcile.prepare_options(records, target);
    Ok(pipeline::prepare(
        &options,
        &target.choice(),
        &mut show_notice,
    )?)
}

fn show_notice(notice: Notice<'_>) {
    match notice {
        Notice::Record(warning) => eprintln!("{:?}", miette::Report::new(warning.clone())),
        Notice::PartnerMetadata { record, finding } => {
            eprintln!("warning: {record}: partner metadata: {finding}")
        }
        Notice::Compiled { record, note } => eprintln!("note: {record}: {note}"),
        Notice::Undeclared(dropped) => eprintln!("{}", printable(&dropped.to_string())),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
}

pub fn run(args: &Args) -> Result<Exit, Error> {
    let Prepared {
        target,
        plan,
        scope,
        observed,
        ..
    } = prepare(&args.records, &args.target, &args.reconcile)?;
    if let Some(path) = &args.out {
        let saved = SavedPlan::new(
            plan.clone(),
            target.realm(),
            &target.describe(),
            scope,
            &observed,
        );
        fsutil::write_atomic(path, saved.to_json().as_bytes(), Mode::KeepExisting)
            .map_err(TargetError::from)?;
    }
    let document = match args.output {
        Output::Text => render::text(
            &plan,
            &plan_header(&target),
            colour_allowed(std::io::stdout().is_terminal()),
        ),
        Output::Json => render::json(&plan, target.realm(), &target.describe()),
    };
    println!("{}", document.trim_end());
    if let Some(exit) = conflicts_exit(&plan) {
        return Ok(exit);
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        Exit(2)
    } else {
        Exit::SUCCESS
    })
}

/// Conflicts are changes fedctl could not make, and their records are not enforced (a
/// partner's client may lack its deny flow): `Exit(1)` for plan and apply alike, after naming
/// those records on stderr. `None` when there is no conflict.
pub fn conflicts_exit(plan: &Plan) -> Option<Exit> {
    let conflicts = plan.summary().conflict;
    if conflicts == 0 {
        return None;
    }
    eprintln!("{conflicts} conflict(s) left untouched; these records are not enforced:");
    for (record, reason) in &plan.not_enforced {
        eprintln!("  {}: {}", printable(record), printable(reason));
    }
    Some(Exit(1))
}

pub fn plan_header(target: &AnyTarget) -> String {
    format!("Plan for realm {} ({})", target.realm(), target.describe())
}
