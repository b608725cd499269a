//! `/{version}/{waba-id}/message_templates`: list, create and delete the WhatsApp Business
//! Account's message templates (Meta's "Message templates" management reference:
//! developers.facebook.com/docs/graph-api/reference/whats-app-business-account/message_templates).
//! They feed the registry the send path checks, so a template created here can be sent at once;
//! the core approves it on creation and sends `message_template_status_update`.
//!
//! Field limits follow Meta's template components page: a name of lowercase letters, digits
//! and underscores up to 512 characters; a BODY (required) up to 1024 characters; HEADER and
//! FOOTER text up to 60; at most 10 buttons. Meta answers these with code 100 and subcodes
//! that are not published consistently; mockingbird answers 100 with a sentence naming the
//! field, and the duplicate with Meta's 100/2388024 ("Content in this language already
//! exists"), the one subcode clients branch on.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::AccountEdge;
use super::error::GraphError;
use super::params::GraphParams;
use super::{WhatsAppState, listing, query_param};
use crate::core::CoreError;
use crate::core::tenants::WhatsAppTemplate;
use crate::core::whatsapp::body_parameter_count;

const CATEGORIES: &[&str] = &["AUTHENTICATION", "MARKETING", "UTILITY"];
const COMPONENT_TYPES: &[&str] = &["BODY", "BUTTONS", "FOOTER", "HEADER"];
const NAME_MAX: usize = 512;
const BODY_MAX: usize = 1024;
const HEADER_FOOTER_MAX: usize = 60;
const BUTTONS_MAX: usize = 10;

/// Meta's subcode for a template whose name already exists in that language.
const SUBCODE_EXISTS_IN_LANGUAGE: u32 = 2388024;

/// `GET …/message_templates`: the registry in Graph's list envelope, filtered by `name`
/// (contained in the template's name, as Meta's filter matches), `status`, `category` and
/// `language`. Every template the registry holds is approved, so any other `status` lists
/// nothing.
pub async fn list(AccountEdge(edge): AccountEdge) -> Result<Response, GraphError> {
    let identity = edge.tenant.account().whatsapp;
    let wanted = |name: &str| query_param(edge.query(), name).map(|v| v.to_ascii_lowercase());
    let (name, status, category, language) = (
        wanted("name"),
        wanted("status"),
        wanted("category"),
        wanted("language"),
    );
    let items = identity
        .templates
        .iter()
        .filter(|t| name.as_ref().is_none_or(|n| t.name.contains(n.as_str())))
        .filter(|_| status.as_ref().is_none_or(|s| s == "approved"))
        .filter(|t| category.as_ref().is_none_or(|c| *c == t.category))
        .filter(|t| {
            language
                .as_ref()
                .is_none_or(|l| *l == t.language.to_ascii_lowercase())
        })
        .map(|t| template_json(t, &identity.business_account_id))
        .collect();
    Ok(Json(listing::page(items, edge.query(), &edge.path)?).into_response())
}

/// `POST …/message_templates`: `{"id", "status": "APPROVED", "category"}`.
pub async fn create(
    State(state): State<Arc<WhatsAppState>>,
    AccountEdge(edge): AccountEdge,
    params: GraphParams,
) -> Result<Response, GraphError> {
    let template = new_template(&params)?;
    let created = state
        .core
        .create_whatsapp_template(&edge.tenant, template)
        .await
        .map_err(|error| match error {
            CoreError::Conflict(sentence) => GraphError::invalid_parameter(format!(
                "Content in this language already exists: {sentence}."
            ))
            .with_subcode(SUBCODE_EXISTS_IN_LANGUAGE),
            other => GraphError::from(other),
        })?;
    Ok(Json(json!({
        "id": created.id,
        "status": "APPROVED",
        "category": created.category.to_ascii_uppercase(),
    }))
    .into_response())
}

