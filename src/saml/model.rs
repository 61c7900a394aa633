//! What fedctl keeps of a SAML metadata document: entities, their SP/IdP roles, endpoints,
//! keys and the problems found on the way (findings). Plain data; parsing lives in `parse`.

use std::fmt;

use time::OffsetDateTime;

use crate::x509::{CertError, CertInfo};

/// SAML 2.0 binding URIs that matter for Keycloak.
pub mod binding {
    pub const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
    pub const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
    pub const HTTP_ARTIFACT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact";
    pub const SOAP: &str = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP";
    pub const PAOS: &str = "urn:oasis:names:tc:SAML:2.0:bindings:PAOS";
}

/// The protocol URI a role must list in `protocolSupportEnumeration` to be usable with Keycloak.
pub const SAML2_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

/// Where something sits in the source document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Byte offset from the start of the input.
    pub offset: usize,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A parsed metadata document: a single `EntityDescriptor` or an aggregate of any depth.
#[derive(Debug, Clone)]
pub struct Metadata {
    /// Every `EntityDescriptor` with an `entityID`, in document order.
    pub entities: Vec<Entity>,
    /// Problems not tied to one entity (an `EntityDescriptor` without `entityID`, a bad
    /// `validUntil` on an `EntitiesDescriptor`).
    pub findings: Vec<Finding>,
    /// `validUntil` of the root element.
    pub valid_until: Option<OffsetDateTime>,
    /// `cacheDuration` of the root element, as written (an `xs:duration`).
    pub cache_duration: Option<String>,
    /// The first `ds:Signature` in document order (the one a verifier checks), if any.
    pub signature: Option<SignatureInfo>,
    /// The root's `ID` attribute and how many elements carry that same ID value (signature
    /// wrapping defence: a reference to the root must not be ambiguous).
    pub(crate) root_id: Option<String>,
    pub(crate) root_id_uses: usize,
}

impl Metadata {
    /// Whether two readings hold the same content, wherever it sat in their bytes: used to
    /// prove that what fedctl read from a document is what a signature covers.
    pub(crate) fn same_content(&self, other: &Metadata) -> bool {
        let content = |m: &Metadata| {
            let mut entities = m.entities.clone();
            entities.iter_mut().for_each(Entity::erase_positions);
            let findings: Vec<FindingKind> = m.findings.iter().map(|f| f.kind.clone()).collect();
            (entities, findings, m.valid_until, m.cache_duration.clone())
        };
        content(self) == content(other)
    }
}

/// One `EntityDescriptor`.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub entity_id: String,
    /// Where the `EntityDescriptor` start tag is.
    pub position: Position,
    /// The effective expiry: the earliest `validUntil` of the entity and its enclosing
    /// `EntitiesDescriptor`s.
    pub valid_until: Option<OffsetDateTime>,
    /// The entity's own `cacheDuration`, as written.
    pub cache_duration: Option<String>,
    pub sp: Option<SpDescriptor>,
    pub idp: Option<IdpDescriptor>,
    pub organization: Option<Organization>,
    pub contacts: Vec<ContactPerson>,
    /// Problems inside this entity (unreadable certificates, invalid values, ...).
    pub findings: Vec<Finding>,
}

impl Entity {
    fn erase_positions(&mut self) {
        self.position = Position::default();
        for finding in &mut self.findings {
            finding.position = Position::default();
        }
        let roles = self.sp.iter_mut().map(|sp| &mut sp.role);
        for role in roles.chain(self.idp.iter_mut().map(|idp| &mut idp.role)) {
            for key in &mut role.keys {
                key.position = Position::default();
            }
            let endpoints = role.single_logout.iter_mut();
            for endpoint in endpoints.chain(&mut role.artifact_resolution) {
                endpoint.position = Position::default();
            }
        }
        let services = self.sp.iter_mut().flat_map(|sp| &mut sp.assertion_consumer);
        for endpoint in services.chain(self.idp.iter_mut().flat_map(|idp| &mut idp.single_sign_on))
        {
            endpoint.position = Position::default();
        }
    }

    /// Every key of the entity's SP and IdP roles, with the role it belongs to.
    pub fn keys(&self) -> impl Iterator<Item = (Role, &KeyDescriptor)> {
        let sp = self
            .sp
            .iter()
            .flat_map(|sp| sp.role.keys.iter().map(|k| (Role::Sp, k)));
        let idp = self
            .idp
            .iter()
            .flat_map(|idp| idp.role.keys.iter().map(|k| (Role::Idp, k)));
        sp.chain(idp)
    }
}

/// The two SAML roles fedctl federates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Sp,
    Idp,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Sp => "SPSSODescriptor",
            Role::Idp => "IDPSSODescriptor",
        })
    }
}

/// What SP and IdP descriptors have in common (SAML `SSODescriptorType`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleDescriptor {
    /// `protocolSupportEnumeration`, split on whitespace.
    pub protocols: Vec<String>,
    pub keys: Vec<KeyDescriptor>,
    pub single_logout: Vec<Endpoint>,
    pub artifact_resolution: Vec<Endpoint>,
    /// `NameIDFormat` values in document order, trimmed.
    pub name_id_formats: Vec<String>,
    /// `mdui:UIInfo` from the role's `Extensions`.
    pub ui: UiInfo,
}

impl RoleDescriptor {
    /// Whether the role speaks SAML 2.0 (many aggregate entries are SAML 1.x only).
    pub fn supports_saml2(&self) -> bool {
        self.protocols.iter().any(|p| p == SAML2_PROTOCOL)
    }
}

/// `SPSSODescriptor`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpDescriptor {
    pub role: RoleDescriptor,
    pub authn_requests_signed: Option<bool>,
    pub want_assertions_signed: Option<bool>,
    pub assertion_consumer: Vec<Endpoint>,
    /// `RequestedAttribute`s of every `AttributeConsumingService`, in document order.
    pub requested_attributes: Vec<RequestedAttribute>,
}

