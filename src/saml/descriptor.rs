//! Our IdP metadata for partners: the descriptor Keycloak publishes at
//! `{server}/realms/{realm}/protocol/saml/descriptor` (keycloak-admin-api.md §7.1), generated
//! for a realm-file target, read back as partners will read it, and a technical contact added
//! to it.

use std::fmt::Write;

use base64::Engine;
use quick_xml::escape::escape;

use super::model::{Entity, binding};
use super::parse::parse_metadata;
use super::xml::{Cursor, Item, MD, MetadataError, Ns};

/// A realm signing key as the descriptor lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// The key id, written as `ds:KeyName`.
    pub kid: String,
    /// The key's X.509 certificate, DER.
    pub certificate_der: Vec<u8>,
}

/// Our technical contact, written as `md:ContactPerson contactType="technical"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub given_name: Option<String>,
    /// A plain address or a `mailto:` URI.
    pub email: String,
}

/// Why a descriptor cannot be handed to partners as our IdP metadata.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptorError {
    #[error(
        "the IdP descriptor is empty (Keycloak answers 200 with an empty body when it fails internally)"
    )]
    Empty,
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error("the IdP descriptor's root is {found}, not an md:EntityDescriptor")]
    NotEntityDescriptor { found: String },
    #[error("the IdP descriptor does not describe one entity with an identity provider role")]
    NotIdp,
}

const NAME_ID_FORMATS: [&str; 4] = [
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
];
/// Keycloak's order for SingleLogoutService and for SingleSignOnService differ; both kept.
const SLO_BINDINGS: [&str; 4] = [
    binding::HTTP_POST,
    binding::HTTP_REDIRECT,
    binding::HTTP_ARTIFACT,
    binding::SOAP,
];
const SSO_BINDINGS: [&str; 4] = [
    binding::HTTP_POST,
    binding::HTTP_REDIRECT,
    binding::SOAP,
    binding::HTTP_ARTIFACT,
];

/// The realm's IdP descriptor with the structure Keycloak serves: entityID
/// `{server}/realms/{realm}`, one signing KeyDescriptor per key (active first, as given), the
/// artifact resolution service, 4 SLO endpoints, 4 NameID formats, 4 SSO endpoints.
/// `server_url` is the server's public (frontend) URL; the realm name is used as written, as
/// Keycloak realm names are URL-safe in practice.
pub fn idp_descriptor(server_url: &str, realm: &str, signing_keys: &[SigningKey]) -> String {
    let issuer = format!("{}/realms/{realm}", server_url.trim_end_matches('/'));
    let endpoint = escape(format!("{issuer}/protocol/saml")).into_owned();
    let mut xml = String::new();
    // `write!` into a String cannot fail.
    let _ = write!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <md:EntityDescriptor xmlns:md=\"{MD}\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{}\">\n\
         \x20 <md:IDPSSODescriptor WantAuthnRequestsSigned=\"true\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n",
        escape(issuer.as_str())
    );
    for key in signing_keys {
        let certificate = base64::engine::general_purpose::STANDARD.encode(&key.certificate_der);
        let _ = write!(
            xml,
            "    <md:KeyDescriptor use=\"signing\">\n\
             \x20     <ds:KeyInfo>\n\
             \x20       <ds:KeyName>{}</ds:KeyName>\n\
             \x20       <ds:X509Data>\n\
             \x20         <ds:X509Certificate>{certificate}</ds:X509Certificate>\n\
             \x20       </ds:X509Data>\n\
             \x20     </ds:KeyInfo>\n\
             \x20   </md:KeyDescriptor>\n",
            escape(key.kid.as_str())
        );
    }
    let _ = writeln!(
        xml,
        "    <md:ArtifactResolutionService Binding=\"{}\" Location=\"{endpoint}/resolve\" index=\"0\"/>",
        binding::SOAP
    );
    for binding in SLO_BINDINGS {
        let _ = writeln!(
            xml,
            "    <md:SingleLogoutService Binding=\"{binding}\" Location=\"{endpoint}\"/>"
        );
    }
    for format in NAME_ID_FORMATS {
        let _ = writeln!(xml, "    <md:NameIDFormat>{format}</md:NameIDFormat>");
    }
    for binding in SSO_BINDINGS {
        let _ = writeln!(
            xml,
            "    <md:SingleSignOnService Binding=\"{binding}\" Location=\"{endpoint}\"/>"
        );
    }
    xml.push_str("  </md:IDPSSODescriptor>\n</md:EntityDescriptor>\n");
    xml
}

