//! Simulated Cloud API users: a user's message is stored (opening the 24-hour window) and
//! delivered to the app as Meta's signed webhook — to the tenant's webhook URL, or to one of
//! the seed's proxy targets — and a user's conversation is read back in order.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::core::events::{EventData, NewEvent};
use crate::core::messaging::{HttpMethod, Message, MessageStatus, WhatsAppContent};
use crate::core::outbox::{Delivery, Notice, Sent, TargetTreatment, WhatsAppIncoming};
use crate::core::store::{self, CallbackAttempt};
use crate::core::tenants::Tenant;
use crate::core::whatsapp::{WhatsAppUser, is_business_scoped_user_id, wa_id};
use crate::core::{Core, CoreError, ids, text};

/// The inbound message types that carry a file.
const MEDIA_MESSAGE_TYPES: [&str; 5] = ["image", "video", "audio", "document", "sticker"];

/// A simulated user's message to the tenant's business number.
#[derive(Debug, Clone, Default)]
pub struct WhatsAppInbound {
    /// The user's number (digits, or `+` and digits).
    pub from: String,
    pub profile_name: Option<String>,
    /// The username the user adopted, if any (`profile.username` in webhooks).
    pub username: Option<String>,
    /// The user hides their phone number: webhooks name them by BSUID only.
    pub hide_phone: bool,
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
    pub urls: BTreeMap<String, String>,
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

impl Core {
    /// One of the seed's proxy targets, by name or as a URL (see [`ProxyTargets::resolve`]).
    pub fn whatsapp_target(&self, name_or_url: &str) -> Result<WebhookTarget, CoreError> {
        self.settings.proxy_targets.resolve(name_or_url)
    }

    /// The names of the seed's proxy targets (`local`, `staging`, …), in order.
    pub fn whatsapp_target_names(&self) -> Vec<String> {
        self.settings.proxy_targets.urls.keys().cloned().collect()
    }

    /// A simulated user writes to the tenant's business number: the message is stored (opening
    /// the 24-hour window) and POSTed to the app as Meta's signed webhook — to the tenant's
    /// webhook URL, or to `target`. Waits for the app's answer.
    /// A media message naming a file the tenant holds (one uploaded to simulate it) carries
    /// that file's `sha256`, as Meta's webhook describes the file it serves; any other content
    /// is kept as given.
    async fn with_stored_file_facts(
        &self,
        tenant: &Tenant,
        message_type: &str,
        content: String,
    ) -> String {
        if !MEDIA_MESSAGE_TYPES.contains(&message_type) {
            return content;
        }
        let Ok(serde_json::Value::Object(mut object)) = serde_json::from_str(&content) else {
            return content;
        };
        let Some(id) = object.get("id").and_then(|id| id.as_str()) else {
            return content;
        };
        let Ok(file) = self.media(tenant, id).await else {
            return content;
        };
        object.insert("sha256".into(), file.sha256.into());
        serde_json::Value::Object(object).to_string()
    }

