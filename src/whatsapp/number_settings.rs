//! `GET`/`POST /{version}/{phone-number-id}/settings`: the business number's settings as Meta
//! documents them in 2026 — `calling` (the Calling API's `status`, `call_icon_visibility`,
//! `callback_permission_status`, `call_hours`, …) and `storage_configuration` (local storage:
//! `status` and `data_localization_region`) — read as one object and updated by the parts the
//! request names, answered `{"success": true}` (Meta's "Phone number settings" and "Calling
//! API settings" pages, developers.facebook.com/docs/whatsapp/cloud-api/calling and
//! …/cloud-api/local-storage). mockingbird keeps what the app sets and reads it back; it places
//! no calls and stores nothing elsewhere.
//!
//! Checked: the keys of the two parts Meta defines, and the enum values bots branch on
//! (`ENABLED`/`DISABLED`, `DEFAULT`/`DISABLE_ALL`, `DEFAULT`/`IN_COUNTRY_STORAGE_ENABLED` with a
//! two-letter region). Other fields inside `calling` (call hours, SIP) are kept as given.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::WhatsAppState;
use super::auth::NumberEdge;
use super::error::GraphError;
use super::params::GraphParams;
use crate::core::tenants::WhatsAppIdentity;

/// Each checked field of the two parts, with the values Meta takes.
const ENUMS: &[(&str, &str, &[&str])] = &[
    ("calling", "status", &["ENABLED", "DISABLED"]),
    (
        "calling",
        "call_icon_visibility",
        &["DEFAULT", "DISABLE_ALL"],
    ),
    (
        "calling",
        "callback_permission_status",
        &["ENABLED", "DISABLED"],
    ),
    (
        "storage_configuration",
        "status",
        &["DEFAULT", "IN_COUNTRY_STORAGE_ENABLED"],
    ),
];

/// A number's settings before the app sets any: calling off, storage in Meta's default region.
fn defaults() -> Value {
    json!({
        "calling": {
            "status": "DISABLED",
            "call_icon_visibility": "DEFAULT",
            "callback_permission_status": "DISABLED",
        },
        "storage_configuration": { "status": "DEFAULT" },
    })
}

fn current(identity: &WhatsAppIdentity) -> Value {
    identity
        .number_settings
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_else(defaults)
}

pub async fn fetch(NumberEdge(edge): NumberEdge) -> Result<Response, GraphError> {
    Ok(Json(current(&edge.tenant.account().whatsapp)).into_response())
}

pub async fn update(
    State(state): State<Arc<WhatsAppState>>,
    NumberEdge(edge): NumberEdge,
    params: GraphParams,
) -> Result<Response, GraphError> {
    let mut settings = current(&edge.tenant.account().whatsapp);
    merged(&mut settings, params)?;
    state
        .core
        .set_number_settings(&edge.tenant, settings.to_string())
        .await?;
    Ok(Json(json!({ "success": true })).into_response())
}

/// `settings` with each part the request names merged in, field by field, once checked.
fn merged(settings: &mut Value, params: GraphParams) -> Result<(), GraphError> {
    if params.0.is_empty() {
        return Err(GraphError::parameter_sentence(
            "The parameter calling or storage_configuration is required.",
        ));
    }
    for (part, value) in params.0 {
        if part == "messaging_product" {
            continue;
        }
        if part != "calling" && part != "storage_configuration" {
            return Err(GraphError::invalid_parameter(format!(
                "Unexpected key \"{part}\"."
            )));
        }
        let Value::Object(fields) = value else {
            return Err(GraphError::parameter_sentence(format!(
                "Param {part} must be an object."
            )));
        };
        check_part(&part, &fields)?;
        match settings.get_mut(&part).and_then(Value::as_object_mut) {
            Some(target) => target.extend(fields),
            None => settings[part.as_str()] = Value::Object(fields),
        }
    }
    let storage = &settings["storage_configuration"];
    if storage["status"] == "IN_COUNTRY_STORAGE_ENABLED" {
        let region = storage["data_localization_region"].as_str().unwrap_or("");
        if region.len() != 2 || !region.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(GraphError::invalid_parameter(
                "Local storage needs storage_configuration[data_localization_region]: a \
                 two-letter country code such as IN or DE.",
            ));
        }
    }
    Ok(())
}

fn check_part(part: &str, fields: &Map<String, Value>) -> Result<(), GraphError> {
    for (_, field, allowed) in ENUMS.iter().filter(|(p, _, _)| *p == part) {
        let Some(value) = fields.get(*field) else {
            continue;
        };
        if !value.as_str().is_some_and(|v| allowed.contains(&v)) {
            return Err(GraphError::parameter_sentence(format!(
                "Param {part}[{field}] must be one of {{{}}} - got {value}.",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}
