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
/// The system message type has no `contacts`, as Meta sends it (its system-messages webhook
/// reference, Aug 2026).
///
/// Identifiers as Meta sends them since April 2026 (Meta's business-scoped user ids page;
/// dualhook.com/docs/contacts-bsuid-webhooks; pywa 4.5 `User.from_contact`; whatsapp-api-js 6.3
/// `ServerContacts`): `contacts[].user_id` always, `profile.username` when the user has one,
/// `messages[].from_user_id` beside `from`; a user who hides their phone number has no
/// `wa_id` and no `from`.
pub fn inbound_message(incoming: &WhatsAppIncoming) -> String {
    let user = &incoming.user;
    let content: Value = serde_json::from_str(&incoming.content).unwrap_or(Value::Null);
    let mut message = Map::new();
    if let Some(context_id) = &incoming.context_id {
        message.insert(
            "context".into(),
            json!({ "from": incoming.identity.business_number(), "id": context_id }),
        );
    }
    if let Some(phone) = user.visible_wa_id() {
        message.insert("from".into(), json!(phone));
    }
    message.insert("from_user_id".into(), json!(user.user_id));
    message.insert("id".into(), json!(incoming.message_id));
    message.insert("timestamp".into(), json!(seconds(incoming.at)));
    message.insert("type".into(), json!(incoming.message_type));
    message.insert(incoming.message_type.clone(), content);
    let mut value = Map::new();
    value.insert("messaging_product".into(), json!("whatsapp"));
    value.insert("metadata".into(), metadata(&incoming.identity));
    if incoming.message_type != "system" {
        let mut profile = Map::new();
        profile.insert("name".into(), json!(incoming.profile_name));
        if let Some(username) = &user.username {
            profile.insert("username".into(), json!(username));
        }
        value.insert(
            "contacts".into(),
            json!([contact(
                Some(Value::Object(profile)),
                user.visible_wa_id(),
                Some(&user.user_id)
            )]),
        );
    }
    value.insert("messages".into(), json!([Value::Object(message)]));
    envelope(&incoming.identity.business_account_id, Value::Object(value))
}

/// One `contacts[]` entry: `profile` (when there is one to show), `wa_id` when the phone number
/// may be shown, `user_id` when the user is known.
fn contact(profile: Option<Value>, wa_id: Option<&str>, user_id: Option<&str>) -> Value {
    let mut contact = Map::new();
    if let Some(profile) = profile {
        contact.insert("profile".into(), profile);
    }
    if let Some(wa_id) = wa_id {
        contact.insert("wa_id".into(), json!(wa_id));
    }
    if let Some(user_id) = user_id {
        contact.insert("user_id".into(), json!(user_id));
    }
    Value::Object(contact)
}

