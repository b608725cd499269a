//! `POST /{version}/{phone-number-id}/messages`: send a message, or mark one as read.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::auth;
use super::error::GraphError;
use super::payload::{self, SendRequest};
use crate::core::CoreError;
use crate::core::whatsapp::WhatsAppSend;
use crate::server::AppState;

pub async fn send(
    State(state): State<Arc<AppState>>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GraphError> {
    let tenant = auth::tenant_for_number(&state, &phone_number_id, &headers, query.as_deref())?;
    match payload::parse_send(&body)? {
        SendRequest::MarkRead { message_id, .. } => {
            state
                .core
                .mark_whatsapp_read(&tenant, &message_id)
                .await
                .map_err(|error| match error {
                    CoreError::NotFound => GraphError::invalid_parameter(format!(
                        "Invalid message_id: {message_id} is not a message this number received"
                    )),
                    other => graph_error(other),
                })?;
            Ok(Json(json!({ "success": true })).into_response())
        }
        SendRequest::Message(message) => {
            if let Some(payload::MediaRef::Id(id)) = &message.media {
                super::media::check_sendable(
                    &state,
                    &tenant,
                    id,
                    &message.message_type,
                    &message.content,
                )
                .await?;
            }
            let is_template = message.template.is_some();
            let sent = state
                .core
                .send_whatsapp(
                    &tenant,
                    WhatsAppSend {
                        to: message.wa_id.clone(),
                        content: message.content.to_string(),
                        message_type: message.message_type,
                        context_id: message.context_message_id,
                        callback_data: message.biz_opaque_callback_data,
                        template: message.template,
                        summary: message.summary,
                    },
                )
                .await
                .map_err(graph_error)?;
            // Meta adds `message_status` to template sends (and, per the spec, may to others);
            // clients read `messages[0].id`.
            let mut entry = json!({ "id": sent.sid });
            if is_template {
                entry["message_status"] = json!("accepted");
            }
            Ok(Json(json!({
                "messaging_product": "whatsapp",
                "contacts": [{ "input": message.to_input, "wa_id": message.wa_id }],
                "messages": [entry],
            }))
            .into_response())
        }
    }
}

/// A core refusal in Meta's words: a rejection carries its code and HTTP status (a rule's own,
/// or Meta's for the window, the allow list and templates).
pub fn graph_error(error: CoreError) -> GraphError {
    match error {
        CoreError::Rejected(rejection) => {
            let mut graph = GraphError::for_code(rejection.code, Some(rejection.message));
            if let Ok(status) = axum::http::StatusCode::from_u16(rejection.http_status)
                && (400..600).contains(&rejection.http_status)
            {
                graph.status = status;
            }
            graph
        }
        CoreError::NotFound => GraphError::object_missing("The object does not exist."),
        CoreError::Invalid(details) | CoreError::Conflict(details) => {
            GraphError::invalid_parameter(details)
        }
        CoreError::FailedPrecondition(details) => GraphError::invalid_parameter(details),
        CoreError::InvalidRule(rule) => GraphError::invalid_parameter(rule.to_string()),
        CoreError::ClockNotFrozen | CoreError::Store(_) => {
            tracing::error!(%error, "WhatsApp request failed");
            GraphError::internal()
        }
    }
}
