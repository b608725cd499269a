//! The call engine: a call's lifecycle from the tenant's rules, its TwiML run verb by verb,
//! and the caller's hand (keys, speech, hanging up) — all on the tenant's clock.
//!
//! Every change to a call happens under the call's lock: the engine reads the call and its
//! session, decides, and writes the whole call back with the jobs it schedules and the events
//! it raises. Verbs that take no time on the line as the engine models it (`<Say>`, `<Play>`)
//! run at once; what waits (`<Pause>`, `<Gather>`, `<Record>`, `<Dial>`, ringing) is a
//! durable call step on the existing scheduler, due on the tenant's clock, or input from the
//! test. A wait carries the session's epoch: once the call has moved on (input came, the app
//! redirected it) the step finds itself stale and does nothing. The engine saves the call
//! before each request to the app, so that what the app is asked about is what a reader sees.

use std::sync::Arc;

use crate::core::events::{EventData, NewEvent};
use crate::core::magic;
use crate::core::messaging::{Callback, HttpMethod, NewMessage, Origin};
use crate::core::outbox::{
    CallStatusNotice, Delivery, Notice, RecordingNotice, TwimlFailure, VerbResult, VoiceRequest,
    attempt_record,
};
use crate::core::rules::{CallOutcome, Decision, Outcome, Rejection, Subject};
use crate::core::store::{self, Job, JobKind, NewJob};
use crate::core::tenants::Tenant;
use crate::core::time::{ClockMode, Millis};
use crate::core::voice::twiml::{Dial, DialTarget, Document, Gather, Record, Verb};
use crate::core::voice::{
    Call, CallApp, CallDirection, CallEvent, CallStatus, CallStatusCallback, CallStep, CallView,
    Heard, InboundCall, NewCall, Recording, RecordingSource, RecordingStatus, Session,
    TranscriptEntry, Waiting,
};
use crate::core::{Core, CoreError, ids};

mod hand; // the test's hand on a call, and the app's changes through the API

/// What Twilio says before it hangs up on an application error.
const APPLICATION_ERROR: &str = "We are sorry, an application error has occurred. Goodbye.";

/// How sure the simulated speech recognizer is: the caller's words are taken as said.
const SPEECH_CONFIDENCE: f32 = 0.9;

/// A call being worked on, under its lock: the call and session as they will be written, with
/// what the change schedules and raises.
struct Live {
    tenant: Arc<Tenant>,
    call: Call,
    session: Session,
    claimed_job: Option<i64>,
    jobs: Vec<NewJob>,
    events: Vec<NewEvent>,
    recordings: Vec<Recording>,
    /// The call is a `<Dial>` leg whose parent must hear of this change (it answered or ended).
    tell_parent: bool,
}

impl Live {
    fn new(tenant: Arc<Tenant>, call: Call, session: Session) -> Self {
        Live {
            tenant,
            call,
            session,
            claimed_job: None,
            jobs: Vec::new(),
            events: Vec::new(),
            recordings: Vec::new(),
            tell_parent: false,
        }
    }

    fn now(&self) -> Millis {
        self.tenant.now()
    }

    fn event(&mut self, data: EventData) {
        self.events.push(NewEvent {
            account_sid: self.call.account_sid.clone(),
            at: self.now(),
            data,
        });
    }

    /// A line of the transcript, with its event.
    fn hear(&mut self, what: Heard) {
        let entry = TranscriptEntry {
            at: self.now(),
            what,
        };
        self.session.transcript.push(entry.clone());
        self.event(EventData::CallVerb {
            sid: self.call.sid.clone(),
            to: self.call.to.clone(),
            from: self.call.from.clone(),
            entry,
        });
    }

    fn schedule(&mut self, step: CallStep, due_at: Millis, epoch: Option<u64>) {
        self.jobs.push(NewJob {
            account_sid: self.call.account_sid.clone(),
            resource_sid: self.call.sid.clone(),
            due_at,
            kind: JobKind::CallStep {
                sid: self.call.sid.clone(),
                epoch,
                step,
            },
        });
    }

    /// Wait for `waiting` until `deadline` (or input): any earlier wait is over.
    fn wait(&mut self, waiting: Waiting, deadline: Option<Millis>) {
        self.session.epoch += 1;
        self.session.waiting = Some(waiting);
        if let Some(deadline) = deadline {
            self.schedule(CallStep::Resume, deadline, Some(self.session.epoch));
        }
    }

    /// Stop waiting: pending resumptions become stale.
    fn stop_waiting(&mut self) -> Option<Waiting> {
        self.session.epoch += 1;
        self.session.waiting.take()
    }

    /// The tenant's number on the call, and the other party: the caller of an inbound call,
    /// the callee of an outbound one.
    fn parties(&self) -> (String, String) {
        match self.call.direction {
            CallDirection::Inbound => (self.call.to.clone(), self.call.from.clone()),
            _ => (self.call.from.clone(), self.call.to.clone()),
        }
    }
}

/// A `<Dial>` leg answered or ended: what its parent call must hear.
struct LegNews {
    parent_sid: String,
    leg: Call,
}

/// Resolve a URL from TwiML against the document it came from.
fn resolve(url: &str, base: Option<&str>) -> String {
    match base.and_then(|base| url::Url::parse(base).ok()) {
        Some(base) => base.join(url).map_or_else(|_| url.to_owned(), String::from),
        None => url.to_owned(),
    }
}

fn seconds(ms: Millis) -> u32 {
    (ms.max(0) / 1000) as u32
}

impl Core {
    fn step_delay(&self) -> Millis {
        self.settings.step_delay.as_millis() as Millis
    }

    // -----------------------------------------------------------------------------------------
    // Placing calls.

