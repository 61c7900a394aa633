//! The record's JSON Schema, derived from the Rust types, and a checker that holds a located
//! YAML tree against it and reports every structural problem (unknown, missing, repeated
//! fields, wrong types, bad enum values, impossible dates) instead of stopping at the first.
//!
//! The checker understands the subset of JSON Schema that schemars emits for serde types:
//! `$ref`, `type`, `properties`, `required`, `additionalProperties: false`, `items`,
//! `enum`, `const`, `anyOf`/`oneOf` and `format: date`. Descriptions double as help text.

use std::collections::HashMap;
use std::sync::LazyLock;

use schemars::JsonSchema;
use serde_json::Value as Json;

use super::model::{IsoDate, RecordFile};
use super::problem::{Anchor, Finding};
use super::tree::{Entry, Node, Value, join};

/// The JSON Schema of `T` as a JSON document.
pub fn schema_of<T: JsonSchema>() -> Json {
    serde_json::to_value(schemars::schema_for!(T)).expect("a schema is always valid JSON")
}

/// The record schema, as shipped in `schema/federation-record.schema.json`.
pub fn record_schema() -> &'static Json {
    static SCHEMA: LazyLock<Json> = LazyLock::new(schema_of::<RecordFile>);
    &SCHEMA
}

/// Every structural problem of `tree` against `schema`.
pub fn check(schema: &Json, tree: &Node) -> Vec<Finding> {
    let checker = Checker { root: schema };
    if tree.value == Value::Null {
        let help = checker.describe(schema);
        return vec![Finding::error("", "the file is empty").with_help(help)];
    }
    let mut findings = Vec::new();
    checker.node(schema, tree, "", &mut findings);
    findings
}

struct Checker<'s> {
    root: &'s Json,
}

/// The broad shape a schema accepts, to pick the alternative of a union a node was meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Scalar,
    List,
    Mapping,
    Null,
}

impl Shape {
    fn of(value: &Value) -> Shape {
        match value {
            Value::Null => Shape::Null,
            Value::Scalar(_) => Shape::Scalar,
            Value::Seq(_) => Shape::List,
            Value::Map(_) => Shape::Mapping,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Shape::Scalar => "a single value",
            Shape::List => "a list",
            Shape::Mapping => "a mapping",
            Shape::Null => "nothing",
        }
    }
}

