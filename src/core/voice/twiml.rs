//! Voice TwiML as the call engine runs it: the verbs of a `<Response>` with their attributes
//! read and defaulted as Twilio documents them. The XML itself is read outside the core (the
//! `webhooks` courier parses what the app serves into a [`Document`]); here it is plain data,
//! stored with the call so that a restart resumes where the call was.

use serde::{Deserialize, Serialize};

use crate::core::messaging::HttpMethod;

/// A parsed `<Response>`: its verbs in order, and what Twilio would have logged as schema
/// warnings (12200) while reading it: an unknown attribute value that fell back to its default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub verbs: Vec<Verb>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One verb of a voice `<Response>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verb", rename_all = "snake_case")]
pub enum Verb {
    Say(Say),
    Play(Play),
    Pause(Pause),
    Gather(Gather),
    Record(Record),
    Redirect(Redirect),
    Hangup,
    Reject(Reject),
    Dial(Dial),
    /// `<Sms>` (deprecated) or `<Message>` inside voice TwiML: a text message to the caller.
    Message(TextMessage),
    /// A verb the engine does not model (`<Connect>`, `<Enqueue>`, `<Pay>`, `<Start>`, …):
    /// accepted, evented as not simulated, and skipped.
    NotSimulated {
        name: String,
    },
}

impl Verb {
    /// The verb's TwiML name, as events and transcripts name it.
    pub fn name(&self) -> &str {
        match self {
            Verb::Say(_) => "Say",
            Verb::Play(_) => "Play",
            Verb::Pause(_) => "Pause",
            Verb::Gather(_) => "Gather",
            Verb::Record(_) => "Record",
            Verb::Redirect(_) => "Redirect",
            Verb::Hangup => "Hangup",
            Verb::Reject(_) => "Reject",
            Verb::Dial(_) => "Dial",
            Verb::Message(_) => "Message",
            Verb::NotSimulated { name } => name,
        }
    }
}

/// `<Say>`: text spoken to the caller. SSML children are read as their text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Say {
    pub text: String,
    /// `man`, `woman`, `alice`, `Polly.Joanna`, `Google.en-US-Neural2-A`, …; none for the
    /// default voice.
    pub voice: Option<String>,
    pub language: Option<String>,
    /// How many times it is said; Twilio's `loop="0"` (until the call ends) is kept as 0.
    pub loops: u32,
}

/// `<Play>`: an audio file played to the caller, or DTMF tones sent down the line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Play {
    /// The audio's URL, as written (possibly relative to the document's URL).
    pub url: Option<String>,
    pub loops: u32,
    /// `digits`: tones to play (`w` waits half a second).
    pub digits: Option<String>,
}

/// `<Pause>`: silence for `length` seconds (default 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    pub length_s: u32,
}

/// The kinds of input a `<Gather>` listens for (`input="dtmf speech"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatherInput {
    pub dtmf: bool,
    pub speech: bool,
}

impl Default for GatherInput {
    fn default() -> Self {
        GatherInput {
            dtmf: true,
            speech: false,
        }
    }
}

/// When a speech `<Gather>` stops listening after the caller pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpeechTimeout {
    /// `auto`: as soon as the caller stops speaking.
    Auto,
    Seconds(u32),
}

/// `<Gather>`: collect digits or speech while its nested prompts play.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gather {
    pub input: GatherInput,
    /// Where the result is sent; none means the document's own URL (Twilio's default).
    pub action: Option<String>,
    pub method: HttpMethod,
    /// Seconds of silence before the gather ends (default 5).
    pub timeout_s: u32,
    /// The key that ends input (default `#`); none when set to the empty string.
    pub finish_on_key: Option<char>,
    /// Ends input once this many digits are in.
    pub num_digits: Option<u32>,
    /// Default: the value of `timeout`, as Twilio documents.
    pub speech_timeout: Option<SpeechTimeout>,
    /// Request the action even when nothing was entered (default false: go on to the next
    /// verb instead).
    pub action_on_empty_result: bool,
    pub language: Option<String>,
    pub hints: Option<String>,
    pub partial_result_callback: Option<String>,
    pub partial_result_callback_method: HttpMethod,
    /// The nested `<Say>`, `<Play>` and `<Pause>` verbs, in order.
    pub prompts: Vec<Verb>,
}

