//! `/{version}/{phone-number-id}/message_qrdls`: QR codes and short links that open a chat
//! with a prefilled message (Meta's "QR codes" reference:
//! developers.facebook.com/docs/whatsapp/business-management-api/qr-codes). `POST` creates one
//! from `prefilled_message` (at most 140 characters), or changes the message of the one its
//! `code` names; `generate_qr_image` (`SVG` or `PNG`) adds `qr_image_url`. `GET` lists them in
//! Graph's envelope, `GET …/{code}` answers `{"data": [one]}`, `DELETE …/{code}`
//! `{"success": true}`. mockingbird renders no image: `qr_image_url` names the code on Meta's
//! CDN host and is not served.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::NumberEdge;
use super::error::GraphError;
use super::params::GraphParams;
use super::{WhatsAppState, listing};
use crate::core::CoreError;
use crate::core::tenants::QrCode;

const PREFILLED_MAX: usize = 140;
const IMAGE_FORMATS: &[&str] = &["PNG", "SVG"];

/// `…/message_qrdls/{code}`: the code (the number's id is the edge's).
#[derive(Debug, Deserialize)]
pub struct QrCodePath {
    pub code: String,
}

fn qr_json(qr: &QrCode) -> Value {
    json!({
        "code": qr.code,
        "prefilled_message": qr.prefilled_message,
        "deep_link_url": format!("https://wa.me/message/{}", qr.code),
    })
}

fn unknown_code(code: &str) -> GraphError {
    GraphError::object_missing(format!("QR code {code} does not exist."))
}

pub async fn list(NumberEdge(edge): NumberEdge) -> Result<Response, GraphError> {
    let items = edge
        .tenant
        .account()
        .whatsapp
        .qr_codes
        .iter()
        .map(qr_json)
        .collect();
    Ok(Json(listing::page(items, edge.query(), &edge.path)?).into_response())
}

pub async fn fetch(
    NumberEdge(edge): NumberEdge,
    Path(QrCodePath { code }): Path<QrCodePath>,
) -> Result<Response, GraphError> {
    let identity = edge.tenant.account().whatsapp;
    let qr = identity
        .qr_codes
        .iter()
        .find(|qr| qr.code == code)
        .ok_or_else(|| unknown_code(&code))?;
    Ok(Json(json!({ "data": [qr_json(qr)] })).into_response())
}

pub async fn put(
    State(state): State<Arc<WhatsAppState>>,
    NumberEdge(edge): NumberEdge,
    params: GraphParams,
) -> Result<Response, GraphError> {
    let prefilled = params.required_text("prefilled_message")?;
    if prefilled.chars().count() > PREFILLED_MAX {
        return Err(GraphError::invalid_parameter(format!(
            "Param prefilled_message is too long: at most {PREFILLED_MAX} characters."
        )));
    }
    let image_format = params
        .optional_text("generate_qr_image")?
        .map(|format| format.to_ascii_uppercase());
    if let Some(format) = &image_format
        && !IMAGE_FORMATS.contains(&format.as_str())
    {
        return Err(GraphError::parameter_sentence(format!(
            "Param generate_qr_image must be one of {{PNG, SVG}} - got \"{format}\"."
        )));
    }
    let code = params.optional_text("code")?;
    let qr = state
        .core
        .put_qr_code(&edge.tenant, code.clone(), prefilled)
        .await
        .map_err(|error| match (error, &code) {
            (CoreError::NotFound, Some(code)) => unknown_code(code),
            (other, _) => GraphError::from(other),
        })?;
    let mut answer = qr_json(&qr);
    if let Some(format) = image_format {
        answer["qr_image_url"] = json!(format!(
            "https://scontent.whatsapp.net/mockingbird/qr/{}.{}",
            qr.code,
            format.to_ascii_lowercase()
        ));
    }
    Ok(Json(answer).into_response())
}

pub async fn delete(
    State(state): State<Arc<WhatsAppState>>,
    NumberEdge(edge): NumberEdge,
    Path(QrCodePath { code }): Path<QrCodePath>,
) -> Result<Response, GraphError> {
    state
        .core
        .delete_qr_code(&edge.tenant, &code)
        .await
        .map_err(|error| match error {
            CoreError::NotFound => unknown_code(&code),
            other => GraphError::from(other),
        })?;
    Ok(Json(json!({ "success": true })).into_response())
}
