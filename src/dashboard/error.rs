//! The dashboard's one error: a page that says what went wrong, in HTML, never a framework's
//! bare text.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::core::CoreError;
use crate::core::store::StoreError;

#[derive(Debug)]
pub enum PageError {
    NotFound(String),
    BadRequest(String),
    Forbidden(String),
    /// A failure of the server's own; logged once, shown as a sentence.
    Internal(String),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    detail: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, detail) = match &self {
            PageError::NotFound(detail) => (StatusCode::NOT_FOUND, "Not found", detail.as_str()),
            PageError::BadRequest(detail) => {
                (StatusCode::BAD_REQUEST, "Bad request", detail.as_str())
            }
            PageError::Forbidden(detail) => (StatusCode::FORBIDDEN, "Forbidden", detail.as_str()),
            PageError::Internal(cause) => {
                tracing::error!(%cause, "dashboard page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    "The server could not build this page; its log says why.",
                )
            }
        };
        let page = ErrorPage {
            status: status.as_u16(),
            title,
            detail,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, title.to_owned()).into_response(),
        }
    }
}

impl From<CoreError> for PageError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::NotFound => PageError::NotFound("There is no such record.".into()),
            CoreError::Invalid(why)
            | CoreError::Conflict(why)
            | CoreError::FailedPrecondition(why) => PageError::BadRequest(why),
            CoreError::Rejected(rejection) => PageError::BadRequest(format!(
                "Refused with {}: {}",
                rejection.code, rejection.message
            )),
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        PageError::Internal(error.to_string())
    }
}

impl From<askama::Error> for PageError {
    fn from(error: askama::Error) -> Self {
        PageError::Internal(format!("template: {error}"))
    }
}

/// Any other path under `/ui`.
pub async fn unknown_page() -> PageError {
    PageError::NotFound("The dashboard has no such page.".into())
}
