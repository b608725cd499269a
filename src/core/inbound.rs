//! A simulated user texting one of a tenant's numbers, as Twilio delivers it: the message is
//! stored, the number's SMS webhook is called (signed), the app's TwiML `<Message>` replies
//! become outbound messages from that number, and the opt-out keywords work as Twilio's default
//! opt-out handling does.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event as Xml};

use super::events::{EventData, NewEvent};
use super::lifecycle::attempt_record;
use super::messages::{Callback, Direction, HttpMethod, Message, MessageStatus, NewMessage};
use super::messaging::Origin;
use super::store::{CallbackAttempt, Delivery, WebhookProvider, Write};
use super::tenants::{Hook, OptOut, Tenant};
use super::{Core, CoreError, ids, text};
use crate::webhooks::twilio::API_VERSION;

/// What a simulated user sends.
#[derive(Debug, Clone, Default)]
pub struct InboundText {
    /// The user's number.
    pub from: String,
    /// One of the tenant's numbers.
    pub to: String,
    pub body: String,
    pub media_urls: Vec<String>,
}

/// What became of it.
#[derive(Debug, Clone)]
pub struct InboundOutcome {
    pub message: Message,
    /// The webhook and the app's answer; none when the number has no SMS URL.
    pub webhook: Option<CallbackAttempt>,
    /// Opt-out confirmations, then the app's TwiML replies.
    pub replies: Vec<Message>,
    pub opt_out_type: Option<OptOutKeyword>,
}

/// Twilio's default opt-out keyword classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptOutKeyword {
    Stop,
    Start,
    Help,
}

impl OptOutKeyword {
    /// The class of a message body, matched as Twilio does: the whole body, trimmed, any case.
    pub fn of(body: &str) -> Option<Self> {
        let word = body.trim().to_ascii_uppercase();
        Some(match word.as_str() {
            "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "REVOKE"
            | "OPTOUT" => OptOutKeyword::Stop,
            "START" | "YES" | "UNSTOP" => OptOutKeyword::Start,
            "HELP" | "INFO" => OptOutKeyword::Help,
            _ => return None,
        })
    }

    /// `OptOutType` as Twilio's incoming webhook carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            OptOutKeyword::Stop => "STOP",
            OptOutKeyword::Start => "START",
            OptOutKeyword::Help => "HELP",
        }
    }

    /// Twilio's default confirmation texts.
    fn confirmation(self) -> &'static str {
        match self {
            OptOutKeyword::Stop => {
                "You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe."
            }
            OptOutKeyword::Start => {
                "You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply."
            }
            OptOutKeyword::Help => "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
        }
    }
}

impl Core {
    /// Deliver a simulated user's text to the app (see the module's documentation). Waits for
    /// the app's answer, up to the webhook timeout.
    pub async fn receive_inbound(
        &self,
        tenant: &Tenant,
        text: InboundText,
    ) -> Result<InboundOutcome, CoreError> {
        let user = text::split_channel(&text.from).1.to_owned();
        if !text::is_e164(&user) {
            return Err(CoreError::Invalid(format!(
                "from {:?} is not a phone number in E.164 form",
                text.from
            )));
        }
        let number = tenant
            .number(text::split_channel(&text.to).1)
            .ok_or_else(|| {
                CoreError::Invalid(format!(
                    "the tenant has no number {}; add it first (Numbers.AddNumber or IncomingPhoneNumbers)",
                    text.to
                ))
            })?;
        let account_sid = tenant.sid();
        let now = tenant.now();
        let message = Message {
            sid: ids::sid(if text.media_urls.is_empty() {
                "SM"
            } else {
                "MM"
            }),
            account_sid: account_sid.clone(),
            direction: Direction::Inbound,
            from: Some(text.from.clone()),
            to: text.to.clone(),
            num_segments: text::segments(&text.body),
            body: text.body,
            media_urls: text.media_urls,
            status: MessageStatus::Received,
            messaging_service_sid: None,
            error_code: None,
            error_message: None,
            price: None,
            created_at: now,
            updated_at: now,
            sent_at: Some(now),
            status_callback: None,
            whatsapp: None,
        };
        let keyword = OptOutKeyword::of(&message.body);
        self.store
            .write(Write::CreateMessage {
                message: message.clone(),
                job: None,
                events: vec![NewEvent {
                    account_sid: account_sid.clone(),
                    at: now,
                    data: EventData::MessageCreated {
                        message: message.clone(),
                    },
                }],
            })
            .await?;

        let mut replies = Vec::new();
        if let Some(keyword) = keyword {
            if keyword != OptOutKeyword::Help {
                let opt_out = OptOut {
                    sender: number.phone_number.clone(),
                    recipient: user.clone(),
                };
                let opted_out = keyword == OptOutKeyword::Stop;
                self.store
                    .write(Write::SetOptOut {
                        account_sid: account_sid.clone(),
                        opt_out: opt_out.clone(),
                        opted_out,
                        at: now,
                    })
                    .await?;
                tenant.set_opt_out(opt_out, opted_out);
            }
            let confirmation = NewMessage {
                to: text.from.clone(),
                from: Some(text.to.clone()),
                body: keyword.confirmation().into(),
                ..NewMessage::default()
            };
            replies.push(
                self.send_outbound(tenant, confirmation, Origin::OptOutConfirmation)
                    .await?,
            );
        }

        let webhook = self
            .call_sms_webhooks(
                tenant,
                &message,
                [&number.sms, &number.sms_fallback],
                keyword,
            )
            .await?;
        if let Some(answer) = webhook.as_ref().filter(|w| w.succeeded()) {
            for reply in twiml_replies(answer.response_body.as_deref().unwrap_or_default()) {
                let new = NewMessage {
                    to: reply.to.unwrap_or_else(|| text.from.clone()),
                    from: Some(reply.from.unwrap_or_else(|| text.to.clone())),
                    body: reply.body,
                    media_urls: reply.media,
                    status_callback: reply.action.map(|url| Callback {
                        url,
                        method: reply.method,
                    }),
                    ..NewMessage::default()
                };
                match self.send_outbound(tenant, new, Origin::Reply).await {
                    Ok(sent) => replies.push(sent),
                    // Twilio drops a reply it refuses (to an opted-out user: 21610) and logs it.
                    Err(CoreError::Rejected(rejection)) => tracing::info!(
                        code = rejection.code,
                        message = %rejection.message,
                        "TwiML reply refused"
                    ),
                    Err(other) => return Err(other),
                }
            }
        }

        self.store
            .write(Write::Event(NewEvent {
                account_sid,
                at: tenant.now(),
                data: EventData::InboundDelivered {
                    message: Box::new(message.clone()),
                    webhook: webhook.clone().map(Box::new),
                    reply_sids: replies.iter().map(|m| m.sid.clone()).collect(),
                    opt_out_type: keyword.map(|k| k.as_str().to_owned()),
                },
            }))
            .await?;
        Ok(InboundOutcome {
            message,
            webhook,
            replies,
            opt_out_type: keyword,
        })
    }

