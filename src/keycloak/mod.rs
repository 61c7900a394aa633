//! Keycloak: representations, the realm-file target and the admin REST API target.

pub mod admin;
pub mod generated_keys;
pub mod key_providers;
pub mod keys;
pub mod realm_file;
pub mod realm_json;
pub mod realm_shape;
pub mod secret_source;
