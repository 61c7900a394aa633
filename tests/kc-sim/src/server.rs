//! HTTP plumbing: the router, request counting and fault injection, error
//! rendering, and an accept loop that can drop a connection on purpose.

use crate::app::App;
use crate::errors::{self, ApiError};
use crate::faults::Verdict;
use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;

/// Lets a handler close its connection without answering.
#[derive(Clone)]
struct Connection(Arc<Notify>);

pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .merge(crate::realms::routes())
        .merge(crate::clients::routes())
        .merge(crate::mappers::routes())
        .merge(crate::roles::routes())
        .merge(crate::groups::routes())
        .merge(crate::role_mappings::routes())
        .merge(crate::users::routes())
        .merge(crate::scopes::routes())
        .merge(crate::idps::routes())
        .merge(crate::flows::routes())
        .merge(crate::partial::routes())
        .merge(crate::descriptor::routes())
        .merge(crate::key_providers::routes())
        .route_layer(from_fn_with_state(app.clone(), count_and_fault))
        .fallback(unmatched)
        .method_not_allowed_fallback(not_allowed);
    api.merge(crate::sim::routes())
        .layer(from_fn_with_state(app.clone(), render_errors))
        .with_state(app)
}

/// Unknown paths, as RESTEasy answers them: Keycloak 26 (RESTEasy Reactive) with a
/// plain `NotFoundException` (seen on 26.4.7 and 26.7.3), older releases naming the
/// missing resource method.
async fn unmatched(State(app): State<Arc<App>>, req: Request) -> ApiError {
    app.counts().record(req.method().as_str(), "(unmatched)");
    if app.config.version >= 26 {
        return ApiError::plain_not_found();
    }
    ApiError::not_found("Unable to find matching target resource method")
}

async fn not_allowed() -> ApiError {
    ApiError::Jaxrs(
        StatusCode::METHOD_NOT_ALLOWED,
        "HTTP 405 Method Not Allowed".into(),
    )
}

async fn render_errors(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let html = errors::wants_html(req.headers());
    let res = next.run(req).await;
    errors::render(res, app.config.version, html)
}

/// Counts the request under its route template, then applies faults.
async fn count_and_fault(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str)
        .to_string();
    let method = req.method().as_str().to_string();
    app.counts().record(&method, &template);
    let (delay, verdict) = app.faults.judge(&format!("{method} {template}"));
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match verdict {
        Verdict::Pass => next.run(req).await,
        Verdict::Fail {
            status,
            retry_after,
        } => injected(status, retry_after),
        Verdict::Drop => {
            if let Some(conn) = req.extensions().get::<Connection>() {
                conn.0.notify_one();
            }
            std::future::pending().await
        }
    }
}

/// An injected failure: the status, a JSON body naming it, and `Retry-After`.
fn injected(status: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let text = format!(
        "HTTP {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let mut res = (status, serde_json::json!({ "error": text }).to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(secs) = retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// RESTEasy matches `/admin/realms/` like `/admin/realms`; the official admin
/// client sends such paths (for creates on collection roots).
fn strip_trailing_slash<B>(req: &mut hyper::Request<B>) {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let new = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_string(),
        };
        if let Ok(uri) = new.parse() {
            *req.uri_mut() = uri;
        }
    }
}

/// Serves connections forever (HTTP/1.1 with keep-alive).
pub async fn serve(listener: TcpListener, router: Router) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        tokio::spawn(async move {
            let notify = Arc::new(Notify::new());
            let handle = Connection(notify.clone());
            let svc = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(handle.clone());
                    strip_trailing_slash(&mut req);
                    router.clone().oneshot(req.map(Body::new))
                },
            );
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = notify.notified() => {}
            }
        });
    }
}
