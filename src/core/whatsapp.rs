//! The WhatsApp Cloud API's decisions, whichever facade asks: who may be messaged (a test
//! number's allow list, the 24-hour customer-service window), which templates exist, what the
//! rules say; a simulated user's messages delivered to the app's webhook; the verification
//! handshake. Message content is JSON text the WhatsApp facade wrote; the core stores and
//! forwards it without reading it.

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::events::{EventData, NewEvent};
use super::messages::{Callback, Direction, HttpMethod, Message, MessageStatus, WhatsAppContent};
use super::messaging::respond_after;
use super::outbox::{
    Delivery, Notice, Sent, StatusNotify, TargetTreatment, WhatsAppIncoming, WhatsAppNotify,
};
use super::rules::{self, Decision, Outcome, Rejection, Step, Subject};
use super::store::{self, CallbackAttempt};
use super::tenants::{Tenant, WhatsAppIdentity, WhatsAppTemplate, WindowPolicy};
use super::time::Millis;
use super::{Core, CoreError, ids, text};

/// The customer-service window: a user's message lets the business write freely for 24 hours.
pub const WINDOW_MS: Millis = 24 * 3600 * 1000;

/// A message an app sends through `POST /{version}/{phone-number-id}/messages`, validated.
#[derive(Debug, Clone, Default)]
pub struct WhatsAppSend {
    /// The recipient's `wa_id`: digits.
    pub to: String,
    pub message_type: String,
    /// The type's object as JSON text.
    pub content: String,
    pub context_id: Option<String>,
    pub callback_data: Option<String>,
    pub template: Option<TemplateUse>,
    /// An uploaded media id the message sends.
    pub media: Option<MediaUse>,
    /// Every visible text of the message, for rules, filters and lists.
    pub summary: String,
}

/// A media id a message sends, and where in the message it sits, in Graph's notation
/// (`image['id']`, `template['components'][0]['parameters'][0]['image']['id']`), for the refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaUse {
    pub id: String,
    pub path: String,
}

/// A template message's name, language and how many body parameters it fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateUse {
    pub name: String,
    pub language: String,
    pub body_parameters: u32,
}

/// A simulated user's message to the tenant's business number.
#[derive(Debug, Clone, Default)]
pub struct WhatsAppInbound {
    /// The user's number (digits, or `+` and digits).
    pub from: String,
    pub profile_name: Option<String>,
    /// Meta's inbound `type`: `text`, `button`, `interactive`, `location`, `image`, …
    pub message_type: String,
    /// The type's object as JSON text.
    pub content: String,
    /// The business message the user answers (a tapped button, a quoted reply).
    pub context_id: Option<String>,
    /// Every visible text of it, stored as the message's body.
    pub summary: String,
}

/// Where a simulated message goes instead of the tenant's webhook URL: one of the seed's proxy
/// targets.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    pub url: String,
    /// Send `X-Mock-Testing: true`, which the seed's bots read as "this is a test".
    pub mock_testing: bool,
    pub timeout: Option<Duration>,
}

/// The seed's proxy targets: webhook URLs by name (`local: http://app:8000/bot/webhook`) that a
/// simulated user's message may go to instead of the tenant's webhook URL, and how long each is
/// given to answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProxyTargets {
    pub urls: std::collections::BTreeMap<String, String>,
    pub timeout: Duration,
}

