//! Clients (§2): creation with protocol defaults, the PUT merge rules of §2.2,
//! listing/searching, secrets, service accounts and client-scope links.

use crate::auth::Admin;
use crate::errors::{ApiError, ApiResult};
use crate::http::{Query, created, flag, json_list, json_response, no_content, paging};
use crate::json::{Obj, ObjExt, parse_object, render};
use crate::repr::CLIENT;
use crate::state::{Client, Realm, new_id, now_secs};
use crate::users;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, put};
use serde_json::{Value, json};
use std::sync::Arc;

pub fn routes() -> Router<Arc<crate::app::App>> {
    const C: &str = "/admin/realms/{realm}/clients/{id}";
    Router::new()
        .route(
            "/admin/realms/{realm}/clients",
            get(list).post(create_handler),
        )
        .route(C, get(get_one).put(update_handler).delete(delete))
        .route(
            &format!("{C}/client-secret"),
            get(get_secret).post(regenerate_secret),
        )
        .route(
            &format!("{C}/client-secret/rotated"),
            get(get_rotated).delete(delete_rotated),
        )
        .route(
            &format!("{C}/service-account-user"),
            get(service_account_user),
        )
        .route(
            &format!("{C}/default-client-scopes"),
            get(list_default_scopes),
        )
        .route(
            &format!("{C}/default-client-scopes/{{scope}}"),
            put(add_default_scope).delete(remove_default_scope),
        )
        .route(
            &format!("{C}/optional-client-scopes"),
            get(list_optional_scopes),
        )
        .route(
            &format!("{C}/optional-client-scopes/{{scope}}"),
            put(add_optional_scope).delete(remove_optional_scope),
        )
        .route(
            &format!("{C}/installation/providers/{{provider}}"),
            get(crate::installation::installation),
        )
}

/// Scalar properties merged by PUT (first non-null of request, stored value).
const MERGED: &[&str] = &[
    "name",
    "description",
    "enabled",
    "alwaysDisplayInConsole",
    "adminUrl",
    "surrogateAuthRequired",
    "rootUrl",
    "baseUrl",
    "bearerOnly",
    "consentRequired",
    "standardFlowEnabled",
    "implicitFlowEnabled",
    "directAccessGrantsEnabled",
    "publicClient",
    "frontchannelLogout",
    "notBefore",
    "protocol",
    "nodeReRegistrationTimeout",
    "clientAuthenticatorType",
    "fullScopeAllowed",
    "type",
];

/// Model defaults of a new client (`RepresentationToModel.createClient`).
fn model_defaults() -> Value {
    json!({
        "surrogateAuthRequired": false,
        "enabled": true,
        "alwaysDisplayInConsole": false,
        "clientAuthenticatorType": "client-secret",
        "redirectUris": [],
        "webOrigins": [],
        "notBefore": 0,
        "bearerOnly": false,
        "consentRequired": false,
        "standardFlowEnabled": true,
        "implicitFlowEnabled": false,
        "directAccessGrantsEnabled": false,
        "serviceAccountsEnabled": false,
        "publicClient": false,
        "frontchannelLogout": false,
        "protocol": "openid-connect",
        "attributes": {},
        "authenticationFlowBindingOverrides": {},
        "fullScopeAllowed": true,
        "nodeReRegistrationTimeout": -1,
    })
}

/// SAML attribute defaults applied where absent (`SamlProtocolFactory.setupClientDefaults`).
const SAML_ATTRIBUTE_DEFAULTS: &[(&str, &str)] = &[
    (
        "saml_signature_canonicalization_method",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
    ),
    ("saml.signature.algorithm", "RSA_SHA256"),
    ("saml_name_id_format", "username"),
    ("saml.authnstatement", "true"),
    ("saml_force_name_id_format", "false"),
    ("saml.allow.ecp.flow", "false"),
    ("saml.server.signature", "true"),
    ("saml.force.post.binding", "true"),
    ("saml.client.signature", "true"),
];

