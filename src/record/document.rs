//! Reading one YAML document (a record or an attribute profile) against its schema, with every
//! structural problem located and the value salvaged when the rest still makes sense.

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use super::problem::{Anchor, Finding};
use super::schema;
use super::tree::{self, Node};

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
