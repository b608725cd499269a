//! The WhatsApp Cloud API's decisions, whichever facade asks: who may be messaged (a test
//! number's allow list, the 24-hour customer-service window), which templates exist, what the
//! rules say; a simulated user's messages delivered to the app's webhook; the verification
//! handshake. Message content is JSON text the WhatsApp facade wrote; the core stores and
//! forwards it without reading it.

mod business; // the profile, blocked users, registration
pub mod media; // uploads: type and size limits, 30-day expiry, signed download URLs
mod settings; // webhook URL, window, allow list, templates; the verification handshake
mod templates; // the Graph API's template management and its status webhook
mod user_ids; // business-scoped user ids and usernames
mod users; // simulated users writing to the business; their conversations

pub use business::*;
pub use settings::*;
pub use templates::*;
pub use user_ids::*;
pub use users::*;

use sha2::{Digest, Sha256};

use crate::core::events::{EventData, NewEvent};
use crate::core::messaging::respond_after;
use crate::core::messaging::{
    Callback, Direction, HttpMethod, Message, MessageStatus, WhatsAppContent,
};
use crate::core::outbox::{StatusNotify, WhatsAppNotify};
use crate::core::rules::{self, Decision, Outcome, Rejection, Step, Subject};
use crate::core::store::{self};
use crate::core::tenants::{Tenant, WhatsAppIdentity, WindowPolicy};
use crate::core::time::Millis;
use crate::core::{Core, CoreError, ids};

/// The customer-service window: a user's message lets the business write freely for 24 hours.
pub const WINDOW_MS: Millis = 24 * 3600 * 1000;

/// A message an app sends through `POST /{version}/{phone-number-id}/messages`, validated.
#[derive(Debug, Clone, Default)]
pub struct WhatsAppSend {
    /// The recipient's `wa_id`: digits. Empty when the app addressed a BSUID instead.
    pub to: String,
    /// The BSUID the app addressed (`recipient`), when `to` is empty: the core finds the user.
    pub recipient_user_id: Option<String>,
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

/// Digits only: Meta's `wa_id` form of a phone number.
pub fn wa_id(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

impl Core {
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
        let addressed_user_id = send.recipient_user_id.clone();
        if addressed_user_id.is_some()
            && let Some(used) = &send.template
            && identity
                .template(&used.name, &used.language)
                .is_some_and(|t| t.category == "authentication")
        {
            return Err(CoreError::Rejected(bsuid_not_supported()));
        }
        let user = self.addressee(tenant, &send).await?;
        // A message to a BSUID reaches the user's conversation, which is kept by phone number; a
        // BSUID the tenant never met has no number, and the message is kept under the BSUID.
        let send = match (&addressed_user_id, &user) {
            (Some(_), Some(user)) => WhatsAppSend {
                to: user.wa_id.clone(),
                ..send
            },
            (Some(user_id), None) => WhatsAppSend {
                to: user_id.clone(),
                ..send
            },
            (None, _) => send,
        };
        check_business_can_send(&identity, &send.to)?;
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
            // Meta's answer to a well-formed BSUID it cannot place is not on record; it answers
            // a phone number that is not on WhatsApp by accepting the message and failing it
            // with 131026 (Message undeliverable), and mockingbird does the same here.
            _ if addressed_user_id.is_some() && user.is_none() => (
                vec![Step::failing(
                    MessageStatus::Failed,
                    self.step_delay_ms(),
                    131026,
                )],
                0,
            ),
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
            // A call's outcome never matches a message: as if no rule had.
            Some(Decision {
                outcome: Outcome::Call(_),
                ..
            })
            | None
                if self.settings.default_succeeds =>
            {
                (rules::read_script(self.step_delay_ms()), 0)
            }
            // Meta's "Message undeliverable".
            Some(Decision {
                outcome: Outcome::Call(_),
                ..
            })
            | None => (
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
            // A WhatsApp message is one message, however long.
            num_segments: 1,
            status_callback: callback,
            whatsapp: Some(WhatsAppContent {
                message_type: send.message_type,
                content: send.content,
                context_id: send.context_id,
                callback_data: send.callback_data,
                profile_name: None,
                template_category: send.template.map(|_| category),
                user: user.map(Box::new),
                addressed_by_user_id: addressed_user_id.is_some(),
            }),
            ..Message::outbound(
                &account_sid,
                sid,
                Direction::OutboundApi,
                Some(business.clone()),
                send.to.clone(),
                send.summary,
                now,
            )
            .with_status(MessageStatus::Accepted)
        };
        self.store_outbound(tenant, &message, script, decision)
            .await?;
        respond_after(latency_ms).await;
        Ok(message)
    }

    /// The user a send reaches: the one the `recipient` BSUID names (none when the tenant
    /// never met it), or the phone number's — remembered, so that a later send to the BSUID
    /// the status webhooks report finds them.
    async fn addressee(
        &self,
        tenant: &Tenant,
        send: &WhatsAppSend,
    ) -> Result<Option<WhatsAppUser>, CoreError> {
        if let Some(user_id) = &send.recipient_user_id {
            return self.known_whatsapp_user(tenant, user_id).await;
        }
        // A group's id: no one user.
        if send.to.is_empty() || !send.to.chars().all(|c| c.is_ascii_digit()) {
            return Ok(None);
        }
        if let Some(known) = self.known_whatsapp_user(tenant, &send.to).await? {
            return Ok(Some(known));
        }
        let user = WhatsAppUser::with_phone(&tenant.sid(), &send.to);
        self.store
            .write(store::RememberWhatsAppUser {
                account_sid: tenant.sid(),
                user: user.clone(),
                replace: false,
                at: tenant.now(),
            })
            .await?;
        Ok(Some(user))
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
    pub(in crate::core) fn status_notify(
        &self,
        tenant: &Tenant,
        message: &Message,
    ) -> Option<StatusNotify> {
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
                recipient: content.user.as_deref().cloned(),
                addressed_user_id: content.addressed_by_user_id.then(|| {
                    content
                        .user
                        .as_ref()
                        .map_or_else(|| message.to.clone(), |u| u.user_id.clone())
                }),
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
    pub(in crate::core) async fn window_open(
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

/// Meta's 131062: one-tap, zero-tap and copy-code authentication templates need a phone
/// number (dualhook's summary of Meta's BSUID API changes; every authentication template carries
/// one of those OTP buttons, so the registry's authentication category stands for them).
fn bsuid_not_supported() -> Rejection {
    Rejection::new(
        400,
        131062,
        "Business-scoped User ID recipients are not supported for this message.",
    )
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

#[cfg(test)]
mod tests; // sends, window, templates, allow list; the helpers the area's tests share
