//! The outbox: the webhooks the core has decided to send, as plain data — which tenant, what
//! happened, which URL — and the door they leave by. The core schedules deliveries as durable
//! jobs, retries them on its clock and records every attempt; how a delivery is encoded, signed
//! and sent, and how an app's answer is read, belong to whoever fills the [`Courier`] the core is
//! started with (the `webhooks` module, wired in by the server). The same door will carry
//! voice's TwiML fetches.

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::inbound::{OptOutKeyword, SharedLocation};
use super::messages::{Callback, HttpMethod, Message, MessageStatus};
use super::rules::Step;
use super::store::CallbackAttempt;
use super::tenants::{Account, WhatsAppIdentity};
use super::time::Millis;

/// Sends what the core decides to send. Implementations never decide anything: they encode the
/// notice as the provider does, sign it with the tenant's secret, send it, and report.
pub trait Courier: Send + Sync + 'static {
    /// Send one delivery, encoded and signed as its provider does.
    fn send<'a>(&'a self, delivery: &'a Delivery, account: &'a Account) -> BoxFuture<'a, Sent>;

    /// Send a recorded request again as it was (URL, method, body, idempotency token), signed
    /// anew: the account's secret may have changed since.
    fn resend<'a>(
        &'a self,
        recorded: &'a CallbackAttempt,
        account: &'a Account,
    ) -> BoxFuture<'a, Sent>;

    /// The replies an app's answer to an incoming message asks for (TwiML's `<Message>`s);
    /// none when the answer is not one.
    fn message_replies(&self, answer: &str) -> Vec<MessageReply>;
}

/// Whose webhook a delivery is, which says how it is encoded and signed: Twilio's form signed
/// with the auth token, or Meta's JSON signed with the app secret.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookProvider {
    #[default]
    Twilio,
    Meta,
}

impl WebhookProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookProvider::Twilio => "twilio",
            WebhookProvider::Meta => "meta",
        }
    }

    pub fn parse(value: &str) -> Self {
        if value == "meta" {
            WebhookProvider::Meta
        } else {
            WebhookProvider::Twilio
        }
    }
}

/// One webhook delivery, with everything needed to send it again after a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The same on every attempt (Twilio sends it as `I-Twilio-Idempotency-Token`).
    pub idempotency_token: String,
    pub resource_sid: String,
    /// What the webhook reports, for records and the dashboard (`delivered`, `received`, …).
    pub status: String,
    pub url: String,
    pub method: HttpMethod,
    pub notice: Notice,
    /// The message's recipient and sender, for the attempt's record and event filters.
    pub to: Option<String>,
    pub from: Option<String>,
    /// Sent to one of the seed's proxy targets: marked as a test, with the target's timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetTreatment>,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub max_attempts: u32,
    pub retry_delay_ms: u64,
}

impl Delivery {
    pub fn provider(&self) -> WebhookProvider {
        self.notice.provider()
    }
}

/// How a proxy target is sent to, besides its URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetTreatment {
    /// Say the request is a test (the seed's `X-Mock-Testing: true`).
    pub mock_testing: bool,
    /// Wait this long for the answer instead of the server's webhook timeout.
    pub timeout_ms: Option<u64>,
}

/// What a webhook tells the app, as the core knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// A message entered `step.status`: Twilio's status callback, or Meta's status webhook for
    /// a Cloud API message.
    MessageStatus {
        account_sid: String,
        sid: String,
        notify: Box<StatusNotify>,
        step: Step,
        at: Millis,
    },
    /// A user's message to one of the tenant's numbers through Twilio (SMS, MMS or Twilio's
    /// WhatsApp channel): Twilio's incoming-message webhook.
    TwilioIncoming {
        message: Box<Message>,
        channel: IncomingChannel,
    },
    /// A Cloud API user's message: Meta's messages webhook.
    WhatsAppIncoming(Box<WhatsAppIncoming>),
    /// Meta's verification handshake: a GET the app must answer with the challenge.
    Verification {
        verify_token: String,
        challenge: String,
    },
}

impl Notice {
    pub fn provider(&self) -> WebhookProvider {
        match self {
            Notice::MessageStatus { notify, .. } if notify.whatsapp.is_none() => {
                WebhookProvider::Twilio
            }
            Notice::TwilioIncoming { .. } => WebhookProvider::Twilio,
            _ => WebhookProvider::Meta,
        }
    }
}