    pub async fn receive_whatsapp(
        &self,
        tenant: &Tenant,
        inbound: WhatsAppInbound,
        target: Option<WebhookTarget>,
    ) -> Result<WhatsAppInboundOutcome, CoreError> {
        // A user named by BSUID is one the tenant has met, as they were unless this message
        // says otherwise: their username kept, their phone still hidden.
        let known = if is_business_scoped_user_id(&inbound.from) {
            let found = self.known_whatsapp_user(tenant, &inbound.from).await?;
            Some(found.ok_or_else(|| {
                CoreError::Invalid(format!(
                    "from {:?} is no user this business has met: give the user's phone number",
                    inbound.from
                ))
            })?)
        } else {
            None
        };
        let user = known
            .as_ref()
            .map_or_else(|| wa_id(&inbound.from), |k| k.wa_id.clone());
        if known.is_none()
            && (user.is_empty()
                || user.len() > 15
                || inbound.from.strip_prefix('+').unwrap_or(&inbound.from) != user)
        {
            return Err(CoreError::Invalid(format!(
                "from {:?} is not a phone number: give digits, with or without a leading +, or \
                 the BSUID of a user this business has met",
                inbound.from
            )));
        }
        if inbound.message_type.is_empty() {
            return Err(CoreError::Invalid("the message has no type".into()));
        }
        let identity = tenant.account().whatsapp;
        super::check_user_can_write(&identity, &user)?;
        let inbound = WhatsAppInbound {
            content: self
                .with_stored_file_facts(tenant, &inbound.message_type, inbound.content)
                .await,
            ..inbound
        };
        let account_sid = tenant.sid();
        let now = tenant.now();
        let profile_name = inbound
            .profile_name
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| crate::core::messaging::users::DEFAULT_PROFILE_NAME.into());
        let sender = WhatsAppUser {
            username: inbound
                .username
                .filter(|name| !name.is_empty())
                .or_else(|| known.as_ref().and_then(|k| k.username.clone())),
            phone_hidden: inbound.hide_phone || known.as_ref().is_some_and(|k| k.phone_hidden),
            ..WhatsAppUser::with_phone(&account_sid, &user)
        };
        if sender.phone_hidden && sender.username.is_none() {
            return Err(CoreError::Invalid(
                "only a user with a username can hide their phone number: give a username too"
                    .into(),
            ));
        }
        let message = Message {
            // A WhatsApp message is one message, however long.
            num_segments: 1,
            whatsapp: Some(WhatsAppContent {
                message_type: inbound.message_type.clone(),
                content: inbound.content.clone(),
                context_id: inbound.context_id.clone(),
                callback_data: None,
                profile_name: Some(profile_name.clone()),
                template_category: None,
                user: Some(Box::new(sender.clone())),
                addressed_by_user_id: false,
            }),
            ..Message::inbound(
                &account_sid,
                ids::wamid(&user, false),
                user.clone(),
                identity.business_number(),
                inbound.summary,
                now,
            )
        };
        // The user's own message says who they are now (username, privacy).
        self.store
            .write(store::RememberWhatsAppUser {
                account_sid: account_sid.clone(),
                user: sender.clone(),
                replace: true,
                at: now,
            })
            .await?;
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
                        user: sender.clone(),
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

    /// Every Cloud API message between the tenant's business number and `user` (a phone
    /// number or a BSUID), oldest first, with the user as the tenant knows them: their BSUID
    /// is the conversation's key, whichever way the user is named.
    pub async fn whatsapp_conversation(
        &self,
        tenant: &Tenant,
        user: &str,
        limit: u32,
    ) -> Result<(WhatsAppUser, Vec<Message>), CoreError> {
        let user = self.whatsapp_user(tenant, user).await?;
        // A BSUID the tenant never met keeps the messages sent to it under the BSUID itself.
        let key = if user.wa_id.is_empty() {
            user.user_id.clone()
        } else {
            user.wa_id.clone()
        };
        let account_sid = tenant.sid();
        let messages = self
            .store
            .read(move |conn| store::conversation(conn, &account_sid, &key, true, limit))
            .await?;
        Ok((user, messages))
    }

    /// A user by phone number or BSUID: as remembered when they wrote or were written to, or
    /// as a phone number names a user the tenant never met. A BSUID the tenant never met has
    /// no phone number (an empty `wa_id`).
    pub async fn whatsapp_user(
        &self,
        tenant: &Tenant,
        user: &str,
    ) -> Result<WhatsAppUser, CoreError> {
        let user = user.trim();
        Ok(match self.known_whatsapp_user(tenant, user).await? {
            Some(known) => known,
            None if is_business_scoped_user_id(user) => WhatsAppUser {
                user_id: user.to_owned(),
                ..WhatsAppUser::default()
            },
            None => WhatsAppUser::with_phone(&tenant.sid(), &wa_id(user)),
        })
    }

