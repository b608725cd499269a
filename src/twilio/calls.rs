//! The Call resource: <https://www.twilio.com/docs/voice/api/call-resource>.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use super::TwilioState;
use super::auth::Scope;
use super::error::TwilioError;
use super::messages::not_found_at;
use super::params::{self, Form, Params};
use super::resources::{self, Page, account_uri, formatted_number};
use crate::core::messaging::HttpMethod;
use crate::core::paging::PageStart;
use crate::core::voice::{
    Call, CallApp, CallEvent, CallFilter, CallStatus, CallStatusCallback, CallUpdate, NewCall,
};
use crate::core::{CoreError, Settings, ids, text, time};
use crate::providers::twilio::API_VERSION;

/// Twilio's limit on inline `Twiml`, in characters.
const MAX_TWIML_CHARS: usize = 4000;
/// Twilio's default and largest ring `Timeout`, in seconds; a larger one is capped, not refused.
const DEFAULT_TIMEOUT_S: u32 = 60;
const MAX_TIMEOUT_S: u32 = 600;
/// Twilio's limit on `SendDigits`.
const MAX_SEND_DIGITS: usize = 32;

/// A call as Twilio's API writes it (`api.v2010.account.call`), in the spec's field order.
/// `duration` and `queue_time` are strings, as on the wire.
#[derive(Serialize)]
pub struct CallResource {
    sid: String,
    date_created: String,
    date_updated: String,
    parent_call_sid: Option<String>,
    account_sid: String,
    to: String,
    to_formatted: String,
    from: String,
    from_formatted: String,
    phone_number_sid: Option<String>,
    status: &'static str,
    start_time: Option<String>,
    end_time: Option<String>,
    duration: Option<String>,
    price: Option<String>,
    price_unit: &'static str,
    direction: &'static str,
    answered_by: Option<String>,
    api_version: &'static str,
    forwarded_from: Option<String>,
    group_sid: Option<String>,
    caller_name: Option<String>,
    queue_time: &'static str,
    trunk_sid: Option<String>,
    uri: String,
    subresource_uris: Map<String, Value>,
}

/// A call's subresources, keyed as Twilio keys them.
const SUBRESOURCES: [(&str, &str); 9] = [
    ("notifications", "Notifications"),
    ("recordings", "Recordings"),
    ("payments", "Payments"),
    ("events", "Events"),
    ("siprec", "Siprec"),
    ("streams", "Streams"),
    ("transcriptions", "Transcriptions"),
    (
        "user_defined_message_subscriptions",
        "UserDefinedMessageSubscriptions",
    ),
    ("user_defined_messages", "UserDefinedMessages"),
];

impl From<&Call> for CallResource {
    fn from(c: &Call) -> Self {
        let base = format!("{}/Calls/{}", account_uri(&c.account_sid), c.sid);
        let subresource_uris = SUBRESOURCES
            .into_iter()
            .map(|(key, name)| (key.to_owned(), Value::String(format!("{base}/{name}.json"))))
            .collect();
        CallResource {
            sid: c.sid.clone(),
            date_created: time::rfc2822(c.created_at),
            date_updated: time::rfc2822(c.updated_at),
            parent_call_sid: c.parent_call_sid.clone(),
            account_sid: c.account_sid.clone(),
            to: c.to.clone(),
            to_formatted: formatted_number(&c.to),
            from: c.from.clone(),
            from_formatted: formatted_number(&c.from),
            phone_number_sid: c.phone_number_sid.clone(),
            status: c.status.as_str(),
            start_time: c.start_time.map(time::rfc2822),
            end_time: c.end_time.map(time::rfc2822),
            duration: c.duration_s.map(|s| s.to_string()),
            price: None,
            price_unit: "USD",
            direction: c.direction.as_str(),
            answered_by: c.answered_by.clone(),
            api_version: API_VERSION,
            forwarded_from: c.forwarded_from.clone(),
            group_sid: None,
            caller_name: c.caller_name.clone(),
            // Nothing waits in a queue here: calls leave it on the server's schedule.
            queue_time: "0",
            trunk_sid: None,
            uri: format!("{base}.json"),
            subresource_uris,
        }
    }
}

/// Create a Call: `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`.
pub async fn create(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
    Form(params): Form,
) -> Result<Response, TwilioError> {
    let tenant = &scope.tenant;
    let accepts = |number: &str| state.core.accepts_number(tenant, number);
    let new = decode_new_call(&params, state.core.settings(), accepts)?;
    let call = state.core.place_call(tenant, new).await?;
    Ok((StatusCode::CREATED, Json(CallResource::from(&call))).into_response())
}

