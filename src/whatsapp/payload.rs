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

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::error::GraphError;
use crate::core::text;

/// What a `POST …/messages` body asks for. One value lives for one request and is matched at
/// once, never stored in bulk, so the size gap between the variants costs nothing.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum SendRequest {
    Message(OutboundMessage),
    /// `{"status":"read","message_id":…}`: mark an inbound message read, optionally showing a
    /// typing indicator. Answered with `{"success": true}`, not a message envelope.
    MarkRead {
        message_id: String,
        typing_indicator: bool,
    },
}

/// A message the app asked WhatsApp to send, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    /// `to` exactly as given; echoed as `contacts[0].input`.
    pub to_input: String,
    /// Digits only (or the group id for `recipient_type: group`); what webhooks call
    /// `wa_id` / `recipient_id`.
    pub wa_id: String,
    /// Lower-case: text, image, audio, video, document, sticker, location, contacts, reaction,
    /// interactive, template.
    pub message_type: String,
    /// The type's object as the app sent it (for `contacts`, the array).
    pub content: Value,
    /// `interactive.type` (button, list, cta_url, flow, …), lower-case.
    pub interactive_type: Option<String>,
    /// `context.message_id`: the message this one quotes.
    pub context_message_id: Option<String>,
    /// Echoed in this message's status webhooks.
    pub biz_opaque_callback_data: Option<String>,
    pub template: Option<TemplateUse>,
    /// The message's media, or its header's (interactive or template).
    pub media: Option<MediaRef>,
    /// Every human-visible text of the message, newline-joined, for search and assertions.
    pub summary: String,
}

/// The template a `type: template` message names, and how many body parameters it fills (the
/// core checks it against the registry: 132001, 132000).
pub use crate::core::whatsapp::TemplateUse;

/// Media is sent either as an uploaded media id or as a public http(s) link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaRef {
    Id(String),
    Link(String),
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
    "type",
    "context",
    "biz_opaque_callback_data",
    "preview_url",
    "status",
    "message_id",
    "typing_indicator",
];

/// The spec's `InteractiveObject.type` enum plus the CTA-URL page's `cta_url`. Only button,
/// list, cta_url and flow are checked in depth; the commerce and calling variants are accepted
/// as sent.
const INTERACTIVE_TYPES: &[&str] = &[
    "button",
    "call_permission_request",
    "catalog_message",
    "cta_url",
    "flow",
    "list",
    "location_request_message",
    "product",
    "product_list",
];

const TEMPLATE_COMPONENT_TYPES: &[&str] = &[
    "body",
    "button",
    "carousel",
    "footer",
    "header",
    "limited_time_offer",
];

