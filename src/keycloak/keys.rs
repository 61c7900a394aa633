//! Realm signing keys and their certificates.