    /// Place a call as an app does through the API: check the parties, let the rules decide
    /// what the callee does, store it queued with its first step.
    pub async fn place_call(&self, tenant: &Arc<Tenant>, new: NewCall) -> Result<Call, CoreError> {
        if let Some(rejection) = magic::call_rejection(&new.from, &new.to) {
            return Err(CoreError::Rejected(rejection));
        }
        let is_address = new.from.starts_with("client:") || new.from.starts_with("sip:");
        if self.settings.check_from_numbers
            && !is_address
            && new.from != magic::VALID_TEST_SENDER
            && !tenant.owns_number(&new.from)
        {
            return Err(CoreError::Rejected(Rejection::new(
                400,
                21210,
                format!(
                    "The source phone number provided, {}, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.",
                    new.from
                ),
            )));
        }
        let decision = self.decide_call(tenant, &new.to, &new.from).await?;
        let now = tenant.now();
        let call = Call {
            sid: ids::sid("CA"),
            account_sid: tenant.sid(),
            parent_call_sid: None,
            direction: CallDirection::OutboundApi,
            phone_number_sid: tenant.number(&new.from).map(|n| n.sid),
            from: new.from,
            to: new.to,
            status: CallStatus::Queued,
            answered_by: None,
            caller_name: None,
            forwarded_from: None,
            created_at: now,
            updated_at: now,
            start_time: None,
            end_time: None,
            duration_s: None,
            app: new.app,
            status_callback: new.status_callback,
            timeout_s: new.timeout_s,
            machine_detection: new.machine_detection,
            record: new.record,
            recording_status_callback: new.recording_status_callback,
            send_digits: new.send_digits,
            error_code: None,
        };
        let session = Session {
            callee: Some(decision.0),
            ..Session::default()
        };
        let mut live = Live::new(Arc::clone(tenant), call, session);
        live.event(EventData::CallCreated {
            call: Box::new(live.call.clone()),
        });
        if let Some(rule_id) = decision.1 {
            live.event(EventData::RuleMatched {
                rule_id,
                sid: Some(live.call.sid.clone()),
                to: live.call.to.clone(),
                outcome: Outcome::Call(live.session.callee.clone().unwrap_or(CallOutcome::Fail)),
            });
        }
        live.schedule(CallStep::Dial, now + self.step_delay(), Some(0));
        let call = live.call.clone();
        self.save(live).await?;
        Ok(call)
    }

    /// What the callee at `to` does, by the tenant's rules (channel `voice`), and the rule that
    /// said so. A rule that rejects refuses the call's create with its error.
    async fn decide_call(
        &self,
        tenant: &Tenant,
        to: &str,
        from: &str,
    ) -> Result<(CallOutcome, Option<String>), CoreError> {
        let decision = tenant.with_rules(|book| {
            book.decide(Subject {
                channel: "voice",
                to,
                from: Some(from),
                body: "",
            })
        });
        match decision {
            Some(Decision {
                rule,
                outcome: Outcome::Reject(rejection),
            }) => {
                self.store
                    .write(store::AppendEvent(NewEvent {
                        account_sid: tenant.sid(),
                        at: tenant.now(),
                        data: EventData::RuleMatched {
                            rule_id: rule.id,
                            sid: None,
                            to: to.to_owned(),
                            outcome: Outcome::Reject(rejection.clone()),
                        },
                    }))
                    .await?;
                Err(CoreError::Rejected(rejection))
            }
            Some(Decision { rule, outcome }) => Ok((
                outcome.for_call().unwrap_or(CallOutcome::Fail),
                Some(rule.id),
            )),
            None if self.settings.default_succeeds => Ok((
                CallOutcome::Answer {
                    machine: false,
                    ring_ms: None,
                    talk_ms: None,
                },
                None,
            )),
            None => Ok((CallOutcome::Fail, None)),
        }
    }

    /// A simulated caller dials one of the tenant's numbers: the call rings, Twilio asks the
    /// number's voice URL what to do, and the call runs the answer until it waits for the
    /// caller (or ends). Returns the call as it then is.
    pub async fn dial_in(
        &self,
        tenant: &Arc<Tenant>,
        inbound: InboundCall,
    ) -> Result<CallView, CoreError> {
        let number = tenant.number(&inbound.to).ok_or_else(|| {
            CoreError::FailedPrecondition(format!(
                "{} is not one of the tenant's phone numbers; add it (Numbers service) before calling it",
                inbound.to
            ))
        })?;
        let Some(voice_url) = number.voice.url.clone() else {
            return Err(CoreError::FailedPrecondition(format!(
                "{} has no voice URL: set its VoiceUrl (IncomingPhoneNumbers) to the app's TwiML endpoint",
                inbound.to
            )));
        };
        let now = tenant.now();
        let call = Call {
            sid: ids::sid("CA"),
            account_sid: tenant.sid(),
            parent_call_sid: None,
            direction: CallDirection::Inbound,
            from: inbound.from,
            to: number.phone_number.clone(),
            status: CallStatus::Ringing,
            answered_by: None,
            caller_name: inbound.caller_name,
            forwarded_from: inbound.forwarded_from,
            phone_number_sid: Some(number.sid.clone()),
            created_at: now,
            updated_at: now,
            start_time: None,
            end_time: None,
            duration_s: None,
            app: CallApp::Url {
                url: voice_url,
                method: number.voice.method,
                fallback: number
                    .voice_fallback
                    .url
                    .clone()
                    .map(|url| (url, number.voice_fallback.method)),
            },
            // The number's StatusCallback hears the call's end, as on Twilio.
            status_callback: number
                .status_callback
                .url
                .clone()
                .map(|url| CallStatusCallback {
                    url,
                    method: number.status_callback.method,
                    events: vec![CallEvent::Completed],
                }),
            timeout_s: 60,
            machine_detection: None,
            record: false,
            recording_status_callback: None,
            send_digits: None,
            error_code: None,
        };
        let sid = call.sid.clone();
        let _guard = self.call_locks.lock(&sid).await;
        let mut live = Live::new(Arc::clone(tenant), call, Session::default());
        live.event(EventData::CallCreated {
            call: Box::new(live.call.clone()),
        });
        self.start_app(&mut live).await;
        self.run(&mut live).await;
        // An inbound call is no <Dial> leg: it has no parent to tell.
        self.finish(live).await?;
        self.call_view(tenant, &sid).await
    }