const PHONE_DIGITS_MAX: usize = 15;
const BIZ_OPAQUE_MAX: usize = 512;
const TEXT_BODY_MAX: usize = 4096;
const CAPTION_MAX: usize = 1024;
const INTERACTIVE_BODY_MAX: usize = 1024;
const HEADER_TEXT_MAX: usize = 60;
const FOOTER_TEXT_MAX: usize = 60;
const BUTTONS_MAX: usize = 3;
const BUTTON_ID_MAX: usize = 256;
const BUTTON_TITLE_MAX: usize = 20;
const LIST_BUTTON_MAX: usize = 20;
const SECTIONS_MAX: usize = 10;
/// Across all sections together, not per section (Meta's list-messages page; "Total row count
/// exceed max allowed count: 10" is what Meta answers).
const ROWS_MAX: usize = 10;
const SECTION_TITLE_MAX: usize = 24;
const ROW_ID_MAX: usize = 200;
const ROW_TITLE_MAX: usize = 24;
const ROW_DESCRIPTION_MAX: usize = 72;
const CTA_DISPLAY_TEXT_MAX: usize = 20;
const FLOW_CTA_MAX: usize = 30;

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
    required_enum(
        &root,
        "messaging_product",
        "messaging_product",
        &["whatsapp"],
    )?;
    if root.contains_key("status") {
        unexpected_top_level_key(&root)?;
        return mark_read(&root);
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

fn mark_read(root: &Map<String, Value>) -> Result<SendRequest, GraphError> {
    required_enum(root, "status", "status", &["read"])?;
    let message_id = required_str(root, "message_id", "message_id")?.to_owned();
    let typing_indicator = match present(root, "typing_indicator") {
        None => false,
        Some(value) => {
            let indicator = as_object(value, "typing_indicator")?;
            check_keys(indicator, &["type"], "typing_indicator")?;
            required_enum(indicator, "type", "typing_indicator['type']", &["text"])?;
            true
        }
    };
    Ok(SendRequest::MarkRead {
        message_id,
        typing_indicator,
    })
}

/// What the per-type parsers find besides the content itself.
#[derive(Default)]
struct Found {
    interactive_type: Option<String>,
    template: Option<TemplateUse>,
    media: Option<MediaRef>,
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

fn message(root: &Map<String, Value>, message_type: String) -> Result<OutboundMessage, GraphError> {
    let recipient_type = optional_enum(
        root,
        "recipient_type",
        "recipient_type",
        &["individual", "group"],
    )?;
    let (to_input, wa_id) = recipient(root, recipient_type.as_deref() == Some("group"))?;
    let context_message_id = match present(root, "context") {
        None => None,
        Some(value) => {
            let context = as_object(value, "context")?;
            check_keys(context, &["message_id"], "context")?;
            Some(required_str(context, "message_id", "context['message_id']")?.to_owned())
        }
    };
    let biz_opaque_callback_data =
        optional_str(root, "biz_opaque_callback_data", "biz_opaque_callback_data")?;
    if let Some(data) = biz_opaque_callback_data {
        at_most(data, BIZ_OPAQUE_MAX, "biz_opaque_callback_data")?;
    }

    let mut found = Found::default();
    let content = match message_type.as_str() {
        "text" => text(root, &mut found)?,
        "image" | "video" | "document" | "audio" | "sticker" => {
            let value = required(root, &message_type, &message_type)?;
            let media = media(value, &message_type, &message_type, &mut found)?;
            found.media(media);
            value.clone()
        }
        "location" => location(root, &mut found)?,
        "contacts" => contacts(root, &mut found)?,
        "reaction" => reaction(root, &mut found)?,
        "interactive" => interactive(root, &mut found)?,
        "template" => template(root, &mut found)?,
        other => unreachable!("type {other:?} passed the check against MESSAGE_TYPES"),
    };

    Ok(OutboundMessage {
        to_input,
        wa_id,
        message_type,
        content,
        interactive_type: found.interactive_type,
        context_message_id,
        biz_opaque_callback_data: biz_opaque_callback_data.map(str::to_owned),
        template: found.template,
        media: found.media,
        summary: found.lines.join("\n"),
    })
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

fn text(root: &Map<String, Value>, found: &mut Found) -> Result<Value, GraphError> {
    // A missing `text` object is reported as its missing body, as Meta does.
    let Some(value) = present(root, "text") else {
        return Err(missing("text['body']"));
    };
    let text = as_object(value, "text")?;
    check_keys(text, &["body", "preview_url"], "text")?;
    let body = required_str(text, "body", "text['body']")?;
    at_most(body, TEXT_BODY_MAX, "text['body']")?;
    optional_bool(text, "preview_url", "text['preview_url']")?;
    found.line(body);
    Ok(value.clone())
}

/// A media object (`image`, a header's `document`, a template parameter's `video`, …): exactly
/// one of `id` and `link`; `caption` only for image, video and document messages; `filename`
/// only for documents. `kind` says which media it is, `path` where it sits.
fn media(value: &Value, kind: &str, path: &str, found: &mut Found) -> Result<MediaRef, GraphError> {
    let object = as_object(value, path)?;
    // A caption belongs to the message, so headers (whose path differs from the kind) have none.
    let top_level = path == kind;
    let mut allowed = vec!["id", "link", "provider"];
    if top_level && matches!(kind, "image" | "video" | "document") {
        allowed.push("caption");
    }
    if kind == "document" {
        allowed.push("filename");
    }
    if kind == "audio" {
        allowed.push("voice");
    }
    check_keys(object, &allowed, path)?;

    let media = media_source(object, path)?;
    if let Some(caption) = optional_str(object, "caption", &key(path, "caption"))? {
        at_most(caption, CAPTION_MAX, &key(path, "caption"))?;
        found.line(caption);
    }
    if let Some(filename) = optional_str(object, "filename", &key(path, "filename"))? {
        found.line(filename);
    }
    Ok(media)
}

fn location(root: &Map<String, Value>, found: &mut Found) -> Result<Value, GraphError> {
    let value = required(root, "location", "location")?;
    let location = as_object(value, "location")?;
    check_keys(
        location,
        &["latitude", "longitude", "name", "address"],
        "location",
    )?;
    coordinate(location, "latitude", 90.0)?;
    coordinate(location, "longitude", 180.0)?;
    for field in ["name", "address"] {
        if let Some(text) = optional_str(location, field, &key("location", field))? {
            found.line(text);
        }
    }
    Ok(value.clone())
}

/// A latitude or longitude: a number (or a numeric string, which Graph coerces) within ±`limit`.
fn coordinate(location: &Map<String, Value>, field: &str, limit: f64) -> Result<(), GraphError> {
    let path = key("location", field);
    let number = match required(location, field, &path)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|n| n.is_finite())
    .ok_or_else(|| wrong_type(&path, "a number"))?;
    if !(-limit..=limit).contains(&number) {
        return Err(GraphError::invalid_value(format!(
            "Param {path} must be between -{limit} and {limit}."
        )));
    }
    Ok(())
}

fn contacts(root: &Map<String, Value>, found: &mut Found) -> Result<Value, GraphError> {
    let value = required(root, "contacts", "contacts")?;
    let contacts = as_array(value, "contacts")?;
    if contacts.is_empty() {
        return Err(GraphError::invalid_value(
            "Param contacts must contain at least 1 contact.",
        ));
    }
    for (i, contact) in contacts.iter().enumerate() {
        let path = index("contacts", i);
        let contact = as_object(contact, &path)?;
        let name_path = key(&path, "name");
        let name = as_object(required(contact, "name", &name_path)?, &name_path)?;
        let formatted = required_str(name, "formatted_name", &key(&name_path, "formatted_name"))?;
        found.line(formatted);
    }
    Ok(value.clone())
}

fn reaction(root: &Map<String, Value>, found: &mut Found) -> Result<Value, GraphError> {
    let value = required(root, "reaction", "reaction")?;
    let reaction = as_object(value, "reaction")?;
    check_keys(reaction, &["message_id", "emoji"], "reaction")?;
    required_str(reaction, "message_id", "reaction['message_id']")?;
    // An empty emoji removes the reaction, so only its absence is an error.
    let emoji = required_text(reaction, "emoji", "reaction['emoji']")?;
    found.line(emoji);
    Ok(value.clone())
}

fn interactive(root: &Map<String, Value>, found: &mut Found) -> Result<Value, GraphError> {
    let value = required(root, "interactive", "interactive")?;
    let interactive = as_object(value, "interactive")?;
    let kind = required_enum(
        interactive,
        "type",
        "interactive['type']",
        INTERACTIVE_TYPES,
    )?;
    found.interactive_type = Some(kind.clone());
    let checked = matches!(kind.as_str(), "button" | "list" | "cta_url" | "flow");

    if let Some(header) = present(interactive, "header") {
        interactive_header(header, &kind, found)?;
    }
    match present(interactive, "body") {
        None if checked => return Err(missing("interactive['body']['text']")),
        None => {}
        Some(body) => {
            let body = as_object(body, "interactive['body']")?;
            let text = required_str(body, "text", "interactive['body']['text']")?;
            at_most(text, INTERACTIVE_BODY_MAX, "interactive['body']['text']")?;
            found.line(text);
        }
    }
    if let Some(footer) = present(interactive, "footer") {
        let footer = as_object(footer, "interactive['footer']")?;
        let text = required_str(footer, "text", "interactive['footer']['text']")?;
        at_most(text, FOOTER_TEXT_MAX, "interactive['footer']['text']")?;
        found.line(text);
    }
    if checked {
        let action_path = "interactive['action']";
        let action = as_object(required(interactive, "action", action_path)?, action_path)?;
        match kind.as_str() {
            "button" => reply_buttons(action, found)?,
            "list" => list(action, found)?,
            "cta_url" => cta_url(action, found)?,
            _ => flow(action, found)?,
        }
    }
    Ok(value.clone())
}

/// `header: {type: text|image|video|document, text | image | video | document}`. A list
/// message's header may only be text (Meta's list-messages page).
fn interactive_header(value: &Value, kind: &str, found: &mut Found) -> Result<(), GraphError> {
    let path = "interactive['header']";
    let header = as_object(value, path)?;
    check_keys(
        header,
        &["type", "text", "image", "video", "document"],
        path,
    )?;
    let header_type = required_enum(
        header,
        "type",
        "interactive['header']['type']",
        &["text", "image", "video", "document"],
    )?;
    if kind == "list" && header_type != "text" {
        return Err(GraphError::invalid_value(
            "Param interactive['header']['type'] must be text for a list message.",
        ));
    }
    if header_type == "text" {
        let text = required_str(header, "text", "interactive['header']['text']")?;
        at_most(text, HEADER_TEXT_MAX, "interactive['header']['text']")?;
        found.line(text);
    } else {
        let media_path = key(path, &header_type);
        let media_value = required(header, &header_type, &media_path)?;
        let media = media(media_value, &header_type, &media_path, found)?;
        found.media(media);
    }
    Ok(())
}

fn reply_buttons(action: &Map<String, Value>, found: &mut Found) -> Result<(), GraphError> {
    let path = "interactive['action']['buttons']";
    let buttons = as_array(required(action, "buttons", path)?, path)?;
    if buttons.is_empty() || buttons.len() > BUTTONS_MAX {
        return Err(GraphError::invalid_value(format!(
            "Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: {BUTTONS_MAX}"
        )));
    }
    let mut ids = HashSet::new();
    for (i, button) in buttons.iter().enumerate() {
        let button_path = index(path, i);
        let button = as_object(button, &button_path)?;
        required_enum(button, "type", &key(&button_path, "type"), &["reply"])?;
        let reply_path = key(&button_path, "reply");
        let reply = as_object(required(button, "reply", &reply_path)?, &reply_path)?;
        let id = required_text(reply, "id", &key(&reply_path, "id"))?;
        length_between(id, BUTTON_ID_MAX, "Button id")?;
        let title = required_text(reply, "title", &key(&reply_path, "title"))?;
        length_between(title, BUTTON_TITLE_MAX, "Button title")?;
        if !ids.insert(id) {
            return Err(GraphError::invalid_value(format!(
                "Duplicate button id \"{id}\": button ids must be unique."
            )));
        }
        found.line(title);
    }
    Ok(())
}

fn list(action: &Map<String, Value>, found: &mut Found) -> Result<(), GraphError> {
    let label = required_text(action, "button", "interactive['action']['button']")?;
    length_between(label, LIST_BUTTON_MAX, "Button label")?;
    found.line(label);

    let path = "interactive['action']['sections']";
    let sections = as_array(required(action, "sections", path)?, path)?;
    if sections.is_empty() || sections.len() > SECTIONS_MAX {
        return Err(GraphError::invalid_value(format!(
            "Invalid sections count. Min allowed sections: 1, Max allowed sections: \
             {SECTIONS_MAX}"
        )));
    }
    // Meta checks the total before looking at any row.
    let total_rows: usize = sections
        .iter()
        .filter_map(|s| s.get("rows").and_then(Value::as_array))
        .map(Vec::len)
        .sum();
    if total_rows > ROWS_MAX {
        return Err(GraphError::invalid_value(format!(
            "Total row count exceed max allowed count: {ROWS_MAX}"
        )));
    }

    let mut ids = HashSet::new();
    for (i, section) in sections.iter().enumerate() {
        let section_path = index(path, i);
        let section = as_object(section, &section_path)?;
        let title_path = key(&section_path, "title");
        let title = if sections.len() > 1 {
            Some(required_str(section, "title", &title_path)?)
        } else {
            optional_str(section, "title", &title_path)?
        };
        if let Some(title) = title {
            too_long(title, SECTION_TITLE_MAX, "Section title")?;
            found.line(title);
        }
        let rows_path = key(&section_path, "rows");
        let rows = as_array(required(section, "rows", &rows_path)?, &rows_path)?;
        if rows.is_empty() {
            return Err(GraphError::invalid_value(format!(
                "Param {rows_path} must contain at least 1 row."
            )));
        }
        for (j, row) in rows.iter().enumerate() {
            let row_path = index(&rows_path, j);
            let row = as_object(row, &row_path)?;
            let id = required_str(row, "id", &key(&row_path, "id"))?;
            too_long(id, ROW_ID_MAX, "Row id")?;
            if !ids.insert(id) {
                return Err(GraphError::invalid_value(format!(
                    "Duplicate row id \"{id}\": row ids must be unique across all sections."
                )));
            }
            let title = required_str(row, "title", &key(&row_path, "title"))?;
            too_long(title, ROW_TITLE_MAX, "Row title")?;
            found.line(title);
            if let Some(description) =
                optional_str(row, "description", &key(&row_path, "description"))?
            {
                too_long(description, ROW_DESCRIPTION_MAX, "Row description")?;
                found.line(description);
            }
        }
    }
    Ok(())
}

/// A list's field over its limit, in Meta's words: `Row title is too long. Max length is 24`.
fn too_long(text: &str, max: usize, what: &str) -> Result<(), GraphError> {
    if text.chars().count() > max {
        return Err(GraphError::invalid_value(format!(
            "{what} is too long. Max length is {max}"
        )));
    }
    Ok(())
}

/// `action: {name: "cta_url", parameters: {display_text (≤20), url}}` (Meta's CTA-URL page).
fn cta_url(action: &Map<String, Value>, found: &mut Found) -> Result<(), GraphError> {
    required_enum(
        action,
        "name",
        "interactive['action']['name']",
        &["cta_url"],
    )?;
    let path = "interactive['action']['parameters']";
    let parameters = as_object(required(action, "parameters", path)?, path)?;
    let display_text = required_str(parameters, "display_text", &key(path, "display_text"))?;
    at_most(
        display_text,
        CTA_DISPLAY_TEXT_MAX,
        &key(path, "display_text"),
    )?;
    let url = required_str(parameters, "url", &key(path, "url"))?;
    http_url(url, &key(path, "url"))?;
    found.line(display_text);
    found.line(url);
    Ok(())
}

/// `action: {name: "flow", parameters: {flow_message_version: "3", flow_id | flow_name,
/// flow_cta (≤30), flow_token?, mode?, flow_action?, flow_action_payload?}}` (reference §2.2;
/// Meta's flow-message page: a `navigate` action needs a payload naming the first screen).
fn flow(action: &Map<String, Value>, found: &mut Found) -> Result<(), GraphError> {
    required_enum(action, "name", "interactive['action']['name']", &["flow"])?;
    let path = "interactive['action']['parameters']";
    let parameters = as_object(required(action, "parameters", path)?, path)?;

    let version_path = key(path, "flow_message_version");
    let version = match required(parameters, "flow_message_version", &version_path)? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(wrong_type(&version_path, "a string")),
    };
    if version != "3" {
        return Err(GraphError::invalid_value(format!(
            "Param {version_path} must be \"3\" - got \"{version}\"."
        )));
    }

    let flow_id = match present(parameters, "flow_id") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err(wrong_type(&key(path, "flow_id"), "a non-empty string")),
    };
    let flow_name = optional_str(parameters, "flow_name", &key(path, "flow_name"))?;
    match (flow_id, flow_name) {
        (Some(_), Some(_)) => {
            return Err(GraphError::invalid_parameter(format!(
                "Param {path} must have either flow_id or flow_name, not both."
            )));
        }
        (None, None) => {
            return Err(GraphError::missing_parameter(format!(
                "The parameter {} or {} is required.",
                key(path, "flow_id"),
                key(path, "flow_name")
            )));
        }
        _ => {}
    }

    let cta = required_text(parameters, "flow_cta", &key(path, "flow_cta"))?;
    if cta.is_empty() || cta.chars().count() > FLOW_CTA_MAX {
        return Err(GraphError::invalid_value(format!(
            "Param {} must be 1 to {FLOW_CTA_MAX} characters long.",
            key(path, "flow_cta")
        )));
    }
    optional_str(parameters, "flow_token", &key(path, "flow_token"))?;
    optional_enum(
        parameters,
        "mode",
        &key(path, "mode"),
        &["draft", "published"],
    )?;
    let flow_action = optional_enum(
        parameters,
        "flow_action",
        &key(path, "flow_action"),
        &["navigate", "data_exchange"],
    )?;
    let payload_path = key(path, "flow_action_payload");
    match present(parameters, "flow_action_payload") {
        Some(payload) => {
            let payload = as_object(payload, &payload_path)?;
            if flow_action.as_deref() == Some("navigate") {
                required_str(payload, "screen", &key(&payload_path, "screen"))?;
            }
        }
        None if flow_action.as_deref() == Some("navigate") => {
            return Err(missing(&key(&payload_path, "screen")));
        }
        None => {}
    }
    found.line(cta);
    Ok(())
}

