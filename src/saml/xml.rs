//! A hardened, namespace-aware pull cursor over an XML document held in memory.
//!
//! Metadata arrives from partners and federations, so the cursor refuses what a metadata
//! document never needs and an attacker likes: a DOCTYPE (entity declarations, external DTDs)
//! and references to undeclared entities. Nothing is ever expanded or fetched. Elements are
//! classified by namespace URI, never by prefix.

use std::borrow::Cow;

use quick_xml::NsReader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::model::Position;

pub(crate) const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
pub(crate) const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub(crate) const MDUI: &str = "urn:oasis:names:tc:SAML:metadata:ui";

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The deepest element nesting accepted: libxml2 (and so xmlsec1) refuses deeper documents by
/// default, and real metadata stays within a dozen levels.
pub(crate) const MAX_DEPTH: usize = 256;

/// Why a document could not be read as metadata at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("{position}: the document is not valid UTF-8")]
    NotUtf8 { position: Position },
    #[error(
        "{position}: the document declares encoding {declared:?}; only UTF-8 metadata is \
         supported (convert it, e.g. with iconv)"
    )]
    UnsupportedEncoding {
        declared: String,
        position: Position,
    },
    #[error(
        "{position}: the document has a DOCTYPE; metadata with document type declarations, \
         entity declarations or external references is refused (nothing is expanded or fetched)"
    )]
    Doctype { position: Position },
    #[error("{position}: reference to undeclared entity &{name}; (entities are never expanded)")]
    UndeclaredEntity { name: String, position: Position },
    #[error("{position}: XML is not well-formed: {reason}")]
    NotWellFormed { reason: String, position: Position },
    #[error("the document is empty: no root element")]
    Empty,
    #[error(
        "{position}: the root element is {found}, not a SAML 2.0 metadata EntityDescriptor or \
         EntitiesDescriptor (namespace {MD})"
    )]
    NotMetadata { found: String, position: Position },
    #[error("{position}: EntitiesDescriptor nesting deeper than {limit} levels")]
    TooDeep { limit: usize, position: Position },
    #[error(
        "{position}: {element} has an invalid validUntil {value:?}: expected an xs:dateTime such \
         as 2030-01-31T12:00:00Z; metadata whose validity cannot be read is refused, as expired \
         metadata is"
    )]
    InvalidValidUntil {
        element: &'static str,
        value: String,
        position: Position,
    },
    #[error("{position}: elements nested deeper than {limit} levels; metadata never needs this")]
    NestedTooDeep { limit: usize, position: Position },
    #[error(
        "{position}: the namespace declaration {name} contains a character or entity reference \
         ({value:?}); XML parsers disagree on such declarations, so they are refused"
    )]
    NamespaceReference {
        name: String,
        value: String,
        position: Position,
    },
}

impl MetadataError {
    /// Where in the document the problem is, when it has a place.
    pub fn position(&self) -> Option<Position> {
        match self {
            MetadataError::NotUtf8 { position }
            | MetadataError::UnsupportedEncoding { position, .. }
            | MetadataError::Doctype { position }
            | MetadataError::UndeclaredEntity { position, .. }
            | MetadataError::NotWellFormed { position, .. }
            | MetadataError::NotMetadata { position, .. }
            | MetadataError::TooDeep { position, .. }
            | MetadataError::NestedTooDeep { position, .. }
            | MetadataError::InvalidValidUntil { position, .. }
            | MetadataError::NamespaceReference { position, .. } => Some(*position),
            MetadataError::Empty => None,
        }
    }
}

/// The namespaces fedctl reads; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    Md,
    Ds,
    Mdui,
    Other,
}

/// A start tag, classified.
pub(crate) struct Open<'a> {
    pub ns: Ns,
    pub start: BytesStart<'a>,
    /// Byte offset of the `<`.
    pub offset: usize,
}

impl Open<'_> {
    pub fn local(&self) -> &str {
        self.start.local_name().into_inner()
    }

    pub fn is(&self, ns: Ns, local: &str) -> bool {
        self.ns == ns && self.local() == local
    }
}

pub(crate) enum Item<'a> {
    Open(Open<'a>),
    /// An end tag; `offset` is where its `</` starts.
    Close {
        offset: usize,
    },
    Text(Cow<'a, str>),
    Eof,
}

pub(crate) struct Cursor<'a> {
    reader: NsReader<&'a [u8]>,
    text: &'a str,
    /// Length of a stripped BOM, so offsets stay relative to the caller's bytes.
    base: usize,
    depth: usize,
    seen_root: bool,
    /// A self-closing tag was returned as `Open`; its `Close` comes next.
    pending_close: Option<usize>,
    lines: LineIndex,
}

