//! Problems found in records: what checks report ([`Finding`], a field path and advice) and
//! what users see ([`Problem`], the finding placed at a file, line and column, rendered by
//! miette or as JSON). Checks stay free of positions; [`SourceFile::place`] adds them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode, SourceSpan};
use serde::Serialize;

use super::tree::{Node, Pos, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Which part of a field a finding points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The field's value (a wrong value), or its key when the value is a mapping.
    Value,
    /// The field's key (an unknown or repeated field).
    Key,
    /// A position known beforehand (a YAML syntax error).
    At(Pos),
}

/// A problem with one field of a record, before it is placed in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// Dotted field path, e.g. `federation.technical.partner_acs[1]`; empty for the whole file.
    pub field: String,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    pub anchor: Anchor,
    /// For an unknown, probably misspelt key: the field it most likely means. A record
    /// salvaged for further checks reads the value under this name.
    pub rename: Option<String>,
}

impl Finding {
    pub fn error(field: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Error,
            field: field.into(),
            message: message.into(),
            help: None,
            anchor: Anchor::Value,
            rename: None,
        }
    }

    pub fn warning(field: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(field, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn at(mut self, anchor: Anchor) -> Finding {
        self.anchor = anchor;
        self
    }
}

/// A file that problems are reported in: its name and its text, shared by all its problems.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl SourceFile {
    pub fn new(path: &Path, text: impl Into<Arc<str>>) -> SourceFile {
        SourceFile {
            path: path.to_owned(),
            text: text.into(),
        }
    }

    /// Places a finding in this file: at its field in `tree` when the tree is known, at the
    /// nearest enclosing field when the field itself is missing.
    pub fn place(&self, tree: Option<&Node>, finding: Finding) -> Problem {
        let pos = match (finding.anchor, tree) {
            (Anchor::At(pos), _) => pos,
            (anchor, Some(tree)) => locate(tree, &finding.field, anchor),
            (_, None) => Pos::start(),
        };
        Problem {
            severity: finding.severity,
            file: self.path.clone(),
            location: Some((pos.line, pos.column)),
            field: finding.field,
            message: finding.message,
            help: finding.help,
            span: Some(pos.span),
            source: Some(
                NamedSource::new(self.path.display().to_string(), Arc::clone(&self.text))
                    .with_language("yaml"),
            ),
        }
    }
}

/// Position of `field` in `tree`, following `anchor`; a missing field is reported at the key
/// of its nearest existing ancestor, where it would have to be added.
pub fn locate(tree: &Node, field: &str, anchor: Anchor) -> Pos {
    if let Some(entry) = tree.entry(field) {
        let points_at_key =
            anchor == Anchor::Key || matches!(entry.value.value, Value::Map(_) | Value::Null);
        return if points_at_key {
            entry.key_pos
        } else {
            entry.value.pos
        };
    }
    if let Some(node) = tree.get(field).filter(|_| !field.is_empty()) {
        return node.pos;
    }
    match parent(field) {
        Some(parent) => locate(tree, parent, Anchor::Key),
        None => Pos::start(),
    }
}

/// `a.b[2]` → `a.b`, `a.b` → `a`, `a` → the root (empty path), the root → none.
fn parent(field: &str) -> Option<&str> {
    if field.is_empty() {
        return None;
    }
    let cut = field.rfind(['.', '[']).unwrap_or_default();
    Some(&field[..cut])
}

/// A problem at a file, line and column: a miette diagnostic with the file's text as source,
/// and a row of `fedctl validate --output json`.
#[derive(Debug, Clone)]
pub struct Problem {
    pub severity: Severity,
    pub file: PathBuf,
    /// 1-based line and column; none when the file itself could not be read.
    pub location: Option<(usize, usize)>,
    pub field: String,
    pub message: String,
    pub help: Option<String>,
    span: Option<SourceSpan>,
    source: Option<NamedSource<Arc<str>>>,
}

