//! Loading records: find the files, read each into a located tree, check its structure and
//! its meaning, then check the records against each other. Every problem of every file is
//! collected; nothing stops at the first.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use miette::SourceSpan;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use time::Date;

use super::model::RecordFile;
use super::problem::{Anchor, Finding, Problem, RecordErrors, SourceFile, locate};
use super::schema;
use super::tree::{self, Node, Pos};
use super::validate::{self, Context};
use crate::commands::args::RecordArgs;
use crate::profile::AttributeProfile;

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

/// Loads and validates the records named by `args`; any error fails the whole set.
pub fn load(args: &RecordArgs) -> Result<RecordSet, RecordErrors> {
    check(args).into_set()
}

/// Everything one validation run found.
#[derive(Debug, Clone)]
pub struct Validation {
    /// Record files read (including those with problems).
    pub files: usize,
    /// Records read, including those salvaged from structural errors: complete only when
    /// there are no errors.
    pub records: Vec<LoadedRecord>,
    /// `None` when the attribute profile given could not be loaded.
    pub profile: Option<AttributeProfile>,
    /// Errors and warnings, ordered by file, line and column.
    pub problems: Vec<Problem>,
    /// Record files were named one by one rather than found in directories.
    pub partial: bool,
}

impl Validation {
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| p.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.problems.len() - self.errors()
    }

    /// Adds problems found by further checks, keeping the order by file, line and column.
    pub fn add(&mut self, problems: impl IntoIterator<Item = Problem>) {
        self.problems.extend(problems);
        self.problems
            .sort_by(|a, b| (&a.file, a.location).cmp(&(&b.file, b.location)));
    }

    pub fn into_set(self) -> Result<RecordSet, RecordErrors> {
        match self.profile {
            Some(profile) if self.errors() == 0 => Ok(RecordSet {
                records: self.records,
                profile,
                warnings: self.problems,
                partial: self.partial,
            }),
            _ => Err(RecordErrors {
                problems: self.problems,
            }),
        }
    }
}

/// Reads and checks every record named by `args`, as of today (UTC).
pub fn check(args: &RecordArgs) -> Validation {
    check_as_of(args, time::OffsetDateTime::now_utc().date())
}

/// [`check`] with "today" given, for date warnings that do not depend on the clock.
pub fn check_as_of(args: &RecordArgs, today: Date) -> Validation {
    let mut problems = Vec::new();
    let profile = match &args.attribute_profile {
        None => Some(AttributeProfile::builtin()),
        Some(path) => AttributeProfile::load(path)
            .map_err(|errors| problems.extend(errors.problems))
            .ok(),
    };
    let context = Context {
        profile: profile.as_ref(),
        today,
    };
    let (files, missing) = discover(&args.paths);
    problems.extend(missing);
    let mut records = Vec::new();
    for (record, found) in read_records(&files, &context) {
        problems.extend(found);
        records.extend(record);
    }
    let set_problems: Vec<Problem> = validate::check_set(&records)
        .into_iter()
        .map(|(i, finding)| records[i].problem(finding))
        .collect();
    let mut validation = Validation {
        files: files.len(),
        records,
        profile,
        problems,
        partial: args.paths.iter().any(|path| !path.is_dir()),
    };
    validation.add(set_problems);
    validation
}

/// Reads every file, spread over the machine's cores: files are independent until the
/// set-wide checks, and parsing dominates the cost of a plan over many records.
fn read_records(files: &[PathBuf], context: &Context) -> Vec<(Option<LoadedRecord>, Vec<Problem>)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = files.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|p| read_record(p, context))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Reads one record file: the record (when one can be made of it) and its problems.
fn read_record(path: &Path, context: &Context) -> (Option<LoadedRecord>, Vec<Problem>) {
    match crate::input::read_to_string(path) {
        Ok(text) => check_text(path, text, context),
        Err(error) => (None, vec![unreadable(path, &error)]),
    }
}

