//! Twilio's JSON resources. Field order follows real responses; numbers that Twilio sends as
//! strings (`num_segments`, `num_media`, `price`) are strings here, and `error_code` is an
//! integer — twilio-go's `json.Unmarshal` fails on either mistake.

use serde::Serialize;
use serde_json::{Map, Value};

use super::params::Params;
use crate::core::messaging::Message;
use crate::core::paging::{PageRequest, PageStart};
use crate::core::tenants::Account;
use crate::core::time::rfc2822;
use crate::providers::twilio::{API_VERSION, encode_form};

pub fn account_uri(account_sid: &str) -> String {
    format!("/{API_VERSION}/Accounts/{account_sid}")
}

/// A number as Twilio formats it for people (a number's friendly name, a call's
/// `to_formatted`): `(415) 555-0100` for North American numbers, else as given.
pub fn formatted_number(number: &str) -> String {
    match number.strip_prefix("+1") {
        Some(digits) if digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            format!("({}) {}-{}", &digits[..3], &digits[3..6], &digits[6..])
        }
        _ => number.to_owned(),
    }
}

#[derive(Serialize)]
pub struct MessageResource {
    sid: String,
    date_created: String,
    date_updated: String,
    date_sent: Option<String>,
    account_sid: String,
    to: String,
    from: Option<String>,
    messaging_service_sid: Option<String>,
    body: String,
    status: &'static str,
    num_segments: String,
    num_media: String,
    direction: &'static str,
    api_version: &'static str,
    price: Option<String>,
    price_unit: &'static str,
    error_code: Option<u32>,
    error_message: Option<String>,
    uri: String,
    subresource_uris: Map<String, Value>,
}

impl From<&Message> for MessageResource {
    fn from(m: &Message) -> Self {
        let base = format!("{}/Messages/{}", account_uri(&m.account_sid), m.sid);
        let mut subresources = Map::new();
        subresources.insert("media".into(), Value::String(format!("{base}/Media.json")));
        subresources.insert(
            "feedback".into(),
            Value::String(format!("{base}/Feedback.json")),
        );
        MessageResource {
            sid: m.sid.clone(),
            date_created: rfc2822(m.created_at),
            date_updated: rfc2822(m.updated_at),
            date_sent: m.sent_at.map(rfc2822),
            account_sid: m.account_sid.clone(),
            to: m.to.clone(),
            from: m.from.clone(),
            messaging_service_sid: m.messaging_service_sid.clone(),
            body: m.body.clone(),
            status: m.status.as_str(),
            num_segments: m.num_segments.to_string(),
            num_media: m.media_urls.len().to_string(),
            direction: m.direction.as_str(),
            api_version: API_VERSION,
            price: m.price.clone(),
            price_unit: "USD",
            error_code: m.error_code,
            error_message: m.error_message.clone(),
            uri: format!("{base}.json"),
            subresource_uris: subresources,
        }
    }
}

#[derive(Serialize)]
pub struct AccountResource {
    auth_token: String,
    date_created: String,
    date_updated: String,
    friendly_name: String,
    owner_account_sid: String,
    sid: String,
    status: &'static str,
    subresource_uris: Map<String, Value>,
    #[serde(rename = "type")]
    kind: &'static str,
    uri: String,
}

impl From<&Account> for AccountResource {
    fn from(a: &Account) -> Self {
        let base = account_uri(&a.sid);
        let subresources = [
            "Messages",
            "Calls",
            "IncomingPhoneNumbers",
            "Keys",
            "Applications",
        ]
        .into_iter()
        .map(|name| {
            let key = match name {
                "IncomingPhoneNumbers" => "incoming_phone_numbers".to_owned(),
                other => other.to_ascii_lowercase(),
            };
            (key, Value::String(format!("{base}/{name}.json")))
        })
        .collect();
        AccountResource {
            auth_token: a.auth_token.clone(),
            date_created: rfc2822(a.created_at),
            date_updated: rfc2822(a.updated_at),
            friendly_name: a.friendly_name.clone(),
            // A top-level account owns itself.
            owner_account_sid: a.owner_account_sid.clone().unwrap_or_else(|| a.sid.clone()),
            sid: a.sid.clone(),
            status: a.status.as_str(),
            subresource_uris: subresources,
            kind: "Full",
            uri: format!("{base}.json"),
        }
    }
}

/// One page of a list, in Twilio's envelope. Every URI repeats the caller's filters and adds
/// `PageSize` and `Page`; `next_page_uri` carries `PageToken=PA<last sid>` and
/// `previous_page_uri` `PageToken=PB<first sid>`. The SDKs follow them verbatim.
pub struct Page<'a> {
    pub path: &'a str,
    /// The caller's filters, in the order given, without the paging parameters.
    pub filters: Vec<(String, String)>,
    pub key: &'static str,
    pub page: u32,
    pub page_size: u32,
    /// The resources on this page, as JSON. Each has a `sid`, from which the page tokens come.
    pub items: Vec<Value>,
    pub has_next: bool,
    pub has_previous: bool,
}

