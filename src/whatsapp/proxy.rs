//! The seed's proxy: `POST /webhook?target=local|staging|<url>` takes a WhatsApp-shaped webhook
//! body (as the seed's CLI and page built it), forwards it to a named target with
//! `X-Mock-Testing: true`, and answers with the target's answer.
//!
//! Unlike the seed, the body is not forwarded as it came: the seed's bodies lack most of what
//! Meta sends (`object`, ids, `from`, string timestamps, a button's text, a reply's title), so
//! the user's message is stored as a simulated inbound message and sent as Meta's complete,
//! signed envelope — the bot sees what production sends, and the conversation is recorded.
//! Like the seed: a `{"response": …}` answer is unwrapped, a target that cannot be reached is a
//! 502 and one that does not answer in time a 504.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::WhatsAppState;
use crate::core::whatsapp::{InboundDelivery, WhatsAppInbound};
use crate::providers::meta::user_messages::{self, UserMessage, readable_answer};

#[derive(Debug, Deserialize)]
pub struct ProxyQuery {
    target: Option<String>,
}

/// The proxy's own errors: `{"error": "<HTTP reason>", "message": "<what happened>"}`, the
/// seed's shape with a sentence added.
fn failure(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({
            "error": status.canonical_reason().unwrap_or("Error"),
            "message": message.into(),
        })),
    )
        .into_response()
}

pub async fn forward(
    State(state): State<Arc<WhatsAppState>>,
    Query(query): Query<ProxyQuery>,
    body: Bytes,
) -> Response {
    let target_name = query.target.as_deref().unwrap_or("local");
    let target = match state.core.whatsapp_target(target_name) {
        Ok(target) => target,
        Err(unknown) => return failure(StatusCode::BAD_REQUEST, unknown.to_string()),
    };
    let url = target.url.clone();
    let seed: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => {
            return failure(
                StatusCode::BAD_REQUEST,
                format!("the body is not JSON: {error}"),
            );
        }
    };
    let Some(found) = SeedMessage::read(&seed) else {
        return failure(
            StatusCode::BAD_REQUEST,
            "no message in the body: expected entry[0].changes[0].value.messages[0] with a type",
        );
    };
    let tenant = match found
        .phone_number_id
        .as_deref()
        .and_then(|id| state.core.whatsapp_tenant(id))
        .or_else(|| state.core.default_tenant())
    {
        Some(tenant) => tenant,
        None => return failure(StatusCode::INTERNAL_SERVER_ERROR, "no default tenant"),
    };
    tracing::info!(
        target: "mockingbird::whatsapp",
        from = found.from.as_deref().or(found.user_id.as_deref()).unwrap_or(""),
        name = found.profile_name.as_deref().unwrap_or(""),
        r#type = %found.message.message_type,
        text = %found.message.summary,
        target = %target_name,
        url = %url,
        "forwarding a simulated message"
    );
    // A body that names the user only by BSUID (as Meta's webhooks do for a user who hides
    // their phone) is the user the tenant has met with it.
    let from = found
        .from
        .or(found.user_id)
        // The seed CLI's default phone.
        .unwrap_or_else(|| "1234567890".to_owned());
    let inbound = WhatsAppInbound {
        username: found.username,
        ..found
            .message
            .into_inbound(&from, found.profile_name, found.context_id)
    };
    let outcome = match state
        .core
        .receive_whatsapp(&tenant, inbound, Some(target))
        .await
    {
        Ok(outcome) => outcome,
        Err(error) => return failure(StatusCode::BAD_REQUEST, error.to_string()),
    };
    let (status, body, error) = outcome
        .webhook
        .map(|a| (a.response_status, a.response_body, a.error))
        .unwrap_or_default();
    let error = error.unwrap_or_default();
    match outcome.delivery {
        InboundDelivery::Answered => relay(status.unwrap_or_default(), body.unwrap_or_default()),
        InboundDelivery::TimedOut => {
            tracing::warn!(target: "mockingbird::whatsapp", %url, "target timed out");
            failure(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "{url} did not answer within {} s",
                    outcome.waited.as_secs_f64()
                ),
            )
        }
        InboundDelivery::Unreachable | InboundDelivery::NoWebhook => {
            tracing::warn!(target: "mockingbird::whatsapp", %url, %error, "target unreachable");
            failure(
                StatusCode::BAD_GATEWAY,
                format!("{url} is unreachable: {error}"),
            )
        }
    }
}

/// The target's answer with its status, as [`readable_answer`] shows it.
fn relay(status: i64, body: String) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    match readable_answer(&body) {
        Some(json) => (status, [(header::CONTENT_TYPE, "application/json")], json).into_response(),
        None => (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            body,
        )
            .into_response(),
    }
}

/// The user's message in a seed-shaped (or complete) webhook body.
struct SeedMessage {
    phone_number_id: Option<String>,
    /// The user's number (`from`, or the contact's `wa_id`).
    from: Option<String>,
    /// The user's BSUID (`from_user_id`, or the contact's `user_id`).
    user_id: Option<String>,
    profile_name: Option<String>,
    username: Option<String>,
    context_id: Option<String>,
    message: UserMessage,
}

impl SeedMessage {
    fn read(body: &Value) -> Option<Self> {
        let value = body.pointer("/entry/0/changes/0/value")?;
        let message = value.pointer("/messages/0")?;
        let contact = value.pointer("/contacts/0");
        let message_type = message
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("text")
            .to_owned();
        let text_at = |object: Option<&Value>, pointer: &str| {
            object
                .and_then(|o| o.pointer(pointer))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let from = text_at(Some(message), "/from").or_else(|| text_at(contact, "/wa_id"));
        let user_id =
            text_at(Some(message), "/from_user_id").or_else(|| text_at(contact, "/user_id"));
        Some(SeedMessage {
            phone_number_id: value
                .pointer("/metadata/phone_number_id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            from,
            user_id,
            profile_name: text_at(contact, "/profile/name"),
            username: text_at(contact, "/profile/username"),
            context_id: message
                .pointer("/context/id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            message: user_messages::shaped(
                &message_type,
                message.get(&message_type).cloned().unwrap_or(json!({})),
            ),
        })
    }
}