/// Where a message's status changes are reported, captured when the message was created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusNotify {
    pub callback: Callback,
    pub from: Option<String>,
    pub to: String,
    pub messaging_service_sid: Option<String>,
    /// Set for a Cloud API message: its status webhooks are Meta's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<WhatsAppNotify>,
}

/// What a Cloud API status webhook carries besides the status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatsAppNotify {
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub business_account_id: String,
    /// The app's `biz_opaque_callback_data` for the message.
    pub callback_data: Option<String>,
    /// `service` for a free-form message; a template's category otherwise.
    pub category: String,
    /// The conversation the message opened or joined (hex, as Meta's ids are).
    pub conversation_id: String,
}

impl WhatsAppNotify {
    /// The status a Cloud API status webhook names for `status`, or none for one Meta does not
    /// report (`accepted`, `queued`: the API's answer already said so). Undelivered is failed.
    pub fn reported(status: MessageStatus) -> Option<&'static str> {
        match status {
            MessageStatus::Sent => Some("sent"),
            MessageStatus::Delivered => Some("delivered"),
            MessageStatus::Read => Some("read"),
            MessageStatus::Failed | MessageStatus::Undelivered => Some("failed"),
            _ => None,
        }
    }
}

/// The channel a user's message came in on through Twilio, with what only that channel's
/// webhook carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncomingChannel {
    /// SMS or MMS, with the opt-out keyword the body is, if any.
    Sms {
        opt_out: Option<OptOutKeyword>,
    },
    WhatsApp(Box<WhatsAppDetails>),
}

/// The WhatsApp side of a user's message through Twilio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatsAppDetails {
    /// The user's number without the `+`.
    pub wa_id: String,
    pub profile_name: String,
    pub message_type: String,
    /// The title of the button the user tapped.
    pub button_text: Option<String>,
    /// The id the app gave that button.
    pub button_payload: Option<String>,
    /// The quoted message's sender and SID.
    pub replied_to: Option<(String, String)>,
    pub location: Option<SharedLocation>,
    pub forwarded: bool,
    pub frequently_forwarded: bool,
}

/// A Cloud API user's message, as the messages webhook reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatsAppIncoming {
    /// The business the user wrote to.
    pub identity: WhatsAppIdentity,
    /// The user's `wa_id`: digits.
    pub wa_id: String,
    pub profile_name: String,
    pub message_id: String,
    pub at: Millis,
    pub message_type: String,
    /// The type's object, as the JSON text the facade wrote.
    pub content: String,
    /// The business message the user replied to (a button tap, a quoted reply).
    pub context_id: Option<String>,
}

/// One reply an app's answer asks for: a message from the number the user wrote to (unless it
/// names another), back to the user (unless it names another).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageReply {
    pub to: Option<String>,
    pub from: Option<String>,
    pub body: String,
    pub media: Vec<String>,
    /// Where the reply's statuses go.
    pub status_callback: Option<Callback>,
}

/// What one attempt sent and got back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sent {
    /// The URL requested (with the parameters, for a GET).
    pub url: String,
    pub request_body: String,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
    /// Why no answer came (connection refused, timeout, …).
    pub error: Option<String>,
    /// No answer came in time (the seed's proxy answered this with 504, other failures with
    /// 502).
    pub timed_out: bool,
    pub latency_ms: u64,
}

/// The courier of the core's unit tests, which send no webhooks: every send fails as an
/// unreachable app would, and no answer holds replies.
#[cfg(test)]
pub(crate) struct Unreachable;

#[cfg(test)]
impl Courier for Unreachable {
    fn send<'a>(&'a self, delivery: &'a Delivery, _: &'a Account) -> BoxFuture<'a, Sent> {
        Box::pin(std::future::ready(unreachable_sent(&delivery.url)))
    }

    fn resend<'a>(&'a self, recorded: &'a CallbackAttempt, _: &'a Account) -> BoxFuture<'a, Sent> {
        Box::pin(std::future::ready(unreachable_sent(&recorded.url)))
    }

    fn message_replies(&self, _: &str) -> Vec<MessageReply> {
        Vec::new()
    }
}

#[cfg(test)]
fn unreachable_sent(url: &str) -> Sent {
    Sent {
        url: url.to_owned(),
        error: Some("unit tests send no webhooks".into()),
        ..Sent::default()
    }
}