    // -----------------------------------------------------------------------------------------
    // Scheduled steps.

    /// Run a call's scheduled step (see [`CallStep`]); a stale one only removes its row.
    pub(in crate::core) async fn run_call_step(
        &self,
        job: &Job,
        sid: &str,
        epoch: Option<u64>,
        step: CallStep,
    ) -> Result<(), CoreError> {
        let Some(tenant) = self.tenants.get(&job.account_sid) else {
            return Ok(());
        };
        let guard = self.call_locks.lock(sid).await;
        let stored = match self.stored_call(&job.account_sid, sid).await {
            Ok(stored) => Some(stored),
            Err(CoreError::NotFound) => None,
            Err(other) => return Err(other),
        };
        let Some((call, session)) = stored else {
            self.store
                .write(store::ClaimCallStep { job_id: job.id })
                .await?;
            return Ok(());
        };
        let mut live = Live::new(tenant, call, session);
        live.claimed_job = Some(job.id);
        let current = epoch.is_none_or(|epoch| epoch == live.session.epoch);
        if current && !live.call.status.is_final() {
            match step {
                CallStep::Dial => self.start_dialing(&mut live),
                CallStep::Answer => {
                    self.answer(&mut live).await;
                    self.run(&mut live).await;
                }
                CallStep::Unanswered { status } => self.end_unanswered(&mut live, status),
                CallStep::Resume => self.resume(&mut live).await,
                CallStep::CalleeHangup => {
                    if live.call.status == CallStatus::InProgress {
                        self.end_call(&mut live, "callee", CallStatus::Completed)
                            .await;
                    }
                }
            }
        }
        let news = self.finish(live).await?;
        drop(guard);
        self.tell_parent(news).await;
        Ok(())
    }

    /// The call leaves the queue: `initiated`, then it rings (or fails at once); what the
    /// callee does next is scheduled from the rules' outcome.
    fn start_dialing(&self, live: &mut Live) {
        let now = live.now();
        let callee = live.session.callee.clone().unwrap_or(CallOutcome::Ring);
        if callee == CallOutcome::Fail {
            self.set_status(live, CallStatus::Failed);
            return;
        }
        self.callback(live, CallEvent::Initiated);
        self.set_status(live, CallStatus::Ringing);
        let timeout = now + Millis::from(live.call.timeout_s) * 1000;
        let epoch = Some(live.session.epoch);
        match callee {
            CallOutcome::Answer { ring_ms, .. } => {
                let ring = ring_ms.map_or(self.step_delay(), |ms| ms as Millis);
                live.schedule(CallStep::Answer, now + ring, epoch);
            }
            CallOutcome::Busy { ring_ms } => {
                let ring = ring_ms.map_or(self.step_delay(), |ms| ms as Millis);
                live.schedule(
                    CallStep::Unanswered {
                        status: CallStatus::Busy,
                    },
                    now + ring,
                    epoch,
                );
            }
            CallOutcome::NoAnswer | CallOutcome::Ring => live.schedule(
                CallStep::Unanswered {
                    status: CallStatus::NoAnswer,
                },
                timeout,
                epoch,
            ),
            CallOutcome::Fail => {}
        }
    }

    /// The callee picks up: the call is in progress, the callee's talk time starts, and the
    /// app's TwiML is asked for (a `<Dial>` leg has none: it is bridged to its parent).
    async fn answer(&self, live: &mut Live) {
        let machine = matches!(
            live.session.callee,
            Some(CallOutcome::Answer { machine: true, .. })
        );
        if live.call.machine_detection.is_some() {
            live.call.answered_by = Some(
                match (machine, live.call.machine_detection.as_deref()) {
                    (false, _) => "human",
                    (true, Some("DetectMessageEnd")) => "machine_end_beep",
                    (true, _) => "machine_start",
                }
                .to_owned(),
            );
        }
        live.session.epoch += 1;
        self.set_status(live, CallStatus::InProgress);
        if let Some(CallOutcome::Answer {
            talk_ms: Some(talk_ms),
            ..
        }) = live.session.callee
        {
            live.schedule(CallStep::CalleeHangup, live.now() + talk_ms as Millis, None);
        }
        if let Some(digits) = live.call.send_digits.clone() {
            live.hear(Heard::Played {
                url: None,
                digits: Some(digits),
                loops: 1,
            });
        }
        if live.call.parent_call_sid.is_some() {
            live.tell_parent = true;
        } else {
            self.start_app(live).await;
        }
    }

    /// Load the call's first document: its `Url` (with `FallbackUrl`), or its inline TwiML.
    /// An inbound call is still ringing while the app is asked: a first `<Reject>` ends it
    /// unanswered; anything else answers it.
    async fn start_app(&self, live: &mut Live) {
        let document = match live.call.app.clone() {
            CallApp::Url { url, method, .. } => {
                self.fetch(live, &url, method, VerbResult::Nothing).await
            }
            CallApp::Twiml { twiml } => self.inline(live, &twiml).await,
            CallApp::Bridged => return,
        };
        let Some(document) = document else {
            return;
        };
        live.session.verbs = document.verbs.into();
        if live.call.status == CallStatus::Ringing {
            if let Some(Verb::Reject(reject)) = live.session.verbs.front() {
                let status = if reject.reason == "busy" {
                    CallStatus::Busy
                } else {
                    CallStatus::NoAnswer
                };
                live.session.verbs.clear();
                live.hear(Heard::HungUp {
                    by: "app".into(),
                    status: status.as_str().into(),
                });
                self.set_status(live, status);
                return;
            }
            self.set_status(live, CallStatus::InProgress);
        }
    }

    /// The callee never picked up (or the test said so).
    fn end_unanswered(&self, live: &mut Live, status: CallStatus) {
        live.session.epoch += 1;
        live.hear(Heard::HungUp {
            by: "callee".into(),
            status: status.as_str().into(),
        });
        self.set_status(live, status);
    }

