//! `validate` as a library call: every problem of the records, and of the partner metadata
//! they name (read, and fetched unless offline), so what plan would refuse or note about it
//! shows first, on the record's own lines.

use crate::metadata_source::{self, FetchOptions, PartnerMetadataError, Resolved};
use crate::record::problem::Finding;
use crate::record::{self, LoadOptions, LoadedRecord, Problem, Validation};
use crate::runtime::block_on;

#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    pub load: LoadOptions,
    pub fetch: FetchOptions,
    /// Do not fetch partner metadata from URLs (files are still read).
    pub offline: bool,
    /// Accept partner metadata whose validUntil has passed (as plan and apply would with it).
    pub allow_expired_metadata: bool,
}

/// Every problem found, ordered by file, line and column. No records at all is an error.
pub fn validate(options: &ValidateOptions) -> Validation {
    let mut validation = record::check(&options.load);
    let metadata = metadata_problems(&validation.records, options);
    validation.add(metadata);
    validation.add(no_records(&validation, &options.load));
    validation
}

/// What reading each record's partner metadata found: errors plan would stop on, the
/// parser's findings on the partner's entity, and where record and metadata disagree.
fn metadata_problems(records: &[LoadedRecord], options: &ValidateOptions) -> Vec<Problem> {
    let local_only: Vec<LoadedRecord>;
    let records = if options.offline {
        local_only = records
            .iter()
            .filter(|r| !metadata_source::names_url(r))
            .cloned()
            .collect();
        &local_only
    } else {
        records
    };
    let documents = block_on(metadata_source::load(records, &options.fetch));
    let options = metadata_source::Options {
        allow_expired: options.allow_expired_metadata,
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
fn no_records(validation: &Validation, options: &LoadOptions) -> Option<Problem> {
    let path = options.paths.first()?;
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
