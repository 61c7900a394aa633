//! SAML metadata: reading partner metadata, writing our IdP metadata.
//!
//! - [`parse_metadata`] reads a single entity or an aggregate into [`Metadata`]; problems inside
//!   an entity become [`Finding`]s, only unreadable documents are [`MetadataError`]s.
//! - [`Metadata::entity`] picks one entity out of an aggregate.

mod model;
mod parse;
mod select;
mod sp_settings;
mod xml;

pub use model::{
    CertProblem, ContactPerson, Endpoint, Entity, Finding, FindingKind, IdpDescriptor, KeyDescriptor, KeyUse,
    Localized, Metadata, Organization, Position, RequestedAttribute, Role, RoleDescriptor, SAML2_PROTOCOL,
    SignatureInfo, SignatureReference, SpDescriptor, UiInfo, binding, preferred_english,
};
pub use parse::parse_metadata;
pub use select::{Expired, SelectError};
pub use sp_settings::{NameIdFormat, SpSettings, SpSettingsError, keycloak_name_format};
pub use xml::MetadataError;
