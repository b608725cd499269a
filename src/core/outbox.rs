//! The outbox: the webhooks the core has decided to send, as plain data — which tenant, what
//! happened, which URL — and the door they leave by. The core schedules deliveries as durable
//! jobs, retries them on its clock and records every attempt; how a delivery is encoded, signed
//! and sent, and how an app's answer is read, belong to whoever fills the [`Courier`] the core is
//! started with (the `webhooks` module, wired in by the server). The same door will carry
//! voice's TwiML fetches. Recorded attempts are read, and sent again as they were, from here.

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::core::messaging::users::{OptOutKeyword, SharedLocation};
use crate::core::messaging::{Callback, HttpMethod, Message, MessageStatus};
use crate::core::rules::Step;
use crate::core::store::{self, CallbackAttempt, Job, JobKind, NewJob};
use crate::core::tenants::{Account, Tenant, WhatsAppIdentity};
use crate::core::time::Millis;
use crate::core::voice::{Call, CallEvent, CallStatus, Document, Recording};
use crate::core::whatsapp::WhatsAppUser;
use crate::core::{Core, CoreError, ids};

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

    /// Ask the app for a call's TwiML (a [`Notice::VoiceRequest`], signed as every Twilio
    /// webhook is) and read its answer into verbs: what was sent and answered, for the record,
    /// and the document or why there is none (Twilio's 11200, 12100, 12300).
    fn fetch_twiml<'a>(
        &'a self,
        delivery: &'a Delivery,
        account: &'a Account,
    ) -> BoxFuture<'a, (Sent, Result<Document, TwimlFailure>)>;

    /// Read TwiML given inline (a call's `Twiml` parameter).
    fn parse_twiml(&self, twiml: &str) -> Result<Document, TwimlFailure>;
}

/// Why a call has no TwiML to run: Twilio's error code and what its debugger says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwimlFailure {
    /// 11200 (the URL failed), 12100 (not parseable TwiML), 12300 (bad content type), …
    pub code: u32,
    pub message: String,
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
    /// A message template's review came out (`message_template_status_update`).
    TemplateStatus(Box<TemplateStatusUpdate>),
    /// Meta's verification handshake: a GET the app must answer with the challenge.
    Verification {
        verify_token: String,
        challenge: String,
    },
    /// A call asks the app for TwiML (the first fetch, a verb's `action`, a `<Redirect>`).
    VoiceRequest(Box<VoiceRequest>),
    /// A call's progress event (`StatusCallbackEvent`).
    CallStatus(Box<CallStatusNotice>),
    /// A recording's status (`recordingStatusCallback`).
    RecordingStatus(Box<RecordingNotice>),
}

impl Notice {
    pub fn provider(&self) -> WebhookProvider {
        match self {
            Notice::MessageStatus { notify, .. } if notify.whatsapp.is_none() => {
                WebhookProvider::Twilio
            }
            Notice::TwilioIncoming { .. }
            | Notice::VoiceRequest(_)
            | Notice::CallStatus(_)
            | Notice::RecordingStatus(_) => WebhookProvider::Twilio,
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
    /// The recipient as known when the message was sent; none for a BSUID the tenant never met
    /// (and on deliveries stored before BSUIDs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<WhatsAppUser>,
    /// The BSUID the app addressed, when it sent by BSUID (`recipient`) rather than by phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addressed_user_id: Option<String>,
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
    /// The user's business-scoped user id (Twilio's `ExternalUserId`); none on deliveries
    /// stored before BSUIDs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_user_id: Option<String>,
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
    /// Who wrote: phone number (digits), BSUID, username, whether the phone is hidden.
    #[serde(default)]
    pub user: WhatsAppUser,
    pub profile_name: String,
    pub message_id: String,
    pub at: Millis,
    pub message_type: String,
    /// The type's object, as the JSON text the facade wrote.
    pub content: String,
    /// The business message the user replied to (a button tap, a quoted reply).
    pub context_id: Option<String>,
}

/// What Meta's `message_template_status_update` webhook reports about one template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateStatusUpdate {
    pub business_account_id: String,
    pub template_id: String,
    pub name: String,
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`, as Meta's API writes categories.
    pub category: String,
    /// `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, …
    pub event: String,
    /// `NONE` unless the event has one (a rejection's `INVALID_FORMAT`, …).
    pub reason: String,
    pub at: Millis,
}

/// A call's request for TwiML, with what the verb that asks for it reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoiceRequest {
    /// The call as it is when the request is made.
    pub call: Call,
    pub result: VerbResult,
    /// When it is made, on the tenant's clock.
    pub at: Millis,
}

