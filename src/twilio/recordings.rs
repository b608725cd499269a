//! The Recording resource: <https://www.twilio.com/docs/voice/api/recording>, listed for the
//! account and for each call (<https://www.twilio.com/docs/voice/api/call-recording>), and its
//! audio. A recording's audio is silence of its duration, made when it is asked for.

use std::sync::Arc;

use axum::Json;
use axum::extract::{OriginalUri, RawPathParams, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use super::TwilioState;
use super::auth::{self, Scope};
use super::error::TwilioError;
use super::messages::not_found_at;
use super::params;
use super::resources::{self, Page, account_uri};
use crate::core::paging::PageStart;
use crate::core::tenants::Tenant;
use crate::core::voice::Recording;
use crate::core::{CoreError, ids, time};
use crate::providers::twilio::API_VERSION;

/// The audio served: 8 kHz mono 16-bit PCM, as Twilio's WAV recordings are.
const SAMPLE_RATE: u32 = 8000;
const BYTES_PER_SAMPLE: u16 = 2;

/// A recording as the account's Recordings list writes it (`api.v2010.account.recording`),
/// in the spec's field order.
#[derive(Serialize)]
pub struct RecordingResource {
    account_sid: String,
    api_version: &'static str,
    call_sid: String,
    conference_sid: Option<String>,
    date_created: String,
    date_updated: String,
    start_time: String,
    duration: String,
    sid: String,
    price: Option<String>,
    price_unit: &'static str,
    status: &'static str,
    channels: u32,
    source: &'static str,
    error_code: Option<u32>,
    uri: String,
    encryption_details: Option<Value>,
    subresource_uris: Map<String, Value>,
    media_url: String,
}

impl RecordingResource {
    /// `host_base` is the scheme and host the audio is served from (the request's own).
    pub fn new(r: &Recording, host_base: &str) -> Self {
        let path = format!("{}/Recordings/{}", account_uri(&r.account_sid), r.sid);
        let subresource_uris = [
            ("add_on_results", "AddOnResults"),
            ("transcriptions", "Transcriptions"),
        ]
        .into_iter()
        .map(|(key, name)| (key.to_owned(), Value::String(format!("{path}/{name}.json"))))
        .collect();
        RecordingResource {
            account_sid: r.account_sid.clone(),
            api_version: API_VERSION,
            call_sid: r.call_sid.clone(),
            conference_sid: None,
            date_created: time::rfc2822(r.created_at),
            date_updated: time::rfc2822(r.updated_at),
            start_time: time::rfc2822(r.start_time),
            duration: r.duration_s.to_string(),
            sid: r.sid.clone(),
            price: None,
            price_unit: "USD",
            status: r.status.as_str(),
            channels: r.channels,
            source: r.source.as_str(),
            error_code: r.error_code,
            uri: format!("{path}.json"),
            encryption_details: None,
            subresource_uris,
            media_url: format!("{host_base}{path}"),
        }
    }
}

/// A recording as a call's Recordings list writes it (`api.v2010.account.call.call_recording`):
/// no media URL or subresources, a `track`, and the price a number.
#[derive(Serialize)]
pub struct CallRecordingResource {
    account_sid: String,
    api_version: &'static str,
    call_sid: String,
    conference_sid: Option<String>,
    date_created: String,
    date_updated: String,
    start_time: String,
    duration: String,
    sid: String,
    price: Option<f64>,
    uri: String,
    encryption_details: Option<Value>,
    price_unit: &'static str,
    status: &'static str,
    channels: u32,
    source: &'static str,
    error_code: Option<u32>,
    /// Both sides of the call are in every recording made here.
    track: &'static str,
}

impl From<&Recording> for CallRecordingResource {
    fn from(r: &Recording) -> Self {
        CallRecordingResource {
            account_sid: r.account_sid.clone(),
            api_version: API_VERSION,
            call_sid: r.call_sid.clone(),
            conference_sid: None,
            date_created: time::rfc2822(r.created_at),
            date_updated: time::rfc2822(r.updated_at),
            start_time: time::rfc2822(r.start_time),
            duration: r.duration_s.to_string(),
            sid: r.sid.clone(),
            price: None,
            uri: format!(
                "{}/Calls/{}/Recordings/{}.json",
                account_uri(&r.account_sid),
                r.call_sid,
                r.sid
            ),
            encryption_details: None,
            price_unit: "USD",
            status: r.status.as_str(),
            channels: r.channels,
            source: r.source.as_str(),
            error_code: r.error_code,
            track: "both",
        }
    }
}

/// What a `…/Recordings/{file}` path asks for.
enum Wanted<'a> {
    Json(&'a str),
    Wav(&'a str),
    Mp3,
}

fn wanted<'a>(file: &'a str, path: &str) -> Result<Wanted<'a>, TwilioError> {
    let (sid, wanted): (&str, fn(&'a str) -> Wanted<'a>) =
        if let Some(sid) = file.strip_suffix(".json") {
            (sid, Wanted::Json)
        } else if let Some(sid) = file.strip_suffix(".wav") {
            (sid, Wanted::Wav)
        } else if let Some(sid) = file.strip_suffix(".mp3") {
            (sid, |_| Wanted::Mp3)
        } else {
            // Without an extension Twilio serves the WAV.
            (file, Wanted::Wav)
        };
    if ids::is_sid(sid, "RE") {
        Ok(wanted(sid))
    } else {
        Err(TwilioError::not_found(path))
    }
}

/// Fetch a Recording: `GET /2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.json`, or its
/// audio: `…/Recordings/{Sid}` or `{Sid}.wav`.
///
/// Twilio serves recording audio without authentication unless the account turned HTTP auth
/// for media on; so does mockingbird, checking credentials only when a request brings them.
/// The JSON resource always needs them.
pub async fn fetch(
    State(state): State<Arc<TwilioState>>,
    OriginalUri(uri): OriginalUri,
    raw: RawPathParams,
    headers: HeaderMap,
) -> Result<Response, TwilioError> {
    let path = uri.path();
    let mut values = raw.iter().map(|(_, value)| value);
    let (account_sid, file) = (
        values.next().unwrap_or_default(),
        values.next().unwrap_or_default(),
    );
    let wanted = wanted(file, path)?;
    let tenant = match (&wanted, auth::basic_credentials(&headers)) {
        (Wanted::Json(_), _) | (_, Some(_)) => {
            auth::tenant(&state.core, &headers, account_sid, path).await?
        }
        (_, None) => state
            .core
            .tenant(account_sid)
            .ok_or_else(|| TwilioError::not_found(path))?,
    };
    let sid = match wanted {
        Wanted::Json(sid) => {
            let recording = recording(&state, &tenant, sid, path).await?;
            let resource = RecordingResource::new(&recording, &host_base(&headers));
            return Ok(Json(resource).into_response());
        }
        Wanted::Wav(sid) => sid,
        // Twilio also serves MP3; making real MP3 frames is out of this mock's scope (no
        // encoder among its dependencies), so the MP3 is not found and the WAV is the audio.
        Wanted::Mp3 => return Err(TwilioError::not_found(path)),
    };
    let recording = recording(&state, &tenant, sid, path).await?;
    let mut response = silent_wav(recording.duration_s).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("audio/x-wav"),
    );
    Ok(response)
}

