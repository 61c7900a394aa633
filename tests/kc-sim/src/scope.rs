//! The `scope` of a token request: which scopes a token carries, and the
//! `id_token` Keycloak adds when `openid` is among them.

use crate::errors::{ApiError, ApiResult};
use crate::json::ObjExt;
use crate::state::{Client, Realm};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The default scopes every simulated client carries into its tokens' `scope`
/// (the built-in ones with `include.in.token.scope`).
const DEFAULT: &str = "profile email";

/// The granted scope string for a requested `scope` parameter: `openid` first when
/// asked for, the defaults, then requested optional scopes of the client. A name that
/// is neither `openid` nor one of the client's scopes is refused, as Keycloak does.
pub fn granted(realm: &Realm, client: &Client, requested: Option<&str>) -> ApiResult<String> {
    let requested: Vec<&str> = requested.unwrap_or_default().split_whitespace().collect();
    let name_of = |id: &String| {
        realm
            .scopes
            .get(id)
            .and_then(|s| s.rep.str("name"))
            .map(str::to_string)
    };
    let defaults: Vec<String> = client.default_scopes.iter().filter_map(name_of).collect();
    let optional: Vec<String> = client.optional_scopes.iter().filter_map(name_of).collect();
    let known = |s: &str| s == "openid" || defaults.iter().chain(&optional).any(|n| n == s);
    if !requested.iter().all(|s| known(s)) {
        return Err(ApiError::OAuth(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            format!("Invalid scopes: {}", requested.join(" ")),
        ));
    }
    let mut out: Vec<&str> = Vec::new();
    if requested.contains(&"openid") {
        out.push("openid");
    }
    out.extend(DEFAULT.split(' '));
    for s in requested {
        if optional.iter().any(|n| n == s) && !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out.join(" "))
}

/// Whether a granted scope asks for an ID token.
pub fn wants_id_token(scope: &str) -> bool {
    scope.split(' ').any(|s| s == "openid")
}

/// The claims of an ID token for an access token's claims: audience the client,
/// `typ` ID, and `at_hash` (the left half of the access token's SHA-256, OIDC §3.1.3.6).
pub fn id_token_claims(access: &Value, access_token: &str) -> Value {
    let digest = Sha256::digest(access_token.as_bytes());
    let mut id = json!({
        "exp": access["exp"], "iat": access["iat"], "jti": crate::state::new_id(),
        "iss": access["iss"], "aud": access["azp"], "sub": access["sub"], "typ": "ID",
        "azp": access["azp"],
    });
    if let Some(sid) = access.get("sid") {
        id["sid"] = sid.clone();
    }
    id["at_hash"] = json!(URL_SAFE_NO_PAD.encode(&digest[..16]));
    for k in ["acr", "email_verified", "preferred_username"] {
        id[k] = access[k].clone();
    }
    id
}
