//! The seed's operational routes: `GET /health`, `POST /clear/{what}` and the
//! `POST /callback-test` sink.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, header};
use axum::routing::{get, post};
use axum::{Router, response::IntoResponse};
use serde_json::{Map, Value, json};

use super::TwilioState;
use super::auth::basic_credentials;
use super::error::TwilioError;
use super::params::{self, Params};
use crate::core::CoreError;
use crate::core::access::ClearRequest;
use crate::core::store::ClearWhat;
use crate::core::time;

pub(super) fn routes() -> Router<Arc<TwilioState>> {
    Router::new()
        .route("/health", get(health))
        .route("/clear/{what}", post(clear))
        .route("/callback-test", post(callback_test))
}

/// The seed's health document, with more: tenants, pending jobs, the event log's position.
async fn health(State(state): State<Arc<TwilioState>>) -> Result<impl IntoResponse, TwilioError> {
    let core = &state.core;
    let health = core.health().await?;
    let now = time::wall_now();
    Ok(Json(json!({
        "status": "healthy",
        "version": env!("CARGO_PKG_VERSION"),
        "provider": state.provider,
        "timestamp": time::iso8601(now),
        "statistics": health.counts,
        "uptime_seconds": (now - core.started_at()) / 1000,
        "tenants": health.tenants,
        "pending_jobs": health.pending_jobs,
        "event_sequence": health.event_sequence,
    })))
}

/// Clear stored data: every tenant's, or one tenant's (Basic credentials, `?AccountSid=AC…`).
/// Without a control token configured, as the seed did: no credentials clear every tenant. With
/// one, `Authorization: Bearer <token>` or the tenant's own credentials are needed (the core
/// decides: [`crate::core::Core::tenant_for_clear`]).
async fn clear(
    State(state): State<Arc<TwilioState>>,
    Path(what): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<impl IntoResponse, TwilioError> {
    let what = match what.as_str() {
        "messages" => ClearWhat::Messages,
        "calls" => ClearWhat::Calls,
        "callbacks" => ClearWhat::Callbacks,
        "all" => ClearWhat::All,
        _ => return Err(TwilioError::not_found(uri.path())),
    };
    let query = params::query(&uri)?;
    let credentials = basic_credentials(&headers);
    let request = ClearRequest {
        bearer: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ")),
        credentials: credentials.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
        account_sid: query.non_empty("AccountSid"),
    };
    let tenant = match state
        .core
        .tenant_for_clear(state.control_token.as_deref(), request)
    {
        Err(CoreError::NotFound) => return Err(TwilioError::not_found(uri.path())),
        other => other?,
    };
    let cleared = state.core.clear(tenant.as_deref(), what).await?;
    Ok(Json(match what {
        ClearWhat::Messages => json!({"deleted": cleared.messages, "type": "messages"}),
        ClearWhat::Calls => json!({"deleted": cleared.calls, "type": "calls"}),
        ClearWhat::Callbacks => json!({"deleted": cleared.callbacks, "type": "callbacks"}),
        ClearWhat::All => json!({"deleted": cleared, "type": "all"}),
    }))
}

/// A sink for callbacks during local testing: echoes what it received (form fields, or a JSON
/// body as it was).
async fn callback_test(headers: HeaderMap, body: Bytes) -> Result<impl IntoResponse, TwilioError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let data = if is_json {
        serde_json::from_slice(&body).unwrap_or(Value::Object(Map::new()))
    } else {
        let params = Params::parse(&body)?;
        Value::Object(
            params
                .0
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    };
    tracing::info!(target: "mockingbird::callback_test", %data, "callback received");
    Ok(Json(json!({"status": "received", "data": data})))
}
