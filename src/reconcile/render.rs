//! Rendering plans for people (text, like `terraform plan`) and for tools (a stable JSON
//! document, `format_version` 1, documented in docs/plan-format.md).

use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

use super::plan::{Action, Change, FieldChange, ObjectRef, Plan, Summary};

/// Text rendering. Certificates are summarised, never dumped; fedctl manages no secrets, so
/// nothing secret can appear here.
pub fn text(plan: &Plan, header: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{header}");
    let mut current_record: Option<&str> = None;
    for change in &plan.changes {
        if current_record != Some(change.record.as_str()) {
            let _ = writeln!(out, "\n{}:", change.record);
            current_record = Some(&change.record);
        }
        render_change(&mut out, change);
    }
    for (record, reason) in &plan.skipped {
        let _ = writeln!(out, "\n{record}: note: {reason}");
    }
    let _ = writeln!(out, "\n{}", summary_line(&plan.summary()));
    out
}

fn render_change(out: &mut String, change: &Change) {
    let _ = write!(out, "  {} {}", change.action.symbol(), change.object);
    if let Some(reason) = &change.reason {
        let _ = write!(out, " ({reason})");
    }
    out.push('\n');
    for field in &change.fields {
        let _ = match change.action {
            Action::Create => writeln!(
                out,
                "      {}:{}",
                field.path,
                spaced(show(&field.path, &field.new))
            ),
            _ => writeln!(
                out,
                "      {}: {} → {}",
                field.path,
                show(&field.path, &field.old),
                show(&field.path, &field.new)
            ),
        };
    }
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
            .map(|line| format!("\n        {}", line.as_str().unwrap_or_default()))
            .collect(),
        Value::String(text) if path.ends_with(".certificate") => certificate_summary(text),
        other => other.to_string(),
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
    format!(
        "Plan: {} to create, {} to update, {} to delete, {} conflict(s), {} orphan(s).",
        summary.create, summary.update, summary.delete, summary.conflict, summary.orphan
    )
}

/// The JSON plan document.
#[derive(Debug, Serialize)]
pub struct PlanDocument<'a> {
    pub format_version: u32,
    pub realm: &'a str,
    pub target: &'a str,
    pub changes: Vec<ChangeDocument<'a>>,
    pub skipped: Vec<SkippedDocument<'a>>,
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
    let document = PlanDocument {
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
        summary: plan.summary(),
    };
    serde_json::to_string_pretty(&document).expect("plan documents always serialise")
}
