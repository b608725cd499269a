//! `mockingbird events tail`: a running server's events, one line each.

use futures_util::StreamExt;

use super::TailArgs;
use super::remote::{Connection, failed};
use crate::proto::{self, event::Payload, events_client::EventsClient};

/// The event kind a person names: `message_created`, or `MESSAGE_CREATED`.
fn kind(name: &str) -> Result<i32, String> {
    let upper = format!("EVENT_KIND_{}", name.to_ascii_uppercase().replace('-', "_"));
    proto::EventKind::from_str_name(&upper)
        .filter(|k| *k != proto::EventKind::Unspecified)
        .map(|k| k as i32)
        .ok_or_else(|| format!("unknown event kind {name:?}"))
}

/// `mockingbird events tail`: one line per event until the server stops or the user interrupts.
pub async fn tail(args: TailArgs) -> Result<(), String> {
    let connection = Connection::open(&args.remote).await?;
    let filter = proto::EventFilter {
        account_sid: args.tenant.clone().unwrap_or_default(),
        kinds: args
            .kinds
            .iter()
            .map(|k| kind(k))
            .collect::<Result<_, _>>()?,
        ..Default::default()
    };
    let mut events = EventsClient::new(connection.channel.clone());
    let mut stream = events
        .subscribe(connection.request(proto::SubscribeRequest {
            filter: Some(filter),
            after_sequence: 0,
            live_only: !args.from_start,
        })?)
        .await
        .map_err(failed)?
        .into_inner();
    while let Some(event) = stream.next().await {
        println!("{}", describe(&event.map_err(failed)?));
    }
    Ok(())
}

// A webhook attempt reads the same in an event line and in `sms send-inbound`'s report.
impl proto::CallbackAttempt {
    pub(super) fn method_name(&self) -> &'static str {
        if self.method == proto::HttpMethod::Get as i32 {
            "GET"
        } else {
            "POST"
        }
    }
}

/// What the app answered a webhook, or why it did not.
pub(super) fn answer(attempt: &proto::CallbackAttempt) -> String {
    if attempt.error.is_empty() {
        format!("{} in {} ms", attempt.response_status, attempt.latency_ms)
    } else {
        attempt.error.clone()
    }
}

fn status_name(value: i32) -> String {
    proto::MessageStatus::try_from(value)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("MESSAGE_STATUS_")
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|_| value.to_string())
}

/// One event, one line: sequence, time, tenant, kind, and what it is about.
pub fn describe(event: &proto::Event) -> String {
    let kind = proto::EventKind::try_from(event.kind)
        .map(|k| {
            k.as_str_name()
                .trim_start_matches("EVENT_KIND_")
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let at = event
        .at
        .as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32))
        .map(|t| t.format("%H:%M:%S%.3f").to_string())
        .unwrap_or_default();
    let detail = match &event.payload {
        Some(Payload::TenantCreated(t)) => format!("{:?}", t.label),
        Some(Payload::MessageCreated(created)) => {
            created.message.as_ref().map_or_else(String::new, |m| {
                format!(
                    "{} {} → {} [{}] {:?}",
                    m.sid,
                    if m.from.is_empty() { "-" } else { &m.from },
                    m.to,
                    status_name(m.status),
                    m.body
                )
            })
        }
        Some(Payload::MessageStatusChanged(c)) => format!(
            "{} to {}: {} → {}{}",
            c.sid,
            c.to,
            status_name(c.previous),
            status_name(c.status),
            if c.error_code == 0 {
                String::new()
            } else {
                format!(" ({})", c.error_code)
            }
        ),
        Some(Payload::MessageRedacted(m)) => m.sid.clone(),
        Some(Payload::MessageDeleted(m)) => m.sid.clone(),
        Some(Payload::CallbackAttempted(c)) => c.attempt.as_ref().map_or_else(String::new, |a| {
            format!(
                "{} {} {} {} attempt {}: {}",
                a.resource_sid,
                a.status,
                a.method_name(),
                a.url,
                a.attempt,
                answer(a)
            )
        }),
        Some(Payload::InboundDelivered(d)) => {
            let message = d.message.clone().unwrap_or_default();
            format!(
                "{} {} → {} {:?}: app {}, {} repl{}",
                message.sid,
                message.from,
                message.to,
                message.body,
                d.webhook.as_ref().map_or_else(
                    || {
                        if message.whatsapp.is_some() {
                            "had no WhatsApp webhook URL".into()
                        } else {
                            "had no SMS URL".into()
                        }
                    },
                    answer,
                ),
                d.reply_sids.len(),
                if d.reply_sids.len() == 1 { "y" } else { "ies" }
            )
        }
        Some(Payload::RuleMatched(r)) => {
            if r.rejected_with == 0 {
                format!("rule {:?} took {} to {}", r.rule_id, r.sid, r.to)
            } else {
                format!(
                    "rule {:?} rejected a message to {} with {}",
                    r.rule_id, r.to, r.rejected_with
                )
            }
        }
        Some(Payload::DataCleared(c)) => c.scope.clone(),
        Some(Payload::CallCreated(created)) => {
            created.call.as_ref().map_or_else(String::new, |c| {
                format!(
                    "{} {} {} → {} [{}]",
                    c.sid,
                    c.direction,
                    c.from,
                    c.to,
                    call_status_name(c.status)
                )
            })
        }
        Some(Payload::CallStatusChanged(c)) => format!(
            "{} to {}: {} → {}",
            c.sid,
            c.to,
            call_status_name(c.previous),
            call_status_name(c.status)
        ),
        Some(Payload::CallVerb(v)) => format!(
            "{} {}",
            v.sid,
            v.entry
                .as_ref()
                .map(|e| e.description.as_str())
                .unwrap_or_default()
        ),
        Some(Payload::CallGathering(g)) => {
            format!("{} {} listening for {}", g.sid, g.verb, g.input)
        }
        Some(Payload::CallNotification(n)) => format!("{} error {}: {}", n.sid, n.code, n.message),
        Some(Payload::CallDeleted(d)) => d.sid.clone(),
        Some(Payload::RecordingCreated(r)) => {
            format!("{} of {} ({} s)", r.sid, r.call_sid, r.duration_seconds)
        }
        None => String::new(),
    };
    format!(
        "#{} {at} {} {kind} {detail}",
        event.sequence, event.account_sid
    )
}

/// A call status as people write it: `in-progress`, `no-answer`.
pub fn call_status_name(value: i32) -> String {
    proto::CallStatus::try_from(value)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("CALL_STATUS_")
                .to_ascii_lowercase()
                .replace('_', "-")
        })
        .unwrap_or_default()
}