/// `template: {name, language: {code}, components?: [{type, sub_type?, index?, parameters?}]}`.
fn template(root: &Map<String, Value>, found: &mut Found) -> Result<Value, GraphError> {
    let value = required(root, "template", "template")?;
    let template = as_object(value, "template")?;
    // Meta answers a stray key here with `Unexpected key "parameters" on param "template"`.
    check_keys(
        template,
        &["name", "language", "components", "namespace"],
        "template",
    )?;
    let name = required_str(template, "name", "template['name']")?;
    let language_path = "template['language']";
    let language = as_object(
        required(template, "language", language_path)?,
        language_path,
    )?;
    check_keys(language, &["code", "policy"], language_path)?;
    let code = required_str(language, "code", "template['language']['code']")?;
    found.line(name);

    let mut body_parameters: u32 = 0;
    if let Some(components) = present(template, "components") {
        let components = as_array(components, "template['components']")?;
        for (i, component) in components.iter().enumerate() {
            let path = index("template['components']", i);
            let component = as_object(component, &path)?;
            let component_type = required_enum(
                component,
                "type",
                &key(&path, "type"),
                TEMPLATE_COMPONENT_TYPES,
            )?;
            if component_type == "button" {
                // The spec requires both for a button component: which button, and what kind.
                required(component, "sub_type", &key(&path, "sub_type"))?;
                required(component, "index", &key(&path, "index"))?;
            }
            let Some(parameters) = present(component, "parameters") else {
                continue;
            };
            let parameters_path = key(&path, "parameters");
            let parameters = as_array(parameters, &parameters_path)?;
            if component_type == "body" {
                let count = u32::try_from(parameters.len()).unwrap_or(u32::MAX);
                body_parameters = body_parameters.saturating_add(count);
            }
            for (j, parameter) in parameters.iter().enumerate() {
                template_parameter(
                    parameter,
                    &index(&parameters_path, j),
                    component_type == "header",
                    found,
                )?;
            }
        }
    }
    found.template = Some(TemplateUse {
        name: name.to_owned(),
        language: code.to_owned(),
        body_parameters,
    });
    Ok(value.clone())
}

