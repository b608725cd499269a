//! The Twilio facade: REST API 2010-04-01 as the official SDKs call it. Handlers decode the
//! request, call one core function and encode Twilio's answer.

pub mod accounts;
pub mod auth;
pub mod error;
pub mod keys;
pub mod media;
pub mod messages;
pub mod params;
pub mod resources;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::server::AppState;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/2010-04-01/Accounts.json",
            get(accounts::list).post(accounts::create),
        )
        .route(
            "/2010-04-01/Accounts/{account}",
            get(accounts::fetch).post(accounts::update),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            get(messages::list).post(messages::create),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Messages/{message}",
            get(messages::fetch)
                .post(messages::update)
                .delete(messages::delete),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Messages/{message}/Media.json",
            get(media::list),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Messages/{message}/Media/{media}",
            get(media::fetch),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Keys.json",
            get(keys::list).post(keys::create),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Keys/{key}",
            get(keys::fetch).post(keys::update).delete(keys::delete),
        )
}