impl ProxyTargets {
    /// A target by name, or a URL given in its place, treated as the seed's proxy treated its
    /// targets: `X-Mock-Testing: true`, and the targets' timeout to answer. An unknown name is
    /// refused with a sentence naming the configured ones.
    pub fn resolve(&self, name_or_url: &str) -> Result<WebhookTarget, CoreError> {
        let url = if text::is_http_url(name_or_url) {
            name_or_url.to_owned()
        } else {
            self.urls.get(name_or_url).cloned().ok_or_else(|| {
                let known: Vec<&str> = self.urls.keys().map(String::as_str).collect();
                CoreError::Invalid(format!(
                    "unknown target {name_or_url:?}: give an http(s) URL or a name configured under whatsapp.targets (known: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ))
            })?
        };
        Ok(WebhookTarget {
            url,
            mock_testing: true,
            timeout: Some(self.timeout),
        })
    }
}

/// What became of a simulated message.
#[derive(Debug, Clone)]
pub struct WhatsAppInboundOutcome {
    pub message: Message,
    /// The webhook request and the app's answer; none when there is nowhere to send it.
    pub webhook: Option<CallbackAttempt>,
    pub delivery: InboundDelivery,
    /// How long the app was given to answer.
    pub waited: Duration,
}

/// How a simulated message's webhook went, as the seed's proxy told the cases apart (a 502 for
/// an unreachable app, a 504 for a slow one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundDelivery {
    /// No target and no webhook URL: the message is stored, nothing was sent.
    NoWebhook,
    /// The app answered, with any HTTP status.
    Answered,
    Unreachable,
    TimedOut,
}

impl InboundDelivery {
    fn of(sent: Option<&Sent>) -> Self {
        match sent {
            None => InboundDelivery::NoWebhook,
            Some(sent) if sent.response_status.is_some() => InboundDelivery::Answered,
            Some(sent) if sent.timed_out => InboundDelivery::TimedOut,
            Some(_) => InboundDelivery::Unreachable,
        }
    }
}

/// The verification handshake's result.
#[derive(Debug, Clone)]
pub struct Verification {
    pub challenge: String,
    pub attempt: CallbackAttempt,
    /// The app answered 200 with the bare challenge.
    pub echoed: bool,
}

/// A change to a tenant's WhatsApp settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct WhatsAppUpdate {
    /// `Some(None)` removes the webhook URL.
    pub webhook_url: Option<Option<String>>,
    pub window: Option<WindowPolicy>,
    /// `Some(None)` ends the test-number mode.
    pub allowed_recipients: Option<Option<Vec<String>>>,
    pub templates: Option<Vec<WhatsAppTemplate>>,
    /// Run the verification handshake against the webhook URL once the settings are stored.
    pub verify_webhook: bool,
}

/// The settings after an update, and the handshake's result when one was asked for.
#[derive(Debug, Clone)]
pub struct WhatsAppUpdated {
    pub identity: WhatsAppIdentity,
    pub verification: Option<Verification>,
}

