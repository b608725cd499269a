//! The WhatsApp Business Cloud API facade (Meta's Graph API), as bots call it with a base URL
//! from their own config: `POST /{version}/{phone-number-id}/messages`, media, the business
//! number and its edges (profile, settings, blocked users, QR codes, registration), the WABA's
//! templates and phone numbers, and the seed's proxy (`POST /webhook`). Every Graph path is
//! served with and without its version; every POST's parameters are read once, whatever their
//! encoding (`params`). Handlers decode the request, call one core function and encode Meta's
//! answer; every error leaves in Meta's envelope.

pub mod auth;
pub mod block_users;
pub mod business_profile;
pub mod error;
pub mod listing;
pub mod media;
pub mod messages;
pub mod number_settings;
pub mod params;
pub mod payload;
pub mod phone_numbers;
pub mod proxy;
pub mod qr_codes;
pub mod templates;

use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};

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

/// A Graph path's object: the id right after the optional version (a phone-number id, a WABA
/// id, a media id). Every Graph route names it `id`, with or without `/{version}` before it.
#[derive(Debug, serde::Deserialize)]
pub struct GraphObject {
    pub id: String,
}

fn routes() -> Router<Arc<WhatsAppState>> {
    // Graph serves every path with and without the version prefix (without it, the latest
    // version answers): each route is registered both ways. The seed's own routes are static
    // segments, which the router prefers to `{id}`, and `check_version` keeps unversioned
    // routes to numeric ids, as Meta's are, so `/health` or `/clear/all` never reach them.
    let graph: Vec<(&str, MethodRouter<Arc<WhatsAppState>>)> = vec![
        ("/{id}/messages", post(messages::send)),
        (
            "/{id}/media",
            post(media::upload).layer(axum::extract::DefaultBodyLimit::max(media::MAX_UPLOAD_BODY)),
        ),
        ("/{id}", get(fetch_object).delete(media::delete)),
        (
            "/{id}/whatsapp_business_profile",
            get(business_profile::fetch).post(business_profile::update),
        ),
        (
            "/{id}/block_users",
            get(block_users::list)
                .post(block_users::block)
                .delete(block_users::unblock),
        ),
        ("/{id}/phone_numbers", get(phone_numbers::list)),
        (
            "/{id}/message_qrdls",
            get(qr_codes::list).post(qr_codes::put),
        ),
        (
            "/{id}/message_qrdls/{code}",
            get(qr_codes::fetch).delete(qr_codes::delete),
        ),
        (
            "/{id}/settings",
            get(number_settings::fetch).post(number_settings::update),
        ),
        ("/{id}/register", post(phone_numbers::register)),
        ("/{id}/deregister", post(phone_numbers::deregister)),
        (
            "/{id}/message_templates",
            get(templates::list)
                .post(templates::create)
                .delete(templates::delete),
        ),
    ];
    let mut router = Router::new();
    for (path, method_router) in graph {
        router = router
            .route(&format!("/{{version}}{path}"), method_router.clone())
            .route(path, method_router);
    }
    router
        .route_layer(middleware::from_fn(check_version))
        .route("/webhook", post(proxy::forward))
        .route("/whatsapp/media/{media_id}", get(media::download))
}

/// A Graph route's first segment must be what the route takes it for: a version such as
/// `v23.0` before the object, or, on an unversioned route, a numeric object id. Anything else
/// (`/2010-04-01/Foo`, `/favicon.ico`) is not a Graph path: a bare 404, which the server's
/// envelope renders as it renders any path no facade serves.
async fn check_version(request: Request, next: Next) -> Response {
    let versioned = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|matched| matched.as_str().starts_with("/{version}"));
    let first = request
        .uri()
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("");
    let fits = if versioned {
        meta::is_version(first)
    } else {
        is_graph_id(first)
    };
    if !fits {
        return StatusCode::NOT_FOUND.into_response();
    }
    next.run(request).await
}

/// A query parameter, decoded (Graph takes `access_token`, `phone_number_id`, and an upload's
/// `messaging_product` and `type` in the query too).
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Whether a path is the Graph API's: its first segment is a version such as `v23.0`, or a
/// Graph object id (digits) on a path without a version.
pub fn is_graph_path(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    meta::is_version(first) || is_graph_id(first)
}

/// Graph object ids are numeric (`106540352242922`).
fn is_graph_id(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

/// `GET /{version}/{id}`: a business phone number, or a media object's download URL.
async fn fetch_object(
    state: State<Arc<WhatsAppState>>,
    Path(GraphObject { id: object_id }): Path<GraphObject>,
    query: RawQuery,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    if state.core.whatsapp_tenant(&object_id).is_none() {
        return media::retrieve(state, object_id, query, headers).await;
    }
    let tenant = auth::tenant_for_number_edge(
        &state,
        &object_id,
        &axum::http::Method::GET,
        &headers,
        query.0.as_deref(),
    )?;
    Ok(phone_numbers::fetch(&tenant, query.0.as_deref()))
}
