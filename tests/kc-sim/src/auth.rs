//! The token endpoint (§1.1) and the authentication of admin requests (§1.2).

use crate::app::App;
use crate::errors::{ApiError, ApiResult};
use crate::json::ObjExt;
use crate::keys::RealmKeys;
use crate::scope;
use crate::state::{Realm, Session, Store, new_id, now_secs};
use crate::tokens;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// `http://host:port` as the client addressed the server.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    format!("{proto}://{host}")
}

pub fn issuer(base: &str, realm: &str) -> String {
    format!("{base}/realms/{realm}")
}

/// The realm's keys, generated on first use.
pub fn realm_keys<'a>(app: &App, realm: &'a Realm) -> &'a RealmKeys {
    realm.keys.get_or_init(|| {
        let not_after = app
            .config
            .key_not_after
            .unwrap_or_else(crate::keys::default_not_after);
        RealmKeys::generate(&realm.name, realm.key_index, not_after)
    })
}

fn oauth(status: StatusCode, error: &'static str, desc: &str) -> ApiError {
    ApiError::OAuth(status, error, desc.to_string())
}

fn invalid_client() -> ApiError {
    oauth(
        StatusCode::UNAUTHORIZED,
        "unauthorized_client",
        "Invalid client or Invalid client credentials",
    )
}

/// `POST /realms/{realm}/protocol/openid-connect/token`
pub async fn token(
    State(app): State<Arc<App>>,
    Path(realm_name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let base = base_url(&headers);
    let mut store = app.write();
    if !store.realms.contains_key(&realm_name) {
        return Err(ApiError::not_found("Realm does not exist"));
    }
    let Some(grant) = form.get("grant_type") else {
        return Err(oauth(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing form parameter: grant_type",
        ));
    };
    let (client_id, secret) = client_credentials(&headers, &form);
    let realm = &store.realms[&realm_name];
    let client = authenticate_client(realm, client_id.as_deref(), secret.as_deref())?;
    let client_id = client.client_id().to_string();
    let (user_id, with_session) = match grant.as_str() {
        "password" => (password_grant(realm, client, &form, &app.config)?, true),
        "client_credentials" => {
            let use_refresh = client
                .rep
                .obj("attributes")
                .and_then(|a| a.str("client_credentials.use_refresh_token"))
                == Some("true");
            (service_account_grant(realm, client)?, use_refresh)
        }
        "refresh_token" => (refresh_grant(&app, &store, realm, &client_id, &form)?, true),
        _ => {
            return Err(oauth(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Unsupported grant_type",
            ));
        }
    };
    let refreshed = form
        .get("refresh_token")
        .and_then(|t| tokens::peek(t))
        .filter(|_| grant == "refresh_token");
    // A refresh keeps the session and the scope it was granted.
    let (sid, scope) = match refreshed {
        Some(claims) => (
            claims["sid"].as_str().map(str::to_string),
            claims["scope"].as_str().unwrap_or_default().to_string(),
        ),
        None => (
            None,
            scope::granted(realm, client, form.get("scope").map(String::as_str))?,
        ),
    };
    let issued = issue(
        &app,
        &mut store,
        &base,
        &realm_name,
        &user_id,
        &client_id,
        with_session,
        sid,
        &scope,
    );
    Ok(Json(issued).into_response())
}

/// Client id and secret from the form or HTTP Basic.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(u, p)| (u.to_string(), p.to_string()))
        })
        .map(|(u, p)| {
            (
                tokens::percent_decode(&u).unwrap_or(u),
                tokens::percent_decode(&p).unwrap_or(p),
            )
        });
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            form.get("client_id").cloned(),
            form.get("client_secret").cloned(),
        ),
    }
}

