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
use serde_json::{Value, json};

use super::auth;
use super::error::GraphError;
use super::messages::graph_error;
use crate::core::CoreError;
use crate::core::media::{self as core_media, DownloadTicket};
use crate::core::tenants::Tenant;
use crate::server::AppState;

/// The body limit of the upload route: the largest file (a 100 MB document) and room for the
/// form's other fields and multipart framing. Anything larger is refused by the extractor.
pub const MAX_UPLOAD_BODY: usize = core_media::MAX_FILE_SIZE as usize + 1024 * 1024;

/// [Upload media](https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#upload-media):
/// `POST /{version}/{phone-number-id}/media`, multipart with `file`, `type` and
/// `messaging_product=whatsapp`. Answers `{"id": "<media id>"}`.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    Path((_version, phone_number_id)): Path<(String, String)>,
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
        None => return Err(graph_param("The parameter messaging_product is required.")),
        Some(product) if !product.eq_ignore_ascii_case("whatsapp") => {
            return Err(graph_param(format!(
                "Param messaging_product must be one of {{WHATSAPP}} - got \"{product}\"."
            )));
        }
        Some(_) => {}
    }
    let Some(file) = form.file else {
        return Err(graph_param("The parameter file is required."));
    };
    // The file part's own Content-Type is what Meta checks: apps that sent a correct `type` with
    // an `application/octet-stream` part were refused with "Received file of type
    // 'application/octet-stream'". `type` stands in only for a part without one.
    let Some(mime_type) = file.content_type.or(form.mime_type) else {
        return Err(graph_param("The parameter type is required."));
    };
    let media = state
        .core
        .upload_media(&tenant, &mime_type, file.bytes, file.name)
        .await
        .map_err(core_error)?;
    Ok(Json(json!({ "id": media.id })).into_response())
}