fn template_parameter(
    value: &Value,
    path: &str,
    in_header: bool,
    found: &mut Found,
) -> Result<(), GraphError> {
    let parameter = as_object(value, path)?;
    let parameter_type = required_str(parameter, "type", &key(path, "type"))?.to_ascii_lowercase();
    match parameter_type.as_str() {
        "text" => match present(parameter, "text") {
            Some(Value::String(text)) => found.line(text),
            // Meta's own answer, code 100 rather than 131008 (frappe_whatsapp #43).
            _ => {
                return Err(GraphError::invalid_parameter(
                    "Parameter 'text' is mandatory for component parameter type 'text'",
                ));
            }
        },
        "image" | "video" | "document" => {
            let media_path = key(path, &parameter_type);
            let media_value = required(parameter, &parameter_type, &media_path)?;
            let media = template_media(media_value, &media_path)?;
            if in_header {
                found.media(media);
            }
        }
        _ => {}
    }
    Ok(())
}

/// A template parameter's media: one of `id`/`link`. Extra keys (`filename`, `caption`) are
/// tolerated here because SDKs send them and templates render their own text.
fn template_media(value: &Value, path: &str) -> Result<MediaRef, GraphError> {
    media_source(as_object(value, path)?, path)
}

/// Media is sent by an uploaded `id` or a public http(s) `link`: exactly one of them.
fn media_source(object: &Map<String, Value>, path: &str) -> Result<MediaRef, GraphError> {
    let id = optional_str(object, "id", &key(path, "id"))?;
    let link = optional_str(object, "link", &key(path, "link"))?;
    match (id, link) {
        (Some(_), Some(_)) => Err(GraphError::invalid_parameter(format!(
            "Param {path} must have either id or link, not both."
        ))),
        (Some(id), None) => Ok(MediaRef::Id(id.to_owned())),
        (None, Some(link)) => {
            http_url(link, &key(path, "link"))?;
            Ok(MediaRef::Link(link.to_owned()))
        }
        (None, None) => Err(GraphError::missing_parameter(format!(
            "The parameter {} or {} is required.",
            key(path, "id"),
            key(path, "link")
        ))),
    }
}

