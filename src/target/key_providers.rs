//! The port for the realm's key providers (components of type
//! `org.keycloak.keys.KeyProvider`): what the signing-certificate rollover reads and changes.
//! The realm file ([`crate::keycloak::key_providers`]) and the admin API
//! ([`crate::keycloak::admin::key_providers`]) implement it.
//!
//! Only public facts cross this port: a generated private key stays inside Keycloak (live) or
//! inside the realm document (realm file).

use time::OffsetDateTime;

use super::TargetError;

/// Keycloak's RSA providers whose keys sign with RS256 unless configured otherwise.
pub const RSA_PROVIDER_TYPES: [&str; 3] = ["rsa-generated", "rsa", "java-keystore"];

/// One key provider of the realm and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProvider {
    /// Component id (`/keys` calls it `providerId`).
    pub id: String,
    pub name: String,
    /// The provider factory, e.g. `rsa-generated` (the component's `providerId`).
    pub provider_type: String,
    /// Config `priority`; Keycloak reads a missing one as 0.
    pub priority: i64,
    /// Config `enabled` (default true): a disabled key is neither used nor published.
    pub enabled: bool,
    /// Config `active` (default true): an enabled key that is not active is published and
    /// verifies, but never signs.
    pub active: bool,
    /// A signing key usable with RS256: the keys of our SAML IdP descriptor.
    pub rs256_signing: bool,
    pub kid: Option<String>,
    /// base64 DER, public.
    pub certificate: Option<String>,
    pub not_after: Option<OffsetDateTime>,
}

/// The key Keycloak signs with (`DefaultKeyManager.getActiveKey`): providers by priority,
/// highest first, ties by component id; the first enabled, active RS256 key signs.
pub fn signer(providers: &[KeyProvider]) -> Option<&KeyProvider> {
    providers
        .iter()
        .filter(|p| p.rs256_signing && p.enabled && p.active)
        .min_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)))
}

/// The config fields a rollover changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySettings {
    pub priority: i64,
    pub enabled: bool,
    pub active: bool,
}

impl KeyProvider {
    pub fn settings(&self) -> KeySettings {
        KeySettings {
            priority: self.priority,
            enabled: self.enabled,
            active: self.active,
        }
    }
}

/// One change to the realm's key providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChange {
    /// A new `rsa-generated` RS256 signing key (2048 bits, self-signed certificate with the
    /// realm name as CN), its private key made where it is kept.
    Create {
        name: String,
        settings: KeySettings,
    },
    Update {
        id: String,
        name: String,
        from: KeySettings,
        to: KeySettings,
    },
    Delete {
        id: String,
        name: String,
    },
}

/// A place whose key providers fedctl can read and change.
#[allow(async_fn_in_trait)]
pub trait KeyProviderTarget {
    /// Every key provider of the realm.
    async fn key_providers(&self) -> Result<Vec<KeyProvider>, TargetError>;

    /// Makes one change; deleting a provider already gone succeeds.
    async fn change_key(&self, change: &KeyChange) -> Result<(), TargetError>;

    /// Makes the changes durable (the realm file is written here).
    async fn commit_keys(&self) -> Result<(), TargetError>;
}