/// Check a create request as Twilio does, with Twilio's codes: the required parameters first,
/// then the addresses, then each optional parameter. `accepts` says whether a phone number
/// fits its country's numbering plan or is one the tenant names (see `core::numbering`).
///
/// `To`, `From` and one of `Url`/`Twiml`/`ApplicationSid` are required whatever
/// `require_parameters` says: without them there is no call to simulate.
fn decode_new_call(
    params: &Params,
    settings: &Settings,
    accepts: impl Fn(&str) -> bool,
) -> Result<NewCall, TwilioError> {
    let to = params.non_empty("To").map(str::trim).unwrap_or_default();
    let from = params.non_empty("From").map(str::trim).unwrap_or_default();
    let url = params.non_empty("Url");
    let twiml = params.non_empty("Twiml");
    let application = params.non_empty("ApplicationSid");
    if to.is_empty() {
        return Err(TwilioError::bad_request(
            21201,
            "No 'To' number is specified",
        ));
    }
    if from.is_empty() {
        return Err(TwilioError::bad_request(
            21213,
            "'From' phone number is required",
        ));
    }
    if url.is_none() && twiml.is_none() && application.is_none() {
        return Err(TwilioError::bad_request(
            21205,
            "Url parameter is required.",
        ));
    }
    if settings.validate_phone_format {
        if !is_address(to) && !accepts(to) {
            return Err(TwilioError::bad_request(
                21211,
                format!("The 'To' number {to} is not a valid phone number."),
            ));
        }
        if !(is_address(from) || from.starts_with('+') && accepts(from)) {
            return Err(TwilioError::bad_request(
                21212,
                format!(
                    "The 'From' number {from} is not a valid phone number, shortcode, or alphanumeric sender ID."
                ),
            ));
        }
    }
    // mockingbird has no Applications resource, so no ApplicationSid names one it knows:
    // Twilio answers an application that does not exist (or is not the account's) with 21218.
    if let Some(application) = application {
        return Err(TwilioError::bad_request(
            21218,
            format!("Invalid ApplicationSid: {application} is not an application of this account"),
        ));
    }
    // With both, Twilio runs the Url and ignores the Twiml (the spec says so).
    let app = match url {
        Some(url) => url_app(params, url)?,
        None => twiml_app(twiml.unwrap_or_default())?,
    };
    let status_callback = status_callback(params, &[CallEvent::Completed])?;
    let timeout_s = match params.non_empty("Timeout") {
        None => DEFAULT_TIMEOUT_S,
        Some(raw) => match raw.trim().parse::<u32>() {
            Ok(seconds) if seconds > 0 => seconds.min(MAX_TIMEOUT_S),
            _ => {
                return Err(TwilioError::bad_request(
                    21208,
                    format!("Invalid Timeout {raw}: use a positive whole number of seconds"),
                ));
            }
        },
    };
    let machine_detection = match params.non_empty("MachineDetection") {
        None => None,
        Some(mode @ ("Enable" | "DetectMessageEnd")) => Some(mode.to_owned()),
        // Twilio documents no code of its own for this one.
        Some(other) => {
            return Err(TwilioError::bad_request(
                20001,
                format!("Invalid MachineDetection {other}: use Enable or DetectMessageEnd"),
            ));
        }
    };
    let record = params
        .non_empty("Record")
        .is_some_and(|r| r.eq_ignore_ascii_case("true"));
    let recording_status_callback = match params.non_empty("RecordingStatusCallback") {
        None => None,
        Some(url) => Some((
            callback_url("RecordingStatusCallback", url)?,
            method(params, "RecordingStatusCallbackMethod")?,
        )),
    };
    let send_digits = match params.non_empty("SendDigits") {
        None => None,
        Some(digits) if is_send_digits(digits) => Some(digits.to_owned()),
        Some(digits) => {
            return Err(TwilioError::bad_request(
                21206,
                format!("Invalid SendDigits {digits}: use at most 32 of 0-9, A-D, #, *, w and W"),
            ));
        }
    };
    Ok(NewCall {
        to: to.to_owned(),
        from: from.to_owned(),
        app,
        status_callback,
        timeout_s,
        machine_detection,
        record,
        recording_status_callback,
        send_digits,
    })
}