/// Meta's "Message undeliverable": the failure a status reports when nothing more is known.
const UNDELIVERABLE: u32 = 131026;

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
    // The recipient's identifiers (Meta's business-scoped user ids page, dualhook's summary
    // of it, whatsapp-api-js 6.3 `ServerStatusPayload`): a message sent to a phone number
    // reports that number in `recipient_id`; one sent to a BSUID reports the number only if
    // the user shows it. `recipient_user_id` is on every sent, delivered and read status, and
    // on a failed one only when the message was sent to a BSUID. Statuses before BSUIDs carry
    // neither a known user nor a BSUID: the number alone.
    let failed = status == "failed";
    // Meta's default for a message it could not deliver: 131026, "Message undeliverable".
    let error_code = failed.then(|| step.error_code.unwrap_or(UNDELIVERABLE));
    let by_user_id = notify.addressed_user_id.as_deref();
    let user = notify.recipient.as_ref();
    let phone = match (by_user_id, user) {
        (None, _) => Some(recipient),
        (Some(_), Some(user)) => user.visible_wa_id(),
        (Some(_), None) => None,
    };
    let user_id = user.map(|u| u.user_id.as_str()).or(by_user_id);
    let mut entry = Map::new();
    entry.insert("id".into(), json!(wamid));
    entry.insert("status".into(), json!(status));
    entry.insert("timestamp".into(), json!(seconds(at)));
    if let Some(phone) = phone {
        entry.insert("recipient_id".into(), json!(phone));
    }
    if let Some(user_id) = user_id
        && (!failed || by_user_id.is_some())
    {
        entry.insert("recipient_user_id".into(), json!(user_id));
    }
    if let Some(code) = error_code {
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
    let mut value = Map::new();
    value.insert("messaging_product".into(), json!("whatsapp"));
    value.insert(
        "metadata".into(),
        json!({
            "display_phone_number": notify.display_phone_number,
            "phone_number_id": notify.phone_number_id,
        }),
    );
    // Every status carries the recipient in `contacts` since 2026 (pywa 4.5 reads `contacts[0]`
    // on every status). Real payloads show how lean it is: `{wa_id, user_id}` with no profile on
    // sent statuses (pywa issue #188), the username on delivered and read ones only (dualhook's
    // table of Meta's page), and on a message Meta could not deliver (131026) the number alone,
    // `{wa_id}`, since there is no WhatsApp user to name (pywa issue #227 and PR #220, from
    // August 2026 webhooks). pywa 4.5.0 still requires `user_id` there and logs a KeyError, as
    // it does in production. Dualhook's table says failed statuses carry no contacts; the
    // captured payloads above say otherwise, and they win.
    let undeliverable = error_code == Some(UNDELIVERABLE);
    let contact_user_id = if undeliverable { by_user_id } else { user_id };
    if phone.is_some() || contact_user_id.is_some() {
        let username = user
            .and_then(|u| u.username.as_ref())
            .filter(|_| status == "delivered" || status == "read");
        let profile = username.map(|username| json!({ "username": username }));
        value.insert(
            "contacts".into(),
            json!([contact(profile, phone, contact_user_id)]),
        );
    }
    value.insert("statuses".into(), json!([Value::Object(entry)]));
    envelope(&notify.business_account_id, Value::Object(value))
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
    use crate::core::whatsapp::{WhatsAppUser, business_scoped_user_id};

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
            user: WhatsAppUser::with_phone("AC1", "263778177125"),
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
        let user_id = business_scoped_user_id("AC1", "263778177125");
        assert_eq!(value["contacts"][0]["user_id"], user_id.as_str());
        assert_eq!(
            value["contacts"][0]["profile"],
            json!({ "name": "Test User" })
        );
        let message = &value["messages"][0];
        assert_eq!(message["from"], "263778177125");
        assert_eq!(message["from_user_id"], user_id.as_str());
        assert_eq!(message["timestamp"], "1750000000");
        assert_eq!(message["text"]["body"], "hi");
        assert_eq!(message["context"]["id"], "wamid.Y");
    }

    fn hidden_username_user() -> WhatsAppUser {
        WhatsAppUser {
            username: Some("ada.l".into()),
            phone_hidden: true,
            ..WhatsAppUser::with_phone("AC1", "447700900123")
        }
    }

    fn status_value(status: &str, notify: &WhatsAppNotify) -> Value {
        failed_status_value(status, notify, UNDELIVERABLE)
    }

    fn failed_status_value(status: &str, notify: &WhatsAppNotify, code: u32) -> Value {
        let step = Step::failing(crate::core::messaging::MessageStatus::Failed, 0, code);
        let body = message_status(status, "wamid.X", "447700900123", notify, &step, 1_000);
        let parsed: Value = serde_json::from_str(&body).unwrap();
        parsed["entry"][0]["changes"][0]["value"].clone()
    }

    fn notify(
        recipient: Option<WhatsAppUser>,
        addressed_user_id: Option<String>,
    ) -> WhatsAppNotify {
        WhatsAppNotify {
            phone_number_id: "1".into(),
            display_phone_number: "15550001111".into(),
            business_account_id: "2".into(),
            callback_data: None,
            category: "service".into(),
            conversation_id: "c".into(),
            recipient,
            addressed_user_id,
        }
    }

    #[test]
    fn a_user_who_hides_their_phone_is_named_by_bsuid_and_username_only() {
        let user = hidden_username_user();
        let body = inbound_message(&WhatsAppIncoming {
            identity: WhatsAppIdentity::generate(),
            user: user.clone(),
            profile_name: "Ada".into(),
            message_id: "wamid.X".into(),
            at: 0,
            message_type: "text".into(),
            content: r#"{"body":"hi"}"#.into(),
            context_id: None,
        });
        let parsed: Value = serde_json::from_str(&body).unwrap();
        let value = &parsed["entry"][0]["changes"][0]["value"];
        assert_eq!(
            value["contacts"],
            json!([{ "profile": { "name": "Ada", "username": "ada.l" }, "user_id": user.user_id }])
        );
        let message = value["messages"][0].as_object().unwrap();
        assert!(!message.contains_key("from"));
        assert_eq!(message["from_user_id"], user.user_id.as_str());
    }

    #[test]
    fn statuses_of_a_phone_send_carry_the_number_the_bsuid_and_a_contacts_block() {
        let user = WhatsAppUser {
            username: Some("ada.l".into()),
            ..WhatsAppUser::with_phone("AC1", "447700900123")
        };
        let sent = status_value("sent", &notify(Some(user.clone()), None));
        assert_eq!(sent["statuses"][0]["recipient_id"], "447700900123");
        assert_eq!(
            sent["statuses"][0]["recipient_user_id"],
            user.user_id.as_str()
        );
        assert_eq!(
            sent["contacts"],
            json!([{ "wa_id": "447700900123", "user_id": user.user_id }]),
            "no profile on a sent status"
        );
        let read = status_value("read", &notify(Some(user.clone()), None));
        assert_eq!(read["contacts"][0]["profile"]["username"], "ada.l");

        let undeliverable = status_value("failed", &notify(Some(user.clone()), None));
        let status = undeliverable["statuses"][0].as_object().unwrap();
        assert_eq!(status["recipient_id"], "447700900123");
        assert!(!status.contains_key("recipient_user_id"), "sent to a phone");
        assert_eq!(
            undeliverable["contacts"],
            json!([{ "wa_id": "447700900123" }]),
            "an undeliverable message names no user"
        );
        let outside_window =
            failed_status_value("failed", &notify(Some(user.clone()), None), 131047);
        assert_eq!(
            outside_window["contacts"],
            json!([{ "wa_id": "447700900123", "user_id": user.user_id }])
        );
    }

    #[test]
    fn statuses_of_a_bsuid_send_to_a_hidden_phone_carry_no_number() {
        let user = hidden_username_user();
        let by_id = Some(user.user_id.clone());
        let delivered = status_value("delivered", &notify(Some(user.clone()), by_id.clone()));
        let status = delivered["statuses"][0].as_object().unwrap();
        assert!(!status.contains_key("recipient_id"));
        assert_eq!(status["recipient_user_id"], user.user_id.as_str());
        assert_eq!(
            delivered["contacts"],
            json!([{ "profile": { "username": "ada.l" }, "user_id": user.user_id }])
        );
        let failed = status_value("failed", &notify(None, Some("US.1".into())));
        let status = failed["statuses"][0].as_object().unwrap();
        assert_eq!(status["recipient_user_id"], "US.1");
        assert!(!status.contains_key("recipient_id"));
        assert_eq!(failed["contacts"], json!([{ "user_id": "US.1" }]));
    }
}
