//! A YAML document as a tree whose every node and key knows where it was written.
//!
//! serde stops at the first error, but `fedctl validate` must report every problem in a
//! file. So a document is first read into this untyped tree (syntax errors are the only thing
//! that stop it), checked against the record schema node by node, and only then deserialized
//! into the typed record. The tree also maps field paths back to source positions for
//! diagnostics raised later, on the typed record.

use std::fmt;

use miette::SourceSpan;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

/// Options for every YAML read in fedctl: `yes`/`no`/`on`/`off` stay strings (only
/// `true`/`false` are booleans), and duplicate keys are errors.
pub fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! { strict_booleans: true }
}

/// Options for reading the untyped tree: duplicate keys reach the tree, which reports
/// each of them and carries on with the rest of the file.
fn tree_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
    }
}

/// A position in the source: 1-based line and column (in characters) and a byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
    pub span: SourceSpan,
}

impl Pos {
    /// Where a problem that has no better place (an unreadable file, an empty document) is shown.
    pub fn start() -> Pos {
        Pos {
            line: 1,
            column: 1,
            span: (0, 0).into(),
        }
    }

    /// Converts a serde-saphyr location; byte offsets are recomputed from line and column
    /// because locations of syntax errors carry no byte information.
    pub fn from_location(location: Location, source: &str) -> Pos {
        let line = usize::try_from(location.line()).unwrap_or(1).max(1);
        let column = usize::try_from(location.column()).unwrap_or(1).max(1);
        let offset = byte_offset(source, line, column);
        let len = location
            .span()
            .byte_len()
            .and_then(|len| usize::try_from(len).ok())
            .filter(|len| offset + len <= source.len())
            .unwrap_or(0);
        Pos {
            line,
            column,
            span: SourceSpan::new(offset.into(), len),
        }
    }
}

/// Byte offset of a 1-based line and character column, clamped to the source.
fn byte_offset(source: &str, line: usize, column: usize) -> usize {
    let line_start = source
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum::<usize>();
    let rest = &source[line_start.min(source.len())..];
    let within = rest
        .char_indices()
        .nth(column - 1)
        .map_or(rest.len(), |(index, _)| index);
    line_start + within
}

/// A YAML node. Scalars keep their text: records only hold strings, booleans and dates,
/// and the schema check decides which scalars fit where.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    /// The YAML resolver read it as a boolean (`true`/`false`, unquoted).
    pub is_bool: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

impl Value {
    /// How the node is named in messages ("found a list").
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Scalar(s) if s.is_bool => "a boolean",
            Value::Scalar(_) => "a single value",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// The node at a field path such as `federation.technical.partner_acs[1]`.
    pub fn get(&self, path: &str) -> Option<&Node> {
        let mut node = self;
        for step in steps(path) {
            node = match (&node.value, step) {
                (Value::Map(entries), Step::Key(key)) => {
                    &entries.iter().find(|e| e.key == key)?.value
                }
                (Value::Seq(items), Step::Index(i)) => items.get(i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The key and value of the map entry at `path`, when `path` names a map entry.
    pub fn entry(&self, path: &str) -> Option<&Entry> {
        let (parent, last) = match path.rsplit_once('.') {
            Some((parent, last)) => (self.get(parent)?, last),
            None => (self, path),
        };
        match &parent.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == last),
            _ => None,
        }
    }

    /// Every scalar in the tree with its path, depth first in document order.
    pub fn scalars(&self) -> Vec<(String, &Node)> {
        let mut out = Vec::new();
        self.collect_scalars(String::new(), &mut out);
        out
    }

    fn collect_scalars<'a>(&'a self, path: String, out: &mut Vec<(String, &'a Node)>) {
        match &self.value {
            Value::Scalar(_) => out.push((path, self)),
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    item.collect_scalars(format!("{path}[{i}]"), out);
                }
            }
            Value::Map(entries) => {
                for entry in entries {
                    entry.value.collect_scalars(join(&path, &entry.key), out);
                }
            }
            Value::Null => {}
        }
    }