fn generate_secret() -> String {
    // KeycloakModelUtils.generateSecret: 32 random alphanumeric characters.
    (0..32).map(|_| fastrand::alphanumeric()).collect()
}

fn attrs_mut(rep: &mut Obj) -> &mut Obj {
    let slot = rep.entry("attributes").or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    slot.as_object_mut().expect("object")
}

fn set_secret(rep: &mut Obj) {
    rep.insert("secret".into(), json!(generate_secret()));
    attrs_mut(rep).insert(
        "client.secret.creation.time".into(),
        json!(now_secs().to_string()),
    );
}

/// `saml.artifact.binding.identifier`: base64 of SHA-1 of the client id.
fn artifact_identifier(client_id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(crate::keys::sha1(client_id.as_bytes()))
}

/// Creates a client from a (bound) ClientRepresentation and returns its uuid.
pub fn create(realm: &mut Realm, mut body: Obj) -> ApiResult<String> {
    let client_id = body.str("clientId").unwrap_or_default().to_string();
    if client_id.is_empty() {
        return Err(ApiError::Message(
            StatusCode::BAD_REQUEST,
            "Client id is missing".into(),
        ));
    }
    if realm.client_by_client_id(&client_id).is_some() {
        return Err(ApiError::conflict(format!(
            "Client {client_id} already exists"
        )));
    }
    let id = body.str("id").map(str::to_string).unwrap_or_else(new_id);
    if realm.clients.contains_key(&id) {
        return Err(ApiError::ModelDuplicate(DUPLICATE));
    }
    if body.bool("authorizationServicesEnabled") == Some(true)
        && body.bool("serviceAccountsEnabled") != Some(true)
    {
        // The authorization setup looks the service account up and fails
        // (seen on 26.4.7 and 26.7.3); nothing is created.
        return Err(ApiError::Server(
            "Client does not have a service account".into(),
        ));
    }
    let mappers = body.remove("protocolMappers");
    let default_names = body.remove("defaultClientScopes").map(|v| strings(&v));
    let optional_names = body.remove("optionalClientScopes").map(|v| strings(&v));
    validate_overrides(realm, body.obj("authenticationFlowBindingOverrides"))?;
    let given: std::collections::HashSet<String> = body
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.clone())
        .collect();
    let mut rep = Obj::new();
    for (k, v) in body {
        if !v.is_null()
            && !matches!(
                k.as_str(),
                "id" | "access" | "origin" | "authorizationSettings"
            )
        {
            rep.insert(k, v);
        }
    }
    strip_null_attributes(&mut rep);
    if let Value::Object(defaults) = model_defaults() {
        for (k, v) in defaults {
            rep.entry(k).or_insert(v);
        }
    }
    if given.contains("protocol") {
        match rep.str("protocol") {
            Some("saml") => saml_defaults(&mut rep, &client_id, &|k| given.contains(k)),
            _ => oidc_defaults(&mut rep, &|k| given.contains(k)),
        }
    }
    rep.remove("directGrantsOnly");
    let mut client = Client {
        id: id.clone(),
        rep,
        mappers: Vec::new(),
        default_scopes: Vec::new(),
        optional_scopes: Vec::new(),
        rotated_secret: None,
    };
    if client.confidential() && client.rep.str("secret").is_none() {
        set_secret(&mut client.rep);
    }
    if !client.confidential() || !client.flag("authorizationServicesEnabled") {
        client.rep.remove("authorizationServicesEnabled");
    }
    if let Some(Value::Array(list)) = mappers {
        for m in list.into_iter().filter_map(|m| m.as_object().cloned()) {
            crate::mappers::add(
                &mut client.mappers,
                m,
                client.rep.str("protocol").unwrap_or("openid-connect"),
            )?;
        }
    }
    attach_scopes(realm, &mut client, default_names, optional_names);
    let sa = client.flag("serviceAccountsEnabled");
    realm.clients.insert(id.clone(), client);
    if sa {
        users::ensure_service_account(realm, &id);
    }
    Ok(id)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn strip_null_attributes(rep: &mut Obj) {
    if let Some(Value::Object(a)) = rep.get_mut("attributes") {
        a.retain(|_, v| !v.is_null());
    }
}

