//! `fedctl review`: the access review of every federation (who can sign in, how, when the
//! review is due, findings), or — with `--mark-reviewed` — recording a completed review.

use std::path::{Path, PathBuf};

use crate::commands::Exit;
use crate::commands::args::{RecordArgs, TargetArgs};
use crate::error::Error;
use crate::fsutil::{self, Mode};
use crate::record::IsoDate;
use crate::review::run::{Marked, ReviewOptions};
use crate::review::{self, FindingKind, Format, Report, ReviewError};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub records: RecordArgs,

    #[command(flatten)]
    pub target: TargetArgs,

    /// Take DATE (YYYY-MM-DD) as today, for reproducible reports. With --mark-reviewed, the
    /// latest review date accepted.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<IsoDate>,

    /// Sign-off sheet (markdown), one row per user and federation (csv), or the whole report (json).
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub output: Format,

    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Exit 1 when there are findings of these kinds (comma-separated), for CI.
    #[arg(long, value_name = "LIST", value_enum, value_delimiter = ',')]
    pub fail_on: Vec<FindingKind>,

    /// Record a completed review: set access_control.last_reviewed in this record file to
    /// --date (default: today), changing nothing else in the file.
    #[arg(
        long,
        value_name = "PATH",
        conflicts_with_all = ["paths", "realm_file", "out", "fail_on"]
    )]
    pub mark_reviewed: Option<PathBuf>,

    /// Date the review was completed (YYYY-MM-DD); not after today [default: today, or
    /// --as-of].
    #[arg(long, value_name = "DATE", requires = "mark_reviewed")]
    pub date: Option<IsoDate>,
}

pub fn run(args: &Args) -> Result<Exit, Error> {
    let today = args.as_of.unwrap_or_else(today);
    if let Some(path) = &args.mark_reviewed {
        // A review is usually recorded the day it is signed.
        return mark_reviewed(path, args.date.unwrap_or(today), today, &args.records);
    }
    let report = review::run::review(&ReviewOptions {
        load: args.records.load_options(),
        target: args.target.choice(),
        as_of: today,
    })?;
    emit(&review::render(&report, args.output), args.out.as_deref())?;
    Ok(exit_status(&report, &args.fail_on))
}

fn emit(text: &str, out: Option<&Path>) -> Result<(), Error> {
    match out {
        Some(path) => {
            fsutil::write_atomic(path, text.as_bytes(), Mode::KeepExisting)
                .map_err(ReviewError::from)?;
            eprintln!("review written to {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// 1 when findings of a `--fail-on` kind exist, with a count per kind on stderr.
fn exit_status(report: &Report, fail_on: &[FindingKind]) -> Exit {
    let mut counts = std::collections::BTreeMap::<FindingKind, usize>::new();
    let failing = report
        .federations
        .iter()
        .flat_map(|f| &f.findings)
        .filter(|finding| fail_on.contains(&finding.kind));
    for finding in failing {
        *counts.entry(finding.kind).or_default() += 1;
    }
    if counts.is_empty() {
        return Exit::SUCCESS;
    }
    let summary: Vec<String> = counts
        .iter()
        .map(|(kind, n)| format!("{}: {n}", kind.name()))
        .collect();
    eprintln!("review: findings match --fail-on ({})", summary.join(", "));
    Exit(1)
}

fn mark_reviewed(
    path: &Path,
    date: IsoDate,
    today: IsoDate,
    records: &RecordArgs,
) -> Result<Exit, Error> {
    let profile = records.attribute_profile.clone();
    match review::run::mark_reviewed(path, date, today, profile)? {
        Marked::AlreadySet => eprintln!("{}: last_reviewed is already {date}", path.display()),
        Marked::Set => eprintln!("{}: last_reviewed set to {date}", path.display()),
    }
    Ok(Exit::SUCCESS)
}

/// Today in local time (UTC when the local offset cannot be determined).
fn today() -> IsoDate {
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    IsoDate(now.date())
}