/// [Retrieve media URL](https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#retrieve-media-url):
/// `GET /{version}/{media-id}`, optionally `?phone_number_id=` to insist the media is that
/// number's. The URL works for 5 minutes of the tenant's clock, and only with the bearer token.
pub async fn retrieve(
    State(state): State<Arc<AppState>>,
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
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    let tenant = auth::tenant_for_token(&state, &headers, query.as_deref())?;
    let params = query_params(query.as_deref());
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let ticket = match (
        param("mid"),
        param("ext").map(str::parse::<i64>),
        param("hash"),
    ) {
        (Some(mid), Some(Ok(expires)), Some(hash)) if mid == id => DownloadTicket {
            expires,
            hash: hash.to_owned(),
        },
        _ => return Err(download_missing()),
    };
    let (media, bytes) = state
        .core
        .download_media(&tenant, &id, &ticket)
        .await
        .map_err(|error| match error {
            CoreError::NotFound => download_missing(),
            other => graph_error(other),
        })?;
    let content_type = HeaderValue::from_str(&media.mime_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    // axum sets Content-Length from the body's exact size.
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// [Delete media](https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#delete-media):
/// `DELETE /{version}/{media-id}`, optionally `?phone_number_id=`. Answers `{"success": true}`.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path((_version, id)): Path<(String, String)>,
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

/// Refuse a message whose media `id` the tenant never uploaded (or whose upload expired), as the
/// send call does: HTTP 400, code 100, `Param image['id'] is not a valid whatsapp business
/// account media attachment ID`, with the path of the id in the message. That sentence is in
/// many apps' logs and error handlers, e.g. for `video['id']`, `document['id']` and
/// `template['components'][0]['parameters'][0]['image']['id']` (n8n's WhatsApp node branches on
/// its ending). `content` is the message's `{type}` object, searched for where the id sits.
///
/// A media id of the wrong kind (a PDF's id in an image message) is accepted: Meta's answer to
/// that is not on record.
pub async fn check_sendable(
    state: &AppState,
    tenant: &Tenant,
    id: &str,
    message_type: &str,
    content: &Value,
) -> Result<(), GraphError> {
    match state.core.media(tenant, id).await {
        Ok(_) => Ok(()),
        Err(CoreError::NotFound) => {
            let path = id_path(content, id, message_type)
                .unwrap_or_else(|| format!("{message_type}['id']"));
            Err(graph_param(format!(
                "Param {path} is not a valid whatsapp business account media attachment ID"
            )))
        }
        Err(other) => Err(graph_error(other)),
    }
}

/// Where media `id` sits in a message's `{type}` object, in Graph's notation: the object itself
/// for an image message (`image['id']`), or a nested media object for headers and template
/// parameters (`template['components'][0]['parameters'][0]['image']['id']`).
fn id_path(content: &Value, id: &str, path: &str) -> Option<String> {
    const MEDIA_KINDS: &[&str] = &["audio", "document", "image", "sticker", "video"];
    let is_it = |value: &Value| value.get("id").and_then(Value::as_str) == Some(id);
    if MEDIA_KINDS.contains(&path) && is_it(content) {
        return Some(format!("{path}['id']"));
    }
    match content {
        Value::Object(object) => object.iter().find_map(|(key, value)| {
            let inner = format!("{path}['{key}']");
            if MEDIA_KINDS.contains(&key.as_str()) && is_it(value) {
                Some(format!("{inner}['id']"))
            } else {
                id_path(value, id, &inner)
            }
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, value)| id_path(value, id, &format!("{path}[{index}]"))),
        _ => None,
    }
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
        for (key, value) in query_params(query) {
            match key.as_str() {
                "messaging_product" => {
                    self.messaging_product.get_or_insert(value);
                }
                "type" => {
                    self.mime_type.get_or_insert(value);
                }
                _ => {}
            }
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
                let bytes = field.bytes().await.map_err(multipart_error)?.to_vec();
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

/// A core refusal of an upload. Graph puts a parameter error's whole sentence in `message`
/// (`(#100) Param file must be a file with one of the following types: …`), so those keep it
/// there; 131053 and the rest take their titles from the code table.
fn core_error(error: CoreError) -> GraphError {
    match error {
        CoreError::Rejected(rejection) if rejection.code == 100 => {
            let mut graph = graph_param(rejection.message);
            if let Ok(status) = StatusCode::from_u16(rejection.http_status) {
                graph.status = status;
            }
            graph
        }
        other => graph_error(other),
    }
}

/// An id this tenant cannot see answers as Graph answers for any object it cannot load.
fn missing_as_unsupported(error: CoreError, method: &str, id: &str) -> GraphError {
    match error {
        CoreError::NotFound => GraphError::unsupported_request(method, id),
        other => graph_error(other),
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
    let given = query_params(query)
        .into_iter()
        .find(|(key, _)| key == "phone_number_id")
        .map(|(_, value)| value);
    match given {
        Some(id) if id != tenant.account().whatsapp.phone_number_id => Err(graph_param(
            "Param phone_number_id is not a valid whatsapp business phone number id ID",
        )),
        _ => Ok(()),
    }
}

/// A code-100 parameter error whose sentence is the whole of Graph's `message`, as in the
/// captured bodies (`(#100) The parameter messaging_product is required.`), rather than the
/// generic "Invalid parameter" title with the sentence in `details`.
fn graph_param(sentence: impl Into<String>) -> GraphError {
    let sentence = sentence.into();
    GraphError::new(StatusCode::BAD_REQUEST, 100, sentence.clone(), sentence)
}

/// Scheme, host and port of download URLs: the configured `whatsapp.media_base_url` (for apps
/// that reach the mock under another name, or allow-list a host), else the host the request
/// came to.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(base) = &state.config.whatsapp.media_base_url {
        return base.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| !host.is_empty());
    match host {
        Some(host) => format!("http://{host}"),
        // Only HTTP/2 requests lack a Host header; the configured address is the best guess.
        None => format!(
            "http://{}:{}",
            state.config.server.host, state.config.server.port
        ),
    }
}

fn query_params(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_paths_name_where_the_id_sits() {
        let image = json!({ "id": "42", "caption": "hi" });
        assert_eq!(
            id_path(&image, "42", "image").as_deref(),
            Some("image['id']")
        );

        let template = json!({
            "name": "promo",
            "components": [
                { "type": "header", "parameters": [{ "type": "image", "image": { "id": "42" } }] }
            ]
        });
        assert_eq!(
            id_path(&template, "42", "template").as_deref(),
            Some("template['components'][0]['parameters'][0]['image']['id']")
        );

        let interactive = json!({
            "type": "button",
            "header": { "type": "document", "document": { "id": "42" } },
            "action": { "buttons": [{ "reply": { "id": "42", "title": "ok" } }] }
        });
        assert_eq!(
            id_path(&interactive, "42", "interactive").as_deref(),
            Some("interactive['header']['document']['id']")
        );
        assert_eq!(id_path(&interactive, "7", "interactive"), None);
    }

    #[test]
    fn parameter_errors_carry_the_sentence_as_graphs_message() {
        let error = graph_param("The parameter messaging_product is required.");
        assert_eq!(
            error.envelope()["error"]["message"],
            "(#100) The parameter messaging_product is required."
        );
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
    }
}
