//! The test's hand on a call: answering or rejecting it as the callee, pressing keys, speaking
//! and hanging up as the person on the line, and the app's own changes through the API
//! (`POST …/Calls/{Sid}.json`). Each change runs under the call's lock, as the engine's do.

use std::sync::Arc;

use super::Live;
use crate::core::outbox::VerbResult;
use crate::core::rules::{CallOutcome, Rejection};
use crate::core::tenants::Tenant;
use crate::core::time::Millis;
use crate::core::voice::{
    Call, CallApp, CallDirection, CallEvent, CallStatus, CallUpdate, CallView, Heard, Unanswered,
    Waiting,
};
use crate::core::{Core, CoreError};

impl Core {
    /// Answer a call the app placed that is still ringing, as the callee (a person, or an
    /// answering machine); its TwiML runs until it waits.
    pub async fn answer_call(
        &self,
        tenant: &Arc<Tenant>,
        sid: &str,
        machine: bool,
    ) -> Result<CallView, CoreError> {
        self.by_hand(tenant, sid, |core, live| {
            Box::pin(async move {
                not_yet_answered(&live.call, "answered")?;
                if live.call.status == CallStatus::Queued {
                    core.callback(live, CallEvent::Initiated);
                    core.set_status(live, CallStatus::Ringing);
                }
                live.session.callee = Some(CallOutcome::Answer {
                    machine,
                    ring_ms: None,
                    talk_ms: None,
                });
                core.answer(live).await;
                core.run(live).await;
                Ok(())
            })
        })
        .await
    }

    /// End a call that has not been answered, as the callee: busy, no answer, or failed.
    pub async fn reject_call(
        &self,
        tenant: &Arc<Tenant>,
        sid: &str,
        how: Unanswered,
    ) -> Result<CallView, CoreError> {
        self.by_hand(tenant, sid, |core, live| {
            Box::pin(async move {
                not_yet_answered(&live.call, "rejected")?;
                core.end_unanswered(live, how.status());
                Ok(())
            })
        })
        .await
    }

    /// The person on the line presses keys: a gather takes them (ending at its finishing key
    /// or digit count), a recording ends at its finishing key, a dial with `hangupOnStar`
    /// hangs up its leg on `*`. Keys pressed while nothing listens are only heard.
    pub async fn press_digits(
        &self,
        tenant: &Arc<Tenant>,
        sid: &str,
        digits: &str,
    ) -> Result<CallView, CoreError> {
        if let Some(bad) = digits
            .chars()
            .find(|c| !(c.is_ascii_digit() || *c == '*' || *c == '#' || *c == 'w'))
        {
            return Err(CoreError::Invalid(format!(
                "digits: {bad:?} is not a key; keys are 0-9, * and # (w waits half a second)"
            )));
        }
        let digits = digits.replace('w', "");
        self.by_hand(tenant, sid, |core, live| {
            Box::pin(async move {
                in_progress(&live.call)?;
                live.hear(Heard::Pressed {
                    digits: digits.clone(),
                });
                for key in digits.chars() {
                    match live.session.waiting.clone() {
                        Some(Waiting::Gather {
                            gather,
                            digits: mut entered,
                            ..
                        }) if gather.input.dtmf => {
                            if Some(key) == gather.finish_on_key {
                                core.end_gather(live, entered, Some(key), None).await;
                            } else {
                                entered.push(key);
                                if gather
                                    .num_digits
                                    .is_some_and(|n| entered.len() >= n as usize)
                                {
                                    core.end_gather(live, entered, None, None).await;
                                } else {
                                    // Each key restarts the gather's timeout, as on Twilio.
                                    let deadline =
                                        live.now() + Millis::from(gather.timeout_s) * 1000;
                                    live.wait(
                                        Waiting::Gather {
                                            gather,
                                            digits: entered,
                                            deadline,
                                        },
                                        Some(deadline),
                                    );
                                    continue;
                                }
                            }
                        }
                        Some(Waiting::Record { record, .. })
                            if record.finish_on_key.contains(key) =>
                        {
                            core.end_record(live, key.to_string()).await;
                        }
                        Some(Waiting::Dial {
                            dial,
                            bridged: Some(leg),
                            ..
                        }) if dial.hangup_on_star && key == '*' => {
                            // The leg ends; the parent hears of it as of any leg's end.
                            core.end_leg(
                                &live.call.account_sid.clone(),
                                &leg,
                                CallStatus::Completed,
                            )
                            .await;
                            core.after_leg_hung_up(live, &leg).await;
                            continue;
                        }
                        _ => continue,
                    }
                    // The input ended a wait: the call goes on before the next key.
                    core.run(live).await;
                }
                Ok(())
            })
        })
        .await
    }

