//! Messages as mockingbird keeps them, whatever facade created them.

use serde::{Deserialize, Serialize};

use crate::core::text;
use crate::core::time::Millis;

/// Who sent a message and how, in Twilio's vocabulary (`message_enum_direction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Inbound,
    OutboundApi,
    OutboundCall,
    OutboundReply,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::OutboundApi => "outbound-api",
            Direction::OutboundCall => "outbound-call",
            Direction::OutboundReply => "outbound-reply",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "inbound" => Direction::Inbound,
            "outbound-api" => Direction::OutboundApi,
            "outbound-call" => Direction::OutboundCall,
            "outbound-reply" => Direction::OutboundReply,
            _ => return None,
        })
    }
}

/// Twilio's `message_enum_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Queued,
    Sending,
    Sent,
    Failed,
    Delivered,
    Undelivered,
    Receiving,
    Received,
    Accepted,
    Scheduled,
    Read,
    PartiallyDelivered,
    Canceled,
}

impl MessageStatus {
    pub const ALL: [MessageStatus; 13] = [
        MessageStatus::Queued,
        MessageStatus::Sending,
        MessageStatus::Sent,
        MessageStatus::Failed,
        MessageStatus::Delivered,
        MessageStatus::Undelivered,
        MessageStatus::Receiving,
        MessageStatus::Received,
        MessageStatus::Accepted,
        MessageStatus::Scheduled,
        MessageStatus::Read,
        MessageStatus::PartiallyDelivered,
        MessageStatus::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sending => "sending",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Undelivered => "undelivered",
            MessageStatus::Receiving => "receiving",
            MessageStatus::Received => "received",
            MessageStatus::Accepted => "accepted",
            MessageStatus::Scheduled => "scheduled",
            MessageStatus::Read => "read",
            MessageStatus::PartiallyDelivered => "partially_delivered",
            MessageStatus::Canceled => "canceled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// A status after which nothing more happens to the message. Twilio refuses to delete a
    /// message before this ("Cannot delete message in state SENT"): it waits for the receipt.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            MessageStatus::Failed
                | MessageStatus::Delivered
                | MessageStatus::Undelivered
                | MessageStatus::Received
                | MessageStatus::Read
                | MessageStatus::Canceled
        )
    }

    /// Statuses whose callbacks carry `ErrorCode`.
    pub fn is_error(self) -> bool {
        matches!(self, MessageStatus::Failed | MessageStatus::Undelivered)
    }
}

/// Where and how to report status changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    pub url: String,
    pub method: HttpMethod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    #[default]
    Post,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }

    /// Twilio accepts the method names case-insensitively.
    pub fn parse(value: &str) -> Option<Self> {
        if value.eq_ignore_ascii_case("GET") {
            Some(HttpMethod::Get)
        } else if value.eq_ignore_ascii_case("POST") {
            Some(HttpMethod::Post)
        } else {
            None
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub sid: String,
    pub account_sid: String,
    pub direction: Direction,
    pub from: Option<String>,
    pub to: String,
    pub body: String,
    pub media_urls: Vec<String>,
    pub status: MessageStatus,
    pub num_segments: u32,
    pub messaging_service_sid: Option<String>,
    pub error_code: Option<u32>,
    pub error_message: Option<String>,
    pub price: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub sent_at: Option<Millis>,
    pub status_callback: Option<Callback>,
    /// What the WhatsApp Cloud API knows of the message; none for messages of Twilio's API
    /// (including its `whatsapp:` channel). Addresses of Cloud API messages are bare digits
    /// (`wa_id`s and the business's display number), as Meta writes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<WhatsAppContent>,
}

impl Message {
    /// A message a user sends to the business, `received` at `at`.
    pub fn inbound(
        account_sid: &str,
        sid: String,
        from: String,
        to: String,
        body: String,
        at: Millis,
    ) -> Self {
        Message {
            sent_at: Some(at),
            ..Message::new(
                account_sid,
                sid,
                Direction::Inbound,
                Some(from),
                to,
                body,
                at,
            )
        }
        .with_status(MessageStatus::Received)
    }

    /// A message the business sends (`direction` says how), `queued` at `at`; a message that
    /// starts otherwise (accepted, scheduled) sets its status.
    pub fn outbound(
        account_sid: &str,
        sid: String,
        direction: Direction,
        from: Option<String>,
        to: String,
        body: String,
        at: Millis,
    ) -> Self {
        Message::new(account_sid, sid, direction, from, to, body, at)
    }

    pub fn with_status(self, status: MessageStatus) -> Self {
        Message { status, ..self }
    }

    fn new(
        account_sid: &str,
        sid: String,
        direction: Direction,
        from: Option<String>,
        to: String,
        body: String,
        at: Millis,
    ) -> Self {
        Message {
            num_segments: text::segments(&body),
            sid,
            account_sid: account_sid.to_owned(),
            direction,
            from,
            to,
            body,
            media_urls: Vec::new(),
            status: MessageStatus::Queued,
            messaging_service_sid: None,
            error_code: None,
            error_message: None,
            price: None,
            created_at: at,
            updated_at: at,
            sent_at: None,
            status_callback: None,
            whatsapp: None,
        }
    }
}

/// A Cloud API message's content. The core keeps it as the facade wrote it and never looks
/// inside: the JSON is Meta's, and only the WhatsApp facade and webhooks read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatsAppContent {
    /// Meta's `type`: `text`, `interactive`, `template`, `image`, `button`, …
    pub message_type: String,
    /// The type's object (`{"body": "hi"}` for text), as JSON text.
    pub content: String,
    /// The message this one replies to (`context.message_id`, or `context.id` inbound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_id: Option<String>,
    /// `biz_opaque_callback_data`, echoed in status webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_data: Option<String>,
    /// The user's profile name, on a simulated user's messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_name: Option<String>,
    /// A template's category (`marketing`, `utility`, `authentication`), for pricing in status
    /// webhooks; none for a free-form (service) message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_category: Option<String>,
    /// The user on the other end, as known when the message was stored: their BSUID, username
    /// and whether they hide their phone number. None on messages stored before BSUIDs. Boxed:
    /// most messages are not WhatsApp ones, and every message's size pays for what it inlines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Box<crate::core::whatsapp::WhatsAppUser>>,
    /// The app addressed an outbound message by the user's BSUID (`recipient`), not by phone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub addressed_by_user_id: bool,
}

