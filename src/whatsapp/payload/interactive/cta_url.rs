//! Call-to-action URL buttons (Meta's interactive-CTA-URL-button page): one button that
//! opens a link.

use serde_json::{Map, Value};

use crate::whatsapp::error::GraphError;
use crate::whatsapp::payload::Found;
use crate::whatsapp::payload::fields::{
    as_object, at_most, http_url, key, required, required_enum, required_str,
};

const CTA_DISPLAY_TEXT_MAX: usize = 20;

/// `action: {name: "cta_url", parameters: {display_text (≤20), url}}` (Meta's CTA-URL page).
pub(super) fn action(action: &Map<String, Value>, found: &mut Found) -> Result<(), GraphError> {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::whatsapp::payload::testing::{content_of, error_of, message_of, send};

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
        assert_eq!(content_of(&message)["type"], "cta_url");
        // The header's image is a link: nothing for the core to find.
        assert_eq!(message.media, None);
        assert_eq!(
            content_of(&message)["header"]["image"]["link"],
            "https://x.y/i.png"
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
}
