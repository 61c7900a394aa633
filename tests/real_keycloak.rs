//! The real-Keycloak tier: fedctl against a real Keycloak server started by scripts/test.sh
//! (see docs/real-keycloak.md). Every test makes a realm of its own and deletes it; without
//! `FEDCTL_REAL_KEYCLOAK_URL` each test prints that it was skipped.

mod common;

#[path = "real_keycloak/e2e.rs"]
mod e2e;
#[path = "real_keycloak/import.rs"]
mod import;
#[path = "import_support/mod.rs"]
mod import_support;
#[path = "real_keycloak/inbound.rs"]
mod inbound;
#[path = "real_keycloak/realm_files.rs"]
mod realm_files;
#[path = "real_keycloak/rollover.rs"]
mod rollover;
#[path = "rollover/scenario.rs"]
mod scenario;
#[path = "real_keycloak/server.rs"]
mod server;
#[path = "real_keycloak/verify.rs"]
mod verify;
