use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // reqwest is built without a default TLS provider (no aws-lc); rustls needs one chosen
    // before the first client is built.
    let _ = rustls::crypto::ring::default_provider().install_default();
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
