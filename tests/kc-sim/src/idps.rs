//! Identity providers, their mappers and `import-config` (§5).

use crate::auth::Admin;
use crate::errors::{ApiError, ApiResult};
use crate::http::{Query, created, flag, json_list, json_response, no_content, paging};
use crate::json::{Obj, ObjExt, parse_object, render};
use crate::repr::{IDP, IDP_MAPPER, IMPORT_CONFIG};
use crate::state::{Idp, Realm, new_id};
use crate::xml;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use std::sync::Arc;

const MASK: &str = "**********";

/// Provider ids of a default Keycloak 26 server.
const PROVIDERS: &[&str] = &[
    "saml",
    "oidc",
    "keycloak-oidc",
    "oauth2",
    "google",
    "github",
    "facebook",
    "microsoft",
    "gitlab",
    "bitbucket",
    "linkedin-openid-connect",
    "openshift-v4",
    "paypal",
    "stackoverflow",
    "twitter",
    "instagram",
    "kubernetes",
];

/// Properties whose default is `false` and which are always serialised.
const FLAGS: &[&str] = &[
    "trustEmail",
    "storeToken",
    "addReadTokenRoleOnCreate",
    "authenticateByDefault",
    "linkOnly",
];

/// Config keys holding URLs that are validated, with the name used in errors.
fn url_keys(provider: &str) -> &'static [(&'static str, &'static str)] {
    match provider {
        "saml" => &[
            ("singleSignOnServiceUrl", "singleSignOnServiceUrl"),
            ("singleLogoutServiceUrl", "singleLogoutServiceUrl"),
            ("metadataDescriptorUrl", "metadataDescriptorUrl"),
            (
                "artifactResolutionServiceUrl",
                "artifactResolutionServiceUrl",
            ),
        ],
        "oidc" | "keycloak-oidc" => &[
            ("authorizationUrl", "authorization_url"),
            ("tokenUrl", "token_url"),
            ("userInfoUrl", "userinfo_url"),
            ("jwksUrl", "jwks_url"),
            ("logoutUrl", "logout_url"),
        ],
        _ => &[],
    }
}

/// `SslRequired.EXTERNAL`: plain http is fine for local and private addresses.
fn is_local(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host == "localhost" || host == "::1" {
        return true;
    }
    match host.parse::<std::net::Ipv4Addr>() {
        Ok(ip) => ip.is_loopback() || ip.is_private(),
        Err(_) => false,
    }
}

fn validate(realm: &Realm, rep: &Obj) -> ApiResult<()> {
    let alias = rep.str("alias").unwrap_or_default();
    if alias.contains(' ') {
        return Err(ApiError::Message(
            StatusCode::BAD_REQUEST,
            "Empty Space not allowed.".into(),
        ));
    }
    let provider = rep.str("providerId").unwrap_or_default();
    if !PROVIDERS.contains(&provider) {
        return Err(ApiError::Message(
            StatusCode::BAD_REQUEST,
            format!("Invalid identity provider id [{provider}]"),
        ));
    }
    let ssl = realm.settings.str("sslRequired").unwrap_or("external");
    let config = rep.obj("config");
    for (key, name) in url_keys(provider) {
        let Some(value) = config.and_then(|c| c.str(key)).filter(|v| !v.is_empty()) else {
            continue;
        };
        let url = url::Url::parse(value).map_err(|_| {
            ApiError::Message(
                StatusCode::BAD_REQUEST,
                format!("The url [{name}] is malformed"),
            )
        })?;
        let insecure = url.scheme() == "http"
            && match ssl {
                "all" => true,
                "none" => false,
                _ => !url.host_str().is_some_and(is_local),
            };
        if insecure {
            return Err(ApiError::Message(
                StatusCode::BAD_REQUEST,
                format!("The url [{name}] requires secure connections"),
            ));
        }
    }
    for key in ["firstBrokerLoginFlowAlias", "postBrokerLoginFlowAlias"] {
        if let Some(alias) = rep.str(key).filter(|a| !a.trim().is_empty())
            && realm.flow_by_alias(alias).is_none()
        {
            // ModelException, not caught (inferred).
            return Err(ApiError::Server(format!(
                "No available authentication flow with alias: {alias}"
            )));
        }
    }
    Ok(())
}

