//! Twilio's webhook requests: the form parameters of each, from what the core reports.

use crate::core::messaging::{Message, MessageStatus};
use crate::core::outbox::{IncomingChannel, StatusNotify};
use crate::core::rules::Step;
use crate::core::text;
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
) -> Vec<(String, String)> {
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
    params
}

/// The parameters of Twilio's incoming-message webhook (reference §4.2; WhatsApp: whatsapp.md
/// §7). Captured WhatsApp webhooks carry no `FromCity`…`ToZip` geography (Twilio looks that
/// up for phone numbers only) but do carry `ReferralNumMedia=0` and, on a button tap, the
/// quoted template's sender and SID.
pub fn incoming_message(message: &Message, channel: &IncomingChannel) -> Vec<(String, String)> {
    let sid = message.sid.clone();
    let mut params: Vec<(String, String)> = vec![
        ("SmsMessageSid".into(), sid.clone()),
        ("NumMedia".into(), message.media_urls.len().to_string()),
        ("SmsSid".into(), sid.clone()),
        ("SmsStatus".into(), "received".into()),
        ("Body".into(), message.body.clone()),
        ("To".into(), message.to.clone()),
        ("NumSegments".into(), message.num_segments.to_string()),
        ("MessageSid".into(), sid),
        ("AccountSid".into(), message.account_sid.clone()),
        ("From".into(), message.from.clone().unwrap_or_default()),
        ("ApiVersion".into(), API_VERSION.into()),
    ];
    for (index, url) in message.media_urls.iter().enumerate() {
        params.push((format!("MediaUrl{index}"), url.clone()));
        params.push((
            format!("MediaContentType{index}"),
            text::media_type_of_url(url).into(),
        ));
    }
    let mut add = |name: &str, value: String| params.push((name.into(), value));
    match channel {
        IncomingChannel::Sms { opt_out } => {
            for (name, value) in [
                ("FromCity", ""),
                ("FromState", ""),
                ("FromZip", ""),
                ("FromCountry", "US"),
                ("ToCity", ""),
                ("ToState", ""),
                ("ToZip", ""),
                ("ToCountry", "US"),
            ] {
                add(name, value.into());
            }
            if let Some(keyword) = opt_out {
                add("OptOutType", keyword.as_str().into());
            }
        }
        IncomingChannel::WhatsApp(details) => {
            add("ProfileName", details.profile_name.clone());
            add("WaId", details.wa_id.clone());
            // The user's BSUID. Twilio's own pages on WhatsApp usernames were not found among
            // the sources searched; the parameter's name is the one issue 10 gives, its value
            // the same BSUID Meta sends as `contacts[].user_id`. Twilio's channel has no
            // username or hidden-phone simulation here: `From` is always the user's number.
            if let Some(user_id) = &details.external_user_id {
                add("ExternalUserId", user_id.clone());
            }
            add("MessageType", details.message_type.clone());
            add("ReferralNumMedia", "0".into());
            if let Some(text) = &details.button_text {
                add("ButtonText", text.clone());
            }
            if let Some(payload) = &details.button_payload {
                add("ButtonPayload", payload.clone());
            }
            if let Some((sender, sid)) = &details.replied_to {
                add("OriginalRepliedMessageSender", sender.clone());
                add("OriginalRepliedMessageSid", sid.clone());
            }
            if let Some(location) = &details.location {
                add("Latitude", location.latitude.to_string());
                add("Longitude", location.longitude.to_string());
                if let Some(address) = &location.address {
                    add("Address", address.clone());
                }
                if let Some(label) = &location.label {
                    add("Label", label.clone());
                }
            }
            // Twilio sends these only when they are true.
            if details.forwarded {
                add("Forwarded", "true".into());
            }
            if details.frequently_forwarded {
                add("FrequentlyForwarded", "true".into());
            }
        }
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::messaging::Direction;
    use crate::core::messaging::users::{OptOutKeyword, SharedLocation};
    use crate::core::outbox::WhatsAppDetails;

    fn message(from: &str, to: &str, body: &str) -> Message {
        Message {
            sid: "SM00000000000000000000000000000000".into(),
            account_sid: "AC00000000000000000000000000000000".into(),
            direction: Direction::Inbound,
            from: Some(from.into()),
            to: to.into(),
            body: body.into(),
            media_urls: Vec::new(),
            status: MessageStatus::Received,
            num_segments: 1,
            messaging_service_sid: None,
            error_code: None,
            error_message: None,
            price: None,
            created_at: 0,
            updated_at: 0,
            sent_at: Some(0),
            status_callback: None,
            whatsapp: None,
        }
    }

    fn names(params: &[(String, String)]) -> Vec<&str> {
        params.iter().map(|(name, _)| name.as_str()).collect()
    }

    #[test]
    fn whatsapp_webhooks_drop_the_sms_geography_and_send_only_what_is_set() {
        let sms = incoming_message(
            &message("+15557654321", "+15550101010", "STOP"),
            &IncomingChannel::Sms {
                opt_out: Some(OptOutKeyword::Stop),
            },
        );
        assert!(names(&sms).contains(&"FromCity") && names(&sms).contains(&"OptOutType"));

        let details = WhatsAppDetails {
            wa_id: "15557654321".into(),
            external_user_id: Some("US.12345678901234567890".into()),
            profile_name: "Ada".into(),
            message_type: "text".into(),
            button_text: None,
            button_payload: None,
            replied_to: None,
            location: None,
            forwarded: false,
            frequently_forwarded: false,
        };
        let plain = incoming_message(
            &message("whatsapp:+15557654321", "whatsapp:+15550101010", "hi"),
            &IncomingChannel::WhatsApp(Box::new(details.clone())),
        );
        let plain_names = names(&plain);
        for absent in [
            "FromCity",
            "ToCountry",
            "OptOutType",
            "ButtonText",
            "Latitude",
            "Forwarded",
            "FrequentlyForwarded",
            "OriginalRepliedMessageSid",
        ] {
            assert!(!plain_names.contains(&absent), "{absent}: {plain:?}");
        }
        for present in [
            "WaId",
            "ExternalUserId",
            "ProfileName",
            "MessageType",
            "ReferralNumMedia",
        ] {
            assert!(plain_names.contains(&present), "{present}: {plain:?}");
        }

        let located = incoming_message(
            &message("whatsapp:+15557654321", "whatsapp:+15550101010", ""),
            &IncomingChannel::WhatsApp(Box::new(WhatsAppDetails {
                message_type: "location".into(),
                location: Some(SharedLocation {
                    latitude: 37.7749,
                    longitude: -122.4194,
                    address: None,
                    label: Some("Ferry Building".into()),
                }),
                forwarded: true,
                ..details
            })),
        );
        let value = |name: &str| {
            located
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(value("Latitude"), Some("37.7749"));
        assert_eq!(value("Longitude"), Some("-122.4194"));
        assert_eq!(value("Label"), Some("Ferry Building"));
        assert_eq!(value("Address"), None);
        assert_eq!(value("Forwarded"), Some("true"));
        assert_eq!(value("FrequentlyForwarded"), None);
    }
}
