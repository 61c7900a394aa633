//! `fedctl review`: the access review of every federation (who can sign in, how, when the
//! review is due, findings), or — with `--mark-reviewed` — recording a completed review.

use std::path::{Path, PathBuf};

use crate::commands::Exit;
use crate::commands::args::{RecordArgs, TargetArgs};
use crate::error::Error;
use crate::fsutil::{self, Mode};
use crate::pipeline::{AnyTarget, open_target, records_realm};
use crate::record::{self, IsoDate};
use crate::review::live::LiveError;
use crate::review::{self, Directory, FindingKind, Format, Report, ReviewError, Reviewer, Subject};
use crate::runtime::block_on;
use crate::target::Target;

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
    let set = record::load(&args.records.load_options())?;
    let subjects: Vec<Subject<'_>> = set
        .records
        .iter()
        .map(|r| Subject {
            record: &r.id,
            file: &r.path,
            federation: &r.record.federation,
        })
        .collect();
    if let Some(path) = &args.target.realm_file
        && !path.exists()
    {
        return Err(read_error(path, std::io::ErrorKind::NotFound.into()));
    }
    let target = open_target(&args.target.choice(), records_realm(&set).as_deref(), None)?;
    let directory = directory(&target, &review::scope(&subjects))?;
    let report = Report {
        format: review::report::FORMAT,
        as_of: today,
        realm: target.realm().to_owned(),
        source: target.describe(),
        caveats: directory.caveats.clone(),
        federations: {
            let reviewer = Reviewer::new(&directory);
            (subjects.iter())
                .map(|subject| reviewer.review(subject, today.0))
                .collect()
        },
    };
    emit(&review::render(&report, args.output), args.out.as_deref())?;
    Ok(exit_status(&report, &args.fail_on))
}

/// The facts for `scope` from whichever target was opened.
fn directory(target: &AnyTarget, scope: &review::Scope) -> Result<Directory, Error> {
    let collect_error = |source| {
        Error::from(ReviewError::Collect {
            source_name: target.describe(),
            source,
        })
    };
    match target {
        // A realm file holds the whole realm: the scope needs no narrowing.
        AnyTarget::File(file) => {
            review::collect::from_realm_export(&file.document()).map_err(collect_error)
        }
        AnyTarget::Keycloak(keycloak) => block_on(review::live::collect(keycloak.client(), scope))
            .map_err(|error| match error {
                LiveError::Api(error) => Error::Target(error.into()),
                LiveError::Collect(source) => collect_error(source),
            }),
    }
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
    let mark_error = |source| ReviewError::Mark {
        path: path.to_owned(),
        source,
    };
    review::mark::check_date(date, today).map_err(mark_error)?;
    // The loader's validation decides what a valid record is; only then is the file edited.
    let set = record::load(&record::LoadOptions {
        paths: vec![path.to_owned()],
        attribute_profile: records.attribute_profile.clone(),
    })?;
    if set.records.len() != 1 || !path.is_file() {
        return Err(Error::Usage(format!(
            "--mark-reviewed takes one record file (*.yaml or *.yml), not {}",
            path.display()
        )));
    }
    let text = crate::input::read_to_string(path).map_err(|e| read_error(path, e))?;
    let edited = review::mark::set_last_reviewed(&text, date).map_err(mark_error)?;
    if edited == text {
        eprintln!("{}: last_reviewed is already {date}", path.display());
    } else {
        fsutil::write_atomic(path, edited.as_bytes(), Mode::KeepExisting)
            .map_err(ReviewError::from)?;
        eprintln!("{}: last_reviewed set to {date}", path.display());
    }
    Ok(Exit::SUCCESS)
}

fn read_error(path: &Path, source: std::io::Error) -> Error {
    ReviewError::Read {
        path: path.to_owned(),
        source,
    }
    .into()
}

/// Today in local time (UTC when the local offset cannot be determined).
fn today() -> IsoDate {
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    IsoDate(now.date())
}