    /// A wait has reached its deadline.
    async fn resume(&self, live: &mut Live) {
        match live.session.waiting.clone() {
            Some(Waiting::Pause { .. }) => {
                live.stop_waiting();
            }
            Some(Waiting::Gather { digits, .. }) => {
                self.end_gather(live, digits, None, None).await;
            }
            Some(Waiting::Record {
                record,
                started_at,
                last_speech_at,
                ..
            }) => {
                let now = live.now();
                let max_end = started_at + Millis::from(record.max_length_s) * 1000;
                let silent_since = last_speech_at.unwrap_or(started_at);
                let silence_end = silent_since + Millis::from(record.timeout_s) * 1000;
                if now < max_end && (record.timeout_s == 0 || now < silence_end) {
                    // The caller spoke since this deadline was set: wait for the next one.
                    let deadline = if record.timeout_s == 0 {
                        max_end
                    } else {
                        max_end.min(silence_end)
                    };
                    live.wait(
                        Waiting::Record {
                            record,
                            started_at,
                            last_speech_at,
                            deadline,
                        },
                        Some(deadline),
                    );
                    return;
                }
                self.end_record(live, String::new()).await;
            }
            Some(Waiting::Dial { .. }) | None => return,
        }
        self.run(live).await;
    }

    // -----------------------------------------------------------------------------------------
    // The interpreter.

    /// Run the call's verbs until it waits or ends; the end of the document hangs up.
    async fn run(&self, live: &mut Live) {
        // A `<Dial>` leg runs no TwiML: it is connected to its parent until someone hangs up.
        if live.call.app == CallApp::Bridged {
            return;
        }
        loop {
            if live.call.status != CallStatus::InProgress || live.session.waiting.is_some() {
                return;
            }
            let Some(verb) = live.session.verbs.pop_front() else {
                self.end_call(live, "app", CallStatus::Completed).await;
                return;
            };
            self.run_verb(live, verb).await;
        }
    }

    async fn run_verb(&self, live: &mut Live, verb: Verb) {
        let base = live
            .session
            .document_url
            .as_ref()
            .map(|(url, _)| url.clone());
        match verb {
            Verb::Say(_) | Verb::Play(_) | Verb::Pause(_) => {
                let pause = self.prompt(live, &verb, base.as_deref());
                if pause > 0 {
                    let until = live.now() + pause;
                    live.wait(Waiting::Pause { until }, Some(until));
                }
            }
            Verb::Gather(gather) => self.start_gather(live, Box::new(gather), base.as_deref()),
            Verb::Record(record) => self.start_record(live, Box::new(record)),
            Verb::Redirect(redirect) => {
                let url = resolve(&redirect.url, base.as_deref());
                live.hear(Heard::Redirected { url: url.clone() });
                if let Some(document) = self
                    .fetch(live, &url, redirect.method, VerbResult::Nothing)
                    .await
                {
                    live.session.verbs = document.verbs.into();
                }
            }
            Verb::Hangup | Verb::Reject(_) => {
                self.end_call(live, "app", CallStatus::Completed).await;
            }
            Verb::Dial(dial) => self.start_dial(live, dial).await,
            Verb::Message(message) => {
                let (number, other) = live.parties();
                let new = NewMessage {
                    to: message.to.unwrap_or(other),
                    from: Some(message.from.unwrap_or(number)),
                    messaging_service_sid: None,
                    body: message.body,
                    media_urls: message.media,
                    status_callback: message.status_callback.map(|url| Callback {
                        url: resolve(&url, base.as_deref()),
                        method: message.method,
                    }),
                    send_at: None,
                    content_sid: None,
                };
                match self
                    .send_outbound(&live.tenant.clone(), new, Origin::Call)
                    .await
                {
                    Ok(sent) => live.hear(Heard::MessageSent {
                        message_sid: sent.sid,
                        to: sent.to,
                        body: sent.body,
                    }),
                    Err(error) => {
                        let (code, message) = match error {
                            CoreError::Rejected(rejection) => (rejection.code, rejection.message),
                            other => (14101, other.to_string()),
                        };
                        self.notify(live, code, message, None);
                    }
                }
            }
            Verb::NotSimulated { name } => live.hear(Heard::NotSimulated { verb: name }),
        }
    }

    /// Say, play or pause (on its own or inside a `<Gather>`): how long it keeps the line, in
    /// ms (only pauses take time here).
    fn prompt(&self, live: &mut Live, verb: &Verb, base: Option<&str>) -> Millis {
        match verb {
            Verb::Say(say) => {
                live.hear(Heard::Said {
                    text: say.text.clone(),
                    voice: say.voice.clone(),
                    language: say.language.clone(),
                    loops: say.loops,
                });
                0
            }
            Verb::Play(play) => {
                live.hear(Heard::Played {
                    url: play.url.as_deref().map(|url| resolve(url, base)),
                    digits: play.digits.clone(),
                    loops: play.loops,
                });
                0
            }
            Verb::Pause(pause) => {
                live.hear(Heard::Paused {
                    seconds: pause.length_s,
                });
                Millis::from(pause.length_s) * 1000
            }
            _ => 0,
        }
    }

    fn start_gather(&self, live: &mut Live, gather: Box<Gather>, base: Option<&str>) {
        let mut prompts_ms = 0;
        for prompt in &gather.prompts {
            prompts_ms += self.prompt(live, prompt, base);
        }
        let input = match (gather.input.dtmf, gather.input.speech) {
            (true, true) => "dtmf speech",
            (false, true) => "speech",
            _ => "dtmf",
        };
        live.hear(Heard::Gathering {
            input: input.into(),
            timeout_s: gather.timeout_s,
            num_digits: gather.num_digits,
        });
        let deadline = live.now() + prompts_ms + Millis::from(gather.timeout_s) * 1000;
        live.event(EventData::CallGathering {
            sid: live.call.sid.clone(),
            to: live.call.to.clone(),
            from: live.call.from.clone(),
            verb: "gather".into(),
            input: input.into(),
            deadline,
        });
        live.wait(
            Waiting::Gather {
                gather,
                digits: String::new(),
                deadline,
            },
            Some(deadline),
        );
    }

