//! Watching the event log: which events a reader wants, why an event is not one of them, and
//! waiting for the first that is — with, when none comes, the near misses a failing test needs.

use std::sync::Arc;
use std::time::Duration;

use regex::Regex;

use crate::core::events::{Event, EventData};
use crate::core::messaging::{Message, MessageStatus};
use crate::core::store::StoreError;
use crate::core::voice::CallStatus;
use crate::core::{Core, time};

/// Which events a reader wants. Every set criterion must hold.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub account_sid: Option<String>,
    /// Event kinds ([`EventData::kind`]); any when empty.
    pub kinds: Vec<&'static str>,
    pub sid: Option<String>,
    pub to: Option<String>,
    pub from: Option<String>,
    /// Any of these; any status when empty.
    pub statuses: Vec<MessageStatus>,
    pub body_contains: Option<String>,
    pub body_regex: Option<Regex>,
    /// Meta types of a WhatsApp Cloud API message (`interactive`, …); any message when empty.
    pub whatsapp_types: Vec<String>,
    /// Any of these call statuses (of call events); any when empty.
    pub call_statuses: Vec<CallStatus>,
}

/// The facts of an event that filters look at.
#[derive(Debug, Default)]
struct Facts<'a> {
    to: Option<&'a str>,
    from: Option<&'a str>,
    status: Option<MessageStatus>,
    body: Option<&'a str>,
    /// Meta's `type`, when the event is about a Cloud API message.
    whatsapp_type: Option<&'a str>,
    call_status: Option<CallStatus>,
}

fn facts(data: &EventData) -> Facts<'_> {
    match data {
        EventData::MessageCreated { message } => message_facts(message),
        EventData::InboundDelivered { message, .. } => message_facts(message),
        EventData::MessageStatusChanged {
            to, from, status, ..
        } => Facts {
            to: Some(to),
            from: from.as_deref(),
            status: Some(*status),
            ..Facts::default()
        },
        EventData::CallbackAttempted { attempt, to, from } => Facts {
            to: to.as_deref(),
            from: from.as_deref(),
            status: MessageStatus::parse(&attempt.status),
            ..Facts::default()
        },
        EventData::RuleMatched { to, .. } => Facts {
            to: Some(to),
            ..Facts::default()
        },
        EventData::CallCreated { call } => Facts {
            to: Some(&call.to),
            from: Some(&call.from),
            call_status: Some(call.status),
            ..Facts::default()
        },
        EventData::CallStatusChanged {
            to, from, status, ..
        } => Facts {
            to: Some(to),
            from: Some(from),
            call_status: Some(*status),
            ..Facts::default()
        },
        // What was said, played, pressed or spoken is the line's body.
        EventData::CallVerb {
            to, from, entry, ..
        } => Facts {
            to: Some(to),
            from: Some(from),
            body: entry.what.text(),
            ..Facts::default()
        },
        EventData::CallGathering { to, from, .. } => Facts {
            to: Some(to),
            from: Some(from),
            ..Facts::default()
        },
        EventData::AccountCreated { .. }
        | EventData::MessageRedacted { .. }
        | EventData::MessageDeleted { .. }
        | EventData::DataCleared { .. }
        | EventData::CallNotification { .. }
        | EventData::CallDeleted { .. }
        | EventData::RecordingCreated { .. } => Facts::default(),
    }
}

fn message_facts(message: &Message) -> Facts<'_> {
    Facts {
        to: Some(&message.to),
        from: message.from.as_deref(),
        status: Some(message.status),
        body: Some(&message.body),
        whatsapp_type: message.whatsapp.as_ref().map(|w| w.message_type.as_str()),
        call_status: None,
    }
}