// --- Field helpers. Paths are written as Meta writes them: `interactive['action']['buttons'][0]`.

fn key(path: &str, name: &str) -> String {
    format!("{path}['{name}']")
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn missing(path: &str) -> GraphError {
    GraphError::missing_parameter(format!("The parameter {path} is required."))
}

fn wrong_type(path: &str, expected: &str) -> GraphError {
    GraphError::invalid_parameter(format!("Param {path} must be {expected}."))
}

/// The value at `name`, treating JSON `null` as absent.
fn present<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).filter(|v| !v.is_null())
}

fn required<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a Value, GraphError> {
    present(object, name).ok_or_else(|| missing(path))
}

fn as_object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, GraphError> {
    value
        .as_object()
        .ok_or_else(|| wrong_type(path, "a JSON object"))
}

fn as_array<'a>(value: &'a Value, path: &str) -> Result<&'a Vec<Value>, GraphError> {
    value.as_array().ok_or_else(|| wrong_type(path, "an array"))
}

/// A required string that may be empty (an emoji that removes a reaction, a title whose
/// emptiness is a length error rather than an absence).
fn required_text<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a str, GraphError> {
    required(object, name, path)?
        .as_str()
        .ok_or_else(|| wrong_type(path, "a string"))
}

/// A required, non-empty string: Meta reports an empty one as missing.
fn required_str<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a str, GraphError> {
    match required_text(object, name, path)? {
        "" => Err(missing(path)),
        text => Ok(text),
    }
}

fn optional_str<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<&'a str>, GraphError> {
    present(object, name)
        .map(|v| v.as_str().ok_or_else(|| wrong_type(path, "a string")))
        .transpose()
}

/// Accepts JSON booleans and the strings "true"/"false", which Graph coerces.
fn optional_bool(object: &Map<String, Value>, name: &str, path: &str) -> Result<(), GraphError> {
    match present(object, name) {
        None | Some(Value::Bool(_)) => Ok(()),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(()),
        Some(_) => Err(wrong_type(path, "a boolean")),
    }
}

/// An enum value. Graph matches enums case-insensitively (its error lists them upper-case), so
/// the value is returned lower-case.
fn optional_enum(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
    allowed: &[&str],
) -> Result<Option<String>, GraphError> {
    let Some(value) = present(object, name) else {
        return Ok(None);
    };
    let got = value.as_str().ok_or_else(|| wrong_type(path, "a string"))?;
    let lower = got.to_ascii_lowercase();
    if allowed.contains(&lower.as_str()) {
        return Ok(Some(lower));
    }
    let listed: Vec<String> = allowed.iter().map(|a| a.to_ascii_uppercase()).collect();
    Err(GraphError::invalid_parameter(format!(
        "Param {path} must be one of {{{}}} - got \"{got}\".",
        listed.join(", ")
    )))
}

fn required_enum(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
    allowed: &[&str],
) -> Result<String, GraphError> {
    match optional_enum(object, name, path, allowed)? {
        Some(value) => Ok(value),
        None => Err(missing(path)),
    }
}

fn check_keys(object: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<(), GraphError> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unexpected) => Err(GraphError::invalid_parameter(format!(
            "Unexpected key \"{unexpected}\" on param \"{path}\"."
        ))),
        None => Ok(()),
    }
}

fn at_most(text: &str, max: usize, path: &str) -> Result<(), GraphError> {
    if text.chars().count() > max {
        return Err(GraphError::invalid_value(format!(
            "Param {path} must be at most {max} characters long."
        )));
    }
    Ok(())
}

/// Meta's wording for reply-button ids and titles and the list button label:
/// `Button title length invalid. Min length: 1, Max length: 20`.
fn length_between(text: &str, max: usize, what: &str) -> Result<(), GraphError> {
    let length = text.chars().count();
    if length == 0 || length > max {
        return Err(GraphError::invalid_value(format!(
            "{what} length invalid. Min length: 1, Max length: {max}"
        )));
    }
    Ok(())
}

