//! The Twilio facade: REST API 2010-04-01 as the official SDKs call it. Handlers decode the
//! request, call one core function and encode Twilio's answer.

pub mod accounts;
pub mod auth;
pub mod calls;
pub mod error;
pub mod incoming_phone_numbers;
pub mod keys;
pub mod media;
pub mod messages;
pub mod params;
pub mod recordings;
pub mod resources;
pub mod seed;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::core::Core;

/// What the Twilio facade's handlers share: the core, and the one seed setting the facade
/// itself answers with.
pub struct TwilioState {
    pub core: Arc<Core>,
    /// The config's `provider` (`twilio`), echoed by the seed's `/health`.
    pub provider: String,
    /// The control plane's token (`control.token`), when one is set: the seed's `/clear`
    /// then needs it, or a tenant's own credentials (see [`Core::tenant_for_clear`]).
    pub control_token: Option<Arc<str>>,
}

/// Twilio's REST API and the seed's routes, ready to merge into the server's router.
pub fn router(state: Arc<TwilioState>) -> Router {
    routes().merge(seed::routes()).with_state(state)
}

fn routes() -> Router<Arc<TwilioState>> {
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
            get(media::fetch).delete(media::delete),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Calls.json",
            get(calls::list).post(calls::create),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Calls/{call}",
            get(calls::fetch).post(calls::update).delete(calls::delete),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Calls/{call}/Recordings.json",
            get(recordings::list_for_call),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Calls/{call}/Recordings/{recording}",
            get(recordings::fetch_for_call).delete(recordings::delete_for_call),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Recordings.json",
            get(recordings::list),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Recordings/{recording}",
            get(recordings::fetch).delete(recordings::delete),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Keys.json",
            get(keys::list).post(keys::create),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Keys/{key}",
            get(keys::fetch).post(keys::update).delete(keys::delete),
        )
        .route(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json",
            get(incoming_phone_numbers::list).post(incoming_phone_numbers::create),
        )
        .route(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/Local.json",
            get(incoming_phone_numbers::list_local).post(incoming_phone_numbers::create_local),
        )
        .route(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/Mobile.json",
            get(incoming_phone_numbers::list_mobile).post(incoming_phone_numbers::create_mobile),
        )
        .route(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/TollFree.json",
            get(incoming_phone_numbers::list_toll_free)
                .post(incoming_phone_numbers::create_toll_free),
        )
        .route(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/{number}",
            get(incoming_phone_numbers::fetch)
                .post(incoming_phone_numbers::update)
                .delete(incoming_phone_numbers::delete),
        )
}
