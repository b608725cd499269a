//! `POST /{version}/{phone-number-id}/messages`: send a message, or mark one as read.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::WhatsAppState;
use super::auth::{Edge, NumberEdge};
use super::error::GraphError;
use super::params::GraphParams;
use super::payload::{self, MessageSend, SendRequest};
use crate::core::CoreError;

pub async fn send(
    State(state): State<Arc<WhatsAppState>>,
    // The tenant is known (and the token checked) before the body is read, so a request with
    // a wrong token is 190 whatever its body, as on Graph.
    NumberEdge(Edge { tenant, .. }): NumberEdge,
    params: GraphParams,
) -> Result<Response, GraphError> {
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
            // Meta answers a send to a BSUID with the `user_id` in place of the `wa_id`
            // (dualhook.com's summary of Meta's BSUID API changes).
            let contact = match &send.recipient_user_id {
                Some(user_id) => json!({ "input": to_input, "user_id": user_id }),
                None => json!({ "input": to_input, "wa_id": send.to }),
            };
            let sent = state.core.send_whatsapp(&tenant, send).await?;
            // Meta adds `message_status` to template sends (and, per the spec, may to others);
            // clients read `messages[0].id`.
            let mut entry = json!({ "id": sent.sid });
            if is_template {
                entry["message_status"] = json!("accepted");
            }
            Ok(Json(json!({
                "messaging_product": "whatsapp",
                "contacts": [contact],
                "messages": [entry],
            }))
            .into_response())
        }
    }
}
