//! `mockingbird whatsapp send`: the seed's chatbot test CLI (`mock/cli.py`) over the control
//! plane. The user's message reaches the app as Meta's signed webhook; the app's HTTP answer is
//! printed, then the Cloud API messages the app sends the user, until it falls quiet.
//!
//! Unlike the seed, replies are not read back from the webhook's answer or polled from a file:
//! the bot sends them through mockingbird's Graph API in its production code path, and they are
//! followed on the event stream from just before the user's message.

use std::time::Duration;

use axum::http::StatusCode;
use futures_util::StreamExt;
use serde_json::Value;

use super::WhatsAppSendArgs;
use super::remote::{Connection, failed};
use crate::proto::{
    self, InboundDelivery, event::Payload, events_client::EventsClient,
    send_whats_app_inbound_request::Message as UserMessage, whats_app_client::WhatsAppClient,
};
use crate::providers::meta::user_messages::{self, readable_answer};

pub async fn send(args: WhatsAppSendArgs) -> Result<(), String> {
    if !(args.wait.is_finite() && args.wait >= 0.0) {
        return Err(format!(
            "--wait {}: give a number of seconds, 0 or more",
            args.wait
        ));
    }
    let message = user_message(&args)?;
    // A reaction names its message itself; Meta sends it without `context`.
    let context_id = match message {
        UserMessage::Reaction(_) => String::new(),
        _ => args.context_id.clone().unwrap_or_default(),
    };
    let connection = Connection::open(&args.remote).await?;
    let mut whatsapp = WhatsAppClient::new(connection.channel.clone());
    let outcome = whatsapp
        .send_inbound(connection.request(proto::SendWhatsAppInboundRequest {
            account_sid: args.tenant.clone().unwrap_or_default(),
            from: args.phone.clone(),
            profile_name: args.name.clone(),
            context_id,
            target: args.target.clone().unwrap_or_default(),
            username: args.username.clone().unwrap_or_default(),
            hide_phone: args.hide_phone,
            message: Some(message),
        })?)
        .await
        .map_err(failed)?
        .into_inner();

    let url = &outcome.url;
    let error = outcome
        .webhook
        .as_ref()
        .map(|w| w.error.as_str())
        .unwrap_or_default();
    // The seed proxy's statuses, so that scripts written against it read the same failures.
    match InboundDelivery::try_from(outcome.delivery) {
        Ok(InboundDelivery::Answered) => {}
        Ok(InboundDelivery::NoWebhook) => {
            return Err(
                "the tenant has no WhatsApp webhook URL: pass --target (a name under whatsapp.targets, or a URL), or set one with WhatsApp.UpdateSettings"
                    .into(),
            );
        }
        Ok(InboundDelivery::Unreachable) => {
            return Err(format!("502 Bad Gateway: {url} is unreachable: {error}"));
        }
        Ok(InboundDelivery::TimedOut) => {
            let waited = outcome
                .timeout
                .map(|t| t.seconds as f64 + f64::from(t.nanos) / 1e9)
                .unwrap_or_default();
            return Err(format!(
                "504 Gateway Timeout: {url} did not answer within {waited} s"
            ));
        }
        _ => {
            return Err(format!(
                "the server reported an unknown delivery outcome ({})",
                outcome.delivery
            ));
        }
    }

    let status = outcome.http_status;
    let reason = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    println!("→ {status} {reason}");
    print_body(&outcome.http_body);
    if !(200..300).contains(&status) {
        return Err(format!("{url} answered {status} {reason}"));
    }
    let Some(inbound) = outcome.message else {
        return Err("the server returned no message".into());
    };
    follow_replies(
        &connection,
        &inbound,
        outcome.after_sequence,
        Duration::from_secs_f64(args.wait),
    )
    .await
}

/// The user's message from `--type` and the text. The seed's kinds and syntaxes are read here
/// (as the seed's CLI read them) and sent as Meta's object, except a reaction, which needs the
/// message it reacts to.
fn user_message(args: &WhatsAppSendArgs) -> Result<UserMessage, String> {
    if args.kind == "reaction" {
        let message_id = args
            .context_id
            .clone()
            .ok_or("a reaction needs --context-id: the business message (wamid.…) reacted to")?;
        return Ok(UserMessage::Reaction(proto::Reaction {
            message_id,
            emoji: args.message.clone(),
        }));
    }
    let built = user_messages::from_cli(&args.kind, &args.message)?;
    Ok(UserMessage::Raw(proto::RawMessage {
        r#type: built.message_type,
        json: built.content.to_string(),
    }))
}

/// The app's answer body, as the proxy relays it.
fn print_body(body: &str) {
    if !body.trim().is_empty() {
        println!(
            "{}",
            readable_answer(body).unwrap_or_else(|| body.to_owned())
        );
    }
}

