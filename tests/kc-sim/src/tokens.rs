//! Compact JWS (RS256) signing and verification with a realm key.

use crate::keys::RsaKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

pub fn sign(key: &RsaKey, claims: &Value) -> String {
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": key.kid });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// The claims of a token, without checking its signature.
pub fn peek(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_, payload) = (parts.next()?, parts.next()?);
    parts.next()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// The claims of a token whose RS256 signature `key` verifies.
pub fn verify(key: &RsaKey, token: &str) -> Option<Value> {
    let (input, sig) = token.rsplit_once('.')?;
    let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
    key.verify(input.as_bytes(), &sig).then(|| peek(token))?
}

/// Realm name from an `iss` claim (`{server}/realms/{realm}`).
pub fn realm_of_issuer(iss: &str) -> Option<String> {
    let last = iss.rsplit('/').next()?;
    percent_decode(last)
}

pub fn percent_decode(s: &str) -> Option<String> {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}