async fn recording(
    state: &TwilioState,
    tenant: &Tenant,
    sid: &str,
    path: &str,
) -> Result<Recording, TwilioError> {
    state
        .core
        .recording(tenant, sid)
        .await
        .map_err(|e| not_found_at(e, path))
}

/// Delete a Recording: `DELETE …/Recordings/{Sid}.json` → 204.
pub async fn delete(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let path = scope.path();
    let sid = match wanted(scope.param(0), path)? {
        Wanted::Json(sid) => sid,
        _ => return Err(TwilioError::not_found(path)),
    };
    state
        .core
        .delete_recording(&scope.tenant, sid)
        .await
        .map_err(|e| not_found_at(e, path))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// List Recordings: `GET /2010-04-01/Accounts/{AccountSid}/Recordings.json`, newest first,
/// of one call when `CallSid` is given. Twilio's `DateCreated` filters (and `ConferenceSid`,
/// `IncludeSoftDeleted`) are not applied: the core lists recordings by call only.
pub async fn list(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
    headers: HeaderMap,
) -> Result<Response, TwilioError> {
    let params = params::query(&scope.uri)?;
    let call_sid = params.non_empty("CallSid").map(str::to_owned);
    let base = host_base(&headers);
    page(&state, &scope, &params, call_sid.as_deref(), |r| {
        serde_json::to_value(RecordingResource::new(r, &base)).unwrap_or_default()
    })
    .await
}

/// List a call's Recordings: `GET …/Calls/{CallSid}/Recordings.json`.
pub async fn list_for_call(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let call_sid = call_sid(&scope)?;
    state
        .core
        .call(&scope.tenant, call_sid)
        .await
        .map_err(|e| not_found_at(e, scope.path()))?;
    let params = params::query(&scope.uri)?;
    page(&state, &scope, &params, Some(call_sid), |r| {
        serde_json::to_value(CallRecordingResource::from(r)).unwrap_or_default()
    })
    .await
}

/// One page of recordings in Twilio's envelope, each rendered by `render`.
async fn page(
    state: &TwilioState,
    scope: &Scope,
    params: &params::Params,
    call_sid: Option<&str>,
    render: impl Fn(&Recording) -> Value,
) -> Result<Response, TwilioError> {
    let paging = resources::paging(params)?;
    let request = paging.request();
    let page = match state
        .core
        .list_recordings(&scope.tenant, call_sid, &request)
        .await
    {
        Err(CoreError::Invalid(_)) => {
            return Err(resources::invalid_token(
                paging.token.as_deref().unwrap_or_default(),
            ));
        }
        other => other?,
    };
    let has_previous =
        page.has_previous || (paging.page > 0 && matches!(request.start, PageStart::Before(_)));
    let page = Page {
        path: scope.path(),
        filters: resources::filters(params),
        key: "recordings",
        page: paging.page,
        page_size: paging.page_size,
        items: page.items.iter().map(render).collect(),
        has_next: page.has_next,
        has_previous,
    };
    Ok(Json(page.into_json()).into_response())
}

/// Fetch a call's Recording: `GET …/Calls/{CallSid}/Recordings/{Sid}.json`.
pub async fn fetch_for_call(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let recording = call_recording(&state, &scope).await?;
    Ok(Json(CallRecordingResource::from(&recording)).into_response())
}

/// Delete a call's Recording: `DELETE …/Calls/{CallSid}/Recordings/{Sid}.json` → 204.
pub async fn delete_for_call(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let recording = call_recording(&state, &scope).await?;
    state
        .core
        .delete_recording(&scope.tenant, &recording.sid)
        .await
        .map_err(|e| not_found_at(e, scope.path()))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The recording a `…/Calls/{CallSid}/Recordings/{Sid}.json` path names: one of that call's.
async fn call_recording(state: &TwilioState, scope: &Scope) -> Result<Recording, TwilioError> {
    let path = scope.path();
    let call_sid = call_sid(scope)?;
    let sid = match wanted(scope.param(1), path)? {
        Wanted::Json(sid) => sid,
        _ => return Err(TwilioError::not_found(path)),
    };
    let recording = recording(state, &scope.tenant, sid, path).await?;
    if recording.call_sid != call_sid {
        return Err(TwilioError::not_found(path));
    }
    Ok(recording)
}

fn call_sid(scope: &Scope) -> Result<&str, TwilioError> {
    Some(scope.param(0))
        .filter(|sid| ids::is_sid(sid, "CA"))
        .ok_or_else(|| TwilioError::not_found(scope.path()))
}

/// Scheme and host of a media URL: the host the request came to, as the app reached it.
fn host_base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| !host.is_empty())
        .unwrap_or("localhost:8080");
    format!("http://{host}")
}

