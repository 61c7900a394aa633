//! Shared state of a running simulator.

use crate::counts::Counts;
use crate::faults::FaultState;
use crate::state::Store;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use time::OffsetDateTime;

/// Settings fixed at start-up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Keycloak major version whose behaviour is simulated (22..=26).
    pub version: u8,
    /// Minor release of Keycloak 26 (4 or 7): some behaviour changed between 26.4 and 26.7,
    /// both checked against the real releases (26.4.7, 26.7.3). Releases in between are
    /// taken to behave like 26.4 (inferred).
    pub minor: u8,
    /// Overrides every realm's `accessTokenLifespan` when set.
    pub token_lifespan: Option<i64>,
    /// Not-after of realm key certificates (default: 10 years from creation).
    pub key_not_after: Option<OffsetDateTime>,
    pub admin_user: String,
    pub admin_password: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            version: 26,
            minor: 7,
            token_lifespan: None,
            key_not_after: None,
            admin_user: "admin".into(),
            admin_password: "admin".into(),
        }
    }
}

impl Config {
    /// Whether the simulated release is `major.minor` or newer.
    pub fn at_least(&self, major: u8, minor: u8) -> bool {
        (self.version, self.minor) >= (major, minor)
    }
}

pub struct App {
    pub config: Config,
    store: RwLock<Store>,
    pub faults: FaultState,
    pub counts: Mutex<Counts>,
    /// Tokens whose signature was checked: token → (realm id, claims). RSA
    /// verification dominates a simple request, so each token is verified once.
    verified: Mutex<HashMap<String, (String, Arc<Value>)>>,
}

impl App {
    pub fn new(config: Config, store: Store) -> App {
        App {
            config,
            store: RwLock::new(store),
            faults: FaultState::default(),
            counts: Mutex::default(),
            verified: Mutex::default(),
        }
    }

    /// Read access to the model. Never held across an `.await`.
    pub fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims of a token already verified for the realm with id `realm_id`.
    pub fn verified_claims(&self, token: &str, realm_id: &str) -> Option<Arc<Value>> {
        let cache = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(token)
            .filter(|(r, _)| r == realm_id)
            .map(|(_, c)| c.clone())
    }

    pub fn remember_verified(&self, token: &str, realm_id: &str, claims: Arc<Value>) {
        let mut cache = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(token.to_string(), (realm_id.to_string(), claims));
    }

    pub fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }
}