/// The stored form of a representation: alias and internal id kept apart,
/// empty config values dropped.
fn normalise(mut rep: Obj) -> Obj {
    rep.remove("alias");
    rep.remove("internalId");
    let mut config = rep
        .remove("config")
        .and_then(|c| c.as_object().cloned())
        .unwrap_or_default();
    config.retain(|_, v| v.as_str().is_some_and(|s| !s.is_empty()));
    rep.insert("config".into(), Value::Object(config));
    rep.retain(|_, v| !v.is_null());
    rep
}

/// Adds an identity provider (import and API); returns its alias.
pub fn insert(realm: &mut Realm, rep: Obj) -> ApiResult<String> {
    validate(realm, &rep)?;
    let alias = rep.str("alias").unwrap_or_default().to_string();
    if realm.idps.contains_key(&alias) {
        return Err(ApiError::conflict(format!(
            "Identity Provider {alias} already exists"
        )));
    }
    let internal_id = rep
        .str("internalId")
        .map(str::to_string)
        .unwrap_or_else(new_id);
    realm.idps.insert(
        alias.clone(),
        Idp {
            internal_id,
            rep: normalise(rep),
        },
    );
    Ok(alias)
}

/// IdentityProviderRepresentation with secrets masked.
pub fn represent(alias: &str, idp: &Idp, config: &crate::app::Config) -> Value {
    let mut m = Obj::new();
    m.insert("alias".into(), json!(alias));
    m.insert("internalId".into(), json!(idp.internal_id));
    for (k, v) in &idp.rep {
        m.insert(k.clone(), v.clone());
    }
    m.entry("enabled").or_insert(json!(true));
    if config.version < 26 {
        m.remove("hideOnLogin");
    }
    // 26.7 keeps these flags nullable: absent unless set (seen on 26.7.3); before,
    // they were always written.
    if !config.at_least(26, 7) {
        for f in FLAGS {
            m.entry(*f).or_insert(json!(false));
        }
        if config.version >= 26 {
            m.entry("hideOnLogin").or_insert(json!(false));
        }
    }
    if let Some(Value::Object(c)) = m.get_mut("config")
        && c.get("clientSecret")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.starts_with("${vault."))
    {
        c.insert("clientSecret".into(), json!(MASK));
    }
    render(&m, &IDP)
}

/// Adds an IdP mapper; any failure is reported as Keycloak's catch-all text.
pub fn insert_mapper(realm: &mut Realm, mut rep: Obj) -> ApiResult<String> {
    let alias = rep
        .str("identityProviderAlias")
        .unwrap_or_default()
        .to_string();
    let name = rep.str("name").unwrap_or_default().to_string();
    let provider = realm
        .idps
        .get(&alias)
        .and_then(|i| i.rep.str("providerId"))
        .unwrap_or_default()
        .to_string();
    let clash = realm.idp_mappers.values().any(|m| {
        m.str("identityProviderAlias") == Some(alias.as_str())
            && m.str("name") == Some(name.as_str())
    });
    if clash || !realm.idps.contains_key(&alias) || name.is_empty() {
        return Err(ApiError::Message(
            StatusCode::BAD_REQUEST,
            format!("Failed to add mapper '{name}' to identity provider [{provider}]."),
        ));
    }
    let id = rep
        .str("id")
        .filter(|i| !realm.idp_mappers.contains_key(*i))
        .map(str::to_string)
        .unwrap_or_else(new_id);
    rep.insert("id".into(), json!(id));
    drop_empty_config(&mut rep);
    realm.idp_mappers.insert(id.clone(), rep);
    Ok(id)
}

