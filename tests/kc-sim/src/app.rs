//! Shared state of a running simulator.

use crate::counts::Counts;
use crate::faults::FaultState;
use crate::state::Store;
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use time::OffsetDateTime;

/// Settings fixed at start-up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Keycloak major version whose behaviour is simulated (22..=26).
    pub version: u8,
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
            token_lifespan: None,
            key_not_after: None,
            admin_user: "admin".into(),
            admin_password: "admin".into(),
        }
    }
}

pub struct App {
    pub config: Config,
    store: RwLock<Store>,
    pub faults: FaultState,
    pub counts: Mutex<Counts>,
}

impl App {
    pub fn new(config: Config, store: Store) -> App {
        App {
            config,
            store: RwLock::new(store),
            faults: FaultState::default(),
            counts: Mutex::default(),
        }
    }

    /// Read access to the model. Never held across an `.await`.
    pub fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }
}
