//! Reply buttons (Meta's interactive-reply-buttons page): one to three buttons, each with a
//! unique id and a short title.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::whatsapp::error::GraphError;
use crate::whatsapp::payload::Found;
use crate::whatsapp::payload::fields::{
    as_array, as_object, index, key, length_between, required, required_enum, required_text,
};

const BUTTONS_MAX: usize = 3;
const BUTTON_ID_MAX: usize = 256;
const BUTTON_TITLE_MAX: usize = 20;

pub(super) fn action(action: &Map<String, Value>, found: &mut Found) -> Result<(), GraphError> {
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::whatsapp::payload::testing::{content_of, error_of, message_of, send};

    fn buttons(count: usize) -> Value {
        let buttons: Vec<Value> = (0..count)
            .map(|i| json!({"type": "reply", "reply": {"id": format!("b{i}"), "title": format!("Option {i}")}}))
            .collect();
        send(
            "interactive",
            json!({"type": "button", "body": {"text": "Pick one"}, "action": {"buttons": buttons}}),
        )
    }

    #[test]
    fn three_buttons_pass_and_four_fail() {
        let message = message_of(buttons(3));
        assert_eq!(content_of(&message)["type"], "button");
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
}
