//! The dashboard: a person's live view of what mockingbird saw — messages, calls and every
//! webhook attempt, tenant by tenant — served as HTML pages rendered on the server (askama
//! templates in `templates/`) with a little JavaScript that follows the event log over
//! Server-Sent Events.
//!
//! A facade like the others: it reads through the core's queries and the event log and changes
//! state only through the core's operations (clear, redeliver, redact, the simulated user's
//! and caller's acts), the ones the API and the control plane call. Every value that came from
//! an app or a user is escaped by askama; the pages run no inline script or style, so the
//! Content-Security-Policy can forbid both.
//!
//! - `pages`: the frame every page shares, the tenant a request names, list pages and filters.
//! - `overview`, `messages`, `calls`, `conversations`, `callbacks`, `tenants`, `simulator`: a
//!   file a section; `view` turns the core's records into what templates print, `chart` draws.
//! - `live`: the Server-Sent Events stream; `export`: the JSON downloads.
//! - `guard`: the token, the same-site check and the security headers; `assets`: CSS, script,
//!   icon; `error`: the one error, as a page.

mod assets;
mod callbacks;
mod calls;
mod chart;
mod conversations;
mod error;
mod export;
mod guard;
mod live;
mod messages;
mod overview;
mod pages;
mod simulator;
mod tenants;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{any, get, post};
use tokio_util::sync::CancellationToken;

use crate::core::Core;
pub use view::Zone;

/// What the dashboard's handlers share.
pub struct DashboardState {
    pub core: Arc<Core>,
    /// `dashboard.token`: every page asks for it when set.
    pub token: Option<Arc<str>>,
    /// `server.timezone`: the zone the pages show times in.
    pub zone: Zone,
    /// Ends the live streams, which would otherwise hold a graceful shutdown open.
    pub shutdown: CancellationToken,
}

/// The dashboard's pages, ready to merge into the server's router.
pub fn router(state: Arc<DashboardState>) -> Router {
    Router::new()
        .route("/", get(overview::overview))
        .route("/ui", get(overview::overview))
        .route("/ui/messages", get(messages::messages))
        .route("/ui/messages/{sid}", get(messages::message))
        .route("/ui/messages/{sid}/row", get(messages::message_row))
        .route("/ui/messages/{sid}/redact", post(messages::redact))
        .route("/ui/messages/{sid}/delete", post(messages::delete))
        .route("/ui/calls", get(calls::calls))
        .route("/ui/calls/{sid}", get(calls::call))
        .route("/ui/calls/{sid}/row", get(calls::call_row))
        .route("/ui/calls/{sid}/hand", post(simulator::hand))
        .route("/ui/conversations", get(conversations::list))
        .route("/ui/conversations/thread", get(conversations::thread))
        .route("/ui/conversations/bubbles", get(conversations::bubbles))
        .route("/ui/tenants", get(tenants::page))
        .route("/ui/simulator", get(simulator::page))
        .route("/ui/simulator/sms", post(simulator::sms))
        .route("/ui/simulator/whatsapp", post(simulator::whatsapp))
        .route("/ui/simulator/call", post(simulator::call))
        .route("/ui/callbacks", get(callbacks::callbacks))
        .route("/ui/callbacks/{id}/redeliver", post(callbacks::redeliver))
        .route(
            "/ui/clear",
            get(overview::confirm_clear).post(overview::clear),
        )
        .route("/ui/live", get(live::stream))
        .route("/ui/export/{file}", get(export::download))
        .route("/ui/assets/{file}", get(assets::serve))
        // Not a fallback: the server's fallback answers every other path as a provider would.
        .route("/ui/{*rest}", any(error::unknown_page))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            guard::guard,
        ))
        .with_state(state)
}

/// The paths the dashboard answers: `/` and everything under `/ui` (the seed's page paths).
pub fn is_dashboard_path(path: &str) -> bool {
    path == "/" || path == "/ui" || path.starts_with("/ui/")
}