    /// The gather is over: with input (or with none, when `actionOnEmptyResult` asks), its
    /// action (by default the document's own URL) is asked what comes next; with none, the
    /// document goes on.
    async fn end_gather(
        &self,
        live: &mut Live,
        digits: String,
        finished_on_key: Option<char>,
        speech: Option<String>,
    ) {
        let Some(Waiting::Gather { gather, .. }) = live.stop_waiting() else {
            return;
        };
        let entered = !digits.is_empty() || speech.is_some();
        live.hear(Heard::Gathered {
            digits: (!digits.is_empty()).then(|| digits.clone()),
            speech: speech.clone(),
        });
        if !entered && !gather.action_on_empty_result {
            return;
        }
        let Some((url, method)) = self.action(live, gather.action.as_deref(), gather.method) else {
            return;
        };
        let result = VerbResult::Gathered {
            digits: speech.is_none().then_some(digits),
            finished_on_key: finished_on_key.map(String::from),
            speech: speech.map(|text| (text, SPEECH_CONFIDENCE)),
        };
        if let Some(document) = self.fetch(live, &url, method, result).await {
            live.session.verbs = document.verbs.into();
        }
    }

    /// Where a verb posts its result: its `action`, resolved, or the document's own URL; none
    /// for inline TwiML without an action.
    fn action(
        &self,
        live: &Live,
        action: Option<&str>,
        method: HttpMethod,
    ) -> Option<(String, HttpMethod)> {
        let base = live.session.document_url.as_ref();
        match action {
            Some(action) => Some((resolve(action, base.map(|(url, _)| url.as_str())), method)),
            None => base.map(|(url, _)| (url.clone(), method)),
        }
    }

    fn start_record(&self, live: &mut Live, record: Box<Record>) {
        live.hear(Heard::RecordingStarted {
            beep: record.play_beep,
        });
        let now = live.now();
        let max_end = now + Millis::from(record.max_length_s) * 1000;
        let deadline = if record.timeout_s == 0 {
            max_end
        } else {
            max_end.min(now + Millis::from(record.timeout_s) * 1000)
        };
        live.event(EventData::CallGathering {
            sid: live.call.sid.clone(),
            to: live.call.to.clone(),
            from: live.call.from.clone(),
            verb: "record".into(),
            input: "dtmf speech".into(),
            deadline,
        });
        live.wait(
            Waiting::Record {
                record,
                started_at: now,
                last_speech_at: None,
                deadline,
            },
            Some(deadline),
        );
    }

    /// The recording is over (`digits`: the key that ended it, `hangup`, or empty for
    /// silence and the maximum length). Nothing said: no recording, and the document goes on
    /// (Twilio does not ask the action about an empty recording). Else the recording is
    /// stored and the action is asked what comes next — after a hangup, only told.
    async fn end_record(&self, live: &mut Live, digits: String) {
        let Some(Waiting::Record {
            record,
            started_at,
            last_speech_at,
            ..
        }) = live.stop_waiting()
        else {
            return;
        };
        let now = live.now();
        let Some(last_speech_at) = last_speech_at else {
            live.hear(Heard::RecordingEnded {
                recording_sid: None,
                duration_s: 0,
            });
            return;
        };
        // Trimmed, the recording ends when the caller last spoke.
        let end = if record.trim == "do-not-trim" {
            now
        } else {
            last_speech_at
        };
        let duration_s = seconds(end - started_at).max(1);
        let recording =
            self.new_recording(live, RecordingSource::RecordVerb, started_at, duration_s);
        live.hear(Heard::RecordingEnded {
            recording_sid: Some(recording.sid.clone()),
            duration_s,
        });
        if let Some(url) = &record.recording_status_callback
            && (record.recording_status_callback_event.is_empty()
                || record
                    .recording_status_callback_event
                    .iter()
                    .any(|e| e == "completed"))
        {
            let url = resolve(
                url,
                live.session.document_url.as_ref().map(|(u, _)| u.as_str()),
            );
            self.recording_callback(
                live,
                &recording,
                url,
                record.recording_status_callback_method,
            );
        }
        let Some((url, method)) = self.action(live, record.action.as_deref(), record.method) else {
            return;
        };
        let hung_up = digits == "hangup";
        let result = VerbResult::Recorded { recording, digits };
        if let Some(document) = self.fetch(live, &url, method, result).await
            && !hung_up
        {
            live.session.verbs = document.verbs.into();
        }
    }

    fn new_recording(
        &self,
        live: &mut Live,
        source: RecordingSource,
        started_at: Millis,
        duration_s: u32,
    ) -> Recording {
        let now = live.now();
        let recording = Recording {
            sid: ids::sid("RE"),
            account_sid: live.call.account_sid.clone(),
            call_sid: live.call.sid.clone(),
            status: RecordingStatus::Completed,
            source,
            channels: 1,
            duration_s,
            start_time: started_at,
            created_at: now,
            updated_at: now,
            error_code: None,
        };
        live.recordings.push(recording.clone());
        live.event(EventData::RecordingCreated {
            recording: recording.clone(),
        });
        recording
    }

    fn recording_callback(
        &self,
        live: &mut Live,
        recording: &Recording,
        url: String,
        method: HttpMethod,
    ) {
        if !self.settings.callbacks_enabled {
            return;
        }
        let notice = Notice::RecordingStatus(Box::new(RecordingNotice {
            recording: recording.clone(),
            at: live.now(),
        }));
        self.deliver_now(live, &recording.sid, "completed", url, method, notice);
    }

