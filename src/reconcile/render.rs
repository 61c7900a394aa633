//! Rendering plans for people (text, like `terraform plan`) and for tools (a stable JSON
//! document, `format_version` 1, documented in docs/plan-format.md).

use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

use super::plan::{Action, Change, FieldChange, ObjectRef, Plan, Summary};
use crate::printable::printable;

/// Text rendering, one section per record (records by name, so a plan reads the same
/// whatever phase each record's first change falls in; within a record, execution order). `colour` marks the action symbols with ANSI colours:
/// only for a terminal, decided by the caller. Names from outside (records, objects) are
/// escaped with [`printable`], so a file name cannot drive the terminal. Certificates are
/// summarised, never dumped; fedctl manages no secrets, so nothing secret can appear here.
pub fn text(plan: &Plan, header: &str, colour: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", printable(header));
    let records: std::collections::BTreeSet<&str> =
        plan.changes.iter().map(|c| c.record.as_str()).collect();
    for record in records {
        let _ = writeln!(out, "\n{}:", printable(record));
        for change in plan.changes.iter().filter(|c| c.record == record) {
            render_change(&mut out, change, colour);
        }
    }
    for (record, reason) in &plan.skipped {
        let _ = writeln!(out, "\n{}: note: {}", printable(record), printable(reason));
    }
    for (record, reason) in &plan.not_enforced {
        let _ = writeln!(
            out,
            "\n{}: NOT ENFORCED: {}",
            printable(record),
            printable(reason)
        );
    }
    let _ = writeln!(out, "\n{}", summary_line(&plan.summary()));
    out
}

/// ANSI colour of an action symbol: green creates, yellow updates, red deletes, magenta
/// conflicts, cyan orphans.
fn symbol(action: Action, colour: bool) -> String {
    let code = match action {
        Action::Create => "32",
        Action::Update => "33",
        Action::Delete => "31",
        Action::Conflict => "1;35",
        Action::Orphan => "36",
    };
    if colour {
        format!("\x1b[{code}m{}\x1b[0m", action.symbol())
    } else {
        action.symbol().to_string()
    }
}

fn render_change(out: &mut String, change: &Change, colour: bool) {
    let object = change.object.to_string();
    let _ = write!(
        out,
        "  {} {}",
        symbol(change.action, colour),
        printable(&object)
    );
    if let Some(reason) = &change.reason {
        let _ = write!(out, " — {}", printable(reason));
    }
    out.push('\n');
    for field in &change.fields {
        render_field(out, change.action, field, colour);
    }
}

fn render_field(out: &mut String, action: Action, field: &FieldChange, colour: bool) {
    let path = printable(&field.path);
    let _ = match action {
        Action::Create => writeln!(
            out,
            "      {path}:{}",
            spaced(show(&field.path, &field.new))
        ),
        // A changed flow shows the executions that changed, not two listings.
        Action::Update if field.path == "executions" => {
            let _ = writeln!(out, "      {path}:");
            for (action, line) in outline_changes(&field.old, &field.new) {
                let _ = writeln!(out, "      {} {}", symbol(action, colour), printable(line));
            }
            Ok(())
        }
        _ => writeln!(
            out,
            "      {path}: {} → {}",
            show(&field.path, &field.old),
            show(&field.path, &field.new)
        ),
    };
}

/// The lines of a flow outline that were removed (Delete) or added (Create), in order: a
/// longest-common-subsequence line diff (outlines are a few dozen lines at most).
fn outline_changes<'v>(old: &'v Value, new: &'v Value) -> Vec<(Action, &'v str)> {
    let lines = |v: &'v Value| -> Vec<&'v str> {
        v.as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    let (a, b) = (lines(old), lines(new));
    // common[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut common = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i][j] = if a[i] == b[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut changes) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || common[i + 1][j] >= common[i][j + 1]) {
            // Removed lines before the lines that replace them, as in a unified diff.
            changes.push((Action::Delete, a[i]));
            i += 1;
        } else {
            changes.push((Action::Create, b[j]));
            j += 1;
        }
    }
    changes
}

/// One value for people: strings quoted, absent shown as (none), certificates shortened.
/// A space before inline values; none before values that start on their own lines.
fn spaced(value: String) -> String {
    if value.starts_with('\n') {
        value
    } else {
        format!(" {value}")
    }
}

fn show(path: &str, value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_owned(),
        // Flow outlines read best as an indented tree.
        Value::Array(lines) if path == "executions" => lines
            .iter()
            .map(|line| format!("\n        {}", printable(line.as_str().unwrap_or_default())))
            .collect(),
        Value::String(text) if path.ends_with(".certificate") => {
            printable(&certificate_summary(text)).into_owned()
        }
        // JSON strings arrive escaped already; other text is escaped for the terminal.
        other => printable(&other.to_string()).into_owned(),
    }
}