/// Digits only: Meta's `wa_id` form of a phone number.
pub fn wa_id(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

impl Core {
    /// One of the seed's proxy targets, by name or as a URL (see [`ProxyTargets::resolve`]).
    pub fn whatsapp_target(&self, name_or_url: &str) -> Result<WebhookTarget, CoreError> {
        self.settings.proxy_targets.resolve(name_or_url)
    }

    /// The tenant whose business number has this id.
    pub fn whatsapp_tenant(&self, phone_number_id: &str) -> Option<std::sync::Arc<Tenant>> {
        self.tenants.by_phone_number_id(phone_number_id)
    }

    /// Send a Cloud API message: the allow list, the template registry, the window and the
    /// rules decide; the message is stored with its lifecycle (sent → delivered → read by
    /// default), whose status webhooks go to the tenant's webhook URL.
    pub async fn send_whatsapp(
        &self,
        tenant: &Tenant,
        send: WhatsAppSend,
    ) -> Result<Message, CoreError> {
        if let Some(media) = &send.media {
            self.check_sendable_media(tenant, media).await?;
        }
        let identity = tenant.account().whatsapp;
        let account_sid = tenant.sid();
        if let Some(allowed) = &identity.allowed_recipients
            && !allowed.iter().any(|number| wa_id(number) == send.to)
        {
            return Err(CoreError::Rejected(Rejection::new(
                400,
                131030,
                "Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again.",
            )));
        }
        let category = match &send.template {
            Some(used) => template_category(&identity, used)?,
            None => "service".to_owned(),
        };
        let business = identity.business_number();
        let now = tenant.now();
        let window_closed = send.template.is_none()
            && identity.window != WindowPolicy::Off
            && !self.window_open(tenant, &send.to, &business, now).await?;
        if window_closed && identity.window == WindowPolicy::Reject {
            return Err(CoreError::Rejected(outside_window()));
        }

        let decision = tenant.with_rules(|book| {
            book.decide(Subject {
                channel: "whatsapp",
                to: &send.to,
                from: Some(&business),
                body: &send.summary,
            })
        });
        let (script, latency_ms) = match &decision {
            Some(Decision {
                rule,
                outcome: Outcome::Reject(rejection),
            }) => {
                self.record_rejection(tenant, &rule.id, &send.to, rejection)
                    .await?;
                respond_after(rule.latency_ms).await;
                return Err(CoreError::Rejected(rejection.clone()));
            }
            _ if window_closed => (
                vec![Step {
                    error_message: Some(outside_window().message),
                    ..Step::failing(MessageStatus::Failed, self.step_delay_ms(), 131047)
                }],
                0,
            ),
            Some(Decision {
                rule,
                outcome: Outcome::Accept { script },
            }) => (script.clone(), rule.latency_ms),
            None if self.settings.default_succeeds => (rules::read_script(self.step_delay_ms()), 0),
            // Meta's "Message undeliverable".
            None => (
                vec![Step::failing(
                    MessageStatus::Failed,
                    self.step_delay_ms(),
                    131026,
                )],
                0,
            ),
        };

        let sid = ids::wamid(&send.to, true);
        let callback = identity.webhook_url.clone().map(|url| Callback {
            url,
            method: HttpMethod::Post,
        });
        let message = Message {
            sid: sid.clone(),
            account_sid: account_sid.clone(),
            direction: Direction::OutboundApi,
            from: Some(business.clone()),
            to: send.to.clone(),
            num_segments: 1,
            body: send.summary,
            media_urls: Vec::new(),
            status: MessageStatus::Accepted,
            messaging_service_sid: None,
            error_code: None,
            error_message: None,
            price: None,
            created_at: now,
            updated_at: now,
            sent_at: None,
            status_callback: callback,
            whatsapp: Some(WhatsAppContent {
                message_type: send.message_type,
                content: send.content,
                context_id: send.context_id,
                callback_data: send.callback_data,
                profile_name: None,
                template_category: send.template.map(|_| category),
            }),
        };
        self.store_outbound(tenant, &message, script, decision)
            .await?;
        respond_after(latency_ms).await;
        Ok(message)
    }

    /// Refuse a message whose media id the tenant never uploaded, or whose upload expired, as
    /// the send call does: 400, code 100, `Param image['id'] is not a valid whatsapp business
    /// account media attachment ID` (the sentence in many apps' logs and error handlers). A
    /// media id of the wrong kind (a PDF's in an image message) passes: Meta's answer to that
    /// is not on record.
    async fn check_sendable_media(
        &self,
        tenant: &Tenant,
        media: &MediaUse,
    ) -> Result<(), CoreError> {
        match self.media(tenant, &media.id).await {
            Err(CoreError::NotFound) => Err(CoreError::Rejected(Rejection::new(
                400,
                100,
                format!(
                    "Param {} is not a valid whatsapp business account media attachment ID",
                    media.path
                ),
            ))),
            other => other.map(|_| ()),
        }
    }

    /// Where a message's status changes are reported: Meta's webhook for a Cloud API message
    /// (to the tenant's webhook URL as it stood when the message was sent), Twilio's status
    /// callback otherwise.
    pub(super) fn status_notify(&self, tenant: &Tenant, message: &Message) -> Option<StatusNotify> {
        let callback = message.status_callback.clone()?;
        let whatsapp = message.whatsapp.as_ref().map(|content| {
            let identity = tenant.account().whatsapp;
            WhatsAppNotify {
                conversation_id: conversation_id(&message.account_sid, &message.to),
                phone_number_id: identity.phone_number_id.clone(),
                display_phone_number: identity.business_number(),
                business_account_id: identity.business_account_id,
                callback_data: content.callback_data.clone(),
                category: content
                    .template_category
                    .clone()
                    .unwrap_or_else(|| "service".into()),
            }
        });
        Some(StatusNotify {
            callback,
            from: message.from.clone(),
            to: message.to.clone(),
            messaging_service_sid: message.messaging_service_sid.clone(),
            whatsapp,
        })
    }

    /// Whether `user` wrote to `business` within the last 24 hours of tenant time. Addresses as
    /// the messages store them.
    pub(super) async fn window_open(
        &self,
        tenant: &Tenant,
        user: &str,
        business: &str,
        now: Millis,
    ) -> Result<bool, CoreError> {
        let (account_sid, user, business) = (tenant.sid(), user.to_owned(), business.to_owned());
        let last = self
            .store
            .read(move |conn| store::last_inbound_at(conn, &account_sid, &user, &business))
            .await?;
        Ok(last.is_some_and(|at| now - at < WINDOW_MS))
    }

    async fn record_rejection(
        &self,
        tenant: &Tenant,
        rule_id: &str,
        to: &str,
        rejection: &Rejection,
    ) -> Result<(), CoreError> {
        self.store
            .write(store::AppendEvent(NewEvent {
                account_sid: tenant.sid(),
                at: tenant.now(),
                data: EventData::RuleMatched {
                    rule_id: rule_id.to_owned(),
                    sid: None,
                    to: to.to_owned(),
                    outcome: Outcome::Reject(rejection.clone()),
                },
            }))
            .await?;
        Ok(())
    }

    /// The app marked a user's message as read (`"status": "read"`): the message's status
    /// becomes `read`, evented. A message the tenant never received is not found.
    pub async fn mark_whatsapp_read(
        &self,
        tenant: &Tenant,
        message_id: &str,
    ) -> Result<Message, CoreError> {
        let message = self.message(tenant, message_id).await?;
        if message.whatsapp.is_none() || message.direction != Direction::Inbound {
            return Err(CoreError::NotFound);
        }
        if message.status == MessageStatus::Read {
            return Ok(message);
        }
        self.set_message_status(tenant, message_id, MessageStatus::Read, None, None)
            .await
    }

    /// A simulated user writes to the tenant's business number: the message is stored (opening
    /// the 24-hour window) and POSTed to the app as Meta's signed webhook — to the tenant's
    /// webhook URL, or to `target`. Waits for the app's answer.
    pub async fn receive_whatsapp(
        &self,
        tenant: &Tenant,
        inbound: WhatsAppInbound,
        target: Option<WebhookTarget>,
    ) -> Result<WhatsAppInboundOutcome, CoreError> {
        let user = wa_id(&inbound.from);
        if user.is_empty() || user.len() > 15 || inbound.from.trim_start_matches('+') != user {
            return Err(CoreError::Invalid(format!(
                "from {:?} is not a phone number: give digits, with or without a leading +",
                inbound.from
            )));
        }
        if inbound.message_type.is_empty() {
            return Err(CoreError::Invalid("the message has no type".into()));
        }
        let identity = tenant.account().whatsapp;
        let account_sid = tenant.sid();
        let now = tenant.now();
        let profile_name = inbound
            .profile_name
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| super::inbound::DEFAULT_PROFILE_NAME.into());
        let message = Message {
            sid: ids::wamid(&user, false),
            account_sid: account_sid.clone(),
            direction: Direction::Inbound,
            from: Some(user.clone()),
            to: identity.business_number(),
            num_segments: 1,
            body: inbound.summary,
            media_urls: Vec::new(),
            status: MessageStatus::Received,
            messaging_service_sid: None,
            error_code: None,
            error_message: None,
            price: None,
            created_at: now,
            updated_at: now,
            sent_at: Some(now),
            status_callback: None,
            whatsapp: Some(WhatsAppContent {
                message_type: inbound.message_type.clone(),
                content: inbound.content.clone(),
                context_id: inbound.context_id.clone(),
                callback_data: None,
                profile_name: Some(profile_name.clone()),
                template_category: None,
            }),
        };
        self.store_inbound(&message).await?;

        let target = target.or_else(|| {
            identity.webhook_url.clone().map(|url| WebhookTarget {
                url,
                mock_testing: false,
                timeout: None,
            })
        });
        let waited = target
            .as_ref()
            .and_then(|t| t.timeout)
            .unwrap_or(self.settings.webhook_timeout);
        let sent = match target {
            None => None,
            Some(target) => {
                let delivery = Delivery {
                    idempotency_token: ids::hex(32),
                    resource_sid: message.sid.clone(),
                    status: MessageStatus::Received.as_str().into(),
                    url: target.url.clone(),
                    method: HttpMethod::Post,
                    notice: Notice::WhatsAppIncoming(Box::new(WhatsAppIncoming {
                        identity: identity.clone(),
                        wa_id: user.clone(),
                        profile_name,
                        message_id: message.sid.clone(),
                        at: now,
                        message_type: inbound.message_type,
                        content: inbound.content,
                        context_id: inbound.context_id,
                    })),
                    to: Some(message.to.clone()),
                    from: Some(user.clone()),
                    target: Some(TargetTreatment {
                        mock_testing: target.mock_testing,
                        timeout_ms: target.timeout.map(|t| t.as_millis() as u64),
                    }),
                    attempt: 1,
                    max_attempts: 1,
                    retry_delay_ms: 0,
                };
                Some(self.send_now(tenant, &delivery).await?)
            }
        };
        let delivery = InboundDelivery::of(sent.as_ref().map(|(_, sent)| sent));
        let webhook = sent.map(|(recorded, _)| recorded);
        self.store
            .write(store::AppendEvent(NewEvent {
                account_sid,
                at: tenant.now(),
                data: EventData::InboundDelivered {
                    message: Box::new(message.clone()),
                    webhook: webhook.clone().map(Box::new),
                    reply_sids: Vec::new(),
                    opt_out_type: None,
                },
            }))
            .await?;
        Ok(WhatsAppInboundOutcome {
            message,
            delivery,
            webhook,
            waited,
        })
    }

    /// Every Cloud API message between the tenant's business number and `user`, oldest first.
    pub async fn whatsapp_conversation(
        &self,
        tenant: &Tenant,
        user: &str,
        limit: u32,
    ) -> Result<Vec<Message>, CoreError> {
        let (account_sid, user) = (tenant.sid(), wa_id(user));
        Ok(self
            .store
            .read(move |conn| store::whatsapp_conversation(conn, &account_sid, &user, limit))
            .await?)
    }

    /// Meta's verification handshake against `url` (the tenant's webhook URL when none): a GET
    /// with `hub.mode=subscribe`, the verify token and a fresh challenge. Recorded as a webhook
    /// attempt.
    pub async fn verify_whatsapp_webhook(
        &self,
        tenant: &Tenant,
        url: Option<String>,
    ) -> Result<Verification, CoreError> {
        let identity = tenant.account().whatsapp;
        let url = url.or(identity.webhook_url).ok_or_else(|| {
            CoreError::FailedPrecondition(
                "the tenant has no WhatsApp webhook URL: set one, or give the URL to verify".into(),
            )
        })?;
        check_http_url(&url)?;
        // Meta's challenge is an integer-like string.
        let challenge = ids::digits(10);
        let delivery = Delivery {
            idempotency_token: ids::hex(32),
            resource_sid: identity.phone_number_id.clone(),
            status: "verification".into(),
            url,
            method: HttpMethod::Get,
            notice: Notice::Verification {
                verify_token: identity.verify_token.clone(),
                challenge: challenge.clone(),
            },
            to: None,
            from: None,
            target: None,
            attempt: 1,
            max_attempts: 1,
            retry_delay_ms: 0,
        };
        let (attempt, sent) = self.send_now(tenant, &delivery).await?;
        let echoed = sent.response_status == Some(200)
            && sent.response_body.as_deref().map(str::trim) == Some(challenge.as_str());
        Ok(Verification {
            challenge,
            attempt,
            echoed,
        })
    }

    /// Change a tenant's WhatsApp settings, then, if asked, run the verification handshake
    /// against the webhook URL. A request that cannot be carried out (a bad URL, bad templates,
    /// a handshake with no URL to run it against) changes nothing.
    pub async fn update_whatsapp(
        &self,
        tenant: &Tenant,
        update: WhatsAppUpdate,
    ) -> Result<WhatsAppUpdated, CoreError> {
        let mut account = tenant.account();
        let whatsapp = &mut account.whatsapp;
        if let Some(url) = update.webhook_url {
            if let Some(url) = &url {
                check_http_url(url)?;
            }
            whatsapp.webhook_url = url;
        }
        if update.verify_webhook && whatsapp.webhook_url.is_none() {
            return Err(CoreError::FailedPrecondition(
                "verify_webhook needs a webhook URL: set webhook_url, or give the tenant one first"
                    .into(),
            ));
        }
        if let Some(window) = update.window {
            whatsapp.window = window;
        }
        if let Some(allowed) = update.allowed_recipients {
            whatsapp.allowed_recipients = allowed;
        }
        if let Some(templates) = update.templates {
            whatsapp.templates = normalized_templates(templates)?;
        }
        account.updated_at = super::time::wall_now();
        self.store
            .write(store::UpdateAccount {
                account: account.clone(),
            })
            .await?;
        tenant.set_account(account.clone());
        let verification = if update.verify_webhook {
            Some(self.verify_whatsapp_webhook(tenant, None).await?)
        } else {
            None
        };
        Ok(WhatsAppUpdated {
            identity: account.whatsapp,
            verification,
        })
    }
}

