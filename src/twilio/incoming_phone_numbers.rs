//! The IncomingPhoneNumber resource:
//! <https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource>. Buying a number
//! gives it to the tenant: it becomes a valid `From`, and texts to it reach its `SmsUrl`.
//! Nothing is bought; any number its country's plan allows that the tenant does not have yet
//! is "available".

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::TwilioState;
use super::auth::Scope;
use super::error::TwilioError;
use super::messages::not_found_at;
use super::params::{self, Form, Params};
use super::resources::{self, account_uri};
use crate::core::messaging::HttpMethod;
use crate::core::numbering::{self, NumberKind};
use crate::core::tenants::numbers::NumberUpdate;
use crate::core::tenants::{Hook, PhoneNumber, Tenant};
use crate::core::time::rfc2822;
use crate::core::{CoreError, ids, text};
use crate::providers::twilio::API_VERSION;

/// Twilio's test-credential numbers for buying; mockingbird honours them for every tenant, as it
/// does the Messages ones (see `core::magic`).
const MAGIC_UNAVAILABLE: &str = "+15005550000";
const MAGIC_INVALID: &str = "+15005550001";
const MAGIC_EMPTY_AREA_CODE: &str = "533";

/// Which list a request is on: the resource itself or one of its by-type subresources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Any,
    Local,
    Mobile,
    TollFree,
}

impl Kind {
    /// Whether `number` belongs on this list. Buying on `Mobile.json` takes any number (its
    /// AreaCode search hands out North American numbers, which the plan never calls mobile), so
    /// a number bought there is listed by what its country's plan says it is.
    fn holds(self, number: &str) -> bool {
        let actual = numbering::kind(number);
        match self {
            Kind::Any => true,
            Kind::Local => actual == NumberKind::Local,
            Kind::Mobile => actual == NumberKind::Mobile,
            Kind::TollFree => actual == NumberKind::TollFree,
        }
    }
}

/// The JSON resource, fields in the order Twilio sends them and typed as Twilio's OpenAPI
/// description (twilio-oai) types them. Twilio leaves an unset SMS URL and status callback as
/// `""` but an unset voice URL as `null`; so does mockingbird. The application SIDs are `null`:
/// older captures show `""`, which the spec's `^AP…` pattern does not allow, and the SDKs' typed
/// models follow the spec. No `subresource_uris`: the spec has none (AssignedAddOns is not
/// served).
#[derive(Serialize)]
struct IncomingPhoneNumberResource {
    account_sid: String,
    address_requirements: &'static str,
    address_sid: Option<String>,
    api_version: &'static str,
    beta: bool,
    capabilities: Capabilities,
    date_created: String,
    date_updated: String,
    emergency_status: &'static str,
    emergency_address_sid: Option<String>,
    emergency_address_status: &'static str,
    friendly_name: String,
    identity_sid: Option<String>,
    origin: &'static str,
    phone_number: String,
    sid: String,
    sms_application_sid: Option<String>,
    sms_fallback_method: &'static str,
    sms_fallback_url: String,
    sms_method: &'static str,
    sms_url: String,
    status_callback: String,
    status_callback_method: &'static str,
    trunk_sid: Option<String>,
    uri: String,
    voice_application_sid: Option<String>,
    voice_caller_id_lookup: bool,
    voice_fallback_method: &'static str,
    voice_fallback_url: Option<String>,
    voice_method: &'static str,
    voice_url: Option<String>,
    bundle_sid: Option<String>,
    voice_receive_mode: &'static str,
    status: &'static str,
    /// `local`, `mobile` or `toll-free`, on the resource itself only: the by-kind lists'
    /// schemas have no `type`. The spec's example shows `local`; the other two spellings are
    /// mockingbird's choice, after the lists' names.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
}

#[derive(Serialize)]
struct Capabilities {
    voice: bool,
    sms: bool,
    mms: bool,
    fax: bool,
}