/// `OIDCLoginProtocolFactory.setupClientDefaults`; `given` tells which
/// properties the request carried.
fn oidc_defaults(rep: &mut Obj, given: &dyn Fn(&str) -> bool) {
    let root = rep.str("rootUrl").map(str::to_string);
    if let Some(root) = &root {
        if rep.strs("redirectUris").is_empty() {
            let redirect = if root.ends_with('/') {
                format!("{root}*")
            } else {
                format!("{root}/*")
            };
            let origin = url::Url::parse(&redirect)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default();
            rep.insert("redirectUris".into(), json!([redirect]));
            rep.insert("webOrigins".into(), json!([origin]));
        }
        if !given("adminUrl") && root != "${authAdminUrl}" && root != "${authBaseUrl}" {
            rep.insert("adminUrl".into(), json!(root));
        }
    }
    if !given("publicClient") && !given("bearerOnly") {
        rep.remove("secret");
    }
    if given("directGrantsOnly") {
        let only = rep.bool("directGrantsOnly").unwrap_or(false);
        rep.insert("standardFlowEnabled".into(), json!(!only));
        rep.insert("directAccessGrantsEnabled".into(), json!(only));
    } else if !given("directAccessGrantsEnabled") {
        rep.insert("directAccessGrantsEnabled".into(), json!(true));
    }
    // Keycloak sets publicClient=true whenever the request omits it, even
    // for an explicit bearerOnly=false.
    if !given("publicClient") {
        rep.insert("publicClient".into(), json!(true));
    }
    let attrs = attrs_mut(rep);
    if attrs.str("backchannel.logout.url").is_none() {
        attrs.insert("backchannel.logout.session.required".into(), json!("true"));
        attrs.insert(
            "backchannel.logout.revoke.offline.tokens".into(),
            json!("false"),
        );
    }
}

fn saml_defaults(rep: &mut Obj, client_id: &str, given: &dyn Fn(&str) -> bool) {
    if !given("frontchannelLogout") {
        rep.insert("frontchannelLogout".into(), json!(true));
    }
    let attrs = attrs_mut(rep);
    for (k, v) in SAML_ATTRIBUTE_DEFAULTS {
        attrs.entry(*k).or_insert(json!(v));
    }
    if attrs.str("saml.client.signature") == Some("true")
        && attrs.str("saml.signing.certificate").is_none()
    {
        let (cert, key) = crate::keys::client_key_pair(client_id);
        attrs.insert("saml.signing.certificate".into(), json!(cert));
        attrs.insert("saml.signing.private.key".into(), json!(key));
    }
    attrs
        .entry("saml.artifact.binding.identifier")
        .or_insert(json!(artifact_identifier(client_id)));
}

/// Attaches the realm's default scopes of the client's protocol, or only the
/// named ones when the representation lists scopes.
fn attach_scopes(
    realm: &Realm,
    client: &mut Client,
    default: Option<Vec<String>>,
    optional: Option<Vec<String>>,
) {
    let protocol = client.protocol().to_string();
    let by_name = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .filter_map(|n| {
                realm
                    .scopes
                    .values()
                    .find(|s| s.rep.str("name") == Some(n.as_str()))
            })
            .map(|s| s.id.clone())
            .collect()
    };
    let of_protocol = |ids: &[String]| -> Vec<String> {
        ids.iter()
            .filter(|id| {
                realm
                    .scopes
                    .get(*id)
                    .is_some_and(|s| s.rep.str("protocol").unwrap_or("openid-connect") == protocol)
            })
            .cloned()
            .collect()
    };
    if default.is_some() || optional.is_some() {
        client.default_scopes = by_name(&default.unwrap_or_default());
        client.optional_scopes = by_name(&optional.unwrap_or_default());
    } else {
        client.default_scopes = of_protocol(&realm.default_default_scopes);
        client.optional_scopes = of_protocol(&realm.default_optional_scopes);
    }
}