    /// A copy with misspelt keys renamed (`(path, intended key)`) and the fields at `remove`
    /// left out (a list item takes its whole list with it; a repeated key loses its last
    /// occurrence). Used to salvage a record with structural errors for the semantic checks.
    pub fn repaired<'p>(
        &self,
        remove: impl IntoIterator<Item = &'p str>,
        rename: impl IntoIterator<Item = (&'p str, &'p str)>,
    ) -> Node {
        let mut copy = self.clone();
        for (path, key) in rename {
            if let Some(entry) = copy.entry_mut(path) {
                entry.key = key.to_owned();
            }
        }
        for path in remove {
            let path = list_field(path);
            let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
            if let Some(Node {
                value: Value::Map(entries),
                ..
            }) = copy.walk_mut(parent)
                && let Some(last) = entries.iter().rposition(|e| e.key == key)
            {
                entries.remove(last);
            }
        }
        copy
    }

    fn entry_mut(&mut self, path: &str) -> Option<&mut Entry> {
        let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
        match &mut self.walk_mut(parent)?.value {
            Value::Map(entries) => entries.iter_mut().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The tree as JSON: booleans the YAML resolver saw stay booleans, every other scalar is
    /// text (record fields are text, booleans or dates). A repeated key keeps its first value.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match &self.value {
            Value::Null => Json::Null,
            Value::Scalar(s) if s.is_bool => Json::Bool(s.text == "true"),
            Value::Scalar(s) => Json::String(s.text.clone()),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                let mut map = serde_json::Map::new();
                for entry in entries {
                    map.entry(entry.key.clone())
                        .or_insert_with(|| entry.value.to_json());
                }
                Json::Object(map)
            }
        }
    }

    fn walk_mut(&mut self, path: &str) -> Option<&mut Node> {
        let mut node = self;
        for step in steps(path) {
            node = match (&mut node.value, step) {
                (Value::Map(entries), Step::Key(key)) => {
                    &mut entries.iter_mut().find(|e| e.key == key)?.value
                }
                (Value::Seq(items), Step::Index(i)) => items.get_mut(i)?,
                _ => return None,
            };
        }
        Some(node)
    }
}

/// `parent.key`, or `key` at the top.
pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// The field holding a path: `a.b[2].c` → `a.b`, `a.b` → `a.b`.
pub fn list_field(path: &str) -> &str {
    match path.find('[') {
        Some(index) => &path[..index],
        None => path,
    }
}

enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `a.b[2].c` into `a`, `b`, `2`, `c`.
fn steps(path: &str) -> impl Iterator<Item = Step<'_>> {
    path.split('.')
        .filter(|part| !part.is_empty())
        .flat_map(|part| {
            let mut pieces = part.split('[');
            let key = pieces.next().filter(|k| !k.is_empty()).map(Step::Key);
            let indices =
                pieces.filter_map(|p| p.trim_end_matches(']').parse().ok().map(Step::Index));
            key.into_iter().chain(indices)
        })
}

/// A YAML syntax error: where and what.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// Reads a YAML document into a tree. An empty document is a `Null` node.
pub fn parse(source: &str) -> Result<Node, SyntaxError> {
    match serde_saphyr::from_str_with_options::<Spanned<RawValue>>(source, tree_options()) {
        Ok(spanned) => Ok(spanned.value.into_node(spanned.referenced, source)),
        Err(error) => Err(syntax_error(&error, source)),
    }
}

/// A serde-saphyr error as a position and a message without location or snippet (fedctl
/// renders both itself).
pub fn syntax_error(error: &serde_saphyr::Error, source: &str) -> SyntaxError {
    use serde_saphyr::MessageFormatter;
    let message = match innermost(error) {
        // The library's own wording names its API; say what it means for a record file.
        serde_saphyr::Error::MultipleDocuments { .. } => {
            "the file holds several YAML documents (`---`); write one record per file".into()
        }
        core => serde_saphyr::DefaultMessageFormatter
            .format_message(core)
            .into_owned(),
    };
    SyntaxError {
        pos: error.location().map_or(Pos::start(), |location| {
            Pos::from_location(location, source)
        }),
        message,
    }
}

fn innermost(mut error: &serde_saphyr::Error) -> &serde_saphyr::Error {
    loop {
        match error {
            serde_saphyr::Error::AliasError { error: inner, .. }
            | serde_saphyr::Error::WithSnippet { error: inner, .. } => error = inner,
            _ => return error,
        }
    }
}

/// What serde-saphyr hands over, before locations are turned into [`Pos`]itions.
enum RawValue {
    Null,
    Scalar(Scalar),
    Seq(Vec<Spanned<RawValue>>),
    Map(Vec<(Spanned<String>, Spanned<RawValue>)>),
}

