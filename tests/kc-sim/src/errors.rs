//! Keycloak's two error shapes and the version-dependent bodies of its global
//! exception handler (spec §8.1, §1.2).
//!
//! Handlers return [`ApiError`]; its `IntoResponse` only stores the error in
//! the response extensions. The [`render`] middleware, which knows the
//! configured Keycloak version and the request's `Accept` header, turns it into
//! the final body. This keeps version logic in one place.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Text added by the 24/25 error handler to every body it produces.
const DEBUG_HINT: &str = "For more on this error consult the server log at the debug level.";
/// Text of the 26.x handler for 5xx errors.
const SERVER_HINT: &str = "For more on this error consult the server log.";
/// Text of the 26.x handler for JSON parse errors.
const JSON_HINT: &str = "Cannot parse the JSON";

/// An error answered the way Keycloak answers it.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// `ErrorRepresentation` from `ErrorResponse.exists/error`: `{"errorMessage": ...}`.
    Message(StatusCode, String),
    /// A user-profile validation error: `{"field", "errorMessage", "params": [field, ...]}`
    /// (400); the extra params are the validator's (a length's bounds).
    Validation(String, String, Vec<Value>),
    /// A JAX-RS exception with a message, mapped by the global handler: `{"error": msg}`.
    Jaxrs(StatusCode, String),
    /// `ModelDuplicateException` reaching the global handler (409): `unknown_error`
    /// before 26; 26 names the conflict and gives the exception's message (seen on 26.7).
    ModelDuplicate(&'static str),
    /// Malformed JSON (`invalid_request`).
    JsonSyntax,
    /// Well-formed JSON of the wrong shape or type (`unknown_error`).
    JsonShape,
    /// An uncaught runtime exception: 500. The text is for the log only.
    Server(String),
    /// A failed permission check (body depends on the version, §1.2).
    Forbidden,
    /// An explicit OAuth2 error entity, unchanged by the version (token endpoint).
    OAuth(StatusCode, &'static str, String),
}

impl ApiError {
    pub fn not_found(msg: impl Into<String>) -> Self {
        ApiError::Jaxrs(StatusCode::NOT_FOUND, msg.into())
    }
    pub fn bad_request(msg: impl Into<String>) -> Self {
        ApiError::Jaxrs(StatusCode::BAD_REQUEST, msg.into())
    }
    pub fn conflict(msg: impl Into<String>) -> Self {
        ApiError::Message(StatusCode::CONFLICT, msg.into())
    }
    pub fn unauthorized() -> Self {
        ApiError::Jaxrs(StatusCode::UNAUTHORIZED, "HTTP 401 Unauthorized".into())
    }
    /// `NotFoundException()` without a message.
    pub fn plain_not_found() -> Self {
        ApiError::not_found("HTTP 404 Not Found")
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Message(s, _) | ApiError::Jaxrs(s, _) | ApiError::OAuth(s, _, _) => *s,
            ApiError::ModelDuplicate(_) => StatusCode::CONFLICT,
            ApiError::JsonSyntax | ApiError::JsonShape | ApiError::Validation(..) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Server(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
        }
    }

    /// Whether the global handler produced it (only those become HTML pages).
    fn by_global_handler(&self) -> bool {
        !matches!(
            self,
            ApiError::Message(..) | ApiError::OAuth(..) | ApiError::Validation(..)
        )
    }

    /// The JSON body for the given Keycloak major version.
    pub fn body(&self, version: u8) -> Value {
        match self {
            ApiError::Message(_, m) => json!({ "errorMessage": m }),
            ApiError::Validation(f, m, extra) => {
                let params: Vec<Value> = std::iter::once(json!(f)).chain(extra.clone()).collect();
                json!({ "field": f, "errorMessage": m, "params": params })
            }
            ApiError::OAuth(_, e, d) => json!({ "error": e, "error_description": d }),
            ApiError::Jaxrs(_, m) => handler_body(version, m, None),
            ApiError::ModelDuplicate(m) if version >= 26 => {
                json!({ "error": "conflict", "error_description": m })
            }
            ApiError::ModelDuplicate(_) => handler_body(version, "unknown_error", None),
            ApiError::JsonSyntax => handler_body(version, "invalid_request", Some(JSON_HINT)),
            ApiError::JsonShape => handler_body(version, "unknown_error", Some(JSON_HINT)),
            ApiError::Server(_) => handler_body(version, "unknown_error", Some(SERVER_HINT)),
            ApiError::Forbidden => forbidden_body(version),
        }
    }
}

/// `KeycloakErrorHandler` output: `desc26` is what 26.1+ adds; 24/25 always add
/// the debug hint; 22/23 never add a description.
fn handler_body(version: u8, error: &str, desc26: Option<&str>) -> Value {
    let desc = match version {
        0..=23 => None,
        24 | 25 => Some(DEBUG_HINT),
        _ => desc26,
    };
    match desc {
        Some(d) => json!({ "error": error, "error_description": d }),
        None => json!({ "error": error }),
    }
}

/// 403 bodies by version (§1.2 table; 22 assumed equal to 23).
fn forbidden_body(version: u8) -> Value {
    match version {
        0..=23 => json!({ "error": "unknown_error" }),
        24 => json!({ "error": "unknown_error", "error_description": DEBUG_HINT }),
        25 => json!({ "error": "HTTP 403 Forbidden", "error_description": DEBUG_HINT }),
        _ => json!({ "error": "HTTP 403 Forbidden" }),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        res.extensions_mut().insert(self);
        res
    }
}

/// `MediaTypeMatcher.isHtmlRequest`: the most preferred of `text/html` and
/// `application/json` in the Accept header is HTML.
pub fn wants_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut best: Option<(f32, bool)> = None;
    for part in accept.split(',') {
        let mut it = part.split(';');
        let ty = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let html = match ty.as_str() {
            "text/html" => true,
            "application/json" | "*/*" | "application/*" => false,
            _ => continue,
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, html));
        }
    }
    best.is_some_and(|(_, html)| html)
}

/// Replaces the placeholder response of an [`ApiError`] by its final body.
pub fn render(mut res: Response, version: u8, html: bool) -> Response {
    let Some(err) = res.extensions_mut().remove::<ApiError>() else {
        return res;
    };
    if let ApiError::Server(msg) = &err {
        tracing::error!("Uncaught server error: {msg}");
    }
    let status = err.status();
    if html && err.by_global_handler() {
        return html_page(status);
    }
    let body = serde_json::to_vec(&err.body(version)).unwrap_or_default();
    let mut res = (status, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// The login theme's `error.ftl`, reduced to what a client can observe.
fn html_page(status: StatusCode) -> Response {
    let message = if status == StatusCode::NOT_FOUND {
        "Page not found"
    } else {
        "An internal server error has occurred"
    };
    let page = format!(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>Keycloak</title></head>\n\
         <body>\n<div id=\"kc-error-message\">\n<p class=\"instruction\">We are sorry...</p>\n\
         <p class=\"instruction\">{message}</p>\n</div>\n</body>\n</html>\n"
    );
    let mut res = (status, page).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=utf-8"),
    );
    res
}

pub type ApiResult<T = Response> = Result<T, ApiError>;
