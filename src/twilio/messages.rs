//! The Message resource: <https://www.twilio.com/docs/messaging/api/message-resource>.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration as ChronoDuration, NaiveDateTime};

use super::TwilioState;
use super::auth::Scope;
use super::error::TwilioError;
use super::params::{self, Form, Params};
use super::resources::{self, MessageResource, Page};
use crate::core::CoreError;
use crate::core::messaging::{Callback, HttpMethod, MessageFilter, MessageUpdate, NewMessage};
use crate::core::paging::PageStart;
use crate::core::{Settings, ids, text, time};

/// Twilio's limit on a message body, in characters.
const MAX_BODY_CHARS: usize = 1600;

/// Create a Message: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`.
pub async fn create(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
    Form(params): Form,
) -> Result<Response, TwilioError> {
    let tenant = &scope.tenant;
    let accepts = |number: &str| state.core.accepts_number(tenant, number);
    let new = decode_new_message(&params, state.core.settings(), tenant.now(), accepts)?;
    let message = state.core.send_message(tenant, new).await?;
    Ok((StatusCode::CREATED, Json(MessageResource::from(&message))).into_response())
}

/// Check a create request as Twilio does, in Twilio's order, with Twilio's codes. `accepts`
/// says whether a phone number fits its country's numbering plan or is one the tenant names
/// (see `core::numbering`).
fn decode_new_message(
    params: &Params,
    settings: &Settings,
    now: time::Millis,
    accepts: impl Fn(&str) -> bool,
) -> Result<NewMessage, TwilioError> {
    let to = params
        .non_empty("To")
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    let from = params.non_empty("From").map(|f| f.trim().to_owned());
    let service = params.non_empty("MessagingServiceSid").map(str::to_owned);
    let body = params.get("Body").unwrap_or_default().to_owned();
    let media_urls = params
        .all("MediaUrl")
        .into_iter()
        .filter(|u| !u.is_empty())
        .collect::<Vec<_>>();
    let content_sid = params.non_empty("ContentSid");
    let content_variables = params.non_empty("ContentVariables");
    if let Some(sid) = content_sid.filter(|sid| !ids::is_sid(sid, "HX")) {
        return Err(TwilioError::bad_request(
            21655,
            format!("The ContentSid {sid} is Invalid"),
        ));
    }
    if let Some(variables) = content_variables {
        if content_sid.is_none() {
            return Err(TwilioError::bad_request(
                21654,
                "A ContentSid must be specified if ContentVariables are provided in the request.",
            ));
        }
        if !content_variables_valid(variables) {
            return Err(TwilioError::bad_request(
                21656,
                "The ContentVariables Parameter is invalid.",
            ));
        }
    }

    if settings.require_parameters {
        if to.is_empty() {
            return Err(TwilioError::bad_request(
                21604,
                "A 'To' phone number is required.",
            ));
        }
        if from.is_none() && service.is_none() {
            return Err(TwilioError::bad_request(
                21603,
                "A 'From' phone number is required.",
            ));
        }
        if body.is_empty() && media_urls.is_empty() && content_sid.is_none() {
            return Err(TwilioError::bad_request(21602, "Message body is required."));
        }
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(TwilioError::bad_request(
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        ));
    }
    if let Some(service) = service.as_deref().filter(|s| !ids::is_sid(s, "MG")) {
        return Err(TwilioError::bad_request(
            21701,
            format!("The Messaging Service Sid {service} is invalid."),
        ));
    }
    if settings.validate_phone_format {
        let (_, to_number) = text::split_channel(&to);
        if !to.is_empty() && !accepts(to_number) {
            return Err(TwilioError::bad_request(
                21211,
                format!("The 'To' number {to} is not a valid phone number."),
            ));
        }
        if let Some(from) = &from {
            let (_, from_number) = text::split_channel(from);
            // A short code or an alphanumeric sender ID has no country to check against.
            let valid = if from_number.starts_with('+') {
                accepts(from_number)
            } else {
                text::is_valid_sender(from_number)
            };
            if !valid {
                return Err(TwilioError::bad_request(
                    21212,
                    format!(
                        "The 'From' number {from} is not a valid phone number, shortcode, or alphanumeric sender ID."
                    ),
                ));
            }
        }
    }
    let status_callback = match params.non_empty("StatusCallback") {
        None => None,
        Some(url) => {
            let method = match params.non_empty("StatusCallbackMethod") {
                None => HttpMethod::Post,
                Some(raw) => HttpMethod::parse(raw).ok_or_else(|| {
                    TwilioError::bad_request(
                        21609,
                        format!("StatusCallbackMethod {raw} is not valid: use GET or POST"),
                    )
                })?,
            };
            if !text::is_http_url(url) {
                return Err(TwilioError::bad_request(
                    21609,
                    format!("The StatusCallback URL {url} is not a valid URL."),
                ));
            }
            Some(Callback {
                url: url.to_owned(),
                method,
            })
        }
    };
    let send_at = schedule(params, service.is_some(), now)?;
    Ok(NewMessage {
        to,
        from,
        messaging_service_sid: service,
        body,
        media_urls,
        status_callback,
        send_at,
        content_sid: content_sid.map(str::to_owned),
    })
}

