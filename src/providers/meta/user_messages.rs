//! What a simulated WhatsApp user sends, as Meta's webhook writes it (reference/whatsapp.md
//! §4.4): the message's `type` and the object under that type, built from a few fields, from
//! the seed CLI's `--type` and text, or taken from a webhook body the seed's tools built.

use serde_json::{Value, json};

use crate::core::ids;
use crate::core::whatsapp::WhatsAppInbound;

/// One user message: Meta's `type`, the object under it, and its visible text.
#[derive(Debug, Clone, PartialEq)]
pub struct UserMessage {
    pub message_type: String,
    pub content: Value,
    /// What the user's phone shows: the body, the tapped button's title, …
    pub summary: String,
}

impl UserMessage {
    fn new(message_type: &str, content: Value, summary: impl Into<String>) -> Self {
        UserMessage {
            message_type: message_type.into(),
            content,
            summary: summary.into(),
        }
    }

    /// The core's request for this message from `from`, answering `context_id` if given.
    pub fn into_inbound(
        self,
        from: &str,
        profile_name: Option<String>,
        context_id: Option<String>,
    ) -> WhatsAppInbound {
        WhatsAppInbound {
            from: from.to_owned(),
            profile_name,
            message_type: self.message_type,
            content: self.content.to_string(),
            context_id,
            summary: self.summary,
            ..WhatsAppInbound::default()
        }
    }
}

pub fn text(body: &str) -> UserMessage {
    UserMessage::new("text", json!({ "body": body }), body)
}

/// A tap on a template's quick-reply button.
pub fn button(payload: &str, text: &str) -> UserMessage {
    UserMessage::new("button", json!({ "payload": payload, "text": text }), text)
}

/// A tap on a reply button of an interactive message.
pub fn button_reply(id: &str, title: &str) -> UserMessage {
    UserMessage::new(
        "interactive",
        json!({ "type": "button_reply", "button_reply": { "id": id, "title": title } }),
        title,
    )
}

/// A row picked from a list message.
pub fn list_reply(id: &str, title: &str, description: Option<&str>) -> UserMessage {
    let mut reply = json!({ "id": id, "title": title });
    if let Some(description) = description.filter(|d| !d.is_empty()) {
        reply["description"] = json!(description);
    }
    UserMessage::new(
        "interactive",
        json!({ "type": "list_reply", "list_reply": reply }),
        title,
    )
}

/// A completed Flow: its answers as a JSON string, as Meta sends them.
pub fn nfm_reply(response_json: &str, body: &str) -> UserMessage {
    UserMessage::new(
        "interactive",
        json!({
            "type": "nfm_reply",
            "nfm_reply": { "response_json": response_json, "body": body, "name": "flow" },
        }),
        response_json,
    )
}

pub fn location(
    latitude: f64,
    longitude: f64,
    name: Option<&str>,
    address: Option<&str>,
) -> UserMessage {
    let mut content = json!({ "latitude": latitude, "longitude": longitude });
    let mut summary = Vec::new();
    for (key, value) in [("name", name), ("address", address)] {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            content[key] = json!(value);
            summary.push(value);
        }
    }
    UserMessage::new("location", content, summary.join("\n"))
}

/// An image, document, audio, video or sticker the user sent, by media id.
pub fn media(
    kind: &str,
    id: &str,
    mime_type: &str,
    caption: Option<&str>,
    filename: Option<&str>,
) -> UserMessage {
    let mut content = json!({ "id": id, "mime_type": mime_type, "sha256": ids::hex(32) });
    let mut summary = Vec::new();
    if let Some(caption) = caption.filter(|c| !c.is_empty()) {
        content["caption"] = json!(caption);
        summary.push(caption);
    }
    if let Some(filename) = filename.filter(|f| !f.is_empty() && kind == "document") {
        content["filename"] = json!(filename);
        summary.push(filename);
    }
    if kind == "audio" {
        content["voice"] = json!(mime_type.starts_with("audio/ogg"));
    }
    UserMessage::new(kind, content, summary.join("\n"))
}

/// A reaction to one of the business's messages; an empty emoji removes it.
pub fn reaction(message_id: &str, emoji: &str) -> UserMessage {
    UserMessage::new(
        "reaction",
        json!({ "message_id": message_id, "emoji": emoji }),
        emoji,
    )
}

/// The seed CLI's message kinds (`--type text|button|interactive|list|…` and the text given),
/// including the newest seed's syntaxes: `button:<id>`, `list:<id>`, `flow:<screen>` and
/// `form:k=v,…`. A reaction names the message it reacts to, so the caller builds it.
pub fn from_cli(kind: &str, message: &str) -> Result<UserMessage, String> {
    if let Some((prefix, rest)) = message.split_once(':') {
        match prefix {
            "button" if kind == "text" => return Ok(button_reply(rest, rest)),
            "list" if kind == "text" => return Ok(list_reply(rest, rest, None)),
            "flow" | "form" if kind == "text" => return Ok(flow_answer(prefix, rest)),
            _ => {}
        }
    }
    Ok(match kind {
        "text" => text(message),
        "button" => button(message, message),
        "interactive" | "button_reply" => button_reply(message, message),
        "list" | "list_reply" => list_reply(message, message, None),
        "nfm_reply" | "flow" => flow_answer("form", message),
        "location" => {
            let (latitude, longitude) = message
                .split_once(',')
                .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                .ok_or_else(|| format!("a location is `latitude,longitude`, not {message:?}"))?;
            location(latitude, longitude, None, None)
        }
        other => {
            return Err(format!(
                "unknown message type {other:?}: use text, button, interactive, list, nfm_reply, location or reaction"
            ));
        }
    })
}

