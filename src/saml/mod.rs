//! SAML metadata: reading partner metadata, writing our IdP metadata.
//!
//! - [`parse_metadata`] reads a single entity or an aggregate of any depth into [`Metadata`]
//!   in one streaming pass. Problems inside an entity (an unreadable certificate, an invalid
//!   value) become [`Finding`]s; only a document that cannot be read as metadata at all is a
//!   [`MetadataError`]. DOCTYPEs and entity references are refused, never expanded.
//! - [`Metadata::entity`] picks one entity out of an aggregate (`metadata_entity_id`);
//!   [`Entity::check_valid_until`] applies the expiry rule (`--allow-expired-metadata`).
//! - [`SpSettings::from_entity`] derives the SAML client values Keycloak's own SP-metadata
//!   converter would.
//! - [`verify_signature`] checks the document's XML signature against a configured signer with
//!   the `xmlsec1` tool, and that the signature covers the whole document.
//! - [`idp_descriptor`] writes the IdP descriptor Keycloak would serve for a realm;
//!   [`read_idp_descriptor`] reads a served one back as partners will; [`add_contact`] adds our
//!   technical contact to it.

mod descriptor;
mod idp_settings;
mod model;
mod parse;
mod select;
mod signature;
mod sp_settings;
pub(crate) mod xml;

pub use descriptor::{
    Contact, DescriptorError, SigningKey, add_contact, idp_descriptor, read_idp_descriptor,
};
pub use idp_settings::{IdpSettings, IdpSettingsError};
pub use model::{
    CertProblem, ContactPerson, Endpoint, Entity, Finding, FindingKind, IdpDescriptor,
    KeyDescriptor, KeyUse, Localized, Metadata, Organization, Position, RequestedAttribute, Role,
    RoleDescriptor, SAML2_PROTOCOL, SignatureInfo, SignatureReference, SpDescriptor, UiInfo,
    binding, preferred_english,
};
pub use parse::parse_metadata;
pub use select::{Expired, SelectError};
pub use signature::{
    ALLOWED_TRANSFORMS, SignatureError, read_signers, verify_signature, verify_signed_metadata,
    verify_xml_signature,
};
pub use sp_settings::{NameIdFormat, SpSettings, SpSettingsError, keycloak_name_format};
pub use xml::MetadataError;