/// What a verb posts to its `action` besides the call's parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum VerbResult {
    /// The call's first fetch, a `<Redirect>`, a fallback.
    #[default]
    Nothing,
    /// `<Gather>`: `Digits` (and `FinishedOnKey`), or `SpeechResult` and `Confidence`.
    Gathered {
        digits: Option<String>,
        finished_on_key: Option<String>,
        speech: Option<(String, f32)>,
    },
    /// `<Record>`: `RecordingUrl`, `RecordingSid`, `RecordingDuration` and `Digits` (the key
    /// that ended it, or `hangup`).
    Recorded {
        recording: Recording,
        digits: String,
    },
    /// `<Dial>`: `DialCallStatus`, `DialCallSid`, `DialCallDuration`, `DialBridged`.
    Dialed {
        status: CallStatus,
        call_sid: Option<String>,
        duration_s: Option<u32>,
        bridged: bool,
    },
}

/// A call progress event for its status callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallStatusNotice {
    /// The call as it is after the change.
    pub call: Call,
    pub event: CallEvent,
    /// Counts the call's callbacks from 0 (`SequenceNumber`).
    pub sequence_number: u32,
    pub at: Millis,
}

/// A recording's status for its `recordingStatusCallback`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingNotice {
    pub recording: Recording,
    pub at: Millis,
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
    /// The request's headers as sent, one `Name: value` a line (credentials masked).
    pub request_headers: String,
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

impl Core {
    /// The status webhook of message `sid` entering `step`'s status, with the server's retry
    /// policy: Twilio's status callback, or Meta's status webhook for a Cloud API message (none
    /// for a status Meta does not report).
    pub(in crate::core) fn status_delivery(
        &self,
        account_sid: &str,
        sid: &str,
        notify: &StatusNotify,
        step: &Step,
        at: Millis,
    ) -> Option<Delivery> {
        let (status, idempotency_token) = match &notify.whatsapp {
            Some(_) => (WhatsAppNotify::reported(step.status)?, ids::hex(32)),
            None => (step.status.as_str(), format!("{}-{}", ids::hex(16), sid)),
        };
        Some(Delivery {
            idempotency_token,
            resource_sid: sid.to_owned(),
            status: status.to_owned(),
            url: notify.callback.url.clone(),
            method: match &notify.whatsapp {
                Some(_) => HttpMethod::Post,
                None => notify.callback.method,
            },
            notice: Notice::MessageStatus {
                account_sid: account_sid.to_owned(),
                sid: sid.to_owned(),
                notify: Box::new(notify.clone()),
                step: step.clone(),
                at,
            },
            to: Some(notify.to.clone()),
            from: notify.from.clone(),
            target: None,
            attempt: 1,
            max_attempts: self.settings.retry_attempts.max(1),
            retry_delay_ms: self.settings.retry_delay.as_millis() as u64,
        })
    }

    /// Send one scheduled webhook attempt and record it, with its retry if it failed and
    /// attempts remain. A delivery whose message was deleted or canceled meanwhile has already
    /// left the timers; one that was under way still goes out once, and its record finds the
    /// job row gone and schedules no retry.
    pub(in crate::core) async fn deliver(
        &self,
        job: &Job,
        delivery: &Delivery,
    ) -> Result<(), CoreError> {
        let Some(tenant) = self.tenants.get(&job.account_sid) else {
            return Ok(());
        };
        let sent = self.courier.send(delivery, &tenant.account()).await;
        let at = tenant.now();
        let attempt = attempt_record(&job.account_sid, delivery, sent, at);
        let retry =
            (!attempt.succeeded() && delivery.attempt < delivery.max_attempts).then(|| NewJob {
                account_sid: job.account_sid.clone(),
                resource_sid: delivery.resource_sid.clone(),
                due_at: at + delivery.retry_delay_ms as Millis,
                kind: JobKind::Deliver(Delivery {
                    attempt: delivery.attempt + 1,
                    ..delivery.clone()
                }),
            });
        let written = self
            .store
            .write(store::RecordAttempt {
                job_id: Some(job.id),
                attempt,
                retry,
                to: delivery.to.clone(),
                from: delivery.from.clone(),
            })
            .await?;
        self.timers.add(written.jobs);
        Ok(())
    }

    /// Send a webhook now, once, outside the scheduler (a user's message, a handshake), and
    /// record the attempt with its event. Returns the record and what the courier reported.
    pub(in crate::core) async fn send_now(
        &self,
        tenant: &Tenant,
        delivery: &Delivery,
    ) -> Result<(CallbackAttempt, Sent), CoreError> {
        let sent = self.courier.send(delivery, &tenant.account()).await;
        let attempt = attempt_record(&tenant.sid(), delivery, sent.clone(), tenant.now());
        let recorded = self
            .record_attempt(attempt, delivery.to.clone(), delivery.from.clone())
            .await?;
        Ok((recorded, sent))
    }

    /// Recorded webhook attempts of a tenant (about one message, when given), newest first.
    pub async fn callback_attempts(
        &self,
        tenant: &Tenant,
        resource_sid: Option<&str>,
        limit: u32,
    ) -> Result<Vec<CallbackAttempt>, CoreError> {
        self.callback_attempts_before(tenant, resource_sid, false, i64::MAX, limit)
            .await
    }