fn drop_empty_config(rep: &mut Obj) {
    let mut config = rep
        .remove("config")
        .and_then(|c| c.as_object().cloned())
        .unwrap_or_default();
    config.retain(|_, v| v.as_str().is_some_and(|s| !s.is_empty()));
    rep.insert("config".into(), Value::Object(config));
}

pub fn routes() -> Router<Arc<crate::app::App>> {
    const I: &str = "/admin/realms/{realm}/identity-provider/instances/{alias}";
    Router::new()
        .route(
            "/admin/realms/{realm}/identity-provider/instances",
            get(list).post(create),
        )
        .route(I, get(get_one).put(update).delete(delete))
        .route(
            &format!("{I}/mappers"),
            get(list_mappers).post(create_mapper),
        )
        .route(
            &format!("{I}/mappers/{{id}}"),
            get(get_mapper).put(update_mapper).delete(delete_mapper),
        )
        .route(&format!("{I}/mapper-types"), get(mapper_types))
        .route(
            "/admin/realms/{realm}/identity-provider/import-config",
            post(import_config),
        )
        .route(
            "/admin/realms/{realm}/identity-provider/providers/{id}",
            get(provider),
        )
}

/// Finds an IdP by alias or internal id.
fn find<'a>(realm: &'a Realm, key: &str) -> ApiResult<(&'a String, &'a Idp)> {
    realm
        .idps
        .get_key_value(key)
        .or_else(|| realm.idps.iter().find(|(_, i)| i.internal_id == key))
        .ok_or_else(ApiError::plain_not_found)
}

/// `search`: prefix by default, `*x*` contains, `"x"` exact.
fn alias_matches(alias: &str, search: &str) -> bool {
    if search.len() >= 2 && search.starts_with('"') && search.ends_with('"') {
        return alias == &search[1..search.len() - 1];
    }
    if let Some(inner) = search.strip_prefix('*') {
        return alias.contains(inner.trim_end_matches('*'));
    }
    alias.starts_with(search.trim_end_matches('*'))
}

async fn list(admin: Admin, q: Query) -> ApiResult {
    admin.require(admin.view_idps())?;
    admin.read(|realm| {
        let mut idps: Vec<(&String, &Idp)> = realm
            .idps
            .iter()
            .filter(|(a, _)| {
                q.get("search")
                    .filter(|s| !s.is_empty())
                    .is_none_or(|s| alias_matches(a, s))
            })
            .collect();
        idps.sort_by(|a, b| a.0.cmp(b.0));
        let page = paging(&q, None, Some(100));
        let brief = flag(&q, "briefRepresentation", false);
        let items = page
            .apply(idps)
            .into_iter()
            .map(|(a, i)| {
                let full = represent(a, i, &admin.app.config);
                if brief {
                    let keep = [
                        "alias",
                        "displayName",
                        "internalId",
                        "providerId",
                        "enabled",
                        "hideOnLogin",
                    ];
                    Value::Object(
                        full.as_object()
                            .into_iter()
                            .flatten()
                            .filter(|(k, _)| keep.contains(&k.as_str()))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    )
                } else {
                    full
                }
            })
            .collect();
        Ok(json_list(items))
    })
}

async fn create(admin: Admin, body: Bytes) -> ApiResult {
    admin.require(admin.manage_idps())?;
    let rep = parse_object(&body, &IDP)?;
    let alias = admin.write(|realm| insert(realm, rep))?;
    Ok(created(admin.location(&format!(
        "identity-provider/instances/{}",
        crate::http::encode_segment(&alias)
    ))))
}

async fn get_one(admin: Admin, Path((_, alias)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.view_idps())?;
    admin.read(|realm| {
        let (a, i) = find(realm, &alias)?;
        Ok(json_response(represent(a, i, &admin.app.config)))
    })
}

