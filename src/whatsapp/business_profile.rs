//! `GET`/`POST /{version}/{phone-number-id}/whatsapp_business_profile`: the profile users see
//! (Meta's "WhatsApp Business Profile" reference:
//! developers.facebook.com/docs/whatsapp/cloud-api/reference/business-profiles).
//!
//! The read answers `{"data": [{…fields, "messaging_product": "whatsapp"}]}` with the fields
//! `fields` names (all that are set when it names none); the update answers
//! `{"success": true}` and changes only the fields it names (an empty string clears one).
//! Limits are Meta's: `about` 1–139 characters, `address` 256, `description` 512, `email` 128
//! and an address, at most 2 `websites` of 256 with their `http(s)://`, `vertical` from Meta's
//! list. `profile_picture_handle` (an upload handle from the Resumable Upload API) sets the
//! picture; the mock serves no image, so `profile_picture_url` names the handle.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::auth::NumberEdge;
use super::error::GraphError;
use super::listing::select_fields;
use super::params::GraphParams;
use super::{WhatsAppState, query_param};
use crate::core::tenants::BusinessProfile;

/// Meta's `vertical` values (the business profile reference, 2026).
const VERTICALS: &[&str] = &[
    "UNDEFINED",
    "OTHER",
    "ALCOHOL",
    "APPAREL",
    "AUTO",
    "BEAUTY",
    "EDU",
    "ENTERTAIN",
    "EVENT_PLAN",
    "FINANCE",
    "GOVT",
    "GROCERY",
    "HEALTH",
    "HOTEL",
    "MATRIMONY_SERVICE",
    "NONPROFIT",
    "NOT_A_BIZ",
    "ONLINE_GAMBLING",
    "OTC_DRUGS",
    "PHYSICAL_GAMBLING",
    "PROF_SERVICES",
    "RESTAURANT",
    "RETAIL",
    "TRAVEL",
];
const ABOUT_MAX: usize = 139;
const ADDRESS_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 512;
const EMAIL_MAX: usize = 128;
const WEBSITE_MAX: usize = 256;
const WEBSITES_MAX: usize = 2;

pub async fn fetch(NumberEdge(edge): NumberEdge) -> Result<Response, GraphError> {
    let profile = profile_json(&edge.tenant.account().whatsapp.business_profile);
    let mut selected = select_fields(profile, query_param(edge.query(), "fields").as_deref());
    selected["messaging_product"] = json!("whatsapp");
    Ok(Json(json!({ "data": [selected] })).into_response())
}

pub async fn update(
    State(state): State<Arc<WhatsAppState>>,
    NumberEdge(edge): NumberEdge,
    params: GraphParams,
) -> Result<Response, GraphError> {
    params.require_whatsapp()?;
    let profile = updated(edge.tenant.account().whatsapp.business_profile, &params)?;
    state
        .core
        .set_business_profile(&edge.tenant, profile)
        .await?;
    Ok(Json(json!({ "success": true })).into_response())
}

fn profile_json(profile: &BusinessProfile) -> Value {
    let mut object = Map::new();
    let texts = [
        ("about", &profile.about),
        ("address", &profile.address),
        ("description", &profile.description),
        ("email", &profile.email),
        ("profile_picture_url", &profile.profile_picture_url),
    ];
    for (name, value) in texts {
        if let Some(value) = value {
            object.insert(name.into(), json!(value));
        }
    }
    if !profile.websites.is_empty() {
        object.insert("websites".into(), json!(profile.websites));
    }
    object.insert(
        "vertical".into(),
        json!(profile.vertical.as_deref().unwrap_or("UNDEFINED")),
    );
    Value::Object(object)
}

/// `profile` with the fields `params` names, each checked against Meta's limit.
fn updated(
    mut profile: BusinessProfile,
    params: &GraphParams,
) -> Result<BusinessProfile, GraphError> {
    let limited = [
        ("about", ABOUT_MAX, &mut profile.about),
        ("address", ADDRESS_MAX, &mut profile.address),
        ("description", DESCRIPTION_MAX, &mut profile.description),
        ("email", EMAIL_MAX, &mut profile.email),
    ];
    for (name, max, field) in limited {
        if !params.0.contains_key(name) {
            continue;
        }
        let value = params.optional_text(name)?;
        if let Some(text) = &value
            && text.chars().count() > max
        {
            return Err(GraphError::invalid_parameter(format!(
                "Param {name} is too long: at most {max} characters."
            )));
        }
        *field = value;
    }
    if let Some(email) = &profile.email
        && !is_email(email)
    {
        return Err(GraphError::invalid_parameter(format!(
            "Param email must be an email address - got \"{email}\"."
        )));
    }
    if let Some(vertical) = params.optional_text("vertical")? {
        let vertical = vertical.to_ascii_uppercase();
        if !VERTICALS.contains(&vertical.as_str()) {
            return Err(GraphError::parameter_sentence(format!(
                "Param vertical must be one of {{{}}} - got \"{vertical}\".",
                VERTICALS.join(", ")
            )));
        }
        profile.vertical = Some(vertical);
    }
    if let Some(websites) = params.0.get("websites") {
        profile.websites = checked_websites(websites)?;
    }
    if let Some(handle) = params.optional_text("profile_picture_handle")? {
        profile.profile_picture_url = Some(format!(
            "https://pps.whatsapp.net/mockingbird/profile/{handle}"
        ));
    }
    Ok(profile)
}

fn checked_websites(websites: &Value) -> Result<Vec<String>, GraphError> {
    let list = websites
        .as_array()
        .ok_or_else(|| GraphError::parameter_sentence("Param websites must be an array."))?;
    if list.len() > WEBSITES_MAX {
        return Err(GraphError::invalid_parameter(format!(
            "Param websites has {} entries: at most {WEBSITES_MAX}.",
            list.len()
        )));
    }
    list.iter()
        .map(|site| {
            let site = site.as_str().unwrap_or("");
            let prefixed = site.starts_with("http://") || site.starts_with("https://");
            if !prefixed || site.chars().count() > WEBSITE_MAX {
                return Err(GraphError::invalid_parameter(format!(
                    "Param websites: {site:?} must start with http:// or https:// and be at \
                     most {WEBSITE_MAX} characters."
                )));
            }
            Ok(site.to_owned())
        })
        .collect()
}

/// Something `@` something with a dot: the shape Meta checks, not RFC 5322.
fn is_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    })
}
