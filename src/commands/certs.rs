//! `fedctl certs`: the certificate-expiry check, run from cron, CI or a Kubernetes CronJob.
//!
//! The imperative shell around [`crate::certs`]: reads records, the realm (an export, or a
//! live Keycloak's admin API: [`live`]) and metadata files, hands them to collection,
//! evaluates, prints, and writes the Prometheus textfile. Exit codes
//! follow the monitoring-plugin convention: 0 OK, 1 WARNING, 2 CRITICAL (expired included),
//! 3 UNKNOWN. A source that cannot be read is reported (UNKNOWN, `fedctl_cert_source_up 0`)
//! and the run goes on; invalid arguments and records that do not load also exit 3 (see
//! [`crate::error::Error::exit_code`]).

mod live;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use miette::Diagnostic;
use time::{Duration, OffsetDateTime};

use super::Exit;
use super::args::{RecordArgs, TargetArgs};
use super::pipeline::block_on;
use crate::certs::model::{Inventory, SourceStatus};
use crate::certs::render;
use crate::certs::sources::metadata;
use crate::certs::sources::realm::{self, RealmSnapshot};
use crate::certs::sources::{self, RecordRef};
use crate::certs::thresholds::{self, TimeArgError};
use crate::error::Error;
use crate::fsutil::{self, WriteError};
use crate::keycloak::realm_file::RealmFile;
use crate::metadata_source::{Documents, FetchOptions, Location};
use crate::record::{self, LoadedRecord, RecordErrors};
use crate::target::{self, Target, TargetError};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub records: RecordArgs,

    #[command(flatten)]
    pub target: TargetArgs,

    /// WARNING when a certificate expires within this time (s, m, h, d or w: 30d, 12h, 2w).
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = thresholds::parse_duration)]
    pub warn: Duration,

    /// CRITICAL when a certificate expires within this time (at most --warn).
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = thresholds::parse_duration)]
    pub critical: Duration,

    /// Evaluate as of this date (midnight UTC) or RFC 3339 instant instead of now.
    #[arg(long, value_name = "DATE|RFC3339", value_parser = thresholds::parse_instant)]
    pub as_of: Option<OffsetDateTime>,

    /// SAML metadata (an entity or an aggregate; a file, or an https URL to fetch) whose
    /// every certificate is checked. Repeatable.
    #[arg(long, value_name = "FILE|URL")]
    pub metadata: Vec<String>,

    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,

    /// Also write the Prometheus metrics to this file, atomically (node_exporter textfile
    /// collector: a `*.prom` file in its --collector.textfile.directory).
    #[arg(long, value_name = "PATH")]
    pub prometheus_file: Option<PathBuf>,

    /// Text report: every column (partner, SHA-256) in full, however wide. By default the
    /// table fits 120 columns; `--output json` has every detail.
    #[arg(long)]
    pub wide: bool,
}

