//! Which tenant a Cloud API request acts as: the phone-number id in the path names the business
//! number, and the bearer token (`Authorization: Bearer …`, or Graph's `access_token` query
//! parameter) must be that number's token.

use std::sync::Arc;

use axum::http::{HeaderMap, Method};

use super::WhatsAppState;
use super::error::GraphError;
#[cfg(doc)]
use crate::core::Core;
use crate::core::access::AccessDenied;
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

/// The tenant of business number `phone_number_id`, if the token is its own (see
/// [`Core::tenant_for_business_number`]).
pub fn tenant_for_number(
    state: &WhatsAppState,
    phone_number_id: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Arc<Tenant>, GraphError> {
    tenant_for_number_edge(state, phone_number_id, &Method::POST, headers, query)
}

/// The tenant of WhatsApp Business Account `business_account_id` (templates, phone numbers),
/// if the token is its own. `method` words the answer for an id that is not the tenant's.
pub fn tenant_for_business_account(
    state: &WhatsAppState,
    business_account_id: &str,
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Arc<Tenant>, GraphError> {
    let token = bearer_token(headers, query);
    state
        .core
        .tenant_for_business_account(business_account_id, token.as_deref())
        .map_err(|denied| object_denied(denied, method.as_str(), business_account_id))
}

/// The tenant of business number `phone_number_id` for any edge of it (the profile, block
/// users, …), worded for `method`.
pub fn tenant_for_number_edge(
    state: &WhatsAppState,
    phone_number_id: &str,
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Arc<Tenant>, GraphError> {
    let token = bearer_token(headers, query);
    state
        .core
        .tenant_for_business_number(phone_number_id, token.as_deref())
        .map_err(|denied| object_denied(denied, method.as_str(), phone_number_id))
}

/// An object the token cannot see is Graph's "Unsupported … request" (100/33), so another
/// tenant's ids look exactly like ids that do not exist.
fn object_denied(denied: AccessDenied, method: &str, id: &str) -> GraphError {
    match denied {
        AccessDenied::Unknown => GraphError::unsupported_request(method, id),
        other => GraphError::denied(other),
    }
}

/// The tenant a token belongs to, for requests on objects (a media id) that do not name the
/// business number (see [`Core::tenant_for_access_token`]).
pub fn tenant_for_token(
    state: &WhatsAppState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Arc<Tenant>, GraphError> {
    let token = bearer_token(headers, query);
    state
        .core
        .tenant_for_access_token(token.as_deref())
        .map_err(GraphError::denied)
}