/// A SIP URI or a Twilio Client / SIM identity, which no numbering plan checks.
fn is_address(address: &str) -> bool {
    ["client:", "sip:", "sim:"].iter().any(|scheme| {
        address
            .strip_prefix(scheme)
            .is_some_and(|rest| !rest.is_empty())
    })
}

fn is_send_digits(digits: &str) -> bool {
    digits.chars().count() <= MAX_SEND_DIGITS
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, 'A'..='D' | '#' | '*' | 'w' | 'W'))
}

/// `Url` (with `Method`, `FallbackUrl`, `FallbackMethod`) as the call's TwiML source.
fn url_app(params: &Params, url: &str) -> Result<CallApp, TwilioError> {
    if !text::is_http_url(url) {
        return Err(TwilioError::bad_request(
            21205,
            format!("Url is not a valid URL: {url}"),
        ));
    }
    let fallback = match params.non_empty("FallbackUrl") {
        None => None,
        Some(fallback) if text::is_http_url(fallback) => {
            Some((fallback.to_owned(), method(params, "FallbackMethod")?))
        }
        Some(fallback) => {
            return Err(TwilioError::bad_request(
                21205,
                format!("FallbackUrl is not a valid URL: {fallback}"),
            ));
        }
    };
    Ok(CallApp::Url {
        url: url.to_owned(),
        method: method(params, "Method")?,
        fallback,
    })
}

/// Inline `Twiml` as the call's TwiML source. Its content is checked when the call runs it,
/// as on Twilio; only its length is checked here.
fn twiml_app(twiml: &str) -> Result<CallApp, TwilioError> {
    if twiml.chars().count() > MAX_TWIML_CHARS {
        return Err(TwilioError::bad_request(
            32018,
            "Twiml size exceeded maximum allowed value of 4000 characters",
        ));
    }
    Ok(CallApp::Twiml {
        twiml: twiml.to_owned(),
    })
}

/// An HTTP method parameter: POST unless given; GET or POST, else Twilio's 21209.
fn method(params: &Params, name: &str) -> Result<HttpMethod, TwilioError> {
    match params.non_empty(name) {
        None => Ok(HttpMethod::Post),
        Some(raw) => HttpMethod::parse(raw).ok_or_else(|| {
            TwilioError::bad_request(21209, format!("Invalid {name} {raw}: use GET or POST"))
        }),
    }
}

fn callback_url(name: &str, url: &str) -> Result<String, TwilioError> {
    if text::is_http_url(url) {
        Ok(url.to_owned())
    } else {
        Err(TwilioError::bad_request(
            21609,
            format!("The {name} URL {url} is not a valid URL."),
        ))
    }
}

/// `StatusCallback` with its method and events. `StatusCallbackEvent` repeats
/// (`StatusCallbackEvent=initiated&StatusCallbackEvent=ringing`), and some SDKs send the events
/// space-separated in one value; either way each must be one of Twilio's four (21626). Without
/// events, `default_events` are reported (Twilio's default is `completed` alone).
fn status_callback(
    params: &Params,
    default_events: &[CallEvent],
) -> Result<Option<CallStatusCallback>, TwilioError> {
    let mut events = Vec::new();
    for value in params.all("StatusCallbackEvent") {
        for name in value.split([' ', ',']).filter(|n| !n.is_empty()) {
            let event = CallEvent::parse(name).ok_or_else(|| {
                TwilioError::bad_request(
                    21626,
                    format!("Invalid StatusCallbackEvent {name}: use initiated, ringing, answered or completed"),
                )
            })?;
            if !events.contains(&event) {
                events.push(event);
            }
        }
    }
    let Some(url) = params.non_empty("StatusCallback") else {
        return Ok(None);
    };
    if events.is_empty() {
        events = default_events.to_vec();
    }
    Ok(Some(CallStatusCallback {
        url: callback_url("StatusCallback", url)?,
        method: method(params, "StatusCallbackMethod")?,
        events,
    }))
}

/// Fetch a Call: `GET /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json`.
pub async fn fetch(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let (tenant, uri) = (&scope.tenant, &scope.uri);
    let sid = call_sid(scope.param(0), uri.path())?;
    let call = state
        .core
        .call(tenant, sid)
        .await
        .map_err(|e| not_found_at(e, uri.path()))?;
    Ok(Json(CallResource::from(&call)).into_response())
}