/// Checks the text of one record file, named `path` in problems: the record (when one can be
/// made of it, possibly salvaged from structural errors) and every problem found in it.
/// Rules across records are not applied; see [`check`].
pub fn check_text(
    path: &Path,
    text: String,
    context: &Context,
) -> (Option<LoadedRecord>, Vec<Problem>) {
    let source = SourceFile::new(path, text);
    let parsed = parse_document::<RecordFile>(&source.text, schema::record_schema());
    let mut findings = parsed.findings;
    if let Some(tree) = &parsed.tree {
        // A placeholder is the one problem of its field: that `CHANGE-ME` is not a date or
        // not a review frequency says nothing more, so each field to fill is listed once.
        let placeholders = validate::placeholders(tree);
        findings.retain(|f| !placeholders.iter().any(|p| p.field == f.field));
        findings.extend(placeholders);
    }
    if let Some(record) = &parsed.value {
        let about_pruned = |f: &Finding| parsed.pruned.iter().any(|p| is_within(&f.field, p));
        let semantic = validate::check_record(record, context);
        findings.extend(semantic.into_iter().filter(|f| !about_pruned(f)));
    }
    let problems = findings
        .into_iter()
        .map(|finding| source.place(parsed.tree.as_ref(), finding))
        .collect();
    let record = parsed
        .value
        .zip(parsed.tree)
        .map(|(record, tree)| LoadedRecord {
            id: record_id(path),
            path: path.to_owned(),
            record,
            source,
            tree,
        });
    (record, problems)
}

/// `field` is `outer` or one of its parts (`outer.x`, `outer[0]`).
fn is_within(field: &str, outer: &str) -> bool {
    field
        .strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

fn record_id(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn unreadable(path: &Path, error: &io::Error) -> Problem {
    let help = match error.kind() {
        io::ErrorKind::NotFound => {
            "check the path: give record files or directories holding *.yaml / *.yml files"
        }
        io::ErrorKind::InvalidData => "save the file as UTF-8",
        _ => "check that the file exists and is readable",
    };
    Problem::about_path(path, format!("cannot read: {error}"), help)
}

/// A YAML document read against the schema of `T`.
pub(crate) struct Parsed<T> {
    /// The typed value: exact when the document has no structural problem, salvaged (fields
    /// with problems left out) when it has some and the rest still makes a `T`.
    pub value: Option<T>,
    /// Fields left out of a salvaged value; later checks say nothing more about them.
    pub pruned: Vec<String>,
    /// The located tree, unless the YAML itself is broken.
    pub tree: Option<Node>,
    pub findings: Vec<Finding>,
}

/// Reads `text` into a located tree, reports every structural problem against `schema`, and
/// deserializes `T` only from a document that has none.
pub(crate) fn parse_document<T: DeserializeOwned>(text: &str, schema: &Json) -> Parsed<T> {
    let tree = match tree::parse(text) {
        Ok(tree) => tree,
        Err(error) => {
            let finding = Finding::error("", format!("invalid YAML: {}", error.message))
                .with_help(
                    "fix the YAML syntax here; nothing else in this file can be checked until then",
                )
                .at(Anchor::At(error.pos));
            return Parsed {
                value: None,
                pruned: Vec::new(),
                tree: None,
                findings: vec![finding],
            };
        }
    };
    let mut findings = schema::check(schema, &tree);
    if !findings.is_empty() {
        let (value, pruned) = salvage(&tree, &findings);
        return Parsed {
            value,
            pruned,
            tree: Some(tree),
            findings,
        };
    }
    // The schema check and serde agree on everything they both see; this catches the rest.
    let value = serde_saphyr::from_str_with_options::<T>(text, tree::yaml_options())
        .map_err(|error| {
            let error = tree::syntax_error(&error, text);
            findings.push(Finding::error("", error.message).at(Anchor::At(error.pos)));
        })
        .ok();
    Parsed {
        value,
        pruned: Vec::new(),
        tree: Some(tree),
        findings,
    }
}

/// The value a document with structural problems still makes, read with misspelt keys
/// renamed and the other fields with problems left out; and the fields that later checks
/// must not report on again (left out, or renamed by guess).
fn salvage<T: DeserializeOwned>(tree: &Node, findings: &[Finding]) -> (Option<T>, Vec<String>) {
    let (renamed, removed): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| f.rename.is_some());
    let renames: Vec<(&str, &str)> = renamed
        .iter()
        .filter_map(|f| Some((f.field.as_str(), f.rename.as_deref()?)))
        .collect();
    let repaired = tree.repaired(
        removed.iter().map(|f| f.field.as_str()),
        renames.iter().copied(),
    );
    let value = serde_json::from_value(repaired.to_json()).ok();
    let intended = renames
        .iter()
        .map(|(path, key)| match path.rsplit_once('.') {
            Some((parent, _)) => format!("{parent}.{key}"),
            None => (*key).to_owned(),
        });
    let untouchable = findings
        .iter()
        .map(|f| tree::list_field(&f.field).to_owned())
        .chain(intended)
        .collect();
    (value, untouchable)
}

/// The record files under `paths` (files as given, directories searched recursively for
/// `*.yaml`/`*.yml`, hidden entries skipped), sorted and without repeats; and a problem for
/// each path that cannot be read.
fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let found = match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut files, &mut Vec::new()),
            Ok(_) => {
                files.push(path.clone());
                Ok(())
            }
            Err(error) => Err(error),
        };
        if let Err(error) = found {
            problems.push(unreadable(path, &error));
        }
    }
    files.sort();
    files.dedup();
    (files, problems)
}

