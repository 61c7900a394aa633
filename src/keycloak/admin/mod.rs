//! The live Keycloak target: the admin REST API (keycloak-admin-api.md) behind the same
//! [`crate::target::Target`] trait as the realm file.
//!
//! Layers, bottom up: [`connection`] (URL, credentials, TLS), [`auth`] (tokens), [`client`]
//! (requests with retries, paging, bounded concurrency), then the target: [`observe`] reads
//! the realm (one partial export, or [`by_parts`]), [`target`] and [`flows`] execute
//! operations, with server ids from the [`ids`] cache.

pub mod auth;
pub mod by_parts;
pub mod client;
pub mod connection;
pub mod error;
pub mod flows;
pub mod ids;
pub mod key_providers;
pub mod observe;
pub mod retry;
pub mod secret;
pub mod target;

pub use connection::{Connection, Credentials};
pub use target::KeycloakTarget;
