//! Meta's webhooks for the WhatsApp Cloud API: the `whatsapp_business_account` envelope around
//! a user's message or a message's status, encoded the way Meta signs it.
//!
//! Meta signs "an escaped unicode version of the payload, with lowercase hex digits". Sources
//! disagree on whether the bytes on the wire carry those escapes; mockingbird sends every
//! non-ASCII character as a lowercase `\uXXXX` escape and signs exactly the bytes it sends, so an
//! app that hashes the raw body and one that escapes before hashing both verify it
//! (reference/whatsapp.md §4.2).

use serde_json::{Map, Value, json};

use crate::core::outbox::{TemplateStatusUpdate, WhatsAppIncoming, WhatsAppNotify};
use crate::core::rules::Step;
use crate::core::tenants::WhatsAppIdentity;
use crate::core::time::Millis;
use crate::providers::meta::title_of;

/// How long a conversation lasts from its first message: 24 hours (Meta's conversation
/// `expiration_timestamp`).
const CONVERSATION_MS: Millis = 24 * 3600 * 1000;

/// The webhook body of a user's message (§4.3–§4.4): the complete envelope with the contact,
/// a string timestamp, and `context` when the user replied to one of the business's messages.
/// The system message type has no `contacts`, as Meta sends it.
pub fn inbound_message(user: &WhatsAppIncoming) -> String {
    let content: Value = serde_json::from_str(&user.content).unwrap_or(Value::Null);
    let mut message = Map::new();
    if let Some(context_id) = &user.context_id {
        message.insert(
            "context".into(),
            json!({ "from": user.identity.business_number(), "id": context_id }),
        );
    }
    message.insert("from".into(), json!(user.wa_id));
    message.insert("id".into(), json!(user.message_id));
    message.insert("timestamp".into(), json!(seconds(user.at)));
    message.insert("type".into(), json!(user.message_type));
    message.insert(user.message_type.clone(), content);
    let mut value = Map::new();
    value.insert("messaging_product".into(), json!("whatsapp"));
    value.insert("metadata".into(), metadata(&user.identity));
    if user.message_type != "system" {
        value.insert(
            "contacts".into(),
            json!([{ "profile": { "name": user.profile_name }, "wa_id": user.wa_id }]),
        );
    }
    value.insert("messages".into(), json!([Value::Object(message)]));
    envelope(&user.identity.business_account_id, Value::Object(value))
}

/// The status webhook of a Cloud API message entering `step` (§4.5), whose status Meta calls
/// `status` ([`WhatsAppNotify::reported`]).
pub fn message_status(
    status: &str,
    wamid: &str,
    recipient: &str,
    notify: &WhatsAppNotify,
    step: &Step,
    at: Millis,
) -> String {
    let mut entry = Map::new();
    entry.insert("id".into(), json!(wamid));
    entry.insert("status".into(), json!(status));
    entry.insert("timestamp".into(), json!(seconds(at)));
    entry.insert("recipient_id".into(), json!(recipient));
    if status == "failed" {
        // Meta's default for a message it could not deliver: 131026, "Message undeliverable".
        let code = step.error_code.unwrap_or(131026);
        let title = title_of(code);
        entry.insert(
            "errors".into(),
            json!([{
                "code": code,
                "title": title,
                "message": title,
                "error_data": { "details": step.error_message.clone().unwrap_or_else(|| title.to_owned()) },
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }]),
        );
    } else {
        let mut conversation = Map::new();
        conversation.insert("id".into(), json!(notify.conversation_id));
        if status == "sent" {
            conversation.insert(
                "expiration_timestamp".into(),
                json!(seconds(at + CONVERSATION_MS)),
            );
        }
        conversation.insert("origin".into(), json!({ "type": notify.category }));
        entry.insert("conversation".into(), Value::Object(conversation));
        // Per-message pricing (from July 2025): service replies inside the window are free.
        let free = notify.category == "service" || notify.category == "utility";
        entry.insert(
            "pricing".into(),
            json!({
                "billable": !free,
                "pricing_model": "PMP",
                "category": notify.category,
                "type": if free { "free_customer_service" } else { "regular" },
            }),
        );
    }
    if let Some(data) = &notify.callback_data {
        entry.insert("biz_opaque_callback_data".into(), json!(data));
    }
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": notify.display_phone_number,
            "phone_number_id": notify.phone_number_id,
        },
        "statuses": [Value::Object(entry)],
    });
    envelope(&notify.business_account_id, value)
}

