//! `POST /{version}/{phone-number-id}/messages`: send a message, or mark one as read.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::auth;
use super::error::GraphError;
use super::params::GraphParams;
use super::payload::{self, MessageSend, SendRequest};
use super::{GraphObject, WhatsAppState};
use crate::core::CoreError;

pub async fn send(
    State(state): State<Arc<WhatsAppState>>,
    Path(GraphObject {
        id: phone_number_id,
    }): Path<GraphObject>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    params: GraphParams,
) -> Result<Response, GraphError> {
    let tenant = auth::tenant_for_number(&state, &phone_number_id, &headers, query.as_deref())?;
    match payload::parse_send_params(params.0)? {
        SendRequest::MarkRead { message_id, .. } => {
            state
                .core
                .mark_whatsapp_read(&tenant, &message_id)
                .await
                .map_err(|error| match error {
                    CoreError::NotFound => GraphError::invalid_parameter(format!(
                        "Invalid message_id: {message_id} is not a message this number received"
                    )),
                    other => GraphError::from(other),
                })?;
            Ok(Json(json!({ "success": true })).into_response())
        }
        SendRequest::Message(MessageSend { to_input, send }) => {
            let is_template = send.template.is_some();
            let wa_id = send.to.clone();
            let sent = state.core.send_whatsapp(&tenant, send).await?;
            // Meta adds `message_status` to template sends (and, per the spec, may to others);
            // clients read `messages[0].id`.
            let mut entry = json!({ "id": sent.sid });
            if is_template {
                entry["message_status"] = json!("accepted");
            }
            Ok(Json(json!({
                "messaging_product": "whatsapp",
                "contacts": [{ "input": to_input, "wa_id": wa_id }],
                "messages": [entry],
            }))
            .into_response())
        }
    }
}