/// Each non-blank override must be an existing flow id, else Keycloak throws
/// an uncaught RuntimeException (500).
fn validate_overrides(realm: &Realm, overrides: Option<&Obj>) -> ApiResult<()> {
    for (k, v) in overrides.into_iter().flatten() {
        if let Some(id) = v.as_str().filter(|s| !s.trim().is_empty())
            && !realm.flows.contains_key(id)
        {
            return Err(ApiError::Server(format!(
                "Unable to resolve auth flow binding override for: {k}"
            )));
        }
    }
    Ok(())
}

/// ClientRepresentation as `GET /clients/{id}` answers it.
pub fn represent(realm: &Realm, c: &Client, access: Option<Value>, version: u8) -> Value {
    let mut m = Obj::new();
    m.insert("id".into(), json!(c.id));
    for (k, v) in &c.rep {
        m.insert(k.clone(), v.clone());
    }
    if !c.confidential() {
        m.remove("secret");
    }
    if !c.mappers.is_empty() {
        m.insert(
            "protocolMappers".into(),
            Value::Array(c.mappers.iter().cloned().map(Value::Object).collect()),
        );
    }
    let names = |ids: &[String]| -> Value {
        ids.iter()
            .filter_map(|id| realm.scopes.get(id))
            .filter_map(|s| s.rep.str("name"))
            .collect()
    };
    m.insert("defaultClientScopes".into(), names(&c.default_scopes));
    m.insert("optionalClientScopes".into(), names(&c.optional_scopes));
    if version >= 26 {
        let realm_client = is_realm_client(realm, c);
        attrs_mut(&mut m).insert("realm_client".into(), json!(realm_client.to_string()));
    }
    if let Some(a) = access {
        m.insert("access".into(), a);
    }
    render(&m, &CLIENT)
}

/// Realm-administration clients carry `realm_client=true` in 26.1+
/// (`broker`, `realm-management`, and `<realm>-realm` clients of master).
fn is_realm_client(realm: &Realm, c: &Client) -> bool {
    let id = c.client_id();
    id == "broker" || id == "realm-management" || (realm.name == "master" && id.ends_with("-realm"))
}

/// An update that does not give `webOrigins` fills empty ones with the origins of the http(s)
/// redirect URIs (keycloak-admin-api.md §2.2; seen on Keycloak 26.4.7 and 26.7.3).
fn fill_web_origins(rep: &mut Obj) {
    if !rep.strs("webOrigins").is_empty() {
        return;
    }
    let origins: std::collections::BTreeSet<String> = (rep.strs("redirectUris").iter())
        .filter(|uri| uri.starts_with("http"))
        .filter_map(|uri| url::Url::parse(uri).ok())
        .map(|uri| uri.origin().ascii_serialization())
        .collect();
    rep.insert("webOrigins".into(), json!(origins));
}

/// Client attributes Keycloak 26 lets `q` search by default (the rest needs the
/// client provider's `searchableAttributes` setting).
const SEARCHABLE: &[&str] = &["saml_idp_initiated_sso_url_name"];

/// Keycloak 26.7 refuses a search by other attributes, naming them in its set's
/// order; 26.4 leaves them out of the search (both seen on the real releases).
fn searchable(
    mut wanted: Vec<(String, String)>,
    config: &crate::app::Config,
) -> ApiResult<Vec<(String, String)>> {
    if config.version < 26 {
        return Ok(wanted);
    }
    if !config.at_least(26, 7) {
        wanted.retain(|(k, _)| SEARCHABLE.contains(&k.as_str()));
        return Ok(wanted);
    }
    let mut refused: Vec<&str> = Vec::new();
    for (k, _) in &wanted {
        if !SEARCHABLE.contains(&k.as_str()) && !refused.contains(&k.as_str()) {
            refused.push(k);
        }
    }
    if refused.is_empty() {
        return Ok(wanted);
    }
    let refused = crate::java_order::hash_set_order(&refused);
    Err(ApiError::OAuth(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        format!("Attributes [{}] not allowed for search", refused.join(", ")),
    ))
}

