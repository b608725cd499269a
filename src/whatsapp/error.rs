//! Meta's Graph error envelope. Every 4xx/5xx on a WhatsApp route, including the router's own
//! 404/405/413/415, leaves as
//! `{"error":{"message","type","code","error_subcode"?,"error_data":{"messaging_product","details"},"fbtrace_id"}}`
//! (Meta's "Handling Errors" page; spec schema `GraphAPIError`; a real 131030 body in heyoo #94).
//!
//! Meta tells apps to key on `code` and `error_data.details`, not on titles or HTTP statuses
//! (Meta error-codes page), so the codes and details here are the part that must be right; the
//! titles follow Meta's error-codes table and the statuses follow what has been seen on the wire.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::core::CoreError;
use crate::core::access::AccessDenied;
use crate::providers::meta::{UNKNOWN_TITLE, error_entry, is_version};

/// One Graph API error, ready to render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("(#{code}) {title}: {details}")]
pub struct GraphError {
    pub status: StatusCode,
    pub code: u32,
    /// Graph subcodes are deprecated for WhatsApp (v16.0+ omits most of them) but a few, like 33
    /// on "object does not exist", still appear and some SDKs branch on them.
    pub subcode: Option<u32>,
    /// Goes into `message` after the `(#code) ` prefix.
    pub title: String,
    /// `error_data.details`: the sentence Meta tells apps to read.
    pub details: String,
}

impl GraphError {
    pub fn new(
        status: StatusCode,
        code: u32,
        title: impl Into<String>,
        details: impl Into<String>,
    ) -> Self {
        GraphError {
            status,
            code,
            subcode: None,
            title: title.into(),
            details: details.into(),
        }
    }

    pub fn with_subcode(mut self, subcode: u32) -> Self {
        self.subcode = Some(subcode);
        self
    }

    /// The error for `code` with Meta's title and HTTP status. Without `details` the title is
    /// repeated there, as Meta's webhook `errors[]` do when they have nothing more to say.
    pub fn for_code(code: u32, details: Option<String>) -> Self {
        let (title, status) = error_entry(code).unwrap_or((UNKNOWN_TITLE, 400));
        GraphError::new(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code,
            title,
            details.unwrap_or_else(|| title.to_owned()),
        )
    }

    /// 100: an unsupported, misspelled or wrongly typed parameter.
    pub fn invalid_parameter(details: impl Into<String>) -> Self {
        Self::for_code(100, Some(details.into()))
    }

    /// 131008: a required parameter is absent.
    pub fn missing_parameter(details: impl Into<String>) -> Self {
        Self::for_code(131008, Some(details.into()))
    }

    /// 131009: a parameter is present but its value breaks a limit or a format.
    pub fn invalid_value(details: impl Into<String>) -> Self {
        Self::for_code(131009, Some(details.into()))
    }

    /// 190: the access token is missing, unparsable, expired or revoked. Add Meta's subcode
    /// with [`GraphError::with_subcode`] (463 expired, 460 invalidated). 401 is what WhatsApp
    /// endpoints answer; `/me` answers 400 (reference §2.5).
    pub fn access_token(details: impl Into<String>) -> Self {
        Self::for_code(190, Some(details.into()))
    }

    /// 100 with subcode 33: the object (a media id, a phone number id) does not exist or this
    /// token cannot see it. The spec's `GraphAPIError` example pairs 100 with subcode 33.
    pub fn object_missing(details: impl Into<String>) -> Self {
        Self::for_code(100, Some(details.into())).with_subcode(33)
    }

    /// Graph's answer when a known-looking id cannot be read or does not support the method:
    /// `Unsupported get request. Object with ID '…' does not exist, cannot be loaded due to
    /// missing permissions, or does not support this operation` (100, subcode 33, HTTP 400).
    /// `method` may be empty when the caller does not know it. Graph sends this with type
    /// `GraphMethodException`; mockingbird keeps `OAuthException` for every error, as every
    /// captured WhatsApp sample has it.
    pub fn unsupported_request(method: &str, object_id: &str) -> Self {
        let method = method.to_ascii_lowercase();
        let verb = if method.is_empty() {
            "Unsupported request".to_owned()
        } else {
            format!("Unsupported {method} request")
        };
        let sentence = format!(
            "{verb}. Object with ID '{object_id}' does not exist, cannot be loaded due to \
             missing permissions, or does not support this operation"
        );
        Self::parameter_sentence(sentence).with_subcode(33)
    }