impl Page<'_> {
    pub fn into_json(self) -> Value {
        let uri = |page: u32, token: Option<String>| {
            let mut params = self.filters.clone();
            params.push(("PageSize".into(), self.page_size.to_string()));
            params.push(("Page".into(), page.to_string()));
            if let Some(token) = token {
                params.push(("PageToken".into(), token));
            }
            format!("{}?{}", self.path, encode_form(&params))
        };
        let start = self.page * self.page_size;
        let end = if self.items.is_empty() {
            0
        } else {
            start + self.items.len() as u32 - 1
        };
        let sid = |item: Option<&Value>| item.and_then(|v| v["sid"].as_str()).map(str::to_owned);
        let next = match (sid(self.items.last()), self.has_next) {
            (Some(last), true) => Value::String(uri(self.page + 1, Some(format!("PA{last}")))),
            _ => Value::Null,
        };
        let previous = match (sid(self.items.first()), self.has_previous) {
            (Some(first), true) => {
                Value::String(uri(self.page.saturating_sub(1), Some(format!("PB{first}"))))
            }
            _ => Value::Null,
        };
        let mut body = Map::new();
        body.insert("first_page_uri".into(), Value::String(uri(0, None)));
        body.insert("end".into(), end.into());
        body.insert("previous_page_uri".into(), previous);
        body.insert(self.key.into(), Value::Array(self.items));
        body.insert("uri".into(), Value::String(uri(self.page, None)));
        body.insert("page_size".into(), self.page_size.into());
        body.insert("start".into(), start.into());
        body.insert("next_page_uri".into(), next);
        body.insert("page".into(), self.page.into());
        Value::Object(body)
    }
}

/// Paging parameters of a list request.
pub struct Paging {
    pub page: u32,
    pub page_size: u32,
    pub token: Option<String>,
    /// Where the page starts, read from the token.
    pub start: PageStart,
}

impl Paging {
    pub fn request(&self) -> PageRequest {
        PageRequest {
            start: self.start.clone(),
            size: self.page_size,
        }
    }
}

/// The paging parameters every list reads, checked the same way on every list. Twilio pages
/// hold 50 items unless asked, and at most 1,000 (larger sizes are capped).
///
/// `Page` is "the page index, simply for client state" (the spec): a page past the first is
/// reached only through the `PageToken` of a `next_page_uri` or `previous_page_uri`. Twilio
/// dropped absolute paging in 2015, and `Page=N` without a `PageToken` is refused on every list
/// with 400 / 20001 "PageToken is required for paging." (as twilio-python issue 395 shows it for
/// Messages; twilio-php issue 507 shows Accounts refusing it too, worded "Paged requests must
/// include a PageToken" with no code: the first, which comes with its code, is followed).
/// `Page=0` without a token is the first page.
pub fn paging(params: &Params) -> Result<Paging, super::error::TwilioError> {
    let invalid = |name: &str, value: &str| {
        super::error::TwilioError::bad_request(
            20001,
            format!("Invalid {name}: {value:?} is not a positive whole number"),
        )
    };
    let page_size = match params.non_empty("PageSize") {
        None => 50,
        Some(raw) => match raw.parse::<u64>() {
            Ok(0) | Err(_) => return Err(invalid("PageSize", raw)),
            Ok(size) => size.min(1000) as u32,
        },
    };
    let page = match params.non_empty("Page") {
        None => 0,
        Some(raw) => raw.parse::<u32>().map_err(|_| invalid("Page", raw))?,
    };
    let token = params.non_empty("PageToken").map(str::to_owned);
    let start = match token.as_deref() {
        None if page > 0 => {
            return Err(super::error::TwilioError::bad_request(
                20001,
                "PageToken is required for paging.",
            ));
        }
        None => PageStart::First,
        Some(token) => match token.split_at_checked(2) {
            Some(("PA", after)) if !after.is_empty() => PageStart::After(after.to_owned()),
            Some(("PB", before)) if !before.is_empty() => PageStart::Before(before.to_owned()),
            _ => return Err(invalid_token(token)),
        },
    };
    Ok(Paging {
        page,
        page_size,
        token,
        start,
    })
}

/// A `PageToken` this server did not hand out.
pub fn invalid_token(token: &str) -> super::error::TwilioError {
    super::error::TwilioError::bad_request(20001, format!("Invalid PageToken {token:?}"))
}

/// The caller's filters: every query parameter but the paging ones, in the order given.
pub fn filters(params: &Params) -> Vec<(String, String)> {
    params
        .0
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "PageSize" | "Page" | "PageToken"))
        .cloned()
        .collect()
}

/// One page of a short list held in memory (accounts, keys, phone numbers), as Twilio's
/// envelope: the items after the one a `PA<sid>` token names, or before a `PB<sid>`'s.
pub fn memory_page<'a, T, R: Serialize>(
    path: &str,
    filters: Vec<(String, String)>,
    key: &'static str,
    all: &'a [T],
    paging: &Paging,
    sid: impl Fn(&T) -> &str,
    render: impl Fn(&'a T) -> R,
) -> Value {
    let request = paging.request();
    let page = crate::core::paging::Page::of_list(all.iter().collect(), &request, |item| sid(item));
    Page {
        path,
        filters,
        key,
        page: paging.page,
        page_size: paging.page_size,
        items: items(page.items.into_iter().map(render)),
        has_next: page.has_next,
        has_previous: page.has_previous,
    }
    .into_json()
}

/// Resources as the JSON items of a page.
pub fn items<R: Serialize>(resources: impl IntoIterator<Item = R>) -> Vec<Value> {
    resources
        .into_iter()
        .map(|resource| serde_json::to_value(resource).unwrap_or_default())
        .collect()
}
