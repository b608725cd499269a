//! A simulated user texting one of a tenant's numbers, as Twilio delivers it: the message is
//! stored, the number's incoming-message webhook is called, the replies the app's answer asks
//! for become outbound messages from that number, and the opt-out keywords work as Twilio's
//! default opt-out handling does.
//!
//! A user writing from `whatsapp:+…` is Twilio's WhatsApp channel: the webhook carries what
//! WhatsApp knows of the message (the user's WhatsApp id and profile name, buttons, locations,
//! quoted replies) instead of the SMS geography, the stored message opens the 24-hour window
//! for free-form replies, and opt-out keywords are plain text (Twilio's default STOP handling is
//! for SMS).

use serde::{Deserialize, Serialize};

use crate::core::events::{EventData, NewEvent};
use crate::core::messaging::Origin;
use crate::core::messaging::{Message, MessageStatus, NewMessage};
use crate::core::outbox::{Delivery, IncomingChannel, Notice, WhatsAppDetails};
use crate::core::store::{self, CallbackAttempt};
use crate::core::tenants::{Hook, OptOut, Tenant};
use crate::core::whatsapp::business_scoped_user_id;
use crate::core::{Core, CoreError, ids, text};

/// A simulated WhatsApp user's profile name when a test gives none.
pub(in crate::core) const DEFAULT_PROFILE_NAME: &str = "Test User";

/// Whether a shared location is a place on Earth: latitude within ±90, longitude within ±180
/// (NaN is not).
pub fn is_place(latitude: f64, longitude: f64) -> bool {
    (-90.0..=90.0).contains(&latitude) && (-180.0..=180.0).contains(&longitude)
}

/// What a simulated user sends. The WhatsApp fields need a `whatsapp:` sender.
#[derive(Debug, Clone, Default)]
pub struct InboundText {
    /// The user's number, or `whatsapp:+…` for a WhatsApp user.
    pub from: String,
    /// One of the tenant's numbers; a bare number is taken in the sender's channel.
    pub to: String,
    pub body: String,
    pub media_urls: Vec<String>,
    /// `ProfileName`; "Test User" when unset, as for simulated Cloud API users.
    pub profile_name: Option<String>,
    /// `ButtonText`: the title of the quick-reply or interactive button the user tapped. It is
    /// also the body when no body is given: WhatsApp sends the title as the message's text.
    pub button_text: Option<String>,
    /// `ButtonPayload`: the id the app gave that button.
    pub button_payload: Option<String>,
    /// A shared location (`Latitude`, `Longitude`, `Address`, `Label`).
    pub location: Option<SharedLocation>,
    /// The message the user quotes (`OriginalRepliedMessageSid`).
    pub replied_to_sid: Option<String>,
    /// The WhatsApp message type (`text`, `button`, `location`, …); worked out from the content
    /// when unset.
    pub message_type: Option<String>,
    pub forwarded: bool,
    pub frequently_forwarded: bool,
}

impl InboundText {
    /// Whether any WhatsApp-only field is set.
    fn has_whatsapp_fields(&self) -> bool {
        self.profile_name.is_some()
            || self.button_text.is_some()
            || self.button_payload.is_some()
            || self.location.is_some()
            || self.replied_to_sid.is_some()
            || self.message_type.is_some()
            || self.forwarded
            || self.frequently_forwarded
    }
}

