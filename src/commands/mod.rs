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

use crate::cli::{Cli, Command};
use crate::error::Error;

/// Process exit status of a command that ran to completion (errors exit 1 from `main`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit(pub u8);

impl Exit {
    pub const SUCCESS: Exit = Exit(0);
}

pub fn run(cli: Cli) -> Result<Exit, Error> {
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Apply(args) => apply::run(&args),
        Command::New(args) => new::run(&args),
        Command::Certs(args) => certs::run(&args),
        Command::Review(args) => review::run(&args),
        Command::ExportMetadata(args) => export_metadata::run(&args),
        Command::Completions(args) => Ok(completions::run(&args)),
    }
}