impl RawValue {
    fn into_node(self, location: Location, source: &str) -> Node {
        let value = match self {
            RawValue::Null => Value::Null,
            RawValue::Scalar(scalar) => Value::Scalar(scalar),
            RawValue::Seq(items) => Value::Seq(
                items
                    .into_iter()
                    .map(|item| item.value.into_node(item.referenced, source))
                    .collect(),
            ),
            RawValue::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|(key, value)| Entry {
                        key: key.value,
                        key_pos: Pos::from_location(key.referenced, source),
                        value: value.value.into_node(value.referenced, source),
                    })
                    .collect(),
            ),
        };
        Node {
            value,
            pos: Pos::from_location(location, source),
        }
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl RawVisitor {
    fn scalar(text: String, is_bool: bool) -> RawValue {
        RawValue::Scalar(Scalar { text, is_bool })
    }
}

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawValue, D::Error> {
        RawValue::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawValue, E> {
        Ok(Self::scalar(v.to_string(), true))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawValue, E> {
        Ok(Self::scalar(v.to_string(), false))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
        Ok(Self::scalar(v.to_string(), false))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawValue, E> {
        Ok(Self::scalar(v.to_string(), false))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawValue, E> {
        Ok(Self::scalar(v.to_string(), false))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawValue, E> {
        Ok(Self::scalar(v.to_string(), false))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawValue, E> {
        Ok(Self::scalar(v.to_owned(), false))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<RawValue, E> {
        Ok(Self::scalar(v, false))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<RawValue, E> {
        Ok(Self::scalar(String::from_utf8_lossy(v).into_owned(), false))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawValue::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            entries.push((key, map.next_value()?));
        }
        Ok(RawValue::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar_text(node: &Node) -> &str {
        match &node.value {
            Value::Scalar(s) => &s.text,
            other => panic!("not a scalar: {other:?}"),
        }
    }

    #[test]
    fn nodes_know_their_line_and_column() {
        let tree = parse("a:\n  b: [x, \"y\"]\n  c: true\n").unwrap();
        let y = tree.get("a.b[1]").unwrap();
        assert_eq!(scalar_text(y), "y");
        assert_eq!((y.pos.line, y.pos.column), (2, 10));
        let c = tree.entry("a.c").unwrap();
        assert_eq!((c.key_pos.line, c.key_pos.column), (3, 3));
        assert!(matches!(&c.value.value, Value::Scalar(s) if s.is_bool));
    }

    #[test]
    fn strict_booleans_keep_yes_as_text() {
        let tree = parse("a: yes\n").unwrap();
        assert!(matches!(&tree.get("a").unwrap().value, Value::Scalar(s) if !s.is_bool));
    }

    #[test]
    fn duplicate_keys_reach_the_tree() {
        let tree = parse("a: 1\na: 2\n").unwrap();
        let Value::Map(entries) = &tree.value else {
            panic!()
        };
        assert_eq!(entries.len(), 2);
    }

    #[test]
    fn a_missing_path_has_no_node() {
        let tree = parse("a:\n  b: 1\n").unwrap();
        assert!(tree.get("a.c").is_none());
    }

    #[test]
    fn pruning_removes_fields_and_whole_lists() {
        let tree = parse("a:\n  b: [x, y]\n  c: true\n  d: 1\n").unwrap();
        let repaired = tree.repaired(["a.b[1]", "a.c"], [("a.d", "e")]);
        assert_eq!(repaired.to_json(), serde_json::json!({"a": {"e": "1"}}));
        let twice = parse("a: 1\na: 2\n").unwrap().repaired(["a"], []);
        assert_eq!(twice.to_json(), serde_json::json!({"a": "1"}));
        assert_eq!(tree.to_json()["a"]["c"], serde_json::json!(true));
    }

    #[test]
    fn syntax_errors_are_located_without_snippets() {
        let err = parse("a: [x\n").unwrap_err();
        assert_eq!((err.pos.line, err.pos.column), (1, 4));
        assert!(!err.message.contains("line"), "{}", err.message);
    }

    #[test]
    fn byte_offsets_count_multibyte_characters() {
        let source = "ä: ö\nb: x\n";
        assert_eq!(byte_offset(source, 1, 4), "ä: ".len());
        assert_eq!(byte_offset(source, 2, 4), source.find('x').unwrap());
        // Past the end is clamped, never a panic.
        assert_eq!(byte_offset(source, 9, 9), source.len());
    }
}
