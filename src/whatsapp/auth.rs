//! Which tenant a Cloud API request acts as: the phone-number id in the path names the business
//! number, and the bearer token (`Authorization: Bearer …`, or Graph's `access_token` query
//! parameter) must be that number's token.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};

use super::GraphObject;
use super::WhatsAppState;
use super::error::GraphError;
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

/// The tenant of business number `phone_number_id` for any edge of it, worded for `method`.
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

/// A request on an edge of the business number in its path (`…/whatsapp_business_profile`,
/// `…/block_users`, …), authenticated as that number's tenant.
pub struct NumberEdge(pub Edge);

/// A request on an edge of the WhatsApp Business Account in its path (`…/message_templates`,
/// `…/phone_numbers`), authenticated as that account's tenant.
pub struct AccountEdge(pub Edge);

/// What an edge's handler needs once the tenant is known.
pub struct Edge {
    pub tenant: Arc<Tenant>,
    /// The raw query (Graph's `fields`, `limit`, filters…).
    pub query: Option<String>,
    /// The request's path, for the `next`/`previous` links of a list.
    pub path: String,
}

impl Edge {
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }
}

/// The edge's object id from the path, and the tenant `lookup` finds for it and the token.
async fn edge(
    parts: &mut Parts,
    state: &Arc<WhatsAppState>,
    lookup: impl FnOnce(&Core, &str, Option<&str>) -> Result<Arc<Tenant>, AccessDenied>,
) -> Result<Edge, GraphError> {
    let Path(GraphObject { id }) = Path::<GraphObject>::from_request_parts(parts, state)
        .await
        .map_err(|_| GraphError::unknown_path(parts.uri.path()))?;
    let query = parts.uri.query().map(str::to_owned);
    let token = bearer_token(&parts.headers, query.as_deref());
    let tenant = lookup(&state.core, &id, token.as_deref())
        .map_err(|denied| object_denied(denied, parts.method.as_str(), &id))?;
    Ok(Edge {
        tenant,
        query,
        path: parts.uri.path().to_owned(),
    })
}

impl FromRequestParts<Arc<WhatsAppState>> for NumberEdge {
    type Rejection = GraphError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<WhatsAppState>,
    ) -> Result<Self, GraphError> {
        edge(parts, state, Core::tenant_for_business_number)
            .await
            .map(NumberEdge)
    }
}

impl FromRequestParts<Arc<WhatsAppState>> for AccountEdge {
    type Rejection = GraphError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<WhatsAppState>,
    ) -> Result<Self, GraphError> {
        edge(parts, state, Core::tenant_for_business_account)
            .await
            .map(AccountEdge)
    }
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
