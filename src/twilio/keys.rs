//! API keys: <https://www.twilio.com/docs/iam/api-keys/key-resource-v2010>. A key's SID and
//! secret authenticate as its account; the secret is shown once, in the answer to create.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::TwilioState;
use super::auth::Scope;
use super::error::TwilioError;
use super::params::{self, Form};
use super::resources;
use crate::core::CoreError;
use crate::core::tenants::ApiKey;
use crate::core::time::rfc2822;

#[derive(Serialize)]
struct KeyResource {
    sid: String,
    friendly_name: String,
    date_created: String,
    date_updated: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl KeyResource {
    fn new(key: &ApiKey, with_secret: bool) -> Self {
        KeyResource {
            sid: key.sid.clone(),
            friendly_name: key.friendly_name.clone(),
            date_created: rfc2822(key.created_at),
            date_updated: rfc2822(key.updated_at),
            secret: with_secret.then(|| key.secret.clone()),
        }
    }
}

/// Create a key: `POST /2010-04-01/Accounts/{AccountSid}/Keys.json` → 201 with its secret.
pub async fn create(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
    Form(params): Form,
) -> Result<Response, TwilioError> {
    let tenant = &scope.tenant;
    let name = params.non_empty("FriendlyName").map(str::to_owned);
    let key = state.core.create_api_key(tenant, name).await?;
    Ok((StatusCode::CREATED, Json(KeyResource::new(&key, true))).into_response())
}

/// List keys: `GET /2010-04-01/Accounts/{AccountSid}/Keys.json`, oldest first.
pub async fn list(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let (tenant, uri) = (&scope.tenant, &scope.uri);
    let paging = resources::paging(&params::query(uri)?)?;
    let keys = state.core.api_keys(&tenant.sid());
    Ok(Json(resources::memory_page(
        uri.path(),
        Vec::new(),
        "keys",
        &keys,
        &paging,
        |item| &item.sid,
        |k| KeyResource::new(k, false),
    ))
    .into_response())
}

/// Fetch a key (without its secret): `GET …/Keys/{Sid}.json`.
pub async fn fetch(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let (tenant, uri, file) = (&scope.tenant, &scope.uri, scope.param(0));
    let key = state
        .core
        .api_key(tenant, key_sid(file))
        .map_err(|e| at(e, uri.path()))?;
    Ok(Json(KeyResource::new(&key, false)).into_response())
}

/// Rename a key: `POST …/Keys/{Sid}.json` with `FriendlyName`.
pub async fn update(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
    Form(params): Form,
) -> Result<Response, TwilioError> {
    let (tenant, uri, file) = (&scope.tenant, &scope.uri, scope.param(0));
    let sid = key_sid(file);
    let key = match params.get("FriendlyName") {
        Some(name) => {
            state
                .core
                .rename_api_key(tenant, sid, name.to_owned())
                .await
        }
        None => state.core.api_key(tenant, sid),
    }
    .map_err(|e| at(e, uri.path()))?;
    Ok(Json(KeyResource::new(&key, false)).into_response())
}

/// Revoke a key: `DELETE …/Keys/{Sid}.json` → 204.
pub async fn delete(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let (tenant, uri, file) = (&scope.tenant, &scope.uri, scope.param(0));
    state
        .core
        .delete_api_key(tenant, key_sid(file))
        .await
        .map_err(|e| at(e, uri.path()))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn key_sid(file: &str) -> &str {
    file.strip_suffix(".json").unwrap_or_default()
}

fn at(error: CoreError, path: &str) -> TwilioError {
    match error {
        CoreError::NotFound => TwilioError::not_found(path),
        other => other.into(),
    }
}