fn authenticate_client<'a>(
    realm: &'a Realm,
    client_id: Option<&str>,
    secret: Option<&str>,
) -> ApiResult<&'a crate::state::Client> {
    let Some(client_id) = client_id else {
        return Err(oauth(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "Missing client_id parameter",
        ));
    };
    let client = realm
        .client_by_client_id(client_id)
        .ok_or_else(invalid_client)?;
    if !client.rep.bool("enabled").unwrap_or(true) || client.flag("bearerOnly") {
        return Err(invalid_client());
    }
    if client.confidential() && (secret.is_none() || client.rep.str("secret") != secret) {
        return Err(invalid_client());
    }
    Ok(client)
}

fn password_grant(
    realm: &Realm,
    client: &crate::state::Client,
    form: &HashMap<String, String>,
    config: &crate::app::Config,
) -> ApiResult<String> {
    if !client.flag("directAccessGrantsEnabled") {
        return Err(oauth(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "Client not allowed for direct access grants",
        ));
    }
    let username = form.get("username").map(String::as_str).unwrap_or_default();
    let password = form.get("password").map(String::as_str).unwrap_or_default();
    let user = realm
        .user_by_username(username)
        .or_else(|| {
            realm
                .users
                .values()
                .find(|u| u.rep.str("email") == Some(username))
        })
        .filter(|u| u.password.as_deref() == Some(password) && !password.is_empty())
        .ok_or_else(|| {
            // 400 as RFC 6749 §5.2 asks (seen on Keycloak 26.7.3); earlier releases
            // said 401 (seen on 26.4.7).
            let status = if config.at_least(26, 7) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::UNAUTHORIZED
            };
            oauth(status, "invalid_grant", "Invalid user credentials")
        })?;
    if !user.enabled() {
        return Err(oauth(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Account disabled",
        ));
    }
    Ok(user.id.clone())
}

fn service_account_grant(realm: &Realm, client: &crate::state::Client) -> ApiResult<String> {
    if client.flag("publicClient") {
        return Err(oauth(
            StatusCode::UNAUTHORIZED,
            "unauthorized_client",
            "Public client not allowed to retrieve service account",
        ));
    }
    let user = realm
        .service_account_of(&client.id)
        .filter(|_| client.flag("serviceAccountsEnabled"))
        .ok_or_else(|| {
            oauth(
                StatusCode::UNAUTHORIZED,
                "unauthorized_client",
                "Client not enabled to retrieve service account",
            )
        })?;
    Ok(user.id.clone())
}

fn refresh_grant(
    app: &App,
    store: &Store,
    realm: &Realm,
    client_id: &str,
    form: &HashMap<String, String>,
) -> ApiResult<String> {
    let invalid = || {
        oauth(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid refresh token",
        )
    };
    let token = form.get("refresh_token").ok_or_else(invalid)?;
    let claims = crate::key_providers::verify(app, realm, token).ok_or_else(invalid)?;
    if claims["typ"] != "Refresh" || claims["azp"] != client_id {
        return Err(invalid());
    }
    if claims["exp"].as_i64().unwrap_or(0) <= now_secs() {
        return Err(oauth(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Token is not active",
        ));
    }
    let sid = claims["sid"].as_str().unwrap_or_default();
    let session = store
        .sessions
        .get(sid)
        .filter(|s| s.realm == realm.name && s.expires > now_secs())
        .ok_or_else(|| {
            oauth(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Session not active",
            )
        })?;
    Ok(session.user_id.clone())
}