/// The message of a `ModelDuplicateException` raised by a database constraint.
pub const DUPLICATE: &str = "Duplicate resource error";

/// The PUT merge of §2.2.
pub fn update(realm: &mut Realm, id: &str, body: Obj) -> ApiResult<()> {
    if let Some(new_id) = body.str("clientId")
        && realm
            .clients
            .values()
            .any(|c| c.id != id && c.client_id() == new_id)
    {
        // The database's unique constraint refuses it (seen on Keycloak 26.7).
        return Err(ApiError::ModelDuplicate(DUPLICATE));
    }
    validate_overrides(realm, body.obj("authenticationFlowBindingOverrides"))?;
    let client = realm
        .clients
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("Could not find client"))?;
    let was_sa = client.flag("serviceAccountsEnabled");
    let rep = &mut client.rep;
    for k in MERGED.iter().chain(["clientId"].iter()) {
        if let Some(v) = body.get(*k).filter(|v| !v.is_null()) {
            rep.insert((*k).to_string(), v.clone());
        }
    }
    for k in ["redirectUris", "webOrigins"] {
        if let Some(v) = body.get(k).filter(|v| !v.is_null()) {
            rep.insert(k.into(), v.clone());
        }
    }
    if body.get("webOrigins").is_none_or(Value::is_null) {
        fill_web_origins(rep);
    }
    for k in ["attributes", "authenticationFlowBindingOverrides"] {
        if let Some(given) = body.obj(k) {
            merge_map(rep, k, given);
        }
    }
    if let Some(Value::Object(attrs)) = rep.get_mut("attributes") {
        // Synthetic (26.1+), never stored.
        attrs.remove("realm_client");
    }
    if let Some(reg) = body.obj("registeredNodes") {
        let nodes = rep.entry("registeredNodes").or_insert_with(|| json!({}));
        if let Some(n) = nodes.as_object_mut() {
            n.extend(reg.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    let confidential = client.confidential();
    if let Some(secret) = body.str("secret").filter(|_| confidential) {
        client.rep.insert("secret".into(), json!(secret));
    }
    if confidential && client.rep.str("secret").is_none() {
        set_secret(&mut client.rep);
    }
    let authz = body.bool("authorizationServicesEnabled") == Some(true) && confidential;
    if authz {
        client
            .rep
            .insert("authorizationServicesEnabled".into(), json!(true));
    } else {
        client.rep.remove("authorizationServicesEnabled");
    }
    if client.protocol() == "saml"
        && body
            .obj("attributes")
            .and_then(|a| a.str("saml.artifact.binding.identifier"))
            .is_none()
    {
        let ident = artifact_identifier(client.client_id());
        attrs_mut(&mut client.rep).insert("saml.artifact.binding.identifier".into(), json!(ident));
    }
    if let Some(Value::Array(list)) = body.get("protocolMappers") {
        let protocol = client.protocol().to_string();
        crate::mappers::sync(&mut client.mappers, list, &protocol)?;
    }
    let sa = match body.bool("serviceAccountsEnabled") {
        Some(v) => v,
        None => was_sa,
    };
    client
        .rep
        .insert("serviceAccountsEnabled".into(), json!(sa));
    if sa {
        users::ensure_service_account(realm, id);
    } else {
        users::remove_service_account(realm, id);
    }
    Ok(())
}

/// Per-key merge: blank or null values remove the key, others set it.
fn merge_map(rep: &mut Obj, key: &str, given: &Obj) {
    let slot = rep.entry(key).or_insert_with(|| json!({}));
    let Some(map) = slot.as_object_mut() else {
        return;
    };
    for (k, v) in given {
        match v.as_str() {
            Some(s) if !s.trim().is_empty() => {
                map.insert(k.clone(), v.clone());
            }
            _ => {
                map.remove(k);
            }
        }
    }
}

/// Deletes a client with its roles, mappings to them and its service account.
pub fn remove(realm: &mut Realm, id: &str) {
    realm.clients.shift_remove(id);
    let roles: Vec<String> = realm
        .roles
        .values()
        .filter(|r| r.client.as_deref() == Some(id))
        .map(|r| r.id.clone())
        .collect();
    for r in roles {
        crate::roles::remove_role(realm, &r);
    }
    users::remove_service_account(realm, id);
}

/// Finds a client for an admin; unknown ids are 404 only for callers who may
/// list clients, 403 otherwise ("so ids cannot be phished").
pub fn find<'a>(admin: &Admin, realm: &'a Realm, id: &str) -> ApiResult<&'a Client> {
    match realm.clients.get(id) {
        Some(c) => Ok(c),
        None if admin.list_clients() => Err(ApiError::not_found("Could not find client")),
        None => Err(ApiError::Forbidden),
    }
}