/// PUT replaces the representation; a masked secret keeps the stored one.
async fn update(admin: Admin, Path((_, alias)): Path<(String, String)>, body: Bytes) -> ApiResult {
    admin.require(admin.manage_idps())?;
    let mut rep = parse_object(&body, &IDP)?;
    admin.write(|realm| {
        let (key, idp) = find(realm, &alias)?;
        let (key, internal_id) = (key.clone(), idp.internal_id.clone());
        let stored_secret = idp
            .rep
            .obj("config")
            .and_then(|c| c.str("clientSecret"))
            .map(str::to_string);
        if let Some(Value::Object(c)) = rep.get_mut("config")
            && c.get("clientSecret").and_then(Value::as_str) == Some(MASK)
        {
            match &stored_secret {
                Some(s) => c.insert("clientSecret".into(), json!(s)),
                None => c.remove("clientSecret"),
            };
        }
        let new_alias = rep.str("alias").unwrap_or(&key).to_string();
        rep.insert("alias".into(), json!(new_alias));
        validate(realm, &rep)?;
        if new_alias != key && realm.idps.contains_key(&new_alias) {
            return Err(ApiError::conflict(format!(
                "Identity Provider {new_alias} already exists"
            )));
        }
        let idx = realm.idps.get_index_of(&key).expect("found");
        realm.idps.shift_remove(&key);
        realm.idps.shift_insert(
            idx,
            new_alias.clone(),
            Idp {
                internal_id,
                rep: normalise(rep),
            },
        );
        if new_alias != key {
            for m in realm.idp_mappers.values_mut() {
                if m.str("identityProviderAlias") == Some(key.as_str()) {
                    m.insert("identityProviderAlias".into(), json!(new_alias));
                }
            }
        }
        Ok(no_content())
    })
}

async fn delete(admin: Admin, Path((_, alias)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.manage_idps())?;
    admin.write(|realm| {
        let key = find(realm, &alias)?.0.clone();
        realm.idps.shift_remove(&key);
        realm
            .idp_mappers
            .retain(|_, m| m.str("identityProviderAlias") != Some(key.as_str()));
        Ok(no_content())
    })
}

async fn list_mappers(admin: Admin, Path((_, alias)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.view_idps())?;
    admin.read(|realm| {
        let key = find(realm, &alias)?.0;
        let items = realm
            .idp_mappers
            .values()
            .filter(|m| m.str("identityProviderAlias") == Some(key.as_str()))
            .map(|m| render(m, &IDP_MAPPER))
            .collect();
        Ok(json_list(items))
    })
}

async fn create_mapper(
    admin: Admin,
    Path((_, alias)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    admin.require(admin.manage_idps())?;
    let mut rep = parse_object(&body, &IDP_MAPPER)?;
    admin.write(|realm| {
        let key = find(realm, &alias)?.0.clone();
        // The alias is taken from the body alone: without it the database's not-null
        // constraint fails, reported as a duplicate (seen on 26.4.7 and 26.7.3).
        if rep.str("identityProviderAlias").is_none() {
            return Err(ApiError::ModelDuplicate(crate::clients::DUPLICATE));
        }
        rep.insert("identityProviderAlias".into(), json!(key));
        let id = insert_mapper(realm, rep)?;
        Ok(created(admin.location(&format!(
            "identity-provider/instances/{}/mappers/{id}",
            crate::http::encode_segment(&key)
        ))))
    })
}

fn mapper<'a>(realm: &'a Realm, alias: &str, id: &str) -> ApiResult<&'a Obj> {
    let key = find(realm, alias)?.0;
    realm
        .idp_mappers
        .get(id)
        .filter(|m| m.str("identityProviderAlias") == Some(key.as_str()))
        .ok_or_else(|| ApiError::not_found("Model not found"))
}