/// Issues an access token (and a refresh token bound to a session when
/// `with_session`), as the token endpoint answers them.
#[allow(clippy::too_many_arguments)]
fn issue(
    app: &App,
    store: &mut Store,
    base: &str,
    realm_name: &str,
    user_id: &str,
    client_id: &str,
    with_session: bool,
    reuse_sid: Option<String>,
    scope: &str,
) -> Value {
    let realm = &store.realms[realm_name];
    let now = now_secs();
    let default_life = if realm_name == "master" { 60 } else { 300 };
    let life = app
        .config
        .token_lifespan
        .unwrap_or_else(|| realm.setting_i64("accessTokenLifespan", default_life));
    let idle = realm.setting_i64("ssoSessionIdleTimeout", 1800);
    let iss = issuer(base, realm_name);
    let user = &realm.users[user_id];
    let (realm_roles, client_roles) = role_claims(realm, user);
    let sid = with_session.then(|| reuse_sid.unwrap_or_else(new_id));
    let mut access = json!({
        "exp": now + life,
        "iat": now,
        "jti": new_id(),
        "iss": iss,
        "sub": user_id,
        "typ": "Bearer",
        "azp": client_id,
        "acr": "1",
        "realm_access": { "roles": realm_roles },
        "resource_access": client_roles,
        "scope": scope,
        "email_verified": user.rep.bool("emailVerified").unwrap_or(false),
        "preferred_username": user.username(),
    });
    let audiences: Vec<&String> = client_roles
        .keys()
        .filter(|c| c.as_str() != client_id)
        .collect();
    if !audiences.is_empty() {
        access["aud"] = json!(audiences);
    }
    if let Some(sid) = &sid {
        access["sid"] = json!(sid);
    }
    let signer = crate::key_providers::signer(app, realm);
    let access_token = tokens::sign(signer, &access);
    let mut out = json!({
        "access_token": access_token,
        "expires_in": life,
        "refresh_expires_in": 0,
        "token_type": "Bearer",
        "not-before-policy": 0,
        "scope": scope,
    });
    if scope::wants_id_token(scope) {
        let id = scope::id_token_claims(&access, &access_token);
        out["id_token"] = json!(tokens::sign(signer, &id));
    }
    if let Some(sid) = sid {
        // Keycloak signs refresh tokens with the realm's HS512 key; they are
        // opaque to clients, so RS256 is used here.
        let refresh = json!({
            "exp": now + idle, "iat": now, "jti": new_id(), "iss": iss, "aud": iss,
            "sub": user_id, "typ": "Refresh", "azp": client_id, "sid": sid, "scope": scope,
        });
        out["refresh_token"] = json!(tokens::sign(signer, &refresh));
        out["refresh_expires_in"] = json!(idle);
        out["session_state"] = json!(sid);
        let session = Session {
            realm: realm_name.to_string(),
            user_id: user_id.to_string(),
            client_id: client_id.to_string(),
            expires: now + idle,
        };
        store.sessions.insert(sid, session);
    }
    out
}

/// `realm_access.roles` and `resource_access` of a user's effective roles.
fn role_claims(realm: &Realm, user: &crate::state::User) -> (Vec<String>, BTreeMap<String, Value>) {
    let mut realm_roles = Vec::new();
    let mut by_client: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in realm.user_effective_roles(user) {
        let Some(role) = realm.roles.get(&id) else {
            continue;
        };
        match &role.client {
            None => realm_roles.push(role.name.clone()),
            Some(c) => {
                if let Some(client) = realm.clients.get(c) {
                    by_client
                        .entry(client.client_id().to_string())
                        .or_default()
                        .push(role.name.clone());
                }
            }
        }
    }
    realm_roles.sort();
    let clients = by_client
        .into_iter()
        .map(|(k, mut v)| {
            v.sort();
            (k, json!({ "roles": v }))
        })
        .collect();
    (realm_roles, clients)
}

