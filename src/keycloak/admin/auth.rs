//! Admin access tokens: obtained with the configured grant, refreshed shortly before they
//! expire (with the refresh token when there is one, else a new grant), and renewed on demand
//! when Keycloak answers 401. Token responses are never logged: they are all secrets.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use super::connection::Credentials;
use super::error::ApiError;
use super::secret::Secret;
use crate::http::retry::{self, Attempt, Replay, RetryPolicy};
use crate::http::{self, BodyError};

/// A token response is a few kilobytes (a JWT with the admin's roles); past this it is not one.
const MAX_TOKEN_RESPONSE_BYTES: u64 = 1024 * 1024;

pub struct TokenSource {
    http: reqwest::Client,
    token_url: Url,
    credentials: Credentials,
    retry: RetryPolicy,
    /// One lock for the cache and the grant, so concurrent requests wait for one refresh
    /// instead of each starting their own.
    current: Mutex<Option<Tokens>>,
}

struct Tokens {
    access: Secret,
    /// When to stop using the access token: before its expiry, by a margin.
    renew_at: Instant,
    refresh: Option<(Secret, Instant)>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
    refresh_token: Option<String>,
    refresh_expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct OAuthError {
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenSource {
    pub fn new(
        http: reqwest::Client,
        server: &Url,
        auth_realm: &str,
        credentials: Credentials,
        retry: RetryPolicy,
    ) -> TokenSource {
        let mut token_url = server.clone();
        token_url
            .path_segments_mut()
            .expect("http(s) URLs have a path")
            .pop_if_empty()
            .extend(["realms", auth_realm, "protocol", "openid-connect", "token"]);
        TokenSource {
            http,
            token_url,
            credentials,
            retry,
            current: Mutex::new(None),
        }
    }

    /// A valid access token, renewed first if it is about to expire.
    pub async fn access_token(&self) -> Result<Secret, ApiError> {
        let mut current = self.current.lock().await;
        let now = Instant::now();
        if let Some(tokens) = current.as_ref().filter(|t| now < t.renew_at) {
            return Ok(tokens.access.clone());
        }
        let refresh = current
            .take()
            .and_then(|t| t.refresh)
            .filter(|(_, until)| now < *until)
            .map(|(token, _)| token);
        let tokens = match refresh {
            Some(refresh) => match self.grant(Grant::Refresh(&refresh)).await {
                Ok(tokens) => tokens,
                // An expired or revoked session: start a new one.
                Err(_) => self.grant(Grant::Initial).await?,
            },
            None => self.grant(Grant::Initial).await?,
        };
        let access = tokens.access.clone();
        *current = Some(tokens);
        Ok(access)
    }

    /// Forgets `rejected` (Keycloak answered 401 to it) so the next call gets a new one.
    pub async fn invalidate(&self, rejected: &Secret) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|t| &t.access == rejected) {
            *current = None;
        }
    }

    async fn grant(&self, grant: Grant<'_>) -> Result<Tokens, ApiError> {
        let form = self.form(&grant);
        let started = Instant::now();
        let response: TokenResponse = retry::with_retries(self.retry, Replay::Always, async |_| {
            self.attempt(&form).await
        })
        .await?;
        tracing::debug!(
            grant = grant.name(),
            expires_in = response.expires_in,
            "obtained an admin token"
        );
        Ok(Tokens::from_response(response, started))
    }

