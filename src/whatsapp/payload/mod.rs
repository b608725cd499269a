//! Parsing and validation of `POST /{version}/{phone-number-id}/messages`, the Cloud API's one
//! send endpoint (reference §2.1–§2.3; Meta's OpenAPI `Message` schema and the per-type message
//! pages). Pure: bytes in, a [`SendRequest`] or Meta's error out.
//!
//! Which code a mistake earns follows what Meta answers:
//! - a required field absent (or an empty string where text is required): 131008,
//!   details `The parameter text['body'] is required.` (Meta's wording for that field);
//! - a limit or format broken by a present value: 131009, details naming the field and the
//!   limit, in Meta's observed words where they are known (`Button title length invalid. Min
//!   length: 1, Max length: 20`, `Total row count exceed max allowed count: 10`, `Row title is
//!   too long. Max length is 24`, `Row description is too long. Max length is 72`, `Invalid
//!   buttons count. Min allowed buttons: 1, Max allowed buttons: 3`);
//! - a wrong JSON type, an unknown enum value or an unknown key: 100, in Graph's words
//!   (`Param type must be one of {AUDIO, …} - got "x".`, `Unexpected key "parameters" on param
//!   "template".`).
//!
//! Lengths are counted in characters, not bytes, as WhatsApp counts them.

mod contacts;
mod fields;
mod interactive;
mod location;
mod mark_read;
mod media;
mod reaction;
mod template;
#[cfg(test)]
mod testing;
mod text;

use serde_json::{Map, Value};

use self::fields::{
    as_object, at_most, check_keys, missing, optional_enum, optional_str, present, required_enum,
    required_str, wrong_type,
};
use self::media::MediaRef;
use super::error::GraphError;
use crate::core::whatsapp::{TemplateUse, WhatsAppSend, is_business_scoped_user_id};

/// What a `POST …/messages` body asks for. One value lives for one request and is matched at
/// once, never stored in bulk, so the size gap between the variants costs nothing.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum SendRequest {
    Message(MessageSend),
    /// `{"status":"read","message_id":…}`: mark an inbound message read, optionally showing a
    /// typing indicator. Answered with `{"success": true}`, not a message envelope.
    MarkRead {
        message_id: String,
        typing_indicator: bool,
    },
}

/// A message the app asked WhatsApp to send, validated: the core's send, and the one thing
/// Meta's answer echoes that the core has no use for.
#[derive(Debug, Clone)]
pub struct MessageSend {
    /// `to` (or `recipient`) exactly as given; echoed as `contacts[0].input`. The send's `to`
    /// is the `wa_id`: digits only, or the group id for `recipient_type: group`; or, for a send
    /// to a BSUID, empty with the BSUID in `recipient_user_id`.
    pub to_input: String,
    pub send: WhatsAppSend,
}

const MESSAGE_TYPES: &[&str] = &[
    "audio",
    "contacts",
    "document",
    "image",
    "interactive",
    "location",
    "reaction",
    "sticker",
    "template",
    "text",
    "video",
];

/// Every top-level key the endpoint knows besides the type objects ([`MESSAGE_TYPES`]).
/// `preview_url` sat at the top level in Meta's early
/// Cloud API samples and is still accepted (and ignored) there. Type objects other than the
/// one `type` names are ignored too: no capture shows Graph rejecting them, and a mock that
/// refuses what Meta takes is worse than one that takes a little more.
const TOP_LEVEL_KEYS: &[&str] = &[
    "messaging_product",
    "recipient_type",
    "to",
    "recipient",
    "type",
    "context",
    "biz_opaque_callback_data",
    "preview_url",
    "status",
    "message_id",
    "typing_indicator",
];

const PHONE_DIGITS_MAX: usize = 15;
const BIZ_OPAQUE_MAX: usize = 512;

/// Parses and validates a `POST /{version}/{phone-number-id}/messages` body.
pub fn parse_send(body: &[u8]) -> Result<SendRequest, GraphError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        GraphError::invalid_parameter(format!("The request body is not valid JSON: {e}."))
    })?;
    let Value::Object(root) = value else {
        return Err(GraphError::invalid_parameter(
            "The request body must be a JSON object.",
        ));
    };
    parse_send_params(root)
}

