//! Messages: the model, the checks and decisions behind sending and managing them (the
//! operations behind Twilio's `Messages.json`), and users texting the tenant's numbers.

mod model; // the message model: statuses, directions, the stored message
pub mod users; // simulated users texting a tenant's numbers; opt-out keywords

pub use model::*;

use std::time::Duration;

use crate::core::events::{EventData, NewEvent};
use crate::core::paging::{Page, PageRequest, PageStart};
use crate::core::rules::{self, Decision, Outcome, Rejection, Step, Subject};
use crate::core::store::{self, ClearWhat, Cleared, JobKind, NewJob, PageFrom};
use crate::core::tenants::{Tenant, WindowPolicy};
use crate::core::time::{self, Millis};
use crate::core::{Core, CoreError, ids, magic, text};

/// Who is sending an outbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::core) enum Origin {
    /// The app, through the REST API.
    Api,
    /// The app's TwiML answer to an inbound message, from the number the user texted.
    Reply,
    /// The app's voice TwiML (`<Message>`, `<Sms>`) during a call: Twilio names these
    /// `outbound-call`, and checks them as it checks replies.
    Call,
    /// Twilio itself, confirming an opt-out keyword: no rules, and it reaches a user who just
    /// opted out.
    OptOutConfirmation,
}

impl Core {
    /// Send a message as an app does through the API: check the sender, let the rules decide,
    /// store it with its first pending status change, and return it as the API answers it.
    pub async fn send_message(
        &self,
        tenant: &Tenant,
        new: NewMessage,
    ) -> Result<Message, CoreError> {
        self.send_outbound(tenant, new, Origin::Api).await
    }

    pub(in crate::core) async fn send_outbound(
        &self,
        tenant: &Tenant,
        new: NewMessage,
        origin: Origin,
    ) -> Result<Message, CoreError> {
        let account_sid = tenant.sid();
        if let Some(rejection) = magic::message_rejection(new.from.as_deref(), &new.to) {
            return Err(CoreError::Rejected(rejection));
        }
        // Opt-out keywords are SMS's: a user who texted STOP still gets WhatsApp messages.
        let is_sms = text::split_channel(&new.to).0.is_none();
        if origin != Origin::OptOutConfirmation
            && is_sms
            && tenant.opted_out(
                new.from.as_deref().map(|f| text::split_channel(f).1),
                text::split_channel(&new.to).1,
            )
        {
            return Err(CoreError::Rejected(Rejection::new(
                400,
                21610,
                "Attempt to send to unsubscribed recipient",
            )));
        }
        if let Some(from) = new
            .from
            .as_deref()
            .filter(|_| self.settings.check_from_numbers && origin == Origin::Api)
        {
            let (_, number) = text::split_channel(from);
            if number != magic::VALID_TEST_SENDER
                && !tenant.owns_number(number)
                && !tenant.owns_number(from)
            {
                return Err(CoreError::Rejected(Rejection::new(
                    400,
                    21606,
                    format!(
                        "The From phone number {from} is not a valid, SMS-capable inbound phone number or short code for your account."
                    ),
                )));
            }
        }
        let channel = match text::split_channel(&new.to).0 {
            Some(channel) => channel.to_ascii_lowercase(),
            None if new.media_urls.is_empty() => "sms".into(),
            None => "mms".into(),
        };
        let decision = if origin == Origin::OptOutConfirmation {
            None
        } else {
            tenant.with_rules(|book| {
                book.decide(Subject {
                    channel: &channel,
                    to: &new.to,
                    from: new.from.as_deref(),
                    body: &new.body,
                })
            })
        };
        let now = tenant.now();
        let (mut script, latency_ms) = match &decision {
            Some(Decision {
                rule,
                outcome: Outcome::Reject(rejection),
            }) => {
                self.store
                    .write(store::AppendEvent(NewEvent {
                        account_sid,
                        at: now,
                        data: EventData::RuleMatched {
                            rule_id: rule.id.clone(),
                            sid: None,
                            to: new.to.clone(),
                            outcome: Outcome::Reject(rejection.clone()),
                        },
                    }))
                    .await?;
                respond_after(rule.latency_ms).await;
                return Err(CoreError::Rejected(rejection.clone()));
            }
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
                if self.settings.default_succeeds && channel == "whatsapp" =>
            {
                (rules::read_script(self.step_delay_ms()), 0)
            }
            Some(Decision {
                outcome: Outcome::Call(_),
                ..
            })
            | None
                if self.settings.default_succeeds =>
            {
                (rules::delivered_script(self.step_delay_ms()), 0)
            }
            Some(Decision {
                outcome: Outcome::Call(_),
                ..
            })
            | None => (rules::failed_script(self.step_delay_ms()), 0),
        };
        if channel == "whatsapp"
            && origin == Origin::Api
            && new.content_sid.is_none()
            && self
                .outside_twilio_whatsapp_window(tenant, &new, now)
                .await?
        {
            // Twilio accepts the message and fails it: 63016, free-form outside the window.
            script = vec![Step::failing(
                MessageStatus::Failed,
                self.step_delay_ms(),
                63016,
            )];
        }

        let initial = if let Some(send_at) = new.send_at {
            script.insert(
                0,
                Step::new(MessageStatus::Queued, (send_at - now).max(0) as u64),
            );
            MessageStatus::Scheduled
        } else if new.messaging_service_sid.is_some() {
            // A Messaging Service accepts first and queues a moment later (with a callback).
            script.insert(0, Step::new(MessageStatus::Queued, 0));
            MessageStatus::Accepted
        } else {
            MessageStatus::Queued
        };
        let sid = ids::sid(if new.media_urls.is_empty() {
            "SM"
        } else {
            "MM"
        });
        let direction = match origin {
            Origin::Api => Direction::OutboundApi,
            Origin::Call => Direction::OutboundCall,
            Origin::Reply | Origin::OptOutConfirmation => Direction::OutboundReply,
        };
        let message = Message {
            media_urls: new.media_urls,
            messaging_service_sid: new.messaging_service_sid,
            status_callback: new.status_callback,
            ..Message::outbound(
                &account_sid,
                sid,
                direction,
                new.from,
                new.to,
                new.body,
                now,
            )
            .with_status(initial)
        };
        self.store_outbound(tenant, &message, script, decision)
            .await?;
        respond_after(latency_ms).await;
        Ok(message)
    }