    /// A leg the caller hung up with `*` (hangupOnStar): the dial ends as completed.
    async fn after_leg_hung_up(&self, live: &mut Live, leg_sid: &str) {
        let Ok((leg, _)) = self.stored_call(&live.call.account_sid, leg_sid).await else {
            return;
        };
        if let Some(Waiting::Dial { dial, .. }) = live.session.waiting.clone() {
            self.end_dial(live, *dial, &leg, CallStatus::Completed)
                .await;
            self.run(live).await;
        }
    }

    /// The person on the line speaks: a speech gather takes the words as its result, a
    /// recording records them; otherwise they are only heard.
    pub async fn say_speech(
        &self,
        tenant: &Arc<Tenant>,
        sid: &str,
        text: &str,
    ) -> Result<CallView, CoreError> {
        let text = text.to_owned();
        self.by_hand(tenant, sid, |core, live| {
            Box::pin(async move {
                in_progress(&live.call)?;
                live.hear(Heard::Spoke { text: text.clone() });
                match live.session.waiting.clone() {
                    Some(Waiting::Gather { gather, .. }) if gather.input.speech => {
                        core.end_gather(live, String::new(), None, Some(text)).await;
                        core.run(live).await;
                    }
                    Some(Waiting::Record {
                        record, started_at, ..
                    }) => {
                        let now = live.now();
                        let max_end = started_at + Millis::from(record.max_length_s) * 1000;
                        let deadline = if record.timeout_s == 0 {
                            max_end
                        } else {
                            max_end.min(now + Millis::from(record.timeout_s) * 1000)
                        };
                        live.wait(
                            Waiting::Record {
                                record,
                                started_at,
                                last_speech_at: Some(now),
                                deadline,
                            },
                            Some(deadline),
                        );
                    }
                    _ => {}
                }
                Ok(())
            })
        })
        .await
    }

    /// The person on the line hangs up. A recording under way ends (its action is told
    /// `Digits=hangup`); a call not yet answered is declined (busy).
    pub async fn hang_up_call(
        &self,
        tenant: &Arc<Tenant>,
        sid: &str,
    ) -> Result<CallView, CoreError> {
        self.by_hand(tenant, sid, |core, live| {
            Box::pin(async move {
                match live.call.status {
                    status if status.is_final() => {
                        return Err(not_now(&live.call, "hung up: it has ended"));
                    }
                    CallStatus::Queued | CallStatus::Ringing
                        if live.call.direction != CallDirection::Inbound =>
                    {
                        core.end_unanswered(live, CallStatus::Busy);
                        return Ok(());
                    }
                    _ => {}
                }
                if matches!(live.session.waiting, Some(Waiting::Record { .. })) {
                    core.end_record(live, "hangup".into()).await;
                }
                let who = if live.call.direction == CallDirection::Inbound {
                    "caller"
                } else {
                    "callee"
                };
                core.end_call(live, who, CallStatus::Completed).await;
                Ok(())
            })
        })
        .await
    }

