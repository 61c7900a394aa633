//! fedctl: SAML and OIDC federations as code, reconciled against Keycloak.
//!
//! The pipeline is `records → validate → desired state → observe target → diff → plan → apply`.
//! Five layers, every import pointing down (docs/architecture.md, checked by
//! tests/architecture.rs): foundations ([`printable`], [`url_rule`], [`input`], [`fsutil`],
//! [`runtime`], [`x509`], [`saml`]); the pure core ([`record`], [`state`], [`desired`],
//! [`reconcile`]); ports and adapters ([`http`], [`metadata_source`], [`target`], [`keycloak`],
//! [`config`]); features ([`pipeline`], [`certs`], [`review`], [`export`]); and the shell
//! ([`cli`], [`commands`], [`error`], [`logging`], `main.rs`).

pub mod certs;
pub mod cli;
pub mod commands;
pub mod config;
pub mod desired;
pub mod error;
pub mod export;
pub mod fsutil;
pub mod http;
pub mod import;
pub mod input;
pub mod keycloak;
pub mod logging;
pub mod metadata_source;
pub mod pipeline;
pub mod printable;
pub mod reconcile;
pub mod record;
pub mod review;
pub mod runtime;
pub mod saml;
pub mod scaffold;
pub mod state;
pub mod target;
pub mod url_rule;
pub mod user_profile;
pub mod verify;
pub mod x509;