/// A location a WhatsApp user shares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SharedLocation {
    /// Degrees north, -90 to 90.
    pub latitude: f64,
    /// Degrees east, -180 to 180.
    pub longitude: f64,
    pub address: Option<String>,
    /// The place's name.
    pub label: Option<String>,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
        mut text: InboundText,
    ) -> Result<InboundOutcome, CoreError> {
        let (from_channel, user) = text::split_channel(&text.from);
        let user = user.to_owned();
        if !text::is_e164(&user) {
            return Err(CoreError::Invalid(format!(
                "from {:?} is not a phone number in E.164 form",
                text.from
            )));
        }
        let (to_channel, business) = text::split_channel(&text.to);
        let whatsapp = from_channel.is_some_and(|c| c.eq_ignore_ascii_case("whatsapp"));
        if to_channel
            .is_some_and(|to| from_channel.is_none_or(|from| !from.eq_ignore_ascii_case(to)))
        {
            return Err(CoreError::Invalid(format!(
                "to {:?} is not in the channel of from {:?}",
                text.to, text.from
            )));
        }
        if !whatsapp && text.has_whatsapp_fields() {
            return Err(CoreError::Invalid(format!(
                "profile name, buttons, location, quoted replies and message types are WhatsApp's: from {:?} must be whatsapp:+…",
                text.from
            )));
        }
        let number = tenant.number(business).ok_or_else(|| {
            CoreError::Invalid(format!(
                "the tenant has no number {}; add it first (Numbers.AddNumber or IncomingPhoneNumbers)",
                text.to
            ))
        })?;
        let channel = if whatsapp {
            // Twilio writes both addresses `whatsapp:+…`, whatever case or form the test used;
            // the stored pair is what the 24-hour window of replies looks up.
            text.from = format!("whatsapp:{user}");
            text.to = format!("whatsapp:{business}");
            if text.body.is_empty()
                && let Some(title) = &text.button_text
            {
                text.body = title.clone();
            }
            IncomingChannel::WhatsApp(Box::new(self.whatsapp_details(tenant, &text, &user).await?))
        } else {
            IncomingChannel::Sms {
                opt_out: OptOutKeyword::of(&text.body),
            }
        };
        let account_sid = tenant.sid();
        let now = tenant.now();
        let sid = ids::sid(if text.media_urls.is_empty() {
            "SM"
        } else {
            "MM"
        });
        let message = Message {
            media_urls: text.media_urls,
            ..Message::inbound(
                &account_sid,
                sid,
                text.from.clone(),
                text.to.clone(),
                text.body,
                now,
            )
        };
        let keyword = match &channel {
            IncomingChannel::Sms { opt_out } => *opt_out,
            IncomingChannel::WhatsApp(_) => None,
        };
        self.store_inbound(&message).await?;

        let mut replies = Vec::new();
        if let Some(keyword) = keyword {
            if keyword != OptOutKeyword::Help {
                let opt_out = OptOut {
                    sender: number.phone_number.clone(),
                    recipient: user.clone(),
                };
                let opted_out = keyword == OptOutKeyword::Stop;
                self.store
                    .write(store::SetOptOut {
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
                &channel,
            )
            .await?;
        if let Some(answer) = webhook.as_ref().filter(|w| w.succeeded()) {
            let answer = answer.response_body.as_deref().unwrap_or_default();
            for reply in self.courier.message_replies(answer) {
                let new = NewMessage {
                    to: reply.to.unwrap_or_else(|| text.from.clone()),
                    from: Some(reply.from.unwrap_or_else(|| text.to.clone())),
                    body: reply.body,
                    media_urls: reply.media,
                    status_callback: reply.status_callback,
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
            .write(store::AppendEvent(NewEvent {
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

    /// Check a WhatsApp user's message and work out what Twilio's webhook says of it. `text`
    /// has its addresses normalised already.
    async fn whatsapp_details(
        &self,
        tenant: &Tenant,
        text: &InboundText,
        user: &str,
    ) -> Result<WhatsAppDetails, CoreError> {
        if let Some(location) = &text.location
            && !is_place(location.latitude, location.longitude)
        {
            return Err(CoreError::Invalid(format!(
                "the location ({}, {}) is not a latitude within ±90 and a longitude within ±180",
                location.latitude, location.longitude
            )));
        }
        if let Some(kind) = &text.message_type
            && (kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        {
            return Err(CoreError::Invalid(format!(
                "message type {kind:?} is not one of Twilio's (text, button, interactive, location, image, …)"
            )));
        }
        let replied_to = match &text.replied_to_sid {
            None => None,
            Some(sid) => {
                // The quoted message is usually the business's own (a template with quick
                // replies); when the user quotes themselves, the stored message says so.
                let sender = match self.message(tenant, sid).await {
                    Ok(quoted) => quoted.from.unwrap_or_else(|| text.to.clone()),
                    Err(CoreError::NotFound) => text.to.clone(),
                    Err(other) => return Err(other),
                };
                Some((sender, sid.clone()))
            }
        };
        let wa_id = user.trim_start_matches('+').to_owned();
        Ok(WhatsAppDetails {
            external_user_id: Some(business_scoped_user_id(&tenant.sid(), &wa_id)),
            wa_id,
            profile_name: text
                .profile_name
                .clone()
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| DEFAULT_PROFILE_NAME.into()),
            message_type: whatsapp_message_type(text),
            button_text: text.button_text.clone(),
            button_payload: text.button_payload.clone(),
            replied_to,
            location: text.location.clone(),
            forwarded: text.forwarded,
            frequently_forwarded: text.frequently_forwarded,
        })
    }

    /// Store a user's message, with its event.
    pub(in crate::core) async fn store_inbound(&self, message: &Message) -> Result<(), CoreError> {
        self.store
            .write(store::CreateMessage {
                message: message.clone(),
                job: None,
                events: vec![NewEvent {
                    account_sid: message.account_sid.clone(),
                    at: message.created_at,
                    data: EventData::MessageCreated {
                        message: message.clone(),
                    },
                }],
            })
            .await?;
        Ok(())
    }

    /// POST (or GET) Twilio's incoming-message webhook to the first hook with a URL; when it
    /// fails, to the next (the fallback URL), as Twilio does. Each attempt is recorded.
    async fn call_sms_webhooks(
        &self,
        tenant: &Tenant,
        message: &Message,
        hooks: [&Hook; 2],
        channel: &IncomingChannel,
    ) -> Result<Option<CallbackAttempt>, CoreError> {
        let mut last = None;
        for hook in hooks {
            let Some(url) = &hook.url else { continue };
            let delivery = Delivery {
                idempotency_token: format!("{}-{}", ids::hex(16), message.sid),
                resource_sid: message.sid.clone(),
                status: MessageStatus::Received.as_str().into(),
                url: url.clone(),
                method: hook.method,
                notice: Notice::TwilioIncoming {
                    message: Box::new(message.clone()),
                    channel: channel.clone(),
                },
                to: Some(message.to.clone()),
                from: message.from.clone(),
                target: None,
                attempt: 1,
                max_attempts: 1,
                retry_delay_ms: 0,
            };
            let (recorded, _) = self.send_now(tenant, &delivery).await?;
            let succeeded = recorded.succeeded();
            last = Some(recorded);
            if succeeded {
                break;
            }
        }
        Ok(last)
    }
}

/// `MessageType` when the test did not name one: what the content is. A tapped button is
/// `button` (a template's quick reply, the common case); a test simulating a reply to an
/// interactive message names `interactive` itself.
fn whatsapp_message_type(text: &InboundText) -> String {
    if let Some(kind) = &text.message_type {
        return kind.clone();
    }
    let kind = if text.location.is_some() {
        "location"
    } else if text.button_text.is_some() || text.button_payload.is_some() {
        "button"
    } else if let Some(url) = text.media_urls.first() {
        match text::media_type_of_url(url) {
            image if image.starts_with("image/") => "image",
            video if video.starts_with("video/") => "video",
            audio if audio.starts_with("audio/") => "audio",
            _ => "document",
        }
    } else {
        "text"
    };
    kind.into()
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
    fn the_message_type_follows_the_content_unless_named() {
        let text = |f: fn(&mut InboundText)| {
            let mut text = InboundText::default();
            f(&mut text);
            whatsapp_message_type(&text)
        };
        assert_eq!(text(|_| {}), "text");
        assert_eq!(text(|t| t.button_payload = Some("yes".into())), "button");
        assert_eq!(
            text(|t| t.location = Some(SharedLocation::default())),
            "location"
        );
        assert_eq!(
            text(|t| t.media_urls = vec!["https://example.com/a.jpg".into()]),
            "image"
        );
        assert_eq!(
            text(|t| t.media_urls = vec!["https://example.com/a.pdf".into()]),
            "document"
        );
        assert_eq!(
            text(|t| {
                t.button_text = Some("Yes".into());
                t.message_type = Some("interactive".into());
            }),
            "interactive"
        );
    }
}