fn layout(wide: bool) -> render::text::Layout {
    if wide {
        render::text::Layout::Wide
    } else {
        render::text::Layout::Narrow
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
    Prometheus,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum CertsError {
    #[error(transparent)]
    #[diagnostic(code(fedctl::certs::usage))]
    Time(#[from] TimeArgError),

    /// The target arguments themselves are unusable (a bad URL, an unknown named target, no
    /// realm): nothing was read yet, so there is no source to report down.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Target(#[from] TargetError),

    #[error("nothing to check: no records, no target and no --metadata")]
    #[diagnostic(
        code(fedctl::certs::nothing),
        help("give record paths, --realm-file PATH, --url URL or --metadata FILE")
    )]
    NothingToCheck,

    #[error(transparent)]
    #[diagnostic(transparent)]
    Records(#[from] RecordErrors),

    #[error(transparent)]
    #[diagnostic(code(fedctl::certs::write))]
    Write(#[from] WriteError),

    #[error("cannot write the report to stdout")]
    #[diagnostic(code(fedctl::certs::stdout))]
    Stdout(#[source] std::io::Error),
}

pub fn run(args: &Args) -> Result<Exit, Error> {
    let thresholds = thresholds::thresholds(args.warn, args.critical).map_err(CertsError::from)?;
    let as_of = args.as_of.unwrap_or_else(OffsetDateTime::now_utc);
    let has_target = names_a_target(&args.target);
    let records = load_records(&args.records, has_target || !args.metadata.is_empty())?;
    if records.is_empty() && !has_target && args.metadata.is_empty() {
        return Err(CertsError::NothingToCheck.into());
    }
    let records_realm = records.iter().find_map(LoadedRecord::realm);
    let realm = realm_source(&args.target, records_realm).map_err(CertsError::from)?;

    let fetch = args.target.tls.fetch_options();
    let inventory = collect(
        &args.records,
        &records,
        records_realm,
        realm,
        &args.metadata,
        &fetch,
    );
    let report = crate::certs::evaluate(inventory, thresholds, as_of);

    let stdout = match args.output {
        Output::Text => render::text::render(&report, use_color(), layout(args.wide)),
        Output::Json => render::json::render(&report),
        Output::Prometheus => render::prometheus::render(&report),
    };
    std::io::stdout()
        .write_all(stdout.as_bytes())
        .map_err(CertsError::Stdout)?;
    if let Some(path) = &args.prometheus_file {
        let metrics = render::prometheus::render(&report);
        fsutil::write_atomic(path, metrics.as_bytes(), fsutil::Mode::KeepExisting)
            .map_err(CertsError::from)?;
    }
    Ok(Exit(report.status().exit_code()))
}

/// Where the realm's keys and the partners' certificates Keycloak holds are read from.
enum RealmSource<'a> {
    File(&'a Path),
    AdminApi(Box<live::AdminApi>),
}

/// Whether the arguments (or `KEYCLOAK_URL`) name a realm to read: then records are optional.
fn names_a_target(target: &TargetArgs) -> bool {
    target.realm_file.is_some() || target.url.is_some() || target.target.is_some()
}

/// The realm the arguments name, if any; a realm export wins over a live Keycloak, as in
/// every command, so an exported `KEYCLOAK_URL` never gets in the way.
fn realm_source<'a>(
    target: &'a TargetArgs,
    records_realm: Option<&str>,
) -> Result<Option<RealmSource<'a>>, TargetError> {
    if let Some(path) = &target.realm_file {
        return Ok(Some(RealmSource::File(path)));
    }
    let api = live::AdminApi::named(target, records_realm)?;
    Ok(api.map(|api| RealmSource::AdminApi(Box::new(api))))
}

/// Records are optional when a target or metadata gives the check something to do: then the
/// default path `federations` may be missing. Paths given explicitly must exist.
fn load_records(args: &RecordArgs, optional: bool) -> Result<Vec<LoadedRecord>, CertsError> {
    let default_missing = args.paths.len() == 1
        && args.paths[0] == Path::new(super::args::DEFAULT_RECORDS)
        && !args.paths[0].exists();
    if optional && default_missing {
        return Ok(Vec::new());
    }
    Ok(record::load(&args.load_options())?.records)
}

fn collect(
    record_args: &RecordArgs,
    records: &[LoadedRecord],
    records_realm: Option<&str>,
    realm: Option<RealmSource<'_>>,
    metadata_args: &[String],
    fetch: &FetchOptions,
) -> Inventory {
    let refs: Vec<RecordRef<'_>> = records
        .iter()
        .map(|r| RecordRef {
            id: &r.id,
            federation: &r.record.federation,
        })
        .collect();
    let mut inventory = Inventory {
        stated: sources::stated_expiries(&refs),
        ..Inventory::default()
    };
    if !records.is_empty() {
        inventory
            .sources
            .push(SourceStatus::up("records", join_paths(&record_args.paths)));
    }
    match realm {
        Some(RealmSource::File(path)) => {
            inventory.extend(collect_realm_file(path, records_realm, &refs));
        }
        Some(RealmSource::AdminApi(api)) => inventory.extend(api.collect(records_realm, &refs)),
        None => {}
    }
    inventory.extend(collect_metadata(records, &refs, metadata_args, fetch));
    inventory
}

/// Certificates of the records' `partner_metadata` and of `--metadata`. Each document is read
/// once however many records point into it, and its status is reported once.
fn collect_metadata(
    records: &[LoadedRecord],
    refs: &[RecordRef<'_>],
    metadata_args: &[String],
    fetch: &FetchOptions,
) -> Inventory {
    let mut inventory = Inventory::default();
    let mut wanted = Vec::new();
    for (record, reference) in records.iter().zip(refs) {
        let Some(text) = &record.record.federation.technical.partner_metadata else {
            continue;
        };
        match Location::of_record(&record.path, text) {
            Ok(location) => wanted.push((Some(reference), location)),
            Err(e) => inventory.extend(source_down("metadata", text, e)),
        }
    }
    for text in metadata_args {
        match Location::of_argument(text) {
            Ok(location) => wanted.push((None, location)),
            Err(e) => inventory.extend(source_down("metadata", text, e)),
        }
    }
    let documents = block_on(Documents::load(
        wanted.iter().map(|(_, location)| location.clone()),
        fetch,
    ));
    for (reference, location) in &wanted {
        // A document that cannot be read is reported by its status below.
        let Ok(document) = documents.get(location) else {
            continue;
        };
        let name = location.to_string();
        inventory.extend(match reference {
            None => metadata::collect_file(&document.metadata, &name),
            Some(reference) => metadata::collect_record(&document.metadata, &name, reference)
                .unwrap_or_else(|e| {
                    source_down("metadata", format!("{name} ({})", reference.id), e)
                }),
        });
    }
    inventory
        .sources
        .extend(documents.statuses().map(|(location, status)| match status {
            Ok(()) => SourceStatus::up("metadata", location.to_string()),
            Err(e) => SourceStatus::down("metadata", location.to_string(), error_chain(e)),
        }));
    inventory
}

fn collect_realm_file(
    path: &Path,
    records_realm: Option<&str>,
    refs: &[RecordRef<'_>],
) -> Inventory {
    let location = path.display().to_string();
    // Realm keys would be reported against the wrong federations if the records were for
    // another realm.
    let snapshot = RealmFile::open(path)
        .and_then(|file| target::check_realm(records_realm, file.realm()).map(|()| file.document()))
        .map_err(|e| error_chain(&e))
        .and_then(|document| RealmSnapshot::from_export(&document).map_err(|e| error_chain(&e)));
    match snapshot {
        Ok(snapshot) => Inventory {
            certificates: realm::collect(&snapshot, refs),
            sources: vec![SourceStatus::up("realm-file", location)],
            ..Inventory::default()
        },
        Err(e) => source_down("realm-file", location, e),
    }
}

fn source_down(
    source: &'static str,
    location: impl Into<String>,
    error: impl std::fmt::Display,
) -> Inventory {
    Inventory {
        sources: vec![SourceStatus::down(source, location, error)],
        ..Inventory::default()
    }
}

/// An error and its causes on one line, for a source's status.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Colours only for a terminal, and never when `NO_COLOR` is set to something.
fn use_color() -> bool {
    crate::printable::colour_allowed(std::io::stdout().is_terminal())
}
