//! `type: interactive` (Meta's interactive-messages pages): a header, body and footer around
//! an action. The action's shape depends on the interactive type, one file each: reply
//! buttons, list, call-to-action URL, flow.

mod button;
mod cta_url;
mod flow;
mod list;

use serde_json::{Map, Value};

use super::Found;
use super::fields::{
    as_object, at_most, check_keys, key, missing, present, required, required_enum, required_str,
};
use super::media;
use crate::whatsapp::error::GraphError;

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

const INTERACTIVE_BODY_MAX: usize = 1024;
const HEADER_TEXT_MAX: usize = 60;
const FOOTER_TEXT_MAX: usize = 60;

pub(super) fn parse<'a>(
    root: &'a Map<String, Value>,
    found: &mut Found,
) -> Result<&'a Value, GraphError> {
    let value = required(root, "interactive", "interactive")?;
    let interactive = as_object(value, "interactive")?;
    let kind = required_enum(
        interactive,
        "type",
        "interactive['type']",
        INTERACTIVE_TYPES,
    )?;
    let checked = matches!(kind.as_str(), "button" | "list" | "cta_url" | "flow");

    if let Some(value) = present(interactive, "header") {
        header(value, &kind, found)?;
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
            "button" => button::action(action, found)?,
            "list" => list::action(action, found)?,
            "cta_url" => cta_url::action(action, found)?,
            _ => flow::action(action, found)?,
        }
    }
    Ok(value)
}

/// `header: {type: text|image|video|document, text | image | video | document}`. A list
/// message's header may only be text (Meta's list-messages page).
fn header(value: &Value, kind: &str, found: &mut Found) -> Result<(), GraphError> {
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
        let media = media::object(media_value, &header_type, &media_path, found)?;
        found.media(media);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::whatsapp::payload::testing::{error_of, send};

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
    fn list_headers_are_text_only() {
        let body = send(
            "interactive",
            json!({"type": "list", "header": {"type": "image", "image": {"id": "1"}}, "body": {"text": "?"},
                   "action": {"button": "Go", "sections": [{"rows": [{"id": "1", "title": "x"}]}]}}),
        );
        assert_eq!(error_of(body).code, 131009);
    }
}
