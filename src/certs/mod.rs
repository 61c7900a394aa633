//! Certificate-expiry checks.