/// WhatsApp fetches links itself, so only http and https with a host are usable.
fn http_url(url: &str, path: &str) -> Result<(), GraphError> {
    if text::is_http_url(url.trim()) {
        Ok(())
    } else {
        Err(GraphError::invalid_value(format!(
            "Param {path} must be an http or https URL."
        )))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(body: Value) -> Result<SendRequest, GraphError> {
        parse_send(body.to_string().as_bytes())
    }

    fn message_of(body: Value) -> OutboundMessage {
        match parse(body) {
            Ok(SendRequest::Message(message)) => message,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    fn error_of(body: Value) -> GraphError {
        match parse(body) {
            Err(error) => error,
            Ok(other) => panic!("expected an error, got {other:?}"),
        }
    }

    /// A valid message of `type` with `object` as its content.
    fn send(message_type: &str, object: Value) -> Value {
        json!({
            "messaging_product": "whatsapp",
            "to": "+16505551234",
            "type": message_type,
            message_type: object,
        })
    }

    fn buttons(count: usize) -> Value {
        let buttons: Vec<Value> = (0..count)
            .map(|i| json!({"type": "reply", "reply": {"id": format!("b{i}"), "title": format!("Option {i}")}}))
            .collect();
        send(
            "interactive",
            json!({"type": "button", "body": {"text": "Pick one"}, "action": {"buttons": buttons}}),
        )
    }

    fn list_with_rows(per_section: &[usize]) -> Value {
        let sections: Vec<Value> = per_section
            .iter()
            .enumerate()
            .map(|(s, &rows)| {
                let rows: Vec<Value> = (0..rows)
                    .map(|r| json!({"id": format!("s{s}r{r}"), "title": format!("Row {r}")}))
                    .collect();
                json!({"title": format!("Section {s}"), "rows": rows})
            })
            .collect();
        send(
            "interactive",
            json!({"type": "list", "body": {"text": "Choose"}, "action": {"button": "Menu", "sections": sections}}),
        )
    }

    #[test]
    fn text_is_accepted_and_the_recipient_normalised() {
        let message = message_of(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+1 (650) 555-1234",
            "type": "text",
            "context": {"message_id": "wamid.quoted"},
            "biz_opaque_callback_data": "tracker-7",
            "text": {"body": "Hello", "preview_url": false},
        }));
        assert_eq!(message.to_input, "+1 (650) 555-1234");
        assert_eq!(message.wa_id, "16505551234");
        assert_eq!(message.message_type, "text");
        assert_eq!(
            message.content,
            json!({"body": "Hello", "preview_url": false})
        );
        assert_eq!(message.context_message_id.as_deref(), Some("wamid.quoted"));
        assert_eq!(
            message.biz_opaque_callback_data.as_deref(),
            Some("tracker-7")
        );
        assert_eq!(message.summary, "Hello");
        assert_eq!(message.media, None);
    }

    #[test]
    fn type_defaults_to_text() {
        let message = message_of(json!({
            "messaging_product": "whatsapp", "to": "16505551234", "text": {"body": "hi"}
        }));
        assert_eq!(message.message_type, "text");
    }

    #[test]
    fn text_body_limit_counts_characters() {
        let ok = message_of(send("text", json!({"body": "é".repeat(TEXT_BODY_MAX)})));
        assert_eq!(ok.summary.chars().count(), TEXT_BODY_MAX);
        let error = error_of(send("text", json!({"body": "a".repeat(TEXT_BODY_MAX + 1)})));
        assert_eq!(error.code, 131009);
        assert!(error.details.contains("text['body']") && error.details.contains("4096"));
    }

    #[test]
    fn missing_or_empty_text_body_is_131008() {
        for body in [
            send("text", json!({})),
            send("text", json!({"body": ""})),
            json!({"messaging_product": "whatsapp", "to": "1", "type": "text"}),
        ] {
            let error = error_of(body);
            assert_eq!(error.code, 131008);
            assert_eq!(error.details, "The parameter text['body'] is required.");
        }
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
        assert_eq!(message_of(body).wa_id, "16505551234");

        let mut body = send("text", json!({"body": "x"}));
        body["recipient_type"] = json!("group");
        body["to"] = json!("Y2FwaV9ncm91cDox");
        assert_eq!(message_of(body).wa_id, "Y2FwaV9ncm91cDox");

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
    fn media_types_are_accepted() {
        let image = message_of(send("image", json!({"id": "1234", "caption": "A cat"})));
        assert_eq!(image.media, Some(MediaRef::Id("1234".into())));
        assert_eq!(image.summary, "A cat");

        let document = message_of(send(
            "document",
            json!({"link": "https://example.com/a.pdf", "caption": "Invoice", "filename": "a.pdf"}),
        ));
        assert_eq!(
            document.media,
            Some(MediaRef::Link("https://example.com/a.pdf".into()))
        );
        assert_eq!(document.summary, "Invoice\na.pdf");

        for kind in ["audio", "video", "sticker"] {
            let message = message_of(send(kind, json!({"link": "http://example.com/x"})));
            assert_eq!(message.message_type, kind);
            assert!(matches!(message.media, Some(MediaRef::Link(_))));
        }
    }

    #[test]
    fn media_needs_exactly_one_source_and_its_own_fields() {
        let error = error_of(send("image", json!({"caption": "x"})));
        assert_eq!(error.code, 131008);
        assert_eq!(
            error.details,
            "The parameter image['id'] or image['link'] is required."
        );
        assert_eq!(
            error_of(send("image", json!({"id": "1", "link": "https://a.b/c"}))).code,
            100
        );
        assert_eq!(
            error_of(send("image", json!({"link": "ftp://a.b/c"}))).code,
            131009
        );
        assert_eq!(
            error_of(send("image", json!({"link": "https://"}))).code,
            131009
        );

        let error = error_of(send("audio", json!({"id": "1", "caption": "no"})));
        assert_eq!(
            (error.code, error.details.as_str()),
            (100, "Unexpected key \"caption\" on param \"audio\".")
        );
        assert_eq!(
            error_of(send("image", json!({"id": "1", "filename": "a.png"}))).code,
            100
        );
        let long_caption = error_of(send(
            "video",
            json!({"id": "1", "caption": "c".repeat(1025)}),
        ));
        assert_eq!(
            (long_caption.code, long_caption.details.as_str()),
            (
                131009,
                "Param video['caption'] must be at most 1024 characters long."
            )
        );
    }

    #[test]
    fn location_is_accepted_within_range() {
        let message = message_of(send(
            "location",
            json!({"latitude": 37.48, "longitude": "-122.14", "name": "HQ", "address": "1 Hacker Way"}),
        ));
        assert_eq!(message.summary, "HQ\n1 Hacker Way");
        let off_earth = error_of(send("location", json!({"latitude": 91, "longitude": 0})));
        assert_eq!(
            (off_earth.code, off_earth.details.as_str()),
            (
                131009,
                "Param location['latitude'] must be between -90 and 90."
            )
        );
        assert_eq!(
            error_of(send("location", json!({"latitude": 0}))).code,
            131008
        );
        assert_eq!(
            error_of(send("location", json!({"latitude": true, "longitude": 0}))).code,
            100
        );
    }

    #[test]
    fn contacts_are_accepted_with_formatted_names() {
        let message = message_of(send(
            "contacts",
            json!([{"name": {"formatted_name": "Ada Lovelace", "first_name": "Ada"}, "phones": [{"phone": "+1 555"}]},
                   {"name": {"formatted_name": "Alan Turing"}}]),
        ));
        assert_eq!(message.summary, "Ada Lovelace\nAlan Turing");
        assert!(message.content.is_array());
        assert_eq!(error_of(send("contacts", json!([]))).code, 131009);
        assert_eq!(error_of(send("contacts", json!({"name": {}}))).code, 100);
        let error = error_of(send("contacts", json!([{"name": {}}])));
        assert_eq!(
            error.details,
            "The parameter contacts[0]['name']['formatted_name'] is required."
        );
    }

    #[test]
    fn reactions_may_remove_with_an_empty_emoji() {
        let message = message_of(send(
            "reaction",
            json!({"message_id": "wamid.x", "emoji": "👍"}),
        ));
        assert_eq!(message.summary, "👍");
        let removal = message_of(send(
            "reaction",
            json!({"message_id": "wamid.x", "emoji": ""}),
        ));
        assert_eq!(removal.summary, "");
        assert_eq!(
            error_of(send("reaction", json!({"emoji": "👍"}))).code,
            131008
        );
    }

    #[test]
    fn three_buttons_pass_and_four_fail() {
        let message = message_of(buttons(3));
        assert_eq!(message.interactive_type.as_deref(), Some("button"));
        assert_eq!(message.summary, "Pick one\nOption 0\nOption 1\nOption 2");
        let error = error_of(buttons(4));
        assert_eq!(error.code, 131009);
        assert_eq!(
            error.details,
            "Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3"
        );
    }

    #[test]
    fn button_title_of_20_characters_passes_and_21_fails() {
        let titled = |title: &str| {
            send(
                "interactive",
                json!({"type": "button", "body": {"text": "?"},
                       "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": title}}]}}),
            )
        };
        message_of(titled(&"ü".repeat(20)));
        let error = error_of(titled(&"a".repeat(21)));
        assert_eq!(error.code, 131009);
        assert_eq!(
            error.details,
            "Button title length invalid. Min length: 1, Max length: 20"
        );
        assert_eq!(error_of(titled("")).code, 131009);
    }

    #[test]
    fn button_ids_are_unique_and_bounded() {
        let body = send(
            "interactive",
            json!({"type": "button", "body": {"text": "?"}, "action": {"buttons": [
                {"type": "reply", "reply": {"id": "same", "title": "A"}},
                {"type": "reply", "reply": {"id": "same", "title": "B"}}]}}),
        );
        assert_eq!(error_of(body).code, 131009);
        let body = send(
            "interactive",
            json!({"type": "button", "body": {"text": "?"}, "action": {"buttons": [
                {"type": "reply", "reply": {"id": "x".repeat(257), "title": "A"}}]}}),
        );
        assert_eq!(error_of(body).code, 131009);
    }

    #[test]
    fn interactive_body_is_required_and_bounded() {
        let error = error_of(send(
            "interactive",
            json!({"type": "button", "action": {"buttons": []}}),
        ));
        assert_eq!(
            (error.code, error.details.as_str()),
            (
                131008,
                "The parameter interactive['body']['text'] is required."
            )
        );
        let long = send(
            "interactive",
            json!({"type": "button", "body": {"text": "b".repeat(1025)},
                   "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}]}}),
        );
        let long = error_of(long);
        assert_eq!(
            (long.code, long.details.as_str()),
            (
                131009,
                "Param interactive['body']['text'] must be at most 1024 characters long."
            )
        );
        assert_eq!(
            error_of(send("interactive", json!({"body": {"text": "x"}}))).code,
            131008
        );
        assert_eq!(
            error_of(send("interactive", json!({"type": "carousel"}))).code,
            100
        );
    }

    #[test]
    fn ten_list_rows_pass_and_eleven_fail_across_sections() {
        let message = message_of(list_with_rows(&[5, 5]));
        assert_eq!(message.interactive_type.as_deref(), Some("list"));
        let error = error_of(list_with_rows(&[6, 5]));
        assert_eq!(error.code, 131009);
        assert_eq!(
            error.details,
            "Total row count exceed max allowed count: 10"
        );
        assert_eq!(error_of(list_with_rows(&[])).code, 131009);
        assert_eq!(error_of(list_with_rows(&[1; 11])).code, 131009);
    }

    #[test]
    fn list_row_limits() {
        let with_row = |row: Value| {
            send(
                "interactive",
                json!({"type": "list", "body": {"text": "?"}, "action": {"button": "Go", "sections": [{"rows": [row]}]}}),
            )
        };
        message_of(with_row(
            json!({"id": "r", "title": "t".repeat(24), "description": "d".repeat(72)}),
        ));
        let error = error_of(with_row(json!({"id": "r", "title": "t".repeat(25)})));
        assert_eq!(
            (error.code, error.details.as_str()),
            (131009, "Row title is too long. Max length is 24")
        );
        let error = error_of(with_row(
            json!({"id": "r", "title": "t", "description": "d".repeat(73)}),
        ));
        assert_eq!(
            error.details,
            "Row description is too long. Max length is 72"
        );
        assert_eq!(
            error_of(with_row(json!({"id": "r".repeat(201), "title": "t"}))).code,
            131009
        );
        assert_eq!(error_of(with_row(json!({"title": "t"}))).code, 131008);
    }

    #[test]
    fn list_sections_need_titles_when_several_and_unique_row_ids() {
        let untitled = send(
            "interactive",
            json!({"type": "list", "body": {"text": "?"}, "action": {"button": "Go", "sections": [
                {"title": "A", "rows": [{"id": "1", "title": "x"}]},
                {"rows": [{"id": "2", "title": "y"}]}]}}),
        );
        let error = error_of(untitled);
        assert_eq!(error.code, 131008);
        assert_eq!(
            error.details,
            "The parameter interactive['action']['sections'][1]['title'] is required."
        );
        let duplicate = send(
            "interactive",
            json!({"type": "list", "body": {"text": "?"}, "action": {"button": "Go", "sections": [
                {"title": "A", "rows": [{"id": "1", "title": "x"}]},
                {"title": "B", "rows": [{"id": "1", "title": "y"}]}]}}),
        );
        assert_eq!(error_of(duplicate).code, 131009);
        let long_label = send(
            "interactive",
            json!({"type": "list", "body": {"text": "?"}, "action": {"button": "b".repeat(21), "sections": [
                {"rows": [{"id": "1", "title": "x"}]}]}}),
        );
        assert_eq!(error_of(long_label).code, 131009);
    }

    #[test]
    fn list_summary_holds_every_visible_text() {
        let message = message_of(send(
            "interactive",
            json!({
                "type": "list",
                "header": {"type": "text", "text": "Your account"},
                "body": {"text": "What would you like to do?"},
                "footer": {"text": "Credex"},
                "action": {"button": "Options", "sections": [
                    {"title": "Money", "rows": [
                        {"id": "pay", "title": "Pay", "description": "Send a payment"},
                        {"id": "balance", "title": "Balance"}]},
                    {"title": "Help", "rows": [{"id": "help", "title": "Talk to us"}]}]}
            }),
        ));
        assert_eq!(
            message.summary,
            "Your account\nWhat would you like to do?\nCredex\nOptions\nMoney\nPay\nSend a payment\nBalance\nHelp\nTalk to us"
        );
        assert!(message.summary.lines().any(|line| line == "Pay"));
    }

    #[test]
    fn list_headers_are_text_only() {
        let body = send(
            "interactive",
            json!({"type": "list", "header": {"type": "image", "image": {"id": "1"}}, "body": {"text": "?"},
                   "action": {"button": "Go", "sections": [{"rows": [{"id": "1", "title": "x"}]}]}}),
        );
        assert_eq!(error_of(body).code, 131009);
    }

    #[test]
    fn cta_url_is_accepted_and_checked() {
        let cta = |display: &str, url: &str| {
            send(
                "interactive",
                json!({"type": "cta_url", "header": {"type": "image", "image": {"link": "https://x.y/i.png"}},
                       "body": {"text": "See your statement"},
                       "action": {"name": "cta_url", "parameters": {"display_text": display, "url": url}}}),
            )
        };
        let message = message_of(cta("Open", "https://example.com/s"));
        assert_eq!(message.interactive_type.as_deref(), Some("cta_url"));
        assert_eq!(
            message.media,
            Some(MediaRef::Link("https://x.y/i.png".into()))
        );
        assert_eq!(
            message.summary,
            "See your statement\nOpen\nhttps://example.com/s"
        );
        let long_label = error_of(cta(&"d".repeat(21), "https://example.com"));
        assert_eq!(long_label.code, 131009);
        assert!(long_label.details.contains("display_text"), "{long_label}");
        let script = error_of(cta("Open", "javascript:alert(1)"));
        assert_eq!(
            (script.code, script.details.as_str()),
            (
                131009,
                "Param interactive['action']['parameters']['url'] must be an http or https URL."
            )
        );
    }

    #[test]
    fn flow_is_accepted_and_checked() {
        let flow = |parameters: Value| {
            send(
                "interactive",
                json!({"type": "flow", "body": {"text": "Sign up"},
                       "action": {"name": "flow", "parameters": parameters}}),
            )
        };
        let message = message_of(flow(json!({
            "flow_message_version": "3", "flow_id": "1234", "flow_cta": "Start",
            "flow_action": "navigate", "flow_action_payload": {"screen": "WELCOME"}
        })));
        assert_eq!(message.interactive_type.as_deref(), Some("flow"));
        assert_eq!(message.summary, "Sign up\nStart");
        let error = error_of(flow(
            json!({"flow_message_version": "3", "flow_cta": "Start"}),
        ));
        assert_eq!(error.code, 131008);
        assert_eq!(
            error_of(flow(
                json!({"flow_message_version": "2", "flow_name": "x", "flow_cta": "Go"})
            ))
            .code,
            131009
        );
        assert_eq!(
            error_of(flow(
                json!({"flow_message_version": "3", "flow_name": "x", "flow_cta": "c".repeat(31)})
            ))
            .code,
            131009
        );
        assert_eq!(error_of(flow(json!({"flow_message_version": "3", "flow_name": "x", "flow_cta": "Go", "flow_action": "navigate"}))).code, 131008);
        assert_eq!(error_of(flow(json!({"flow_message_version": "3", "flow_name": "x", "flow_cta": "Go", "mode": "live"}))).code, 100);
    }

    #[test]
    fn templates_count_body_parameters() {
        let message = message_of(send(
            "template",
            json!({
                "name": "payment_due",
                "language": {"code": "en_US"},
                "components": [
                    {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x.y/h.png"}}]},
                    {"type": "body", "parameters": [
                        {"type": "text", "text": "Ada"},
                        {"type": "currency", "currency": {"fallback_value": "$10", "code": "USD", "amount_1000": 10000}},
                        {"type": "text", "text": "Friday"}]},
                    {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "inv-9"}]}
                ]
            }),
        ));
        let template = message.template.expect("template");
        assert_eq!(template.name, "payment_due");
        assert_eq!(template.language, "en_US");
        assert_eq!(template.body_parameters, 3);
        assert_eq!(
            message.media,
            Some(MediaRef::Link("https://x.y/h.png".into()))
        );
        assert_eq!(message.summary, "payment_due\nAda\nFriday\ninv-9");

        let bare = message_of(send(
            "template",
            json!({"name": "hello_world", "language": {"code": "en_US"}}),
        ));
        assert_eq!(bare.template.map(|t| t.body_parameters), Some(0));
    }

    #[test]
    fn template_errors() {
        assert_eq!(
            error_of(send("template", json!({"language": {"code": "en"}}))).code,
            131008
        );
        let error = error_of(send("template", json!({"name": "x", "language": {}})));
        assert_eq!(
            error.details,
            "The parameter template['language']['code'] is required."
        );
        let error = error_of(send(
            "template",
            json!({"name": "x", "language": {"code": "en"}, "components": [{"type": "body", "parameters": [{"type": "text", "text": null}]}]}),
        ));
        assert_eq!(error.code, 100);
        assert_eq!(
            error.details,
            "Parameter 'text' is mandatory for component parameter type 'text'"
        );
        let error = error_of(send(
            "template",
            json!({"name": "x", "language": {"code": "en"}, "components": [{"type": "button", "parameters": []}]}),
        ));
        assert_eq!(error.code, 131008);
        assert_eq!(error_of(send("template", json!({"name": "x", "language": {"code": "en"}, "components": [{"type": "sidebar"}]}))).code, 100);
    }

    #[test]
    fn mark_as_read_with_and_without_typing() {
        let read = parse(
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in"}),
        );
        assert_eq!(
            read,
            Ok(SendRequest::MarkRead {
                message_id: "wamid.in".into(),
                typing_indicator: false
            })
        );
        let typing = parse(json!({
            "messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in",
            "typing_indicator": {"type": "text"}
        }));
        assert_eq!(
            typing,
            Ok(SendRequest::MarkRead {
                message_id: "wamid.in".into(),
                typing_indicator: true
            })
        );

        let error = error_of(
            json!({"messaging_product": "whatsapp", "status": "delivered", "message_id": "wamid.in"}),
        );
        assert_eq!(error.code, 100);
        let error = error_of(json!({"messaging_product": "whatsapp", "status": "read"}));
        assert_eq!(
            (error.code, error.details.as_str()),
            (131008, "The parameter message_id is required.")
        );
        let error = error_of(
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": "m", "typing_indicator": {"type": "audio"}}),
        );
        assert_eq!(error.code, 100);
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
