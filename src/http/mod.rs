//! The TLS and transport rules every HTTP request of fedctl follows, whether it goes to the
//! Keycloak admin API or fetches a partner's metadata: certificate verification always on
//! (extra CAs may be added, never removed), plain http only to this machine unless the user
//! explicitly allows it, connect and whole-request timeouts; bodies read with a size cap;
//! transport failures described the same way; and when to retry ([`retry`]).

pub mod retry;

use std::path::Path;
use std::time::Duration;

use url::Url;

/// Why a URL or an HTTP client is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpSetupError {
    #[error(
        "plain http is refused except to localhost; use https, or --allow-insecure-http if you \
         accept that the exchange crosses the network in clear"
    )]
    InsecureHttp,
    #[error("unsupported scheme {0} (https is required)")]
    Scheme(String),
    #[error("CA certificate file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("cannot set up HTTPS: {0}")]
    Client(String),
}

/// Why a response body was not read to its end.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the answer is larger than {}", size(*limit))]
    TooLarge { limit: u64 },
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
}

/// `bytes` for people: `512 MB`, `1 MB`, `640 bytes`.
fn size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The body of `response`, refused as soon as it is known to exceed `limit` bytes (from
/// `Content-Length`, else while streaming), so a hostile or broken server cannot make
/// fedctl hold more than `limit` in memory.
pub async fn read_body(mut response: reqwest::Response, limit: u64) -> Result<Vec<u8>, BodyError> {
    let too_large = BodyError::TooLarge { limit };
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_large);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Checks the scheme of `url`: https anywhere, http only to a loopback address unless
/// `allow_insecure_http`.
pub fn check_scheme(url: &Url, allow_insecure_http: bool) -> Result<(), HttpSetupError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || crate::url_rule::is_loopback(url) => Ok(()),
        "http" => Err(HttpSetupError::InsecureHttp),
        other => Err(HttpSetupError::Scheme(other.to_owned())),
    }
}

/// A client builder with fedctl's user agent, timeouts and trust store: the platform's roots
/// plus the certificates of `ca_cert` (PEM). Callers choose the redirect policy.
pub fn client_builder(
    ca_cert: Option<&Path>,
    timeout: Duration,
) -> Result<reqwest::ClientBuilder, HttpSetupError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("fedctl/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeout)
        .timeout(timeout);
    if let Some(path) = ca_cert {
        builder = builder.tls_certs_merge(read_ca_bundle(path)?);
    }
    Ok(builder)
}

/// Builds the client, naming what went wrong.
pub fn build(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, HttpSetupError> {
    builder
        .build()
        .map_err(|e| HttpSetupError::Client(e.to_string()))
}

fn read_ca_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, HttpSetupError> {
    let bad = |reason: String| HttpSetupError::CaFile {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no PEM certificate in it".into()));
    }
    Ok(certs)
}

/// What went wrong, with the chain of causes (the useful part is usually the last).
pub fn transport_reason(error: &reqwest::Error) -> String {
    let mut reason = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "the connection failed"
    }
    .to_owned();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let empty = tempfile::NamedTempFile::new().unwrap();
        let refused = client_builder(Some(empty.path()), Duration::from_secs(1));
        assert!(
            matches!(&refused, Err(HttpSetupError::CaFile { reason, .. }) if reason.contains("no PEM")),
            "{:?}",
            refused.err()
        );
    }
}
