//! `fedctl rollover stage|status|promote|retire`: renew our realm's signing certificate
//! across every outbound federation. Turns the arguments into [`RolloverOptions`], shows the
//! plan [`rollover::prepare`] makes, asks, and has [`rollover::apply`] make it.

use std::io::IsTerminal;
use std::time::Duration;

use super::Exit;
use super::args::{RecordArgs, TargetArgs};
use super::plan::Output;
use crate::error::Error;
use crate::rollover::{self, RolloverOptions, Step, render};
use crate::target::Target;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub step: StepArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum StepArgs {
    /// Add a new RS256 signing key that is published (IdP metadata, JWKS) but does not sign
    /// yet, so that partners can be handed it first.
    Stage(ChangeArgs),
    /// Every outbound federation: does its record confirm the new certificate? Exit 1 while
    /// any is unconfirmed.
    Status(StatusArgs),
    /// Make the staged key the signer; the old one stays published (passive). Refused while
    /// a federation is unconfirmed, unless --force names it.
    Promote(PromoteArgs),
    /// Disable the old key (no longer published); run again later to remove it. Refused while
    /// a record still states the old certificate's expiry.
    Retire(ChangeArgs),
}

impl StepArgs {
    /// The records every step reads (the realm, and the federations to judge).
    pub fn records_mut(&mut self) -> &mut RecordArgs {
        match self {
            StepArgs::Stage(a) | StepArgs::Retire(a) => &mut a.records,
            StepArgs::Promote(a) => &mut a.change.records,
            StepArgs::Status(a) => &mut a.records,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ChangeArgs {
    #[command(flatten)]
    pub records: RecordArgs,

    #[command(flatten)]
    pub target: TargetArgs,

    /// Apply without asking. Required when not on a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Allow changing a key provider fedctl did not create: the old signer's active state
    /// (promote) and disabling and removing it (retire).
    #[arg(long)]
    pub adopt_keys: bool,

    /// Seconds to wait for another fedctl run that is changing the same realm file.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub lock_timeout: u64,
}

#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    #[command(flatten)]
    pub change: ChangeArgs,

    /// Promote even though these federations (record names, the file name without .yaml)
    /// are unconfirmed: their partners' sign-ins fail until they trust the new certificate.
    #[arg(long, value_name = "NAME", num_args = 1..)]
    pub force: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub records: RecordArgs,

    #[command(flatten)]
    pub target: TargetArgs,

    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

pub fn run(args: &Args) -> Result<Exit, Error> {
    match &args.step {
        StepArgs::Stage(a) => change(Step::Stage, a, Vec::new()),
        StepArgs::Promote(a) => change(Step::Promote, &a.change, a.force.clone()),
        StepArgs::Retire(a) => change(Step::Retire, a, Vec::new()),
        StepArgs::Status(a) => status(a),
    }
}

fn status(args: &StatusArgs) -> Result<Exit, Error> {
    let status = rollover::status(&args.records.load_options(), &args.target.choice())?;
    match args.output {
        Output::Text => print!("{}", render::status_text(&status)),
        Output::Json => println!("{}", render::status_json(&status)),
    }
    Ok(if status.unconfirmed().next().is_some() {
        Exit(1)
    } else {
        Exit::SUCCESS
    })
}

fn change(step: Step, args: &ChangeArgs, force: Vec<String>) -> Result<Exit, Error> {
    let options = RolloverOptions {
        load: args.records.load_options(),
        target: args.target.choice(),
        lock_timeout: Duration::from_secs(args.lock_timeout),
        force,
    };
    let prepared = rollover::prepare(step, &options)?;
    let target = &prepared.target;
    let header = format!(
        "Rollover {step} for realm {} ({})",
        target.realm(),
        target.describe()
    );
    println!("{}", render::plan_text(&prepared.plan, &header).trim_end());
    prepared.plan.check_adoption(args.adopt_keys)?;
    if prepared.plan.changes.is_empty() {
        return Ok(Exit::SUCCESS);
    }
    if !args.yes && !super::apply::confirm(target)? {
        println!("Rollover cancelled; nothing was changed.");
        return Ok(Exit(1));
    }
    rollover::apply(&prepared)?;
    println!(
        "Done: {} key provider change(s).",
        prepared.plan.changes.len()
    );
    if step == Step::Stage && std::io::stdout().is_terminal() {
        println!("Next: hand partners the new metadata with `fedctl export-metadata`.");
    }
    Ok(Exit::SUCCESS)
}
