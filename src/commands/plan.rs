//! `fedctl plan`: show what apply would change.

use super::Exit;
use super::args::{RecordArgs, TargetArgs};
use super::pipeline::{self, Prepared};
use crate::error::Error;
use crate::reconcile::{DiffOptions, render};
use crate::target::Target;

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

    /// Exit 2 when the plan has changes (0: none, 1: error), like `terraform plan`.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ReconcileArgs {
    /// Delete objects fedctl created for records that no longer exist (never anything else).
    #[arg(long)]
    pub prune: bool,

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

    pub fn options(&self) -> DiffOptions {
        DiffOptions {
            prune: self.prune,
            adopt: self.adopt,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
}

pub fn run(args: &Args) -> Result<Exit, Error> {
    let Prepared { target, plan, .. } =
        pipeline::prepare(&args.records, &args.target, &args.reconcile)?;
    let document = match args.output {
        Output::Text => render::text(&plan, &pipeline::plan_header(&target)),
        Output::Json => render::json(&plan, target.realm(), &target.describe()),
    };
    println!("{}", document.trim_end());
    Ok(if args.detailed_exitcode && plan.has_changes() {
        Exit(2)
    } else {
        Exit::SUCCESS
    })
}
