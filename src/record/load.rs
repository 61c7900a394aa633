//! Loading records: find the files, read each into a located tree, check its structure and
//! its meaning, then check the records against each other. Every problem of every file is
//! collected; nothing stops at the first.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use time::Date;

use super::document::parse_document;
use super::loaded::{LoadedRecord, RecordSet};
use super::model::RecordFile;
use super::problem::{Finding, Problem, RecordErrors, SourceFile};
use super::profile::AttributeProfile;
use super::schema;
use super::set_rules;
use super::validate::{self, Context};

/// Which records to read, and the attribute profile to check them against.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Record files, or directories searched recursively for `*.yaml` / `*.yml`.
    pub paths: Vec<PathBuf>,
    /// An attribute profile file; `None` is the built-in profile.
    pub attribute_profile: Option<PathBuf>,
}

/// Loads and validates the records `options` name; any error fails the whole set.
pub fn load(options: &LoadOptions) -> Result<RecordSet, RecordErrors> {
    check(options).into_set()
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

/// Reads and checks every record `options` name, as of today (UTC).
pub fn check(options: &LoadOptions) -> Validation {
    check_as_of(options, time::OffsetDateTime::now_utc().date())
}

/// [`check`] with "today" given, for date warnings that do not depend on the clock.
pub fn check_as_of(options: &LoadOptions, today: Date) -> Validation {
    let mut problems = Vec::new();
    let profile = match &options.attribute_profile {
        None => Some(AttributeProfile::builtin()),
        Some(path) => AttributeProfile::load(path)
            .map_err(|errors| problems.extend(errors.problems))
            .ok(),
    };
    let context = Context {
        profile: profile.as_ref(),
        today,
    };
    let (files, missing) = discover(&options.paths);
    problems.extend(missing);
    let mut records = Vec::new();
    for (record, found) in read_records(&files, &context) {
        problems.extend(found);
        records.extend(record);
    }
    let set_problems: Vec<Problem> = set_rules::check_set(&records)
        .into_iter()
        .map(|(i, finding)| records[i].problem(finding))
        .collect();
    let mut validation = Validation {
        files: files.len(),
        records,
        profile,
        problems,
        partial: options.paths.iter().any(|path| !path.is_dir()),
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

    fn args(paths: &[&Path]) -> LoadOptions {
        LoadOptions {
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
