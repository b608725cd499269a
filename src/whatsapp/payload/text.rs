//! `type: text` (Meta's text-messages page): a body of up to 4096 characters, and whether
//! WhatsApp shows a link preview.

use serde_json::{Map, Value};

use super::Found;
use super::fields::{
    as_object, at_most, check_keys, missing, optional_bool, present, required_str,
};
use crate::whatsapp::error::GraphError;

const TEXT_BODY_MAX: usize = 4096;

pub(super) fn parse<'a>(
    root: &'a Map<String, Value>,
    found: &mut Found,
) -> Result<&'a Value, GraphError> {
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
    Ok(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::whatsapp::payload::testing::{error_of, message_of, send};

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
}
