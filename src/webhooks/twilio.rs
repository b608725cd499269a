//! Twilio's webhook requests: what each carries.

use crate::core::ids;
use crate::core::messages::MessageStatus;
use crate::core::rules::Step;
use crate::core::store::{Delivery, StatusNotify, WebhookProvider};
use crate::core::time::{self, Millis};
use crate::providers::twilio::API_VERSION;

/// The status callback of a message entering `step.status`. Twilio sends the legacy `Sms*`
/// aliases too, `ErrorCode` on failed/undelivered, and `RawDlrDoneDate` with the carrier receipt.
pub fn message_status(
    account_sid: &str,
    sid: &str,
    notify: &StatusNotify,
    step: &Step,
    at: Millis,
    max_attempts: u32,
    retry_delay_ms: u64,
) -> Delivery {
    let status = step.status.as_str();
    let mut params: Vec<(String, String)> = vec![
        ("MessageSid".into(), sid.into()),
        ("SmsSid".into(), sid.into()),
        ("MessageStatus".into(), status.into()),
        ("SmsStatus".into(), status.into()),
        ("AccountSid".into(), account_sid.into()),
        ("To".into(), notify.to.clone()),
        ("ApiVersion".into(), API_VERSION.into()),
    ];
    if let Some(from) = &notify.from {
        params.push(("From".into(), from.clone()));
    }
    if let Some(service) = &notify.messaging_service_sid {
        params.push(("MessagingServiceSid".into(), service.clone()));
    }
    if step.status.is_error() {
        // Twilio always reports a code with these statuses; 30008 is its "unknown error".
        params.push((
            "ErrorCode".into(),
            step.error_code.unwrap_or(30008).to_string(),
        ));
    }
    if matches!(
        step.status,
        MessageStatus::Delivered | MessageStatus::Undelivered
    ) {
        params.push(("RawDlrDoneDate".into(), time::dlr_done_date(at)));
    }
    Delivery {
        provider: WebhookProvider::Twilio,
        json: String::new(),
        idempotency_token: format!("{}-{}", ids::hex(16), sid),
        resource_sid: sid.into(),
        status: status.into(),
        url: notify.callback.url.clone(),
        method: notify.callback.method,
        params,
        attempt: 1,
        max_attempts,
        retry_delay_ms,
    }
}