/// Reads a descriptor as partners will: it must be one entity with an IdP role. Empty gets an
/// error of its own, because that is how Keycloak reports that it could not build one (200
/// with an empty body, keycloak-admin-api.md §7.1).
pub fn read_idp_descriptor(descriptor: &[u8]) -> Result<Entity, DescriptorError> {
    if descriptor.trim_ascii().is_empty() {
        return Err(DescriptorError::Empty);
    }
    match <[Entity; 1]>::try_from(parse_metadata(descriptor)?.entities) {
        Ok([entity]) if entity.idp.is_some() => Ok(entity),
        _ => Err(DescriptorError::NotIdp),
    }
}

/// Adds our technical contact to a descriptor Keycloak served. The schema wants
/// `ContactPerson` after the role descriptors, `Organization` and other contacts and before
/// `AdditionalMetadataLocation`, so it goes before the first `AdditionalMetadataLocation`,
/// else at the end of the root; written with the prefix the document uses for the metadata
/// namespace.
pub fn add_contact(descriptor: &str, contact: &Contact) -> Result<String, DescriptorError> {
    if descriptor.trim().is_empty() {
        return Err(DescriptorError::Empty);
    }
    let mut cursor = Cursor::new(descriptor.as_bytes())?;
    let root = match cursor.next()? {
        Item::Open(root) => root,
        Item::Close { .. } | Item::Text(_) | Item::Eof => return Err(MetadataError::Empty.into()),
    };
    if !root.is(Ns::Md, "EntityDescriptor") {
        return Err(DescriptorError::NotEntityDescriptor {
            found: cursor.expanded_name(&root),
        });
    }
    let prefix = root
        .start
        .name()
        .prefix()
        .map(|p| p.into_inner().to_owned());
    let mut insert_at = None;
    loop {
        match cursor.next()? {
            Item::Open(child) => {
                if insert_at.is_none() && child.is(Ns::Md, "AdditionalMetadataLocation") {
                    insert_at = Some(child.offset);
                }
                cursor.skip()?;
            }
            Item::Close { offset } => {
                insert_at.get_or_insert(offset);
                break;
            }
            Item::Text(_) => {}
            Item::Eof => return Err(MetadataError::Empty.into()),
        }
    }
    // Drain the rest so a malformed tail is still refused.
    while !matches!(cursor.next()?, Item::Eof) {}
    let at = insert_at.unwrap_or(descriptor.len());
    // Keep the layout: the new element takes the indentation of what it is inserted before.
    let indent: &str = {
        let line_start = descriptor[..at].rfind('\n').map_or(0, |i| i + 1);
        let candidate = &descriptor[line_start..at];
        if candidate.chars().all(|c| c == ' ' || c == '\t') {
            candidate
        } else {
            ""
        }
    };
    Ok(format!(
        "{}{}\n{indent}{}",
        &descriptor[..at],
        contact_person(prefix.as_deref(), contact),
        &descriptor[at..]
    ))
}

fn contact_person(prefix: Option<&str>, contact: &Contact) -> String {
    let p = prefix.map_or(String::new(), |p| format!("{p}:"));
    let given_name = contact.given_name.as_deref().map_or(String::new(), |name| {
        format!("<{p}GivenName>{}</{p}GivenName>", escape(name))
    });
    let email = if contact.email.starts_with("mailto:") {
        contact.email.clone()
    } else {
        format!("mailto:{}", contact.email)
    };
    format!(
        "<{p}ContactPerson contactType=\"technical\">{given_name}<{p}EmailAddress>{}</{p}EmailAddress></{p}ContactPerson>",
        escape(email.as_str())
    )
}
