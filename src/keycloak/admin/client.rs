//! The admin REST client: every request of one realm goes through [`AdminClient::send`],
//! which adds the bearer token, bounds concurrency, retries transient failures and renews the
//! token once on a 401. Bodies are never logged (client representations carry secrets). The
//! realm's public endpoints are read through [`AdminClient::get_public`], the same way minus
//! the token.

use std::sync::OnceLock;
use std::time::Instant;

use bytes::Bytes;
use reqwest::{Method, StatusCode, header};
use serde_json::Value;
use tokio::sync::Semaphore;
use url::Url;

use super::auth::TokenSource;
use super::connection::{Connection, join};
use super::error::{ApiError, error_message};
use super::secret::Secret;
use crate::http::retry::{self, Attempt, Replay, RetryPolicy};
use crate::http::{self, BodyError};
use crate::target::TargetError;

/// Page size for list endpoints (Keycloak pages some lists by default, e.g. group children
/// by 10; fedctl always asks for explicit pages).
pub const PAGE_SIZE: usize = 100;

/// The largest answer read from the admin API: a partial export of a realm with many
/// thousands of clients is tens of megabytes; far more is not an answer to hold in memory.
pub const MAX_RESPONSE_BYTES: u64 = 512 * 1024 * 1024;

pub struct AdminClient {
    http: reqwest::Client,
    /// `{server}/admin/realms/{realm}`.
    admin: Url,
    /// `{server}/realms/{realm}`: the realm's public endpoints.
    public: Url,
    auth: TokenSource,
    retry: RetryPolicy,
    permits: Semaphore,
    /// Set once a request could not connect even after its retries: Keycloak is gone, and
    /// every later request fails at once instead of running its own retry cycle.
    gone: OnceLock<ApiError>,
}

/// One request, relative to the realm's admin root.
pub struct Request<'a> {
    pub method: Method,
    pub path: &'a [&'a str],
    pub query: &'a [(&'a str, &'a str)],
    pub body: Option<&'a Value>,
    pub replay: Replay,
}

impl<'a> Request<'a> {
    pub fn new(method: Method, path: &'a [&'a str]) -> Request<'a> {
        Request {
            method,
            path,
            query: &[],
            body: None,
            replay: Replay::Always,
        }
    }

    pub fn query(self, query: &'a [(&'a str, &'a str)]) -> Request<'a> {
        Request { query, ..self }
    }

    pub fn body(self, body: &'a Value) -> Request<'a> {
        Request {
            body: Some(body),
            ..self
        }
    }

    pub fn replay(self, replay: Replay) -> Request<'a> {
        Request { replay, ..self }
    }

    /// `POST /clients` — for messages and logs (no query: it may name users).
    fn describe(&self) -> String {
        format!("{} /{}", self.method, self.path.join("/"))
    }
}

/// One HTTP exchange as [`AdminClient::attempt`] sends it, admin or public.
struct Call<'a> {
    method: &'a Method,
    url: Url,
    body: Option<&'a Value>,
    /// `None` for public endpoints.
    bearer: Option<&'a Secret>,
    accept: &'a str,
    /// For messages and logs: `POST /clients`, or a public endpoint's URL.
    what: String,
}

/// A successful answer.
pub struct Reply {
    location: Option<String>,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self, request: &Request<'_>) -> Result<Value, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError::Unexpected {
            request: request.describe(),
            reason: format!("not JSON: {e}"),
        })
    }

    /// The id Keycloak gave a created object: the last segment of `Location`, decoded (roles
    /// are located by name, flow copies by `…/copy/{id}`).
    pub fn created_id(&self, request: &Request<'_>) -> Result<String, ApiError> {
        let unexpected = |reason: &str| ApiError::Unexpected {
            request: request.describe(),
            reason: reason.to_owned(),
        };
        let location = self
            .location
            .as_deref()
            .ok_or_else(|| unexpected("no Location header"))?;
        let last = location
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| unexpected("empty Location header"))?;
        Ok(percent_encoding::percent_decode_str(last)
            .decode_utf8_lossy()
            .into_owned())
    }
}

impl AdminClient {
    pub fn connect(connection: &Connection) -> Result<AdminClient, TargetError> {
        let http = connection.http_client()?;
        let retry = RetryPolicy::default();
        let server = &connection.server;
        Ok(AdminClient {
            admin: Connection::admin_url(server, &connection.realm),
            public: join(server, &["realms", &connection.realm]),
            auth: TokenSource::new(
                http.clone(),
                &connection.server,
                &connection.auth_realm,
                connection.credentials.clone(),
                retry,
            ),
            http,
            retry,
            permits: Semaphore::new(connection.concurrency.max(1)),
            gone: OnceLock::new(),
        })
    }

    /// Sends `request`; an error status is an `Err`.
    pub async fn send(&self, request: &Request<'_>) -> Result<Reply, ApiError> {
        let _permit = self.permits.acquire().await.expect("never closed");
        self.unless_gone(async {
            let token = self.auth.access_token().await?;
            match self.send_with_retries(request, &token).await {
                Err(ApiError::Status { status: 401, .. }) => {
                    // Revoked or expired early (clock skew, a server restart): one fresh token.
                    self.auth.invalidate(&token).await;
                    let token = self.auth.access_token().await?;
                    self.send_with_retries(request, &token).await
                }
                other => other,
            }
        })
        .await
    }

    /// Runs `exchange` unless Keycloak is already known to be gone, and records it as gone
    /// when `exchange` could not connect after all its retries.
    async fn unless_gone<T>(
        &self,
        exchange: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        if let Some(gone) = self.gone.get() {
            return Err(gone.clone());
        }
        let result = exchange.await;
        if let Err(error @ ApiError::Transport { connect: true, .. }) = &result {
            let _ = self.gone.set(error.clone());
        }
        result
    }

