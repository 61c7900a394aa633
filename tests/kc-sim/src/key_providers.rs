//! Key providers: the realm's `org.keycloak.keys.KeyProvider` components, their
//! admin CRUD (`/components`), and what they decide elsewhere: `GET /keys`, the
//! SAML IdP descriptor, the JWKS and the key that signs tokens.
//!
//! As Keycloak 26 (`DefaultKeyManager`, `SamlService`, the OIDC `certs`
//! endpoint, `ComponentResource`, checked against 26.7.3 and 26.4.7 by the
//! conformance tests):
//! - providers are ordered by `priority` (highest first), ties by component id;
//!   the first *active* key of an algorithm signs;
//! - a provider's `enabled` (default true) and `active` (default true) config
//!   make its key ACTIVE, PASSIVE (enabled, not active) or DISABLED;
//! - the descriptor and the JWKS publish every *enabled* key (the descriptor its
//!   RS256 signing keys, active first);
//! - `GET /components` never returns a provider's private key or certificate,
//!   and keeps only the config keys the provider declares.
//!
//! A new realm's four default providers are backed by its generated
//! [`RealmKeys`]; `POST /components` adds `rsa-generated` providers (other
//! provider types are not modelled and answered as unknown).

use crate::app::App;
use crate::auth::{Admin, realm_keys};
use crate::errors::{ApiError, ApiResult};
use crate::http::{created, json_list, json_response, no_content};
use crate::keys::{RealmKeys, RsaKey};
use crate::state::{Realm, new_id};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub const KEY_PROVIDER: &str = "org.keycloak.keys.KeyProvider";

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/admin/realms/{realm}/components", get(list).post(create))
        .route(
            "/admin/realms/{realm}/components/{id}",
            get(get_one).put(update).delete(remove),
        )
}

/// What the admin API changed about the realm's key providers.
#[derive(Clone, Default)]
pub struct KeyProviders {
    /// Name and config of default providers that were updated, by component id.
    changed: HashMap<String, (String, Map<String, Value>)>,
    /// Default providers that were deleted.
    deleted: HashSet<String>,
    /// Providers created through `POST /components`.
    added: Vec<Added>,
}

#[derive(Clone)]
struct Added {
    id: String,
    name: String,
    config: Map<String, Value>,
    key: Arc<RsaKey>,
}

/// One provider as the realm sees it now.
pub struct Provider<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub provider_id: &'static str,
    pub config: &'a Map<String, Value>,
    pub key: Key<'a>,
}

pub enum Key<'a> {
    Rsa {
        key: &'a RsaKey,
        algorithm: &'static str,
        use_: &'static str,
    },
    Oct {
        kid: &'a str,
        algorithm: &'static str,
        use_: &'static str,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Passive,
    Disabled,
}

impl<'a> Provider<'a> {
    fn setting(&self, key: &str) -> Option<&str> {
        self.config.get(key)?.get(0)?.as_str()
    }

    pub fn priority(&self) -> i64 {
        self.setting("priority")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(0)
    }

    pub fn status(&self) -> Status {
        let on = |key| self.setting(key).is_none_or(|v| v != "false");
        match (on("enabled"), on("active")) {
            (false, _) => Status::Disabled,
            (true, true) => Status::Active,
            (true, false) => Status::Passive,
        }
    }

    fn kid(&self) -> &str {
        match &self.key {
            Key::Rsa { key, .. } => &key.kid,
            Key::Oct { kid, .. } => kid,
        }
    }