/// `POST /realms/{realm}/protocol/openid-connect/logout` (refresh token in the form).
pub async fn logout(
    State(app): State<Arc<App>>,
    Path(realm): Path<String>,
    body: Bytes,
) -> ApiResult {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let sid = form
        .get("refresh_token")
        .and_then(|t| tokens::peek(t))
        .and_then(|c| c["sid"].as_str().map(String::from));
    let mut store = app.write();
    if !store.realms.contains_key(&realm) {
        return Err(ApiError::not_found("Realm does not exist"));
    }
    if let Some(sid) = sid {
        store.sessions.remove(&sid);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An authenticated caller of the admin API (steps 1–3 of §1.2).
pub struct Caller {
    pub app: Arc<App>,
    pub base: String,
    pub token_realm: String,
    pub user_id: String,
    claims: Arc<Value>,
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .ok_or_else(ApiError::unauthorized)?
            .trim();
        let claims = tokens::peek(token).ok_or_else(ApiError::unauthorized)?;
        let token_realm = claims["iss"]
            .as_str()
            .and_then(tokens::realm_of_issuer)
            .ok_or_else(ApiError::unauthorized)?;
        let store = app.read();
        let realm = store
            .realms
            .get(&token_realm)
            .ok_or_else(ApiError::unauthorized)?;
        let claims = match app.verified_claims(token, &realm.id) {
            Some(c) => c,
            None => {
                let c = crate::key_providers::verify(app, realm, token)
                    .ok_or_else(ApiError::unauthorized)?;
                let c = Arc::new(c);
                app.remember_verified(token, &realm.id, c.clone());
                c
            }
        };
        let alive =
            claims["exp"].as_i64().is_some_and(|exp| exp > now_secs()) && claims["typ"] == "Bearer";
        let user_id = claims["sub"].as_str().unwrap_or_default().to_string();
        let user_ok = realm.users.get(&user_id).is_some_and(|u| u.enabled());
        let session_ok = match claims["sid"].as_str() {
            Some(sid) => store.sessions.contains_key(sid),
            None => true,
        };
        if !(alive && user_ok && session_ok) {
            return Err(ApiError::unauthorized());
        }
        Ok(Caller {
            app: app.clone(),
            base: base_url(&parts.headers),
            token_realm,
            user_id,
            claims,
        })
    }
}

impl Caller {
    /// Names of the management roles the caller effectively holds for `realm`:
    /// client roles of `<realm>-realm` in master for master tokens, of
    /// `realm-management` for tokens of the realm itself.
    pub fn rights_in(&self, store: &Store, realm: &str) -> HashSet<String> {
        let (holder, client_id) = if self.token_realm == "master" {
            ("master", format!("{realm}-realm"))
        } else if self.token_realm == realm {
            (realm, "realm-management".to_string())
        } else {
            return HashSet::new();
        };
        let Some(r) = store.realms.get(holder) else {
            return HashSet::new();
        };
        let (Some(user), Some(client)) = (
            r.users.get(&self.user_id),
            r.client_by_client_id(&client_id),
        ) else {
            return HashSet::new();
        };
        let held = if self.app.config.version == 26 && !self.app.config.at_least(26, 7) {
            r.expand(self.token_roles(r))
        } else {
            r.user_effective_roles(user)
        };
        held.into_iter()
            .filter_map(|id| r.roles.get(&id))
            .filter(|role| role.client.as_deref() == Some(client.id.as_str()))
            .map(|role| role.name.clone())
            .collect()
    }

    /// Ids of the roles the caller's token names. 26.4 checks admin rights against
    /// them, expanded through today's composites: a role granted after the token was
    /// issued needs a new token (seen on 26.4.7, where 26.7.3 sees the grant at once),
    /// while the master `admin` role covers realms created since.
    fn token_roles(&self, r: &crate::state::Realm) -> Vec<String> {
        let names = |v: &Value| -> Vec<String> {
            (v["roles"].as_array().into_iter().flatten())
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        };
        let mut ids: Vec<String> = names(&self.claims["realm_access"])
            .iter()
            .filter_map(|n| r.realm_role(n).map(|role| role.id.clone()))
            .collect();
        for (client_id, access) in self.claims["resource_access"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let Some(client) = r.client_by_client_id(client_id) else {
                continue;
            };
            ids.extend(
                names(access)
                    .iter()
                    .filter_map(|n| r.client_role(&client.id, n).map(|role| role.id.clone())),
            );
        }
        ids
    }

    /// Whether the caller holds a realm role of its own realm.
    pub fn has_realm_role(&self, store: &Store, name: &str) -> bool {
        let Some(r) = store.realms.get(&self.token_realm) else {
            return false;
        };
        let (Some(user), Some(role)) = (r.users.get(&self.user_id), r.realm_role(name)) else {
            return false;
        };
        r.user_effective_roles(user).contains(&role.id)
    }
}

/// A caller allowed into the admin API of the realm in the path (step 4 of §1.2).
pub struct Admin {
    pub app: Arc<App>,
    pub base: String,
    pub realm: String,
    rights: HashSet<String>,
}

impl FromRequestParts<Arc<App>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, app).await?;
        let realm = parts
            .uri
            .path()
            .split('/')
            .nth(3)
            .and_then(tokens::percent_decode)
            .ok_or_else(ApiError::plain_not_found)?;
        let store = app.read();
        if !store.realms.contains_key(&realm) {
            return Err(ApiError::not_found("Realm not found."));
        }
        if caller.token_realm != "master" && caller.token_realm != realm {
            return Err(ApiError::Forbidden);
        }
        let rights = caller.rights_in(&store, &realm);
        drop(store);
        Ok(Admin {
            app: caller.app,
            base: caller.base,
            realm,
            rights,
        })
    }
}

