//! Calls, their transcripts and statuses (the Calls service and call events).

use tonic::Status;

use super::timestamp;
use crate::core::voice::{Call, CallStatus, CallView, TranscriptEntry};
use crate::proto;

pub fn call_status(status: CallStatus) -> proto::CallStatus {
    use proto::CallStatus as P;
    match status {
        CallStatus::Queued => P::Queued,
        CallStatus::Ringing => P::Ringing,
        CallStatus::InProgress => P::InProgress,
        CallStatus::Completed => P::Completed,
        CallStatus::Busy => P::Busy,
        CallStatus::NoAnswer => P::NoAnswer,
        CallStatus::Failed => P::Failed,
        CallStatus::Canceled => P::Canceled,
    }
}

/// The core's call status a request names; none for unspecified.
pub fn core_call_status(value: i32, field: &str) -> Result<Option<CallStatus>, Status> {
    use proto::CallStatus as P;
    Ok(Some(match P::try_from(value) {
        Ok(P::Unspecified) => return Ok(None),
        Ok(P::Queued) => CallStatus::Queued,
        Ok(P::Ringing) => CallStatus::Ringing,
        Ok(P::InProgress) => CallStatus::InProgress,
        Ok(P::Completed) => CallStatus::Completed,
        Ok(P::Busy) => CallStatus::Busy,
        Ok(P::NoAnswer) => CallStatus::NoAnswer,
        Ok(P::Failed) => CallStatus::Failed,
        Ok(P::Canceled) => CallStatus::Canceled,
        Err(_) => {
            return Err(Status::invalid_argument(format!(
                "{field}: unknown call status {value}"
            )));
        }
    }))
}

pub fn call(c: &Call) -> proto::Call {
    proto::Call {
        sid: c.sid.clone(),
        account_sid: c.account_sid.clone(),
        parent_call_sid: c.parent_call_sid.clone().unwrap_or_default(),
        direction: c.direction.as_str().into(),
        from: c.from.clone(),
        to: c.to.clone(),
        status: call_status(c.status) as i32,
        answered_by: c.answered_by.clone().unwrap_or_default(),
        created_at: timestamp(c.created_at),
        start_time: c.start_time.and_then(timestamp),
        end_time: c.end_time.and_then(timestamp),
        duration_seconds: c.duration_s.unwrap_or_default(),
        error_code: c.error_code.unwrap_or_default(),
    }
}

pub fn transcript_entry(entry: &TranscriptEntry) -> proto::TranscriptEntry {
    let json = serde_json::to_value(entry).unwrap_or_default();
    proto::TranscriptEntry {
        at: timestamp(entry.at),
        r#type: json["type"].as_str().unwrap_or_default().to_owned(),
        text: entry.what.text().unwrap_or_default().to_owned(),
        description: entry.what.describe(),
        json: json.to_string(),
    }
}

pub fn call_detail(view: &CallView) -> proto::CallDetail {
    proto::CallDetail {
        call: Some(call(&view.call)),
        transcript: view.transcript.iter().map(transcript_entry).collect(),
        waiting_for: view.waiting_for.unwrap_or_default().into(),
    }
}