impl<'s> Checker<'s> {
    /// Follows `$ref`s to the schema that says something.
    fn resolve(&self, mut schema: &'s Json) -> &'s Json {
        while let Some(reference) = schema.get("$ref").and_then(Json::as_str) {
            let pointer = reference.trim_start_matches('#');
            match self.root.pointer(pointer) {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }

    fn node(&self, schema: &'s Json, node: &Node, path: &str, out: &mut Vec<Finding>) {
        let described = schema;
        let schema = self.resolve(schema);
        if let Some(alternatives) = alternatives(schema) {
            return self.union(alternatives, described, node, path, out);
        }
        if let Some(allowed) = allowed_values(schema) {
            return enumeration(&allowed, node, path, out);
        }
        let types = types(schema);
        if types.is_empty() {
            return; // No constraint.
        }
        if matches!(node.value, Value::Null) && types.contains(&"null") {
            return;
        }
        match (&node.value, types.iter().find(|t| **t != "null").copied()) {
            (Value::Map(entries), Some("object")) => self.object(schema, entries, path, out),
            (Value::Seq(items), Some("array")) => self.array(schema, items, path, out),
            (Value::Scalar(scalar), Some("string")) => {
                if schema.get("format").and_then(Json::as_str) == Some("date") {
                    date(&scalar.text, path, out);
                }
            }
            (Value::Scalar(scalar), Some("boolean"))
                if scalar.is_bool || matches!(scalar.text.as_str(), "true" | "false") => {}
            (Value::Scalar(scalar), Some("integer")) if scalar.text.parse::<i64>().is_ok() => {}
            (Value::Scalar(scalar), Some("number")) if scalar.text.parse::<f64>().is_ok() => {}
            (value, Some(expected)) => out.push(mismatch(expected, value, described, path)),
            (_, None) => out.push(mismatch("null", &node.value, described, path)),
        }
    }

    fn object(&self, schema: &'s Json, entries: &[Entry], path: &str, out: &mut Vec<Finding>) {
        let properties = schema.get("properties").and_then(Json::as_object);
        // `false`: no other fields; a schema: every other field's value (a map such as the
        // profile's `attributes`); absent: anything goes.
        let others = schema.get("additionalProperties");
        let closed = others == Some(&Json::Bool(false));
        let mut seen: HashMap<&str, usize> = HashMap::new();
        // Misspelt keys stand in for the field they most likely mean: no second
        // "missing" report for it, and a salvaged record reads the value under that name.
        let mut meant: Vec<&str> = Vec::new();
        for entry in entries {
            let field = join(path, &entry.key);
            if let Some(first_line) = seen.insert(&entry.key, entry.key_pos.line) {
                out.push(
                    Finding::error(
                        &field,
                        format!("`{}` is set twice (first on line {first_line})", entry.key),
                    )
                    .with_help("keep one of them; a field may appear only once")
                    .at(Anchor::At(entry.key_pos)),
                );
                continue;
            }
            match properties.and_then(|p| p.get(&entry.key)) {
                Some(property) => self.node(property, &entry.value, &field, out),
                None if closed => {
                    let mut finding = unknown_field(entry, &field, properties);
                    let written = |key: &str| entries.iter().any(|e| e.key == key);
                    finding.rename = finding.rename.filter(|key| !written(key));
                    meant.extend(properties.and_then(|p| {
                        let key = finding.rename.as_deref()?;
                        p.get_key_value(key).map(|(k, _)| k.as_str())
                    }));
                    out.push(finding);
                }
                None => {
                    if let Some(value_schema) = others.filter(|o| o.is_object()) {
                        self.node(value_schema, &entry.value, &field, out);
                    }
                }
            }
        }
        let required = schema.get("required").and_then(Json::as_array);
        for name in required.into_iter().flatten().filter_map(Json::as_str) {
            if !seen.contains_key(name) && !meant.contains(&name) {
                let property = properties.and_then(|p| p.get(name));
                out.push(missing_field(
                    name,
                    &join(path, name),
                    property.map(|p| self.describe(p)),
                ));
            }
        }
    }

    fn array(&self, schema: &'s Json, items: &[Node], path: &str, out: &mut Vec<Finding>) {
        if let Some(item_schema) = schema.get("items") {
            for (index, item) in items.iter().enumerate() {
                self.node(item_schema, item, &format!("{path}[{index}]"), out);
            }
        }
    }

    /// A value that may take one of several forms (an optional value, `one or many`, a named
    /// or a custom attribute): fine if one alternative accepts it; otherwise the problems of
    /// the alternative with the node's shape, or a message naming the accepted shapes.
    fn union(
        &self,
        alternatives: &'s [Json],
        described: &'s Json,
        node: &Node,
        path: &str,
        out: &mut Vec<Finding>,
    ) {
        let shape = Shape::of(&node.value);
        let candidates: Vec<&'s Json> = alternatives.iter().map(|a| self.resolve(a)).collect();
        let non_null: Vec<&'s Json> = candidates
            .iter()
            .copied()
            .filter(|c| !accepts_only_null(c))
            .collect();
        if shape == Shape::Null && non_null.len() < candidates.len() {
            return;
        }
        if let Some(allowed) = non_null
            .iter()
            .map(|c| allowed_values(c))
            .collect::<Option<Vec<_>>>()
        {
            return enumeration(&allowed.concat(), node, path, out);
        }
        let mut attempts = Vec::new();
        for candidate in &non_null {
            let mut findings = Vec::new();
            self.node(candidate, node, path, &mut findings);
            if findings.is_empty() {
                return;
            }
            attempts.push((self.shape(candidate), findings));
        }
        if let Some(finding) = unknown_variant(&non_null, node, path) {
            return out.push(finding);
        }
        let closest = attempts
            .into_iter()
            .filter(|(shapes, _)| shapes.contains(&shape))
            .min_by_key(|(_, findings)| findings.len());
        match closest {
            Some((_, findings)) => out.extend(findings),
            None => {
                let mut expected: Vec<&str> = non_null
                    .iter()
                    .flat_map(|c| self.shape(c))
                    .map(Shape::describe)
                    .collect();
                expected.dedup();
                out.push(
                    Finding::error(
                        path,
                        format!(
                            "expected {}, found {}",
                            expected.join(" or "),
                            node.value.kind()
                        ),
                    )
                    .with_help(self.describe(described)),
                );
            }
        }
    }

    /// The shapes a schema accepts.
    fn shape(&self, schema: &'s Json) -> Vec<Shape> {
        let schema = self.resolve(schema);
        if let Some(alternatives) = alternatives(schema) {
            return alternatives.iter().flat_map(|a| self.shape(a)).collect();
        }
        if allowed_values(schema).is_some() {
            return vec![Shape::Scalar];
        }
        types(schema)
            .into_iter()
            .map(|t| match t {
                "object" => Shape::Mapping,
                "array" => Shape::List,
                "null" => Shape::Null,
                _ => Shape::Scalar,
            })
            .collect()
    }

    /// Help text for a field: its description in the schema (or its type's).
    fn describe(&self, schema: &'s Json) -> String {
        let own = schema.get("description").and_then(Json::as_str);
        let target = self
            .resolve(schema)
            .get("description")
            .and_then(Json::as_str);
        own.or(target)
            .map(|d| d.replace('\n', " "))
            .unwrap_or_else(|| {
                "see schema/federation-record.schema.json for the record format".into()
            })
    }
}

/// A serde enum written as a mapping with one key naming the variant (`source: {attribute:
/// x}`): a key naming no variant is reported as such, not as a problem inside one variant.
fn unknown_variant(alternatives: &[&Json], node: &Node, path: &str) -> Option<Finding> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    let tags: Vec<&str> = alternatives.iter().filter_map(|a| variant_tag(a)).collect();
    let [entry] = entries.as_slice() else {
        return None;
    };
    if tags.len() < 2 || tags.contains(&entry.key.as_str()) {
        return None;
    }
    let plain: Vec<String> = alternatives
        .iter()
        .filter_map(|a| allowed_values(a))
        .flatten()
        .collect();
    let mut forms = tags.iter().map(|t| format!("`{t}: …`")).collect::<Vec<_>>();
    forms.extend(plain.iter().map(|p| format!("`{p}`")));
    let listed = forms.join(", ");
    let close = did_you_mean(&entry.key, tags.iter().copied());
    let help = match close {
        Some(close) => format!("did you mean `{close}`? Write one of: {listed}"),
        None => format!("write one of: {listed}"),
    };
    let mut finding = Finding::error(
        join(path, &entry.key),
        format!("`{}` is not one of the allowed forms", entry.key),
    )
    .with_help(help)
    .at(Anchor::At(entry.key_pos));
    finding.rename = close.map(str::to_owned);
    Some(finding)
}

/// The key of a one-key object schema, the form serde gives a newtype enum variant.
fn variant_tag(schema: &Json) -> Option<&str> {
    let required = schema.get("required")?.as_array()?;
    let properties = schema.get("properties")?.as_object()?;
    match (required.as_slice(), properties.len()) {
        ([tag], 1) => tag.as_str(),
        _ => None,
    }
}

fn alternatives(schema: &Json) -> Option<&[Json]> {
    schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Json::as_array)
        .map(Vec::as_slice)
}

/// The string values an `enum` or `const` schema allows.
fn allowed_values(schema: &Json) -> Option<Vec<String>> {
    let strings = |values: &[Json]| {
        values
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_owned)
            .collect()
    };
    if let Some(values) = schema.get("enum").and_then(Json::as_array) {
        return Some(strings(values));
    }
    schema
        .get("const")
        .map(|value| strings(std::slice::from_ref(value)))
}

