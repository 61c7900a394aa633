//! ID-token checks: the RS256 signature against the realm's JWKS, then `iss`, `aud`, `azp`,
//! expiry, `nonce` and the claims the record's attributes promise.
//!
//! Only RS256 is accepted (Keycloak's default realm key); a token naming another algorithm,
//! or a key id the JWKS lacks, fails. A JOSE crate would add little for one algorithm: `rsa`
//! and `sha2` already verify PKCS#1 v1.5 signatures.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::expect::{ExpectedAttribute, check_values};
use super::report::Outcome;

/// What the ID token must say.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub attributes: &'a [ExpectedAttribute],
    pub now: OffsetDateTime,
}

/// Verifies the token's signature with the key of the JWKS its header names; returns the
/// claims. The error is the reason, for a FAIL line.
pub fn verify_signature(token: &str, jwks: &Value) -> Result<Map<String, Value>, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err(format!(
            "the ID token has {} parts, not 3 (a signed JWT)",
            parts.len()
        ));
    };
    let header: Value = decode_json(header, "header")?;
    if header["alg"] != "RS256" {
        return Err(format!(
            "the ID token is signed with {}, only RS256 is accepted",
            header["alg"]
        ));
    }
    let kid = header["kid"]
        .as_str()
        .ok_or("the ID token names no key (kid)")?;
    let key = (jwks["keys"].as_array().into_iter().flatten())
        .find(|k| k["kid"] == kid && k["kty"] == "RSA")
        .ok_or_else(|| format!("the realm's JWKS has no RSA key {kid:?}"))?;
    let public = rsa_key(key).map_err(|e| format!("JWKS key {kid:?}: {e}"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| "the ID token's signature is not base64url")?;
    let signed = &token[..header_payload_len(token)];
    public
        .verify(
            Pkcs1v15Sign::new_unprefixed(),
            &sha256_digest_info(signed.as_bytes()),
            &signature,
        )
        .map_err(|_| {
            format!("the ID token's signature does not verify against realm key {kid:?}")
        })?;
    match decode_json(payload, "payload")? {
        Value::Object(claims) => Ok(claims),
        _ => Err("the ID token's payload is not a JSON object".into()),
    }
}

/// The PKCS#1 v1.5 `DigestInfo` of SHA-256 over `message` (RFC 8017 §9.2): the DER prefix
/// naming SHA-256, then the hash.
fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    const PREFIX: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    let mut info = PREFIX.to_vec();
    info.extend_from_slice(&Sha256::digest(message));
    info
}

/// `header.payload`: everything before the last dot.
fn header_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn decode_json(part: &str, what: &str) -> Result<Value, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| format!("the ID token's {what} is not base64url: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("the ID token's {what} is not JSON: {e}"))
}

fn rsa_key(jwk: &Value) -> Result<RsaPublicKey, String> {
    let number = |name: &str| {
        let text = jwk[name].as_str().ok_or(format!("no {name}"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|e| format!("{name}: {e}"))?;
        Ok::<_, String>(BigUint::from_bytes_be(&bytes))
    };
    RsaPublicKey::new(number("n")?, number("e")?).map_err(|e| e.to_string())
}

/// Every check of the verified claims, by name.
pub fn check(claims: &Map<String, Value>, expected: &Expected<'_>) -> Vec<(String, Outcome)> {
    let mut checks = vec![
        (
            "issuer".to_owned(),
            match claims.get("iss").and_then(Value::as_str) {
                Some(iss) if iss == expected.issuer => Ok(iss.to_owned()),
                other => Err(format!("iss is {other:?}, expected {:?}", expected.issuer)),
            },
        ),
        ("audience".to_owned(), audience(claims, expected.client_id)),
        (
            "nonce".to_owned(),
            match claims.get("nonce").and_then(Value::as_str) {
                Some(nonce) if nonce == expected.nonce => Ok("matches the request".into()),
                _ => Err("the nonce is not the one sent (a replayed or foreign token)".into()),
            },
        ),
        ("validity".to_owned(), expiry(claims, expected.now)),
    ];
    for attribute in expected.attributes {
        let Some(claim) = &attribute.claim else {
            continue;
        };
        let values: Vec<String> = match claims.get(claim) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.iter().map(text).collect(),
            Some(other) => vec![text(other)],
        };
        let outcome = check_values(attribute, &values).map(|ok| format!("claim {claim}: {ok}"));
        checks.push((format!("claim {}", attribute.name), outcome));
    }
    checks
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

fn audience(claims: &Map<String, Value>, client_id: &str) -> Outcome {
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&client_id) {
        return Err(format!("aud is {audiences:?}, not {client_id:?}"));
    }
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != client_id => Err(format!("azp is {azp:?}, not {client_id:?}")),
        _ => Ok(client_id.to_owned()),
    }
}

fn expiry(claims: &Map<String, Value>, now: OffsetDateTime) -> Outcome {
    let now = now.unix_timestamp();
    let exp = claims.get("exp").and_then(Value::as_i64).ok_or("no exp")?;
    let iat = claims.get("iat").and_then(Value::as_i64).ok_or("no iat")?;
    if exp <= now {
        return Err(format!("expired {} s ago", now - exp));
    }
    let skew = iat - now;
    if skew.abs() > super::saml_response::MAX_SKEW_SECONDS {
        return Err(format!(
            "issued {skew} s from our clock (clock skew above {} s)",
            super::saml_response::MAX_SKEW_SECONDS
        ));
    }
    Ok(format!(
        "valid for {} s more; the IdP's clock is {skew} s from ours",
        exp - now
    ))
}
