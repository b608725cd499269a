//! Media: upload, the download URL, the download itself, delete, and the check that a message's
//! media id is one the business uploaded. Imitates the Cloud API's
//! [media endpoints](https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media)
//! (reference §3).

use std::sync::Arc;

use axum::Json;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::WhatsAppState;
use super::error::GraphError;
use super::{auth, query_param};
use crate::core::CoreError;
use crate::core::tenants::Tenant;
use crate::core::whatsapp::media::{self as core_media, DownloadTicket};

/// The body limit of the upload route: the largest file (a 100 MB document) and room for the
/// form's other fields and multipart framing. Anything larger is refused by the extractor.
pub const MAX_UPLOAD_BODY: usize = core_media::MAX_FILE_SIZE as usize + 1024 * 1024;

/// [Upload media](https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#upload-media):
/// `POST /{version}/{phone-number-id}/media`, multipart with `file`, `type` and
/// `messaging_product=whatsapp`. Answers `{"id": "<media id>"}`.
pub async fn upload(
    State(state): State<Arc<WhatsAppState>>,
    Path(super::GraphObject {
        id: phone_number_id,
    }): Path<super::GraphObject>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, GraphError> {
    let tenant = auth::tenant_for_number(&state, &phone_number_id, &headers, query.as_deref())?;
    let mut form = match multipart {
        Ok(multipart) => read_form(multipart).await?,
        // Graph reads parameters from the query and from any body; a body that is not a
        // multipart form simply carries no file, which the checks below report in Graph's words.
        Err(_) => UploadForm::default(),
    };
    form.fill_from_query(query.as_deref());

    // Graph checks the plain parameters first: a correct file with no `messaging_product` got
    // `(#100) The parameter messaging_product is required.` (heyoo #27).
    match form.messaging_product.as_deref() {
        None => {
            return Err(GraphError::parameter_sentence(
                "The parameter messaging_product is required.",
            ));
        }
        Some(product) if !product.eq_ignore_ascii_case("whatsapp") => {
            return Err(GraphError::parameter_sentence(format!(
                "Param messaging_product must be one of {{WHATSAPP}} - got \"{product}\"."
            )));
        }
        Some(_) => {}
    }
    let Some(file) = form.file else {
        return Err(GraphError::parameter_sentence(
            "The parameter file is required.",
        ));
    };
    // The file part's own Content-Type is what Meta checks: apps that sent a correct `type` with
    // an `application/octet-stream` part were refused with "Received file of type
    // 'application/octet-stream'". `type` stands in only for a part without one.
    let Some(mime_type) = file.content_type.or(form.mime_type) else {
        return Err(GraphError::parameter_sentence(
            "The parameter type is required.",
        ));
    };
    let media = state
        .core
        .upload_media(&tenant, &mime_type, file.bytes, file.name)
        .await?;
    Ok(Json(json!({ "id": media.id })).into_response())
}

/// [Retrieve media URL](https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#retrieve-media-url):
/// `GET /{version}/{media-id}`, optionally `?phone_number_id=` to insist the media is that
/// number's. The URL works for 5 minutes of the tenant's clock, and only with the bearer token.
pub async fn retrieve(
    State(state): State<Arc<WhatsAppState>>,
    id: String,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    let tenant = auth::tenant_for_token(&state, &headers, query.as_deref())?;
    check_phone_number_id(&tenant, query.as_deref())?;
    let media = state
        .core
        .media(&tenant, &id)
        .await
        .map_err(|error| missing_as_unsupported(error, "get", &id))?;
    let ticket = state.core.download_ticket(&tenant, &media);
    // The path is the one [`super::routes`] gives [`download`]; the query mimics Meta's
    // `lookaside.fbsbx.com/whatsapp_business/attachments/?mid=…&ext=…&hash=…`.
    let url = format!(
        "{}/whatsapp/media/{id}?mid={id}&ext={}&hash={}",
        base_url(&state, &headers),
        ticket.expires,
        ticket.hash,
        id = media.id,
    );
    // Key order and an integer `file_size` as in captured responses (reference §3).
    Ok(Json(json!({
        "messaging_product": "whatsapp",
        "url": url,
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": media.file_size,
        "id": media.id,
    }))
    .into_response())
}

/// [Download media](https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#download-media):
/// `GET {url}` with `Authorization: Bearer`. Meta's URLs fail without the token; an expired or
/// altered URL finds nothing.
pub async fn download(
    State(state): State<Arc<WhatsAppState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    let tenant = auth::tenant_for_token(&state, &headers, query.as_deref())?;
    let param = |name: &str| query_param(query.as_deref(), name);
    let ticket = match (
        param("mid"),
        param("ext").map(|ext| ext.parse::<i64>()),
        param("hash"),
    ) {
        (Some(mid), Some(Ok(expires)), Some(hash)) if mid == id => DownloadTicket { expires, hash },
        _ => return Err(download_missing()),
    };
    let (media, bytes) = state
        .core
        .download_media(&tenant, &id, &ticket)
        .await
        .map_err(|error| match error {
            CoreError::NotFound => download_missing(),
            other => GraphError::from(other),
        })?;
    let content_type = HeaderValue::from_str(&media.mime_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    // axum sets Content-Length from the body's exact size.
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// [Delete media](https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#delete-media):
/// `DELETE /{version}/{media-id}`, optionally `?phone_number_id=`. Answers `{"success": true}`.
pub async fn delete(
    State(state): State<Arc<WhatsAppState>>,
    Path(super::GraphObject { id }): Path<super::GraphObject>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    let tenant = auth::tenant_for_token(&state, &headers, query.as_deref())?;
    check_phone_number_id(&tenant, query.as_deref())?;
    state
        .core
        .delete_media(&tenant, &id)
        .await
        .map_err(|error| missing_as_unsupported(error, "delete", &id))?;
    Ok(Json(json!({ "success": true })).into_response())
}

/// The form of an upload, as far as it was sent.
#[derive(Default)]
struct UploadForm {
    messaging_product: Option<String>,
    /// The `type` field.
    mime_type: Option<String>,
    file: Option<UploadedFile>,
}

struct UploadedFile {
    name: Option<String>,
    /// The part's own Content-Type.
    content_type: Option<String>,
    bytes: Vec<u8>,
}

impl UploadForm {
    /// Graph also takes `messaging_product` and `type` as query parameters; the body wins.
    fn fill_from_query(&mut self, query: Option<&str>) {
        if self.messaging_product.is_none() {
            self.messaging_product = query_param(query, "messaging_product");
        }
        if self.mime_type.is_none() {
            self.mime_type = query_param(query, "type");
        }
    }
}

async fn read_form(mut multipart: Multipart) -> Result<UploadForm, GraphError> {
    let mut form = UploadForm::default();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        // Fields Meta does not define are ignored, as Graph ignores unknown form parameters.
        match field.name().unwrap_or("") {
            "file" => {
                let name = field.file_name().map(str::to_owned);
                let content_type = field
                    .content_type()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned);
                // Without a copy when the buffer is not shared (up to 100 MB).
                let bytes = Vec::from(field.bytes().await.map_err(multipart_error)?);
                form.file = Some(UploadedFile {
                    name,
                    content_type,
                    bytes,
                });
            }
            "messaging_product" => {
                form.messaging_product = Some(field.text().await.map_err(multipart_error)?);
            }
            "type" => {
                let text = field.text().await.map_err(multipart_error)?;
                form.mime_type = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
            }
            _ => {}
        }
    }
    Ok(form)
}

/// A body that breaks off or is not valid multipart. Past the route's body limit the file is
/// larger than any type allows: that is Meta's upload error, not a malformed request.
fn multipart_error(error: MultipartError) -> GraphError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return GraphError::media_upload(format!(
            "The file is too large: no media type allows more than {} MB.",
            core_media::MAX_FILE_SIZE / (1024 * 1024)
        ));
    }
    GraphError::invalid_parameter(format!(
        "The multipart/form-data body could not be read: {}",
        error.body_text()
    ))
}