    fn algorithm(&self) -> &'static str {
        match self.key {
            Key::Rsa { algorithm, .. } | Key::Oct { algorithm, .. } => algorithm,
        }
    }

    /// An enabled RS256 signing key: in the descriptor, and a candidate signer.
    fn rs256(&self) -> Option<&'a RsaKey> {
        match self.key {
            Key::Rsa {
                key,
                algorithm: "RS256",
                use_: "SIG",
            } if self.status() != Status::Disabled => Some(key),
            _ => None,
        }
    }

    /// ComponentRepresentation: no private key, no certificate.
    fn representation(&self, realm_id: &str) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "providerId": self.provider_id,
            "providerType": KEY_PROVIDER,
            "parentId": realm_id,
            "config": self.config,
        })
    }

    /// One key of KeysMetadataRepresentation.
    fn metadata(&self) -> Value {
        let status = match self.status() {
            Status::Active => "ACTIVE",
            Status::Passive => "PASSIVE",
            Status::Disabled => "DISABLED",
        };
        match &self.key {
            Key::Rsa {
                key,
                algorithm,
                use_,
            } => json!({
                "providerId": self.id, "providerPriority": self.priority(), "kid": key.kid,
                "status": status, "type": "RSA", "algorithm": algorithm,
                "publicKey": key.public_b64, "certificate": key.cert_b64, "use": use_,
                "validTo": (key.not_after.unix_timestamp_nanos() / 1_000_000) as i64,
            }),
            Key::Oct {
                kid,
                algorithm,
                use_,
            } => json!({
                "providerId": self.id, "providerPriority": self.priority(), "kid": kid,
                "status": status, "type": "OCT", "algorithm": algorithm, "use": use_,
            }),
        }
    }
}

/// The config a default provider of a new realm shows.
fn default_config(algorithm: Option<&str>) -> Map<String, Value> {
    let mut config = Map::new();
    config.insert("priority".into(), json!(["100"]));
    if let Some(algorithm) = algorithm {
        config.insert("algorithm".into(), json!([algorithm]));
    }
    config
}

/// Every key provider of the realm, in Keycloak's order: priority (highest
/// first), then component id.
pub fn providers<'a>(app: &App, realm: &'a Realm) -> Vec<Provider<'a>> {
    let keys = realm_keys(app, realm);
    let state = &realm.key_providers;
    let defaults = default_providers(keys);
    let mut all: Vec<Provider<'a>> = Vec::new();
    for (id, name, provider_id, config, key) in defaults {
        if state.deleted.contains(id) {
            continue;
        }
        let (name, config) = match state.changed.get(id) {
            Some((name, config)) => (name.as_str(), config),
            None => (name, config),
        };
        all.push(Provider {
            id,
            name,
            provider_id,
            config,
            key,
        });
    }
    all.extend(state.added.iter().map(|a| Provider {
        id: &a.id,
        name: &a.name,
        provider_id: "rsa-generated",
        config: &a.config,
        key: Key::Rsa {
            key: &a.key,
            algorithm: "RS256",
            use_: "SIG",
        },
    }));
    all.sort_by(|a, b| b.priority().cmp(&a.priority()).then_with(|| a.id.cmp(b.id)));
    all
}

type DefaultProvider<'a> = (
    &'a str,
    &'static str,
    &'static str,
    &'a Map<String, Value>,
    Key<'a>,
);

fn default_providers(keys: &RealmKeys) -> Vec<DefaultProvider<'_>> {
    let configs = &keys.default_configs;
    vec![
        (
            keys.sig.provider_id.as_str(),
            "rsa-generated",
            "rsa-generated",
            &configs[0],
            Key::Rsa {
                key: &keys.sig,
                algorithm: "RS256",
                use_: "SIG",
            },
        ),
        (
            keys.enc.provider_id.as_str(),
            "rsa-enc-generated",
            "rsa-enc-generated",
            &configs[1],
            Key::Rsa {
                key: &keys.enc,
                algorithm: "RSA-OAEP",
                use_: "ENC",
            },
        ),
        (
            keys.hmac_provider.as_str(),
            "hmac-generated-hs512",
            "hmac-generated",
            &configs[2],
            Key::Oct {
                kid: &keys.hmac_kid,
                algorithm: "HS512",
                use_: "SIG",
            },
        ),
        (
            keys.aes_provider.as_str(),
            "aes-generated",
            "aes-generated",
            &configs[3],
            Key::Oct {
                kid: &keys.aes_kid,
                algorithm: "AES",
                use_: "ENC",
            },
        ),
    ]
}