    /// The user a phone number or BSUID names, if the tenant has met them.
    pub(in crate::core) async fn known_whatsapp_user(
        &self,
        tenant: &Tenant,
        user: &str,
    ) -> Result<Option<WhatsAppUser>, CoreError> {
        let account_sid = tenant.sid();
        let by_id = is_business_scoped_user_id(user);
        let key = if by_id { user.to_owned() } else { wa_id(user) };
        Ok(self
            .store
            .read(move |conn| {
                let key = if by_id {
                    store::WhatsAppUserKey::UserId(&key)
                } else {
                    store::WhatsAppUserKey::WaId(&key)
                };
                store::whatsapp_user(conn, &account_sid, key)
            })
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::messaging::Direction;
    use crate::core::messaging::users::DEFAULT_PROFILE_NAME;
    use crate::core::whatsapp::WhatsAppUpdate;
    use crate::core::whatsapp::tests::{USER, conversation, invalid, test_core, text_from};

    fn targets(names: &[(&str, &str)]) -> ProxyTargets {
        ProxyTargets {
            urls: names
                .iter()
                .map(|(name, url)| ((*name).to_owned(), (*url).to_owned()))
                .collect(),
            timeout: Duration::from_secs(3),
        }
    }

    #[test]
    fn a_url_or_a_known_name_resolves_as_a_test_with_the_targets_timeout() {
        let known = targets(&[("local", "http://app:8000/bot/webhook")]);
        for (given, url) in [
            ("https://example.com/hook", "https://example.com/hook"),
            ("local", "http://app:8000/bot/webhook"),
        ] {
            let target = known.resolve(given).expect(given);
            assert_eq!(target.url, url);
            assert!(target.mock_testing, "{given}");
            assert_eq!(target.timeout, Some(Duration::from_secs(3)), "{given}");
        }
    }

    #[test]
    fn an_unknown_name_is_refused_naming_the_known_ones() {
        let known = targets(&[("prod", "https://p.example/h"), ("local", "http://app/h")]);
        assert_eq!(
            invalid(known.resolve("staging")),
            "unknown target \"staging\": give an http(s) URL or a name configured under \
             whatsapp.targets (known: local, prod)"
        );
        // Not an http(s) URL, so a name.
        assert!(invalid(known.resolve("ftp://example.com/h")).starts_with("unknown target"));
        assert_eq!(
            invalid(ProxyTargets::default().resolve("local")),
            "unknown target \"local\": give an http(s) URL or a name configured under \
             whatsapp.targets (known: none)"
        );
    }

    #[test]
    fn inbound_delivery_tells_no_webhook_answered_unreachable_and_timed_out_apart() {
        assert_eq!(InboundDelivery::of(None), InboundDelivery::NoWebhook);
        let answered = |status| Sent {
            response_status: Some(status),
            ..Sent::default()
        };
        assert_eq!(
            InboundDelivery::of(Some(&answered(200))),
            InboundDelivery::Answered
        );
        assert_eq!(
            InboundDelivery::of(Some(&answered(500))),
            InboundDelivery::Answered,
            "any HTTP status is an answer"
        );
        let timed_out = Sent {
            timed_out: true,
            error: Some("timed out".into()),
            ..Sent::default()
        };
        assert_eq!(
            InboundDelivery::of(Some(&timed_out)),
            InboundDelivery::TimedOut
        );
        let refused = Sent {
            error: Some("connection refused".into()),
            ..Sent::default()
        };
        assert_eq!(
            InboundDelivery::of(Some(&refused)),
            InboundDelivery::Unreachable
        );
    }

    #[tokio::test]
    async fn without_a_webhook_url_the_message_is_stored_and_nothing_sent() {
        let (core, tenant, shutdown) = test_core().await;
        let outcome = core
            .receive_whatsapp(&tenant, text_from(&format!("+{USER}"), "hello"), None)
            .await
            .expect("received");
        assert_eq!(outcome.delivery, InboundDelivery::NoWebhook);
        assert!(outcome.webhook.is_none());
        assert_eq!(outcome.waited, core.settings().webhook_timeout);

        let stored = conversation(&core, &tenant, USER).await;
        assert_eq!(stored, vec![outcome.message.clone()]);
        let message = &stored[0];
        assert_eq!(message.direction, Direction::Inbound);
        assert_eq!(message.status, MessageStatus::Received);
        assert_eq!(message.from.as_deref(), Some(USER));
        assert_eq!(message.to, tenant.account().whatsapp.business_number());
        assert_eq!(message.body, "hello");
        let content = message.whatsapp.as_ref().expect("a Cloud API message");
        assert_eq!(content.profile_name.as_deref(), Some(DEFAULT_PROFILE_NAME));
        shutdown.cancel();
    }

    #[tokio::test]
    async fn with_a_webhook_url_and_no_app_the_delivery_is_unreachable() {
        let (core, tenant, shutdown) = test_core().await;
        core.update_whatsapp(
            &tenant,
            WhatsAppUpdate {
                webhook_url: Some(Some("http://app.invalid/webhook".into())),
                ..WhatsAppUpdate::default()
            },
        )
        .await
        .expect("webhook URL set");
        let outcome = core
            .receive_whatsapp(&tenant, text_from(USER, "hello"), None)
            .await
            .expect("received");
        assert_eq!(outcome.delivery, InboundDelivery::Unreachable);
        let attempt = outcome.webhook.expect("the attempt is recorded");
        assert_eq!(attempt.url, "http://app.invalid/webhook");
        assert_eq!(attempt.method, "POST");
        assert_eq!(attempt.resource_sid, outcome.message.sid);
        assert_eq!(attempt.response_status, None);
        assert!(attempt.error.is_some());
        assert_eq!(outcome.waited, core.settings().webhook_timeout);
        shutdown.cancel();
    }

    #[tokio::test]
    async fn a_target_takes_the_webhook_urls_place_and_its_timeout() {
        let (core, tenant, shutdown) = test_core().await;
        let target = targets(&[("local", "http://app:8000/bot/webhook")])
            .resolve("local")
            .expect("known");
        let outcome = core
            .receive_whatsapp(&tenant, text_from(USER, "hello"), Some(target))
            .await
            .expect("received");
        assert_eq!(outcome.delivery, InboundDelivery::Unreachable);
        assert_eq!(
            outcome.webhook.expect("recorded").url,
            "http://app:8000/bot/webhook"
        );
        assert_eq!(outcome.waited, Duration::from_secs(3));
        shutdown.cancel();
    }

    #[tokio::test]
    async fn a_sender_named_by_bsuid_is_the_user_met_as_they_were() {
        let (core, tenant, shutdown) = test_core().await;
        let first = WhatsAppInbound {
            username: Some("ada.l".into()),
            hide_phone: true,
            ..text_from(USER, "hi")
        };
        let met = core
            .receive_whatsapp(&tenant, first, None)
            .await
            .expect("received");
        let user = met.message.whatsapp.and_then(|w| w.user).expect("a user");
        let again = core
            .receive_whatsapp(&tenant, text_from(&user.user_id, "again"), None)
            .await
            .expect("received by BSUID");
        assert_eq!(again.message.from.as_deref(), Some(USER));
        assert_eq!(again.message.whatsapp.and_then(|w| w.user), Some(user));

        let stranger = "US.10000000000000000001";
        assert_eq!(
            invalid(
                core.receive_whatsapp(&tenant, text_from(stranger, "hi"), None)
                    .await
            ),
            format!(
                "from {stranger:?} is no user this business has met: give the user's phone number"
            )
        );
        shutdown.cancel();
    }

    #[tokio::test]
    async fn a_sender_that_is_not_a_phone_number_or_a_message_without_a_type_is_invalid() {
        let (core, tenant, shutdown) = test_core().await;
        for from in [
            "",
            "alice",
            "+1-555-0102",
            "++15550102030",
            "1234567890123456",
        ] {
            assert_eq!(
                invalid(
                    core.receive_whatsapp(&tenant, text_from(from, "hi"), None)
                        .await
                ),
                format!(
                    "from {from:?} is not a phone number: give digits, with or without a leading \
                     +, or the BSUID of a user this business has met"
                ),
            );
        }
        let untyped = WhatsAppInbound {
            message_type: String::new(),
            ..text_from(USER, "hi")
        };
        assert_eq!(
            invalid(core.receive_whatsapp(&tenant, untyped, None).await),
            "the message has no type"
        );
        assert!(
            conversation(&core, &tenant, USER).await.is_empty(),
            "a refusal stores nothing"
        );
        shutdown.cancel();
    }
}