impl EventFilter {
    /// Why `event` does not match: one reason per failed criterion; empty when it matches.
    pub fn mismatches(&self, event: &Event) -> Vec<String> {
        let mut reasons = Vec::new();
        let data = &event.data;
        if let Some(account) = self
            .account_sid
            .as_deref()
            .filter(|a| *a != event.account_sid)
        {
            reasons.push(format!("tenant is {}, wanted {account}", event.account_sid));
        }
        if !self.kinds.is_empty() && !self.kinds.contains(&data.kind()) {
            reasons.push(format!(
                "kind is {}, wanted {}",
                data.kind(),
                self.kinds.join(" or ")
            ));
        }
        if let Some(sid) = &self.sid {
            match data.sid() {
                Some(actual) if actual == sid => {}
                Some(actual) => reasons.push(format!("sid is {actual}, wanted {sid}")),
                None => reasons.push(format!("is about no message or call, wanted {sid}")),
            }
        }
        let facts = facts(data);
        let mut compare = |name: &str, actual: Option<&str>, wanted: &Option<String>| {
            if let Some(wanted) = wanted {
                match actual {
                    Some(actual) if actual == wanted => {}
                    Some(actual) => reasons.push(format!("{name} is {actual}, wanted {wanted}")),
                    None => reasons.push(format!("has no {name}, wanted {wanted}")),
                }
            }
        };
        compare("to", facts.to, &self.to);
        compare("from", facts.from, &self.from);
        if !self.statuses.is_empty() {
            let wanted = self
                .statuses
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" or ");
            match facts.status {
                Some(status) if self.statuses.contains(&status) => {}
                Some(status) => {
                    reasons.push(format!("status is {}, wanted {wanted}", status.as_str()))
                }
                None => reasons.push(format!("has no status, wanted {wanted}")),
            }
        }
        if !self.call_statuses.is_empty() {
            let wanted = self
                .call_statuses
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" or ");
            match facts.call_status {
                Some(status) if self.call_statuses.contains(&status) => {}
                Some(status) => reasons.push(format!(
                    "call status is {}, wanted {wanted}",
                    status.as_str()
                )),
                None => reasons.push(format!("has no call status, wanted {wanted}")),
            }
        }
        if let Some(needle) = &self.body_contains {
            match facts.body {
                Some(body) if body.contains(needle.as_str()) => {}
                Some(body) => reasons.push(format!("body {body:?} does not contain {needle:?}")),
                None => reasons.push(format!("has no body, wanted one containing {needle:?}")),
            }
        }
        if let Some(pattern) = &self.body_regex {
            match facts.body {
                Some(body) if pattern.is_match(body) => {}
                Some(body) => reasons.push(format!("body {body:?} does not match /{pattern}/")),
                None => reasons.push(format!("has no body, wanted one matching /{pattern}/")),
            }
        }
        if !self.whatsapp_types.is_empty() {
            let wanted = self.whatsapp_types.join(" or ");
            match facts.whatsapp_type {
                Some(kind) if self.whatsapp_types.iter().any(|w| w == kind) => {}
                Some(kind) => reasons.push(format!("WhatsApp type is {kind}, wanted {wanted}")),
                None => reasons.push(format!("is about no WhatsApp message, wanted {wanted}")),
            }
        }
        reasons
    }

    pub fn matches(&self, event: &Event) -> bool {
        self.mismatches(event).is_empty()
    }
}