/// `DELETE …/message_templates?name=…[&hsm_id=…]`: every language of the name, or the one
/// template with that id. `{"success": true}`.
pub async fn delete(
    State(state): State<Arc<WhatsAppState>>,
    AccountEdge(edge): AccountEdge,
) -> Result<Response, GraphError> {
    let name = query_param(edge.query(), "name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| GraphError::parameter_sentence("The parameter name is required."))?;
    let hsm_id = query_param(edge.query(), "hsm_id").filter(|h| !h.is_empty());
    state
        .core
        .delete_whatsapp_templates(&edge.tenant, &name, hsm_id.as_deref())
        .await
        .map_err(|error| match error {
            CoreError::NotFound => GraphError::invalid_parameter(match &hsm_id {
                Some(hsm_id) => format!("Message template {name} with id {hsm_id} not found."),
                None => format!("Message template {name} not found."),
            }),
            other => GraphError::from(other),
        })?;
    Ok(Json(json!({ "success": true })).into_response())
}

/// A template as Graph lists it. Registry entries from the config or the control plane have
/// no components of their own: Meta's sample for `hello_world`, a body with their parameters
/// for the rest.
fn template_json(template: &WhatsAppTemplate, business_account_id: &str) -> Value {
    let components = template
        .components
        .as_deref()
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .unwrap_or_else(|| default_components(template));
    let named = body_text(&components).is_some_and(has_named_parameters);
    json!({
        "name": template.name,
        "parameter_format": if named { "NAMED" } else { "POSITIONAL" },
        "components": components,
        "language": template.language,
        "status": "APPROVED",
        "category": template.category.to_ascii_uppercase(),
        "id": template.template_id(business_account_id),
    })
}

fn default_components(template: &WhatsAppTemplate) -> Value {
    if template.name == "hello_world" && template.body_parameters == 0 {
        return json!([
            { "type": "HEADER", "format": "TEXT", "text": "Hello World" },
            { "type": "BODY", "text": "Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us." },
            { "type": "FOOTER", "text": "WhatsApp Business Platform sample message" },
        ]);
    }
    let placeholders: Vec<String> = (1..=template.body_parameters)
        .map(|n| format!("{{{{{n}}}}}"))
        .collect();
    let text = if placeholders.is_empty() {
        template.name.replace('_', " ")
    } else {
        placeholders.join(" ")
    };
    json!([{ "type": "BODY", "text": text }])
}

/// Whether a body's placeholders are names (`{{first_name}}`) rather than positions.
fn has_named_parameters(text: &str) -> bool {
    text.split("{{").skip(1).any(|rest| {
        rest.split("}}")
            .next()
            .is_some_and(|inner| inner.trim().parse::<u32>().is_err())
    })
}

fn body_text(components: &Value) -> Option<&str> {
    components
        .as_array()?
        .iter()
        .find(|c| {
            c["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("BODY"))
        })?
        .get("text")?
        .as_str()
}

/// The create call's parameters, checked as Meta checks them, as a registry entry.
fn new_template(params: &GraphParams) -> Result<WhatsAppTemplate, GraphError> {
    let name = params.required_text("name")?;
    if name.chars().count() > NAME_MAX
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(GraphError::invalid_parameter(format!(
            "Invalid template name {name:?}: use lowercase letters, digits and underscores, \
             at most {NAME_MAX} characters."
        )));
    }
    let language = params.required_text("language")?;
    if !is_language_code(&language) {
        return Err(GraphError::invalid_parameter(format!(
            "Invalid language {language:?}: use a code such as en, en_US or pt_BR."
        )));
    }
    let category = params.required_text("category")?.to_ascii_uppercase();
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(GraphError::parameter_sentence(format!(
            "Param category must be one of {{{}}} - got \"{category}\".",
            CATEGORIES.join(", ")
        )));
    }
    let components = params
        .0
        .get("components")
        .ok_or_else(|| GraphError::parameter_sentence("The parameter components is required."))?;
    let body = check_components(components)?;
    Ok(WhatsAppTemplate {
        components: Some(components.to_string()),
        ..WhatsAppTemplate::new(&name, &language, &category, body_parameter_count(&body))
    })
}

