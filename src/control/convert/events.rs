//! Events and their kinds (the Events service).

use tonic::Status;

use super::calls::{call, call_status, transcript_entry};
use super::messages::{attempt, message, status};
use super::timestamp;
use crate::core::events::{Event, EventData};
use crate::core::rules::Outcome;
use crate::proto;

pub fn event_kind(kind: &str) -> proto::EventKind {
    use proto::EventKind as K;
    match kind {
        "account_created" => K::TenantCreated,
        "message_created" => K::MessageCreated,
        "message_status_changed" => K::MessageStatusChanged,
        "message_redacted" => K::MessageRedacted,
        "message_deleted" => K::MessageDeleted,
        "callback_attempted" => K::CallbackAttempted,
        "inbound_delivered" => K::InboundDelivered,
        "rule_matched" => K::RuleMatched,
        "data_cleared" => K::DataCleared,
        "call_created" => K::CallCreated,
        "call_status_changed" => K::CallStatusChanged,
        "call_verb" => K::CallVerb,
        "call_gathering" => K::CallGathering,
        "call_notification" => K::CallNotification,
        "call_deleted" => K::CallDeleted,
        "recording_created" => K::RecordingCreated,
        _ => K::Unspecified,
    }
}

/// The core's name of an event kind a filter asks for.
pub fn core_event_kind(value: i32) -> Result<&'static str, Status> {
    use proto::EventKind as K;
    Ok(match K::try_from(value) {
        Ok(K::TenantCreated) => "account_created",
        Ok(K::MessageCreated) => "message_created",
        Ok(K::MessageStatusChanged) => "message_status_changed",
        Ok(K::MessageRedacted) => "message_redacted",
        Ok(K::MessageDeleted) => "message_deleted",
        Ok(K::CallbackAttempted) => "callback_attempted",
        Ok(K::InboundDelivered) => "inbound_delivered",
        Ok(K::RuleMatched) => "rule_matched",
        Ok(K::DataCleared) => "data_cleared",
        Ok(K::CallCreated) => "call_created",
        Ok(K::CallStatusChanged) => "call_status_changed",
        Ok(K::CallVerb) => "call_verb",
        Ok(K::CallGathering) => "call_gathering",
        Ok(K::CallNotification) => "call_notification",
        Ok(K::CallDeleted) => "call_deleted",
        Ok(K::RecordingCreated) => "recording_created",
        _ => {
            return Err(Status::invalid_argument(format!(
                "filter.kinds: unknown kind {value}"
            )));
        }
    })
}

pub fn event(e: &Event) -> proto::Event {
    use proto::event::Payload;
    let payload = match &e.data {
        EventData::AccountCreated { friendly_name } => {
            Payload::TenantCreated(proto::TenantCreated {
                label: friendly_name.clone(),
            })
        }
        EventData::MessageCreated { message: m } => {
            Payload::MessageCreated(proto::MessageCreated {
                message: Some(message(m)),
            })
        }
        EventData::MessageStatusChanged {
            sid,
            to,
            from,
            previous,
            status: now,
            error_code,
        } => Payload::MessageStatusChanged(proto::MessageStatusChanged {
            sid: sid.clone(),
            to: to.clone(),
            from: from.clone().unwrap_or_default(),
            previous: status(*previous) as i32,
            status: status(*now) as i32,
            error_code: error_code.unwrap_or_default(),
        }),
        EventData::MessageRedacted { sid } => {
            Payload::MessageRedacted(proto::MessageRedacted { sid: sid.clone() })
        }
        EventData::MessageDeleted { sid } => {
            Payload::MessageDeleted(proto::MessageDeleted { sid: sid.clone() })
        }
        EventData::CallbackAttempted {
            attempt: a,
            to,
            from,
        } => Payload::CallbackAttempted(proto::CallbackAttempted {
            attempt: Some(attempt(a)),
            to: to.clone().unwrap_or_default(),
            from: from.clone().unwrap_or_default(),
        }),
        EventData::InboundDelivered {
            message: m,
            webhook,
            reply_sids,
            opt_out_type,
        } => Payload::InboundDelivered(proto::InboundDelivered {
            message: Some(message(m)),
            webhook: webhook.as_deref().map(attempt),
            reply_sids: reply_sids.clone(),
            opt_out_type: opt_out_type.clone().unwrap_or_default(),
        }),
        EventData::RuleMatched {
            rule_id,
            sid,
            to,
            outcome,
        } => Payload::RuleMatched(proto::RuleMatched {
            rule_id: rule_id.clone(),
            sid: sid.clone().unwrap_or_default(),
            to: to.clone(),
            rejected_with: match outcome {
                Outcome::Reject(rejection) => rejection.code,
                Outcome::Accept { .. } | Outcome::Call(_) => 0,
            },
        }),
        EventData::DataCleared { scope } => Payload::DataCleared(proto::DataCleared {
            scope: scope.clone(),
        }),
        EventData::CallCreated { call: c } => Payload::CallCreated(proto::CallCreated {
            call: Some(call(c)),
        }),
        EventData::CallStatusChanged {
            sid,
            to,
            from,
            previous,
            status,
            answered_by,
        } => Payload::CallStatusChanged(proto::CallStatusChanged {
            sid: sid.clone(),
            to: to.clone(),
            from: from.clone(),
            previous: call_status(*previous) as i32,
            status: call_status(*status) as i32,
            answered_by: answered_by.clone().unwrap_or_default(),
        }),
        EventData::CallVerb {
            sid,
            to,
            from,
            entry,
        } => Payload::CallVerb(proto::CallVerb {
            sid: sid.clone(),
            to: to.clone(),
            from: from.clone(),
            entry: Some(transcript_entry(entry)),
        }),
        EventData::CallGathering {
            sid,
            to,
            from,
            verb,
            input,
            deadline,
        } => Payload::CallGathering(proto::CallGathering {
            sid: sid.clone(),
            to: to.clone(),
            from: from.clone(),
            verb: verb.clone(),
            input: input.clone(),
            deadline: timestamp(*deadline),
        }),
        EventData::CallNotification {
            sid,
            code,
            message,
            url,
        } => Payload::CallNotification(proto::CallNotification {
            sid: sid.clone(),
            code: *code,
            message: message.clone(),
            url: url.clone().unwrap_or_default(),
        }),
        EventData::CallDeleted { sid } => {
            Payload::CallDeleted(proto::CallDeleted { sid: sid.clone() })
        }
        EventData::RecordingCreated { recording } => {
            Payload::RecordingCreated(proto::RecordingCreated {
                sid: recording.sid.clone(),
                call_sid: recording.call_sid.clone(),
                duration_seconds: recording.duration_s,
                source: recording.source.as_str().into(),
            })
        }
    };
    proto::Event {
        sequence: e.seq,
        account_sid: e.account_sid.clone(),
        at: timestamp(e.at),
        kind: event_kind(e.data.kind()) as i32,
        payload: Some(payload),
    }
}
