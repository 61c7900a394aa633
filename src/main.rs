use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;

use clap::Parser;
use fedctl::cli::Command;

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
    let failure = failure_code(&cli.command);
    quiet_on_closed_pipes();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| fedctl::cli::run(cli)));
    match outcome {
        Ok(Ok(exit)) => ExitCode::from(exit.0),
        Ok(Err(error)) => {
            let code = error.exit_code();
            // The one place errors are rendered: typed errors from the library become
            // miette reports with their source snippets and help text.
            let _ = write_stderr(&format!("{:?}\n", miette::Report::new(error)));
            ExitCode::from(code)
        }
        // The reader went away (`fedctl certs | head -1`): nobody is left to tell, so end
        // with the command's documented failure status. Unwinding has already run the
        // destructors: temporary files are removed and locks released.
        Err(payload) if is_closed_pipe(payload.as_ref()) => ExitCode::from(failure),
        Err(payload) => panic::resume_unwind(payload),
    }
}

/// The status a command documents for "could not complete": `certs` is a monitoring plugin,
/// where anything but a verdict is UNKNOWN (3).
fn failure_code(command: &Command) -> u8 {
    match command {
        Command::Certs(_) => 3,
        _ => 1,
    }
}

/// `print!` panics when stdout or stderr is a closed pipe (Rust ignores SIGPIPE). Those
/// panics are the reader hanging up, not a bug: keep the default report for every other one.
fn quiet_on_closed_pipes() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !is_closed_pipe(info.payload()) {
            default(info);
        }
    }));
}

fn is_closed_pipe(payload: &(dyn std::any::Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    // std's message is "failed printing to stdout: Broken pipe (os error 32)".
    message.starts_with("failed printing to std") && message.to_lowercase().contains("broken pipe")
}

fn write_stderr(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    std::io::stderr().lock().write_all(text.as_bytes())
}
