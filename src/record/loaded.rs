//! A record as loaded: the typed record with its file, source text and located tree, and the
//! set of records one run works on.

use std::path::PathBuf;

use miette::SourceSpan;

use super::model::RecordFile;
use super::problem::{Anchor, Finding, Problem, SourceFile, locate};
use super::profile::AttributeProfile;
use super::tree::{Node, Pos};
use super::validate;

/// A record that passed the structural checks, with what is needed to point into its file.
#[derive(Debug, Clone)]
pub struct LoadedRecord {
    /// The file stem, unique across the set; it names the record in ownership markers.
    pub id: String,
    pub path: PathBuf,
    pub record: RecordFile,
    pub source: SourceFile,
    pub tree: Node,
}

impl LoadedRecord {
    /// The realm named by `your_entity_id` (`…/realms/<realm>`).
    pub fn realm(&self) -> Option<&str> {
        validate::realm_of(&self.record.federation.technical.your_entity_id)
    }

    /// Where a field such as `federation.technical.partner_acs[0]` is written, if it is.
    pub fn span_of(&self, field: &str) -> Option<SourceSpan> {
        let written = self.tree.entry(field).is_some() || self.tree.get(field).is_some();
        written.then(|| self.position(field).span)
    }

    /// Line and column of a field, or of the nearest enclosing field when it is not written.
    pub fn position(&self, field: &str) -> Pos {
        locate(&self.tree, field, Anchor::Value)
    }

    /// `file:line:column` of a field, for messages that mention another record.
    pub fn reference(&self, field: &str) -> String {
        let pos = self.position(field);
        format!("{}:{}:{}", self.path.display(), pos.line, pos.column)
    }

    /// A diagnostic about a field of this record, e.g. from checks against partner metadata:
    /// `record.problem(Finding::error("federation.technical.partner_acs", "…").with_help("…"))`.
    pub fn problem(&self, finding: Finding) -> Problem {
        self.source.place(Some(&self.tree), finding)
    }
}

/// The records of one run, all valid, with the attribute profile they were checked against.
#[derive(Debug, Clone)]
pub struct RecordSet {
    pub records: Vec<LoadedRecord>,
    pub profile: AttributeProfile,
    /// Non-fatal findings (e.g. an expired certificate date), for commands to show.
    pub warnings: Vec<Problem>,
    /// Some records of the set, not all of it: record files were named one by one (or
    /// [`RecordSet::select`] picked some). Objects of other records are not this run's.
    pub partial: bool,
}

impl RecordSet {
    /// Keeps only the records named (file stems), for a run on some of the set; the whole set
    /// was loaded and checked first, so rules across records still hold.
    pub fn select(&mut self, names: &[String]) -> Result<(), String> {
        if names.is_empty() {
            return Ok(());
        }
        let unknown: Vec<&str> = names
            .iter()
            .filter(|name| !self.records.iter().any(|r| &r.id == *name))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            let known: Vec<&str> = self.records.iter().map(|r| r.id.as_str()).collect();
            return Err(format!(
                "no record named {} in the record set (records: {})",
                unknown.join(", "),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ));
        }
        self.records.retain(|r| names.contains(&r.id));
        self.partial = true;
        Ok(())
    }
}
