//! Calls and recordings as mockingbird keeps them, in Twilio's vocabulary.

use serde::{Deserialize, Serialize};

use crate::core::messaging::HttpMethod;
use crate::core::time::Millis;

/// Twilio's `call_enum_status`. `initiated` is not one: only status callbacks report it
/// (as the [`CallEvent::Initiated`] event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallStatus {
    Queued,
    Ringing,
    InProgress,
    Canceled,
    Completed,
    Failed,
    Busy,
    NoAnswer,
}

impl CallStatus {
    pub const ALL: [CallStatus; 8] = [
        CallStatus::Queued,
        CallStatus::Ringing,
        CallStatus::InProgress,
        CallStatus::Canceled,
        CallStatus::Completed,
        CallStatus::Failed,
        CallStatus::Busy,
        CallStatus::NoAnswer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Queued => "queued",
            CallStatus::Ringing => "ringing",
            CallStatus::InProgress => "in-progress",
            CallStatus::Canceled => "canceled",
            CallStatus::Completed => "completed",
            CallStatus::Failed => "failed",
            CallStatus::Busy => "busy",
            CallStatus::NoAnswer => "no-answer",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// A status after which nothing more happens to the call.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CallStatus::Canceled
                | CallStatus::Completed
                | CallStatus::Failed
                | CallStatus::Busy
                | CallStatus::NoAnswer
        )
    }
}

/// Who placed a call (`direction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallDirection {
    /// A caller dialed one of the tenant's numbers.
    Inbound,
    /// The app, through the REST API.
    OutboundApi,
    /// A `<Dial>` leg of another call.
    OutboundDial,
}

impl CallDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            CallDirection::Inbound => "inbound",
            CallDirection::OutboundApi => "outbound-api",
            CallDirection::OutboundDial => "outbound-dial",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "inbound" => CallDirection::Inbound,
            "outbound-api" => CallDirection::OutboundApi,
            "outbound-dial" => CallDirection::OutboundDial,
            _ => return None,
        })
    }
}

/// The call progress events a status callback may ask for (`StatusCallbackEvent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallEvent {
    Initiated,
    Ringing,
    Answered,
    Completed,
}

impl CallEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            CallEvent::Initiated => "initiated",
            CallEvent::Ringing => "ringing",
            CallEvent::Answered => "answered",
            CallEvent::Completed => "completed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "initiated" => CallEvent::Initiated,
            "ringing" => CallEvent::Ringing,
            "answered" => CallEvent::Answered,
            "completed" => CallEvent::Completed,
            _ => return None,
        })
    }

    /// The event a status change reports, if any: entering a final status is `completed`.
    pub fn of(status: CallStatus) -> Option<Self> {
        match status {
            CallStatus::Ringing => Some(CallEvent::Ringing),
            CallStatus::InProgress => Some(CallEvent::Answered),
            status if status.is_final() => Some(CallEvent::Completed),
            _ => None,
        }
    }
}

/// Where a call's TwiML comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum CallApp {
    /// Fetched from the app, falling back to `fallback` when that fails.
    Url {
        url: String,
        method: HttpMethod,
        fallback: Option<(String, HttpMethod)>,
    },
    /// Given inline (`Twiml`).
    Twiml { twiml: String },
    /// A leg with nothing to run (a `<Dial>`ed party without a `url`): it is connected to the
    /// caller and talks until someone hangs up.
    Bridged,
}

/// Where a call's progress is reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallStatusCallback {
    pub url: String,
    pub method: HttpMethod,
    /// Only these events are reported; Twilio's default is `completed` alone.
    pub events: Vec<CallEvent>,
}

/// A stored call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub sid: String,
    pub account_sid: String,
    pub parent_call_sid: Option<String>,
    pub direction: CallDirection,
    pub from: String,
    pub to: String,
    pub status: CallStatus,
    /// `human`, `machine_start`, `fax`, `unknown`, … when machine detection ran.
    pub answered_by: Option<String>,
    pub caller_name: Option<String>,
    pub forwarded_from: Option<String>,
    /// The tenant's number the call is on (`PN…`), when it is one.
    pub phone_number_sid: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// When it was answered (or, unanswered, when it ended).
    pub start_time: Option<Millis>,
    pub end_time: Option<Millis>,
    /// Whole seconds from answer to end; 0 for a call never answered.
    pub duration_s: Option<u32>,
    pub app: CallApp,
    pub status_callback: Option<CallStatusCallback>,
    /// Seconds the call may ring before it is `no-answer` (`Timeout`, default 60).
    pub timeout_s: u32,
    /// `Enable` or `DetectMessageEnd`: the callee is told apart as human or machine.
    pub machine_detection: Option<String>,
    /// Record the whole call from answer (`Record=true`).
    pub record: bool,
    pub recording_status_callback: Option<(String, HttpMethod)>,
    /// Tones played once the call is answered (`SendDigits`).
    pub send_digits: Option<String>,
    /// Twilio's error when the call failed.
    pub error_code: Option<u32>,
}

