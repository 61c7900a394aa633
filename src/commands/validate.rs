//! `fedctl validate`: check records and report every problem, located, in one run
//! ([`crate::pipeline::validate`]), as diagnostics or as one JSON document.

use std::io::Write;

use super::Exit;
use super::args::{RecordArgs, TlsArgs};
use crate::error::Error;
use crate::pipeline::validate::{ValidateOptions, validate};
use crate::record::problem::plural;
use crate::record::{self, Validation};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub records: RecordArgs,

    /// Accept partner metadata whose validUntil has passed (as plan and apply would with it).
    #[arg(long)]
    pub allow_expired_metadata: bool,

    /// Do not fetch partner metadata from URLs (files are still read), e.g. in CI without
    /// network access.
    #[arg(long)]
    pub offline: bool,

    #[command(flatten)]
    pub tls: TlsArgs,

    /// `text`: diagnostics with source snippets on stderr and a summary line; `json`: one
    /// document on stdout with every problem (file, line, column, field, message, help, severity).
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
}

/// Exit 1 when any record has an error, or when there are no records; warnings alone exit 0.
pub fn run(args: &Args) -> Result<Exit, Error> {
    let validation = validate(&ValidateOptions {
        load: args.records.load_options(),
        fetch: args.tls.fetch_options(),
        offline: args.offline,
        allow_expired_metadata: args.allow_expired_metadata,
    });
    match args.output {
        Output::Text => print_text(&validation),
        Output::Json => print_json(&validation),
    }
    .map_err(|e| Error::Usage(format!("cannot write the report: {e}")))?;
    Ok(if validation.errors() > 0 {
        Exit(1)
    } else {
        Exit::SUCCESS
    })
}

fn print_text(validation: &Validation) -> std::io::Result<()> {
    let mut stderr = std::io::stderr().lock();
    for problem in &validation.problems {
        writeln!(stderr, "{:?}", miette::Report::new(problem.clone()))?;
    }
    writeln!(std::io::stdout().lock(), "{}", summary(validation))
}

fn print_json(validation: &Validation) -> std::io::Result<()> {
    let document = serde_json::json!({
        "records": validation.files,
        "errors": validation.errors(),
        "warnings": validation.warnings(),
        "problems": validation.problems.iter().map(record::Problem::to_json).collect::<Vec<_>>(),
    });
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &document)?;
    writeln!(stdout)
}

/// `3 records, 2 errors, 1 warning`.
fn summary(validation: &Validation) -> String {
    let (files, errors, warnings) = (validation.files, validation.errors(), validation.warnings());
    format!(
        "{files} {}, {errors} {}, {warnings} {}",
        plural(files, "record", "records"),
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
    )
}
