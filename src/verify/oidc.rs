//! The OIDC authorization code flow with PKCE through Keycloak's login pages: the redirect to
//! the partner's redirect URI is caught (never followed), and the code is exchanged at the
//! token endpoint with the client's secret (read through the admin API, held in memory).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use super::browser::{Browser, Landing, SignIn, is_refusal, page_message};
use super::users::random_hex;
use crate::http::read_body;
use crate::keycloak::admin::connection::join;
use crate::keycloak::admin::secret::Secret;

/// A token response is a few kilobytes.
const MAX_TOKEN_BYTES: u64 = 1024 * 1024;

/// The client being signed in to.
pub struct Client<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    /// `None` for a public client.
    pub secret: Option<&'a Secret>,
}

/// What Keycloak issued to a user it admitted: the ID token the code was exchanged for, and
/// the nonce the request carried.
pub struct Issued {
    pub id_token: Secret,
    pub nonce: String,
}

/// Signs `username` in to `client`. `Err` is a reason for a FAIL line.
pub async fn sign_in(
    http: reqwest::Client,
    realm_url: &Url,
    client: &Client<'_>,
    username: &str,
    password: &Secret,
) -> Result<SignIn<Issued>, String> {
    let verifier = format!("{}{}", random_hex(), random_hex());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let (state, nonce) = (random_hex(), random_hex());
    let mut authorize = join(realm_url, &["protocol", "openid-connect", "auth"]);
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client.client_id)
        .append_pair("redirect_uri", client.redirect_uri)
        .append_pair("scope", "openid")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let mut browser = Browser::new(http.clone(), realm_url);
    let first = browser.get(authorize).await.map_err(|e| e.to_string())?;
    let landing = browser.sign_in(&first, username, password).await?;
    let redirect = match landing {
        Landing::Left(url) => url,
        Landing::Page { status, html } if is_refusal(status) => {
            return Ok(SignIn::Refused(page_message(&html)));
        }
        Landing::Page { status, html } => {
            return Err(format!(
                "after the password Keycloak showed a page ({status}) instead of redirecting: {}",
                page_message(&html)
            ));
        }
        Landing::SamlPost { .. } => return Err("Keycloak answered with a SAML form".into()),
    };
    let code = code_from(&redirect, client.redirect_uri, &state)?;
    let id_token = exchange(&http, realm_url, client, &code, &verifier).await?;
    Ok(SignIn::Issued(Issued { id_token, nonce }))
}

/// The code of a redirect to the client's redirect URI, after checking where it goes and
/// that it answers our request (state).
fn code_from(redirect: &Url, redirect_uri: &str, state: &str) -> Result<Secret, String> {
    let mut target = redirect.clone();
    target.set_query(None);
    target.set_fragment(None);
    if target.as_str() != redirect_uri {
        return Err(format!(
            "Keycloak redirected to {target}, not to the redirect URI {redirect_uri}"
        ));
    }
    let param = |name: &str| {
        redirect
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(error) = param("error") {
        let description = param("error_description").unwrap_or_default();
        return Err(format!(
            "Keycloak redirected with error {error}: {description}"
        ));
    }
    if param("state").as_deref() != Some(state) {
        return Err("the redirect's state is not the one sent".into());
    }
    param("code")
        .map(Secret::new)
        .ok_or_else(|| "the redirect carries no code".into())
}

async fn exchange(
    http: &reqwest::Client,
    realm_url: &Url,
    client: &Client<'_>,
    code: &Secret,
    verifier: &str,
) -> Result<Secret, String> {
    let url = join(realm_url, &["protocol", "openid-connect", "token"]);
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.expose()),
        ("redirect_uri", client.redirect_uri),
        ("client_id", client.client_id),
        ("code_verifier", verifier),
    ];
    if let Some(secret) = client.secret {
        form.push(("client_secret", secret.expose()));
    }
    let response = http
        .post(url)
        .form(&form)
        .send()
        .await
        .map_err(|e| format!("the token endpoint: {}", e.without_url()))?;
    let status = response.status();
    let body = read_body(response, MAX_TOKEN_BYTES)
        .await
        .map_err(|e| format!("the token endpoint: {e}"))?;
    // Never shown: a token response is all secrets. Only an error's fields are.
    let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!(
            "the token endpoint refused the code ({status}): {} {}",
            answer["error"].as_str().unwrap_or(""),
            answer["error_description"].as_str().unwrap_or("")
        ));
    }
    answer["id_token"]
        .as_str()
        .map(Secret::new)
        .ok_or_else(|| "the token response has no id_token (is scope openid allowed?)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_taken_only_from_the_redirect_uri_with_our_state() {
        let uri = "https://sp.example.org/cb";
        let ok = Url::parse("https://sp.example.org/cb?state=s1&code=c1").unwrap();
        assert_eq!(code_from(&ok, uri, "s1").unwrap().expose(), "c1");
        let other = Url::parse("https://evil.example.org/cb?state=s1&code=c1").unwrap();
        assert!(code_from(&other, uri, "s1").is_err());
        assert!(code_from(&ok, uri, "s2").is_err());
        let error = Url::parse("https://sp.example.org/cb?error=access_denied&state=s1").unwrap();
        assert!(
            code_from(&error, uri, "s1")
                .unwrap_err()
                .contains("access_denied")
        );
    }
}
