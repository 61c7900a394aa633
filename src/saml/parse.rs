//! Streaming metadata parser: one pass over the document, keeping only what [`Metadata`] holds.
//!
//! Problems inside an entity (an unreadable certificate, an invalid attribute value) become
//! findings on that entity; only a document that is not well-formed XML, not metadata, or
//! uses DOCTYPE/entities is refused as a whole.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::model::{
    CertProblem, ContactPerson, Endpoint, Entity, Finding, FindingKind, IdpDescriptor,
    KeyDescriptor, KeyUse, Localized, Metadata, Organization, Position, RequestedAttribute, Role,
    RoleDescriptor, SignatureInfo, SignatureReference, SpDescriptor, UiInfo,
};
use super::xml::{Cursor, Item, MetadataError, Ns, Open, skip_element};
use crate::x509::{self, CertInfo};

/// Aggregates nest a few levels at most; the limit keeps a hostile document from exhausting
/// the stack through recursion.
const MAX_NESTING: usize = 32;

/// Parses a metadata document (a single `EntityDescriptor` or an `EntitiesDescriptor`
/// aggregate of any depth).
pub fn parse_metadata(xml: &[u8]) -> Result<Metadata, MetadataError> {
    let mut parser = Parser::new(Cursor::new(xml)?);
    let root = match parser.next()? {
        Item::Open(open) => open,
        // The cursor reports an empty document itself; text cannot precede the root.
        Item::Close { .. } | Item::Text(_) | Item::Eof => return Err(MetadataError::Empty),
    };
    let mut out = Collected::default();
    let (valid_until, cache_duration) = if root.is(Ns::Md, "EntitiesDescriptor") {
        parser.group(&root, None, 0, &mut out)?
    } else if root.is(Ns::Md, "EntityDescriptor") {
        parser.entity(&root, None, &mut out)?
    } else {
        return Err(MetadataError::NotMetadata {
            found: parser.cursor.expanded_name(&root),
            position: parser.cursor.position(root.offset),
        });
    };
    // Drain comments and whitespace after the root; anything else is an error.
    while !matches!(parser.next()?, Item::Eof) {}
    Ok(Metadata {
        entities: out.entities,
        findings: out.findings,
        valid_until,
        cache_duration,
        signature: parser.signature.info,
        root_id: parser.root_id,
        root_id_uses: parser.root_id_uses,
    })
}

#[derive(Default)]
struct Collected {
    entities: Vec<Entity>,
    findings: Vec<Finding>,
}

/// What the role-specific parts of an `SPSSODescriptor`/`IDPSSODescriptor` contain; both are
/// read by one function because they share most of their structure.
#[derive(Default)]
struct Services {
    assertion_consumer: Vec<Endpoint>,
    single_sign_on: Vec<Endpoint>,
    requested_attributes: Vec<RequestedAttribute>,
}

struct Parser<'a> {
    cursor: Cursor<'a>,
    signature: SignatureScan,
    root_id: Option<String>,
    root_id_uses: usize,
}

impl<'a> Parser<'a> {
    fn new(cursor: Cursor<'a>) -> Self {
        Parser {
            cursor,
            signature: SignatureScan::default(),
            root_id: None,
            root_id_uses: 0,
        }
    }

