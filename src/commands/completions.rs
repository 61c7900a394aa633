//! `fedctl completions SHELL`: shell completions generated from the command-line definition,
//! so they always match the installed fedctl.

use clap::CommandFactory;
use clap_complete::Shell;

use super::Exit;
use crate::cli::Cli;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: &Args) -> Exit {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "fedctl", &mut std::io::stdout());
    Exit::SUCCESS
}
