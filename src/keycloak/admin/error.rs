//! Failures of admin API requests, before the target turns them into [`TargetError`]s.

use std::time::Duration;

use serde_json::Value;

use crate::http::retry::{self, Attempt};
use crate::http::transport_reason;
use crate::target::TargetError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// Keycloak answered with an error status.
    #[error("{request}: HTTP {status}: {message}")]
    Status {
        request: String,
        status: u16,
        message: String,
        /// An earlier attempt of this request failed in a way that may have taken effect, so
        /// a 409 here may mean "created by that attempt".
        retried: bool,
    },

    /// No usable answer (connection refused or dropped, timeout), after retries.
    /// `connect`: not even a connection could be made.
    #[error("{url}: {reason}")]
    Transport {
        url: String,
        reason: String,
        connect: bool,
    },

    #[error("{0}")]
    Auth(String),

    /// An answer fedctl cannot use (not JSON, no Location header on a 201).
    #[error("{request}: unexpected answer: {reason}")]
    Unexpected { request: String, reason: String },
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// A 409 to a create that was sent more than once: the object is probably ours.
    pub fn is_conflict_after_retry(&self) -> bool {
        matches!(
            self,
            ApiError::Status {
                status: 409,
                retried: true,
                ..
            }
        )
    }

    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// A failed connection is worth retrying; one that never connected certainly did not
    /// reach the server.
    pub fn transport_attempt<T>(error: &reqwest::Error) -> Attempt<T, ApiError> {
        Attempt::Transient {
            error: ApiError::Transport {
                url: error.url().map_or_else(String::new, |url| {
                    let mut url = url.clone();
                    url.set_query(None);
                    url.to_string()
                }),
                reason: transport_reason(error),
                connect: error.is_connect(),
            },
            retry_after: None,
            unsent: error.is_connect(),
        }
    }

    pub fn retry_after(response: &reqwest::Response) -> Option<Duration> {
        response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(retry::parse_retry_after)
    }
}

/// The message of a Keycloak error body: `errorMessage` (ErrorRepresentation) or
/// `error` + `error_description` (OAuth2 shape), else the start of the text.
pub fn error_message(body: &[u8]) -> String {
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        let field = |key: &str| json.get(key).and_then(Value::as_str);
        if let Some(message) = field("errorMessage") {
            return message.to_owned();
        }
        if let Some(error) = field("error") {
            return match field("error_description") {
                Some(description) => format!("{error} ({description})"),
                None => error.to_owned(),
            };
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "no details".into();
    }
    text.chars().take(200).collect()
}

/// Why Keycloak refused, without repeating the status: its global error handler answers
/// `{"error":"HTTP 400 Bad Request"}` when the exception carried no message, and the status
/// line says as much already.
fn refusal_reason(status: u16, message: String) -> String {
    let generic = format!("HTTP {status}");
    if message.starts_with(&generic) || message == "no details" {
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason());
        format!(
            "{} (Keycloak gave no reason)",
            reason.unwrap_or("error").to_lowercase()
        )
    } else {
        message
    }
}

impl From<ApiError> for TargetError {
    fn from(error: ApiError) -> TargetError {
        match error {
            ApiError::Status {
                request,
                status,
                message,
                ..
            } => TargetError::Refused {
                action: request,
                status,
                message: refusal_reason(status, message),
            },
            ApiError::Transport { url, reason, .. } => TargetError::Unreachable { url, reason },
            ApiError::Auth(reason) => TargetError::Auth(reason),
            ApiError::Unexpected { request, reason } => TargetError::Refused {
                action: request,
                status: 0,
                message: reason,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_error_shapes() {
        assert_eq!(
            error_message(br#"{"errorMessage":"Client app1 already exists"}"#),
            "Client app1 already exists"
        );
        assert_eq!(
            error_message(br#"{"error":"unknown_error","error_description":"For more"}"#),
            "unknown_error (For more)"
        );
        assert_eq!(error_message(b""), "no details");
        assert_eq!(error_message(b"Bad Gateway"), "Bad Gateway");
    }

    fn refused(message: &str) -> String {
        TargetError::from(ApiError::Status {
            request: "POST /clients".into(),
            status: 400,
            message: message.into(),
            retried: false,
        })
        .to_string()
    }

    #[test]
    fn a_refusal_says_the_status_once_and_keeps_keycloaks_reason() {
        assert_eq!(
            refused("HTTP 400 Bad Request"),
            "Keycloak refused POST /clients with HTTP 400: bad request (Keycloak gave no reason)"
        );
        assert_eq!(
            refused("invalid_input (Invalid redirect uri)"),
            "Keycloak refused POST /clients with HTTP 400: invalid_input (Invalid redirect uri)"
        );
    }
}
