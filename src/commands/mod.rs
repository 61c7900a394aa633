//! One module per subcommand. Commands are thin: they wire loading, the pure pipeline and a
//! target together, and return an exit status; errors are rendered once, in `main`.

pub mod apply;
pub mod args;
pub mod certs;
pub mod completions;
pub mod export_metadata;
pub mod new;
pub mod pipeline;
pub mod plan;
pub mod review;
pub mod validate;
pub mod verify;

use crate::cli::{Cli, Command};
use crate::error::Error;

/// Process exit status of a command that ran to completion (errors exit 1 from `main`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit(pub u8);

impl Exit {
    pub const SUCCESS: Exit = Exit(0);
}

pub fn run(mut cli: Cli) -> Result<Exit, Error> {
    if let Some(records) = record_args(&mut cli.command) {
        records.fill_default_paths(&|name| std::env::var(name).ok())?;
    }
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Apply(args) => apply::run(&args),
        Command::New(args) => new::run(&args),
        Command::Certs(args) => certs::run(&args),
        Command::Review(args) => review::run(&args),
        Command::ExportMetadata(args) => export_metadata::run(&args),
        Command::Completions(args) => Ok(completions::run(&args)),
        Command::Verify(args) => verify::run(&args),
    }
}

/// The records a command reads, for the commands that read records.
fn record_args(command: &mut Command) -> Option<&mut args::RecordArgs> {
    match command {
        Command::Validate(args) => Some(&mut args.records),
        Command::Plan(args) => Some(&mut args.records),
        Command::Apply(args) => Some(&mut args.records),
        Command::Certs(args) => Some(&mut args.records),
        Command::Review(args) => Some(&mut args.records),
        Command::ExportMetadata(args) => Some(&mut args.records),
        Command::Verify(args) => Some(&mut args.records),
        Command::New(_) | Command::Completions(_) => None,
    }
}