fn types(schema: &Json) -> Vec<&str> {
    match schema.get("type") {
        Some(Json::String(t)) => vec![t.as_str()],
        Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    }
}

fn accepts_only_null(schema: &Json) -> bool {
    types(schema) == ["null"]
}

fn enumeration(allowed: &[String], node: &Node, path: &str, out: &mut Vec<Finding>) {
    let listed = allowed.join(", ");
    let Value::Scalar(scalar) = &node.value else {
        out.push(
            Finding::error(
                path,
                format!("expected one of {listed}, found {}", node.value.kind()),
            )
            .with_help(format!("write one of: {listed}")),
        );
        return;
    };
    if allowed.contains(&scalar.text) {
        return;
    }
    let help = match did_you_mean(&scalar.text, allowed.iter().map(String::as_str)) {
        Some(close) => format!("did you mean `{close}`? Allowed values: {listed}"),
        None => format!("allowed values: {listed}"),
    };
    out.push(
        Finding::error(path, format!("`{}` is not one of {listed}", scalar.text)).with_help(help),
    );
}

fn date(text: &str, path: &str, out: &mut Vec<Finding>) {
    if text.parse::<IsoDate>().is_err() {
        out.push(
            Finding::error(path, format!("`{text}` is not a real date"))
                .with_help("write a calendar date as YYYY-MM-DD, e.g. \"2024-11-15\""),
        );
    }
}

fn mismatch(expected: &str, found: &Value, described: &Json, path: &str) -> Finding {
    let expected = match expected {
        "object" => "a mapping of fields",
        "array" => "a list",
        "string" => "a text value",
        "boolean" => "true or false",
        "integer" => "a whole number",
        "number" => "a number",
        _ => "nothing",
    };
    let found = match found {
        Value::Scalar(scalar) => format!("`{}`", scalar.text),
        other => other.kind().to_owned(),
    };
    let mut finding = Finding::error(path, format!("expected {expected}, found {found}"));
    if let Some(description) = described.get("description").and_then(Json::as_str) {
        finding = finding.with_help(description.replace('\n', " "));
    }
    finding
}