/// The category of a template the registry has, or Meta's refusal: 132001 when the name does
/// not exist in that language, 132000 when the body's parameters do not match.
fn template_category(identity: &WhatsAppIdentity, used: &TemplateUse) -> Result<String, CoreError> {
    let template = identity
        .template(&used.name, &used.language)
        .ok_or_else(|| {
            CoreError::Rejected(Rejection::new(
                404,
                132001,
                format!(
                    "template name ({}) does not exist in {}",
                    used.name, used.language
                ),
            ))
        })?;
    if template.body_parameters != used.body_parameters {
        return Err(CoreError::Rejected(Rejection::new(
            400,
            132000,
            format!(
                "body: number of localizable_params ({}) does not match the expected number of params ({})",
                used.body_parameters, template.body_parameters
            ),
        )));
    }
    Ok(template.category.clone())
}

fn check_http_url(url: &str) -> Result<(), CoreError> {
    if text::is_http_url(url) {
        Ok(())
    } else {
        Err(CoreError::Invalid(format!("{url:?} is not an http(s) URL")))
    }
}

/// Templates as a registry holds them: categories in lower case (as status webhooks write
/// them), checked by [`check_templates`].
pub fn normalized_templates(
    templates: Vec<WhatsAppTemplate>,
) -> Result<Vec<WhatsAppTemplate>, CoreError> {
    let templates: Vec<WhatsAppTemplate> = templates
        .into_iter()
        .map(|t| WhatsAppTemplate {
            category: t.category.to_ascii_lowercase(),
            ..t
        })
        .collect();
    check_templates(&templates)?;
    Ok(templates)
}

