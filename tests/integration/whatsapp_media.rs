//! WhatsApp Cloud API media: upload, the download URL and its 5-minute life, the download with
//! and without the bearer token, the 30-day life of an id, delete, and the refusals, each in
//! Meta's envelope. Multipart bodies are built by hand so a test controls every part header.

use mockingbird::core::tenants::WindowPolicy;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::whatsapp::{ACCESS_TOKEN, PHONE_NUMBER_ID, USER, messages_path};
use crate::support::{SID, TestApp, assert_graph_error, read, spawn_app, spawn_with, test_config};

const JPEG: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 not really a picture \xff\xd9";
const MINUTE: u64 = 60 * 1000;
const DAY: u64 = 24 * 60 * MINUTE;

/// One part of a multipart form.
pub struct Part<'a> {
    name: &'a str,
    filename: Option<&'a str>,
    content_type: Option<&'a str>,
    body: &'a [u8],
}

pub fn field<'a>(name: &'a str, value: &'a str) -> Part<'a> {
    Part {
        name,
        filename: None,
        content_type: None,
        body: value.as_bytes(),
    }
}

fn file<'a>(content_type: Option<&'a str>, body: &'a [u8]) -> Part<'a> {
    Part {
        name: "file",
        filename: Some("upload.bin"),
        content_type,
        body,
    }
}

/// The usual upload: the file with its type, `type` and `messaging_product`.
fn upload_form<'a>(mime: &'a str, body: &'a [u8]) -> Vec<Part<'a>> {
    vec![
        file(Some(mime), body),
        field("type", mime),
        field("messaging_product", "whatsapp"),
    ]
}