impl<'a> Cursor<'a> {
    pub fn new(xml: &'a [u8]) -> Result<Self, MetadataError> {
        let (base, body) = match xml.strip_prefix(UTF8_BOM) {
            Some(rest) => (UTF8_BOM.len(), rest),
            None => (0, xml),
        };
        let text = std::str::from_utf8(body).map_err(|e| MetadataError::NotUtf8 {
            position: position_in(body, e.valid_up_to(), base),
        })?;
        let mut reader = NsReader::from_str(text);
        reader.config_mut().check_end_names = true;
        Ok(Cursor {
            reader,
            text,
            base,
            depth: 0,
            seen_root: false,
            pending_close: None,
            lines: LineIndex::default(),
        })
    }

    /// Number of currently open elements (the root is depth 1 once opened).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The line and column of a byte offset returned by this cursor.
    pub fn position(&mut self, offset: usize) -> Position {
        self.lines.position(
            self.text.as_bytes(),
            offset.saturating_sub(self.base),
            self.base,
        )
    }

    /// `{namespace}local` of a start tag, for messages.
    pub fn expanded_name(&self, open: &Open) -> String {
        match self.reader.resolver().resolve_element(open.start.name()) {
            (ResolveResult::Bound(ns), local) => {
                format!("{{{}}}{}", ns.into_inner(), local.into_inner())
            }
            (_, _) => open.start.name().into_inner().to_owned(),
        }
    }

    /// The normalised value of an attribute, matched on its exact qualified name (metadata
    /// attributes are unqualified; `xml:lang` has a fixed prefix).
    pub fn attr<'o>(
        &mut self,
        open: &'o Open,
        name: &str,
    ) -> Result<Option<Cow<'o, str>>, MetadataError> {
        for attr in open.start.attributes() {
            let attr = attr.map_err(|e| self.ill_formed(e.to_string(), open.offset))?;
            if attr.key.into_inner() == name {
                let value = attr
                    .normalized_value(XmlVersion::Implicit1_0)
                    .map_err(|e| self.ill_formed(e.to_string(), open.offset))?;
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    pub fn next(&mut self) -> Result<Item<'a>, MetadataError> {
        if let Some(offset) = self.pending_close.take() {
            self.depth -= 1;
            return Ok(Item::Close { offset });
        }
        loop {
            let offset = self.reader.buffer_position() as usize + self.base;
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(e) => {
                    let at = self.reader.error_position() as usize + self.base;
                    return Err(self.ill_formed(e.to_string(), at));
                }
            };
            match event {
                Event::Start(start) => return self.open(start, offset),
                Event::Empty(start) => {
                    let item = self.open(start, offset)?;
                    self.pending_close = Some(offset);
                    return Ok(item);
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    return Ok(Item::Close { offset });
                }
                Event::Text(text) => {
                    let content = text.xml10_content();
                    if self.depth > 0 {
                        return Ok(Item::Text(content));
                    }
                    if !content.trim().is_empty() {
                        return Err(self.ill_formed("text outside the root element".into(), offset));
                    }
                }
                Event::CData(data) if self.depth > 0 => {
                    return Ok(Item::Text(data.xml10_content()));
                }
                Event::CData(_) => {
                    return Err(self.ill_formed("CDATA outside the root element".into(), offset));
                }
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(ch)) => Cow::Owned(ch.to_string()),
                        Ok(None) => match resolve_predefined_entity(&reference) {
                            Some(s) => Cow::Borrowed(s),
                            None => {
                                return Err(MetadataError::UndeclaredEntity {
                                    name: reference.into_inner().into_owned(),
                                    position: self.position(offset),
                                });
                            }
                        },
                        Err(e) => return Err(self.ill_formed(e.to_string(), offset)),
                    };
                    if self.depth == 0 {
                        return Err(
                            self.ill_formed("reference outside the root element".into(), offset)
                        );
                    }
                    return Ok(Item::Text(resolved));
                }
                Event::DocType(_) => {
                    return Err(MetadataError::Doctype {
                        position: self.position(offset),
                    });
                }
                Event::Decl(decl) => {
                    if let Some(Ok(declared)) = decl.encoding()
                        && !matches!(
                            declared.to_ascii_lowercase().as_str(),
                            "utf-8" | "utf8" | "us-ascii" | "ascii"
                        )
                    {
                        return Err(MetadataError::UnsupportedEncoding {
                            declared: declared.into_owned(),
                            position: self.position(offset),
                        });
                    }
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::Eof if self.depth > 0 => {
                    return Err(
                        self.ill_formed("the document ends inside an element".into(), offset)
                    );
                }
                Event::Eof if !self.seen_root => return Err(MetadataError::Empty),
                Event::Eof => return Ok(Item::Eof),
            }
        }
    }

    fn open(&mut self, start: BytesStart<'a>, offset: usize) -> Result<Item<'a>, MetadataError> {
        if self.depth == 0 && self.seen_root {
            return Err(self.ill_formed("a second element after the root element".into(), offset));
        }
        self.seen_root = true;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(MetadataError::NestedTooDeep {
                limit: MAX_DEPTH,
                position: self.position(offset),
            });
        }
        self.check_namespace_declarations(&start, offset)?;
        let ns = match self.reader.resolver().resolve_element(start.name()).0 {
            ResolveResult::Bound(ns) => match ns.into_inner() {
                MD => Ns::Md,
                DS => Ns::Ds,
                MDUI => Ns::Mdui,
                _ => Ns::Other,
            },
            // Unbound or an undeclared prefix: not one of ours, so it is skipped (or, at the
            // root, reported as not metadata).
            _ => Ns::Other,
        };
        Ok(Item::Open(Open { ns, start, offset }))
    }

    /// quick-xml takes a namespace URI from the raw `xmlns` value, while libxml2 (xmlsec1)
    /// decodes references in it first: the same declaration would name different namespaces
    /// for the reader and the signature verifier, so it is refused outright.
    fn check_namespace_declarations(
        &mut self,
        start: &BytesStart,
        offset: usize,
    ) -> Result<(), MetadataError> {
        if !start.attributes_raw().contains("xmlns") {
            return Ok(());
        }
        for attr in start.attributes() {
            let attr = attr.map_err(|e| self.ill_formed(e.to_string(), offset))?;
            if attr.key.as_namespace_binding().is_some() && attr.value.contains('&') {
                return Err(MetadataError::NamespaceReference {
                    name: attr.key.into_inner().to_owned(),
                    value: attr.value.into_owned(),
                    position: self.position(offset),
                });
            }
        }
        Ok(())
    }

    /// Consumes the rest of the element whose `Open` was just returned.
    pub fn skip(&mut self) -> Result<(), MetadataError> {
        skip_element(|| self.next())
    }

    fn ill_formed(&mut self, reason: String, offset: usize) -> MetadataError {
        MetadataError::NotWellFormed {
            reason,
            position: self.position(offset),
        }
    }
}