/// `IDPSSODescriptor`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdpDescriptor {
    pub role: RoleDescriptor,
    pub want_authn_requests_signed: Option<bool>,
    pub single_sign_on: Vec<Endpoint>,
}

/// An endpoint element; `index`/`is_default` only exist on indexed endpoints (ACS, ARS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub binding: String,
    pub location: String,
    /// Where the endpoint element is, so a refused location can be pointed at.
    pub position: Position,
    pub response_location: Option<String>,
    pub index: Option<u16>,
    pub is_default: Option<bool>,
}

/// The `use` attribute of a `KeyDescriptor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyUse {
    Signing,
    Encryption,
    /// No `use` attribute: the key serves both purposes.
    Unspecified,
}

impl KeyUse {
    pub fn signs(self) -> bool {
        matches!(self, KeyUse::Signing | KeyUse::Unspecified)
    }

    pub fn encrypts(self) -> bool {
        matches!(self, KeyUse::Encryption | KeyUse::Unspecified)
    }
}

impl fmt::Display for KeyUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyUse::Signing => "signing",
            KeyUse::Encryption => "encryption",
            KeyUse::Unspecified => "signing and encryption",
        })
    }
}

/// A `KeyDescriptor` and the certificate it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyDescriptor {
    pub usage: KeyUse,
    pub position: Position,
    /// `ds:KeyName`, when present (Keycloak writes the key id there).
    pub key_name: Option<String>,
    /// The first `ds:X509Certificate`, parsed; a problem is also recorded as an entity finding.
    pub certificate: Result<CertInfo, CertProblem>,
}

/// Why a certificate in metadata could not be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertProblem {
    #[error("the KeyInfo carries no X509Certificate")]
    Missing,
    #[error(
        "the X509Certificate holds base64 of PEM text (double-encoded); it must hold the base64 \
         DER itself, without BEGIN/END lines"
    )]
    PemInsideBase64,
    #[error(transparent)]
    Invalid(#[from] CertError),
}

// `CertError` (shared x509 helper) does not derive `Clone`; its variants are plain data.
impl Clone for CertProblem {
    fn clone(&self) -> Self {
        match self {
            CertProblem::Missing => CertProblem::Missing,
            CertProblem::PemInsideBase64 => CertProblem::PemInsideBase64,
            CertProblem::Invalid(error) => CertProblem::Invalid(match error {
                CertError::Base64(reason) => CertError::Base64(reason.clone()),
                CertError::NoPem => CertError::NoPem,
                CertError::Der(reason) => CertError::Der(reason.clone()),
                CertError::Date => CertError::Date,
            }),
        }
    }
}

/// A `RequestedAttribute` of an `AttributeConsumingService`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedAttribute {
    pub name: String,
    pub friendly_name: Option<String>,
    pub name_format: Option<String>,
    pub is_required: bool,
}

/// A value with its `xml:lang`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Localized {
    pub lang: Option<String>,
    pub value: String,
}

/// The English value if there is one, else the first: the choice Keycloak makes for mdui values.
pub fn preferred_english(values: &[Localized]) -> Option<&str> {
    values
        .iter()
        .find(|v| v.lang.as_deref() == Some("en"))
        .or_else(|| values.first())
        .map(|v| v.value.as_str())
}

/// The parts of `mdui:UIInfo` fedctl uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UiInfo {
    pub display_names: Vec<Localized>,
    /// Logo URLs (or `data:` URIs) with their language.
    pub logos: Vec<Localized>,
    pub privacy_statement_urls: Vec<Localized>,
}

/// `Organization`: the first name, display name and URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organization {
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub url: Option<String>,
}

/// `ContactPerson`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactPerson {
    /// `contactType`: technical, support, administrative, billing or other.
    pub contact_type: String,
    pub company: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    /// As written, usually `mailto:` URIs.
    pub emails: Vec<String>,
    pub telephones: Vec<String>,
}

/// Facts about the document's first `ds:Signature`, for the signature module to judge.
#[derive(Debug, Clone)]
pub struct SignatureInfo {
    pub position: Position,
    /// Whether the signature is a direct child of the root element.
    pub on_root: bool,
    pub references: Vec<SignatureReference>,
    /// Certificates from the signature's own `ds:KeyInfo` (informational: they are never
    /// trusted, the signer is always configured).
    pub certificates: Vec<Result<CertInfo, CertProblem>>,
}

/// A `ds:Reference` of the signature's `SignedInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureReference {
    pub uri: Option<String>,
    /// `Transform` algorithms in order.
    pub transforms: Vec<String>,
}

/// A problem found while reading one part of the document; never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub position: Position,
    pub kind: FindingKind,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.position, self.kind)
    }
}

/// What a [`Finding`] is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindingKind {
    #[error("{role} {usage} certificate is unusable: {problem}")]
    Certificate {
        role: Role,
        usage: KeyUse,
        problem: CertProblem,
    },
    #[error("{element} has an invalid {attribute} {value:?}: expected {expected}")]
    InvalidValue {
        element: &'static str,
        attribute: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("EntityDescriptor without entityID is ignored")]
    MissingEntityId,
    #[error("RequestedAttribute without Name is ignored")]
    UnnamedAttribute,
    #[error("a second {0} in the same entity is ignored")]
    DuplicateRole(Role),
    #[error("Organization lacks {}, which the schema requires", .missing.join(", "))]
    IncompleteOrganization { missing: Vec<&'static str> },
    #[error("mdui:UIInfo contains mdui:{name}, which the mdui schema does not define")]
    UnknownUiElement { name: String },
}