    /// Store a new outbound message with its first pending status change and its events (the
    /// message created, and the rule that took it), and hand the job to the scheduler.
    pub(in crate::core) async fn store_outbound(
        &self,
        tenant: &Tenant,
        message: &Message,
        script: Vec<Step>,
        decision: Option<Decision>,
    ) -> Result<(), CoreError> {
        let (account_sid, sid, now) = (&message.account_sid, &message.sid, message.created_at);
        let disorder = decision
            .as_ref()
            .map(|d| d.rule.callbacks.clone())
            .unwrap_or_default();
        let job = script
            .first()
            .map(|first| first.delay_ms)
            .map(|delay_ms| NewJob {
                account_sid: account_sid.clone(),
                resource_sid: sid.clone(),
                due_at: now + delay_ms as Millis,
                kind: JobKind::Lifecycle {
                    sid: sid.clone(),
                    notify: self.status_notify(tenant, message),
                    steps: script,
                    disorder,
                },
            });
        let mut events = vec![NewEvent {
            account_sid: account_sid.clone(),
            at: now,
            data: EventData::MessageCreated {
                message: message.clone(),
            },
        }];
        if let Some(decision) = decision {
            events.push(NewEvent {
                account_sid: account_sid.clone(),
                at: now,
                data: EventData::RuleMatched {
                    rule_id: decision.rule.id,
                    sid: Some(sid.clone()),
                    to: message.to.clone(),
                    outcome: decision.outcome,
                },
            });
        }
        let written = self
            .store
            .write(store::CreateMessage {
                message: message.clone(),
                job,
                events,
            })
            .await?;
        self.timers.add(written);
        Ok(())
    }

    /// Whether a free-form WhatsApp message through Twilio falls outside the 24-hour window:
    /// the user (`To`) has not written to the sender (`From`) in the last 24 hours. A message
    /// without a sender (a Messaging Service picks one) is let through.
    async fn outside_twilio_whatsapp_window(
        &self,
        tenant: &Tenant,
        new: &NewMessage,
        now: Millis,
    ) -> Result<bool, CoreError> {
        let Some(from) = &new.from else {
            return Ok(false);
        };
        if tenant.account().whatsapp.window == WindowPolicy::Off {
            return Ok(false);
        }
        Ok(!self.window_open(tenant, &new.to, from, now).await?)
    }

    pub async fn message(&self, tenant: &Tenant, sid: &str) -> Result<Message, CoreError> {
        let (account_sid, sid) = (tenant.sid(), sid.to_owned());
        self.store
            .read(move |conn| store::fetch_message(conn, &account_sid, &sid))
            .await?
            .ok_or(CoreError::NotFound)
    }

    /// The positions of a message's deleted media items (see [`Core::delete_message_media`]).
    pub async fn deleted_message_media(
        &self,
        tenant: &Tenant,
        sid: &str,
    ) -> Result<Vec<usize>, CoreError> {
        let (account_sid, sid) = (tenant.sid(), sid.to_owned());
        self.store
            .read(move |conn| store::deleted_message_media(conn, &account_sid, &sid))
            .await?
            .ok_or(CoreError::NotFound)
    }