/// The `message_template_status_update` webhook of a template's review, as Meta's webhook
/// reference for that field writes it (developers.facebook.com/documentation/business-messaging/
/// whatsapp/webhooks/reference/message_template_status_update, April 2026): the entry carries
/// a `time` in Unix seconds (a number, unlike message timestamps), `message_template_id` is a
/// number, and the value names the category. `disable_info` and `other_info` belong to events
/// mockingbird does not raise.
pub fn template_status(update: &TemplateStatusUpdate) -> String {
    let template_id = update
        .template_id
        .parse::<u64>()
        .map_or_else(|_| json!(update.template_id), |id| json!(id));
    let value = json!({
        "event": update.event,
        "message_template_id": template_id,
        "message_template_name": update.name,
        "message_template_language": update.language,
        "reason": update.reason,
        "message_template_category": update.category,
    });
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": update.business_account_id,
            "time": update.at.div_euclid(1000),
            "changes": [{ "value": value, "field": "message_template_status_update" }],
        }],
    });
    escape_non_ascii(&body.to_string())
}

/// `{"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [{"value", "field"}]}]}`,
/// serialized with every non-ASCII character escaped.
fn envelope(business_account_id: &str, value: Value) -> String {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": business_account_id,
            "changes": [{ "value": value, "field": "messages" }],
        }],
    });
    escape_non_ascii(&body.to_string())
}

fn metadata(identity: &WhatsAppIdentity) -> Value {
    json!({
        "display_phone_number": identity.business_number(),
        "phone_number_id": identity.phone_number_id,
    })
}

/// Unix seconds as a string, as every Meta webhook timestamp is.
fn seconds(at: Millis) -> String {
    (at.div_euclid(1000)).to_string()
}

/// JSON text with every non-ASCII character written as `\uXXXX` (lowercase hex; characters
/// beyond the Basic Multilingual Plane as a surrogate pair). Non-ASCII characters occur only
/// inside JSON strings, where the escape means the same character.
pub fn escape_non_ascii(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_characters_are_escaped_with_lowercase_hex() {
        assert_eq!(
            escape_non_ascii(r#"{"a":"äöå @ 🙏"}"#),
            r#"{"a":"\u00e4\u00f6\u00e5 @ \ud83d\ude4f"}"#
        );
        let parsed: Value = serde_json::from_str(&escape_non_ascii(r#"{"a":"äöå 🙏"}"#)).unwrap();
        assert_eq!(parsed["a"], "äöå 🙏");
    }

    #[test]
    fn an_inbound_text_has_the_whole_envelope_and_a_string_timestamp() {
        let identity = WhatsAppIdentity {
            display_phone_number: "+1 555 0123".into(),
            ..WhatsAppIdentity::generate()
        };
        let body = inbound_message(&WhatsAppIncoming {
            identity,
            wa_id: "263778177125".into(),
            profile_name: "Test User".into(),
            message_id: "wamid.X".into(),
            at: 1_750_000_000_123,
            message_type: "text".into(),
            content: r#"{"body":"hi"}"#.into(),
            context_id: Some("wamid.Y".into()),
        });
        let parsed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["object"], "whatsapp_business_account");
        let value = &parsed["entry"][0]["changes"][0]["value"];
        assert_eq!(parsed["entry"][0]["changes"][0]["field"], "messages");
        assert_eq!(value["metadata"]["display_phone_number"], "15550123");
        assert_eq!(value["contacts"][0]["wa_id"], "263778177125");
        let message = &value["messages"][0];
        assert_eq!(message["timestamp"], "1750000000");
        assert_eq!(message["text"]["body"], "hi");
        assert_eq!(message["context"]["id"], "wamid.Y");
    }
}
