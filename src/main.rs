use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = fedctl::cli::Cli::parse();
    fedctl::logging::init(cli.verbose);
    match fedctl::commands::run(cli) {
        Ok(exit) => ExitCode::from(exit.0),
        Err(error) => {
            // The one place errors are rendered: typed errors from the library become
            // miette reports with their source snippets and help text.
            eprintln!("{:?}", miette::Report::new(error));
            ExitCode::from(1)
        }
    }
}
