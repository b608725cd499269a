//! Which tenant a Cloud API request acts as: the phone-number id in the path names the business
//! number, and the bearer token (`Authorization: Bearer …`, or Graph's `access_token` query
//! parameter) must be that number's token.

use std::sync::Arc;

use axum::http::HeaderMap;

use super::WhatsAppState;
use super::error::GraphError;
use crate::core::tenants::Tenant;

/// The bearer token a request carries, if any.
pub fn bearer_token(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let from_header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .or_else(|| v.strip_prefix("OAuth "))
        })
        .map(|token| token.trim().to_owned());
    from_header.or_else(|| super::query_param(query, "access_token"))
}

/// The tenant of business number `phone_number_id`, if the token is its own.
pub fn tenant_for_number(
    state: &WhatsAppState,
    phone_number_id: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Arc<Tenant>, GraphError> {
    let token = bearer_token(headers, query);
    let token = token.as_deref();
    let require_auth = state.core.settings.require_auth;
    if require_auth {
        check_token_shape(token)?;
    }
    let Some(tenant) = state.core.whatsapp_tenant(phone_number_id) else {
        // Graph hides objects a token cannot see behind the same answer as missing ones.
        return Err(
            match token.and_then(|t| state.core.tenants.by_access_token(t)) {
                Some(_) => GraphError::unsupported_request("post", phone_number_id),
                None if require_auth => invalid_token(),
                None => GraphError::unsupported_request("post", phone_number_id),
            },
        );
    };
    if require_auth && token != Some(tenant.account().whatsapp.access_token.as_str()) {
        return Err(invalid_token());
    }
    Ok(tenant)
}

/// The tenant a token belongs to (for requests on objects, such as a media id, that do not name
/// the business number). Without `require_auth`, a request with no known token acts as the
/// default tenant.
pub fn tenant_for_token(
    state: &WhatsAppState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Arc<Tenant>, GraphError> {
    let token = bearer_token(headers, query);
    let token = token.as_deref();
    if state.core.settings.require_auth {
        check_token_shape(token)?;
    }
    match token.and_then(|t| state.core.tenants.by_access_token(t)) {
        Some(tenant) => Ok(tenant),
        None if state.core.settings.require_auth => Err(invalid_token()),
        None => state.core.default_tenant().ok_or_else(invalid_token),
    }
}

fn check_token_shape(token: Option<&str>) -> Result<(), GraphError> {
    match token {
        None | Some("") => Err(GraphError::access_token(
            "An active access token must be used to query information about the current user.",
        )),
        Some(_) => Ok(()),
    }
}

fn invalid_token() -> GraphError {
    GraphError::access_token("Invalid OAuth access token - Cannot parse access token")
}