impl IncomingPhoneNumberResource {
    /// The resource as the `list` it is read or bought through shows it.
    fn of(n: &PhoneNumber, list: Kind) -> Self {
        let base = format!(
            "{}/IncomingPhoneNumbers/{}",
            account_uri(&n.account_sid),
            n.sid
        );
        let kind = (list == Kind::Any).then(|| match numbering::kind(&n.phone_number) {
            NumberKind::Local => "local",
            NumberKind::Mobile => "mobile",
            NumberKind::TollFree => "toll-free",
        });
        let url = |hook: &Hook| hook.url.clone().unwrap_or_default();
        IncomingPhoneNumberResource {
            account_sid: n.account_sid.clone(),
            address_requirements: "none",
            address_sid: None,
            api_version: API_VERSION,
            beta: false,
            capabilities: Capabilities {
                voice: true,
                sms: true,
                mms: true,
                fax: false,
            },
            date_created: rfc2822(n.created_at),
            date_updated: rfc2822(n.updated_at),
            emergency_status: "Inactive",
            emergency_address_sid: None,
            emergency_address_status: "unregistered",
            friendly_name: n.friendly_name.clone(),
            identity_sid: None,
            origin: "twilio",
            phone_number: n.phone_number.clone(),
            sid: n.sid.clone(),
            sms_application_sid: None,
            sms_fallback_method: n.sms_fallback.method.as_str(),
            sms_fallback_url: url(&n.sms_fallback),
            sms_method: n.sms.method.as_str(),
            sms_url: url(&n.sms),
            status_callback: url(&n.status_callback),
            status_callback_method: n.status_callback.method.as_str(),
            trunk_sid: None,
            uri: format!("{base}.json"),
            voice_application_sid: None,
            voice_caller_id_lookup: false,
            voice_fallback_method: n.voice_fallback.method.as_str(),
            voice_fallback_url: n.voice_fallback.url.clone(),
            voice_method: n.voice.method.as_str(),
            voice_url: n.voice.url.clone(),
            bundle_sid: None,
            voice_receive_mode: "voice",
            status: "in-use",
            kind,
        }
    }
}

/// Buy a number: `POST /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json` → 201.
pub async fn create(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
    Form(params): Form,
) -> Result<Response, TwilioError> {
    create_kind(&state, &scope.tenant, &params, Kind::Any).await
}

/// Buy a local number: `POST …/IncomingPhoneNumbers/Local.json`.
pub async fn create_local(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
    Form(params): Form,
) -> Result<Response, TwilioError> {
    create_kind(&state, &scope.tenant, &params, Kind::Local).await
}

/// Buy a mobile number: `POST …/IncomingPhoneNumbers/Mobile.json`.
pub async fn create_mobile(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
    Form(params): Form,
) -> Result<Response, TwilioError> {
    create_kind(&state, &scope.tenant, &params, Kind::Mobile).await
}

/// Buy a toll-free number: `POST …/IncomingPhoneNumbers/TollFree.json`.
pub async fn create_toll_free(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
    Form(params): Form,
) -> Result<Response, TwilioError> {
    create_kind(&state, &scope.tenant, &params, Kind::TollFree).await
}

async fn create_kind(
    state: &TwilioState,
    tenant: &Tenant,
    params: &Params,
    kind: Kind,
) -> Result<Response, TwilioError> {
    let mut settings = decode_settings(params)?;
    let number = match (
        params.non_empty("PhoneNumber"),
        params.non_empty("AreaCode"),
    ) {
        (Some(number), _) => {
            let number = number.trim();
            check_buyable(number, kind, state.core.accepts_number(tenant, number))?;
            settings
                .friendly_name
                .get_or_insert_with(|| friendly_name(number));
            state
                .core
                .add_number(tenant, number, settings)
                .await
                .map_err(|e| bought_error(e, number))?
        }
        (None, Some(area_code)) => buy_in_area(state, tenant, area_code, kind, settings).await?,
        (None, None) => {
            // Twilio documents no code for this; 21451 is its code for a missing or unusable
            // area code, the other way of choosing a number.
            return Err(TwilioError::bad_request(
                21451,
                "A PhoneNumber or an AreaCode is required.",
            ));
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(IncomingPhoneNumberResource::of(&number, kind)),
    )
        .into_response())
}

/// Whether `number` may be bought on the `kind` list, by Twilio's magic numbers, its shape and
/// (`fits_plan`) its country's numbering plan: Twilio answers 21421 for a number no country
/// could have, before asking whether it is available.
fn check_buyable(number: &str, kind: Kind, fits_plan: bool) -> Result<(), TwilioError> {
    let unavailable =
        || TwilioError::bad_request(21422, format!("PhoneNumber {number} is not available."));
    if number == MAGIC_UNAVAILABLE {
        return Err(unavailable());
    }
    if number == MAGIC_INVALID || !fits_plan {
        return Err(TwilioError::bad_request(
            21421,
            format!("PhoneNumber {number} is invalid."),
        ));
    }
    match kind {
        Kind::Local | Kind::TollFree if !kind.holds(number) => Err(unavailable()),
        _ => Ok(()),
    }
}

