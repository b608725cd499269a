//! The Account resource and subaccounts: <https://www.twilio.com/docs/iam/api/account>.
//! Each subaccount is a tenant of its own, isolated from its parent's data; the parent's
//! credentials may act on it, as on Twilio.

use std::sync::Arc;

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::TwilioState;
use super::auth;
use super::error::TwilioError;
use super::params::{self, Form};
use super::resources::{self, AccountResource};
use crate::core::tenants::AccountStatus;

/// Create a subaccount: `POST /2010-04-01/Accounts.json`.
pub async fn create(
    State(state): State<Arc<TwilioState>>,
    headers: HeaderMap,
    Form(params): Form,
) -> Result<Response, TwilioError> {
    let caller = auth::caller(&state.core, &headers)?;
    let tenant = state
        .core
        .create_account(
            params.non_empty("FriendlyName").map(str::to_owned),
            Some(&caller.sid()),
            None,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AccountResource::from(&tenant.account())),
    )
        .into_response())
}

/// List the caller's account and its subaccounts: `GET /2010-04-01/Accounts.json`.
pub async fn list(
    State(state): State<Arc<TwilioState>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, TwilioError> {
    let caller = auth::caller(&state.core, &headers)?;
    let params = params::query(&uri)?;
    let paging = resources::paging(&params)?;
    let status = params.non_empty("Status");
    let name = params.non_empty("FriendlyName");
    let accounts: Vec<_> = state
        .core
        .accounts_visible_to(&caller.sid())
        .into_iter()
        .filter(|a| status.is_none_or(|s| a.status.as_str() == s))
        .filter(|a| name.is_none_or(|n| a.friendly_name == n))
        .collect();
    Ok(Json(resources::memory_page(
        uri.path(),
        resources::filters(&params),
        "accounts",
        &accounts,
        &paging,
        |item| &item.sid,
        AccountResource::from,
    ))
    .into_response())
}

/// Fetch an account: `GET /2010-04-01/Accounts/{Sid}.json`.
pub async fn fetch(
    State(state): State<Arc<TwilioState>>,
    Path(file): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, TwilioError> {
    let sid = account_sid(&file, uri.path())?;
    let tenant = auth::tenant(&state.core, &headers, sid, uri.path()).await?;
    Ok(Json(AccountResource::from(&tenant.account())).into_response())
}

/// Update an account: `POST /2010-04-01/Accounts/{Sid}.json` with FriendlyName or Status.
pub async fn update(
    State(state): State<Arc<TwilioState>>,
    Path(file): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Form(params): Form,
) -> Result<Response, TwilioError> {
    let sid = account_sid(&file, uri.path())?;
    let tenant = auth::tenant(&state.core, &headers, sid, uri.path()).await?;
    let status = params
        .non_empty("Status")
        .map(|raw| {
            AccountStatus::parse(raw).ok_or_else(|| {
                TwilioError::bad_request(
                    20001,
                    format!("Status {raw} is not one of active, suspended, closed"),
                )
            })
        })
        .transpose()?;
    let account = state
        .core
        .update_account(
            &tenant,
            params.non_empty("FriendlyName").map(str::to_owned),
            status,
        )
        .await?;
    Ok(Json(AccountResource::from(&account)).into_response())
}

fn account_sid<'a>(file: &'a str, path: &str) -> Result<&'a str, TwilioError> {
    file.strip_suffix(".json")
        .ok_or_else(|| TwilioError::not_found(path))
}
