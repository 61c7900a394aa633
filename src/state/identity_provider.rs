//! Identity providers (inbound federations: a partner's IdP brokered into our realm) and
//! their mappers, in the same flat shape as clients. Keycloak gives identity providers no
//! attributes, so fedctl's bookkeeping lives in their `config` map, which Keycloak stores
//! whatever its keys.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Fields, Mapper, OWNER_ATTRIBUTE, split_list};

/// Prefix of field paths that address an identity provider's `config` map.
pub const CONFIG_PREFIX: &str = "config.";
/// Config key listing the mappers fedctl created on an identity provider.
pub const IDP_MAPPERS_KEY: &str = "fedctl.mappers";
/// The config key of an OIDC broker's client secret (masked by Keycloak when read).
pub const CLIENT_SECRET_KEY: &str = "clientSecret";
/// How plans show a client secret: never its value.
pub const SECRET_SHOWN: &str = "(secret, set)";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdentityProvider {
    /// Top-level keys (`providerId`, `trustEmail`, …) and `config.<key>`.
    pub fields: Fields,
    /// By name. `Mapper::protocol` is unused here (empty); `mapper_type` is the
    /// `identityProviderMapper`.
    pub mappers: BTreeMap<String, Mapper>,
    /// Desired side only: where the OIDC client secret comes from. The value itself is read
    /// by the target at the moment it writes it, so it never enters a plan.
    pub client_secret: Option<SecretSource>,
}

impl IdentityProvider {
    pub fn owner(&self) -> Option<&str> {
        config_value(&self.fields, OWNER_ATTRIBUTE)
    }

    pub fn managed_mappers(&self) -> BTreeSet<String> {
        config_value(&self.fields, IDP_MAPPERS_KEY)
            .map(split_list)
            .unwrap_or_default()
    }

    /// Whether the observed provider holds a client secret (masked or not).
    pub fn has_client_secret(&self) -> bool {
        config_value(&self.fields, CLIENT_SECRET_KEY).is_some_and(|s| !s.is_empty())
    }
}

/// Where a secret is read from: named in fedctl.yaml, never written in a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretSource {
    /// An environment variable.
    Env(String),
    /// A file only its owner may read (mode 0600 or stricter).
    File(PathBuf),
}

impl std::fmt::Display for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::Env(name) => write!(f, "environment variable {name}"),
            SecretSource::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

pub fn config_path(key: &str) -> String {
    format!("{CONFIG_PREFIX}{key}")
}

fn config_value<'a>(fields: &'a Fields, key: &str) -> Option<&'a str> {
    fields.get(&config_path(key)).and_then(Value::as_str)
}
