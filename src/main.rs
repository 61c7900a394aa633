use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // reqwest is built without a default TLS provider (no aws-lc); rustls needs one chosen
    // before the first client is built.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match fedctl::cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(fedctl::cli::usage_exit_code(&args, &error));
        }
    };
    fedctl::logging::init(cli.verbose);
    match fedctl::commands::run(cli) {
        Ok(exit) => ExitCode::from(exit.0),
        Err(error) => {
            let code = error.exit_code();
            // The one place errors are rendered: typed errors from the library become
            // miette reports with their source snippets and help text.
            eprintln!("{:?}", miette::Report::new(error));
            ExitCode::from(code)
        }
    }
}
