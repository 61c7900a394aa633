//! In-memory simulator of the Keycloak admin REST API.