/// `multipart/form-data` as RFC 7578 writes it: the Content-Type and the body.
pub fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "mockingbird-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
        if let Some(filename) = part.filename {
            disposition.push_str(&format!("; filename=\"{filename}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(content_type) = part.content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(part.body);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload_as(app: &TestApp, token: &str, parts: &[Part<'_>]) -> (u16, Value) {
    let (content_type, body) = multipart(parts);
    let response = app
        .http
        .post(app.url(&format!("/v23.0/{PHONE_NUMBER_ID}/media")))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    read(response).await
}

/// Upload as the default tenant; panics unless it succeeds. Returns the media id.
async fn upload(app: &TestApp, mime: &str, body: &[u8]) -> String {
    let (status, reply) = upload_as(app, ACCESS_TOKEN, &upload_form(mime, body)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply.as_object().map(|o| o.len()),
        Some(1),
        "only the id: {reply}"
    );
    reply["id"].as_str().expect("an id").to_owned()
}

/// `GET /v23.0/{path}` with a bearer token.
async fn graph_get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let response = app
        .http
        .get(app.url(&format!("/v23.0/{path}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    read(response).await
}

/// The download URL of a media id; panics unless the GET succeeds.
async fn media_url(app: &TestApp, id: &str) -> String {
    let (status, body) = graph_get(app, ACCESS_TOKEN, id).await;
    assert_eq!(status, 200, "{body}");
    body["url"].as_str().expect("a url").to_owned()
}

async fn download(app: &TestApp, url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.http.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

async fn delete(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    let response = app
        .http
        .delete(app.url(&format!("/v23.0/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    read(response).await
}

/// Send a message of `message_type` whose media is `media`.
async fn send_media(app: &TestApp, message_type: &str, media: Value) -> (u16, Value) {
    let mut body = json!({
        "messaging_product": "whatsapp",
        "to": USER,
        "type": message_type,
    });
    body[message_type] = media;
    app.graph_post(ACCESS_TOKEN, &messages_path(), &body).await
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn an_upload_is_retrieved_and_downloaded_with_the_bearer_token() {
    let app = spawn_app().await;
    let id = upload(&app, "image/jpeg", JPEG).await;
    assert_eq!(id.len(), 16, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");

    let (status, body) = graph_get(&app, ACCESS_TOKEN, &id).await;
    assert_eq!(status, 200, "{body}");
    let keys: Vec<&str> = body
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "messaging_product",
            "url",
            "mime_type",
            "sha256",
            "file_size",
            "id"
        ]
    );
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["mime_type"], "image/jpeg");
    assert_eq!(body["sha256"], sha256_hex(JPEG));
    assert_eq!(body["file_size"], JPEG.len() as u64, "an integer: {body}");
    assert_eq!(body["id"], id.as_str());
    let url = body["url"].as_str().expect("a url");
    let prefix = format!("{}/whatsapp/media/{id}?mid={id}&ext=", app.base);
    assert!(url.starts_with(&prefix), "{url}");
    assert!(url.contains("&hash="), "{url}");

    // The owner's phone-number id is accepted; another is not.
    let (status, _) = graph_get(
        &app,
        ACCESS_TOKEN,
        &format!("{id}?phone_number_id={PHONE_NUMBER_ID}"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = graph_get(&app, ACCESS_TOKEN, &format!("{id}?phone_number_id=999")).await;
    assert_graph_error(status, &body, 400, 100);
    assert_eq!(
        body["error"]["message"],
        "(#100) Param phone_number_id is not a valid whatsapp business phone number id ID"
    );

    let response = download(&app, url, Some(ACCESS_TOKEN)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(
        response.headers()["content-length"],
        JPEG.len().to_string().as_str()
    );
    assert_eq!(response.bytes().await.expect("body").as_ref(), JPEG);

    // Like Meta's, the URL is useless without the token.
    let (status, body) = read(download(&app, url, None).await).await;
    assert_graph_error(status, &body, 401, 190);
    let (status, body) = read(download(&app, url, Some("not-the-token")).await).await;
    assert_graph_error(status, &body, 401, 190);

    // An altered URL finds nothing.
    let tampered = url.replace("&hash=", "&hash=00");
    let (status, body) = read(download(&app, &tampered, Some(ACCESS_TOKEN)).await).await;
    assert_graph_error(status, &body, 404, 100);
    let later = url.replace("&ext=", "&ext=9");
    let (status, body) = read(download(&app, &later, Some(ACCESS_TOKEN)).await).await;
    assert_graph_error(status, &body, 404, 100);
}

#[tokio::test]
async fn a_download_url_works_for_five_minutes_of_the_tenants_clock() {
    let app = spawn_app().await;
    let tenant = app.freeze_default().await;
    let mut control = app.control().await;
    let id = upload(&app, "application/pdf", b"%PDF-1.4 tiny").await;
    let url = media_url(&app, &id).await;

    control.advance(&tenant, 5 * MINUTE - 1000).await;
    let response = download(&app, &url, Some(ACCESS_TOKEN)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");

    control.advance(&tenant, 1000).await;
    let (status, body) = read(download(&app, &url, Some(ACCESS_TOKEN)).await).await;
    assert_graph_error(status, &body, 404, 100);

    // A fresh GET gives a URL that works again.
    let fresh = media_url(&app, &id).await;
    assert_ne!(fresh, url);
    let response = download(&app, &fresh, Some(ACCESS_TOKEN)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        b"%PDF-1.4 tiny"
    );
}

#[tokio::test]
async fn a_media_id_is_gone_after_30_days() {
    let mut config = test_config();
    config.whatsapp.window = WindowPolicy::Off;
    let app = spawn_with(config).await;
    let tenant = app.freeze_default().await;
    let mut control = app.control().await;
    let id = upload(&app, "image/png", b"\x89PNG\r\n\x1a\n").await;

    control.advance(&tenant, 30 * DAY - 1000).await;
    let (status, body) = send_media(&app, "image", json!({ "id": id })).await;
    assert_eq!(status, 200, "an image by a live id is sent: {body}");

    control.advance(&tenant, 1000).await;
    let (status, body) = graph_get(&app, ACCESS_TOKEN, &id).await;
    assert_graph_error(status, &body, 400, 100);
    assert_eq!(body["error"]["error_subcode"], 33, "{body}");
    assert_eq!(
        body["error"]["message"],
        format!(
            "(#100) Unsupported get request. Object with ID '{id}' does not exist, cannot be \
             loaded due to missing permissions, or does not support this operation"
        )
    );

    let (status, body) = send_media(&app, "image", json!({ "id": id })).await;
    assert_graph_error(status, &body, 400, 100);
    assert_eq!(
        body["error"]["message"],
        "(#100) Param image['id'] is not a valid whatsapp business account media attachment ID"
    );
}

#[tokio::test]
async fn sending_an_unknown_media_id_names_where_it_sits() {
    let mut config = test_config();
    config.whatsapp.window = WindowPolicy::Off;
    let app = spawn_with(config).await;
    let (status, body) = send_media(
        &app,
        "document",
        json!({ "id": "1234567890123456", "filename": "a.pdf" }),
    )
    .await;
    assert_graph_error(status, &body, 400, 100);
    assert_eq!(
        body["error"]["message"],
        "(#100) Param document['id'] is not a valid whatsapp business account media attachment ID"
    );

    // Another tenant's upload is not this one's to send.
    let mut control = app.control().await;
    let other = control.tenant("other").await;
    let other_token = other
        .whatsapp
        .as_ref()
        .expect("identity")
        .access_token
        .clone();
    let other_number = other
        .whatsapp
        .as_ref()
        .expect("identity")
        .phone_number_id
        .clone();
    let (content_type, form) = multipart(&upload_form("image/jpeg", JPEG));
    let response = app
        .http
        .post(app.url(&format!("/v23.0/{other_number}/media")))
        .bearer_auth(&other_token)
        .header("content-type", content_type)
        .body(form)
        .send()
        .await
        .expect("request");
    let (status, body) = read(response).await;
    assert_eq!(status, 200, "{body}");
    let theirs = body["id"].as_str().expect("an id").to_owned();
    let (status, body) = send_media(&app, "image", json!({ "id": theirs })).await;
    assert_graph_error(status, &body, 400, 100);
    let (status, body) = graph_get(&app, ACCESS_TOKEN, &theirs).await;
    assert_graph_error(status, &body, 400, 100);

    // Their download URL does not work with this tenant's token either.
    let (status, body) = graph_get(&app, &other_token, &theirs).await;
    assert_eq!(status, 200, "{body}");
    let url = body["url"].as_str().expect("a url");
    let (status, body) = read(download(&app, url, Some(ACCESS_TOKEN)).await).await;
    assert_graph_error(status, &body, 404, 100);
    assert_eq!(download(&app, url, Some(&other_token)).await.status(), 200);
}

#[tokio::test]
async fn a_deleted_media_id_is_unknown() {
    let app = spawn_app().await;
    let id = upload(&app, "audio/ogg; codecs=opus", b"OggS voice").await;
    let url = media_url(&app, &id).await;
    let (status, body) = graph_get(&app, ACCESS_TOKEN, &id).await;
    assert_eq!(status, 200);
    assert_eq!(body["mime_type"], "audio/ogg; codecs=opus");

    let (status, body) = delete(&app, ACCESS_TOKEN, &id).await;
    assert_eq!((status, body), (200, json!({ "success": true })));

    let (status, body) = graph_get(&app, ACCESS_TOKEN, &id).await;
    assert_graph_error(status, &body, 400, 100);
    assert_eq!(body["error"]["error_subcode"], 33, "{body}");
    let (status, body) = read(download(&app, &url, Some(ACCESS_TOKEN)).await).await;
    assert_graph_error(status, &body, 404, 100);

    let (status, body) = delete(&app, ACCESS_TOKEN, &id).await;
    assert_graph_error(status, &body, 400, 100);
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("(#100) Unsupported delete request.")),
        "{body}"
    );
    let (status, body) = delete(&app, "not-the-token", &id).await;
    assert_graph_error(status, &body, 401, 190);
}

#[tokio::test]
async fn a_reset_tenant_loses_its_media() {
    let app = spawn_app().await;
    let id = upload(&app, "text/plain", b"hello").await;
    let mut control = app.control().await;
    control.reset(SID).await;
    let (status, body) = graph_get(&app, ACCESS_TOKEN, &id).await;
    assert_graph_error(status, &body, 400, 100);
}

#[tokio::test]
async fn refused_uploads_answer_in_metas_words() {
    let app = spawn_app().await;

    // A type WhatsApp does not take: Meta's own sentence, code 100.
    let (status, body) =
        upload_as(&app, ACCESS_TOKEN, &upload_form("application/xml", b"<a/>")).await;
    assert_graph_error(status, &body, 400, 100);
    let message = body["error"]["message"].as_str().expect("a message");
    assert!(
        message.starts_with(
            "(#100) Param file must be a file with one of the following types: audio/aac,"
        ),
        "{message}"
    );
    assert!(
        message.ends_with("Received file of type 'application/xml'."),
        "{message}"
    );

    // The part's own type decides, whatever `type` says.
    let parts = [
        file(Some("application/octet-stream"), JPEG),
        field("type", "image/jpeg"),
        field("messaging_product", "whatsapp"),
    ];
    let (status, body) = upload_as(&app, ACCESS_TOKEN, &parts).await;
    assert_graph_error(status, &body, 400, 100);
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("Received file of type 'application/octet-stream'.")),
        "{body}"
    );
    // A part without a type takes `type`'s.
    let parts = [
        field("messaging_product", "whatsapp"),
        field("type", "image/jpeg"),
        file(None, JPEG),
    ];
    let (status, body) = upload_as(&app, ACCESS_TOKEN, &parts).await;
    assert_eq!(status, 200, "{body}");

    // Too large for its type, or empty: 131053.
    let big_image = vec![0u8; 5 * 1024 * 1024 + 1];
    let (status, body) =
        upload_as(&app, ACCESS_TOKEN, &upload_form("image/jpeg", &big_image)).await;
    assert_graph_error(status, &body, 400, 131053);
    assert_eq!(body["error"]["message"], "(#131053) Media upload error");
    assert_eq!(
        body["error"]["error_data"]["details"],
        "The file is too large: 5242881 bytes. Files of type image/jpeg may be at most 5 MB \
         (5242880 bytes)."
    );
    let big_sticker = vec![0u8; 500 * 1024 + 1];
    let (status, body) =
        upload_as(&app, ACCESS_TOKEN, &upload_form("image/webp", &big_sticker)).await;
    assert_graph_error(status, &body, 400, 131053);
    // Under a document's limit, over an image's: the type decides.
    let (status, body) = upload_as(
        &app,
        ACCESS_TOKEN,
        &upload_form("application/pdf", &big_image),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = upload_as(&app, ACCESS_TOKEN, &upload_form("image/png", b"")).await;
    assert_graph_error(status, &body, 400, 131053);
    assert_eq!(
        body["error"]["error_data"]["details"],
        "The uploaded file is empty."
    );

    // The plain parameters.
    let parts = [file(Some("image/jpeg"), JPEG), field("type", "image/jpeg")];
    let (status, body) = upload_as(&app, ACCESS_TOKEN, &parts).await;
    assert_graph_error(status, &body, 400, 100);
    assert_eq!(
        body["error"]["message"],
        "(#100) The parameter messaging_product is required."
    );
    let parts = [
        file(Some("image/jpeg"), JPEG),
        field("messaging_product", "sms"),
    ];
    let (status, body) = upload_as(&app, ACCESS_TOKEN, &parts).await;
    assert_graph_error(status, &body, 400, 100);
    assert_eq!(
        body["error"]["message"],
        "(#100) Param messaging_product must be one of {WHATSAPP} - got \"sms\"."
    );
    let parts = [
        field("messaging_product", "whatsapp"),
        field("type", "image/jpeg"),
    ];
    let (status, body) = upload_as(&app, ACCESS_TOKEN, &parts).await;
    assert_graph_error(status, &body, 400, 100);
    assert_eq!(
        body["error"]["message"],
        "(#100) The parameter file is required."
    );
    // Not multipart at all: no parameters.
    let response = app
        .http
        .post(app.url(&format!("/v23.0/{PHONE_NUMBER_ID}/media")))
        .bearer_auth(ACCESS_TOKEN)
        .header("content-type", "application/json")
        .body(json!({ "messaging_product": "whatsapp" }).to_string())
        .send()
        .await
        .expect("request");
    let (status, body) = read(response).await;
    assert_graph_error(status, &body, 400, 100);

    // The token.
    let (status, body) = upload_as(&app, "not-the-token", &upload_form("image/jpeg", JPEG)).await;
    assert_graph_error(status, &body, 401, 190);
    let (status, body) = graph_get(&app, "not-the-token", "1234567890123456").await;
    assert_graph_error(status, &body, 401, 190);
}

#[tokio::test]
async fn download_urls_use_the_configured_host() {
    let mut config = test_config();
    config.whatsapp.media_base_url = Some("https://lookaside.example.test/".into());
    let app = spawn_with(config).await;
    let id = upload(&app, "video/mp4", b"\x00\x00\x00\x18ftypmp42").await;
    let url = media_url(&app, &id).await;
    assert!(
        url.starts_with(&format!(
            "https://lookaside.example.test/whatsapp/media/{id}?mid={id}&ext="
        )),
        "{url}"
    );
}