    async fn send_with_retries(
        &self,
        request: &Request<'_>,
        token: &Secret,
    ) -> Result<Reply, ApiError> {
        let mut url = join(&self.admin, request.path);
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(request.query);
        }
        let call = Call {
            method: &request.method,
            url,
            body: request.body,
            bearer: Some(token),
            accept: "application/json",
            what: request.describe(),
        };
        retry::with_retries(self.retry, request.replay, async |retries| {
            self.attempt(&call, retries > 0).await
        })
        .await
    }

    /// GETs a public endpoint of the realm, `{server}/realms/{realm}/{path}` (the SAML IdP
    /// descriptor), asking for `accept`. No bearer token: the endpoint takes none, and a token
    /// goes nowhere it is not needed. Otherwise as an admin request: the same HTTP client (TLS
    /// verification, `--ca-cert`, no redirects, timeouts), retries and concurrency bound.
    pub async fn get_public(&self, path: &[&str], accept: &str) -> Result<Bytes, ApiError> {
        let _permit = self.permits.acquire().await.expect("never closed");
        let url = self.public_url(path);
        let call = Call {
            method: &Method::GET,
            what: format!("GET {url}"),
            url,
            body: None,
            bearer: None,
            accept,
        };
        self.unless_gone(retry::with_retries(
            self.retry,
            Replay::Always,
            async |retries| self.attempt(&call, retries > 0).await,
        ))
        .await
        .map(|reply| reply.body)
    }

    /// Where [`AdminClient::get_public`] sends its GET, for messages about the answer.
    pub fn public_url(&self, path: &[&str]) -> Url {
        join(&self.public, path)
    }

    async fn attempt(&self, call: &Call<'_>, retried: bool) -> Attempt<Reply, ApiError> {
        let started = Instant::now();
        let mut builder = self
            .http
            .request(call.method.clone(), call.url.clone())
            .header(header::ACCEPT, call.accept);
        if let Some(token) = call.bearer {
            builder = builder.bearer_auth(token.expose());
        }
        if let Some(body) = call.body {
            builder = builder.json(body);
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(error) => {
                tracing::debug!(request = %call.what, %error, "request failed");
                return ApiError::transport_attempt(&error);
            }
        };
        let status = response.status();
        let retry_after = ApiError::retry_after(&response);
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = match http::read_body(response, MAX_RESPONSE_BYTES).await {
            Ok(body) => Bytes::from(body),
            Err(BodyError::Transport(error)) => return ApiError::transport_attempt(&error),
            Err(too_large) => {
                return Attempt::Failed(ApiError::Unexpected {
                    request: call.what.clone(),
                    reason: too_large.to_string(),
                });
            }
        };
        tracing::debug!(
            request = %call.what,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            retried,
        );
        if status.is_success() {
            return Attempt::Done(Reply { location, body });
        }
        let error = ApiError::Status {
            request: call.what.clone(),
            status: status.as_u16(),
            message: error_message(&body),
            retried,
        };
        if retry::retryable_status(status.as_u16()) {
            // A 429 is turned away before any work is done.
            let unsent = status == StatusCode::TOO_MANY_REQUESTS;
            return Attempt::Transient {
                error,
                retry_after,
                unsent,
            };
        }
        Attempt::Failed(error)
    }

    /// GET as JSON.
    pub async fn get(&self, path: &[&str], query: &[(&str, &str)]) -> Result<Value, ApiError> {
        let request = Request::new(Method::GET, path).query(query);
        self.send(&request).await?.json(&request)
    }

    /// GET as JSON; a 404 is `None`.
    pub async fn get_optional(&self, path: &[&str]) -> Result<Option<Value>, ApiError> {
        match self.get(path, &[]).await {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Every element of a list endpoint, page by page.
    pub async fn list(
        &self,
        path: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Vec<Value>, ApiError> {
        let mut all = Vec::new();
        loop {
            let first = all.len().to_string();
            let max = PAGE_SIZE.to_string();
            let mut paged = query.to_vec();
            paged.extend([("first", first.as_str()), ("max", max.as_str())]);
            let page = match self.get(path, &paged).await? {
                Value::Array(page) => page,
                _ => {
                    return Err(ApiError::Unexpected {
                        request: format!("GET /{}", path.join("/")),
                        reason: "not a JSON array".into(),
                    });
                }
            };
            let last = page.len() < PAGE_SIZE;
            all.extend(page);
            if last {
                return Ok(all);
            }
        }
    }

    /// POSTs a new object; returns its id from `Location`.
    pub async fn create(&self, path: &[&str], body: &Value) -> Result<String, ApiError> {
        let request = Request::new(Method::POST, path).body(body);
        self.send(&request).await?.created_id(&request)
    }

    /// POST that creates nothing addressable (role mappings, flow copies are `create`).
    pub async fn post(&self, path: &[&str], body: &Value) -> Result<Reply, ApiError> {
        self.send(&Request::new(Method::POST, path).body(body))
            .await
    }

    pub async fn put(&self, path: &[&str], body: &Value) -> Result<(), ApiError> {
        self.send(&Request::new(Method::PUT, path).body(body))
            .await
            .map(drop)
    }

    /// DELETE; something already gone counts as deleted.
    pub async fn delete(&self, path: &[&str], body: Option<&Value>) -> Result<(), ApiError> {
        let mut request = Request::new(Method::DELETE, path);
        request.body = body;
        match self.send(&request).await {
            Err(error) if error.is_not_found() => Ok(()),
            other => other.map(drop),
        }
    }
}
