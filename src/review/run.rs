//! A review as a library call: the report for the records against a target, and recording
//! a signed-off review in a record file.

use std::path::{Path, PathBuf};

use super::live::LiveError;
use super::{Directory, Report, ReviewError, Reviewer, Subject};
use crate::fsutil::{self, Mode};
use crate::pipeline::{AnyTarget, open_target, records_realm};
use crate::record::{self, IsoDate, LoadOptions};
use crate::runtime::block_on;
use crate::target::{Target, TargetChoice};

#[derive(Debug, Clone)]
pub struct ReviewOptions {
    pub load: LoadOptions,
    pub target: TargetChoice,
    /// The day the review is for (overdue reviews, access granted since).
    pub as_of: IsoDate,
}

/// Who can reach each federation's application, by the records and the target's users.
pub fn review(options: &ReviewOptions) -> Result<Report, ReviewError> {
    let set = record::load(&options.load)?;
    let subjects: Vec<Subject<'_>> = set
        .records
        .iter()
        .map(|r| Subject {
            record: &r.id,
            file: &r.path,
            federation: &r.record.federation,
        })
        .collect();
    if let Some(path) = &options.target.realm_file
        && !path.exists()
    {
        return Err(ReviewError::Read {
            path: path.clone(),
            source: std::io::ErrorKind::NotFound.into(),
        });
    }
    let target = open_target(&options.target, records_realm(&set).as_deref(), None)?;
    let directory = directory(&target, &super::scope(&subjects))?;
    let today = options.as_of;
    Ok(Report {
        format: super::report::FORMAT,
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
    })
}

/// The facts for `scope` from whichever target was opened.
fn directory(target: &AnyTarget, scope: &super::Scope) -> Result<Directory, ReviewError> {
    let collect_error = |source| ReviewError::Collect {
        source_name: target.describe(),
        source,
    };
    match target {
        // A realm file holds the whole realm: the scope needs no narrowing.
        AnyTarget::File(file) => {
            super::collect::from_realm_export(&file.document()).map_err(collect_error)
        }
        AnyTarget::Keycloak(keycloak) => block_on(super::live::collect(keycloak.client(), scope))
            .map_err(|error| match error {
                LiveError::Api(error) => ReviewError::Target(error.into()),
                LiveError::Collect(source) => collect_error(source),
            }),
    }
}

/// Whether recording a review changed the record file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marked {
    Set,
    AlreadySet,
}

/// Sets `last_reviewed: date` in the one record file at `path`, keeping everything else of
/// the file as it is. The loader's validation decides what a valid record is first.
pub fn mark_reviewed(
    path: &Path,
    date: IsoDate,
    today: IsoDate,
    attribute_profile: Option<PathBuf>,
) -> Result<Marked, ReviewError> {
    let mark_error = |source| ReviewError::Mark {
        path: path.to_owned(),
        source,
    };
    super::mark::check_date(date, today).map_err(mark_error)?;
    let set = record::load(&LoadOptions {
        paths: vec![path.to_owned()],
        attribute_profile,
    })?;
    if set.records.len() != 1 || !path.is_file() {
        return Err(ReviewError::NotOneRecord {
            path: path.to_owned(),
        });
    }
    let text = crate::input::read_to_string(path).map_err(|source| ReviewError::Read {
        path: path.to_owned(),
        source,
    })?;
    let edited = super::mark::set_last_reviewed(&text, date).map_err(mark_error)?;
    if edited == text {
        return Ok(Marked::AlreadySet);
    }
    fsutil::write_atomic(path, edited.as_bytes(), Mode::KeepExisting)?;
    Ok(Marked::Set)
}