/// Validates a send's parameters, however the body encoded them (see `whatsapp::params`).
pub fn parse_send_params(root: Map<String, Value>) -> Result<SendRequest, GraphError> {
    required_enum(
        &root,
        "messaging_product",
        "messaging_product",
        &["whatsapp"],
    )?;
    if root.contains_key("status") {
        unexpected_top_level_key(&root)?;
        return mark_read::parse(&root);
    }
    // The type is judged before stray keys, so `{"type":"poll","poll":{…}}` is told about the
    // type rather than about the `poll` key. Meta sends text when `type` is left out.
    let message_type =
        optional_enum(&root, "type", "type", MESSAGE_TYPES)?.unwrap_or_else(|| "text".into());
    unexpected_top_level_key(&root)?;
    message(&root, message_type).map(SendRequest::Message)
}

fn unexpected_top_level_key(root: &Map<String, Value>) -> Result<(), GraphError> {
    match root
        .keys()
        .find(|k| !TOP_LEVEL_KEYS.contains(&k.as_str()) && !MESSAGE_TYPES.contains(&k.as_str()))
    {
        Some(key) => Err(GraphError::invalid_parameter(format!(
            "Unexpected key \"{key}\"."
        ))),
        None => Ok(()),
    }
}

/// What the per-type parsers find besides the content itself.
#[derive(Default)]
struct Found {
    /// The template a `type: template` message names, and how many body parameters it fills
    /// (the core checks it against the registry: 132001, 132000).
    template: Option<TemplateUse>,
    /// The message's media, or its header's (interactive or template).
    media: Option<MediaRef>,
    /// Every human-visible text of the message, for search and assertions.
    lines: Vec<String>,
}

impl Found {
    fn line(&mut self, text: &str) {
        if !text.is_empty() {
            self.lines.push(text.to_owned());
        }
    }

    /// The first media wins: a message carries at most one.
    fn media(&mut self, media: MediaRef) {
        self.media.get_or_insert(media);
    }
}

fn message(root: &Map<String, Value>, message_type: String) -> Result<MessageSend, GraphError> {
    let recipient_type = optional_enum(
        root,
        "recipient_type",
        "recipient_type",
        &["individual", "group"],
    )?;
    let (to_input, wa_id, recipient_user_id) = addressee(root, recipient_type.as_deref())?;
    let context_id = match present(root, "context") {
        None => None,
        Some(value) => {
            let context = as_object(value, "context")?;
            check_keys(context, &["message_id"], "context")?;
            Some(required_str(context, "message_id", "context['message_id']")?.to_owned())
        }
    };
    let callback_data = optional_str(root, "biz_opaque_callback_data", "biz_opaque_callback_data")?;
    if let Some(data) = callback_data {
        at_most(data, BIZ_OPAQUE_MAX, "biz_opaque_callback_data")?;
    }

    let mut found = Found::default();
    let content = match message_type.as_str() {
        "text" => text::parse(root, &mut found)?,
        "image" | "video" | "document" | "audio" | "sticker" => {
            media::parse(root, &message_type, &mut found)?
        }
        "location" => location::parse(root, &mut found)?,
        "contacts" => contacts::parse(root, &mut found)?,
        "reaction" => reaction::parse(root, &mut found)?,
        "interactive" => interactive::parse(root, &mut found)?,
        "template" => template::parse(root, &mut found)?,
        other => unreachable!("type {other:?} passed the check against MESSAGE_TYPES"),
    };

    Ok(MessageSend {
        to_input,
        send: WhatsAppSend {
            to: wa_id,
            recipient_user_id,
            message_type,
            content: content.to_string(),
            context_id,
            callback_data: callback_data.map(str::to_owned),
            template: found.template,
            media: found.media.and_then(MediaRef::into_upload),
            summary: found.lines.join("\n"),
        },
    })
}