/// One line a person can read: sequence, kind, and what it is about.
pub fn summary(event: &Event) -> String {
    let head = format!(
        "#{} {} {} {}",
        event.seq,
        time::iso8601(event.at),
        event.account_sid,
        event.data.kind()
    );
    let detail = match &event.data {
        EventData::AccountCreated { friendly_name } => format!("{friendly_name:?}"),
        EventData::MessageCreated { message } => format!(
            "{} {} {} → {} [{}] {:?}",
            message.sid,
            message.direction.as_str(),
            message.from.as_deref().unwrap_or("-"),
            message.to,
            message.status.as_str(),
            message.body
        ),
        EventData::MessageStatusChanged {
            sid,
            to,
            previous,
            status,
            error_code,
            ..
        } => format!(
            "{sid} to {to}: {} → {}{}",
            previous.as_str(),
            status.as_str(),
            error_code.map(|c| format!(" ({c})")).unwrap_or_default()
        ),
        EventData::MessageRedacted { sid } | EventData::MessageDeleted { sid } => sid.clone(),
        EventData::CallbackAttempted { attempt, .. } => format!(
            "{} {} {} {} attempt {} → {}",
            attempt.resource_sid,
            attempt.status,
            attempt.method,
            attempt.url,
            attempt.attempt,
            attempt
                .response_status
                .map(|s| s.to_string())
                .or_else(|| attempt.error.clone())
                .unwrap_or_default()
        ),
        EventData::InboundDelivered {
            message,
            webhook,
            reply_sids,
            opt_out_type,
        } => format!(
            "{} {} → {} {:?}{}: app answered {}, {} repl{}",
            message.sid,
            message.from.as_deref().unwrap_or("-"),
            message.to,
            message.body,
            opt_out_type
                .as_deref()
                .map(|t| format!(" ({t})"))
                .unwrap_or_default(),
            webhook.as_ref().map_or(nowhere(message).into(), |w| w
                .response_status
                .map(|s| s.to_string())
                .or_else(|| w.error.clone())
                .unwrap_or_default()),
            reply_sids.len(),
            if reply_sids.len() == 1 { "y" } else { "ies" }
        ),
        EventData::RuleMatched {
            rule_id, sid, to, ..
        } => format!(
            "rule {rule_id:?} took {} to {to}",
            sid.as_deref().unwrap_or("a rejected request")
        ),
        EventData::DataCleared { scope } => scope.clone(),
        EventData::CallCreated { call } => format!(
            "{} {} {} → {} [{}]",
            call.sid,
            call.direction.as_str(),
            call.from,
            call.to,
            call.status.as_str()
        ),
        EventData::CallStatusChanged {
            sid,
            to,
            previous,
            status,
            ..
        } => format!("{sid} to {to}: {} → {}", previous.as_str(), status.as_str()),
        EventData::CallVerb { sid, entry, .. } => format!("{sid} {}", entry.what.describe()),
        EventData::CallGathering {
            sid, verb, input, ..
        } => format!("{sid} {verb} listening for {input}"),
        EventData::CallNotification {
            sid, code, message, ..
        } => format!("{sid} error {code}: {message}"),
        EventData::CallDeleted { sid } => sid.clone(),
        EventData::RecordingCreated { recording } => format!(
            "{} of {} ({} s)",
            recording.sid, recording.call_sid, recording.duration_s
        ),
    };
    format!("{head} {detail}")
}

/// How many near misses a timeout reports.
const NEAREST: usize = 5;

/// No matching event came in time.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error("{0}")]
    TimedOut(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Core {
    /// The first event after `after` that matches `filter`, waiting up to `timeout`. On
    /// timeout, the error lists the events that came closest (fewest failed criteria, the latest
    /// first among equals) and what each got wrong.
    pub async fn wait_for(
        &self,
        filter: &EventFilter,
        after: i64,
        timeout: Duration,
    ) -> Result<Arc<Event>, WaitError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut cursor = self.events.follow(after, filter.account_sid.clone());
        let mut nearest: Vec<(Arc<Event>, Vec<String>)> = Vec::new();
        let mut examined = 0u64;
        loop {
            let batch = match tokio::time::timeout_at(deadline, cursor.next_batch(256)).await {
                Ok(batch) => batch?,
                Err(_) => break,
            };
            if batch.is_empty() {
                break; // the server is shutting down
            }
            for event in batch {
                let reasons = filter.mismatches(&event);
                if reasons.is_empty() {
                    return Ok(event);
                }
                examined += 1;
                nearest.push((event, reasons));
                // Fewest reasons first; among equals, the latest.
                nearest.sort_by(|(a, ra), (b, rb)| ra.len().cmp(&rb.len()).then(b.seq.cmp(&a.seq)));
                nearest.truncate(NEAREST);
            }
        }
        let scope = filter
            .account_sid
            .as_deref()
            .map_or("any tenant".to_owned(), |sid| format!("tenant {sid}"));
        let mut message = format!(
            "no event matched within {:?} ({examined} event(s) of {scope} after sequence {after} did not match)",
            timeout
        );
        if !nearest.is_empty() {
            message.push_str("; nearest:");
            for (event, reasons) in &nearest {
                message.push_str(&format!("\n  {} — {}", summary(event), reasons.join("; ")));
            }
        }
        Err(WaitError::TimedOut(message))
    }
}

/// Why a user's message reached no app: a Twilio number without an SMS URL, or a WhatsApp
/// business number without a webhook URL.
fn nowhere(message: &Message) -> &'static str {
    if message.whatsapp.is_some() {
        "nothing (no WhatsApp webhook URL)"
    } else {
        "nothing (no SMS URL)"
    }
}