    /// Delete the media item at `position` of a message's media; the others keep their
    /// positions. NotFound when the message has no such item, or it is deleted already.
    pub async fn delete_message_media(
        &self,
        tenant: &Tenant,
        sid: &str,
        position: usize,
    ) -> Result<(), CoreError> {
        let deleted = self
            .store
            .write(store::DeleteMessageMedia {
                account_sid: tenant.sid(),
                sid: sid.to_owned(),
                position,
                at: tenant.now(),
            })
            .await?;
        if deleted {
            Ok(())
        } else {
            Err(CoreError::NotFound)
        }
    }

    /// A page of a tenant's messages, newest first. A page next to a message the tenant does
    /// not have is refused as [`CoreError::Invalid`].
    pub async fn list_messages(
        &self,
        tenant: &Tenant,
        filter: &MessageFilter,
        request: &PageRequest,
    ) -> Result<Page<Message>, CoreError> {
        if filter.text.is_some() {
            // The word index is filled when a search needs it (see migration 0011).
            let indexed = self.store.write(store::IndexNewText).await?;
            if indexed > 0 {
                tracing::debug!(indexed, "message bodies added to the word index");
            }
        }
        let (account_sid, filter) = (tenant.sid(), filter.clone());
        let anchor = match &request.start {
            PageStart::First => None,
            PageStart::After(sid) | PageStart::Before(sid) => Some(sid.clone()),
        };
        let newer = matches!(request.start, PageStart::Before(_));
        let limit = request.size + 1;
        let read = self
            .store
            .read(move |conn| {
                let from = match anchor {
                    None => PageFrom::OlderThan(i64::MAX),
                    Some(sid) => match store::message_seq(conn, &account_sid, &sid)? {
                        Some(seq) if newer => PageFrom::NewerThan(seq),
                        Some(seq) => PageFrom::OlderThan(seq),
                        None => return Ok(None),
                    },
                };
                store::list_messages(conn, &account_sid, &filter, from, limit).map(Some)
            })
            .await?;
        let items = read.ok_or_else(|| {
            CoreError::Invalid("the page starts next to a message the tenant does not have".into())
        })?;
        Ok(Page::of_read(items, request))
    }

    /// When the tenant's newest `limit` messages were created and how they went, newest first.
    pub async fn recent_outcomes(
        &self,
        tenant: &Tenant,
        limit: u32,
    ) -> Result<Vec<(Millis, MessageStatus)>, CoreError> {
        let account_sid = tenant.sid();
        Ok(self
            .store
            .read(move |conn| store::recent_outcomes(conn, &account_sid, limit))
            .await?)
    }

    /// The users the tenant's newest `scan` messages were with, newest thread first, at most
    /// `limit`: see [`Thread`].
    pub async fn recent_threads(
        &self,
        tenant: &Tenant,
        scan: u32,
        limit: u32,
    ) -> Result<Vec<Thread>, CoreError> {
        let account_sid = tenant.sid();
        let rows = self
            .store
            .read(move |conn| store::recent_threads(conn, &account_sid, scan, limit))
            .await?;
        Ok(rows
            .into_iter()
            .map(|(user, cloud_api, count, last)| Thread {
                user,
                cloud_api,
                count,
                last,
            })
            .collect())
    }

    /// The newest `limit` messages of Twilio's Messages API between the tenant and `user` (an
    /// address as stored: `+1…` or `whatsapp:+1…`), oldest first.
    pub async fn twilio_conversation(
        &self,
        tenant: &Tenant,
        user: &str,
        limit: u32,
    ) -> Result<Vec<Message>, CoreError> {
        let (account_sid, user) = (tenant.sid(), user.to_owned());
        Ok(self
            .store
            .read(move |conn| store::conversation(conn, &account_sid, &user, false, limit))
            .await?)
    }