/// Who a send is for: `to` (a phone number, or a group id) as [`recipient`] reads it, or else
/// `recipient`, a BSUID. Meta's rules (its business-scoped user ids page, as dualhook.com's
/// "BSUID API and sending changes" summarises it): `to` is for phone numbers, `recipient` for
/// BSUIDs, and `to` wins when both are given. A BSUID put in `to` is not an error on Graph: it
/// is read as a phone number made of its digits, answered 200 and never delivered (observed by
/// chatwoot, PR #15150, 2026) — here it is likewise read as that number.
fn addressee(
    root: &Map<String, Value>,
    recipient_type: Option<&str>,
) -> Result<(String, String, Option<String>), GraphError> {
    let group = recipient_type == Some("group");
    if group || present(root, "to").is_some() {
        let (to_input, wa_id) = recipient(root, group)?;
        return Ok((to_input, wa_id, None));
    }
    let user_id = match present(root, "recipient") {
        None => return Err(missing("to")),
        Some(Value::String(s)) if s.trim().is_empty() => return Err(missing("to")),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(wrong_type("recipient", "a string")),
    };
    if !is_business_scoped_user_id(user_id.trim()) {
        return Err(GraphError::invalid_parameter(format!(
            "Param recipient must be a business-scoped user ID (a country code, a period and \
             alphanumerics, such as US.13491208655302741918) - got \"{user_id}\"."
        )));
    }
    Ok((
        user_id.clone(),
        String::new(),
        Some(user_id.trim().to_owned()),
    ))
}