    /// The app changes a call (`POST …/Calls/{Sid}.json`): cancels it, hangs it up, or gives it
    /// new TwiML to run now.
    pub async fn update_call(
        &self,
        tenant: &Arc<Tenant>,
        sid: &str,
        update: CallUpdate,
    ) -> Result<Call, CoreError> {
        let view = self
            .by_hand(tenant, sid, |core, live| {
                Box::pin(async move {
                    if let Some(callback) = update.status_callback {
                        live.call.status_callback = Some(callback);
                    }
                    if let Some(app) = update.redirect {
                        if live.call.status != CallStatus::InProgress {
                            return Err(CoreError::Rejected(Rejection::new(
                                400,
                                21220,
                                "Call is not in-progress. Cannot redirect.",
                            )));
                        }
                        if let Some(Waiting::Dial { legs, .. }) = live.stop_waiting() {
                            for leg in &legs {
                                core.end_leg(
                                    &live.call.account_sid.clone(),
                                    leg,
                                    CallStatus::Canceled,
                                )
                                .await;
                            }
                        }
                        let document = match &app {
                            CallApp::Url { url, method, .. } => {
                                live.hear(Heard::Redirected { url: url.clone() });
                                core.fetch(live, url, *method, VerbResult::Nothing).await
                            }
                            CallApp::Twiml { twiml } => core.inline(live, twiml).await,
                            CallApp::Bridged => None,
                        };
                        live.call.app = app;
                        match document {
                            Some(document) => live.session.verbs = document.verbs.into(),
                            None if !live.call.status.is_final() => {
                                core.end_call(live, "app", CallStatus::Completed).await;
                            }
                            None => {}
                        }
                        core.run(live).await;
                    }
                    match (update.status, live.call.status) {
                        (Some(_), status) if status.is_final() => {}
                        (
                            Some(CallStatus::Canceled | CallStatus::Completed),
                            CallStatus::Queued | CallStatus::Ringing,
                        ) => {
                            live.session.epoch += 1;
                            live.hear(Heard::HungUp {
                                by: "api".into(),
                                status: CallStatus::Canceled.as_str().into(),
                            });
                            core.set_status(live, CallStatus::Canceled);
                        }
                        (Some(CallStatus::Completed), CallStatus::InProgress) => {
                            core.end_call(live, "api", CallStatus::Completed).await;
                        }
                        // Canceling a call in progress does nothing, as on Twilio.
                        _ => {}
                    }
                    live.call.updated_at = live.now();
                    Ok(())
                })
            })
            .await?;
        Ok(view.call)
    }

    /// Change a call by hand, under its lock, and answer it as it then is.
    async fn by_hand<F>(
        &self,
        tenant: &Arc<Tenant>,
        sid: &str,
        change: F,
    ) -> Result<CallView, CoreError>
    where
        F: for<'a> FnOnce(
            &'a Core,
            &'a mut Live,
        ) -> futures_util::future::BoxFuture<'a, Result<(), CoreError>>,
    {
        let guard = self.call_locks.lock(sid).await;
        let (call, session) = self.stored_call(&tenant.sid(), sid).await?;
        let mut live = Live::new(Arc::clone(tenant), call, session);
        change(self, &mut live).await?;
        let news = self.finish(live).await?;
        drop(guard);
        self.tell_parent(news).await;
        self.call_view(tenant, sid).await
    }
}

/// A call the app placed that nobody has answered yet: what the test may answer or reject as
/// the callee.
fn not_yet_answered(call: &Call, what: &str) -> Result<(), CoreError> {
    if matches!(call.status, CallStatus::Queued | CallStatus::Ringing)
        && call.direction != CallDirection::Inbound
    {
        Ok(())
    } else {
        Err(not_now(
            call,
            &format!("{what}: only a call the app placed that has not been answered can be"),
        ))
    }
}

fn in_progress(call: &Call) -> Result<(), CoreError> {
    if call.status == CallStatus::InProgress {
        Ok(())
    } else {
        Err(not_now(call, "spoken to: only a call in progress can be"))
    }
}

fn not_now(call: &Call, what: &str) -> CoreError {
    CoreError::FailedPrecondition(format!(
        "call {} is {} and cannot be {what}",
        call.sid,
        call.status.as_str()
    ))
}
