//! Test controls under `/_sim/` (no authentication, never faulted or counted).

use crate::app::App;
use crate::faults::Faults;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/_sim/requests", get(counts).delete(reset_counts))
        .route(
            "/_sim/faults",
            get(get_faults).post(set_faults).delete(clear_faults),
        )
}

async fn counts(State(app): State<Arc<App>>) -> Response {
    Json(app.counts().clone()).into_response()
}

async fn reset_counts(State(app): State<Arc<App>>) -> StatusCode {
    *app.counts() = Default::default();
    StatusCode::NO_CONTENT
}

async fn get_faults(State(app): State<Arc<App>>) -> Response {
    Json(app.faults.get()).into_response()
}

async fn set_faults(State(app): State<Arc<App>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(f) => {
            app.faults.set(f.clone());
            Json(f).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": e.to_string() })),
        )
            .into_response(),
    }
}

async fn clear_faults(State(app): State<Arc<App>>) -> StatusCode {
    app.faults.set(Faults::default());
    StatusCode::NO_CONTENT
}