    /// A code-100 parameter error whose sentence is the whole of Graph's `message`, as in the
    /// captured bodies (`(#100) The parameter messaging_product is required.`, `(#100) Param
    /// image['id'] is not a valid whatsapp business account media attachment ID`), rather than
    /// the generic "Invalid parameter" title with the sentence in `details`.
    pub fn parameter_sentence(sentence: impl Into<String>) -> Self {
        let sentence = sentence.into();
        GraphError::new(StatusCode::BAD_REQUEST, 100, sentence.clone(), sentence)
    }

    /// A request that may not act as a tenant, in Graph's words: 190 for a missing or invalid
    /// token (a suspended account's token is no longer valid), 100 for an unknown object.
    pub fn denied(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::NoCredentials => Self::access_token(
                "An active access token must be used to query information about the current user.",
            ),
            AccessDenied::InvalidCredentials | AccessDenied::NotAllowed => {
                Self::access_token("Invalid OAuth access token - Cannot parse access token")
            }
            AccessDenied::Unknown => Self::object_missing("The object does not exist."),
        }
    }

    /// Graph's answer for a route it does not have: code 2500, HTTP 400,
    /// `Unknown path components: /me/messages` (koala #611 logs the status and code; the
    /// laravel-notification-channels and php-graph-sdk reports show the wording). The version
    /// segment is not part of what Graph reports, so `/v23.0/x/y` is reported as `/x/y`.
    /// Graph's own message has no `(#2500)` prefix; this envelope always adds one, which clients
    /// keying on `code` do not notice.
    pub fn unknown_path(path: &str) -> Self {
        let components = strip_version(path);
        let title = format!("Unknown path components: {components}");
        GraphError::new(StatusCode::BAD_REQUEST, 2500, title.clone(), title)
    }

    /// 130429: the number's throughput (80 messages per second by default) is used up.
    pub fn rate_limited() -> Self {
        Self::for_code(
            130429,
            Some(
                "Message failed to send because there were too many messages sent from this \
                 phone number in a short period of time"
                    .into(),
            ),
        )
    }

    /// 131000: the mock's own failure. Callers log the cause; clients learn only this.
    pub fn internal() -> Self {
        Self::for_code(131000, Some("Something went wrong".into()))
    }

    /// 131053: the media could not be uploaded or fetched for sending.
    pub fn media_upload(details: impl Into<String>) -> Self {
        Self::for_code(131053, Some(details.into()))
    }

    /// A Meta-shaped error for a status the router or an extractor produced with no body of its
    /// own. Graph itself never answers 404 or 405: an unknown route is 2500 and a method an
    /// object does not support is 100/33, both HTTP 400, so those two are rendered as Graph
    /// would. For the rest Graph documents nothing, so the status is kept and the code is
    /// 100 (client errors) or 131000 (server errors), with details saying what happened.
    pub fn for_status(status: StatusCode, path: &str) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::unknown_path(path),
            StatusCode::METHOD_NOT_ALLOWED => Self::unsupported_request("", first_component(path)),
            StatusCode::UNAUTHORIZED => {
                Self::access_token("Invalid OAuth access token - Cannot parse access token")
            }
            StatusCode::FORBIDDEN => Self::for_code(10, None),
            StatusCode::TOO_MANY_REQUESTS => Self::rate_limited(),
            StatusCode::SERVICE_UNAVAILABLE => Self::for_code(131016, None),
            StatusCode::PAYLOAD_TOO_LARGE => GraphError {
                status,
                ..Self::invalid_parameter("The request body is too large.")
            },
            StatusCode::UNSUPPORTED_MEDIA_TYPE => GraphError {
                status,
                ..Self::invalid_parameter(
                    "Unsupported content type: send the request body as application/json.",
                )
            },
            _ if status.is_server_error() => GraphError {
                status,
                ..Self::internal()
            },
            _ => GraphError {
                status,
                ..Self::invalid_parameter(format!(
                    "The request could not be processed: {}.",
                    status.canonical_reason().unwrap_or("bad request")
                ))
            },
        }
    }

    /// `message` as Meta writes it: `(#131030) Recipient phone number not in allowed list`.
    pub fn message(&self) -> String {
        format!("(#{}) {}", self.code, self.title)
    }

    /// The JSON body, with a fresh `fbtrace_id`. Keys are in Meta's order (the crate builds
    /// serde_json with `preserve_order`).
    pub fn envelope(&self) -> Value {
        let mut error = Map::new();
        error.insert("message".into(), self.message().into());
        error.insert("type".into(), "OAuthException".into());
        error.insert("code".into(), self.code.into());
        if let Some(subcode) = self.subcode {
            error.insert("error_subcode".into(), subcode.into());
        }
        error.insert(
            "error_data".into(),
            json!({ "messaging_product": "whatsapp", "details": self.details }),
        );
        error.insert("fbtrace_id".into(), fbtrace_id().into());
        json!({ "error": Value::Object(error) })
    }
}

