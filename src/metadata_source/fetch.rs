//! Fetching partner metadata from an https URL, under the same TLS rules as the admin client
//! ([`crate::http`]). Unlike the admin client it follows redirects (metadata often moves to a
//! CDN), but only to URLs the same rules accept, since no credential travels with it — and a
//! fetch that was https never continues over plain http, whatever `--allow-insecure-http`
//! allows for URLs given as http: the user asked for a protected transfer.
//! Transient failures (429, 5xx, transport errors) are retried with the admin client's policy.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::header;
use url::Url;

use crate::http::retry::{self, Attempt, Replay, RetryPolicy};
use crate::http::transport_reason;
use crate::http::{self, BodyError, HttpSetupError};

/// Federation aggregates run to tens of megabytes (InCommon: about 60 MB); anything far
/// larger is not metadata, and is not held in memory.
pub const MAX_METADATA_BYTES: u64 = 512 * 1024 * 1024;

const MAX_REDIRECTS: usize = 5;

const SAML_METADATA: &str = "application/samlmetadata+xml, application/xml, text/xml";

/// How metadata URLs are fetched (`--ca-cert`, `--allow-insecure-http`, `--timeout`).
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    pub ca_cert: Option<PathBuf>,
    pub allow_insecure_http: bool,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Setup(#[from] HttpSetupError),
    #[error("the server answered HTTP {status}")]
    Status { status: u16 },
    #[error("{0}")]
    Transport(String),
    #[error("larger than {} MB; this is not metadata", MAX_METADATA_BYTES / (1024 * 1024))]
    TooLarge,
}

pub struct Fetcher {
    client: reqwest::Client,
    allow_insecure_http: bool,
}

impl Fetcher {
    pub fn new(options: &FetchOptions) -> Result<Fetcher, HttpSetupError> {
        let allow_insecure_http = options.allow_insecure_http;
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else if attempt.url().scheme() != "https"
                && attempt.previous().iter().any(|url| url.scheme() == "https")
            {
                let to = attempt.url().to_string();
                attempt.error(format!(
                    "redirected to {to}: an https fetch is never redirected to plain http"
                ))
            } else if let Err(refused) = http::check_scheme(attempt.url(), allow_insecure_http) {
                let to = attempt.url().to_string();
                attempt.error(format!("redirected to {to}: {refused}"))
            } else {
                attempt.follow()
            }
        });
        let builder =
            http::client_builder(options.ca_cert.as_deref(), options.timeout)?.redirect(redirects);
        Ok(Fetcher {
            client: http::build(builder)?,
            allow_insecure_http,
        })
    }

    /// The SAML metadata at `url`, retried when the failure is transient.
    pub async fn get(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
        self.get_as(url, SAML_METADATA).await
    }

    /// The body at `url` in one of the `accept`ed media types (Keycloak answers 406 to a
    /// discovery request that accepts XML only).
    pub async fn get_as(&self, url: &Url, accept: &str) -> Result<Vec<u8>, FetchError> {
        http::check_scheme(url, self.allow_insecure_http)?;
        retry::with_retries(RetryPolicy::default(), Replay::Always, async |_| {
            self.attempt(url, accept).await
        })
        .await
    }

    async fn attempt(&self, url: &Url, accept: &str) -> Attempt<Vec<u8>, FetchError> {
        let request = self.client.get(url.clone()).header(header::ACCEPT, accept);
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return transport(&error),
        };
        let status = response.status().as_u16();
        if retry::retryable_status(status) {
            let retry_after = response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(retry::parse_retry_after);
            return Attempt::Transient {
                error: FetchError::Status { status },
                retry_after,
                unsent: false,
            };
        }
        if !response.status().is_success() {
            return Attempt::Failed(FetchError::Status { status });
        }
        match http::read_body(response, MAX_METADATA_BYTES).await {
            Ok(body) => Attempt::Done(body),
            Err(BodyError::TooLarge { .. }) => Attempt::Failed(FetchError::TooLarge),
            Err(BodyError::Transport(error)) => transport(&error),
        }
    }
}

/// A transport failure; retried unless a redirect was refused.
fn transport(error: &reqwest::Error) -> Attempt<Vec<u8>, FetchError> {
    let failed = FetchError::Transport(transport_reason(error));
    if error.is_redirect() {
        return Attempt::Failed(failed);
    }
    Attempt::Transient {
        error: failed,
        retry_after: None,
        unsent: error.is_connect(),
    }
}
