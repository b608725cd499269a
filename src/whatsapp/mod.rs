//! The WhatsApp Business Cloud API facade (Meta's Graph API), as bots call it with a base URL
//! from their own config: `POST /{version}/{phone-number-id}/messages`, media, the business
//! number, and the seed's proxy (`POST /webhook`). Handlers decode the request, call one core
//! function and encode Meta's answer; every error leaves in Meta's envelope.

pub mod auth;
pub mod error;
pub mod media;
pub mod messages;
pub mod payload;
pub mod proxy;

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::core::Core;
use crate::providers::meta;
use error::GraphError;

/// What the Graph facade's handlers share: the core, and where media download URLs point.
pub struct WhatsAppState {
    pub core: Arc<Core>,
    /// `whatsapp.media_base_url`: the scheme, host and port of download URLs, for apps that
    /// reach the mock under another name. Unset, URLs name the host the request came to.
    pub media_base_url: Option<String>,
    /// The server's configured address, for a request without a `Host` header (HTTP/2).
    pub server_address: String,
}

/// The Cloud API and the seed's proxy, ready to merge into the server's router.
pub fn router(state: Arc<WhatsAppState>) -> Router {
    routes().with_state(state)
}

fn routes() -> Router<Arc<WhatsAppState>> {
    Router::new()
        .route("/webhook", post(proxy::forward))
        .route(
            "/{version}/{phone_number_id}/messages",
            post(messages::send),
        )
        .route(
            "/{version}/{phone_number_id}/media",
            post(media::upload).layer(axum::extract::DefaultBodyLimit::max(media::MAX_UPLOAD_BODY)),
        )
        .route(
            "/{version}/{object_id}",
            get(fetch_object).delete(media::delete),
        )
        .route("/whatsapp/media/{media_id}", get(media::download))
}

/// A query parameter, decoded (Graph takes `access_token`, `phone_number_id`, and an upload's
/// `messaging_product` and `type` in the query too).
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Whether a path is the Graph API's: its first segment is a version such as `v23.0`.
pub fn is_graph_path(path: &str) -> bool {
    meta::is_version(path.trim_start_matches('/').split('/').next().unwrap_or(""))
}

/// `GET /{version}/{id}`: a business phone number, or a media object's download URL.
async fn fetch_object(
    state: State<Arc<WhatsAppState>>,
    Path((version, object_id)): Path<(String, String)>,
    query: RawQuery,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    if !is_graph_path(&format!("/{version}")) {
        return Err(GraphError::unknown_path(&format!("/{version}/{object_id}")));
    }
    if state.core.whatsapp_tenant(&object_id).is_none() {
        return media::retrieve(state, object_id, query, headers).await;
    }
    let tenant = auth::tenant_for_number(&state, &object_id, &headers, query.0.as_deref())?;
    let identity = tenant.account().whatsapp;
    Ok(Json(json!({
        "verified_name": tenant.account().friendly_name,
        "code_verification_status": "VERIFIED",
        "display_phone_number": identity.display_phone_number,
        "quality_rating": "GREEN",
        "platform_type": "CLOUD_API",
        "throughput": { "level": "STANDARD" },
        "id": identity.phone_number_id,
    }))
    .into_response())
}