    /// Schedule a webhook about the call, due now, with the server's retry policy.
    fn deliver_now(
        &self,
        live: &mut Live,
        about: &str,
        status: &str,
        url: String,
        method: HttpMethod,
        notice: Notice,
    ) {
        let delivery = Delivery {
            idempotency_token: format!("{}-{}", ids::hex(16), about),
            resource_sid: live.call.sid.clone(),
            status: status.to_owned(),
            url,
            method,
            notice,
            to: Some(live.call.to.clone()),
            from: Some(live.call.from.clone()),
            target: None,
            attempt: 1,
            max_attempts: self.settings.retry_attempts.max(1),
            retry_delay_ms: self.settings.retry_delay.as_millis() as u64,
        };
        live.jobs.push(NewJob {
            account_sid: live.call.account_sid.clone(),
            resource_sid: live.call.sid.clone(),
            due_at: live.now(),
            kind: JobKind::Deliver(delivery),
        });
    }

    /// `<Dial>`: each simulated target becomes a child call, ringing now, whose callee the
    /// rules decide; the parent waits for the first to answer, or for all to fail.
    async fn start_dial(&self, live: &mut Live, dial: Dial) {
        let now = live.now();
        let time_limit_ms = u64::from(dial.time_limit_s) * 1000;
        let base = live
            .session
            .document_url
            .as_ref()
            .map(|(url, _)| url.clone());
        let mut legs = Vec::new();
        let mut numbers = Vec::new();
        for target in &dial.targets {
            let leg = match target {
                DialTarget::Number(leg) | DialTarget::Client(leg) | DialTarget::Sip(leg) => leg,
                DialTarget::NotSimulated { name } => {
                    live.hear(Heard::NotSimulated { verb: name.clone() });
                    continue;
                }
            };
            let caller_id = dial
                .caller_id
                .clone()
                .unwrap_or_else(|| live.call.from.clone());
            let callee = match self
                .decide_call(&live.tenant, &leg.address, &caller_id)
                .await
            {
                // The dial's timeLimit ends the bridged call if the callee talks longer.
                Ok((
                    CallOutcome::Answer {
                        machine,
                        ring_ms,
                        talk_ms,
                    },
                    _,
                )) => CallOutcome::Answer {
                    machine,
                    ring_ms,
                    talk_ms: Some(talk_ms.map_or(time_limit_ms, |talk| talk.min(time_limit_ms))),
                },
                Ok((callee, _)) => callee,
                // A rule that refuses the number: the leg cannot be placed.
                Err(_) => CallOutcome::Fail,
            };
            let events = if leg.status_callback_event.is_empty() {
                vec![CallEvent::Completed]
            } else {
                leg.status_callback_event
                    .iter()
                    .filter_map(|e| CallEvent::parse(e))
                    .collect()
            };
            let child = Call {
                sid: ids::sid("CA"),
                account_sid: live.call.account_sid.clone(),
                parent_call_sid: Some(live.call.sid.clone()),
                direction: CallDirection::OutboundDial,
                from: caller_id,
                to: leg.address.clone(),
                status: CallStatus::Queued,
                answered_by: None,
                caller_name: None,
                forwarded_from: None,
                phone_number_sid: None,
                created_at: now,
                updated_at: now,
                start_time: None,
                end_time: None,
                duration_s: None,
                app: CallApp::Bridged,
                status_callback: leg.status_callback.clone().map(|url| CallStatusCallback {
                    url: resolve(&url, base.as_deref()),
                    method: leg.status_callback_method,
                    events,
                }),
                timeout_s: dial.timeout_s,
                machine_detection: None,
                record: false,
                recording_status_callback: None,
                send_digits: leg.send_digits.clone(),
                error_code: None,
            };
            let mut child_live = Live::new(
                Arc::clone(&live.tenant),
                child,
                Session {
                    callee: Some(callee),
                    ..Session::default()
                },
            );
            child_live.event(EventData::CallCreated {
                call: Box::new(child_live.call.clone()),
            });
            child_live.schedule(CallStep::Dial, now, Some(0));
            legs.push(child_live.call.sid.clone());
            numbers.push(leg.address.clone());
            if let Err(error) = self.save(child_live).await {
                tracing::error!(%error, "cannot store a <Dial> leg");
            }
        }
        if legs.is_empty() {
            return;
        }
        live.hear(Heard::Dialed {
            numbers,
            call_sids: legs.clone(),
        });
        live.wait(
            Waiting::Dial {
                dial: Box::new(dial),
                legs,
                bridged: None,
                started_at: now,
            },
            None,
        );
    }

    /// A `<Dial>` leg answered or ended: bridge it (hanging up the others), or end the dial
    /// with how it went and ask the dial's action what comes next.
    async fn leg_changed(&self, account_sid: &str, parent_sid: &str, leg: &Call) {
        let Some(tenant) = self.tenants.get(account_sid) else {
            return;
        };
        let _guard = self.call_locks.lock(parent_sid).await;
        let Ok((call, session)) = self.stored_call(account_sid, parent_sid).await else {
            return;
        };
        let mut live = Live::new(tenant, call, session);
        let Some(Waiting::Dial {
            dial,
            legs,
            bridged,
            started_at,
        }) = live.session.waiting.clone()
        else {
            return;
        };
        if !legs.contains(&leg.sid) {
            return;
        }
        if leg.status == CallStatus::InProgress && bridged.is_none() {
            for other in legs.iter().filter(|sid| **sid != leg.sid) {
                self.end_leg(account_sid, other, CallStatus::Canceled).await;
            }
            live.session.waiting = Some(Waiting::Dial {
                dial,
                legs,
                bridged: Some(leg.sid.clone()),
                started_at,
            });
        } else if leg.status.is_final() {
            let others_live = self.any_leg_live(account_sid, &legs, &leg.sid).await;
            if bridged.as_deref() == Some(leg.sid.as_str()) || (bridged.is_none() && !others_live) {
                let status = match leg.status {
                    CallStatus::Canceled => CallStatus::NoAnswer,
                    status => status,
                };
                self.end_dial(&mut live, *dial, leg, status).await;
                self.run(&mut live).await;
            }
        }
        if let Err(error) = self.finish(live).await {
            tracing::error!(%error, call = parent_sid, "cannot save a call after its <Dial> leg changed");
        }
    }

    async fn any_leg_live(&self, account_sid: &str, legs: &[String], except: &str) -> bool {
        for sid in legs.iter().filter(|sid| *sid != except) {
            if let Ok((call, _)) = self.stored_call(account_sid, sid).await
                && !call.status.is_final()
            {
                return true;
            }
        }
        false
    }

