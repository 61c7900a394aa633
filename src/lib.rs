//! fedctl: SAML and OIDC federations as code, reconciled against Keycloak.
//!
//! The pipeline is `records → validate → desired state → observe target → diff → plan → apply`.
//! Everything between loading and the target is pure: see [`record`], [`desired`], [`state`]
//! and [`reconcile`]. The imperative shell is [`target`] (realm file or admin API),
//! [`commands`] and `main.rs`.

pub mod certs;
pub mod cli;
pub mod commands;
pub mod config;
pub mod desired;
pub mod error;
pub mod fsutil;
pub mod http;
pub mod input;
pub mod keycloak;
pub mod logging;
pub mod metadata_source;
pub mod printable;
pub mod profile;
pub mod reconcile;
pub mod record;
pub mod review;
pub mod saml;
pub mod state;
pub mod target;
pub mod url_rule;
pub mod user_profile;
pub mod verify;
pub mod x509;
