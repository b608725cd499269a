//! The business phone number as Graph describes it: `GET /{version}/{waba-id}/phone_numbers`
//! (the WABA's numbers: a tenant has one), `GET /{version}/{phone-number-id}`, and Cloud API
//! registration, `POST …/register` (`messaging_product`, a 6-digit two-step verification
//! `pin`) and `POST …/deregister` (Meta's "Phone Numbers" and "Registration" references:
//! developers.facebook.com/docs/graph-api/reference/whats-app-business-account/phone_numbers,
//! developers.facebook.com/docs/whatsapp/cloud-api/reference/registration). Both answer
//! `{"success": true}`; a deregistered number cannot send (133010) and reports
//! `platform_type: NOT_APPLICABLE`, as Meta reports a number not on the Cloud API.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::{AccountEdge, NumberEdge};
use super::error::GraphError;
use super::listing::{self, select_fields};
use super::params::GraphParams;
use super::{WhatsAppState, query_param};
use crate::core::tenants::{Account, Tenant};

/// The number as Graph's `WhatsAppBusinessPhoneNumber` node writes it.
pub fn number_json(account: &Account) -> Value {
    let identity = &account.whatsapp;
    let registered = !identity.registration.deregistered;
    json!({
        "verified_name": account.friendly_name,
        "code_verification_status": "VERIFIED",
        "display_phone_number": identity.display_phone_number,
        "quality_rating": "GREEN",
        "platform_type": if registered { "CLOUD_API" } else { "NOT_APPLICABLE" },
        "throughput": { "level": "STANDARD" },
        "name_status": "APPROVED",
        "messaging_limit_tier": "TIER_1K",
        "id": identity.phone_number_id,
    })
}

/// `GET /{version}/{phone-number-id}`, with Graph's `fields`.
pub fn fetch(tenant: &Tenant, query: Option<&str>) -> Response {
    let number = number_json(&tenant.account());
    Json(select_fields(
        number,
        query_param(query, "fields").as_deref(),
    ))
    .into_response()
}

/// `GET /{version}/{waba-id}/phone_numbers`.
pub async fn list(AccountEdge(edge): AccountEdge) -> Result<Response, GraphError> {
    let items = vec![number_json(&edge.tenant.account())];
    Ok(Json(listing::page(items, edge.query(), &edge.path)?).into_response())
}

/// `POST …/register`. A PIN set by an earlier registration must be given again: another one
/// is Meta's 133005, "Two step verification PIN Mismatch".
pub async fn register(
    State(state): State<Arc<WhatsAppState>>,
    NumberEdge(edge): NumberEdge,
    params: GraphParams,
) -> Result<Response, GraphError> {
    params.require_whatsapp()?;
    let pin = params.required_text("pin")?;
    if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GraphError::parameter_sentence(format!(
            "Param pin must be a 6-digit number - got \"{pin}\"."
        )));
    }
    let registration = edge.tenant.account().whatsapp.registration;
    if registration.pin.as_ref().is_some_and(|set| *set != pin) {
        return Err(GraphError::for_code(
            133005,
            Some(
                "The PIN does not match the two-step verification PIN set for this number.".into(),
            ),
        ));
    }
    state
        .core
        .set_whatsapp_registration(&edge.tenant, Some(pin))
        .await?;
    Ok(Json(json!({ "success": true })).into_response())
}

/// `POST …/deregister`.
pub async fn deregister(
    State(state): State<Arc<WhatsAppState>>,
    NumberEdge(edge): NumberEdge,
) -> Result<Response, GraphError> {
    state
        .core
        .set_whatsapp_registration(&edge.tenant, None)
        .await?;
    Ok(Json(json!({ "success": true })).into_response())
}