/// `to` as given and the id webhooks will use. A phone number may carry a leading `+` and the
/// usual separators (spaces, dashes, parentheses, dots); what remains must be 1–15 digits
/// (E.164). A group's `to` is its group id, kept as is. Some SDKs send the number as a JSON
/// number, which Graph accepts for a string parameter.
fn recipient(root: &Map<String, Value>, group: bool) -> Result<(String, String), GraphError> {
    let to_input = match present(root, "to") {
        None => return Err(missing("to")),
        Some(Value::String(s)) if s.trim().is_empty() => return Err(missing("to")),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_u64() => n.to_string(),
        Some(_) => return Err(wrong_type("to", "a string")),
    };
    if group {
        let id = to_input.trim().to_owned();
        return Ok((to_input, id));
    }
    let trimmed = to_input.trim();
    if is_business_scoped_user_id(trimmed) {
        // Graph's reading of a BSUID in `to` (see [`addressee`]): the digits after the country.
        let digits: String = trimmed
            .split_once('.')
            .map(|(_, rest)| rest.chars().filter(char::is_ascii_digit).collect())
            .unwrap_or_default();
        return Ok((to_input, digits));
    }
    let unsigned = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let digits: String = unsigned
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let valid = !digits.is_empty()
        && digits.len() <= PHONE_DIGITS_MAX
        && digits.chars().all(|c| c.is_ascii_digit());
    if !valid {
        return Err(GraphError::invalid_parameter(format!(
            "Param to must be a phone number of 1 to {PHONE_DIGITS_MAX} digits, optionally \
             with a leading '+' - got \"{to_input}\"."
        )));
    }
    Ok((to_input, digits))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::whatsapp::payload::testing::{
        content_of, error_of, message_of, parsed_message, send,
    };

    #[test]
    fn text_is_accepted_and_the_recipient_normalised() {
        let MessageSend {
            to_input,
            send: message,
        } = parsed_message(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+1 (650) 555-1234",
            "type": "text",
            "context": {"message_id": "wamid.quoted"},
            "biz_opaque_callback_data": "tracker-7",
            "text": {"body": "Hello", "preview_url": false},
        }));
        assert_eq!(to_input, "+1 (650) 555-1234");
        assert_eq!(message.to, "16505551234");
        assert_eq!(message.message_type, "text");
        assert_eq!(
            content_of(&message),
            json!({"body": "Hello", "preview_url": false})
        );
        assert_eq!(message.context_id.as_deref(), Some("wamid.quoted"));
        assert_eq!(message.callback_data.as_deref(), Some("tracker-7"));
        assert_eq!(message.summary, "Hello");
        assert_eq!(message.media, None);
        assert_eq!(message.template, None);
    }

    #[test]
    fn recipient_is_a_bsuid_and_to_wins_when_both_are_given() {
        let mut body = send_without_to();
        body["recipient"] = json!("US.13491208655302741918");
        let MessageSend { to_input, send } = parsed_message(body.clone());
        assert_eq!(to_input, "US.13491208655302741918");
        assert_eq!(send.to, "");
        assert_eq!(
            send.recipient_user_id.as_deref(),
            Some("US.13491208655302741918")
        );

        body["to"] = json!("+16505551234");
        let MessageSend { to_input, send } = parsed_message(body);
        assert_eq!(
            (to_input.as_str(), send.to.as_str()),
            ("+16505551234", "16505551234")
        );
        assert_eq!(send.recipient_user_id, None, "to takes precedence");

        let mut body = send_without_to();
        body["recipient"] = json!(16505551234_u64);
        let error = error_of(body);
        assert_eq!(
            (error.code, error.details.as_str()),
            (100, "Param recipient must be a string.")
        );
    }

    #[test]
    fn a_bsuid_in_to_is_read_as_graph_reads_it_the_digits_after_the_country() {
        let mut body = send("text", json!({"body": "x"}));
        body["to"] = json!("US.13491208655302741918");
        let MessageSend { to_input, send } = parsed_message(body);
        assert_eq!(to_input, "US.13491208655302741918");
        assert_eq!(send.to, "13491208655302741918");
        assert_eq!(send.recipient_user_id, None);
    }

    fn send_without_to() -> Value {
        let mut body = send("text", json!({"body": "x"}));
        body.as_object_mut().unwrap().remove("to");
        body
    }

    #[test]
    fn type_defaults_to_text() {
        let message = message_of(json!({
            "messaging_product": "whatsapp", "to": "16505551234", "text": {"body": "hi"}
        }));
        assert_eq!(message.message_type, "text");
    }

    #[test]
    fn bad_json_and_non_objects_are_100() {
        for body in [&b"{not json"[..], b"", b"[1,2]", b"\"text\""] {
            let error = parse_send(body).expect_err("rejected");
            assert_eq!(error.code, 100);
            assert!(!error.details.is_empty());
        }
    }

    #[test]
    fn messaging_product_is_required_and_must_be_whatsapp() {
        let error = error_of(json!({"to": "1", "text": {"body": "x"}}));
        assert_eq!(error.code, 131008);
        assert_eq!(
            error.details,
            "The parameter messaging_product is required."
        );

        let error = error_of(json!({"messaging_product": "sms", "to": "1", "text": {"body": "x"}}));
        assert_eq!(error.code, 100);
        assert_eq!(
            error.details,
            "Param messaging_product must be one of {WHATSAPP} - got \"sms\"."
        );
    }

    #[test]
    fn recipient_rules() {
        let error = error_of(json!({"messaging_product": "whatsapp", "text": {"body": "x"}}));
        assert_eq!(
            (error.code, error.details.as_str()),
            (131008, "The parameter to is required.")
        );
        for bad in ["abc", "+", "1234567890123456", "12+34"] {
            let mut body = send("text", json!({"body": "x"}));
            body["to"] = json!(bad);
            assert_eq!(error_of(body).code, 100, "{bad}");
        }
        let mut body = send("text", json!({"body": "x"}));
        body["to"] = json!(16505551234_u64);
        assert_eq!(message_of(body).to, "16505551234");

        let mut body = send("text", json!({"body": "x"}));
        body["recipient_type"] = json!("group");
        body["to"] = json!("Y2FwaV9ncm91cDox");
        assert_eq!(message_of(body).to, "Y2FwaV9ncm91cDox");

        let mut body = send("text", json!({"body": "x"}));
        body["recipient_type"] = json!("broadcast");
        assert_eq!(error_of(body).code, 100);
    }

    #[test]
    fn unknown_type_and_unknown_keys_are_100() {
        let error = error_of(send("poll", json!({})));
        assert_eq!(error.code, 100);
        assert!(
            error
                .details
                .starts_with("Param type must be one of {AUDIO, CONTACTS")
        );

        let mut body = send("text", json!({"body": "x"}));
        body["priority"] = json!("high");
        let error = error_of(body);
        assert_eq!(
            (error.code, error.details.as_str()),
            (100, "Unexpected key \"priority\".")
        );

        let error = error_of(send(
            "template",
            json!({"name": "hello_world", "language": {"code": "en_US"}, "parameters": []}),
        ));
        assert_eq!(error.code, 100);
        assert_eq!(
            error.details,
            "Unexpected key \"parameters\" on param \"template\"."
        );
    }

    #[test]
    fn biz_opaque_callback_data_is_bounded() {
        let mut body = send("text", json!({"body": "x"}));
        body["biz_opaque_callback_data"] = json!("d".repeat(513));
        assert_eq!(error_of(body).code, 131009);
        let mut body = send("text", json!({"body": "x"}));
        body["context"] = json!({});
        assert_eq!(error_of(body).code, 131008);
    }
}