fn unknown_field(
    entry: &Entry,
    field: &str,
    properties: Option<&serde_json::Map<String, Json>>,
) -> Finding {
    let key = &entry.key;
    let known: Vec<&str> = properties
        .into_iter()
        .flat_map(|p| p.keys())
        .map(String::as_str)
        .collect();
    let close = did_you_mean(key, known.iter().copied());
    let help = match close {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("fields allowed here: {}", known.join(", ")),
    };
    let mut finding = Finding::error(field, format!("unknown field `{key}`"))
        .with_help(help)
        .at(Anchor::At(entry.key_pos));
    finding.rename = close.map(str::to_owned);
    finding
}

fn missing_field(name: &str, field: &str, description: Option<String>) -> Finding {
    let what = description.map(|d| format!(" ({d})")).unwrap_or_default();
    Finding::error(field, format!("missing required field `{name}`"))
        .with_help(format!("add `{name}:`{what}"))
}

/// The candidate closest to `word`, if any is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            (
                strsim::jaro_winkler(&word, &candidate.to_lowercase()),
                candidate,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tree::parse;

    fn findings(yaml: &str) -> Vec<Finding> {
        check(record_schema(), &parse(yaml).unwrap())
    }

    const VALID: &str = r#"
federation:
  partner: "P"
  type: saml
  direction: your-idp-to-partner-sp
  established: "2024-11-15"
  technical:
    your_entity_id: "https://idp.example.org/realms/r"
    partner_entity_id: "https://sp.example.org"
    partner_acs: ["https://sp.example.org/acs"]
    sign_assertions: true
  access_control:
    group: g
    approver: a
    review_frequency: quarterly
  attributes_shared:
    - email
    - name: custom
      source: { attribute: costCenter }
      saml: { name: costCenter }
"#;

    #[test]
    fn a_valid_record_has_no_structural_findings() {
        assert_eq!(findings(VALID), vec![]);
    }

    #[test]
    fn every_problem_is_reported_not_just_the_first() {
        let yaml = VALID
            .replace("partner_acs:", "partner_acss:")
            .replace("sign_assertions: true", "sign_asertions: true")
            .replace("quarterly", "quartely")
            .replace("2024-11-15", "2024-02-30");
        let found = findings(&yaml);
        let fields: Vec<&str> = found.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "federation.established",
                "federation.technical.partner_acss",
                "federation.technical.sign_asertions",
                "federation.access_control.review_frequency",
            ]
        );
        assert_eq!(
            found[1].help.as_deref(),
            Some("did you mean `partner_acs`?")
        );
        assert!(
            found[3]
                .help
                .as_deref()
                .unwrap()
                .contains("did you mean `quarterly`?")
        );
        assert!(
            found[3]
                .message
                .contains("monthly, quarterly, semiannual, annual")
        );
    }

    #[test]
    fn missing_fields_are_named() {
        let found = findings("federation:\n  partner: P\n");
        let messages: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
        assert!(
            messages.contains(&"missing required field `technical`"),
            "{messages:?}"
        );
        assert!(found.iter().any(|f| f.field == "federation.type"));
    }

    #[test]
    fn wrong_types_name_both_sides() {
        let found = findings(&VALID.replace("sign_assertions: true", "sign_assertions: yes"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "expected true or false, found `yes`");
        let found = findings(&VALID.replace("group: g", "group: [g]"));
        assert_eq!(found[0].message, "expected a text value, found a list");
    }

    #[test]
    fn unions_report_the_alternative_of_the_right_shape() {
        let found = findings(&VALID.replace(
            "partner_acs: [\"https://sp.example.org/acs\"]",
            "partner_acs: {a: b}",
        ));
        assert_eq!(
            found[0].message,
            "expected a single value or a list, found a mapping"
        );
        let found = findings(&VALID.replace("attribute: costCenter", "atribute: costCenter"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].field,
            "federation.attributes_shared[1].source.atribute"
        );
        assert_eq!(
            found[0].message,
            "`atribute` is not one of the allowed forms"
        );
        assert!(
            found[0]
                .help
                .as_deref()
                .unwrap()
                .starts_with("did you mean `attribute`?")
        );
    }

    #[test]
    fn duplicate_keys_are_reported_with_the_first_line() {
        let found = findings(&VALID.replace("  type: saml\n", "  type: saml\n  type: oidc\n"));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("set twice (first on line 4)"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn null_is_accepted_for_optional_fields_only() {
        assert_eq!(
            findings(&VALID.replace("established: \"2024-11-15\"", "established: ~")),
            vec![]
        );
        let found = findings(&VALID.replace("partner: \"P\"", "partner: ~"));
        assert_eq!(
            found[0].message,
            "expected a text value, found nothing (null)"
        );
    }

    #[test]
    fn typos_close_to_a_candidate_get_a_suggestion() {
        assert_eq!(
            did_you_mean("partner_acss", ["partner_acs", "partner_slo"]),
            Some("partner_acs")
        );
        assert_eq!(did_you_mean("zzz", ["partner_acs"]), None);
    }
}
