//! In-memory simulator of the Keycloak admin REST API, for fedctl's
//! end-to-end tests.
//!
//! It serves the behaviour specified in `keycloak-admin-api.md` (Keycloak 26
//! by default, 22–25 selectable): the token endpoint with signed RS256 JWTs,
//! admin endpoints for realms, clients, protocol mappers, roles, groups, role
//! mappings, users, client scopes, identity providers, authentication flows,
//! keys, partial export/import and the client-description converter, the
//! public SAML descriptor, OIDC discovery and JWKS, Keycloak's error bodies,
//! and test controls under `/_sim/` (request counts, fault injection).
//!
//! ```no_run
//! let sim = kc_sim::Simulator::builder().keycloak_version(26).start().unwrap();
//! let base = sim.url(); // http://127.0.0.1:PORT, admin/admin in realm master
//! sim.add_user("master", "alice", "secret");
//! assert_eq!(sim.request_counts().total, 0);
//! ```

mod app;
mod auth;
mod authenticators;
mod clients;
mod converter;
mod counts;
mod descriptor;
mod errors;
mod faults;
mod flows;
mod groups;
mod http;
mod idps;
mod import;
mod installation;
mod java_order;
mod json;
mod key_providers;
mod keys;
mod mappers;
mod partial;
mod realm_defaults;
mod realms;
mod repr;
mod role_mappings;
mod roles;
mod scope;
mod scopes;
mod server;
mod sim;
pub mod state;
mod tokens;
mod users;
mod xml;
mod zip;

mod api;

pub use api::{SimError, Simulator, SimulatorBuilder};
pub use counts::RequestCounts;
pub use faults::{FailNth, Faults};
