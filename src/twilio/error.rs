//! Twilio's error envelope: `{code, message, more_info, status}`. Every 4xx/5xx on a Twilio
//! route, including the router's own 404/405/413/415, leaves in this shape.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::core::CoreError;
use crate::core::access::AccessDenied;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
    /// Twilio adds `detail` to some errors (the 401).
    pub detail: Option<String>,
}

impl TwilioError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        TwilioError {
            status,
            code,
            message: message.into(),
            detail: None,
        }
    }

    pub fn bad_request(code: u32, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(message: &str) -> Self {
        TwilioError {
            detail: Some("Your AccountSid or AuthToken was incorrect.".into()),
            ..Self::new(StatusCode::UNAUTHORIZED, 20003, message)
        }
    }

    /// A request that may not act as the tenant it names, in Twilio's words: 20003 with the
    /// sentence Twilio gives each case.
    pub fn denied(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::NoCredentials => {
                TwilioError::unauthorized("Authentication Error - No credentials provided")
            }
            AccessDenied::InvalidCredentials => {
                TwilioError::unauthorized("Authentication Error - invalid username")
            }
            AccessDenied::NotAllowed => TwilioError::unauthorized("Authenticate"),
            AccessDenied::Unknown => TwilioError::new(
                StatusCode::NOT_FOUND,
                20404,
                "The requested resource was not found",
            ),
        }
    }

    pub fn not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            20404,
            format!("The requested resource {path} was not found"),
        )
    }

    /// The envelope for an error the router or an extractor produced with no body of its own.
    /// 404, 403, 429 and 500 carry Twilio's codes (20404, 20403, 20429, 20500) and 405 its
    /// 20004; for the rest Twilio documents no code, and mockingbird follows the same pattern
    /// (20000 + the HTTP status, e.g. 20413 and 20415).
    pub fn for_status(status: StatusCode, path: &str) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::not_found(path),
            StatusCode::METHOD_NOT_ALLOWED => Self::new(status, 20004, "Method not allowed"),
            StatusCode::PAYLOAD_TOO_LARGE => Self::new(status, 20413, "Request body too large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::new(
                status,
                20415,
                "Unsupported media type: send application/x-www-form-urlencoded",
            ),
            _ => Self::new(
                status,
                20000 + u32::from(status.as_u16()),
                status.canonical_reason().unwrap_or("Error"),
            ),
        }
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    code: u32,
    message: &'a str,
    more_info: String,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

impl IntoResponse for TwilioError {
    fn into_response(self) -> Response {
        let body = Envelope {
            code: self.code,
            message: &self.message,
            more_info: format!("https://www.twilio.com/docs/errors/{}", self.code),
            status: self.status.as_u16(),
            detail: self.detail.as_deref(),
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Twilio API\""),
            );
        }
        response
    }
}

impl From<CoreError> for TwilioError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::Rejected(rejection) => TwilioError::new(
                StatusCode::from_u16(rejection.http_status).unwrap_or(StatusCode::BAD_REQUEST),
                rejection.code,
                rejection.message,
            ),
            CoreError::NotFound => TwilioError::new(
                StatusCode::NOT_FOUND,
                20404,
                "The requested resource was not found",
            ),
            CoreError::Denied(denied) => TwilioError::denied(denied),
            CoreError::InvalidRule(e) => TwilioError::bad_request(20001, e.to_string()),
            CoreError::ClockNotFrozen => {
                TwilioError::bad_request(20001, "The tenant's clock is not frozen")
            }
            CoreError::Invalid(message)
            | CoreError::Conflict(message)
            | CoreError::FailedPrecondition(message) => TwilioError::bad_request(20001, message),
            CoreError::Store(e) => {
                // Logged once here; the client learns only that it was ours.
                tracing::error!(error = %e, "store failure behind a Twilio request");
                TwilioError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    20500,
                    "Internal Server Error",
                )
            }
        }
    }
}