/// A WAV file of `seconds` of silence: a RIFF header, a `fmt ` chunk (PCM, mono, 8 kHz,
/// 16-bit) and a `data` chunk of zero samples.
pub fn silent_wav(seconds: u32) -> Vec<u8> {
    let block_align = BYTES_PER_SAMPLE; // one channel
    let byte_rate = SAMPLE_RATE * u32::from(block_align);
    let data_len = byte_rate.saturating_mul(seconds);
    let mut wav = Vec::with_capacity(44 + data_len as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36u32.saturating_add(data_len)).to_le_bytes());
    wav.extend_from_slice(b"WAVE");
    wav.extend_from_slice(b"fmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    wav.extend_from_slice(&byte_rate.to_le_bytes());
    wav.extend_from_slice(&block_align.to_le_bytes());
    wav.extend_from_slice(&(BYTES_PER_SAMPLE * 8).to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    wav.resize(44 + data_len as usize, 0);
    wav
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_a_well_formed_wav() {
        let wav = silent_wav(3);
        assert_eq!(wav.len(), 44 + 3 * 16_000);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(
            u32::from_le_bytes(wav[4..8].try_into().unwrap()),
            36 + 48_000
        );
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        assert_eq!(u16::from_le_bytes([wav[22], wav[23]]), 1, "mono");
        assert_eq!(u32::from_le_bytes(wav[24..28].try_into().unwrap()), 8000);
        assert_eq!(u16::from_le_bytes([wav[34], wav[35]]), 16, "bits");
        assert_eq!(&wav[36..40], b"data");
        assert!(wav[44..].iter().all(|&b| b == 0));
    }
}
