//! Signing-certificate rollover: renew our realm's SAML signing certificate without breaking
//! a partner (`fedctl rollover stage|status|promote|retire`).
//!
//! Keycloak decides which key signs and which keys it publishes (read from its source,
//! `DefaultKeyManager`, `SamlService.getIDPMetadataDescriptor`, the OIDC `certs` endpoint):
//! the signer is the first *active* key of the highest-priority provider (ties: lower
//! component id first); the IdP descriptor and the JWKS publish every *enabled* key, active
//! or passive. So a new key that is enabled but not active is handed out without signing
//! anything yet, and a demoted key keeps verifying while it stays enabled.
//!
//! Pure core: [`ring`] reads the realm's key providers (which key signs, which is staged,
//! which is being retired), [`status`] judges each outbound federation against them,
//! [`plan`] turns a step into changes on key providers, [`render`] shows plans and status.
//! [`run`] is the feature's I/O: it loads the records, reads the target's key providers and
//! applies a plan through [`crate::target::key_providers::KeyProviderTarget`].

mod error;
pub mod plan;
pub mod render;
pub mod ring;
pub mod run;
pub mod status;

pub use error::RolloverError;
pub use plan::{Options, PlannedChange, RolloverPlan, Step};
pub use ring::Ring;
pub use run::{Prepared, RolloverOptions, apply, prepare, status};
pub use status::{Federation, FederationState, RolloverStatus};