/// `ContentVariables`: a JSON object whose values are non-empty strings (Twilio's 21656 names
/// a value that is not JSON, and a variable set to null or an empty string).
fn content_variables_valid(variables: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(variables) {
        Ok(serde_json::Value::Object(map)) => {
            map.len() <= 100
                && map
                    .values()
                    .all(|v| v.as_str().is_some_and(|s| !s.is_empty()) || v.is_number())
        }
        _ => false,
    }
}

/// `ScheduleType=fixed` + `SendAt`: only through a Messaging Service, more than 5 minutes and
/// at most 35 days ahead (Twilio's current window).
fn schedule(
    params: &Params,
    has_service: bool,
    now: time::Millis,
) -> Result<Option<time::Millis>, TwilioError> {
    let Some(kind) = params.non_empty("ScheduleType") else {
        return Ok(None);
    };
    if kind != "fixed" {
        return Err(TwilioError::bad_request(
            35111,
            format!("ScheduleType {kind} is not supported; use 'fixed'."),
        ));
    }
    if !has_service {
        return Err(TwilioError::bad_request(
            35118,
            "MessagingServiceSid is required to schedule a message.",
        ));
    }
    let raw = params.non_empty("SendAt").ok_or_else(|| {
        TwilioError::bad_request(35111, "SendAt is required to schedule a message.")
    })?;
    let send_at = DateTime::parse_from_rfc3339(raw)
        .map(|t| t.timestamp_millis())
        .or_else(|_| {
            NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S")
                .map(|t| t.and_utc().timestamp_millis())
        })
        .map_err(|_| {
            TwilioError::bad_request(
                35111,
                format!("SendAt {raw} is not an ISO 8601 date and time."),
            )
        })?;
    let ahead = send_at - now;
    if ahead < ChronoDuration::seconds(300).num_milliseconds() {
        return Err(TwilioError::bad_request(
            35114,
            "SendAt must be more than 300 seconds in the future.",
        ));
    }
    if ahead > ChronoDuration::days(35).num_milliseconds() {
        return Err(TwilioError::bad_request(
            35115,
            "SendAt must be at most 35 days in the future.",
        ));
    }
    Ok(Some(send_at))
}

/// Fetch a Message: `GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json`.
pub async fn fetch(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let (tenant, uri, file) = (&scope.tenant, &scope.uri, scope.param(0));
    let sid = message_sid(file, uri.path())?;
    let message = state
        .core
        .message(tenant, sid)
        .await
        .map_err(|e| not_found_at(e, uri.path()))?;
    Ok(Json(MessageResource::from(&message)).into_response())
}