/// Print the Cloud API messages the app sends the user from `after` on, until none has come
/// for `quiet`.
async fn follow_replies(
    connection: &Connection,
    inbound: &proto::Message,
    after: i64,
    quiet: Duration,
) -> Result<(), String> {
    let mut events = EventsClient::new(connection.channel.clone());
    let filter = proto::EventFilter {
        account_sid: inbound.account_sid.clone(),
        kinds: vec![proto::EventKind::MessageCreated as i32],
        // Outbound Cloud API messages are stored to the user's `wa_id`, the inbound's sender.
        to: inbound.from.clone(),
        ..Default::default()
    };
    let mut stream = events
        .subscribe(connection.request(proto::SubscribeRequest {
            filter: Some(filter),
            after_sequence: after,
            live_only: false,
        })?)
        .await
        .map_err(failed)?
        .into_inner();
    let mut deadline = tokio::time::Instant::now() + quiet;
    loop {
        let event = match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) | Ok(None) => return Ok(()),
            Ok(Some(event)) => event.map_err(failed)?,
        };
        let Some(Payload::MessageCreated(created)) = event.payload else {
            continue;
        };
        let Some(message) = created.message else {
            continue;
        };
        let Some(content) = &message.whatsapp else {
            continue;
        };
        if message.direction != proto::Direction::OutboundApi as i32 {
            continue;
        }
        println!("{}", render(&message, content));
        deadline = tokio::time::Instant::now() + quiet;
    }
}

/// A Cloud API message as the user's phone would show it, roughly: the text, reply buttons as
/// `[title]`, a list's button and rows, a template's name; other types by type and text.
pub fn render(message: &proto::Message, content: &proto::WhatsAppContent) -> String {
    let object: Value = serde_json::from_str(&content.content).unwrap_or(Value::Null);
    let text = |pointer: &str| {
        object
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let mut lines: Vec<String> = Vec::new();
    match content.message_type.as_str() {
        "text" => lines.push(text("/body")),
        "interactive" => {
            for part in ["/header/text", "/body/text", "/footer/text"] {
                let part = text(part);
                if !part.is_empty() {
                    lines.push(part);
                }
            }
            lines.extend(interactive_action(&object));
        }
        "template" => {
            let (name, language) = (text("/name"), text("/language/code"));
            lines.push(format!("template {name} ({language})"));
            // The summary is the template's name when it has no parameters to show.
            if !message.body.is_empty() && message.body != name {
                lines.push(message.body.clone());
            }
        }
        "reaction" => lines.push(format!(
            "reaction {} to {}",
            text("/emoji"),
            text("/message_id")
        )),
        other => lines.push(format!("{other}: {}", message.body)),
    }
    let mut rendered = String::from("← ");
    for (index, line) in lines.iter().enumerate() {
        if index > 0 {
            rendered.push_str("\n  ");
        }
        // A multi-line text keeps its indentation under the arrow.
        rendered.push_str(&line.replace('\n', "\n  "));
    }
    rendered
}

/// An interactive message's controls: reply buttons, a list, a link or a Flow's button.
fn interactive_action(object: &Value) -> Vec<String> {
    let text = |node: &Value, pointer: &str| {
        node.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let items = |pointer: &str| {
        object
            .pointer(pointer)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    match text(object, "/type").as_str() {
        "button" => {
            let buttons: Vec<String> = items("/action/buttons")
                .iter()
                .map(|b| format!("[{}]", text(b, "/reply/title")))
                .collect();
            vec![buttons.join(" ")]
        }
        "list" => {
            let mut lines = vec![format!("[{}]", text(object, "/action/button"))];
            for section in items("/action/sections") {
                let title = text(&section, "/title");
                if !title.is_empty() {
                    lines.push(title);
                }
                for row in section
                    .get("rows")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let description = text(row, "/description");
                    lines.push(if description.is_empty() {
                        format!("- {}", text(row, "/title"))
                    } else {
                        format!("- {}: {description}", text(row, "/title"))
                    });
                }
            }
            lines
        }
        "cta_url" => vec![format!(
            "[{}] → {}",
            text(object, "/action/parameters/display_text"),
            text(object, "/action/parameters/url")
        )],
        "flow" => vec![format!("[{}]", text(object, "/action/parameters/flow_cta"))],
        other => vec![format!("(interactive {other})")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rendered(message_type: &str, content: Value, body: &str) -> String {
        let message = proto::Message {
            body: body.into(),
            ..Default::default()
        };
        let content = proto::WhatsAppContent {
            message_type: message_type.into(),
            content: content.to_string(),
            ..Default::default()
        };
        render(&message, &content)
    }

    #[test]
    fn replies_render_as_a_phone_shows_them() {
        assert_eq!(
            rendered("text", json!({"body": "hi\nthere"}), ""),
            "← hi\n  there"
        );
        let buttons = json!({"type": "button", "body": {"text": "Pay?"}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": "Y", "title": "Yes"}},
            {"type": "reply", "reply": {"id": "N", "title": "No"}},
        ]}});
        assert_eq!(rendered("interactive", buttons, ""), "← Pay?\n  [Yes] [No]");
        let list = json!({"type": "list", "body": {"text": "Choose"}, "action": {
            "button": "Menu",
            "sections": [{"rows": [
                {"id": "a", "title": "Balance", "description": "See it"},
                {"id": "b", "title": "Help"},
            ]}],
        }});
        assert_eq!(
            rendered("interactive", list, ""),
            "← Choose\n  [Menu]\n  - Balance: See it\n  - Help"
        );
        let template = json!({"name": "hello_world", "language": {"code": "en_US"}});
        assert_eq!(
            rendered("template", template, ""),
            "← template hello_world (en_US)"
        );
        assert_eq!(
            rendered("image", json!({"id": "1"}), "a cat"),
            "← image: a cat"
        );
    }
}