/// Twilio's `recording_enum_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordingStatus {
    InProgress,
    Paused,
    Stopped,
    Processing,
    Completed,
    Absent,
    Deleted,
}

impl RecordingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordingStatus::InProgress => "in-progress",
            RecordingStatus::Paused => "paused",
            RecordingStatus::Stopped => "stopped",
            RecordingStatus::Processing => "processing",
            RecordingStatus::Completed => "completed",
            RecordingStatus::Absent => "absent",
            RecordingStatus::Deleted => "deleted",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "in-progress" => RecordingStatus::InProgress,
            "paused" => RecordingStatus::Paused,
            "stopped" => RecordingStatus::Stopped,
            "processing" => RecordingStatus::Processing,
            "completed" => RecordingStatus::Completed,
            "absent" => RecordingStatus::Absent,
            "deleted" => RecordingStatus::Deleted,
            _ => return None,
        })
    }
}

/// What made a recording (Twilio's `recording_enum_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordingSource {
    /// `<Record>`.
    RecordVerb,
    /// `Record=true` on the call's create.
    OutboundAPI,
    /// `<Dial record=…>`.
    DialVerb,
}

impl RecordingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordingSource::RecordVerb => "RecordVerb",
            RecordingSource::OutboundAPI => "OutboundAPI",
            RecordingSource::DialVerb => "DialVerb",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "RecordVerb" => RecordingSource::RecordVerb,
            "OutboundAPI" => RecordingSource::OutboundAPI,
            "DialVerb" => RecordingSource::DialVerb,
            _ => return None,
        })
    }
}

/// A stored recording. Its audio is silence of `duration_s` seconds, made when served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    pub sid: String,
    pub account_sid: String,
    pub call_sid: String,
    pub status: RecordingStatus,
    pub source: RecordingSource,
    pub channels: u32,
    pub duration_s: u32,
    pub start_time: Millis,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub error_code: Option<u32>,
}

/// Which calls a list takes; every set criterion must hold. Times are tenant ms, lower
/// bounds inclusive and upper bounds exclusive.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallFilter {
    pub to: Option<String>,
    pub from: Option<String>,
    pub status: Option<CallStatus>,
    pub parent_call_sid: Option<String>,
    pub started_from: Option<Millis>,
    pub started_before: Option<Millis>,
    pub ended_from: Option<Millis>,
    pub ended_before: Option<Millis>,
}

/// A call the app places through the API (`POST …/Calls.json`), checked by the facade.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCall {
    pub to: String,
    pub from: String,
    pub app: CallApp,
    pub status_callback: Option<CallStatusCallback>,
    /// Seconds the callee's phone may ring (Twilio's default 60, at most 600).
    pub timeout_s: u32,
    /// `Enable` or `DetectMessageEnd`: the call's `answered_by` is reported.
    pub machine_detection: Option<String>,
    /// Record the whole call.
    pub record: bool,
    pub recording_status_callback: Option<(String, HttpMethod)>,
    /// Keys played once the call is answered.
    pub send_digits: Option<String>,
}

/// A simulated caller dialing one of the tenant's numbers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InboundCall {
    pub from: String,
    pub to: String,
    pub caller_name: Option<String>,
    pub forwarded_from: Option<String>,
}

/// `POST …/Calls/{Sid}.json`: what the app changes on a call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallUpdate {
    /// `canceled` (a call not yet answered) or `completed` (hang up).
    pub status: Option<CallStatus>,
    /// New TwiML for a call in progress: the call runs it at once.
    pub redirect: Option<CallApp>,
    pub status_callback: Option<CallStatusCallback>,
}

/// How a test ends a call that has not been answered, as the called party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unanswered {
    Busy,
    NoAnswer,
    Failed,
}

impl Unanswered {
    pub fn status(self) -> CallStatus {
        match self {
            Unanswered::Busy => CallStatus::Busy,
            Unanswered::NoAnswer => CallStatus::NoAnswer,
            Unanswered::Failed => CallStatus::Failed,
        }
    }
}
