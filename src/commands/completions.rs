//! `fedctl completions SHELL`: shell completions generated from the command-line definition,
//! so they always match the installed fedctl.

use clap_complete::Shell;

use super::Exit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `command` is fedctl's whole command line, which the caller owns (the `cli` module sits
/// above the commands).
pub fn run(args: &Args, mut command: clap::Command) -> Exit {
    clap_complete::generate(args.shell, &mut command, "fedctl", &mut std::io::stdout());
    Exit::SUCCESS
}