/// An id this tenant cannot see answers as Graph answers for any object it cannot load.
fn missing_as_unsupported(error: CoreError, method: &str, id: &str) -> GraphError {
    match error {
        CoreError::NotFound => GraphError::unsupported_request(method, id),
        other => GraphError::from(other),
    }
}

/// The answer to a download URL that is expired, altered or names a file that is gone. Meta's
/// CDN body for this is not on record; a 404 in Meta's envelope tells the app to fetch a fresh
/// URL.
fn download_missing() -> GraphError {
    GraphError {
        status: StatusCode::NOT_FOUND,
        ..GraphError::object_missing(
            "The media URL has expired or is not valid. Get a new one with GET \
             /{version}/{media-id}; URLs work for 5 minutes.",
        )
    }
}

/// `?phone_number_id=` must name the number the media belongs to. A mismatch gets the sentence
/// Chatwoot logged from Meta (chatwoot/chatwoot#13319).
fn check_phone_number_id(tenant: &Tenant, query: Option<&str>) -> Result<(), GraphError> {
    let given = query_param(query, "phone_number_id");
    match given {
        Some(id) if id != tenant.account().whatsapp.phone_number_id => {
            Err(GraphError::parameter_sentence(
                "Param phone_number_id is not a valid whatsapp business phone number id ID",
            ))
        }
        _ => Ok(()),
    }
}

/// Scheme, host and port of download URLs: the configured `whatsapp.media_base_url` (for apps
/// that reach the mock under another name, or allow-list a host), else the host the request
/// came to.
fn base_url(state: &WhatsAppState, headers: &HeaderMap) -> String {
    if let Some(base) = &state.media_base_url {
        return base.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| !host.is_empty());
    match host {
        Some(host) => format!("http://{host}"),
        // Only HTTP/2 requests lack a Host header; the configured address is the best guess.
        None => format!("http://{}", state.server_address),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_errors_carry_the_sentence_as_graphs_message() {
        let error = GraphError::parameter_sentence("The parameter messaging_product is required.");
        assert_eq!(
            error.envelope()["error"]["message"],
            "(#100) The parameter messaging_product is required."
        );
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
    }
}
