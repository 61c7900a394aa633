//! The record as YAML text: the federation in the record format's field order, placeholders
//! where Keycloak cannot know the value, a comment on the fields to fill in, and the notes of
//! the import at the top. Scalars are written as JSON strings, which YAML reads as they are.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::{Draft, ImportOptions};
use crate::printable::printable;
use crate::record::validate::PLACEHOLDER;
use crate::record::{self, Context, Severity};

/// Column at which field comments start (as in the `fedctl new` scaffolds).
const COMMENT_COLUMN: usize = 40;

pub fn record(draft: &Draft, options: &ImportOptions<'_>) -> String {
    text(draft, options, true)
}

/// The record text; without `placeholders`, typed fields keep the stand-ins the draft was
/// compiled with, so that every rule of `validate` can run on it.
fn text(draft: &Draft, options: &ImportOptions<'_>, placeholders: bool) -> String {
    let mut out = header(draft, options);
    let mut federation = draft.federation.clone();
    // Stands in for the placeholder below, so the field keeps its place in the record.
    federation.established = Some(record::IsoDate(options.today));
    let mut value =
        serde_json::to_value(record::RecordFile { federation }).expect("records serialise");
    for field in draft.placeholders.iter().filter(|_| placeholders) {
        let pointer = format!("/federation/{}", field.replace('.', "/"));
        // Typed fields (a date, a frequency) hold a stand-in; strings hold the placeholder.
        if let Some(slot) = value.pointer_mut(&pointer)
            && !slot.as_str().is_some_and(|text| text.contains(PLACEHOLDER))
        {
            *slot = Value::String(PLACEHOLDER.to_owned());
        }
    }
    let comments = comments(draft);
    if let Value::Object(map) = &value {
        write_map(&mut out, map, 0, "", &comments);
    }
    out
}

fn header(draft: &Draft, options: &ImportOptions<'_>) -> String {
    let mut out = format!(
        "# Imported by `fedctl import` from {} on {}: client {}.\n\
         # Fill in every {PLACEHOLDER} (`fedctl validate` lists them), then run `fedctl plan --adopt`:\n\
         # it takes the client over, changing what the notes below list and nothing else.\n",
        printable(&options.source),
        options.today,
        printable(&serde_json::to_string(&draft.client_id).expect("strings serialise")),
    );
    if !draft.notes.is_empty() {
        out.push_str("#\n# Notes:\n");
        for note in &draft.notes {
            out.push_str(&format!("#   - {}\n", printable(note)));
        }
    }
    out
}

/// Comments on fields, by their path below `federation`.
fn comments(draft: &Draft) -> BTreeMap<String, &'static str> {
    let mut comments = BTreeMap::from([
        (
            "established".to_owned(),
            "date the federation went live (YYYY-MM-DD)",
        ),
        (
            "access_control.approver".to_owned(),
            "who approves access and signs off reviews",
        ),
        (
            "access_control.review_frequency".to_owned(),
            "monthly | quarterly | semiannual | annual",
        ),
        (
            "contacts.partner_technical".to_owned(),
            "the partner's technical contact (e-mail)",
        ),
        (
            "contacts.your_technical".to_owned(),
            "our technical contact (e-mail)",
        ),
        (
            "technical.partner_metadata".to_owned(),
            "the partner's certificates, as Keycloak holds them",
        ),
    ]);
    if draft.placeholders.contains("technical.your_entity_id") {
        comments.insert(
            "technical.your_entity_id".to_owned(),
            "our realm's issuer: https://<keycloak host>/realms/<realm>",
        );
    }
    if draft.placeholders.contains("access_control.group") {
        comments.insert(
            "access_control.group".to_owned(),
            "the group whose members may sign in (see the notes)",
        );
    }
    if draft.placeholders.contains("access_control.role") {
        comments.insert(
            "access_control.role".to_owned(),
            "the client role that group is granted (see the notes)",
        );
    }
    if draft.federation.access_control.enforce == Some(false) {
        comments.insert(
            "access_control.enforce".to_owned(),
            "as now: no deny flow (see the notes)",
        );
    }
    comments
}

fn write_map(
    out: &mut String,
    map: &Map<String, Value>,
    indent: usize,
    path: &str,
    comments: &BTreeMap<String, &'static str>,
) {
    for (key, value) in map {
        let field = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let below_federation = field.strip_prefix("federation.").unwrap_or(&field);
        let comment = comments.get(below_federation).copied();
        let pad = " ".repeat(indent);
        match value {
            Value::Object(inner) => {
                line(out, format!("{pad}{key}:"), comment);
                write_map(out, inner, indent + 2, &field, comments);
            }
            Value::Array(items) => {
                line(out, format!("{pad}{key}:"), comment);
                for item in items {
                    line(out, format!("{pad}  - {}", flow(item)), None);
                }
            }
            scalar => line(out, format!("{pad}{key}: {}", flow(scalar)), comment),
        }
    }
}

fn line(out: &mut String, text: String, comment: Option<&str>) {
    out.push_str(&text);
    if let Some(comment) = comment {
        let width = text.chars().count();
        out.push_str(&" ".repeat(COMMENT_COLUMN.saturating_sub(width).max(1)));
        out.push_str("# ");
        out.push_str(comment);
    }
    out.push('\n');
}

/// A value in YAML flow style: scalars as JSON, mappings as `{ key: value, … }`.
fn flow(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, value)| format!("{key}: {}", flow(value)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

fn is_placeholder(draft: &Draft, field: &str) -> bool {
    (draft.placeholders.iter()).any(|p| field.strip_prefix("federation.") == Some(p))
}

/// The record as `validate` will read it once filled in: every problem but the placeholders
/// left to fill is a reason not to write it.
pub fn check(draft: &Draft, options: &ImportOptions<'_>) -> Result<(), String> {
    let text = text(draft, options, false);
    let context = Context {
        profile: Some(options.profile),
        today: options.today,
    };
    let path = Path::new(&draft.id).with_extension("yaml");
    let (_, problems) = record::check_text(&path, text, &context);
    let errors: Vec<String> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error && !is_placeholder(draft, &p.field))
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the record would not validate: {}",
            printable(&errors.join("; "))
        ))
    }
}
