//! Conformance tests of the simulator against keycloak-admin-api.md, through
//! real HTTP. One binary keeps link time low.

#[macro_use]
mod common;

mod auth;
mod clients_merge;
mod errors;
mod faults;
mod fixtures;
mod flows;
mod groups;
mod idps;
mod installation;
mod key_providers;
mod keys;
mod locations;
mod paging;
mod partial;
mod role_mappings;
mod users;