/// Update a Message: `POST …/Messages/{Sid}.json` with `Body=` (redact) or `Status=canceled`.
pub async fn update(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
    Form(params): Form,
) -> Result<Response, TwilioError> {
    let (tenant, uri, file) = (&scope.tenant, &scope.uri, scope.param(0));
    let sid = message_sid(file, uri.path())?;
    let update = match (params.get("Body"), params.non_empty("Status")) {
        (_, Some("canceled")) => Some(MessageUpdate::Cancel),
        (_, Some(other)) => {
            return Err(TwilioError::bad_request(
                20001,
                format!(
                    "Status {other} is not valid: a message can only be updated to 'canceled'."
                ),
            ));
        }
        (Some(""), None) => Some(MessageUpdate::Redact),
        (Some(_), None) => {
            return Err(TwilioError::bad_request(
                20001,
                "Body can only be set to an empty string, which redacts the message.",
            ));
        }
        (None, None) => None,
    };
    let message = match update {
        Some(update) => state.core.update_message(tenant, sid, update).await,
        None => state.core.message(tenant, sid).await,
    }
    .map_err(|e| not_found_at(e, uri.path()))?;
    Ok(Json(MessageResource::from(&message)).into_response())
}

/// Delete a Message: `DELETE …/Messages/{Sid}.json` → 204.
pub async fn delete(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let (tenant, uri, file) = (&scope.tenant, &scope.uri, scope.param(0));
    let sid = message_sid(file, uri.path())?;
    state
        .core
        .delete_message(tenant, sid)
        .await
        .map_err(|e| not_found_at(e, uri.path()))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// List Messages: `GET /2010-04-01/Accounts/{AccountSid}/Messages.json`, newest first.
pub async fn list(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let (tenant, uri) = (&scope.tenant, &scope.uri);
    let params = params::query(uri)?;
    let paging = resources::paging(&params)?;

    let mut filter = MessageFilter {
        to: params.non_empty("To").map(str::to_owned),
        from: params.non_empty("From").map(str::to_owned),
        // The Cloud API's messages are not Twilio's.
        twilio_api: Some(true),
        ..MessageFilter::default()
    };
    let day = |name: &str| -> Result<Option<time::Millis>, TwilioError> {
        params
            .non_empty(name)
            .map(|raw| {
                time::parse_filter_date(raw)
                    .map(time::start_of_day)
                    .ok_or_else(|| {
                        TwilioError::bad_request(20001, format!("{name} {raw:?} is not a date"))
                    })
            })
            .transpose()
    };
    const DAY: time::Millis = 24 * 3600 * 1000;
    if let Some(start) = day("DateSent")? {
        filter.sent_from = Some(start);
        filter.sent_before = Some(start + DAY);
    }
    if let Some(start) = day("DateSent>")? {
        // Twilio's `>` and `<` include the day itself ("on or after", "on or before").
        filter.sent_from = Some(filter.sent_from.map_or(start, |s| s.max(start)));
    }
    if let Some(start) = day("DateSent<")? {
        let end = start + DAY;
        filter.sent_before = Some(filter.sent_before.map_or(end, |e| e.min(end)));
    }

    let request = paging.request();
    let page = match state.core.list_messages(tenant, &filter, &request).await {
        Err(CoreError::Invalid(_)) => {
            return Err(resources::invalid_token(
                paging.token.as_deref().unwrap_or_default(),
            ));
        }
        other => other?,
    };
    // Twilio links back from any page past the first, even when nothing newer has arrived.
    let has_previous =
        page.has_previous || (paging.page > 0 && matches!(request.start, PageStart::Before(_)));
    let filters = resources::filters(&params);
    let page = Page {
        path: uri.path(),
        filters,
        key: "messages",
        page: paging.page,
        page_size: paging.page_size,
        items: resources::items(page.items.iter().map(MessageResource::from)),
        has_next: page.has_next,
        has_previous,
    };
    Ok(Json(page.into_json()).into_response())
}

/// The SID in a `{Sid}.json` path segment. A SID that is not a message SID is simply not found.
fn message_sid<'a>(file: &'a str, path: &str) -> Result<&'a str, TwilioError> {
    file.strip_suffix(".json")
        .filter(|sid| ids::is_sid(sid, "SM") || ids::is_sid(sid, "MM"))
        .ok_or_else(|| TwilioError::not_found(path))
}

pub(super) fn not_found_at(error: crate::core::CoreError, path: &str) -> TwilioError {
    match error {
        crate::core::CoreError::NotFound => TwilioError::not_found(path),
        other => other.into(),
    }
}