async fn get_mapper(
    admin: Admin,
    Path((_, alias, id)): Path<(String, String, String)>,
) -> ApiResult {
    admin.require(admin.view_idps())?;
    admin.read(|realm| {
        Ok(json_response(render(
            mapper(realm, &alias, &id)?,
            &IDP_MAPPER,
        )))
    })
}

async fn update_mapper(
    admin: Admin,
    Path((_, alias, id)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    admin.require(admin.manage_idps())?;
    let rep = parse_object(&body, &IDP_MAPPER)?;
    admin.write(|realm| {
        let current = mapper(realm, &alias, &id)?;
        let idp_alias = current
            .str("identityProviderAlias")
            .unwrap_or_default()
            .to_string();
        if let Some(name) = rep.str("name") {
            let clash = realm.idp_mappers.values().any(|m| {
                m.str("id") != Some(id.as_str())
                    && m.str("identityProviderAlias") == Some(idp_alias.as_str())
                    && m.str("name") == Some(name)
            });
            if clash {
                // ModelException from the store, not caught (inferred).
                return Err(ApiError::Server(format!("mapper name {name} already used")));
            }
        }
        let m = realm.idp_mappers.get_mut(&id).expect("found");
        for k in ["name", "identityProviderMapper", "config"] {
            if let Some(v) = rep.get(k).filter(|v| !v.is_null()) {
                m.insert(k.into(), v.clone());
            }
        }
        drop_empty_config(m);
        Ok(no_content())
    })
}

async fn delete_mapper(
    admin: Admin,
    Path((_, alias, id)): Path<(String, String, String)>,
) -> ApiResult {
    admin.require(admin.manage_idps())?;
    admin.write(|realm| {
        mapper(realm, &alias, &id)?;
        realm.idp_mappers.shift_remove(&id);
        Ok(no_content())
    })
}

/// Mapper types and which providers they apply to (`*` = any).
const MAPPER_TYPES: &[(&str, &str, &str, &[&str])] = &[
    (
        "oidc-hardcoded-group-idp-mapper",
        "Hardcoded group",
        "Group Importer",
        &["*"],
    ),
    (
        "oidc-hardcoded-role-idp-mapper",
        "Hardcoded Role",
        "Role Importer",
        &["*"],
    ),
    (
        "hardcoded-attribute-idp-mapper",
        "Hardcoded Attribute",
        "Attribute Importer",
        &["*"],
    ),
    (
        "hardcoded-user-session-attribute-idp-mapper",
        "Hardcoded User Session Attribute",
        "Attribute Importer",
        &["*"],
    ),
    (
        "saml-user-attribute-idp-mapper",
        "Attribute Importer",
        "Attribute Importer",
        &["saml"],
    ),
    (
        "saml-advanced-group-idp-mapper",
        "Advanced Claim to Group",
        "Group Importer",
        &["saml"],
    ),
    (
        "saml-advanced-role-idp-mapper",
        "Advanced Attribute to Role",
        "Role Importer",
        &["saml"],
    ),
    (
        "saml-role-idp-mapper",
        "SAML Attribute to Role",
        "Role Importer",
        &["saml"],
    ),
    (
        "saml-username-idp-mapper",
        "Username Template Importer",
        "Preprocessor",
        &["saml"],
    ),
    (
        "saml-xpath-attribute-idp-mapper",
        "XPath Attribute Importer",
        "Attribute Importer",
        &["saml"],
    ),
    (
        "oidc-user-attribute-idp-mapper",
        "Attribute Importer",
        "Attribute Importer",
        &["oidc", "keycloak-oidc"],
    ),
    (
        "oidc-advanced-group-idp-mapper",
        "Advanced Claim to Group",
        "Group Importer",
        &["oidc", "keycloak-oidc"],
    ),
    (
        "oidc-advanced-role-idp-mapper",
        "Advanced Claim to Role",
        "Role Importer",
        &["oidc", "keycloak-oidc"],
    ),
    (
        "oidc-role-idp-mapper",
        "Claim to Role",
        "Role Importer",
        &["oidc", "keycloak-oidc"],
    ),
    (
        "oidc-username-idp-mapper",
        "Username Template Importer",
        "Preprocessor",
        &["oidc", "keycloak-oidc"],
    ),
    (
        "oidc-user-session-note-idp-mapper",
        "User Session Note Mapper",
        "User Session",
        &["oidc", "keycloak-oidc"],
    ),
    (
        "keycloak-oidc-role-to-role-idp-mapper",
        "External Role to Role",
        "Role Importer",
        &["keycloak-oidc"],
    ),
];

async fn mapper_types(admin: Admin, Path((_, alias)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.view_idps())?;
    admin.read(|realm| {
        let provider = find(realm, &alias)?.1.rep.str("providerId").unwrap_or_default().to_string();
        let mut out = Map::new();
        for (id, name, category, providers) in MAPPER_TYPES {
            if providers.contains(&"*") || providers.contains(&provider.as_str()) {
                out.insert((*id).into(), json!({ "id": id, "name": name, "category": category, "helpText": "", "properties": [] }));
            }
        }
        Ok(json_response(Value::Object(out)))
    })
}

async fn provider(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.require(admin.view_idps())?;
    if !PROVIDERS.contains(&id.as_str()) {
        return Err(ApiError::bad_request("Could not find provider"));
    }
    Ok(json_response(json!({ "id": id, "name": id })))
}

/// `import-config`: JSON `{providerId, fromUrl}` (only URLs of this simulator
/// are fetched, served internally) or multipart with `providerId` and `file`.
async fn import_config(admin: Admin, headers: HeaderMap, body: Bytes) -> ApiResult {
    admin.require(admin.manage_idps())?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (provider, document, from_url) = if content_type.starts_with("multipart/form-data") {
        let parts = multipart(&content_type, &body)
            .ok_or_else(|| ApiError::bad_request("HTTP 400 Bad Request"))?;
        let get = |n: &str| parts.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let (Some(provider), Some(file)) = (get("providerId"), get("file")) else {
            return Err(ApiError::bad_request("HTTP 400 Bad Request"));
        };
        (provider, file, None)
    } else {
        let rep = parse_object(&body, &IMPORT_CONFIG)?;
        let (Some(provider), Some(url)) = (rep.str("providerId"), rep.str("fromUrl")) else {
            return Err(ApiError::bad_request("HTTP 400 Bad Request"));
        };
        (
            provider.to_string(),
            fetch_own(&admin, url)?,
            Some(url.to_string()),
        )
    };
    let mut config = match provider.as_str() {
        "saml" => saml_config(&document)?,
        "oidc" | "keycloak-oidc" => {
            let mut config = oidc_config(&document)?;
            // 26.4 fills the OIDC config's sync mode; 26.7 does not (both seen).
            if !admin.app.config.at_least(26, 7) {
                config.entry("syncMode").or_insert(json!("LEGACY"));
            }
            config
        }
        _ => return Err(ApiError::bad_request("Could not find provider")),
    };
    if let Some(url) = from_url {
        config.insert("metadataDescriptorUrl".into(), json!(url));
    }
    Ok(json_response(Value::Object(config)))
}

/// The origin (`http://host:port`) and path of `url` when it addresses this server:
/// its own base, or the same scheme and port on another loopback name.
fn own_origin(own_base: &str, url: &str) -> Option<(String, String)> {
    let own = url::Url::parse(own_base).ok()?;
    let target = url::Url::parse(url).ok()?;
    let loopback = |u: &url::Url| match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let same = own.origin() == target.origin()
        || (own.scheme() == target.scheme()
            && own.port_or_known_default() == target.port_or_known_default()
            && loopback(&own)
            && loopback(&target));
    same.then(|| {
        let origin = target.origin().ascii_serialization();
        (origin, target.path().to_string())
    })
}

/// Serves a URL pointing at this simulator from its own state, under whichever loopback
/// name it is addressed (`localhost` when called on `127.0.0.1`, and the other way round).
/// Any other URL fails as a fetch Keycloak cannot complete does: a 500 (seen on 26.7.3
/// for an unknown host, an unknown realm and an unknown path); the simulator makes no
/// outgoing requests.
fn fetch_own(admin: &Admin, url: &str) -> ApiResult<String> {
    let refuse = || {
        ApiError::Server(format!(
            "Could not import config from {url}: not this server"
        ))
    };
    let (base, path) = own_origin(&admin.base, url).ok_or_else(refuse)?;
    let mut parts = path.trim_start_matches('/').split('/');
    let (Some("realms"), Some(realm_name)) = (parts.next(), parts.next()) else {
        return Err(refuse());
    };
    let tail: Vec<&str> = parts.collect();
    let store = admin.app.read();
    let realm = store.realms.get(realm_name).ok_or_else(refuse)?;
    match tail.as_slice() {
        ["protocol", "saml", "descriptor"] => Ok(crate::descriptor::idp_descriptor(
            &base,
            realm_name,
            &crate::key_providers::descriptor_keys(&admin.app, realm),
        )),
        [".well-known", "openid-configuration"] => {
            let iss = crate::auth::issuer(&base, realm_name);
            let oidc = format!("{iss}/protocol/openid-connect");
            Ok(json!({
                "issuer": iss, "authorization_endpoint": format!("{oidc}/auth"), "token_endpoint": format!("{oidc}/token"),
                "userinfo_endpoint": format!("{oidc}/userinfo"), "end_session_endpoint": format!("{oidc}/logout"),
                "jwks_uri": format!("{oidc}/certs"),
            })
            .to_string())
        }
        _ => Err(refuse()),
    }
}

/// Splits a multipart/form-data body into (name, text) parts.
fn multipart(content_type: &str, body: &[u8]) -> Option<Vec<(String, String)>> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let text = String::from_utf8_lossy(body);
    let delimiter = format!("--{boundary}");
    let mut out = Vec::new();
    for part in text.split(&delimiter).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let (head, content) = part
            .split_once("\r\n\r\n")
            .or_else(|| part.split_once("\n\n"))?;
        let name = head
            .split(';')
            .find_map(|p| p.trim().strip_prefix("name="))?
            .trim_matches('"')
            .split('"')
            .next()?
            .to_string();
        out.push((
            name,
            content
                .trim_end_matches("\r\n")
                .trim_end_matches('\n')
                .to_string(),
        ));
    }
    Some(out)
}