async fn list(admin: Admin, q: Query) -> ApiResult {
    admin.require(admin.list_clients())?;
    let version = admin.app.config.version;
    admin.read(|realm| {
        let mut clients: Vec<&Client> = realm.clients.values().collect();
        clients.sort_by(|a, b| a.client_id().cmp(b.client_id()));
        let page = paging(&q, None, None);
        let client_id = q
            .get("clientId")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty());
        let selected: Vec<&Client> = if let Some(query) = q.get("q") {
            let wanted = searchable(parse_attribute_query(query), &admin.app.config)?;
            page.apply(clients.into_iter().filter(|c| {
                let attrs = c.rep.obj("attributes");
                wanted
                    .iter()
                    .all(|(k, v)| attrs.and_then(|a| a.str(k)) == Some(v.as_str()))
            }))
        } else if let Some(cid) = client_id {
            if flag(&q, "search", false) {
                let needle = cid.to_lowercase();
                page.apply(
                    clients
                        .into_iter()
                        .filter(|c| c.client_id().to_lowercase().contains(&needle)),
                )
            } else {
                clients
                    .into_iter()
                    .filter(|c| c.client_id() == cid)
                    .collect()
            }
        } else {
            page.apply(clients)
        };
        let access = admin.client_access();
        Ok(json_list(
            selected
                .into_iter()
                .map(|c| represent(realm, c, Some(access.clone()), version))
                .collect(),
        ))
    })
}

/// `q=key:value key2:value2`.
fn parse_attribute_query(q: &str) -> Vec<(String, String)> {
    q.split(' ')
        .filter_map(|part| part.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn create_handler(admin: Admin, body: Bytes) -> ApiResult {
    admin.require(admin.manage_clients())?;
    let rep = parse_object(&body, &CLIENT)?;
    let id = admin.write(|realm| create(realm, rep))?;
    Ok(created(admin.location(&format!("clients/{id}"))))
}

async fn get_one(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.read(|realm| {
        let c = find(&admin, realm, &id)?;
        admin.require(admin.view_clients())?;
        Ok(json_response(represent(
            realm,
            c,
            Some(admin.client_access()),
            admin.app.config.version,
        )))
    })
}

async fn update_handler(
    admin: Admin,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let rep = parse_object(&body, &CLIENT)?;
    admin.write(|realm| {
        find(&admin, realm, &id)?;
        admin.require(admin.manage_clients())?;
        update(realm, &id, rep)
    })?;
    Ok(no_content())
}

async fn delete(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.write(|realm| {
        find(&admin, realm, &id)?;
        admin.require(admin.manage_clients())?;
        remove(realm, &id);
        Ok(no_content())
    })
}

fn secret_rep(value: Option<&str>) -> Value {
    match value {
        Some(v) => json!({ "type": "secret", "value": v }),
        None => json!({ "type": "secret" }),
    }
}

async fn get_secret(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.read(|realm| {
        let c = find(&admin, realm, &id)?;
        admin.require(admin.view_clients())?;
        Ok(json_response(secret_rep(c.rep.str("secret"))))
    })
}

async fn regenerate_secret(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.write(|realm| {
        find(&admin, realm, &id)?;
        admin.require(admin.manage_clients())?;
        let c = realm.clients.get_mut(&id).expect("found");
        // Without a secret-rotation client policy the previous secret is not kept.
        c.rotated_secret = None;
        set_secret(&mut c.rep);
        Ok(json_response(secret_rep(c.rep.str("secret"))))
    })
}

async fn get_rotated(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.read(|realm| {
        let c = find(&admin, realm, &id)?;
        admin.require(admin.view_clients())?;
        match &c.rotated_secret {
            Some(s) => Ok(json_response(secret_rep(Some(s)))),
            None => Err(ApiError::not_found("Client does not have a rotated secret")),
        }
    })
}

async fn delete_rotated(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.write(|realm| {
        find(&admin, realm, &id)?;
        admin.require(admin.manage_clients())?;
        realm.clients.get_mut(&id).expect("found").rotated_secret = None;
        Ok(no_content())
    })
}

async fn service_account_user(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    admin.read(|realm| {
        let c = find(&admin, realm, &id)?;
        admin.require(admin.view_clients())?;
        let user = realm
            .service_account_of(&id)
            .filter(|_| c.flag("serviceAccountsEnabled"))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Service account not enabled for the client '{}'",
                    c.client_id()
                ))
            })?;
        Ok(json_response(users::represent(user, false, None)))
    })
}

