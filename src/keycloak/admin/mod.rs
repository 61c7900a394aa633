//! The live Keycloak target: the admin REST API (keycloak-admin-api.md) behind the same
//! [`crate::target::Target`] trait as the realm file.
//!
//! Three layers, each importing only the ones below it:
//! - the **request client**: [`connection`] (URL, credentials, TLS), [`auth`] (tokens),
//!   [`client`] (requests with retries, paging, bounded concurrency), [`error`],
//!   [`ids`] (the server-id cache) and [`flow_template`] (how fedctl names its flow templates);
//! - the **reader**, [`read`]: the realm as a [`crate::state::RealmState`] (one partial
//!   export, or [`read::by_parts`]), and single lookups ([`read::lookup`]);
//! - the **writer**, [`write`]: [`KeycloakTarget`], which executes operations (flows in
//!   `write/flows.rs`) and observes through the reader.

pub mod auth;
pub mod client;
pub mod connection;
pub mod error;
pub mod flow_template;
pub mod ids;
pub mod read;
pub mod secret;
pub mod write;

pub use connection::{Connection, Credentials};
pub use write::KeycloakTarget;