impl Problem {
    /// A problem with a whole file or path (it cannot be read, it does not exist).
    pub fn about_path(path: &Path, message: impl Into<String>, help: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Error,
            file: path.to_owned(),
            location: None,
            field: String::new(),
            message: message.into(),
            help: Some(help.into()),
            span: None,
            source: None,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn line(&self) -> Option<usize> {
        self.location.map(|(line, _)| line)
    }

    pub fn column(&self) -> Option<usize> {
        self.location.map(|(_, column)| column)
    }

    /// The machine-readable form: file, line, column, field, message, help, severity.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "file": self.file.display().to_string(),
            "line": self.line(),
            "column": self.column(),
            "field": self.field,
            "message": self.message,
            "help": self.help,
            "severity": self.severity,
        })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Without a snippet the header is the only place the file shows up.
        match self.source {
            None => write!(f, "{}: {}", self.file.display(), self.message),
            Some(_) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        None
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span.filter(|_| self.source.is_some())?;
        // The label names the field, so every report shows the field path in the snippet.
        let label = (!self.field.is_empty()).then(|| self.field.clone());
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            label, span,
        ))))
    }
}

/// Every problem of a run that found at least one error (warnings included, so they are not
/// lost when the run fails). Renders each problem as a related diagnostic.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.summary())]
pub struct RecordErrors {
    pub problems: Vec<Problem>,
}

impl RecordErrors {
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| p.is_error()).count()
    }

    fn summary(&self) -> String {
        let errors = self.errors();
        format!(
            "{errors} {} in federation records",
            plural(errors, "error", "errors")
        )
    }
}

impl Diagnostic for RecordErrors {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("fedctl::records"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(
            // The problems are rendered after this line, so it must not say "above".
            "each problem below names its file, line and field; `fedctl validate` checks again",
        ))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(
            self.problems
                .iter()
                .map(|problem| problem as &dyn Diagnostic),
        ))
    }
}

/// `1 error`, `2 errors`.
pub fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tree::parse;

    const DOC: &str = "federation:\n  technical:\n    partner_acs: https://x\n  list:\n    - a\n";

    fn place(field: &str, anchor: Anchor) -> (Option<usize>, Option<usize>) {
        let file = SourceFile::new(Path::new("r.yaml"), DOC);
        let tree = parse(DOC).unwrap();
        let problem = file.place(Some(&tree), Finding::error(field, "m").at(anchor));
        (problem.line(), problem.column())
    }

    #[test]
    fn values_keys_and_missing_fields_are_located() {
        assert_eq!(
            place("federation.technical.partner_acs", Anchor::Value),
            (Some(3), Some(18))
        );
        assert_eq!(
            place("federation.technical.partner_acs", Anchor::Key),
            (Some(3), Some(5))
        );
        // A mapping value is pointed at by its key.
        assert_eq!(
            place("federation.technical", Anchor::Value),
            (Some(2), Some(3))
        );
        // A missing field: at the key of its parent.
        assert_eq!(
            place("federation.technical.partner_slo", Anchor::Value),
            (Some(2), Some(3))
        );
        assert_eq!(
            place("federation.list[0]", Anchor::Value),
            (Some(5), Some(7))
        );
        assert_eq!(
            place("federation.list[7]", Anchor::Value),
            (Some(4), Some(3))
        );
        assert_eq!(place("", Anchor::Value), (Some(1), Some(1)));
    }

    #[test]
    fn parents_of_paths() {
        assert_eq!(parent("a.b[2]"), Some("a.b"));
        assert_eq!(parent("a.b"), Some("a"));
        assert_eq!(parent("a"), Some(""));
        assert_eq!(parent(""), None);
    }

    #[test]
    fn json_rows_have_every_field() {
        let file = SourceFile::new(Path::new("r.yaml"), DOC);
        let problem = file.place(
            parse(DOC).ok().as_ref(),
            Finding::warning("federation.technical.partner_acs", "m").with_help("h"),
        );
        let json = problem.to_json();
        assert_eq!(json["file"], "r.yaml");
        assert_eq!(json["line"], 3);
        assert_eq!(json["column"], 18);
        assert_eq!(json["field"], "federation.technical.partner_acs");
        assert_eq!(json["help"], "h");
        assert_eq!(json["severity"], "warning");
    }
}
