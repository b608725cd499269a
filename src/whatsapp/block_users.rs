//! `/{version}/{phone-number-id}/block_users`: block (`POST`), unblock (`DELETE`) and list
//! (`GET`) the users the business blocked, in the shapes of Meta's Block Users page
//! (developers.facebook.com/documentation/business-messaging/whatsapp/block-users, May 2026):
//! a request of `{"messaging_product", "block_users": [{"user"}]}`, an answer of
//! `{"messaging_product", "block_users": {"added_users"|"removed_users": [{"input", "wa_id"}]}}`;
//! when some users fail, HTTP 400 with `failed_users` (each with its `errors`) beside the
//! 139100 error. A blocked user cannot be messaged and cannot write (see the core).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::NumberEdge;
use super::error::GraphError;
use super::params::GraphParams;
use super::{WhatsAppState, listing};
use crate::core::whatsapp::{BLOCK_REQUEST_MAX, BlockOutcome};
use crate::providers::meta::title_of;

pub async fn list(NumberEdge(edge): NumberEdge) -> Result<Response, GraphError> {
    let items = edge
        .tenant
        .account()
        .whatsapp
        .blocked_users
        .into_iter()
        .map(|wa_id| json!({ "messaging_product": "whatsapp", "wa_id": wa_id }))
        .collect();
    Ok(Json(listing::page(items, edge.query(), &edge.path)?).into_response())
}

pub async fn block(
    State(state): State<Arc<WhatsAppState>>,
    NumberEdge(edge): NumberEdge,
    params: GraphParams,
) -> Result<Response, GraphError> {
    let users = requested_users(&params)?;
    let outcome = state.core.block_whatsapp_users(&edge.tenant, users).await?;
    Ok(answer(outcome, "added_users"))
}

pub async fn unblock(
    State(state): State<Arc<WhatsAppState>>,
    NumberEdge(edge): NumberEdge,
    params: GraphParams,
) -> Result<Response, GraphError> {
    let users = requested_users(&params)?;
    let outcome = state
        .core
        .unblock_whatsapp_users(&edge.tenant, users)
        .await?;
    Ok(answer(outcome, "removed_users"))
}

/// The `user` of each `block_users` entry. More than Meta's 1,000 in one request is its rate
/// limit error, 130429.
fn requested_users(params: &GraphParams) -> Result<Vec<String>, GraphError> {
    params.require_whatsapp()?;
    let entries = match params.0.get("block_users") {
        None => {
            return Err(GraphError::parameter_sentence(
                "The parameter block_users is required.",
            ));
        }
        Some(Value::Array(entries)) if !entries.is_empty() => entries,
        Some(_) => {
            return Err(GraphError::parameter_sentence(
                "Param block_users must be a non-empty array of {\"user\": …} objects.",
            ));
        }
    };
    if entries.len() > BLOCK_REQUEST_MAX {
        return Err(GraphError::for_code(
            130429,
            Some(format!(
                "Too many users in one request: at most {BLOCK_REQUEST_MAX}."
            )),
        ));
    }
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            entry["user"]
                .as_str()
                .filter(|user| !user.trim().is_empty())
                .map(str::to_owned)
                .ok_or_else(|| {
                    GraphError::parameter_sentence(format!(
                        "The parameter block_users[{index}][user] is required."
                    ))
                })
        })
        .collect()
}

/// 200 with the changed users, or 400 with the failed ones and Meta's 139100 beside them.
fn answer(outcome: BlockOutcome, changed_key: &str) -> Response {
    let changed: Vec<Value> = outcome
        .changed
        .iter()
        .map(|(input, wa_id)| json!({ "input": input, "wa_id": wa_id }))
        .collect();
    let mut lists = serde_json::Map::new();
    lists.insert(changed_key.into(), Value::Array(changed));
    if outcome.failed.is_empty() {
        return Json(json!({ "messaging_product": "whatsapp", "block_users": lists }))
            .into_response();
    }
    let failed: Vec<Value> = outcome
        .failed
        .iter()
        .map(|failure| {
            json!({
                "input": failure.input,
                "wa_id": failure.wa_id,
                "errors": [{
                    "message": title_of(failure.code),
                    "code": failure.code,
                    "error_data": { "details": failure.details },
                }],
            })
        })
        .collect();
    lists.insert("failed_users".into(), Value::Array(failed));
    let mut body = GraphError::for_code(
        139100,
        Some("Failed to block some users, see the block_users response list for details".into()),
    )
    .envelope();
    let error = body["error"].take();
    let body = json!({ "messaging_product": "whatsapp", "block_users": lists, "error": error });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}