fn scope_list(realm: &Realm, ids: &[String]) -> Vec<Value> {
    ids.iter()
        .filter_map(|id| realm.scopes.get(id))
        .map(|s| json!({ "id": s.id, "name": s.rep.str("name") }))
        .collect()
}

async fn list_default_scopes(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    list_scopes(admin, id, false).await
}

async fn list_optional_scopes(admin: Admin, Path((_, id)): Path<(String, String)>) -> ApiResult {
    list_scopes(admin, id, true).await
}

async fn list_scopes(admin: Admin, id: String, optional: bool) -> ApiResult {
    admin.read(|realm| {
        let c = find(&admin, realm, &id)?;
        admin.require(admin.view_clients())?;
        let ids = if optional {
            &c.optional_scopes
        } else {
            &c.default_scopes
        };
        Ok(json_list(scope_list(realm, ids)))
    })
}

async fn add_default_scope(
    admin: Admin,
    Path((_, id, scope)): Path<(String, String, String)>,
) -> ApiResult {
    link_scope(admin, id, scope, Some(false))
}
async fn add_optional_scope(
    admin: Admin,
    Path((_, id, scope)): Path<(String, String, String)>,
) -> ApiResult {
    link_scope(admin, id, scope, Some(true))
}
async fn remove_default_scope(
    admin: Admin,
    Path((_, id, scope)): Path<(String, String, String)>,
) -> ApiResult {
    link_scope(admin, id, scope, None)
}
async fn remove_optional_scope(
    admin: Admin,
    Path((_, id, scope)): Path<(String, String, String)>,
) -> ApiResult {
    link_scope(admin, id, scope, None)
}

/// Adds a scope as default (`Some(false)`) or optional (`Some(true)`), or removes it (`None`).
fn link_scope(admin: Admin, id: String, scope: String, optional: Option<bool>) -> ApiResult {
    admin.write(|realm| {
        find(&admin, realm, &id)?;
        admin.require(admin.manage_clients())?;
        if !realm.scopes.contains_key(&scope) {
            return Err(ApiError::not_found("Client scope not found"));
        }
        let c = realm.clients.get_mut(&id).expect("found");
        match optional {
            Some(opt) => {
                let list = if opt {
                    &mut c.optional_scopes
                } else {
                    &mut c.default_scopes
                };
                if !list.contains(&scope) {
                    list.push(scope);
                }
            }
            None => {
                c.default_scopes.retain(|s| *s != scope);
                c.optional_scopes.retain(|s| *s != scope);
            }
        }
        Ok(no_content())
    })
}
