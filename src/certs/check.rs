//! The whole certificate check as a library call: read the records, the realm (an export,
//! or a live Keycloak's admin API: [`super::live`]) and metadata files, collect, evaluate.
//! A source that cannot be read is reported (UNKNOWN, `fedctl_cert_source_up 0`) and the
//! check goes on; only unusable options and records that do not load are errors.

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use time::OffsetDateTime;

use super::live;
use super::model::{Inventory, Report, SourceStatus, Thresholds};
use super::sources::metadata;
use super::sources::realm::{self, RealmSnapshot};
use super::sources::{self, RecordRef};
use super::thresholds::TimeArgError;
use crate::fsutil::WriteError;
use crate::keycloak::realm_file::RealmFile;
use crate::metadata_source::{Documents, FetchOptions, Location};
use crate::record::{self, LoadOptions, LoadedRecord, RecordErrors};
use crate::runtime::block_on;
use crate::target::{self, Target, TargetChoice, TargetError};

/// What to check, and how.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub load: LoadOptions,
    /// The record path is the default one, not given: a missing default directory is no error
    /// when a target or metadata gives the check something to do.
    pub records_defaulted: bool,
    pub target: TargetChoice,
    /// SAML metadata files or URLs whose every certificate is checked.
    pub metadata: Vec<String>,
    pub fetch: FetchOptions,
    pub thresholds: Thresholds,
    pub as_of: OffsetDateTime,
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

/// Reads every source the options name and judges each certificate found.
pub fn check(options: &CheckOptions) -> Result<Report, CertsError> {
    let has_target = options.target.names_a_target();
    let records = load_records(options, has_target || !options.metadata.is_empty())?;
    if records.is_empty() && !has_target && options.metadata.is_empty() {
        return Err(CertsError::NothingToCheck);
    }
    let records_realm = records.iter().find_map(LoadedRecord::realm);
    let realm = realm_source(&options.target, records_realm)?;
    let inventory = collect(
        &options.load.paths,
        &records,
        records_realm,
        realm,
        &options.metadata,
        &options.fetch,
    );
    Ok(super::evaluate(
        inventory,
        options.thresholds,
        options.as_of,
    ))
}

/// Where the realm's keys and the partners' certificates Keycloak holds are read from.
enum RealmSource<'a> {
    File(&'a Path),
    AdminApi(Box<live::AdminApi>),
}

/// The realm the arguments name, if any; a realm export wins over a live Keycloak, as in
/// every command, so an exported `KEYCLOAK_URL` never gets in the way.
fn realm_source<'a>(
    target: &'a TargetChoice,
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
fn load_records(options: &CheckOptions, optional: bool) -> Result<Vec<LoadedRecord>, CertsError> {
    let default_missing = options.records_defaulted && !options.load.paths[0].exists();
    if optional && default_missing {
        return Ok(Vec::new());
    }
    Ok(record::load(&options.load)?.records)
}

fn collect(
    record_paths: &[PathBuf],
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
            .push(SourceStatus::up("records", join_paths(record_paths)));
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
            Err(e) => inventory.extend(Inventory::source_down("metadata", text, e)),
        }
    }
    for text in metadata_args {
        match Location::of_argument(text) {
            Ok(location) => wanted.push((None, location)),
            Err(e) => inventory.extend(Inventory::source_down("metadata", text, e)),
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
                    Inventory::source_down("metadata", format!("{name} ({})", reference.id), e)
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
        Err(e) => Inventory::source_down("realm-file", location, e),
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