    /// Every event passes through here, so the signature and ID bookkeeping sees the whole
    /// document whichever function consumes it.
    fn next(&mut self) -> Result<Item<'a>, MetadataError> {
        let item = self.cursor.next()?;
        match &item {
            Item::Open(open) => {
                // Most elements carry no ID: a substring test spares parsing their attributes.
                if open.start.attributes_raw().contains("ID") {
                    let id = self.cursor.attr(open, "ID")?;
                    if self.cursor.depth() == 1 {
                        self.root_id_uses = usize::from(id.is_some());
                        self.root_id = id.map(|id| id.into_owned());
                    } else if id.is_some() && id.as_deref() == self.root_id.as_deref() {
                        self.root_id_uses += 1;
                    }
                }
                self.signature.open(&mut self.cursor, open)?;
            }
            Item::Text(text) => self.signature.text(text),
            Item::Close { .. } => self.signature.close(self.cursor.depth()),
            Item::Eof => {}
        }
        Ok(item)
    }

    /// Calls `on_child` for each child element of the element just opened, which must consume
    /// the child entirely; returns at the element's end tag.
    fn children(
        &mut self,
        mut on_child: impl FnMut(&mut Self, Open<'a>) -> Result<(), MetadataError>,
    ) -> Result<(), MetadataError> {
        loop {
            match self.next()? {
                Item::Open(child) => on_child(self, child)?,
                Item::Close { .. } | Item::Eof => return Ok(()),
                Item::Text(_) => {}
            }
        }
    }

    /// Consumes the rest of the element just opened, through [`Parser::next`] so the
    /// signature and ID bookkeeping sees it.
    fn skip(&mut self) -> Result<(), MetadataError> {
        skip_element(|| self.next())
    }

    /// The text content of the element just opened (nested elements are skipped), trimmed.
    fn text(&mut self) -> Result<String, MetadataError> {
        let mut text = String::new();
        loop {
            match self.next()? {
                Item::Text(piece) => text.push_str(&piece),
                Item::Open(_) => self.skip()?,
                Item::Close { .. } | Item::Eof => break,
            }
        }
        let trimmed = text.trim();
        Ok(if trimmed.len() == text.len() {
            text
        } else {
            trimmed.to_owned()
        })
    }

    fn attr(&mut self, open: &Open, name: &str) -> Result<Option<String>, MetadataError> {
        Ok(self.cursor.attr(open, name)?.map(|v| v.trim().to_owned()))
    }

    fn position(&mut self, open: &Open) -> Position {
        self.cursor.position(open.offset)
    }

    /// An attribute parsed by `parse`; a value that does not parse is a finding, not an error.
    fn typed_attr<T>(
        &mut self,
        open: &Open,
        element: &'static str,
        attribute: &'static str,
        expected: &'static str,
        parse: impl Fn(&str) -> Option<T>,
        findings: &mut Vec<Finding>,
    ) -> Result<Option<T>, MetadataError> {
        let Some(value) = self.attr(open, attribute)? else {
            return Ok(None);
        };
        match parse(&value) {
            Some(parsed) => Ok(Some(parsed)),
            None => {
                let position = self.position(open);
                let kind = FindingKind::InvalidValue {
                    element,
                    attribute,
                    value,
                    expected,
                };
                findings.push(Finding { position, kind });
                Ok(None)
            }
        }
    }

    fn bool_attr(
        &mut self,
        open: &Open,
        element: &'static str,
        attribute: &'static str,
        findings: &mut Vec<Finding>,
    ) -> Result<Option<bool>, MetadataError> {
        self.typed_attr(
            open,
            element,
            attribute,
            "true, false, 1 or 0",
            parse_bool,
            findings,
        )
    }

    /// `validUntil` and `cacheDuration` of an `EntitiesDescriptor` or `EntityDescriptor`. An
    /// unreadable `validUntil` refuses the document: read as "no expiry" it would fail open.
    fn validity(
        &mut self,
        open: &Open,
        element: &'static str,
    ) -> Result<(Option<OffsetDateTime>, Option<String>), MetadataError> {
        let valid_until = match self.attr(open, "validUntil")? {
            None => None,
            Some(value) => match parse_datetime(&value) {
                Some(instant) => Some(instant),
                None => {
                    let position = self.position(open);
                    return Err(MetadataError::InvalidValidUntil {
                        element,
                        value,
                        position,
                    });
                }
            },
        };
        Ok((valid_until, self.attr(open, "cacheDuration")?))
    }

    /// `EntitiesDescriptor`: collects its entities, nested groups included.
    fn group(
        &mut self,
        open: &Open,
        inherited: Option<OffsetDateTime>,
        depth: usize,
        out: &mut Collected,
    ) -> Result<(Option<OffsetDateTime>, Option<String>), MetadataError> {
        if depth >= MAX_NESTING {
            let position = self.position(open);
            return Err(MetadataError::TooDeep {
                limit: MAX_NESTING,
                position,
            });
        }
        let (own, cache_duration) = self.validity(open, "EntitiesDescriptor")?;
        let effective = earliest(inherited, own);
        self.children(|p, child| {
            if child.is(Ns::Md, "EntityDescriptor") {
                p.entity(&child, effective, out).map(drop)
            } else if child.is(Ns::Md, "EntitiesDescriptor") {
                p.group(&child, effective, depth + 1, out).map(drop)
            } else {
                p.skip()
            }
        })?;
        Ok((own, cache_duration))
    }

    /// `EntityDescriptor`: adds the entity to `out` (or a finding when it has no entityID).
    fn entity(
        &mut self,
        open: &Open,
        inherited: Option<OffsetDateTime>,
        out: &mut Collected,
    ) -> Result<(Option<OffsetDateTime>, Option<String>), MetadataError> {
        let position = self.position(open);
        let entity_id = self.attr(open, "entityID")?.filter(|id| !id.is_empty());
        let mut findings = Vec::new();
        let (own, cache_duration) = self.validity(open, "EntityDescriptor")?;
        let mut entity = Entity {
            entity_id: entity_id.clone().unwrap_or_default(),
            position,
            valid_until: earliest(inherited, own),
            cache_duration: cache_duration.clone(),
            sp: None,
            idp: None,
            organization: None,
            contacts: Vec::new(),
            findings: Vec::new(),
        };
        self.children(|p, child| {
            // Positions are taken before the content is read: the line index runs forward.
            if child.is(Ns::Md, "SPSSODescriptor") {
                let position = p.position(&child);
                let sp = p.sp(&child, &mut findings)?;
                keep_first(&mut entity.sp, sp, Role::Sp, position, &mut findings);
            } else if child.is(Ns::Md, "IDPSSODescriptor") {
                let position = p.position(&child);
                let idp = p.idp(&child, &mut findings)?;
                keep_first(&mut entity.idp, idp, Role::Idp, position, &mut findings);
            } else if child.is(Ns::Md, "Organization") {
                entity.organization = Some(p.organization(&child, &mut findings)?);
            } else if child.is(Ns::Md, "ContactPerson") {
                entity.contacts.push(p.contact(&child)?);
            } else {
                p.skip()?;
            }
            Ok(())
        })?;
        entity.findings = findings;
        match entity_id {
            Some(_) => out.entities.push(entity),
            None => out.findings.push(Finding {
                position,
                kind: FindingKind::MissingEntityId,
            }),
        }
        Ok((own, cache_duration))
    }

    fn sp(
        &mut self,
        open: &Open,
        findings: &mut Vec<Finding>,
    ) -> Result<SpDescriptor, MetadataError> {
        const ELEMENT: &str = "SPSSODescriptor";
        let authn_requests_signed =
            self.bool_attr(open, ELEMENT, "AuthnRequestsSigned", findings)?;
        let want_assertions_signed =
            self.bool_attr(open, ELEMENT, "WantAssertionsSigned", findings)?;
        let (role, services) = self.role(open, Role::Sp, findings)?;
        Ok(SpDescriptor {
            role,
            authn_requests_signed,
            want_assertions_signed,
            assertion_consumer: services.assertion_consumer,
            requested_attributes: services.requested_attributes,
        })
    }

    fn idp(
        &mut self,
        open: &Open,
        findings: &mut Vec<Finding>,
    ) -> Result<IdpDescriptor, MetadataError> {
        let want_authn_requests_signed = self.bool_attr(
            open,
            "IDPSSODescriptor",
            "WantAuthnRequestsSigned",
            findings,
        )?;
        let (role, services) = self.role(open, Role::Idp, findings)?;
        Ok(IdpDescriptor {
            role,
            want_authn_requests_signed,
            single_sign_on: services.single_sign_on,
        })
    }

    fn role(
        &mut self,
        open: &Open,
        which: Role,
        findings: &mut Vec<Finding>,
    ) -> Result<(RoleDescriptor, Services), MetadataError> {
        let protocols = self
            .attr(open, "protocolSupportEnumeration")?
            .unwrap_or_default();
        let mut role = RoleDescriptor {
            protocols: protocols.split_whitespace().map(str::to_owned).collect(),
            ..RoleDescriptor::default()
        };
        let mut services = Services::default();
        self.children(|p, child| {
            if child.ns != Ns::Md {
                return p.skip();
            }
            match child.local() {
                "Extensions" => role.ui = p.extensions(findings)?,
                "KeyDescriptor" => role.keys.push(p.key_descriptor(&child, which, findings)?),
                "SingleLogoutService" => role.single_logout.push(p.endpoint(&child, findings)?),
                "ArtifactResolutionService" => {
                    role.artifact_resolution.push(p.endpoint(&child, findings)?)
                }
                "NameIDFormat" => role.name_id_formats.push(p.text()?),
                "AssertionConsumerService" => services
                    .assertion_consumer
                    .push(p.endpoint(&child, findings)?),
                "SingleSignOnService" => {
                    services.single_sign_on.push(p.endpoint(&child, findings)?)
                }
                "AttributeConsumingService" => {
                    p.attribute_consuming_service(&mut services, findings)?
                }
                _ => p.skip()?,
            }
            Ok(())
        })?;
        Ok((role, services))
    }

    /// Any endpoint element; `index` and `isDefault` are read when present.
    fn endpoint(
        &mut self,
        open: &Open,
        findings: &mut Vec<Finding>,
    ) -> Result<Endpoint, MetadataError> {
        const ELEMENT: &str = "endpoint";
        let position = self.position(open);
        let endpoint = Endpoint {
            position,
            binding: self.attr(open, "Binding")?.unwrap_or_default(),
            location: self.attr(open, "Location")?.unwrap_or_default(),
            response_location: self.attr(open, "ResponseLocation")?,
            index: self.typed_attr(
                open,
                ELEMENT,
                "index",
                "an integer from 0 to 65535",
                |v| v.parse().ok(),
                findings,
            )?,
            is_default: self.bool_attr(open, ELEMENT, "isDefault", findings)?,
        };
        self.skip()?;
        Ok(endpoint)
    }

    fn key_descriptor(
        &mut self,
        open: &Open,
        role: Role,
        findings: &mut Vec<Finding>,
    ) -> Result<KeyDescriptor, MetadataError> {
        let position = self.position(open);
        let usage = self
            .typed_attr(
                open,
                "KeyDescriptor",
                "use",
                "signing or encryption",
                |v| match v {
                    "signing" => Some(KeyUse::Signing),
                    "encryption" => Some(KeyUse::Encryption),
                    _ => None,
                },
                findings,
            )?
            .unwrap_or(KeyUse::Unspecified);
        let mut key_name = None;
        let mut certificate_text = None;
        self.children(|p, child| {
            if child.is(Ns::Ds, "KeyInfo") {
                p.key_info(&mut key_name, &mut certificate_text)
            } else {
                p.skip()
            }
        })?;
        let certificate =
            certificate_text.map_or(Err(CertProblem::Missing), |text| read_certificate(&text));
        if let Err(problem) = &certificate {
            let kind = FindingKind::Certificate {
                role,
                usage,
                problem: problem.clone(),
            };
            findings.push(Finding { position, kind });
        }
        Ok(KeyDescriptor {
            usage,
            position,
            key_name,
            certificate,
        })
    }

    /// `ds:KeyInfo`: the first `KeyName` and the first `X509Certificate` (the leaf, by
    /// convention when a chain is given).
    fn key_info(
        &mut self,
        key_name: &mut Option<String>,
        certificate: &mut Option<String>,
    ) -> Result<(), MetadataError> {
        self.children(|p, child| {
            if child.is(Ns::Ds, "KeyName") && key_name.is_none() {
                *key_name = Some(p.text()?);
            } else if child.is(Ns::Ds, "X509Data") {
                p.children(|p, data| {
                    if data.is(Ns::Ds, "X509Certificate") && certificate.is_none() {
                        *certificate = Some(p.text()?);
                        Ok(())
                    } else {
                        p.skip()
                    }
                })?;
            } else {
                p.skip()?;
            }
            Ok(())
        })
    }

    fn attribute_consuming_service(
        &mut self,
        services: &mut Services,
        findings: &mut Vec<Finding>,
    ) -> Result<(), MetadataError> {
        self.children(|p, child| {
            if !child.is(Ns::Md, "RequestedAttribute") {
                return p.skip();
            }
            let name = p.attr(&child, "Name")?.filter(|n| !n.is_empty());
            let attribute = RequestedAttribute {
                name: name.clone().unwrap_or_default(),
                friendly_name: p.attr(&child, "FriendlyName")?,
                name_format: p.attr(&child, "NameFormat")?,
                is_required: p
                    .bool_attr(&child, "RequestedAttribute", "isRequired", findings)?
                    .unwrap_or(false),
            };
            if name.is_some() {
                services.requested_attributes.push(attribute);
            } else {
                findings.push(Finding {
                    position: p.position(&child),
                    kind: FindingKind::UnnamedAttribute,
                });
            }
            p.skip()
        })
    }

    /// A role's `Extensions`: only `mdui:UIInfo` is read.
    fn extensions(&mut self, findings: &mut Vec<Finding>) -> Result<UiInfo, MetadataError> {
        let mut ui = UiInfo::default();
        self.children(|p, child| {
            if !child.is(Ns::Mdui, "UIInfo") {
                return p.skip();
            }
            p.children(|p, item| {
                if item.ns != Ns::Mdui {
                    // The schema allows elements of other namespaces here.
                    return p.skip();
                }
                let lang = p.attr(&item, "xml:lang")?;
                match item.local() {
                    "DisplayName" => ui.display_names.push(Localized {
                        lang,
                        value: p.text()?,
                    }),
                    "Logo" => ui.logos.push(Localized {
                        lang,
                        value: p.text()?,
                    }),
                    "PrivacyStatementURL" => ui.privacy_statement_urls.push(Localized {
                        lang,
                        value: p.text()?,
                    }),
                    "Description" | "Keywords" | "InformationURL" => p.skip()?,
                    other => {
                        let kind = FindingKind::UnknownUiElement {
                            name: other.to_owned(),
                        };
                        findings.push(Finding {
                            position: p.position(&item),
                            kind,
                        });
                        p.skip()?;
                    }
                }
                Ok(())
            })
        })?;
        Ok(ui)
    }

    fn organization(
        &mut self,
        open: &Open,
        findings: &mut Vec<Finding>,
    ) -> Result<Organization, MetadataError> {
        let position = self.position(open);
        let mut organization = Organization::default();
        self.children(|p, child| {
            let slot = match (child.ns, child.local()) {
                (Ns::Md, "OrganizationName") => &mut organization.name,
                (Ns::Md, "OrganizationDisplayName") => &mut organization.display_name,
                (Ns::Md, "OrganizationURL") => &mut organization.url,
                _ => return p.skip(),
            };
            let text = p.text()?;
            slot.get_or_insert(text);
            Ok(())
        })?;
        let missing: Vec<&'static str> = [
            ("OrganizationName", organization.name.is_none()),
            (
                "OrganizationDisplayName",
                organization.display_name.is_none(),
            ),
            ("OrganizationURL", organization.url.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect();
        if !missing.is_empty() {
            findings.push(Finding {
                position,
                kind: FindingKind::IncompleteOrganization { missing },
            });
        }
        Ok(organization)
    }

    fn contact(&mut self, open: &Open) -> Result<ContactPerson, MetadataError> {
        let mut contact = ContactPerson {
            contact_type: self.attr(open, "contactType")?.unwrap_or_default(),
            ..ContactPerson::default()
        };
        self.children(|p, child| {
            if child.ns != Ns::Md {
                return p.skip();
            }
            match child.local() {
                "Company" => contact.company = Some(p.text()?),
                "GivenName" => contact.given_name = Some(p.text()?),
                "SurName" => contact.surname = Some(p.text()?),
                "EmailAddress" => contact.emails.push(p.text()?),
                "TelephoneNumber" => contact.telephones.push(p.text()?),
                _ => p.skip()?,
            }
            Ok(())
        })?;
        Ok(contact)
    }
}

/// Keeps the first SP (or IdP) descriptor of an entity; a second one is reported.
fn keep_first<T>(
    slot: &mut Option<T>,
    value: T,
    role: Role,
    position: Position,
    findings: &mut Vec<Finding>,
) {
    if slot.is_none() {
        *slot = Some(value);
    } else {
        findings.push(Finding {
            position,
            kind: FindingKind::DuplicateRole(role),
        });
    }
}

/// Records the first `ds:Signature` of the document as it streams past.
#[derive(Default)]
struct SignatureScan {
    info: Option<SignatureInfo>,
    /// Depth of the signature element while inside it.
    inside: Option<usize>,
    /// Text of an `X509Certificate` being read.
    certificate: Option<String>,
}

impl SignatureScan {
    fn open(&mut self, cursor: &mut Cursor, open: &Open) -> Result<(), MetadataError> {
        let Some(info) = &mut self.info else {
            if open.is(Ns::Ds, "Signature") {
                self.inside = Some(cursor.depth());
                self.info = Some(SignatureInfo {
                    position: cursor.position(open.offset),
                    on_root: cursor.depth() == 2,
                    references: Vec::new(),
                    certificates: Vec::new(),
                });
            }
            return Ok(());
        };
        if self.inside.is_none() {
            return Ok(());
        }
        if open.is(Ns::Ds, "Reference") {
            let uri = cursor.attr(open, "URI")?.map(|u| u.into_owned());
            info.references.push(SignatureReference {
                uri,
                transforms: Vec::new(),
            });
        } else if open.is(Ns::Ds, "Transform") {
            let algorithm = cursor
                .attr(open, "Algorithm")?
                .map(|a| a.into_owned())
                .unwrap_or_default();
            if let Some(reference) = info.references.last_mut() {
                reference.transforms.push(algorithm);
            }
        } else if open.is(Ns::Ds, "X509Certificate") {
            self.certificate = Some(String::new());
        }
        Ok(())
    }

    fn text(&mut self, text: &str) {
        if let Some(certificate) = &mut self.certificate {
            certificate.push_str(text);
        }
    }

    /// `depth` is the depth after the end tag.
    fn close(&mut self, depth: usize) {
        if let (Some(text), Some(info)) = (self.certificate.take(), &mut self.info) {
            info.certificates.push(read_certificate(&text));
        }
        if self.inside.is_some_and(|inside| depth < inside) {
            self.inside = None;
        }
    }
}

/// Reads the base64 DER of an `X509Certificate`, recognising the common mistake of putting
/// base64 of a PEM file there.
fn read_certificate(text: &str) -> Result<CertInfo, CertProblem> {
    x509::parse_base64(text).map_err(|error| {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .take(16)
            .collect();
        // "LS0tLS1CRUdJTi" is base64 of "-----BEGIN".
        if compact.starts_with("LS0tLS1CRUdJTi") {
            CertProblem::PemInsideBase64
        } else {
            CertProblem::Invalid(error)
        }
    })
}

fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// `xs:dateTime`. SAML requires UTC with `Z`, but a missing zone is read as UTC rather than
/// dropping the expiry.
fn parse_datetime(value: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(value, &Rfc3339)
        .ok()
        .or_else(|| OffsetDateTime::parse(&format!("{value}Z"), &Rfc3339).ok())
}

fn earliest(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Result<Metadata, MetadataError> {
        parse_metadata(xml.as_bytes())
    }

    /// A minimal SP entity with `inner` inside its SPSSODescriptor.
    fn sp_entity(inner: &str) -> String {
        format!(
            r#"<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://sp.example.org">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{inner}</md:SPSSODescriptor>
</md:EntityDescriptor>"#,
            MD = super::super::xml::MD
        )
    }

    fn key(use_attr: &str, certificate: &str) -> String {
        format!(
            "<md:KeyDescriptor {use_attr}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        )
    }

    fn only_finding(metadata: &Metadata) -> &FindingKind {
        let findings: Vec<&Finding> = metadata.entities.iter().flat_map(|e| &e.findings).collect();
        assert_eq!(findings.len(), 1, "{findings:?}");
        &findings[0].kind
    }

    #[test]
    fn refuses_doctype_and_never_expands_entities() {
        let billion_laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol2;"/>"#;
        let error = parse(billion_laughs).unwrap_err();
        assert!(
            matches!(error, MetadataError::Doctype { position } if position.line == 2 && position.column == 1)
        );
        assert!(error.to_string().contains("DOCTYPE"), "{error}");

        let external = r#"<!DOCTYPE x SYSTEM "http://attacker.example/x.dtd"><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>"#;
        assert!(matches!(
            parse(external),
            Err(MetadataError::Doctype { .. })
        ));

        // Without a DOCTYPE an entity cannot be declared: a reference to one is refused.
        let xxe = sp_entity("<md:NameIDFormat>&xxe;</md:NameIDFormat>");
        let error = parse(&xxe).unwrap_err();
        assert!(
            matches!(&error, MetadataError::UndeclaredEntity { name, .. } if name == "xxe"),
            "{error}"
        );
    }

    #[test]
    fn resolves_predefined_and_character_references() {
        let xml = sp_entity(
            r#"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.org/acs?a=1&amp;b=2" index="0"/><md:NameIDFormat>a&lt;&#x41;&#66;</md:NameIDFormat>"#,
        );
        let metadata = parse(&xml).unwrap();
        let sp = metadata.entities[0].sp.as_ref().unwrap();
        assert_eq!(
            sp.assertion_consumer[0].location,
            "https://sp.example.org/acs?a=1&b=2"
        );
        assert_eq!(sp.role.name_id_formats, ["a<AB"]);
    }

    #[test]
    fn matches_namespace_uris_not_prefixes() {
        let other_prefix = r#"<m:EntityDescriptor xmlns:m="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://a.example.org"><m:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></m:EntityDescriptor>"#;
        assert!(parse(other_prefix).unwrap().entities[0].idp.is_some());

        let wrong_namespace =
            r#"<md:EntityDescriptor xmlns:md="urn:example:not-saml" entityID="x"/>"#;
        let error = parse(wrong_namespace).unwrap_err();
        assert!(
            matches!(&error, MetadataError::NotMetadata { found, .. } if found == "{urn:example:not-saml}EntityDescriptor"),
            "{error}"
        );
        // An SPSSODescriptor in another namespace is not a role.
        let foreign_role = r#"<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><x:SPSSODescriptor xmlns:x="urn:example"/></EntityDescriptor>"#;
        assert!(parse(foreign_role).unwrap().entities[0].sp.is_none());
    }

    #[test]
    fn rejects_documents_that_are_not_well_formed_with_their_position() {
        let error = parse("<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\">\n  <md:SPSSODescriptor>\n</md:EntityDescriptor>").unwrap_err();
        assert!(
            matches!(error, MetadataError::NotWellFormed { position, .. } if position.line == 3),
            "{error}"
        );
        let error = parse("<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"/><second/>").unwrap_err();
        assert!(error.to_string().contains("second element"), "{error}");
        let error = parse("<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\">").unwrap_err();
        assert!(
            error.to_string().contains("ends inside an element"),
            "{error}"
        );
        assert_eq!(
            parse("  <!-- nothing -->  ").unwrap_err(),
            MetadataError::Empty
        );
    }

    #[test]
    fn accepts_only_utf8() {
        let mut latin1 = b"<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"caf".to_vec();
        latin1.extend_from_slice(b"\xe9\"/>");
        let error = parse_metadata(&latin1).unwrap_err();
        assert!(
            matches!(error, MetadataError::NotUtf8 { position } if position.column == 83),
            "{error}"
        );

        let declared = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"/>";
        assert!(
            matches!(parse(declared), Err(MetadataError::UnsupportedEncoding { declared, .. }) if declared == "ISO-8859-1")
        );

        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(sp_entity("").as_bytes());
        let metadata = parse_metadata(&bom).unwrap();
        assert_eq!(metadata.entities[0].position.offset, 3);
    }

    #[test]
    fn limits_entities_descriptor_nesting() {
        let depth = MAX_NESTING + 1;
        let open =
            "<EntitiesDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\">".repeat(depth);
        let close = "</EntitiesDescriptor>".repeat(depth);
        let error = parse(&format!("{open}{close}")).unwrap_err();
        assert!(
            matches!(
                error,
                MetadataError::TooDeep {
                    limit: MAX_NESTING,
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn refuses_references_in_namespace_declarations() {
        for declaration in [
            r#"xmlns:md="urn:oasis:names:tc:SAML:2.0:metadat&#97;""#,
            r#"xmlns="urn:oasis:names:tc:SAML:2.0:metadata&amp;""#,
        ] {
            let xml = format!(r#"<md:EntityDescriptor {declaration} entityID="x"/>"#);
            let error = parse(&xml).unwrap_err();
            assert!(
                matches!(&error, MetadataError::NamespaceReference { position, .. } if position.column == 1),
                "{error}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let nested = |depth: usize| {
            sp_entity(&format!(
                "<md:Extensions xmlns:x=\"urn:x\">{}{}</md:Extensions>",
                "<x:a>".repeat(depth),
                "</x:a>".repeat(depth)
            ))
        };
        // Within the limit, unknown elements are skipped however deep they go.
        assert!(parse(&nested(200)).is_ok());
        let error = parse(&nested(60_000)).unwrap_err();
        assert!(
            matches!(error, MetadataError::NestedTooDeep { limit: 256, .. }),
            "{error}"
        );
    }

    #[test]
    fn unreadable_certificates_are_findings_with_their_reason() {
        let bad_base64 = parse(&sp_entity(&key(r#"use="signing""#, "not base64!"))).unwrap();
        assert!(matches!(
            only_finding(&bad_base64),
            FindingKind::Certificate {
                role: Role::Sp,
                usage: KeyUse::Signing,
                problem: CertProblem::Invalid(x509::CertError::Base64(_))
            }
        ));
        let bad_der = parse(&sp_entity(&key(r#"use="encryption""#, "AAAA"))).unwrap();
        assert!(matches!(
            only_finding(&bad_der),
            FindingKind::Certificate {
                usage: KeyUse::Encryption,
                problem: CertProblem::Invalid(x509::CertError::Der(_)),
                ..
            }
        ));
        let no_certificate = parse(&sp_entity(
            "<md:KeyDescriptor><ds:KeyInfo><ds:KeyName>k1</ds:KeyName></ds:KeyInfo></md:KeyDescriptor>",
        ))
        .unwrap();
        let entity = &no_certificate.entities[0];
        let key = &entity.sp.as_ref().unwrap().role.keys[0];
        assert_eq!(
            (key.usage, key.key_name.as_deref()),
            (KeyUse::Unspecified, Some("k1"))
        );
        assert_eq!(key.certificate, Err(CertProblem::Missing));
        assert_eq!(
            entity.findings[0].to_string(),
            "line 2, column 89: SPSSODescriptor signing and encryption certificate is unusable: the KeyInfo carries no X509Certificate"
        );
    }

    #[test]
    fn invalid_values_are_findings_not_errors() {
        let xml = r#"<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
  <EntityDescriptor entityID="https://a.example.org" validUntil="2030-01-01T00:00:00">
    <SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAssertionsSigned="yes">
      <AssertionConsumerService Binding="b" Location="l" index="-1" isDefault="true"/>
    </SPSSODescriptor>
  </EntityDescriptor>
  <EntityDescriptor/>
</EntitiesDescriptor>"#;
        let metadata = parse(xml).unwrap();
        assert_eq!(metadata.valid_until, None);
        assert_eq!(metadata.findings.len(), 1);
        assert_eq!(metadata.findings[0].kind, FindingKind::MissingEntityId);
        assert_eq!(metadata.findings[0].position.line, 7);
        let entity = &metadata.entities[0];
        // A dateTime without zone is read as UTC.
        assert_eq!(
            entity.valid_until,
            Some(time::macros::datetime!(2030-01-01 00:00 UTC))
        );
        let attributes: Vec<&str> = entity
            .findings
            .iter()
            .filter_map(|f| match &f.kind {
                FindingKind::InvalidValue { attribute, .. } => Some(*attribute),
                _ => None,
            })
            .collect();
        assert_eq!(attributes, ["WantAssertionsSigned", "index"]);
        let acs = &entity.sp.as_ref().unwrap().assertion_consumer[0];
        assert_eq!((acs.index, acs.is_default), (None, Some(true)));
    }

    #[test]
    fn an_unreadable_valid_until_refuses_the_document() {
        for value in [
            "tomorrow",
            "yesterday",
            "99999-01-01T00:00:00Z",
            "2030-01-01T00:00:00+25:00",
        ] {
            let group = format!(
                r#"<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" validUntil="{value}"/>"#
            );
            let entity = format!(
                r#"<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
  <EntityDescriptor entityID="https://a.example.org" validUntil="{value}"/></EntitiesDescriptor>"#
            );
            for (xml, element, line) in [
                (group, "EntitiesDescriptor", 1),
                (entity, "EntityDescriptor", 2),
            ] {
                let error = parse(&xml).unwrap_err();
                assert!(
                    matches!(&error, MetadataError::InvalidValidUntil { element: e, value: v, position }
                        if *e == element && v == value && position.line == line),
                    "{error}"
                );
            }
        }
    }

    #[test]
    fn nested_groups_pass_down_the_earliest_valid_until() {
        let xml = r#"<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" validUntil="2030-01-01T00:00:00Z" cacheDuration="PT6H">
  <EntitiesDescriptor validUntil="2029-01-01T00:00:00Z">
    <EntitiesDescriptor>
      <EntityDescriptor entityID="https://deep.example.org" validUntil="2031-01-01T00:00:00Z"/>
    </EntitiesDescriptor>
  </EntitiesDescriptor>
  <EntityDescriptor entityID="https://shallow.example.org"/>
</EntitiesDescriptor>"#;
        let metadata = parse(xml).unwrap();
        let until: Vec<_> = metadata
            .entities
            .iter()
            .map(|e| (e.entity_id.as_str(), e.valid_until))
            .collect();
        assert_eq!(
            until,
            [
                (
                    "https://deep.example.org",
                    Some(time::macros::datetime!(2029-01-01 00:00 UTC))
                ),
                (
                    "https://shallow.example.org",
                    Some(time::macros::datetime!(2030-01-01 00:00 UTC))
                ),
            ]
        );
        assert_eq!(metadata.cache_duration.as_deref(), Some("PT6H"));
        assert_eq!(metadata.entities[0].position.line, 4);
    }

    #[test]
    fn records_the_first_signature_and_root_id_uses() {
        let xml = r##"<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" ID="root">
  <EntityDescriptor entityID="https://a.example.org" ID="root">
    <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>
      <ds:Reference URI="#root"><ds:Transforms><ds:Transform Algorithm="t1"/><ds:Transform Algorithm="t2"/></ds:Transforms></ds:Reference>
    </ds:SignedInfo><ds:KeyInfo><ds:X509Data><ds:X509Certificate>AAAA</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>
  </EntityDescriptor>
</EntitiesDescriptor>"##;
        let metadata = parse(xml).unwrap();
        let signature = metadata.signature.as_ref().unwrap();
        assert!(!signature.on_root);
        assert_eq!(signature.position.line, 3);
        assert_eq!(
            signature.references,
            [SignatureReference {
                uri: Some("#root".into()),
                transforms: vec!["t1".into(), "t2".into()]
            }]
        );
        assert!(matches!(
            signature.certificates[..],
            [Err(CertProblem::Invalid(_))]
        ));
        assert_eq!(
            (metadata.root_id.as_deref(), metadata.root_id_uses),
            (Some("root"), 2)
        );
    }
}