/// A core refusal in Meta's words. A rejection carries its code and HTTP status (a rule's
/// own, or Meta's for the window, the allow list, templates and media); a code-100 one is a
/// parameter sentence. The rest are the mock's own failures: logged, and 131000 outside.
impl From<CoreError> for GraphError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::Rejected(rejection) => {
                let mut graph = if rejection.code == 100 {
                    GraphError::parameter_sentence(rejection.message)
                } else {
                    GraphError::for_code(rejection.code, Some(rejection.message))
                };
                if let Ok(status) = StatusCode::from_u16(rejection.http_status)
                    && (400..600).contains(&rejection.http_status)
                {
                    graph.status = status;
                }
                graph
            }
            CoreError::NotFound => GraphError::object_missing("The object does not exist."),
            CoreError::Denied(denied) => GraphError::denied(denied),
            CoreError::Invalid(details)
            | CoreError::Conflict(details)
            | CoreError::FailedPrecondition(details) => GraphError::invalid_parameter(details),
            CoreError::InvalidRule(rule) => GraphError::invalid_parameter(rule.to_string()),
            CoreError::ClockNotFrozen | CoreError::Store(_) => {
                tracing::error!(%error, "WhatsApp request failed");
                GraphError::internal()
            }
        }
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.envelope())).into_response();
        if self.code == 190 {
            // Graph's OAuth challenge for a bad token (seen alongside a 190 in a Graph fixture).
            // A title that cannot be a header value only loses the header, never the body.
            let challenge = format!(
                "OAuth \"Facebook Platform\" \"invalid_token\" \"{}\"",
                self.message()
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

/// An opaque trace id shaped like Meta's: every captured one is 23 URL-safe base64 characters
/// starting with `A` (`AauRgAP8m_ImekhgAZPeC7d`, `ABuwLf-MvFCEZAEGKA-c8m_`).
fn fbtrace_id() -> String {
    let bytes: [u8; 16] = rand::random();
    format!("A{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `/v23.0/123/messages` → `/123/messages`; paths without a version are returned as they are.
fn strip_version(path: &str) -> &str {
    let trimmed = path.trim_start_matches('/');
    let first = trimmed.split('/').next().unwrap_or("");
    match &trimmed[first.len()..] {
        _ if !is_version(first) => path,
        "" => "/",
        rest => rest,
    }
}

/// The object id Graph would name for `path`: its first component after the version.
fn first_component(path: &str) -> &str {
    strip_version(path)
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(value: &Value) -> &Map<String, Value> {
        value["error"].as_object().expect("an error object")
    }

    #[test]
    fn envelope_has_metas_keys_in_metas_order() {
        // As the send call renders the core's refusal for a test number's stranger.
        let envelope = GraphError::from(CoreError::Rejected(crate::core::rules::Rejection::new(
            400,
            131030,
            "Recipient phone number not in allowed list: Add recipient phone number to \
                 recipient list and try again.",
        )))
        .envelope();
        let error = error_of(&envelope);
        let keys: Vec<&str> = error.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["message", "type", "code", "error_data", "fbtrace_id"]
        );
        assert_eq!(
            error["message"],
            "(#131030) Recipient phone number not in allowed list"
        );
        assert_eq!(error["type"], "OAuthException");
        assert_eq!(error["code"], 131030);
        assert_eq!(
            error["error_data"],
            json!({
                "messaging_product": "whatsapp",
                "details": "Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again."
            })
        );
        let keys: Vec<&str> = error["error_data"]
            .as_object()
            .expect("error_data")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["messaging_product", "details"]);
    }

    #[test]
    fn subcode_appears_after_code_only_when_set() {
        let envelope = GraphError::object_missing("Unknown media id 123").envelope();
        let error = error_of(&envelope);
        let keys: Vec<&str> = error.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "message",
                "type",
                "code",
                "error_subcode",
                "error_data",
                "fbtrace_id"
            ]
        );
        assert_eq!(error["code"], 100);
        assert_eq!(error["error_subcode"], 33);
        assert!(!error_of(&GraphError::internal().envelope()).contains_key("error_subcode"));
    }

    #[test]
    fn fbtrace_ids_look_like_metas_and_differ() {
        let a = fbtrace_id();
        let b = fbtrace_id();
        assert_eq!(a.len(), 23);
        assert!(a.starts_with('A'));
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn renders_json_with_status_and_no_challenge_outside_190() {
        let response = GraphError::invalid_value("Button title length invalid").into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        assert!(!response.headers().contains_key(header::WWW_AUTHENTICATE));
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let body: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(
            body["error"]["message"],
            "(#131009) Parameter value is not valid"
        );
        assert_eq!(
            body["error"]["error_data"]["details"],
            "Button title length invalid"
        );
    }

    #[test]
    fn token_errors_carry_the_oauth_challenge() {
        let response = GraphError::access_token("Session has expired")
            .with_subcode(463)
            .into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "OAuth \"Facebook Platform\" \"invalid_token\" \"(#190) Access token has expired\""
        );
    }

    #[test]
    fn constructors_use_the_tables_codes_and_statuses() {
        let cases = [
            (GraphError::invalid_parameter("x"), 100, 400),
            (GraphError::missing_parameter("x"), 131008, 400),
            (GraphError::invalid_value("x"), 131009, 400),
            (GraphError::access_token("x"), 190, 401),
            (GraphError::object_missing("x"), 100, 400),
            (GraphError::for_code(131030, None), 131030, 400),
            (GraphError::for_code(131047, None), 131047, 400),
            (GraphError::for_code(132000, None), 132000, 400),
            (GraphError::for_code(132001, None), 132001, 404),
            (GraphError::rate_limited(), 130429, 429),
            (GraphError::internal(), 131000, 500),
            (GraphError::media_upload("x"), 131053, 400),
        ];
        for (error, code, status) in cases {
            assert_eq!(error.code, code, "{error}");
            assert_eq!(error.status.as_u16(), status, "{error}");
        }
        assert_eq!(
            GraphError::for_code(132001, None).title,
            "Template name does not exist in the translation"
        );
        assert_eq!(
            GraphError::for_code(131030, None).title,
            "Recipient phone number not in allowed list"
        );
    }

    #[test]
    fn unknown_codes_get_metas_generic_error() {
        let unknown = GraphError::for_code(999_999, None);
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
        assert_eq!(unknown.title, "Error");
        assert_eq!(unknown.details, "Error");
    }

    #[test]
    fn unknown_routes_answer_as_graph_does() {
        let error = GraphError::for_status(StatusCode::NOT_FOUND, "/v23.0/123/messagez");
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(error.code, 2500);
        assert_eq!(
            error.message(),
            "(#2500) Unknown path components: /123/messagez"
        );
        assert_eq!(
            GraphError::unknown_path("/nope").title,
            "Unknown path components: /nope"
        );

        let error = GraphError::for_status(StatusCode::METHOD_NOT_ALLOWED, "/v23.0/123/messages");
        assert_eq!(
            (error.status, error.code, error.subcode),
            (StatusCode::BAD_REQUEST, 100, Some(33))
        );
        assert!(
            error
                .title
                .starts_with("Unsupported request. Object with ID '123'")
        );
        assert!(
            GraphError::unsupported_request("GET", "42")
                .title
                .starts_with("Unsupported get request. Object with ID '42' does not exist")
        );
    }

    #[test]
    fn other_router_statuses_are_meta_shaped() {
        for status in [
            StatusCode::BAD_REQUEST,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_GATEWAY,
        ] {
            let error = GraphError::for_status(status, "/v23.0/1/messages");
            assert_eq!(error.status, status);
            assert!(!error.details.is_empty());
            assert!(!error.title.is_empty());
        }
        // The bodies a client sees for an oversized or non-JSON request.
        let too_large = GraphError::for_status(StatusCode::PAYLOAD_TOO_LARGE, "/");
        assert_eq!(
            (too_large.status, too_large.code, too_large.details.as_str()),
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                100,
                "The request body is too large."
            )
        );
        let unsupported = GraphError::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE, "/");
        assert_eq!(
            (
                unsupported.status,
                unsupported.code,
                unsupported.details.as_str()
            ),
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                100,
                "Unsupported content type: send the request body as application/json."
            )
        );
        assert_eq!(
            GraphError::for_status(StatusCode::PAYLOAD_TOO_LARGE, "/").code,
            100
        );
        assert_eq!(
            GraphError::for_status(StatusCode::BAD_GATEWAY, "/").code,
            131000
        );
        assert_eq!(
            GraphError::for_status(StatusCode::TOO_MANY_REQUESTS, "/").code,
            130429
        );
        assert_eq!(
            GraphError::for_status(StatusCode::UNAUTHORIZED, "/").code,
            190
        );
    }
}