    async fn end_dial(&self, live: &mut Live, dial: Dial, leg: &Call, status: CallStatus) {
        live.stop_waiting();
        live.hear(Heard::DialEnded {
            status: status.as_str().into(),
            call_sid: Some(leg.sid.clone()),
        });
        let Some(action) = dial.action.as_deref() else {
            return;
        };
        let Some((url, method)) = self.action(live, Some(action), dial.method) else {
            return;
        };
        let result = VerbResult::Dialed {
            status,
            call_sid: Some(leg.sid.clone()),
            duration_s: leg.duration_s,
            bridged: leg.start_time.is_some(),
        };
        if let Some(document) = self.fetch(live, &url, method, result).await {
            live.session.verbs = document.verbs.into();
        }
    }

    /// End a `<Dial>` leg from its parent's side (another leg answered, the caller hung up):
    /// its parent is not told.
    async fn end_leg(&self, account_sid: &str, sid: &str, status: CallStatus) {
        let Some(tenant) = self.tenants.get(account_sid) else {
            return;
        };
        let _guard = self.call_locks.lock(sid).await;
        let Ok((call, session)) = self.stored_call(account_sid, sid).await else {
            return;
        };
        if call.status.is_final() {
            return;
        }
        let mut live = Live::new(tenant, call, session);
        let status = match (live.call.status, status) {
            (CallStatus::InProgress, _) => CallStatus::Completed,
            (_, status) => status,
        };
        live.session.epoch += 1;
        live.hear(Heard::HungUp {
            by: "caller".into(),
            status: status.as_str().into(),
        });
        self.set_status(&mut live, status);
        live.tell_parent = false;
        if let Err(error) = self.save(live).await {
            tracing::error!(%error, call = sid, "cannot end a <Dial> leg");
        }
        self.call_locks.forget(sid);
    }

    /// Hang the call up: its waits end, its legs hang up, a recorded call's recording is made,
    /// and the final status is reported.
    async fn end_call(&self, live: &mut Live, by: &str, status: CallStatus) {
        if let Some(Waiting::Dial { legs, .. }) = live.stop_waiting() {
            for leg in &legs {
                self.end_leg(&live.call.account_sid, leg, CallStatus::Canceled)
                    .await;
            }
        }
        live.session.verbs.clear();
        let status = match (live.call.status, status) {
            (CallStatus::Queued | CallStatus::Ringing, CallStatus::Completed) => {
                CallStatus::Canceled
            }
            (_, status) => status,
        };
        live.hear(Heard::HungUp {
            by: by.to_owned(),
            status: status.as_str().into(),
        });
        self.set_status(live, status);
        if live.call.record
            && let Some(start) = live.call.start_time
        {
            let duration = live.call.duration_s.unwrap_or(0).max(1);
            let recording = self.new_recording(live, RecordingSource::OutboundAPI, start, duration);
            if let Some((url, method)) = live.call.recording_status_callback.clone() {
                self.recording_callback(live, &recording, url, method);
            }
        }
    }

    /// Set the call's status, with its event and, when the app asked for it, its callback.
    fn set_status(&self, live: &mut Live, status: CallStatus) {
        let previous = live.call.status;
        if previous == status {
            return;
        }
        let now = live.now();
        live.call.status = status;
        live.call.updated_at = now;
        if status == CallStatus::InProgress {
            live.call.start_time = Some(now);
        }
        if status.is_final() {
            live.call.end_time = Some(now);
            live.call.duration_s = live.call.start_time.map(|start| seconds(now - start));
            if live.call.parent_call_sid.is_some() {
                live.tell_parent = true;
            }
        }
        live.event(EventData::CallStatusChanged {
            sid: live.call.sid.clone(),
            to: live.call.to.clone(),
            from: live.call.from.clone(),
            previous,
            status,
            answered_by: live.call.answered_by.clone(),
        });
        if let Some(event) = CallEvent::of(status) {
            self.callback(live, event);
        }
    }

    /// The call's status callback for `event`, if the app asked for that event.
    fn callback(&self, live: &mut Live, event: CallEvent) {
        let Some(callback) = live.call.status_callback.clone() else {
            return;
        };
        if !callback.events.contains(&event) || !self.settings.callbacks_enabled {
            return;
        }
        let sequence_number = live.session.callbacks_sent;
        live.session.callbacks_sent += 1;
        let status = match event {
            CallEvent::Initiated => "initiated",
            _ => live.call.status.as_str(),
        };
        let notice = Notice::CallStatus(Box::new(CallStatusNotice {
            call: live.call.clone(),
            event,
            sequence_number,
            at: live.now(),
        }));
        let sid = live.call.sid.clone();
        self.deliver_now(live, &sid, status, callback.url, callback.method, notice);
    }

    /// A notification as Twilio's debugger shows it.
    fn notify(&self, live: &mut Live, code: u32, message: String, url: Option<String>) {
        live.event(EventData::CallNotification {
            sid: live.call.sid.clone(),
            code,
            message,
            url,
        });
    }

    // -----------------------------------------------------------------------------------------
    // Asking the app.

    /// Ask the app for TwiML at `url` (saving the call first, so that the app finds it as it
    /// is asked about it). On failure the call's fallback URL is tried once; when that fails
    /// too the caller hears Twilio's application error and the call ends.
    async fn fetch(
        &self,
        live: &mut Live,
        url: &str,
        method: HttpMethod,
        result: VerbResult,
    ) -> Option<Document> {
        if let Err(error) = self.flush(live).await {
            tracing::error!(%error, call = %live.call.sid, "cannot save a call before asking the app");
        }
        let failure = match self.request_twiml(live, url, method, result.clone()).await {
            Ok(document) => return Some(document),
            Err(failure) => failure,
        };
        self.notify(
            live,
            failure.code,
            failure.message.clone(),
            Some(url.to_owned()),
        );
        if let CallApp::Url {
            fallback: Some((fallback, fallback_method)),
            ..
        } = live.call.app.clone()
            && fallback != url
        {
            match self
                .request_twiml(live, &fallback, fallback_method, result)
                .await
            {
                Ok(document) => return Some(document),
                Err(failure) => {
                    self.notify(live, failure.code, failure.message.clone(), Some(fallback));
                    self.application_error(live, failure).await;
                    return None;
                }
            }
        }
        self.application_error(live, failure).await;
        None
    }