/// What a facade asks for when an app sends a message.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub to: String,
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub body: String,
    pub media_urls: Vec<String>,
    pub status_callback: Option<Callback>,
    /// `SendAt` of a scheduled message (tenant time).
    pub send_at: Option<Millis>,
    /// Twilio's `ContentSid` (`HX…`): a content template, which WhatsApp allows outside the
    /// 24-hour window.
    pub content_sid: Option<String>,
}

/// A change an app asks for on an existing message.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageUpdate {
    /// `Body=""`: the text is removed, the record stays.
    Redact,
    /// `Status=canceled` on a scheduled message.
    Cancel,
}

/// Filters of a message list. Dates compare on the calendar day of `date_sent`.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub to: Option<String>,
    pub from: Option<String>,
    /// Inclusive lower and exclusive upper bounds on `sent_at`, in ms.
    pub sent_from: Option<Millis>,
    pub sent_before: Option<Millis>,
    /// Only Twilio's messages (true), only the Cloud API's (false), or both (none).
    pub twilio_api: Option<bool>,
    pub status: Option<MessageStatus>,
    pub direction: Option<Direction>,
    pub channel: Option<Channel>,
    /// Words of the body, each matched as a word's beginning, all of them required.
    pub text: Option<String>,
}

/// A user's thread with a tenant, as the newest messages show it.
#[derive(Debug, Clone)]
pub struct Thread {
    /// The user's address (`+1…`, `whatsapp:+1…`, or a Cloud API `wa_id`).
    pub user: String,
    /// A WhatsApp Cloud API thread, rather than one over Twilio's numbers.
    pub cloud_api: bool,
    /// Its messages among those looked at.
    pub count: u32,
    pub last: Message,
}

/// The network a message went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Sms,
    Mms,
    /// The Cloud API's messages, and Twilio's `whatsapp:` addresses.
    Whatsapp,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Sms, Channel::Mms, Channel::Whatsapp];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Mms => "mms",
            Channel::Whatsapp => "whatsapp",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Channel::ALL.into_iter().find(|c| c.as_str() == value)
    }
}

impl Message {
    /// The message's channel, as the store's generated `channel` column computes it
    /// (migration 0011): the two must agree.
    pub fn channel(&self) -> Channel {
        let whatsapp = self.whatsapp.is_some()
            || self.to.starts_with("whatsapp:")
            || self
                .from
                .as_deref()
                .is_some_and(|f| f.starts_with("whatsapp:"));
        if whatsapp {
            Channel::Whatsapp
        } else if self.media_urls.is_empty() {
            Channel::Sms
        } else {
            Channel::Mms
        }
    }
}

/// Human text of Twilio's asynchronous error codes (set on a message after it was accepted).
pub fn async_error_message(code: u32) -> Option<&'static str> {
    Some(match code {
        30001 => "Queue overflow",
        30002 => "Account suspended",
        30003 => "Unreachable destination handset",
        30004 => "Message blocked",
        30005 => "Unknown destination handset",
        30006 => "Landline or unreachable carrier",
        30007 => "Message filtered",
        30008 => "Unknown error",
        30032 => "Toll-Free Number Has Not Been Verified",
        30034 => "US A2P 10DLC - Message from an Unregistered Number",
        30036 => "Validity Period Expired",
        63016 => {
            "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template."
        }
        _ => return None,
    })
}