/// Update a Call: `POST …/Calls/{Sid}.json` with `Status=canceled|completed` (cancel or hang
/// up), `Url` or `Twiml` (redirect a call in progress), `StatusCallback`.
pub async fn update(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
    Form(params): Form,
) -> Result<Response, TwilioError> {
    let (tenant, uri) = (&scope.tenant, &scope.uri);
    let sid = call_sid(scope.param(0), uri.path())?;
    let not_found = |e| not_found_at(e, uri.path());
    let status = match params.non_empty("Status") {
        None => None,
        Some(raw) => match CallStatus::parse(raw) {
            Some(status @ (CallStatus::Canceled | CallStatus::Completed)) => Some(status),
            _ => {
                return Err(TwilioError::bad_request(
                    20001,
                    format!("Invalid Status {raw}: a call can be updated to canceled or completed"),
                ));
            }
        },
    };
    let redirect = match (params.non_empty("Url"), params.non_empty("Twiml")) {
        (Some(_), Some(_)) => {
            return Err(TwilioError::bad_request(
                20001,
                "Url and Twiml are mutually exclusive: give one of them",
            ));
        }
        (Some(url), None) => Some(url_app(&params, url)?),
        (None, Some(twiml)) => Some(twiml_app(twiml)?),
        (None, None) => None,
    };
    // A new StatusCallback keeps the events the call was created with.
    let status_callback = if params.non_empty("StatusCallback").is_some() {
        let call = state.core.call(tenant, sid).await.map_err(not_found)?;
        let events = call
            .status_callback
            .map_or_else(|| vec![CallEvent::Completed], |callback| callback.events);
        status_callback(&params, &events)?
    } else {
        None
    };
    let update = CallUpdate {
        status,
        redirect,
        status_callback,
    };
    let call = if update == CallUpdate::default() {
        state.core.call(tenant, sid).await
    } else {
        state.core.update_call(tenant, sid, update).await
    }
    .map_err(not_found)?;
    Ok(Json(CallResource::from(&call)).into_response())
}