    async fn request_twiml(
        &self,
        live: &mut Live,
        url: &str,
        method: HttpMethod,
        result: VerbResult,
    ) -> Result<Document, TwimlFailure> {
        let delivery = Delivery {
            idempotency_token: format!("{}-{}", ids::hex(16), live.call.sid),
            resource_sid: live.call.sid.clone(),
            status: live.call.status.as_str().to_owned(),
            url: url.to_owned(),
            method,
            notice: Notice::VoiceRequest(Box::new(VoiceRequest {
                call: live.call.clone(),
                result,
                at: live.now(),
            })),
            to: Some(live.call.to.clone()),
            from: Some(live.call.from.clone()),
            target: None,
            attempt: 1,
            max_attempts: 1,
            retry_delay_ms: 0,
        };
        let account = live.tenant.account();
        let (sent, document) = self.courier.fetch_twiml(&delivery, &account).await;
        let attempt = attempt_record(&live.call.account_sid, &delivery, sent, live.now());
        if let Err(error) = self
            .record_attempt(attempt, delivery.to.clone(), delivery.from.clone())
            .await
        {
            tracing::error!(%error, "cannot record a TwiML request");
        }
        let document = document?;
        live.hear(Heard::Fetched {
            url: Some(url.to_owned()),
            method: Some(method),
        });
        self.warn(live, &document, Some(url));
        live.session.document_url = Some((url.to_owned(), method));
        Ok(document)
    }

    /// Inline TwiML (the call's `Twiml` parameter); relative URLs in it have no base. TwiML
    /// that does not parse is Twilio's application error.
    async fn inline(&self, live: &mut Live, twiml: &str) -> Option<Document> {
        match self.courier.parse_twiml(twiml) {
            Ok(document) => {
                live.hear(Heard::Fetched {
                    url: None,
                    method: None,
                });
                self.warn(live, &document, None);
                live.session.document_url = None;
                Some(document)
            }
            Err(failure) => {
                self.notify(live, failure.code, failure.message.clone(), None);
                self.application_error(live, failure).await;
                None
            }
        }
    }

    /// Schema warnings (12200): the document still runs.
    fn warn(&self, live: &mut Live, document: &Document, url: Option<&str>) {
        for warning in &document.warnings {
            self.notify(live, 12200, warning.clone(), url.map(str::to_owned));
        }
    }

    /// The app could not be asked (or answered nonsense): the caller hears Twilio's
    /// application error, and the call ends.
    async fn application_error(&self, live: &mut Live, failure: TwimlFailure) {
        live.call.error_code = Some(failure.code);
        if live.call.status == CallStatus::Ringing {
            // An inbound call is answered to say so.
            self.set_status(live, CallStatus::InProgress);
        }
        live.hear(Heard::ApplicationError {
            code: failure.code,
            message: failure.message,
        });
        live.hear(Heard::Said {
            text: APPLICATION_ERROR.into(),
            voice: None,
            language: None,
            loops: 1,
        });
        self.end_call(live, "app", CallStatus::Completed).await;
    }

    // -----------------------------------------------------------------------------------------
    // Saving.

    /// Write what the call has become so far, keeping the call live in memory.
    async fn flush(&self, live: &mut Live) -> Result<(), CoreError> {
        let written = self
            .store
            .write(store::SaveCall {
                claimed_job: live.claimed_job.take(),
                call: live.call.clone(),
                session: live.session.clone(),
                recordings: std::mem::take(&mut live.recordings),
                jobs: std::mem::take(&mut live.jobs),
                events: std::mem::take(&mut live.events),
            })
            .await?;
        // On a frozen clock the webhooks of what just happened go now, as a status set by hand
        // does: a test that pressed a key hears the callbacks it caused without moving time.
        // (On a running clock the scheduler sends them at once anyway.)
        let now = live.now();
        let frozen = matches!(live.tenant.clock(), ClockMode::Frozen { .. });
        let (due_now, later): (Vec<Job>, Vec<Job>) = written.into_iter().partition(|job| {
            frozen && job.due_at <= now && matches!(job.kind, JobKind::Deliver(_))
        });
        self.timers.add(later);
        for job in due_now {
            if let JobKind::Deliver(delivery) = &job.kind {
                self.timers.claim_waiting(&job).await;
                if let Err(error) = self.deliver(&job, delivery).await {
                    tracing::error!(%error, call = %live.call.sid, "cannot deliver a call's webhook");
                }
                self.timers.finished(&job);
            }
        }
        Ok(())
    }

    async fn save(&self, mut live: Live) -> Result<(), CoreError> {
        self.flush(&mut live).await
    }

    /// Save the call (under its lock, still held by the caller). Answers the news its parent
    /// must hear when it is a `<Dial>` leg that answered or ended: the caller tells it (see
    /// [`Core::tell_parent`]) once it has let go of this call's lock, since the parent may
    /// hang this leg up.
    async fn finish(&self, mut live: Live) -> Result<Option<LegNews>, CoreError> {
        self.flush(&mut live).await?;
        if live.call.status.is_final() {
            self.call_locks.forget(&live.call.sid);
        }
        Ok(live
            .call
            .parent_call_sid
            .clone()
            .filter(|_| live.tell_parent)
            .map(|parent_sid| LegNews {
                parent_sid,
                leg: live.call,
            }))
    }

    async fn tell_parent(&self, news: Option<LegNews>) {
        if let Some(LegNews { parent_sid, leg }) = news {
            self.leg_changed(&leg.account_sid.clone(), &parent_sid, &leg)
                .await;
        }
    }
}