/// SAML IdP metadata → identity-provider config (`SAMLIdentityProviderFactory.parseConfig`).
fn saml_config(doc: &str) -> ApiResult<Obj> {
    let bad = || ApiError::bad_request("Could not parse the SAML metadata");
    let root = xml::parse(doc).map_err(|_| bad())?;
    let entity = if root.name == "EntitiesDescriptor" {
        root.find_all("EntityDescriptor")
            .into_iter()
            .next()
            .ok_or_else(bad)?
    } else {
        &root
    };
    let idp = entity.child("IDPSSODescriptor").ok_or_else(bad)?;
    let mut c = Obj::new();
    let ss = |v: &str| json!(v);
    c.insert(
        "idpEntityId".into(),
        ss(entity.attr("entityID").unwrap_or_default()),
    );
    let binding = |e: &&xml::Element, b: &str| e.attr("Binding").is_some_and(|x| x.ends_with(b));
    let sso: Vec<_> = idp.children_named("SingleSignOnService").collect();
    let sso_post = sso.iter().find(|e| binding(e, "HTTP-POST"));
    let sso_url = sso_post
        .or_else(|| sso.iter().find(|e| binding(e, "HTTP-Redirect")))
        .and_then(|e| e.attr("Location"));
    let post = sso_post.is_some().to_string();
    c.insert("postBindingResponse".into(), json!(post));
    c.insert("postBindingAuthnRequest".into(), json!(post));
    if let Some(u) = sso_url {
        c.insert("singleSignOnServiceUrl".into(), json!(u));
    }
    let slo: Vec<_> = idp.children_named("SingleLogoutService").collect();
    let slo_post = slo.iter().find(|e| binding(e, "HTTP-POST"));
    if let Some(u) = slo_post
        .or_else(|| slo.iter().find(|e| binding(e, "HTTP-Redirect")))
        .and_then(|e| e.attr("Location"))
    {
        c.insert("singleLogoutServiceUrl".into(), json!(u));
    }
    c.insert(
        "postBindingLogout".into(),
        json!(slo_post.is_some().to_string()),
    );
    if let Some(u) = idp
        .children_named("ArtifactResolutionService")
        .find(|e| binding(e, "SOAP"))
        .and_then(|e| e.attr("Location"))
    {
        c.insert("artifactResolutionServiceUrl".into(), json!(u));
    }
    c.insert("artifactBindingResponse".into(), json!("false"));
    let signed = idp
        .attr("WantAuthnRequestsSigned")
        .unwrap_or("false")
        .to_string();
    c.insert("wantAuthnRequestsSigned".into(), json!(signed));
    c.insert("validateSignature".into(), json!(signed));
    c.insert("addExtensionsElementWithKeyInfo".into(), json!("false"));
    c.insert("loginHint".into(), json!("false"));
    if let Some(f) = idp.child("NameIDFormat") {
        c.insert("nameIDPolicyFormat".into(), json!(f.text.trim()));
    }
    let mut signing = Vec::new();
    let mut encryption = None;
    for kd in idp.children_named("KeyDescriptor") {
        let cert = kd
            .find_all("X509Certificate")
            .first()
            .map(|e| xml::compact(&e.text));
        let Some(cert) = cert else { continue };
        match kd.attr("use") {
            Some("signing") => signing.push(cert),
            Some("encryption") => encryption = Some(cert),
            _ => {
                signing.push(cert.clone());
                encryption.get_or_insert(cert);
            }
        }
    }
    if !signing.is_empty() {
        c.insert("signingCertificate".into(), json!(signing.join(",")));
    }
    if let Some(e) = encryption {
        c.insert("encryptionPublicKey".into(), json!(e));
    }
    let valid = [entity.attr("validUntil"), idp.attr("validUntil")]
        .into_iter()
        .flatten()
        .all(|v| {
            time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
                .map_or(true, |t| t > time::OffsetDateTime::now_utc())
        });
    c.insert("enabledFromMetadata".into(), json!(valid.to_string()));
    Ok(c)
}

/// OIDC discovery document → identity-provider config.
fn oidc_config(doc: &str) -> ApiResult<Obj> {
    let v: Value = serde_json::from_str(doc)
        .map_err(|_| ApiError::bad_request("Could not parse the OIDC discovery document"))?;
    let mut c = Obj::new();
    for (from, to) in [
        ("issuer", "issuer"),
        ("end_session_endpoint", "logoutUrl"),
        ("authorization_endpoint", "authorizationUrl"),
        ("token_endpoint", "tokenUrl"),
        ("userinfo_endpoint", "userInfoUrl"),
    ] {
        if let Some(x) = v.get(from).and_then(Value::as_str) {
            c.insert(to.into(), json!(x));
        }
    }
    if let Some(jwks) = v.get("jwks_uri").and_then(Value::as_str) {
        c.insert("validateSignature".into(), json!("true"));
        c.insert("useJwksUrl".into(), json!("true"));
        c.insert("jwksUrl".into(), json!(jwks));
    }
    Ok(c)
}