/// Delete a Call: `DELETE …/Calls/{Sid}.json` → 204; a call not yet ended is refused (20009).
pub async fn delete(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let (tenant, uri) = (&scope.tenant, &scope.uri);
    let sid = call_sid(scope.param(0), uri.path())?;
    state
        .core
        .delete_call(tenant, sid)
        .await
        .map_err(|e| not_found_at(e, uri.path()))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// List Calls: `GET /2010-04-01/Accounts/{AccountSid}/Calls.json`, newest first, filtered by
/// `To`, `From`, `Status`, `ParentCallSid`, and the days of `StartTime` and `EndTime`.
pub async fn list(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let (tenant, uri) = (&scope.tenant, &scope.uri);
    let params = params::query(uri)?;
    let paging = resources::paging(&params)?;
    let status =
        match params.non_empty("Status") {
            None => None,
            Some(raw) => Some(CallStatus::parse(raw).ok_or_else(|| {
                TwilioError::bad_request(20001, format!("Invalid Status {raw:?}"))
            })?),
        };
    let (started_from, started_before) = day_bounds(&params, "StartTime")?;
    let (ended_from, ended_before) = day_bounds(&params, "EndTime")?;
    let filter = CallFilter {
        to: params.non_empty("To").map(str::to_owned),
        from: params.non_empty("From").map(str::to_owned),
        status,
        parent_call_sid: params.non_empty("ParentCallSid").map(str::to_owned),
        started_from,
        started_before,
        ended_from,
        ended_before,
    };

    let request = paging.request();
    let page = match state.core.list_calls(tenant, &filter, &request).await {
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
    let page = Page {
        path: uri.path(),
        filters: resources::filters(&params),
        key: "calls",
        page: paging.page,
        page_size: paging.page_size,
        items: resources::items(page.items.iter().map(CallResource::from)),
        has_next: page.has_next,
        has_previous,
    };
    Ok(Json(page.into_json()).into_response())
}

/// The bounds a date filter and its `<` and `>` variants set, in ms: lower inclusive, upper
/// exclusive. As on Messages' `DateSent`, `Name=day` is that day, `Name>=day` on or after it
/// and `Name<=day` on or before it.
pub(super) fn day_bounds(
    params: &Params,
    name: &str,
) -> Result<(Option<time::Millis>, Option<time::Millis>), TwilioError> {
    const DAY: time::Millis = 24 * 3600 * 1000;
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
    let (mut from, mut before) = (None, None);
    if let Some(start) = day(name)? {
        from = Some(start);
        before = Some(start + DAY);
    }
    if let Some(start) = day(&format!("{name}>"))? {
        from = Some(from.map_or(start, |f: time::Millis| f.max(start)));
    }
    if let Some(start) = day(&format!("{name}<"))? {
        let end = start + DAY;
        before = Some(before.map_or(end, |b: time::Millis| b.min(end)));
    }
    Ok((from, before))
}

/// The SID in a `{Sid}.json` path segment. A SID that is not a call SID is simply not found.
fn call_sid<'a>(file: &'a str, path: &str) -> Result<&'a str, TwilioError> {
    file.strip_suffix(".json")
        .filter(|sid| ids::is_sid(sid, "CA"))
        .ok_or_else(|| TwilioError::not_found(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(form: &[(&str, &str)]) -> Result<NewCall, TwilioError> {
        let params = Params(
            form.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        decode_new_call(&params, &Settings::default(), text::is_e164)
    }

    const BASE: [(&str, &str); 3] = [
        ("To", "+15551234567"),
        ("From", "+15550000001"),
        ("Url", "https://app.example/voice"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        BASE.iter().chain(extra).copied().collect()
    }

    fn code(result: Result<NewCall, TwilioError>) -> u32 {
        result.expect_err("refused").code
    }

    #[test]
    fn defaults_follow_twilio() {
        let call = decode(&BASE).unwrap();
        assert_eq!(call.timeout_s, 60);
        assert!(call.status_callback.is_none());
        assert_eq!(
            call.app,
            CallApp::Url {
                url: "https://app.example/voice".into(),
                method: HttpMethod::Post,
                fallback: None,
            }
        );
        assert_eq!(decode(&with(&[("Timeout", "900")])).unwrap().timeout_s, 600);
    }

    #[test]
    fn status_callback_events_repeat_or_come_space_separated() {
        let call = decode(&with(&[
            ("StatusCallback", "https://app.example/status"),
            ("StatusCallbackEvent", "initiated ringing"),
            ("StatusCallbackEvent", "answered"),
            ("StatusCallbackEvent", "completed"),
        ]))
        .unwrap();
        let callback = call.status_callback.unwrap();
        assert_eq!(
            callback.events,
            vec![
                CallEvent::Initiated,
                CallEvent::Ringing,
                CallEvent::Answered,
                CallEvent::Completed
            ]
        );
        let only = decode(&with(&[("StatusCallback", "https://app.example/status")])).unwrap();
        assert_eq!(
            only.status_callback.unwrap().events,
            vec![CallEvent::Completed]
        );
    }

    #[test]
    fn each_bad_parameter_gets_twilios_code() {
        assert_eq!(code(decode(&BASE[1..])), 21201);
        assert_eq!(code(decode(&[BASE[0], BASE[2]])), 21213);
        assert_eq!(code(decode(&BASE[..2])), 21205);
        assert_eq!(code(decode(&with(&[("Method", "PUT")]))), 21209);
        assert_eq!(code(decode(&with(&[("SendDigits", "12x")]))), 21206);
        assert_eq!(code(decode(&with(&[("Timeout", "soon")]))), 21208);
        assert_eq!(
            code(decode(&with(&[
                ("StatusCallback", "https://app.example/s"),
                ("StatusCallbackEvent", "hungup")
            ]))),
            21626
        );
        let long = "1".repeat(33);
        let params = Params(vec![
            ("To".into(), "+15551234567".into()),
            ("From".into(), "+15550000001".into()),
            ("Url".into(), "https://app.example/voice".into()),
            ("SendDigits".into(), long),
        ]);
        let refused = decode_new_call(&params, &Settings::default(), |_| true);
        assert_eq!(code(refused), 21206);
        assert!(decode(&with(&[("SendDigits", "wW1234#*ABCD")])).is_ok());
    }

    #[test]
    fn client_and_sip_addresses_need_no_numbering_plan() {
        let call = decode(&[
            ("To", "client:alice"),
            ("From", "+15550000001"),
            ("Twiml", "<Response/>"),
        ])
        .unwrap();
        assert_eq!(call.to, "client:alice");
        assert!(decode(&[("To", "sip:bob@example.com"), BASE[1], BASE[2]]).is_ok());
        assert_eq!(code(decode(&[("To", "12"), BASE[1], BASE[2]])), 21211);
        assert_eq!(code(decode(&[BASE[0], ("From", "Acme"), BASE[2]])), 21212);
    }
}