/// Give the tenant the first number `+1 {area} 555-xxxx` it does not have yet. The search starts
/// at 555-0100, the range set aside for fiction, which also keeps area code 500 clear of
/// Twilio's magic numbers (+1 500 555-000x).
async fn buy_in_area(
    state: &TwilioState,
    tenant: &Tenant,
    area_code: &str,
    kind: Kind,
    settings: NumberUpdate,
) -> Result<PhoneNumber, TwilioError> {
    if matches!(kind, Kind::Local | Kind::TollFree) {
        return Err(TwilioError::bad_request(
            21457,
            "AreaCode parameter not supported on this resource; use PhoneNumber.",
        ));
    }
    let valid = area_code.len() == 3
        && area_code.bytes().all(|b| b.is_ascii_digit())
        && !area_code.starts_with(['0', '1']);
    if !valid {
        return Err(TwilioError::bad_request(
            21451,
            format!("AreaCode {area_code} is not a valid North American area code."),
        ));
    }
    let none_found = || {
        TwilioError::bad_request(
            21452,
            format!("No phone numbers found in area code {area_code}."),
        )
    };
    if area_code == MAGIC_EMPTY_AREA_CODE {
        return Err(none_found());
    }
    for line in (100..10_000).chain(0..100) {
        let number = format!("+1{area_code}555{line:04}");
        if tenant.owns_number(&number) {
            continue;
        }
        let mut settings = settings.clone();
        settings
            .friendly_name
            .get_or_insert_with(|| friendly_name(&number));
        match state.core.add_number(tenant, &number, settings).await {
            Ok(bought) => return Ok(bought),
            // Another request took it meanwhile: try the next one.
            Err(CoreError::Conflict(_)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(none_found())
}

fn bought_error(error: CoreError, number: &str) -> TwilioError {
    match error {
        CoreError::Conflict(_) => {
            TwilioError::bad_request(21422, format!("PhoneNumber {number} is not available."))
        }
        CoreError::Invalid(_) => {
            TwilioError::bad_request(21421, format!("PhoneNumber {number} is invalid."))
        }
        other => other.into(),
    }
}

/// The settings a create or update carries. Parameters Twilio accepts that mockingbird has no
/// use for (ApiVersion, VoiceCallerIdLookup, application and trunk SIDs, addresses, bundles)
/// are accepted and ignored.
fn decode_settings(params: &Params) -> Result<NumberUpdate, TwilioError> {
    let url = |name: &str| -> Result<Option<String>, TwilioError> {
        match params.get(name) {
            None => Ok(None),
            // An empty URL removes the current one.
            Some("") => Ok(Some(String::new())),
            Some(url) if text::is_http_url(url) => Ok(Some(url.to_owned())),
            Some(url) => Err(TwilioError::bad_request(
                21502,
                format!("{name} {url} is not a valid URL."),
            )),
        }
    };
    let method = |name: &str| -> Result<Option<HttpMethod>, TwilioError> {
        params
            .non_empty(name)
            .map(|raw| {
                HttpMethod::parse(raw).ok_or_else(|| {
                    TwilioError::bad_request(
                        20001,
                        format!("{name} {raw} is not valid: use GET or POST"),
                    )
                })
            })
            .transpose()
    };
    Ok(NumberUpdate {
        friendly_name: params.non_empty("FriendlyName").map(str::to_owned),
        sms_url: url("SmsUrl")?,
        sms_method: method("SmsMethod")?,
        sms_fallback_url: url("SmsFallbackUrl")?,
        sms_fallback_method: method("SmsFallbackMethod")?,
        voice_url: url("VoiceUrl")?,
        voice_method: method("VoiceMethod")?,
        voice_fallback_url: url("VoiceFallbackUrl")?,
        voice_fallback_method: method("VoiceFallbackMethod")?,
        status_callback: url("StatusCallback")?,
        status_callback_method: method("StatusCallbackMethod")?,
    })
}

/// Twilio's default friendly name: the number as Twilio formats it.
fn friendly_name(number: &str) -> String {
    super::resources::formatted_number(number)
}

/// List numbers: `GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json`, oldest
/// first, filtered by `PhoneNumber`, `FriendlyName` and `Origin`.
pub async fn list(scope: Scope) -> Result<Response, TwilioError> {
    list_kind(&scope, Kind::Any)
}

/// List local numbers: `GET …/IncomingPhoneNumbers/Local.json`.
pub async fn list_local(scope: Scope) -> Result<Response, TwilioError> {
    list_kind(&scope, Kind::Local)
}

/// List mobile numbers: `GET …/IncomingPhoneNumbers/Mobile.json`.
pub async fn list_mobile(scope: Scope) -> Result<Response, TwilioError> {
    list_kind(&scope, Kind::Mobile)
}

/// List toll-free numbers: `GET …/IncomingPhoneNumbers/TollFree.json`.
pub async fn list_toll_free(scope: Scope) -> Result<Response, TwilioError> {
    list_kind(&scope, Kind::TollFree)
}

/// One page of the tenant's numbers of one kind. The core keeps no kind: it is told from the
/// number by its country's plan (see [`numbering::kind`]).
fn list_kind(scope: &Scope, kind: Kind) -> Result<Response, TwilioError> {
    let (tenant, uri) = (&scope.tenant, &scope.uri);
    let params = params::query(uri)?;
    let paging = resources::paging(&params)?;
    let pattern = params.non_empty("PhoneNumber");
    let name = params.non_empty("FriendlyName");
    // Every number here is Twilio's own; none is hosted.
    let origin_matches = params.non_empty("Origin").is_none_or(|o| o == "twilio");
    let mut numbers: Vec<_> = tenant
        .numbers()
        .into_iter()
        .filter(|_| origin_matches)
        .filter(|n| pattern.is_none_or(|p| number_matches(&n.phone_number, p)))
        .filter(|n| name.is_none_or(|f| n.friendly_name == f))
        .filter(|n| kind.holds(&n.phone_number))
        .collect();
    numbers.sort_by(|a, b| (a.created_at, &a.sid).cmp(&(b.created_at, &b.sid)));
    Ok(Json(resources::memory_page(
        uri.path(),
        resources::filters(&params),
        "incoming_phone_numbers",
        &numbers,
        &paging,
        |item| &item.sid,
        |n| IncomingPhoneNumberResource::of(n, kind),
    ))
    .into_response())
}

/// Twilio's `PhoneNumber` filter: any part of the number, with `*` standing for any digit.
fn number_matches(number: &str, pattern: &str) -> bool {
    let (number, pattern) = (number.as_bytes(), pattern.trim().as_bytes());
    if pattern.is_empty() {
        return true;
    }
    number.windows(pattern.len()).any(|window| {
        window
            .iter()
            .zip(pattern)
            .all(|(&n, &p)| n == p || (p == b'*' && n.is_ascii_digit()))
    })
}

/// Fetch a number: `GET …/IncomingPhoneNumbers/{Sid}.json`.
pub async fn fetch(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let path = scope.path();
    let sid = number_sid(scope.param(0), path)?;
    let number = state
        .core
        .number(&scope.tenant, sid)
        .map_err(|e| not_found_at(e, path))?;
    Ok(Json(IncomingPhoneNumberResource::of(&number, Kind::Any)).into_response())
}

/// Update a number's name and webhooks: `POST …/IncomingPhoneNumbers/{Sid}.json`.
pub async fn update(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
    Form(params): Form,
) -> Result<Response, TwilioError> {
    let (tenant, path) = (&scope.tenant, scope.path());
    let sid = number_sid(scope.param(0), path)?;
    let current = state
        .core
        .number(tenant, sid)
        .map_err(|e| not_found_at(e, path))?;
    if let Some(owner) = params
        .non_empty("AccountSid")
        .filter(|owner| *owner != current.account_sid)
    {
        return Err(TwilioError::bad_request(
            20001,
            format!("Moving a number to another account ({owner}) is not supported by mockingbird"),
        ));
    }
    let mut update = decode_settings(&params)?;
    if params.get("FriendlyName") == Some("") {
        update.friendly_name = Some(friendly_name(&current.phone_number));
    }
    let number = state
        .core
        .update_number(tenant, sid, update)
        .await
        .map_err(|e| not_found_at(e, path))?;
    Ok(Json(IncomingPhoneNumberResource::of(&number, Kind::Any)).into_response())
}

/// Release a number: `DELETE …/IncomingPhoneNumbers/{Sid}.json` → 204. It is no longer a valid
/// `From`, and texts to it are refused.
pub async fn delete(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let path = scope.path();
    let sid = number_sid(scope.param(0), path)?;
    state
        .core
        .remove_number(&scope.tenant, sid)
        .await
        .map_err(|e| not_found_at(e, path))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The SID in a `{Sid}.json` path segment. Only `PN…` SIDs name a number here, though the core
/// also finds numbers by their digits.
fn number_sid<'a>(file: &'a str, path: &str) -> Result<&'a str, TwilioError> {
    file.strip_suffix(".json")
        .filter(|sid| ids::is_sid(sid, "PN"))
        .ok_or_else(|| TwilioError::not_found(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn friendly_names_are_formatted_like_twilios() {
        assert_eq!(friendly_name("+14155550100"), "(415) 555-0100");
        assert_eq!(friendly_name("+447700900123"), "+447700900123");
    }

    #[test]
    fn phone_number_filter_matches_parts_and_wildcards() {
        assert!(number_matches("+14155550100", "+14155550100"));
        assert!(number_matches("+14155550100", "555"));
        assert!(number_matches("+14155550100", "+1415*******"));
        assert!(number_matches("+14155550100", "0100"));
        assert!(!number_matches("+14155550100", "+1212"));
        assert!(!number_matches("+14155550100", "+14155550100 1"));
    }
}