/// `<Record>`: record the caller until silence, a finishing key, the maximum length or hangup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Where the recording is posted; none means the document's own URL.
    pub action: Option<String>,
    pub method: HttpMethod,
    /// Seconds of silence that end it (default 5; 0 disables).
    pub timeout_s: u32,
    /// Keys that end it (default `1234567890*#`); empty when none do.
    pub finish_on_key: String,
    /// Seconds (default 3600).
    pub max_length_s: u32,
    pub play_beep: bool,
    /// `trim-silence` (default) or `do-not-trim`.
    pub trim: String,
    pub recording_status_callback: Option<String>,
    pub recording_status_callback_method: HttpMethod,
    /// `in-progress`, `completed`, `absent` (default `completed`).
    pub recording_status_callback_event: Vec<String>,
    pub transcribe: bool,
    pub transcribe_callback: Option<String>,
}

/// `<Redirect>`: fetch TwiML from another URL and run it instead of the rest of this document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Redirect {
    pub url: String,
    pub method: HttpMethod,
}

/// `<Reject>`: refuse an incoming call without answering (and without billing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reject {
    /// `rejected` (default) or `busy`: what the caller hears, and the call's final status.
    pub reason: String,
}

/// `<Dial>`: connect the caller to another party; each target becomes a child call leg.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dial {
    /// Dialed in parallel; the first to answer is connected.
    pub targets: Vec<DialTarget>,
    /// Requested when the dialed call ends, with `DialCallStatus` and friends; none means the
    /// call goes on with the verb after `<Dial>`.
    pub action: Option<String>,
    pub method: HttpMethod,
    /// Seconds to let a target ring (default 30).
    pub timeout_s: u32,
    pub caller_id: Option<String>,
    /// Seconds the bridged call may last (default 14400).
    pub time_limit_s: u32,
    /// `do-not-record` (default), `record-from-answer`, `record-from-ringing`, and the dual
    /// variants.
    pub record: String,
    pub hangup_on_star: bool,
    pub answer_on_bridge: bool,
    pub ring_tone: Option<String>,
    pub recording_status_callback: Option<String>,
    pub recording_status_callback_method: HttpMethod,
}

/// Who a `<Dial>` calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "noun", rename_all = "snake_case")]
pub enum DialTarget {
    /// `<Number>`, or a number written as the `<Dial>`'s text.
    Number(DialLeg),
    /// `<Client>`: the identity as the leg's address is `client:identity`.
    Client(DialLeg),
    /// `<Sip>`: the SIP URI.
    Sip(DialLeg),
    /// `<Conference>`, `<Queue>`, `<Sim>`, `<Application>`, …: accepted, not simulated.
    NotSimulated { name: String },
}

/// One dialed party and what Twilio lets TwiML say about its leg.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DialLeg {
    /// The number, `client:identity` or `sip:…` URI.
    pub address: String,
    pub send_digits: Option<String>,
    /// TwiML run for the called party before they are connected.
    pub url: Option<String>,
    pub method: HttpMethod,
    pub status_callback: Option<String>,
    pub status_callback_method: HttpMethod,
    /// `initiated`, `ringing`, `answered`, `completed` (default `completed`).
    pub status_callback_event: Vec<String>,
}

/// `<Message>` or `<Sms>` in voice TwiML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextMessage {
    /// Default: the caller.
    pub to: Option<String>,
    /// Default: the number the call is on.
    pub from: Option<String>,
    pub body: String,
    pub media: Vec<String>,
    /// Where the message's statuses go (`action`, or `statusCallback`).
    pub status_callback: Option<String>,
    pub method: HttpMethod,
}