/// Configs of the four default providers, in [`default_providers`] order.
pub fn default_configs() -> [Map<String, Value>; 4] {
    [
        default_config(None),
        default_config(Some("RSA-OAEP")),
        default_config(Some("HS512")),
        default_config(None),
    ]
}

/// The key that signs the realm's tokens and SAML documents. A realm whose
/// providers leave no active RS256 key falls back to its generated key (Keycloak
/// would generate a fallback provider).
pub fn signer<'a>(app: &App, realm: &'a Realm) -> &'a RsaKey {
    providers(app, realm)
        .into_iter()
        .filter(|p| p.status() == Status::Active)
        .find_map(|p| p.rs256())
        .unwrap_or(&realm_keys(app, realm).sig)
}

/// The claims of a token one of the realm's enabled RS256 keys signed.
pub fn verify(app: &App, realm: &Realm, token: &str) -> Option<Value> {
    providers(app, realm)
        .iter()
        .filter_map(|p| p.rs256())
        .find_map(|key| crate::tokens::verify(key, token))
}

/// KeysMetadataRepresentation (`GET /keys`).
pub fn metadata(app: &App, realm: &Realm) -> Value {
    let all = providers(app, realm);
    let mut active = Map::new();
    for p in all.iter().filter(|p| p.status() == Status::Active) {
        active
            .entry(p.algorithm())
            .or_insert_with(|| json!(p.kid()));
    }
    json!({
        "active": active,
        "keys": all.iter().map(Provider::metadata).collect::<Vec<_>>(),
    })
}

/// JWKS of `/protocol/openid-connect/certs`: every enabled key with a public key.
pub fn jwks(app: &App, realm: &Realm) -> Value {
    let keys: Vec<Value> = providers(app, realm)
        .iter()
        .filter(|p| p.status() != Status::Disabled)
        .filter_map(|p| match p.key {
            Key::Rsa {
                key,
                algorithm,
                use_,
            } => Some(key.jwk(algorithm, &use_.to_lowercase())),
            Key::Oct { .. } => None,
        })
        .collect();
    json!({ "keys": keys })
}

/// `(kid, certificate)` of the descriptor's signing KeyDescriptors: enabled
/// RS256 keys, active before passive, then by priority.
pub fn descriptor_keys(app: &App, realm: &Realm) -> Vec<(String, String)> {
    let all = providers(app, realm);
    let mut signing: Vec<&Provider<'_>> = all.iter().filter(|p| p.rs256().is_some()).collect();
    signing.sort_by_key(|p| p.status() != Status::Active);
    signing
        .iter()
        .filter_map(|p| p.rs256())
        .map(|key| (key.kid.clone(), key.cert_b64.clone()))
        .collect()
}

// ------------------------------------------------------------------ handlers

fn not_found() -> ApiError {
    ApiError::not_found("Could not find component")
}

fn parse(body: &[u8]) -> ApiResult<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::JsonShape),
        Err(_) => Err(ApiError::JsonSyntax),
    }
}

/// The config keys `rsa-generated` declares; others are dropped on save.
const RSA_GENERATED_CONFIG: [&str; 5] = ["priority", "enabled", "active", "keySize", "algorithm"];

/// Checks and keeps the declared config keys, as `ComponentValidator` does.
fn config_of(body: &Map<String, Value>) -> ApiResult<Map<String, Value>> {
    let given = body.get("config").and_then(Value::as_object);
    let mut config = Map::new();
    for key in RSA_GENERATED_CONFIG {
        if let Some(value) = given.and_then(|c| c.get(key)) {
            config.insert(key.into(), value.clone());
        }
    }
    let priority = config
        .get("priority")
        .and_then(|v| v.get(0))
        .and_then(Value::as_str);
    if priority.is_some_and(|p| p.trim().parse::<i64>().is_err()) {
        return Err(ApiError::Message(
            StatusCode::BAD_REQUEST,
            "'Priority' should be a number".into(),
        ));
    }
    Ok(config)
}