    /// The next `limit` attempts older than the attempt `before_id`, newest first; only those
    /// the app did not accept (no answer, or not a 2xx) when `failed_only`.
    pub async fn callback_attempts_before(
        &self,
        tenant: &Tenant,
        resource_sid: Option<&str>,
        failed_only: bool,
        before_id: i64,
        limit: u32,
    ) -> Result<Vec<CallbackAttempt>, CoreError> {
        let (account_sid, resource_sid) = (tenant.sid(), resource_sid.map(str::to_owned));
        Ok(self
            .store
            .read(move |conn| {
                store::callback_attempts(
                    conn,
                    &account_sid,
                    resource_sid.as_deref(),
                    failed_only,
                    before_id,
                    limit,
                )
            })
            .await?)
    }

    /// Send a recorded webhook attempt again, now, as it was (same URL, method, parameters and
    /// idempotency token, signed anew); record and return the new attempt. No retries follow.
    pub async fn redeliver_callback(
        &self,
        tenant: &Tenant,
        attempt_id: i64,
    ) -> Result<CallbackAttempt, CoreError> {
        let account_sid = tenant.sid();
        let original = self
            .store
            .read(move |conn| store::callback_attempt(conn, &account_sid, attempt_id))
            .await?
            .ok_or(CoreError::NotFound)?;
        let sent = self.courier.resend(&original, &tenant.account()).await;
        // The attempt's event names the message's addresses, as the first attempt's did.
        let (to, from) = match self.message(tenant, &original.resource_sid).await {
            Ok(message) => (Some(message.to), message.from),
            Err(CoreError::NotFound) => (None, None),
            Err(other) => return Err(other),
        };
        let attempt = CallbackAttempt {
            id: 0,
            url: sent.url,
            request_headers: sent.request_headers,
            request_body: sent.request_body,
            attempt: original.attempt + 1,
            response_status: sent.response_status.map(i64::from),
            response_body: sent.response_body,
            error: sent.error,
            latency_ms: sent.latency_ms as i64,
            created_at: tenant.now(),
            ..original.clone()
        };
        self.record_attempt(attempt, to, from).await
    }

    /// Store a webhook attempt made outside the scheduler, and raise its event.
    pub(in crate::core) async fn record_attempt(
        &self,
        attempt: CallbackAttempt,
        to: Option<String>,
        from: Option<String>,
    ) -> Result<CallbackAttempt, CoreError> {
        Ok(self
            .store
            .write(store::RecordAttempt {
                job_id: None,
                attempt,
                retry: None,
                to,
                from,
            })
            .await?
            .attempt)
    }
}

/// What a webhook attempt sent and what came back, as stored.
pub(in crate::core) fn attempt_record(
    account_sid: &str,
    delivery: &Delivery,
    sent: Sent,
    at: Millis,
) -> CallbackAttempt {
    warn_if_failed(account_sid, delivery, &sent);
    CallbackAttempt {
        id: 0,
        account_sid: account_sid.to_owned(),
        resource_sid: delivery.resource_sid.clone(),
        status: delivery.status.clone(),
        url: sent.url,
        method: delivery.method.as_str().into(),
        request_headers: sent.request_headers,
        request_body: sent.request_body,
        attempt: i64::from(delivery.attempt),
        response_status: sent.response_status.map(i64::from),
        response_body: sent.response_body,
        error: sent.error,
        latency_ms: sent.latency_ms as i64,
        created_at: at,
        idempotency_token: delivery.idempotency_token.clone(),
        provider: delivery.provider(),
    }
}

/// A failed attempt, in the log as well as in the events: tenant, URL, outcome, attempt n of m.
fn warn_if_failed(account_sid: &str, delivery: &Delivery, sent: &Sent) {
    let outcome = match (sent.response_status, &sent.error) {
        (Some(status), _) if (200..300).contains(&status) => return,
        (Some(status), _) => format!("answered {status}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "no answer".to_owned(),
    };
    tracing::warn!(
        target: "mockingbird::webhooks",
        tenant = %account_sid,
        url = %sent.url,
        %outcome,
        "{} webhook ({}) failed: attempt {} of {}",
        delivery.resource_sid,
        delivery.status,
        delivery.attempt,
        delivery.max_attempts,
    );
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

    fn fetch_twiml<'a>(
        &'a self,
        delivery: &'a Delivery,
        _: &'a Account,
    ) -> BoxFuture<'a, (Sent, Result<Document, TwimlFailure>)> {
        let failure = TwimlFailure {
            code: 11200,
            message: "unit tests send no webhooks".into(),
        };
        Box::pin(std::future::ready((
            unreachable_sent(&delivery.url),
            Err(failure),
        )))
    }

    fn parse_twiml(&self, _: &str) -> Result<Document, TwimlFailure> {
        Err(TwimlFailure {
            code: 12100,
            message: "unit tests read no TwiML".into(),
        })
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