    fn form<'a>(&'a self, grant: &Grant<'a>) -> Vec<(&'static str, &'a str)> {
        let client_id = match &self.credentials {
            Credentials::ServiceAccount { client_id, .. } => client_id.as_str(),
            Credentials::AdminUser { .. } => "admin-cli",
        };
        let mut form = vec![("client_id", client_id)];
        match (grant, &self.credentials) {
            (Grant::Refresh(token), _) => {
                form.push(("grant_type", "refresh_token"));
                form.push(("refresh_token", token.expose()));
            }
            (Grant::Initial, Credentials::ServiceAccount { secret, .. }) => {
                form.push(("grant_type", "client_credentials"));
                form.push(("client_secret", secret.expose()));
            }
            (Grant::Initial, Credentials::AdminUser { username, password }) => {
                form.push(("grant_type", "password"));
                form.push(("username", username));
                form.push(("password", password.expose()));
            }
        }
        if let (Grant::Refresh(_), Credentials::ServiceAccount { secret, .. }) =
            (grant, &self.credentials)
        {
            form.push(("client_secret", secret.expose()));
        }
        form
    }

    async fn attempt(&self, form: &[(&str, &str)]) -> Attempt<TokenResponse, ApiError> {
        let result = self
            .http
            .post(self.token_url.clone())
            .form(form)
            .send()
            .await;
        let response = match result {
            Ok(response) => response,
            Err(error) => return ApiError::transport_attempt(&error),
        };
        let status = response.status().as_u16();
        let retry_after = ApiError::retry_after(&response);
        let body = match http::read_body(response, MAX_TOKEN_RESPONSE_BYTES).await {
            Ok(body) => body,
            Err(BodyError::Transport(error)) => return ApiError::transport_attempt(&error),
            Err(too_large) => {
                return Attempt::Failed(ApiError::Auth(format!("token endpoint: {too_large}")));
            }
        };
        if status == 200 {
            return match serde_json::from_slice(&body) {
                Ok(tokens) => Attempt::Done(tokens),
                Err(_) => Attempt::Failed(ApiError::Auth(
                    "the token endpoint answered with something other than a token".into(),
                )),
            };
        }
        if retry::retryable_status(status) {
            return Attempt::Transient {
                error: ApiError::Auth(format!("token endpoint answered HTTP {status}")),
                retry_after,
                unsent: status == 429,
            };
        }
        Attempt::Failed(ApiError::Auth(describe_refusal(status, &body)))
    }
}

enum Grant<'a> {
    Initial,
    Refresh(&'a Secret),
}

impl Grant<'_> {
    fn name(&self) -> &'static str {
        match self {
            Grant::Initial => "initial",
            Grant::Refresh(_) => "refresh",
        }
    }
}

impl Tokens {
    fn from_response(response: TokenResponse, issued: Instant) -> Tokens {
        let lifespan = Duration::from_secs(response.expires_in);
        let refresh = response.refresh_token.map(|token| {
            let lifespan = Duration::from_secs(response.refresh_expires_in.unwrap_or(0));
            (
                Secret::new(token),
                issued + lifespan - renewal_margin(lifespan),
            )
        });
        Tokens {
            access: Secret::new(response.access_token),
            renew_at: issued + lifespan - renewal_margin(lifespan),
            refresh,
        }
    }
}

/// How long before expiry a token is renewed: a quarter of its life, at most 30 s, so a token
/// never expires on its way to the server.
fn renewal_margin(lifespan: Duration) -> Duration {
    (lifespan / 4).min(Duration::from_secs(30))
}

/// The OAuth2 error of a refused grant (its text is Keycloak's, never a secret).
fn describe_refusal(status: u16, body: &[u8]) -> String {
    let parsed: Option<OAuthError> = serde_json::from_slice(body).ok();
    let detail = parsed
        .and_then(|e| e.error_description.or(e.error))
        .unwrap_or_else(|| "no details".into());
    format!("the token endpoint refused the credentials (HTTP {status}: {detail})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_renewed_before_they_expire() {
        let now = Instant::now();
        let tokens = Tokens::from_response(
            TokenResponse {
                access_token: "a".into(),
                expires_in: 60,
                refresh_token: Some("r".into()),
                refresh_expires_in: Some(1800),
            },
            now,
        );
        assert_eq!(tokens.renew_at, now + Duration::from_secs(45));
        assert_eq!(
            tokens.refresh.as_ref().unwrap().1,
            now + Duration::from_secs(1770)
        );
        assert_eq!(
            renewal_margin(Duration::from_secs(4)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn refusals_quote_keycloak_not_the_request() {
        let text = describe_refusal(
            401,
            br#"{"error":"invalid_grant","error_description":"Invalid user credentials"}"#,
        );
        assert!(text.contains("Invalid user credentials"), "{text}");
        assert!(describe_refusal(400, b"<html>").contains("no details"));
    }
}