/// Takes items from `next` up to the end of the element just opened. Iterative, not
/// recursive: a hostile document can nest elements far deeper than the stack allows.
pub(crate) fn skip_element<'a>(
    mut next: impl FnMut() -> Result<Item<'a>, MetadataError>,
) -> Result<(), MetadataError> {
    let mut depth = 1usize;
    while depth > 0 {
        match next()? {
            Item::Open(_) => depth += 1,
            Item::Close { .. } | Item::Eof => depth -= 1,
            Item::Text(_) => {}
        }
    }
    Ok(())
}

/// Turns byte offsets into lines and columns. The parser asks in document order, so the index
/// resumes from its last answer (linear over the whole document, even a one-line aggregate);
/// an earlier offset rescans from the start.
#[derive(Default)]
struct LineIndex {
    offset: usize,
    line: u32,
    /// Characters between the start of the line and `offset`.
    column: u32,
}

impl LineIndex {
    fn position(&mut self, text: &[u8], offset: usize, base: usize) -> Position {
        let offset = offset.min(text.len());
        if offset < self.offset {
            *self = LineIndex::default();
        }
        // Counting loops without branches on the line state, so they vectorise: this runs over
        // the whole of a 9 MB aggregate.
        let chunk = &text[self.offset..offset];
        let starts_char = |b: &&u8| (**b & 0xC0) != 0x80; // not a UTF-8 continuation byte
        let newlines = chunk.iter().filter(|b| **b == b'\n').count();
        let tail = match chunk.iter().rposition(|b| *b == b'\n') {
            Some(last) => {
                self.column = 0;
                &chunk[last + 1..]
            }
            None => chunk,
        };
        self.line = self
            .line
            .saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        let columns = u32::try_from(tail.iter().filter(starts_char).count()).unwrap_or(u32::MAX);
        self.column = self.column.saturating_add(columns);
        self.offset = offset;
        Position {
            offset: offset + base,
            line: self.line + 1,
            column: self.column.saturating_add(1),
        }
    }
}

fn position_in(text: &[u8], offset: usize, base: usize) -> Position {
    LineIndex::default().position(text, offset, base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_lines_and_characters_forwards_and_backwards() {
        let text = "ab\ncdé\n\nxyzé!".as_bytes();
        let mut index = LineIndex::default();
        let at = |index: &mut LineIndex, offset| {
            let p = index.position(text, offset, 0);
            (p.line, p.column)
        };
        assert_eq!(at(&mut index, 0), (1, 1));
        assert_eq!(at(&mut index, 4), (2, 2));
        // After "é" (two bytes) the column advances by one character.
        assert_eq!(at(&mut index, 7), (2, 4));
        assert_eq!(at(&mut index, 12), (4, 4));
        assert_eq!(at(&mut index, 15), (4, 6));
        // An earlier offset rescans from the start.
        assert_eq!(at(&mut index, 3), (2, 1));
    }
}