fn is_rsa_generated_key_provider(body: &Map<String, Value>) -> bool {
    body.get("providerType").and_then(Value::as_str) == Some(KEY_PROVIDER)
        && body.get("providerId").and_then(Value::as_str) == Some("rsa-generated")
}

async fn list(admin: Admin, Query(query): Query<HashMap<String, String>>) -> ApiResult {
    admin.require(admin.view_realm())?;
    admin.read(|realm| {
        let wanted = |p: &Provider<'_>| {
            query.get("type").is_none_or(|t| t == KEY_PROVIDER)
                && query.get("name").is_none_or(|n| n == p.name)
                && query.get("parent").is_none_or(|parent| *parent == realm.id)
        };
        let items = providers(&admin.app, realm)
            .iter()
            .filter(|p| wanted(p))
            .map(|p| p.representation(&realm.id))
            .collect();
        Ok(json_list(items))
    })
}

async fn get_one(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.view_realm())?;
    admin.read(|realm| {
        providers(&admin.app, realm)
            .iter()
            .find(|p| p.id == id)
            .map(|p| json_response(p.representation(&realm.id)))
            .ok_or_else(not_found)
    })
}

async fn create(admin: Admin, body: Bytes) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let body = parse(&body)?;
    if !is_rsa_generated_key_provider(&body) {
        return Err(ApiError::bad_request(
            "Invalid provider type or no such provider",
        ));
    }
    let config = config_of(&body)?;
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    // A new key's certificate runs from now, whatever the realm's first keys were given.
    let not_after = crate::keys::default_not_after();
    let mut store = admin.app.write();
    let index = store.next_key;
    let realm = store
        .realms
        .get_mut(&admin.realm)
        .ok_or_else(|| ApiError::not_found("Realm not found."))?;
    // A new provider's key, from the pool beyond every realm's keys.
    let private = crate::keys::pooled_key(2 * index);
    let id = new_id();
    let key = RsaKey::new(private, &realm.name, not_after);
    realm.key_providers.added.push(Added {
        id: id.clone(),
        name: name.to_owned(),
        config,
        key: Arc::new(key),
    });
    store.next_key += 1;
    Ok(created(admin.location(&format!("components/{id}"))))
}

async fn update(admin: Admin, Path((_, id)): Path<(String, String)>, body: Bytes) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let body = parse(&body)?;
    let app = admin.app.clone();
    admin.write(|realm| {
        let exists = providers(&app, realm).iter().any(|p| p.id == id);
        if !exists {
            return Err(not_found());
        }
        // Keycloak 26 answers a PUT without the provider's type with a 500.
        if body.get("providerId").and_then(Value::as_str).is_none() {
            return Err(ApiError::Server("component without providerId".into()));
        }
        let config = config_of(&body)?;
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let state = &mut realm.key_providers;
        match state.added.iter_mut().find(|a| a.id == id) {
            Some(added) => {
                added.name = name;
                added.config = config;
            }
            None => {
                state.changed.insert(id, (name, config));
            }
        }
        Ok(no_content())
    })
}

async fn remove(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.manage_realm())?;
    let app = admin.app.clone();
    admin.write(|realm| {
        if !providers(&app, realm).iter().any(|p| p.id == id) {
            return Err(not_found());
        }
        let state = &mut realm.key_providers;
        let before = state.added.len();
        state.added.retain(|a| a.id != id);
        if state.added.len() == before {
            state.changed.remove(&id);
            state.deleted.insert(id);
        }
        Ok(no_content())
    })
}