    /// How many messages the tenant has, by channel and status, as kept with every change.
    pub async fn message_tallies(
        &self,
        tenant: &Tenant,
    ) -> Result<Vec<(Channel, MessageStatus, i64)>, CoreError> {
        let account_sid = tenant.sid();
        let rows = self
            .store
            .read(move |conn| store::message_tallies(conn, &account_sid))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(channel, status, count)| {
                Some((
                    Channel::parse(&channel)?,
                    MessageStatus::parse(&status)?,
                    count,
                ))
            })
            .collect())
    }

    pub async fn update_message(
        &self,
        tenant: &Tenant,
        sid: &str,
        update: MessageUpdate,
    ) -> Result<Message, CoreError> {
        let current = self.message(tenant, sid).await?;
        if update == MessageUpdate::Cancel && current.status != MessageStatus::Scheduled {
            // Only a scheduled message can be canceled: Twilio's 30409.
            return Err(CoreError::Rejected(Rejection::new(
                400,
                30409,
                format!(
                    "This message cannot be canceled: it is {}, and only a scheduled message can be.",
                    current.status.as_str()
                ),
            )));
        }
        match self
            .store
            .write(store::UpdateMessage {
                account_sid: tenant.sid(),
                sid: sid.to_owned(),
                update,
                at: tenant.now(),
            })
            .await?
        {
            Some(message) => {
                if message.status == MessageStatus::Canceled {
                    self.timers
                        .drop_resource(&message.account_sid, &message.sid);
                }
                Ok(message)
            }
            None => Err(CoreError::NotFound),
        }
    }

    pub async fn delete_message(&self, tenant: &Tenant, sid: &str) -> Result<(), CoreError> {
        let current = self.message(tenant, sid).await?;
        if !current.status.is_final() && current.status != MessageStatus::Scheduled {
            // Twilio keeps a message until its delivery receipt is in: 20009, "Cannot delete this
            // resource before it is complete" (an older API answered "Cannot delete message in
            // state SENT", which names the state; this keeps both).
            return Err(CoreError::Rejected(Rejection::new(
                400,
                20009,
                format!(
                    "Cannot delete this resource before it is complete: the message is in state {}",
                    current.status.as_str().to_ascii_uppercase()
                ),
            )));
        }
        match self
            .store
            .write(store::DeleteMessage {
                account_sid: tenant.sid(),
                sid: sid.to_owned(),
                at: tenant.now(),
            })
            .await?
        {
            true => {
                self.timers.drop_resource(&tenant.sid(), sid);
                Ok(())
            }
            false => Err(CoreError::NotFound),
        }
    }

    /// Set a message's status now, as a test's hand: stored, evented, and reported to the
    /// message's status callback before returning (failed attempts are retried on the tenant's
    /// clock). The message's remaining
    /// scripted steps are dropped so that they cannot overwrite it.
    pub async fn set_message_status(
        &self,
        tenant: &Tenant,
        sid: &str,
        status: MessageStatus,
        error_code: Option<u32>,
        error_message: Option<String>,
    ) -> Result<Message, CoreError> {
        let current = self.message(tenant, sid).await?;
        let step = Step {
            status,
            delay_ms: 0,
            error_code,
            error_message: error_message
                .or_else(|| error_code.and_then(async_error_message).map(str::to_owned)),
        };
        let at = tenant.now();
        let deliver = self
            .status_notify(tenant, &current)
            .filter(|_| self.settings.callbacks_enabled)
            .and_then(|notify| self.status_delivery(&tenant.sid(), sid, &notify, &step, at))
            .map(|delivery| NewJob {
                account_sid: tenant.sid(),
                resource_sid: sid.to_owned(),
                due_at: at,
                kind: JobKind::Deliver(delivery),
            });
        let written = self
            .store
            .write(store::SetStatus {
                account_sid: tenant.sid(),
                sid: sid.to_owned(),
                step,
                at,
                deliver,
            })
            .await?;
        let Some(store::StatusSet { message, jobs }) = written else {
            return Err(CoreError::NotFound);
        };
        self.timers.drop_lifecycle(&tenant.sid(), sid);
        // The callback goes now, whatever the tenant's clock says, and the call returns once
        // the app has answered (retries, if any, follow the clock). It still goes after an
        // earlier callback of the message that is in flight, as every callback does.
        for job in jobs {
            self.timers.claim_waiting(&job).await;
            self.run_job(job).await;
        }
        Ok(message)
    }

    /// Remove stored data, of one tenant or of all. Pending status changes of removed messages
    /// are dropped with them.
    pub async fn clear(
        &self,
        tenant: Option<&Tenant>,
        what: ClearWhat,
    ) -> Result<Cleared, CoreError> {
        let account_sid = tenant.map(|t| t.sid());
        let at = tenant.map_or_else(time::wall_now, |t| t.now());
        let result = self
            .store
            .write(store::Clear {
                account_sid: account_sid.clone(),
                what,
                at,
            })
            .await?;
        if matches!(what, ClearWhat::Messages | ClearWhat::All) {
            match &account_sid {
                Some(sid) => self.timers.drop_tenant(sid),
                None => self.timers.drop_all(),
            }
        }
        Ok(result)
    }
}

/// A rule's response latency. Real time, not the tenant clock: it delays an HTTP answer.
pub(in crate::core) async fn respond_after(latency_ms: u64) {
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
}
