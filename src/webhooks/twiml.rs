//! The app's TwiML answers, read into the replies they ask for. An incoming message's webhook
//! is answered with `<Response>` and `<Message>` verbs; voice will read its verbs here too.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event as Xml};

use crate::core::messaging::{Callback, HttpMethod};
use crate::core::outbox::MessageReply;

/// The replies an answer's `<Message>` verbs ask for, in order; none for anything that is not
/// TwiML.
pub fn message_replies(answer: &str) -> Vec<MessageReply> {
    twiml_messages(answer)
        .into_iter()
        .map(|message| MessageReply {
            to: message.to,
            from: message.from,
            body: message.body,
            media: message.media,
            status_callback: message.action.map(|url| Callback {
                url,
                method: message.method,
            }),
        })
        .collect()
}

/// One `<Message>` of a TwiML answer.
#[derive(Debug, Default, PartialEq)]
struct TwimlMessage {
    to: Option<String>,
    from: Option<String>,
    body: String,
    media: Vec<String>,
    /// `action`, or the deprecated `statusCallback`: where the reply's statuses go.
    action: Option<String>,
    method: HttpMethod,
}

/// The `<Message>` verbs of a TwiML document, in order. `<Message>text</Message>` and
/// `<Message><Body>text</Body><Media>url</Media></Message>` are the same thing. Anything that
/// is not TwiML (an empty body, plain text, JSON, broken XML) has no messages — what Twilio
/// does, after logging a 12100 parse failure.
fn twiml_messages(document: &str) -> Vec<TwimlMessage> {
    let mut reader = quick_xml::Reader::from_str(document);
    let mut messages = Vec::new();
    let mut current: Option<TwimlMessage> = None;
    // The element whose text is being read inside a <Message>: none (the body itself), Body or
    // Media.
    let mut inner: Option<Vec<u8>> = None;
    let mut text = String::new();
    loop {
        let event = match reader.read_event() {
            Ok(Xml::Eof) => break,
            Ok(event) => event,
            Err(error) => {
                tracing::info!(%error, "the app's answer is not TwiML; no reply is sent");
                return Vec::new();
            }
        };
        match event {
            Xml::Start(element) if element.name().as_ref() == b"Message" => {
                current = Some(message_attributes(&element));
                text.clear();
            }
            Xml::Empty(element) if element.name().as_ref() == b"Message" => {
                messages.push(message_attributes(&element));
            }
            Xml::Start(element) if current.is_some() => {
                inner = Some(element.name().as_ref().to_vec());
                text.clear();
            }
            Xml::Text(content) if current.is_some() => {
                text.push_str(&content.xml_content().unwrap_or_default());
            }
            Xml::CData(content) if current.is_some() => {
                text.push_str(&String::from_utf8_lossy(&content));
            }
            Xml::GeneralRef(reference) if current.is_some() => {
                if let Ok(Some(ch)) = reference.resolve_char_ref() {
                    text.push(ch);
                } else if let Some(resolved) = reference
                    .decode()
                    .ok()
                    .and_then(|name| resolve_predefined_entity(&name))
                {
                    text.push_str(resolved);
                }
            }
            Xml::End(element) => {
                let name = element.name().as_ref().to_vec();
                if name == b"Message" {
                    if let Some(mut message) = current.take() {
                        if message.body.is_empty() && message.media.is_empty() {
                            message.body = text.trim().to_owned();
                        }
                        messages.push(message);
                    }
                } else if let (Some(message), Some(open)) = (current.as_mut(), inner.take()) {
                    if open == name {
                        match name.as_slice() {
                            b"Body" => message.body = text.trim().to_owned(),
                            b"Media" => message.media.push(text.trim().to_owned()),
                            _ => {}
                        }
                    }
                    text.clear();
                }
            }
            _ => {}
        }
    }
    messages
}

fn message_attributes(element: &BytesStart<'_>) -> TwimlMessage {
    let mut message = TwimlMessage::default();
    for attribute in element.attributes().flatten() {
        let value = attribute
            .unescape_value()
            .map(|v| v.into_owned())
            .unwrap_or_default();
        match attribute.key.as_ref() {
            b"to" => message.to = Some(value),
            b"from" => message.from = Some(value),
            b"action" => message.action = Some(value),
            b"statusCallback" if message.action.is_none() => message.action = Some(value),
            b"method" => message.method = HttpMethod::parse(&value).unwrap_or_default(),
            _ => {}
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twiml_messages_in_both_forms() {
        let replies = twiml_messages(
            r#"<?xml version="1.0" encoding="UTF-8"?>
            <Response>
              <Message>Thanks &amp; bye</Message>
              <Message to="+15550001111" action="http://app/status" method="GET">
                <Body>Second</Body><Media>https://example.com/a.png</Media>
              </Message>
              <Redirect>http://app/next</Redirect>
            </Response>"#,
        );
        assert_eq!(
            replies,
            vec![
                TwimlMessage {
                    body: "Thanks & bye".into(),
                    ..TwimlMessage::default()
                },
                TwimlMessage {
                    to: Some("+15550001111".into()),
                    body: "Second".into(),
                    media: vec!["https://example.com/a.png".into()],
                    action: Some("http://app/status".into()),
                    method: HttpMethod::Get,
                    ..TwimlMessage::default()
                },
            ]
        );
        assert!(twiml_messages("").is_empty());
        assert!(twiml_messages("<Response/>").is_empty());
        assert!(twiml_messages("{\"ok\": true}").is_empty());
    }
}
