//! A call's session: where its TwiML stands, what it waits for, what the caller heard and did.
//! Stored with the call (one JSON column), so that a restart resumes the call where it was and
//! the transcript is read with the call.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::core::messaging::HttpMethod;
use crate::core::rules::CallOutcome;
use crate::core::time::Millis;
use crate::core::voice::twiml::{Dial, Gather, Record, Verb};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// What the called party does (outbound calls and dialed legs); none for an inbound call,
    /// whose caller is the test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callee: Option<CallOutcome>,
    /// Counts the waits the call has entered: a scheduled resumption names the wait it ends,
    /// and finds itself stale once the call has moved on (input came, the call was redirected).
    #[serde(default)]
    pub epoch: u64,
    /// The URL the running document came from: relative URLs resolve against it, and verbs
    /// without an `action` post back to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_url: Option<(String, HttpMethod)>,
    /// The document's verbs not yet run, in order.
    #[serde(default)]
    pub verbs: VecDeque<Verb>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<Waiting>,
    /// Every verb run and everything the caller did, in order.
    #[serde(default)]
    pub transcript: Vec<TranscriptEntry>,
    /// Status callbacks sent so far (the next one's `SequenceNumber`).
    #[serde(default)]
    pub callbacks_sent: u32,
}

/// What a call's TwiML is waiting for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum Waiting {
    /// A `<Pause>` (or a `<Play>` of silence) until `until`.
    Pause { until: Millis },
    /// A `<Gather>`: input so far; it ends at `deadline` unless input ends it first.
    Gather {
        gather: Box<Gather>,
        digits: String,
        deadline: Millis,
    },
    /// A `<Record>`, recording since `started_at`. `last_speech_at` is when the caller last
    /// spoke (none while silent): the silence timeout counts from there.
    Record {
        record: Box<Record>,
        started_at: Millis,
        last_speech_at: Option<Millis>,
        deadline: Millis,
    },
    /// A `<Dial>`, ringing or connected to its legs.
    Dial {
        dial: Box<Dial>,
        legs: Vec<String>,
        /// The leg that answered, once one did.
        bridged: Option<String>,
        started_at: Millis,
    },
}

impl Waiting {
    pub fn name(&self) -> &'static str {
        match self {
            Waiting::Pause { .. } => "pause",
            Waiting::Gather { .. } => "gather",
            Waiting::Record { .. } => "record",
            Waiting::Dial { .. } => "dial",
        }
    }
}

/// One line of a call's transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptEntry {
    /// Tenant time.
    pub at: Millis,
    #[serde(flatten)]
    pub what: Heard,
}

/// What happened on the line, from the caller's side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Heard {
    /// The app's TwiML was fetched (or given inline, `url` none).
    Fetched {
        url: Option<String>,
        method: Option<HttpMethod>,
    },
    /// `<Say>`: spoken `loops` times (0: until the call ends).
    Said {
        text: String,
        voice: Option<String>,
        language: Option<String>,
        loops: u32,
    },
    /// `<Play>`: the audio at `url` (resolved), or tones.
    Played {
        url: Option<String>,
        digits: Option<String>,
        loops: u32,
    },
    Paused {
        seconds: u32,
    },
    /// A `<Gather>` started listening.
    Gathering {
        input: String,
        timeout_s: u32,
        num_digits: Option<u32>,
    },
    /// A `<Gather>` ended: with what was entered, or nothing (timed out).
    Gathered {
        digits: Option<String>,
        speech: Option<String>,
    },
    /// A `<Record>` started (after its beep, when it plays one).
    RecordingStarted {
        beep: bool,
    },
    /// A `<Record>` ended; no recording when nothing was said.
    RecordingEnded {
        recording_sid: Option<String>,
        duration_s: u32,
    },
    /// `<Redirect>`, or a verb's action moving the call to another document.
    Redirected {
        url: String,
    },
    /// `<Dial>` rang these legs.
    Dialed {
        numbers: Vec<String>,
        call_sids: Vec<String>,
    },
    /// The `<Dial>` ended: how the dialed call went.
    DialEnded {
        status: String,
        call_sid: Option<String>,
    },
    /// `<Message>`/`<Sms>`: a text message sent.
    MessageSent {
        message_sid: String,
        to: String,
        body: String,
    },
    /// A verb (or `<Dial>` noun) the engine does not model, skipped.
    NotSimulated {
        verb: String,
    },
    /// The caller pressed keys.
    Pressed {
        digits: String,
    },
    /// The caller spoke.
    Spoke {
        text: String,
    },
    /// Twilio's application error: the TwiML could not be fetched or read.
    ApplicationError {
        code: u32,
        message: String,
    },
    /// The call ended: who hung up (`caller`, `callee`, `app`, `api`) and the final status.
    HungUp {
        by: String,
        status: String,
    },
}

impl Heard {
    /// The words or keys of the line, as event filters match a body: what was said or
    /// spoken, the keys pressed or gathered, the audio played.
    pub fn text(&self) -> Option<&str> {
        match self {
            Heard::Said { text, .. } | Heard::Spoke { text } => Some(text),
            Heard::Pressed { digits } => Some(digits),
            Heard::Gathered { digits, speech } => speech.as_deref().or(digits.as_deref()),
            Heard::Played { url, digits, .. } => url.as_deref().or(digits.as_deref()),
            Heard::MessageSent { body, .. } => Some(body),
            _ => None,
        }
    }

    /// One line a person can read.
    pub fn describe(&self) -> String {
        match self {
            Heard::Fetched { url, .. } => {
                format!("fetched {}", url.as_deref().unwrap_or("inline TwiML"))
            }
            Heard::Said { text, .. } => format!("said {text:?}"),
            Heard::Played { url, digits, .. } => match (url, digits) {
                (Some(url), _) => format!("played {url}"),
                (None, Some(digits)) => format!("played tones {digits}"),
                (None, None) => "played nothing".into(),
            },
            Heard::Paused { seconds } => format!("paused {seconds} s"),
            Heard::Gathering { input, .. } => format!("gathering {input}"),
            Heard::Gathered { digits, speech } => match (digits, speech) {
                (_, Some(speech)) => format!("gathered speech {speech:?}"),
                (Some(digits), None) => format!("gathered digits {digits}"),
                (None, None) => "gathered nothing".into(),
            },
            Heard::RecordingStarted { beep } => {
                format!("recording{}", if *beep { " after a beep" } else { "" })
            }
            Heard::RecordingEnded {
                recording_sid,
                duration_s,
            } => match recording_sid {
                Some(sid) => format!("recorded {sid} ({duration_s} s)"),
                None => "recorded nothing".into(),
            },
            Heard::Redirected { url } => format!("redirected to {url}"),
            Heard::Dialed { numbers, .. } => format!("dialed {}", numbers.join(", ")),
            Heard::DialEnded { status, .. } => format!("dial ended: {status}"),
            Heard::MessageSent {
                message_sid, to, ..
            } => format!("sent message {message_sid} to {to}"),
            Heard::NotSimulated { verb } => format!("<{verb}> is not simulated; skipped"),
            Heard::Pressed { digits } => format!("caller pressed {digits}"),
            Heard::Spoke { text } => format!("caller said {text:?}"),
            Heard::ApplicationError { code, message } => {
                format!("application error {code}: {message}")
            }
            Heard::HungUp { by, status } => format!("hung up by {by}: {status}"),
        }
    }
}