/// Symlinked directories are followed (records kept elsewhere and linked in are part of the
/// set: skipping them would make their objects orphans); `ancestors` (canonical paths of the
/// directories being walked) stops a link that points back up from looping.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, ancestors: &mut Vec<PathBuf>) -> io::Result<()> {
    let canonical = fs::canonicalize(dir)?;
    if ancestors.contains(&canonical) {
        return Ok(());
    }
    ancestors.push(canonical);
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let meta = fs::metadata(&path);
        if meta.as_ref().is_ok_and(fs::Metadata::is_dir) {
            walk(&path, files, ancestors)?;
        } else if is_record_file(&path) && meta.is_ok_and(|m| m.is_file()) {
            files.push(path);
        }
    }
    ancestors.pop();
    Ok(())
}

fn is_record_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(paths: &[&Path]) -> RecordArgs {
        RecordArgs {
            paths: paths.iter().map(|p| p.to_path_buf()).collect(),
            attribute_profile: None,
        }
    }

    fn relative(files: &[PathBuf], dir: &Path) -> Vec<String> {
        files
            .iter()
            .map(|f| f.strip_prefix(dir).unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn directories_are_searched_recursively_in_sorted_order() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("b/c")).unwrap();
        fs::create_dir_all(dir.path().join(".hidden")).unwrap();
        for file in [
            "b/c/z.yml",
            "a.yaml",
            "b/y.yaml",
            "notes.txt",
            ".hidden/x.yaml",
        ] {
            fs::write(dir.path().join(file), "").unwrap();
        }
        let (files, problems) = discover(&[dir.path().to_owned(), dir.path().join("a.yaml")]);
        let names = relative(&files, dir.path());
        assert_eq!(names, ["a.yaml", "b/c/z.yml", "b/y.yaml"]);
        assert!(problems.is_empty());
    }

    #[test]
    fn symlinked_directories_are_followed_without_looping() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        fs::write(elsewhere.path().join("linked.yaml"), "").unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub/own.yaml"), "").unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("sub/partners")).unwrap();
        // A link back up to the top would loop forever if followed blindly.
        std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
        let (files, problems) = discover(&[dir.path().to_owned()]);
        let names = relative(&files, dir.path());
        assert_eq!(names, ["sub/own.yaml", "sub/partners/linked.yaml"]);
        assert!(problems.is_empty());
    }

    #[test]
    fn a_missing_path_is_an_error() {
        let validation = check(&args(&[Path::new("/nonexistent/records")]));
        assert_eq!(validation.errors(), 1);
        assert!(validation.problems[0].message.contains("cannot read"));
    }

    #[test]
    fn a_syntax_error_is_located_and_the_other_files_still_checked() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.yaml"), "federation: [\n").unwrap();
        fs::write(dir.path().join("b.yaml"), "federation:\n  partnr: x\n").unwrap();
        let validation = check(&args(&[dir.path()]));
        let a = &validation.problems[0];
        assert!(a.message.starts_with("invalid YAML"), "{}", a.message);
        assert!(
            validation
                .problems
                .iter()
                .any(|p| p.message == "unknown field `partnr`")
        );
        assert_eq!(validation.files, 2);
    }
}
