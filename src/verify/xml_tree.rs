//! A small element tree of a SAML message, read with the hardened cursor that reads metadata
//! (no DOCTYPE, no entity expansion, elements classified by namespace URI, never by prefix).

use crate::saml::xml::{Cursor, Item, MetadataError};

pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Namespace URI (empty when unbound).
    pub ns: String,
    pub local: String,
    /// Attributes by qualified name as written (`ID`, `xsi:type`), values normalised.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// The element's own text (not its children's).
    pub text: String,
}

impl Element {
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        (self.attrs.iter())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, local))
    }

    pub fn child<'a>(&'a self, ns: &'a str, local: &'a str) -> Option<&'a Element> {
        self.children_named(ns, local).next()
    }

    /// This element and every element below it, in document order.
    pub fn walk(&self) -> Vec<&Element> {
        let mut all = vec![self];
        for child in &self.children {
            all.extend(child.walk());
        }
        all
    }
}

/// Parses a whole document into its root element.
pub fn parse(xml: &[u8]) -> Result<Element, MetadataError> {
    let mut cursor = Cursor::new(xml)?;
    loop {
        match cursor.next()? {
            Item::Open(open) => {
                let root = element(&mut cursor, &open)?;
                while !matches!(cursor.next()?, Item::Eof) {}
                return Ok(root);
            }
            Item::Eof => return Err(MetadataError::Empty),
            Item::Close { .. } | Item::Text(_) => {}
        }
    }
}

fn element(
    cursor: &mut Cursor<'_>,
    open: &crate::saml::xml::Open<'_>,
) -> Result<Element, MetadataError> {
    let expanded = cursor.expanded_name(open);
    let (ns, local) = match expanded.strip_prefix('{').and_then(|r| r.split_once('}')) {
        Some((ns, local)) => (ns.to_owned(), local.to_owned()),
        None => (String::new(), expanded),
    };
    let mut attrs = Vec::new();
    for attr in open.start.attributes() {
        let Ok(attr) = attr else { continue };
        let key = attr.key.into_inner().to_owned();
        if let Some(value) = cursor.attr(open, &key)? {
            attrs.push((key, value.into_owned()));
        }
    }
    let mut element = Element {
        ns,
        local,
        attrs,
        children: Vec::new(),
        text: String::new(),
    };
    loop {
        match cursor.next()? {
            Item::Open(child) => element.children.push(self::element(cursor, &child)?),
            Item::Text(text) => element.text.push_str(&text),
            Item::Close { .. } => return Ok(element),
            Item::Eof => return Err(MetadataError::Empty),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_named_by_namespace_not_prefix() {
        let xml = br#"<p:Response xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" ID="r1"><a:Issuer xmlns:a="urn:oasis:names:tc:SAML:2.0:assertion">x &amp; y</a:Issuer></p:Response>"#;
        let root = parse(xml).unwrap();
        assert!(root.is(SAMLP, "Response"));
        assert_eq!(root.attr("ID"), Some("r1"));
        assert_eq!(root.child(SAML, "Issuer").unwrap().text, "x & y");
    }

    #[test]
    fn a_doctype_is_refused() {
        let xml = b"<!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>";
        assert!(parse(xml).is_err());
    }
}
