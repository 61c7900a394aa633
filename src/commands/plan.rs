//! `fedctl plan`: show what apply would change.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::Exit;
use super::args::{RecordArgs, TargetArgs};
use super::pipeline::{self, Prepared};
use crate::error::Error;
use crate::fsutil::{self, Mode};
use crate::printable::colour_allowed;
use crate::reconcile::saved::SavedPlan;
use crate::reconcile::{DiffOptions, render};
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

    pub fn options(&self, partial: bool) -> DiffOptions {
        DiffOptions {
            prune: self.prune,
            adopt: self.adopt,
            partial,
        }
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
    } = pipeline::prepare(&args.records, &args.target, &args.reconcile)?;
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
            &pipeline::plan_header(&target),
            colour_allowed(std::io::stdout().is_terminal()),
        ),
        Output::Json => render::json(&plan, target.realm(), &target.describe()),
    };
    println!("{}", document.trim_end());
    if let Some(exit) = pipeline::conflicts_exit(&plan) {
        return Ok(exit);
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        Exit(2)
    } else {
        Exit::SUCCESS
    })
}
