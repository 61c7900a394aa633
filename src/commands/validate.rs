//! `fedctl validate`: check records and report every problem, located, in one run. Partner
//! metadata the records name is read (and fetched) too, so what plan would refuse or note
//! about it shows here first, on the record's own lines.

use std::io::Write;

use super::Exit;
use super::args::{RecordArgs, TlsArgs};
use crate::error::Error;
use crate::metadata_source::{self, PartnerMetadataError, Resolved};
use crate::record::problem::{Finding, plural};
use crate::record::{self, LoadedRecord, Problem, Validation};
use crate::runtime::block_on;

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
    let mut validation = record::check(&args.records.load_options());
    let metadata = metadata_problems(&validation.records, args);
    validation.add(metadata);
    validation.add(no_records(&validation, &args.records));
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

/// What reading each record's partner metadata found: errors plan would stop on, the
/// parser's findings on the partner's entity, and where record and metadata disagree.
fn metadata_problems(records: &[LoadedRecord], args: &Args) -> Vec<Problem> {
    let local_only: Vec<LoadedRecord>;
    let records = if args.offline {
        local_only = records
            .iter()
            .filter(|r| !metadata_source::names_url(r))
            .cloned()
            .collect();
        &local_only
    } else {
        records
    };
    let documents = block_on(metadata_source::load(records, &args.tls.fetch_options()));
    let options = metadata_source::Options {
        allow_expired: args.allow_expired_metadata,
        now: time::OffsetDateTime::now_utc(),
    };
    metadata_source::resolve_each(records, &documents, options)
        .into_iter()
        .flat_map(|(record, resolved)| match resolved {
            Ok(resolved) => metadata_warnings(record, &resolved),
            Err(error) => vec![metadata_error(record, &error)],
        })
        .collect()
}

/// An empty record set is an error: a typo in the path (or an empty checkout) must not pass
/// a CI gate, and `apply --prune` with it would delete every managed object.
fn no_records(validation: &Validation, args: &RecordArgs) -> Option<Problem> {
    let path = args.paths.first()?;
    (validation.files == 0 && validation.errors() == 0).then(|| {
        Problem::about_path(
            path,
            "no record files (*.yaml, *.yml) found",
            "give record files or directories holding them",
        )
    })
}

fn metadata_error(record: &LoadedRecord, error: &PartnerMetadataError) -> Problem {
    let message = format!("partner metadata {}: {}", error.location, error.problem);
    let finding = Finding::error(error.problem.field(), message);
    record.problem(match error.help {
        Some(help) => finding.with_help(help),
        None => finding,
    })
}

fn metadata_warnings(record: &LoadedRecord, resolved: &Resolved) -> Vec<Problem> {
    const FIELD: &str = "federation.technical.partner_metadata";
    let findings = resolved.findings.iter().map(|finding| {
        Finding::warning(FIELD, format!("partner metadata: {finding}"))
            .with_help("ask the partner to correct their metadata")
    });
    let notes = crate::desired::metadata_notes(&record.record.federation, &resolved.settings)
        .into_iter()
        .map(|note| Finding::warning(FIELD, note));
    findings
        .chain(notes)
        .map(|finding| record.problem(finding))
        .collect()
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