/// A Flow's answer from `flow:SCREEN` or `form:k=v,…` (the newest seed CLI's syntaxes).
fn flow_answer(prefix: &str, rest: &str) -> UserMessage {
    let mut answers = serde_json::Map::new();
    if prefix == "flow" {
        answers.insert("screen".into(), json!(rest));
    } else {
        for pair in rest.split(',').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            answers.insert(key.trim().into(), json!(value.trim()));
        }
    }
    answers.insert("flow_token".into(), json!("mockingbird"));
    nfm_reply(&Value::Object(answers).to_string(), "Sent")
}

/// A message that arrives already shaped as Meta's object (the seed's webhook bodies, a test's
/// raw JSON): what the seed's builders left out is filled in, and its visible text read.
pub fn shaped(message_type: &str, content: Value) -> UserMessage {
    let content = complete(message_type, content);
    UserMessage::new(
        message_type,
        content.clone(),
        summary_of(message_type, &content),
    )
}

/// The visible text of a user's message given as Meta's object.
fn summary_of(message_type: &str, content: &Value) -> String {
    let field = |path: &[&str]| -> Option<String> {
        let mut node = content;
        for key in path {
            node = node.get(key)?;
        }
        node.as_str().map(str::to_owned)
    };
    let found = match message_type {
        "text" => field(&["body"]),
        "button" => field(&["text"]).or_else(|| field(&["payload"])),
        "interactive" => field(&["button_reply", "title"])
            .or_else(|| field(&["button_reply", "id"]))
            .or_else(|| field(&["list_reply", "title"]))
            .or_else(|| field(&["list_reply", "id"]))
            .or_else(|| field(&["nfm_reply", "response_json"])),
        "reaction" => field(&["emoji"]),
        "image" | "video" | "document" => field(&["caption"]).or_else(|| field(&["filename"])),
        "location" => field(&["name"]).or_else(|| field(&["address"])),
        _ => None,
    };
    found.unwrap_or_default()
}

/// Fill what the seed's builders left out of a message object, so that the webhook carries
/// what Meta's does: a button's `text`, a reply's `title`.
fn complete(message_type: &str, mut content: Value) -> Value {
    match message_type {
        "button" => {
            if content.get("text").is_none()
                && let Some(payload) = content.get("payload").cloned()
            {
                content["text"] = payload;
            }
        }
        "interactive" => {
            for reply in ["button_reply", "list_reply"] {
                if let Some(object) = content.get_mut(reply)
                    && object.get("title").is_none()
                    && let Some(id) = object.get("id").cloned()
                {
                    object["title"] = id;
                }
            }
            if content.get("type").is_none() {
                let kind = ["button_reply", "list_reply", "nfm_reply"]
                    .into_iter()
                    .find(|k| content.get(k).is_some());
                if let Some(kind) = kind {
                    content["type"] = json!(kind);
                }
            }
        }
        _ => {}
    }
    content
}

/// A bot's JSON answer re-indented, with `{"response": …}` unwrapped as the seed did (its bots
/// answered in-band in test mode); none when the answer is not JSON.
pub fn readable_answer(body: &str) -> Option<String> {
    let mut value: Value = serde_json::from_str(body).ok()?;
    if let Some(inner) = value.get_mut("response").map(Value::take) {
        value = inner;
    }
    serde_json::to_string_pretty(&value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_cli_kinds_become_metas_inbound_shapes() {
        let tapped = from_cli("interactive", "menu_option_1").unwrap();
        assert_eq!(tapped.message_type, "interactive");
        assert_eq!(tapped.content["button_reply"]["id"], "menu_option_1");
        assert_eq!(tapped.content["type"], "button_reply");
        let button = from_cli("button", "button_1").unwrap();
        assert_eq!(
            button.content,
            json!({ "payload": "button_1", "text": "button_1" })
        );
        let listed = from_cli("text", "list:pay").unwrap();
        assert_eq!(listed.content["list_reply"]["id"], "pay");
        let form = from_cli("text", "form:amount=5,to=bob").unwrap();
        let answers: Value =
            serde_json::from_str(form.content["nfm_reply"]["response_json"].as_str().unwrap())
                .unwrap();
        assert_eq!(answers["amount"], "5");
        assert!(from_cli("carrier-pigeon", "hi").is_err());
    }

    #[test]
    fn seed_bodies_are_completed_as_meta_writes_them() {
        let completed = complete("interactive", json!({ "button_reply": { "id": "Y" } }));
        assert_eq!(
            completed,
            json!({ "button_reply": { "id": "Y", "title": "Y" }, "type": "button_reply" })
        );
        assert_eq!(summary_of("interactive", &completed), "Y");
    }
}