/// `en`, `en_US`, `zh_Hant_HK`…: letters in underscore-separated parts, the first in lower
/// case.
fn is_language_code(code: &str) -> bool {
    let mut parts = code.split('_');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// The components' problems, Meta's limits; the body's text when they are sound.
fn check_components(components: &Value) -> Result<String, GraphError> {
    let Some(list) = components.as_array() else {
        return Err(GraphError::parameter_sentence(
            "Param components must be an array.",
        ));
    };
    let mut body = None;
    for (index, component) in list.iter().enumerate() {
        let kind = component["type"]
            .as_str()
            .unwrap_or("")
            .to_ascii_uppercase();
        if !COMPONENT_TYPES.contains(&kind.as_str()) {
            return Err(GraphError::parameter_sentence(format!(
                "Param components[{index}][type] must be one of {{{}}} - got {}.",
                COMPONENT_TYPES.join(", "),
                component["type"]
            )));
        }
        let text = component["text"].as_str();
        let too_long = |max: usize| text.is_some_and(|t| t.chars().count() > max);
        match kind.as_str() {
            "BODY" => {
                let text = text.filter(|t| !t.trim().is_empty()).ok_or_else(|| {
                    GraphError::parameter_sentence(format!(
                        "The parameter components[{index}][text] is required."
                    ))
                })?;
                if too_long(BODY_MAX) {
                    return Err(GraphError::invalid_parameter(format!(
                        "Body text is too long: at most {BODY_MAX} characters."
                    )));
                }
                body = Some(text.to_owned());
            }
            "HEADER" | "FOOTER" if too_long(HEADER_FOOTER_MAX) => {
                return Err(GraphError::invalid_parameter(format!(
                    "{kind} text is too long: at most {HEADER_FOOTER_MAX} characters."
                )));
            }
            "BUTTONS" => {
                let count = component["buttons"].as_array().map_or(0, Vec::len);
                if !(1..=BUTTONS_MAX).contains(&count) {
                    return Err(GraphError::invalid_parameter(format!(
                        "Invalid buttons count: between 1 and {BUTTONS_MAX} buttons."
                    )));
                }
            }
            _ => {}
        }
    }
    body.ok_or_else(|| GraphError::invalid_parameter("A template needs a BODY component."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(value: Value) -> GraphParams {
        match value {
            Value::Object(map) => GraphParams(map),
            _ => unreachable!("an object"),
        }
    }

    #[test]
    fn a_sound_template_counts_its_body_parameters() {
        let template = new_template(&params(json!({
            "name": "order_update", "language": "en_US", "category": "utility",
            "components": [
                { "type": "HEADER", "format": "TEXT", "text": "Your order" },
                { "type": "BODY", "text": "Hi {{1}}, order {{2}} ships today." },
                { "type": "BUTTONS", "buttons": [{ "type": "QUICK_REPLY", "text": "Thanks" }] },
            ],
        })))
        .expect("valid");
        assert_eq!(template.body_parameters, 2);
        assert_eq!(template.category, "UTILITY");
        assert!(template.components.unwrap().contains("ships today"));
    }

    #[test]
    fn every_rule_broken_is_100() {
        let body = json!([{ "type": "BODY", "text": "Hi" }]);
        for broken in [
            json!({ "language": "en_US", "category": "UTILITY", "components": body }),
            json!({ "name": "Bad-Name", "language": "en_US", "category": "UTILITY", "components": body }),
            json!({ "name": "ok", "language": "english", "category": "UTILITY", "components": body }),
            json!({ "name": "ok", "language": "en_US", "category": "NEWS", "components": body }),
            json!({ "name": "ok", "language": "en_US", "category": "UTILITY" }),
            json!({ "name": "ok", "language": "en_US", "category": "UTILITY", "components": [] }),
            json!({ "name": "ok", "language": "en_US", "category": "UTILITY",
                    "components": [{ "type": "BODY", "text": "x".repeat(1025) }] }),
            json!({ "name": "ok", "language": "en_US", "category": "UTILITY",
                    "components": [{ "type": "BODY", "text": "x" }, { "type": "FOOTER", "text": "y".repeat(61) }] }),
            json!({ "name": "ok", "language": "en_US", "category": "UTILITY",
                    "components": [{ "type": "BODY", "text": "x" }, { "type": "CAROUSEL" }] }),
        ] {
            let error = new_template(&params(broken.clone())).expect_err("refused");
            assert_eq!(error.code, 100, "{broken}");
        }
    }
}