/// Templates a registry can hold: named, in a language, of a known category, each once.
pub fn check_templates(templates: &[WhatsAppTemplate]) -> Result<(), CoreError> {
    for (index, template) in templates.iter().enumerate() {
        if template.name.is_empty() || template.language.is_empty() {
            return Err(CoreError::Invalid(format!(
                "template {index} needs a name and a language"
            )));
        }
        if !["marketing", "utility", "authentication"].contains(&template.category.as_str()) {
            return Err(CoreError::Invalid(format!(
                "template {}: category {:?} is not marketing, utility or authentication",
                template.name, template.category
            )));
        }
        if templates[..index]
            .iter()
            .any(|t| t.name == template.name && t.language == template.language)
        {
            return Err(CoreError::Invalid(format!(
                "template {} ({}) is listed twice",
                template.name, template.language
            )));
        }
    }
    Ok(())
}

/// Meta's 131047, as the send call or the failed status reports it.
fn outside_window() -> Rejection {
    Rejection::new(
        400,
        131047,
        "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
    )
}

/// A stable conversation id per tenant and user, hex like Meta's.
fn conversation_id(account_sid: &str, user: &str) -> String {
    let digest = Sha256::digest(format!("{account_sid}/{user}").as_bytes());
    ids::encode_hex(&digest[..16])
}