/// Fine-grained admin rights, with Keycloak's implications (manage ⇒ view ⇒ query).
impl Admin {
    fn has(&self, role: &str) -> bool {
        self.rights.contains(role) || self.rights.contains("realm-admin")
    }
    fn any_of(&self, roles: &[&str]) -> bool {
        roles.iter().any(|r| self.has(r))
    }
    pub fn require(&self, ok: bool) -> ApiResult<()> {
        if ok { Ok(()) } else { Err(ApiError::Forbidden) }
    }
    pub fn is_admin(&self) -> bool {
        !self.rights.is_empty()
    }
    pub fn view_realm(&self) -> bool {
        self.any_of(&["view-realm", "manage-realm"])
    }
    pub fn manage_realm(&self) -> bool {
        self.has("manage-realm")
    }
    pub fn list_clients(&self) -> bool {
        self.any_of(&["query-clients", "view-clients", "manage-clients"])
    }
    pub fn view_clients(&self) -> bool {
        self.any_of(&["view-clients", "manage-clients"])
    }
    pub fn manage_clients(&self) -> bool {
        self.has("manage-clients")
    }
    pub fn query_users(&self) -> bool {
        self.any_of(&["query-users", "view-users", "manage-users"])
    }
    pub fn view_users(&self) -> bool {
        self.any_of(&["view-users", "manage-users"])
    }
    pub fn manage_users(&self) -> bool {
        self.has("manage-users")
    }
    pub fn list_groups(&self) -> bool {
        self.any_of(&["query-groups", "view-users", "manage-users"])
    }
    pub fn view_idps(&self) -> bool {
        self.any_of(&["view-identity-providers", "manage-identity-providers"])
    }
    pub fn manage_idps(&self) -> bool {
        self.has("manage-identity-providers")
    }
    /// `access` map of client representations.
    pub fn client_access(&self) -> Value {
        let m = self.manage_clients();
        json!({ "view": self.view_clients(), "configure": m, "manage": m })
    }

    pub fn location(&self, tail: &str) -> String {
        format!(
            "{}/admin/realms/{}/{}",
            self.base,
            crate::http::encode_segment(&self.realm),
            tail
        )
    }

    /// Runs `f` on the realm under a read lock.
    pub fn read<T>(&self, f: impl FnOnce(&Realm) -> ApiResult<T>) -> ApiResult<T> {
        let store = self.app.read();
        let realm = store
            .realms
            .get(&self.realm)
            .ok_or_else(|| ApiError::not_found("Realm not found."))?;
        f(realm)
    }

    /// Runs `f` on the realm under the write lock.
    pub fn write<T>(&self, f: impl FnOnce(&mut Realm) -> ApiResult<T>) -> ApiResult<T> {
        let mut store = self.app.write();
        let realm = store
            .realms
            .get_mut(&self.realm)
            .ok_or_else(|| ApiError::not_found("Realm not found."))?;
        f(realm)
    }
}