    /// POST (or GET) Twilio's incoming-message webhook to the first hook with a URL; when it
    /// fails, to the next (the fallback URL), as Twilio does. Each attempt is recorded.
    async fn call_sms_webhooks(
        &self,
        tenant: &Tenant,
        message: &Message,
        hooks: [&Hook; 2],
        keyword: Option<OptOutKeyword>,
    ) -> Result<Option<CallbackAttempt>, CoreError> {
        let mut last = None;
        for hook in hooks {
            let Some(url) = &hook.url else { continue };
            let delivery = Delivery {
                provider: WebhookProvider::Twilio,
                json: String::new(),
                idempotency_token: format!("{}-{}", ids::hex(16), message.sid),
                resource_sid: message.sid.clone(),
                status: MessageStatus::Received.as_str().into(),
                url: url.clone(),
                method: hook.method,
                params: incoming_params(message, keyword),
                attempt: 1,
                max_attempts: 1,
                retry_delay_ms: 0,
            };
            let sent = self
                .webhooks
                .send_twilio(&delivery, &tenant.account().auth_token)
                .await;
            let attempt = attempt_record(&tenant.sid(), &delivery, sent, tenant.now());
            let recorded = self
                .record_attempt(attempt, Some(message.to.clone()), message.from.clone())
                .await?;
            let succeeded = recorded.succeeded();
            last = Some(recorded);
            if succeeded {
                break;
            }
        }
        Ok(last)
    }
}

/// The parameters of Twilio's incoming-message webhook (reference §4.2).
fn incoming_params(message: &Message, keyword: Option<OptOutKeyword>) -> Vec<(String, String)> {
    let sid = message.sid.clone();
    let mut params: Vec<(String, String)> = vec![
        ("ToCountry".into(), "US".into()),
        ("ToState".into(), String::new()),
        ("SmsMessageSid".into(), sid.clone()),
        ("NumMedia".into(), message.media_urls.len().to_string()),
        ("ToCity".into(), String::new()),
        ("FromZip".into(), String::new()),
        ("SmsSid".into(), sid.clone()),
        ("FromState".into(), String::new()),
        ("SmsStatus".into(), "received".into()),
        ("FromCity".into(), String::new()),
        ("Body".into(), message.body.clone()),
        ("FromCountry".into(), "US".into()),
        ("To".into(), message.to.clone()),
        ("ToZip".into(), String::new()),
        ("NumSegments".into(), message.num_segments.to_string()),
        ("MessageSid".into(), sid),
        ("AccountSid".into(), message.account_sid.clone()),
        ("From".into(), message.from.clone().unwrap_or_default()),
        ("ApiVersion".into(), API_VERSION.into()),
    ];
    for (index, url) in message.media_urls.iter().enumerate() {
        params.push((format!("MediaUrl{index}"), url.clone()));
        params.push((
            format!("MediaContentType{index}"),
            media_content_type(url).into(),
        ));
    }
    if let Some(keyword) = keyword {
        params.push(("OptOutType".into(), keyword.as_str().into()));
    }
    params
}

/// A guess from the URL's extension; Twilio reports what the carrier said.
fn media_content_type(url: &str) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    match path.rsplit('.').next().unwrap_or_default() {
        "png" => "image/png",
        "gif" => "image/gif",
        "jpg" | "jpeg" => "image/jpeg",
        "mp4" => "video/mp4",
        "mp3" => "audio/mpeg",
        "pdf" => "application/pdf",
        "vcf" => "text/vcard",
        _ => "application/octet-stream",
    }
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
fn twiml_replies(document: &str) -> Vec<TwimlMessage> {
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
    fn keywords_are_whole_bodies_in_any_case() {
        assert_eq!(OptOutKeyword::of(" stop "), Some(OptOutKeyword::Stop));
        assert_eq!(OptOutKeyword::of("Unsubscribe"), Some(OptOutKeyword::Stop));
        assert_eq!(OptOutKeyword::of("yes"), Some(OptOutKeyword::Start));
        assert_eq!(OptOutKeyword::of("info"), Some(OptOutKeyword::Help));
        assert_eq!(OptOutKeyword::of("please stop"), None);
    }

    #[test]
    fn twiml_messages_in_both_forms() {
        let replies = twiml_replies(
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
        assert!(twiml_replies("").is_empty());
        assert!(twiml_replies("<Response/>").is_empty());
        assert!(twiml_replies("{\"ok\": true}").is_empty());
    }
}