fn certificate_summary(base64_der: &str) -> String {
    match crate::x509::parse_base64(base64_der) {
        Ok(cert) => format!(
            "certificate {} (SHA-256 {}…, expires {})",
            cert.common_name.as_deref().unwrap_or(&cert.subject),
            &cert.sha256_fingerprint[..16],
            cert.not_after.date()
        ),
        Err(_) => format!("unreadable certificate ({} characters)", base64_der.len()),
    }
}

pub fn summary_line(summary: &Summary) -> String {
    if summary.create + summary.update + summary.delete == 0 {
        let mut line = "No changes. The identity provider matches the records.".to_owned();
        if summary.conflict > 0 {
            line = format!(
                "No changes can be made: {} conflict(s) need attention.",
                summary.conflict
            );
        }
        if summary.orphan > 0 {
            let _ = write!(
                line,
                " {} orphaned object(s) kept (use --prune).",
                summary.orphan
            );
        }
        return line;
    }
    let mut line = format!(
        "Plan: {} to create, {} to update, {} to delete, {} conflict(s), {} orphan(s).",
        summary.create, summary.update, summary.delete, summary.conflict, summary.orphan
    );
    if summary.members_losing_group > 0 {
        let _ = write!(
            line,
            " Deleting group(s) removes {} membership(s).",
            summary.members_losing_group
        );
    }
    line
}

/// The JSON plan document.
#[derive(Debug, Serialize)]
pub struct PlanDocument<'a> {
    pub format_version: u32,
    pub realm: &'a str,
    pub target: &'a str,
    pub changes: Vec<ChangeDocument<'a>>,
    pub skipped: Vec<SkippedDocument<'a>>,
    /// Records with a conflict: none of their changes are applied.
    pub not_enforced: Vec<SkippedDocument<'a>>,
    pub summary: Summary,
}

#[derive(Debug, Serialize)]
pub struct ChangeDocument<'a> {
    pub record: &'a str,
    pub action: Action,
    pub object: &'a ObjectRef,
    pub fields: &'a [FieldChange],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct SkippedDocument<'a> {
    pub record: &'a str,
    pub reason: &'a str,
}

pub fn json(plan: &Plan, realm: &str, target: &str) -> String {
    serde_json::to_string_pretty(&plan_document(plan, realm, target))
        .expect("plan documents always serialise")
}

fn plan_document<'a>(plan: &'a Plan, realm: &'a str, target: &'a str) -> PlanDocument<'a> {
    PlanDocument {
        format_version: 1,
        realm,
        target,
        changes: plan
            .changes
            .iter()
            .map(|c| ChangeDocument {
                record: &c.record,
                action: c.action,
                object: &c.object,
                fields: &c.fields,
                reason: c.reason.as_deref(),
            })
            .collect(),
        skipped: plan
            .skipped
            .iter()
            .map(|(record, reason)| SkippedDocument { record, reason })
            .collect(),
        not_enforced: plan
            .not_enforced
            .iter()
            .map(|(record, reason)| SkippedDocument { record, reason })
            .collect(),
        summary: plan.summary(),
    }
}

/// `apply --output json`: the plan document, and the result of each operation in execution
/// order: `done`, `failed` (with the error) or `not_attempted`.
#[derive(Debug, Serialize)]
pub struct ApplyDocument<'a> {
    #[serde(flatten)]
    pub plan: PlanDocument<'a>,
    pub results: Vec<ResultDocument<'a>>,
    pub succeeded: bool,
}

#[derive(Debug, Serialize)]
pub struct ResultDocument<'a> {
    pub record: &'a str,
    pub action: Action,
    pub object: &'a ObjectRef,
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The plan with what became of each change: `outcome` says `done`, `failed` (with the
/// error) or `not_attempted`.
pub fn apply_json(
    plan: &Plan,
    outcome: impl Fn(&Change) -> (&'static str, Option<String>),
    succeeded: bool,
    realm: &str,
    target: &str,
) -> String {
    let results = plan
        .changes
        .iter()
        .filter(|c| c.operation.is_some())
        .map(|c| {
            let (result, error) = outcome(c);
            ResultDocument {
                record: &c.record,
                action: c.action,
                object: &c.object,
                result,
                error,
            }
        })
        .collect();
    let document = ApplyDocument {
        plan: plan_document(plan, realm, target),
        results,
        succeeded,
    };
    serde_json::to_string_pretty(&document).expect("apply documents always serialise")
}
