//! Voice on the wire: the voice webhooks' parameters (TwiML requests, call status and
//! recording status callbacks), and an app's answer to a TwiML request — TwiML, audio or text,
//! as Twilio takes each — read into the engine's verbs.
//!
//! Attribute names, defaults and allowed values follow Twilio's TwiML docs and the official
//! SDKs' `VoiceResponse` builders (twilio-python's `twiml/voice_response.py`, twilio-node's,
//! -java's and -go's, whose outputs differ only in how they close an empty element): camelCase
//! attributes, verbs in PascalCase, SSML in lower case. A value Twilio would reject
//! falls back to the default with a schema warning (12200), as Twilio logs and goes on.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event as Xml;

use crate::core::messaging::HttpMethod;
use crate::core::outbox::{
    CallStatusNotice, RecordingNotice, TwimlFailure, VerbResult, VoiceRequest,
};
use crate::core::time;
use crate::core::voice::twiml::{
    Dial, DialLeg, DialTarget, Gather, GatherInput, Pause, Play, Record, Redirect, Reject, Say,
    SpeechTimeout, TextMessage,
};
use crate::core::voice::{Call, CallEvent, CallStatus, Document, Recording, RecordingStatus, Verb};
use crate::providers::twilio::API_VERSION;

// ---------------------------------------------------------------------------------------------
// Parameters.

/// The parameters every voice request carries about its call (reference §4.3).
fn call_params(call: &Call) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = vec![
        ("AccountSid".into(), call.account_sid.clone()),
        ("ApiVersion".into(), API_VERSION.into()),
        ("CallSid".into(), call.sid.clone()),
        ("CallStatus".into(), call.status.as_str().into()),
        ("Called".into(), call.to.clone()),
        ("Caller".into(), call.from.clone()),
        ("Direction".into(), call.direction.as_str().into()),
        ("From".into(), call.from.clone()),
        ("To".into(), call.to.clone()),
    ];
    // Twilio looks up the geography of phone numbers; mockingbird knows the country only.
    for (side, number) in [
        ("From", &call.from),
        ("To", &call.to),
        ("Caller", &call.from),
        ("Called", &call.to),
    ] {
        if number.starts_with('+') {
            for (part, value) in [
                ("City", String::new()),
                ("State", String::new()),
                ("Zip", String::new()),
                ("Country", country(number)),
            ] {
                params.push((format!("{side}{part}"), value));
            }
        }
    }
    let optional = [
        ("ParentCallSid", &call.parent_call_sid),
        ("ForwardedFrom", &call.forwarded_from),
        ("CallerName", &call.caller_name),
        ("AnsweredBy", &call.answered_by),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            params.push((name.into(), value.clone()));
        }
    }
    params
}

fn country(number: &str) -> String {
    crate::core::numbering::region_of(number).unwrap_or_default()
}

/// Where a recording's media is served: Twilio's `RecordingUrl` (no extension; `.wav` and
/// `.mp3` select a format).
pub fn recording_url(base: &str, recording: &Recording) -> String {
    format!(
        "{base}/2010-04-01/Accounts/{}/Recordings/{}",
        recording.account_sid, recording.sid
    )
}

/// A request for TwiML: the call's parameters and what the verb asking reports.
pub fn voice_request(request: &VoiceRequest, recordings_base: &str) -> Vec<(String, String)> {
    let mut params = call_params(&request.call);
    let mut add = |name: &str, value: String| params.push((name.into(), value));
    match &request.result {
        VerbResult::Nothing => {}
        VerbResult::Gathered {
            digits,
            finished_on_key,
            speech,
        } => {
            if let Some((text, confidence)) = speech {
                add("SpeechResult", text.clone());
                add("Confidence", format!("{confidence}"));
            } else {
                add("Digits", digits.clone().unwrap_or_default());
            }
            if let Some(key) = finished_on_key {
                add("FinishedOnKey", key.clone());
            }
        }
        VerbResult::Recorded { recording, digits } => {
            add("RecordingUrl", recording_url(recordings_base, recording));
            add("RecordingSid", recording.sid.clone());
            add("RecordingDuration", recording.duration_s.to_string());
            if !digits.is_empty() {
                add("Digits", digits.clone());
            }
        }
        VerbResult::Dialed {
            status,
            call_sid,
            duration_s,
            bridged,
        } => {
            add("DialCallStatus", status.as_str().into());
            if let Some(sid) = call_sid {
                add("DialCallSid", sid.clone());
            }
            if let Some(duration) = duration_s {
                add("DialCallDuration", duration.to_string());
            }
            add("DialBridged", bridged.to_string());
        }
    }
    params
}

/// A call progress event: the call's parameters with the event's status, its place in the
/// call's callbacks, and on the final event how long the call lasted and how it ended.
pub fn call_status(notice: &CallStatusNotice) -> Vec<(String, String)> {
    let call = &notice.call;
    let mut params = call_params(call);
    // Each event names its own status, whatever the call went on to since (a late ringing
    // callback still says ringing).
    let status = match notice.event {
        CallEvent::Initiated => "initiated",
        CallEvent::Ringing => "ringing",
        CallEvent::Answered => "in-progress",
        CallEvent::Completed => call.status.as_str(),
    };
    if let Some(entry) = params.iter_mut().find(|(name, _)| name == "CallStatus") {
        entry.1 = status.into();
    }
    let mut add = |name: &str, value: String| params.push((name.into(), value));
    add("CallbackSource", "call-progress-events".into());
    add("SequenceNumber", notice.sequence_number.to_string());
    add("Timestamp", time::rfc2822(notice.at));
    if notice.event == CallEvent::Completed {
        // A captured no-answer callback reads `CallDuration=0&Duration=0&SipResponseCode=487`
        // (somleng/somleng-switch#7, quoting Twilio's request); a call refused before it rang
        // (`<Reject>`) has no duration at all, and says none. An answered call is billed by the
        // minute, rounded up, one at least.
        if let Some(seconds) = call.duration_s {
            let minutes = if call.status == CallStatus::Completed {
                seconds.div_ceil(60).max(1)
            } else {
                0
            };
            add("CallDuration", seconds.to_string());
            add("Duration", minutes.to_string());
        }
        add("SipResponseCode", sip_response_code(call.status).into());
    }
    params
}

/// The SIP final response Twilio reports a call's end with: 486 Busy Here, 487 Request
/// Terminated for a call given up on while ringing (no answer, or canceled), and for a failed
/// call a server error (500; a real one may carry the carrier's own, 404 or 503).
fn sip_response_code(status: CallStatus) -> &'static str {
    match status {
        CallStatus::Busy => "486",
        CallStatus::NoAnswer | CallStatus::Canceled => "487",
        CallStatus::Failed => "500",
        _ => "200",
    }
}

/// A recording's `recordingStatusCallback`.
pub fn recording_status(notice: &RecordingNotice, recordings_base: &str) -> Vec<(String, String)> {
    let recording = &notice.recording;
    let mut params: Vec<(String, String)> = vec![
        ("AccountSid".into(), recording.account_sid.clone()),
        ("CallSid".into(), recording.call_sid.clone()),
        ("RecordingSid".into(), recording.sid.clone()),
        (
            "RecordingUrl".into(),
            recording_url(recordings_base, recording),
        ),
        ("RecordingStatus".into(), recording.status.as_str().into()),
        ("RecordingDuration".into(), recording.duration_s.to_string()),
        ("RecordingChannels".into(), recording.channels.to_string()),
        (
            "RecordingStartTime".into(),
            time::rfc2822(recording.start_time),
        ),
        ("RecordingSource".into(), recording.source.as_str().into()),
        ("RecordingTrack".into(), "both".into()),
    ];
    // An absent recording always says why (16101 too short, 16102 silent: Twilio support's
    // "Getting Started with Recording Status Callbacks"); too short is the one a simulated
    // caller can cause.
    let error_code = match recording.status {
        RecordingStatus::Absent => Some(recording.error_code.unwrap_or(16101)),
        _ => recording.error_code,
    };
    if let Some(code) = error_code {
        params.push(("ErrorCode".into(), code.to_string()));
    }
    params
}

// ---------------------------------------------------------------------------------------------
// Reading TwiML.

/// The TwiML an app's answer to a voice request stands for, read as Twilio reads it ("TwiML
/// Voice: Your Response", twilio.com/docs/voice/twiml, its MIME type table):
/// - any status but a success is an HTTP retrieval failure (11200), the app's 4xx and 5xx alike;
/// - `text/xml`, `application/xml` and `text/html` are TwiML (12100 when they do not parse);
/// - one of the audio types `<Play>` takes is played to the caller, who is then hung up on;
/// - `text/plain` is read out loud to the caller, who is then hung up on;
/// - no `Content-Type` at all is, by Twilio's 12300 page, "a 502 Bad Gateway error" in its
///   debugger: a retrieval failure (11200);
/// - anything else (JSON, images, …) is an invalid content type (12300).
///
/// The hang-up after audio or text is the end of the document: the engine ends a call whose
/// verbs have run out.
pub fn read_answer(
    requested_url: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Document, TwimlFailure> {
    if !(200..300).contains(&status) {
        return Err(retrieval_failure(&format!("the app answered {status}")));
    }
    let Some(content_type) = content_type else {
        return Err(retrieval_failure(
            "the answer has no Content-Type (Twilio's debugger shows 502 Bad Gateway)",
        ));
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let only = |verb| Document {
        verbs: vec![verb],
        warnings: Vec::new(),
    };
    match essence.as_str() {
        "text/xml" | "application/xml" | "text/html" => parse(&String::from_utf8_lossy(body)),
        audio if PLAYABLE_AUDIO.contains(&audio) => Ok(only(Verb::Play(Play {
            url: Some(requested_url.to_owned()),
            loops: 1,
            digits: None,
        }))),
        "text/plain" => {
            let text = String::from_utf8_lossy(body);
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            Ok(if text.is_empty() {
                Document::default()
            } else {
                only(Verb::Say(Say {
                    text,
                    voice: None,
                    language: None,
                    loops: 1,
                }))
            })
        }
        _ => Err(TwimlFailure {
            code: 12300,
            message: format!("Invalid Content-Type: {content_type}"),
        }),
    }
}

/// The audio MIME types `<Play>` takes (twilio.com/docs/voice/twiml/play, "Supported audio
/// file types"); an answer of one is played.
const PLAYABLE_AUDIO: [&str; 10] = [
    "audio/mpeg",
    "audio/wav",
    "audio/wave",
    "audio/x-wav",
    "audio/aiff",
    "audio/x-aifc",
    "audio/x-aiff",
    "audio/x-gsm",
    "audio/gsm",
    "audio/ulaw",
];

/// Twilio's 11200, "HTTP retrieval failure" (twilio.com/docs/api/errors/11200): the TwiML URL
/// could not be fetched — refused, timed out, or answered with an error. Redirects are no
/// failure: Twilio follows them "just like a normal web browser", and so does the client.
pub fn retrieval_failure(why: &str) -> TwimlFailure {
    TwimlFailure {
        code: 11200,
        message: format!("HTTP retrieval failure: {why}"),
    }
}

/// An element of the document, with its children.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The text within, children's included.
    fn text(&self) -> String {
        let mut text = String::new();
        for child in &self.children {
            match child {
                Node::Text(t) => text.push_str(t),
                Node::Element(e) => text.push_str(&e.text()),
            }
        }
        text
    }

    /// What `<Say>` speaks of this element, onto `words`: its text with its SSML children's.
    /// Each child stands apart from its neighbours, because the SDKs' builders write them with
    /// nothing between (`<Say>Hi<break/><emphasis>there</emphasis></Say>` is "Hi there"), and
    /// `<sub>` speaks its alias instead of its text.
    fn spoken(&self, words: &mut String) {
        for child in &self.children {
            match child {
                Node::Text(t) => words.push_str(t),
                Node::Element(e) => {
                    words.push(' ');
                    match e.attribute("alias").filter(|_| e.name == "sub") {
                        Some(alias) => words.push_str(alias),
                        None => e.spoken(words),
                    }
                    words.push(' ');
                }
            }
        }
    }

    fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|child| match child {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }
}

fn parse_failure(message: impl Into<String>) -> TwimlFailure {
    TwimlFailure {
        code: 12100,
        message: message.into(),
    }
}

/// Read the XML into elements.
fn read_tree(xml: &str) -> Result<Element, TwimlFailure> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let event = reader
            .read_event()
            .map_err(|e| parse_failure(format!("Document parse failure: {e}")))?;
        match event {
            Xml::Eof => break,
            Xml::Start(start) => stack.push(start_element(&start)?),
            Xml::Empty(start) => {
                let element = start_element(&start)?;
                push(&mut stack, Node::Element(element));
            }
            Xml::End(_) => {
                let element = stack
                    .pop()
                    .filter(|_| !stack.is_empty())
                    .ok_or_else(|| parse_failure("Document parse failure: unbalanced tags"))?;
                push(&mut stack, Node::Element(element));
            }
            Xml::Text(text) => {
                let text = text
                    .xml_content()
                    .map_err(|e| parse_failure(format!("Document parse failure: {e}")))?;
                push(&mut stack, Node::Text(text.into_owned()));
            }
            Xml::CData(data) => {
                push(
                    &mut stack,
                    Node::Text(String::from_utf8_lossy(&data).into_owned()),
                );
            }
            Xml::GeneralRef(reference) => {
                let text = if let Ok(Some(ch)) = reference.resolve_char_ref() {
                    ch.to_string()
                } else {
                    let name = reference
                        .decode()
                        .map_err(|e| parse_failure(format!("Document parse failure: {e}")))?;
                    resolve_predefined_entity(&name)
                        .ok_or_else(|| {
                            parse_failure(format!(
                                "Document parse failure: unknown entity &{name};"
                            ))
                        })?
                        .to_owned()
                };
                push(&mut stack, Node::Text(text));
            }
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(parse_failure(
            "Document parse failure: an element is not closed",
        ));
    }
    let document = stack.pop().unwrap_or_default();
    let mut roots = document.children.into_iter().filter_map(|node| match node {
        Node::Element(e) => Some(e),
        Node::Text(t) if t.trim().is_empty() => None,
        Node::Text(_) => None,
    });
    let root = roots
        .next()
        .ok_or_else(|| parse_failure("Document parse failure: the document is empty"))?;
    if roots.next().is_some() {
        return Err(parse_failure(
            "Document parse failure: more than one root element",
        ));
    }
    Ok(root)
}

fn push(stack: &mut [Element], node: Node) {
    if let Some(parent) = stack.last_mut() {
        parent.children.push(node);
    }
}

fn start_element(start: &quick_xml::events::BytesStart<'_>) -> Result<Element, TwimlFailure> {
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute =
            attribute.map_err(|e| parse_failure(format!("Document parse failure: {e}")))?;
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        let value = attribute
            .unescape_value()
            .map_err(|e| parse_failure(format!("Document parse failure: {e}")))?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element {
        name,
        attributes,
        children: Vec::new(),
    })
}

/// Read voice TwiML: a `<Response>` and its verbs.
pub fn parse(xml: &str) -> Result<Document, TwimlFailure> {
    let root = read_tree(xml.trim_start_matches('\u{feff}'))?;
    if root.name != "Response" {
        return Err(parse_failure(format!(
            "Document parse failure: the root element is <{}>, not <Response>",
            root.name
        )));
    }
    let mut reader = Attributes::default();
    let verbs = root
        .elements()
        .map(|element| reader.verb(element))
        .collect();
    Ok(Document {
        verbs,
        warnings: reader.warnings,
    })
}

/// The keys of a phone's keypad: `<Record>`'s default `finishOnKey`, and all it may name.
const ALL_KEYS: &str = "1234567890*#";

/// Twilio's voice verbs the engine accepts and skips (the SDKs' `VoiceResponse` builders
/// write each of them).
const UNSIMULATED_VERBS: [&str; 10] = [
    "Connect", "Echo", "Enqueue", "Leave", "Pay", "Prompt", "Queue", "Refer", "Start", "Stop",
];

/// Reads attributes with their defaults, collecting schema warnings.
#[derive(Default)]
struct Attributes {
    warnings: Vec<String>,
}

impl Attributes {
    fn warn(&mut self, element: &Element, name: &str, value: &str, fallback: &str) {
        self.warnings.push(format!(
            "<{}> {name}=\"{value}\" is not valid; using {fallback}",
            element.name
        ));
    }

    fn number(&mut self, element: &Element, name: &str, default: u32) -> u32 {
        match element.attribute(name) {
            None => default,
            Some(value) => match value.trim().parse::<u32>() {
                Ok(n) => n,
                Err(_) => {
                    self.warn(element, name, value, &default.to_string());
                    default
                }
            },
        }
    }

    fn flag(&mut self, element: &Element, name: &str, default: bool) -> bool {
        match element.attribute(name) {
            None => default,
            Some(value) => match value.trim().to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    self.warn(element, name, value, &default.to_string());
                    default
                }
            },
        }
    }

    fn method(&mut self, element: &Element, name: &str) -> HttpMethod {
        match element.attribute(name) {
            None => HttpMethod::Post,
            Some(value) => HttpMethod::parse(value.trim()).unwrap_or_else(|| {
                self.warn(element, name, value, "POST");
                HttpMethod::Post
            }),
        }
    }

    fn text(element: &Element, name: &str) -> Option<String> {
        element
            .attribute(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    fn list(element: &Element, name: &str) -> Vec<String> {
        element
            .attribute(name)
            .map(|v| {
                v.split([' ', ','])
                    .filter(|e| !e.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn verb(&mut self, element: &Element) -> Verb {
        match element.name.as_str() {
            "Say" => Verb::Say(self.say(element)),
            "Play" => Verb::Play(self.play(element)),
            "Pause" => Verb::Pause(Pause {
                length_s: self.number(element, "length", 1),
            }),
            "Gather" => Verb::Gather(self.gather(element)),
            "Record" => Verb::Record(self.record(element)),
            "Redirect" => Verb::Redirect(Redirect {
                url: element.text().trim().to_owned(),
                method: self.method(element, "method"),
            }),
            "Hangup" => Verb::Hangup,
            "Reject" => Verb::Reject(Reject {
                reason: match element.attribute("reason") {
                    None => "rejected".into(),
                    Some(reason @ ("rejected" | "busy")) => reason.into(),
                    Some(other) => {
                        self.warn(element, "reason", other, "rejected");
                        "rejected".into()
                    }
                },
            }),
            "Dial" => Verb::Dial(self.dial(element)),
            "Message" | "Sms" => Verb::Message(self.message(element)),
            other => {
                // Verb names are case-sensitive ("using <say> instead of <Say> will result in
                // an error", TwiML Voice: Your Response): a name that is no Twilio verb is
                // skipped with a warning, one the engine does not model without.
                if !UNSIMULATED_VERBS.contains(&other) {
                    self.warnings
                        .push(format!("<{other}> is not a TwiML voice verb; skipped"));
                }
                Verb::NotSimulated {
                    name: other.to_owned(),
                }
            }
        }
    }

    fn say(&mut self, element: &Element) -> Say {
        let mut spoken = String::new();
        element.spoken(&mut spoken);
        // One space between words, none before the punctuation that follows one (the markup
        // that stood between them is gone).
        let mut text = String::with_capacity(spoken.len());
        for word in spoken.split_whitespace() {
            if !text.is_empty() && !word.starts_with(['.', ',', ';', ':', '!', '?']) {
                text.push(' ');
            }
            text.push_str(word);
        }
        Say {
            text,
            voice: Self::text(element, "voice"),
            language: Self::text(element, "language"),
            loops: self.number(element, "loop", 1),
        }
    }

    fn play(&mut self, element: &Element) -> Play {
        let url = element.text().trim().to_owned();
        Play {
            url: (!url.is_empty()).then_some(url),
            loops: self.number(element, "loop", 1),
            digits: Self::text(element, "digits"),
        }
    }

    fn gather(&mut self, element: &Element) -> Gather {
        let input = match element.attribute("input") {
            None => GatherInput::default(),
            Some(value) => {
                let words: Vec<&str> = value.split_whitespace().collect();
                let input = GatherInput {
                    dtmf: words.contains(&"dtmf"),
                    speech: words.contains(&"speech"),
                };
                if !input.dtmf && !input.speech {
                    self.warn(element, "input", value, "dtmf");
                    GatherInput::default()
                } else {
                    input
                }
            }
        };
        let timeout_s = self.number(element, "timeout", 5);
        let finish_on_key = match element.attribute("finishOnKey") {
            None => Some('#'),
            Some("") => None,
            Some(value) => match value.chars().next() {
                Some(key) if value.len() == 1 && (key.is_ascii_digit() || "#*".contains(key)) => {
                    Some(key)
                }
                _ => {
                    self.warn(element, "finishOnKey", value, "#");
                    Some('#')
                }
            },
        };
        // No limit unless one is given; a value Twilio would not take leaves none.
        let num_digits = match element.attribute("numDigits") {
            None => None,
            Some(value) => match value.trim().parse::<u32>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    self.warn(element, "numDigits", value, "no limit");
                    None
                }
            },
        };
        let speech_timeout = element.attribute("speechTimeout").map(|value| {
            if value == "auto" {
                SpeechTimeout::Auto
            } else {
                SpeechTimeout::Seconds(self.number(element, "speechTimeout", timeout_s))
            }
        });
        let prompts = element
            .elements()
            .filter_map(|child| match child.name.as_str() {
                "Say" => Some(Verb::Say(self.say(child))),
                "Play" => Some(Verb::Play(self.play(child))),
                "Pause" => Some(Verb::Pause(Pause {
                    length_s: self.number(child, "length", 1),
                })),
                other => {
                    self.warnings
                        .push(format!("<{other}> cannot be nested in <Gather>; skipped"));
                    None
                }
            })
            .collect();
        Gather {
            input,
            action: Self::text(element, "action"),
            method: self.method(element, "method"),
            timeout_s,
            finish_on_key,
            num_digits,
            speech_timeout,
            action_on_empty_result: self.flag(element, "actionOnEmptyResult", false),
            language: Self::text(element, "language"),
            hints: Self::text(element, "hints"),
            partial_result_callback: Self::text(element, "partialResultCallback"),
            partial_result_callback_method: self.method(element, "partialResultCallbackMethod"),
            prompts,
        }
    }

    fn record(&mut self, element: &Element) -> Record {
        let trim = match element.attribute("trim") {
            None => "trim-silence".to_owned(),
            Some(value @ ("trim-silence" | "do-not-trim")) => value.to_owned(),
            Some(other) => {
                self.warn(element, "trim", other, "trim-silence");
                "trim-silence".to_owned()
            }
        };
        Record {
            action: Self::text(element, "action"),
            method: self.method(element, "method"),
            timeout_s: self.number(element, "timeout", 5),
            finish_on_key: match element.attribute("finishOnKey") {
                None => ALL_KEYS.to_owned(),
                Some(keys) if keys.chars().all(|key| ALL_KEYS.contains(key)) => keys.to_owned(),
                Some(other) => {
                    self.warn(element, "finishOnKey", other, ALL_KEYS);
                    ALL_KEYS.to_owned()
                }
            },
            max_length_s: self.number(element, "maxLength", 3600),
            play_beep: self.flag(element, "playBeep", true),
            trim,
            recording_status_callback: Self::text(element, "recordingStatusCallback"),
            recording_status_callback_method: self.method(element, "recordingStatusCallbackMethod"),
            recording_status_callback_event: Self::list(element, "recordingStatusCallbackEvent"),
            transcribe: self.flag(element, "transcribe", false),
            transcribe_callback: Self::text(element, "transcribeCallback"),
        }
    }

    fn leg(&mut self, element: &Element, address: String) -> DialLeg {
        DialLeg {
            address,
            send_digits: Self::text(element, "sendDigits"),
            url: Self::text(element, "url"),
            method: self.method(element, "method"),
            status_callback: Self::text(element, "statusCallback"),
            status_callback_method: self.method(element, "statusCallbackMethod"),
            status_callback_event: Self::list(element, "statusCallbackEvent"),
        }
    }

    fn dial(&mut self, element: &Element) -> Dial {
        let mut targets = Vec::new();
        for child in &element.children {
            match child {
                Node::Text(text) if !text.trim().is_empty() => {
                    targets.push(DialTarget::Number(DialLeg {
                        address: text.trim().to_owned(),
                        send_digits: None,
                        url: None,
                        method: HttpMethod::Post,
                        status_callback: None,
                        status_callback_method: HttpMethod::Post,
                        status_callback_event: Vec::new(),
                    }))
                }
                Node::Text(_) => {}
                Node::Element(noun) => {
                    let text = noun.text().trim().to_owned();
                    targets.push(match noun.name.as_str() {
                        "Number" => DialTarget::Number(self.leg(noun, text)),
                        "Client" => {
                            // `<Client>alice</Client>` or `<Client><Identity>alice</Identity>…`.
                            let identity = noun
                                .elements()
                                .find(|e| e.name == "Identity")
                                .map_or(text, |e| e.text().trim().to_owned());
                            DialTarget::Client(self.leg(noun, format!("client:{identity}")))
                        }
                        "Sip" => DialTarget::Sip(self.leg(noun, text)),
                        other => DialTarget::NotSimulated {
                            name: other.to_owned(),
                        },
                    });
                }
            }
        }
        Dial {
            targets,
            action: Self::text(element, "action"),
            method: self.method(element, "method"),
            timeout_s: self.number(element, "timeout", 30),
            caller_id: Self::text(element, "callerId"),
            time_limit_s: self.number(element, "timeLimit", 14400),
            record: self.dial_record(element),
            hangup_on_star: self.flag(element, "hangupOnStar", false),
            answer_on_bridge: self.flag(element, "answerOnBridge", false),
            ring_tone: Self::text(element, "ringTone"),
            recording_status_callback: Self::text(element, "recordingStatusCallback"),
            recording_status_callback_method: self.method(element, "recordingStatusCallbackMethod"),
        }
    }

    /// `<Dial record>`: one of Twilio's five values. The older docs' `true` and `false` are
    /// taken as the recording from answer, and none.
    fn dial_record(&mut self, element: &Element) -> String {
        const VALUES: [&str; 5] = [
            "do-not-record",
            "record-from-answer",
            "record-from-ringing",
            "record-from-answer-dual",
            "record-from-ringing-dual",
        ];
        match element.attribute("record").map(str::trim) {
            None | Some("false") => "do-not-record".into(),
            Some("true") => "record-from-answer".into(),
            Some(value) if VALUES.contains(&value) => value.into(),
            Some(other) => {
                self.warn(element, "record", other, "do-not-record");
                "do-not-record".into()
            }
        }
    }

    fn message(&mut self, element: &Element) -> TextMessage {
        let body = element
            .elements()
            .find(|e| e.name == "Body")
            .map(|e| e.text())
            .unwrap_or_else(|| {
                element
                    .children
                    .iter()
                    .filter_map(|c| match c {
                        Node::Text(t) => Some(t.as_str()),
                        Node::Element(_) => None,
                    })
                    .collect()
            });
        TextMessage {
            to: Self::text(element, "to"),
            from: Self::text(element, "from"),
            body: body.trim().to_owned(),
            media: element
                .elements()
                .filter(|e| e.name == "Media")
                .map(|e| e.text().trim().to_owned())
                .collect(),
            status_callback: Self::text(element, "action")
                .or_else(|| Self::text(element, "statusCallback")),
            method: self.method(element, "method"),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    use crate::core::voice::{CallApp, CallDirection, RecordingSource};

    const BASE: &str = "http://127.0.0.1:8080";

    /// A call for the tests of this room's encoders and requests.
    pub(in crate::webhooks) fn call(status: CallStatus) -> Call {
        Call {
            sid: "CA00000000000000000000000000000001".into(),
            account_sid: "AC00000000000000000000000000000000".into(),
            parent_call_sid: None,
            direction: CallDirection::OutboundApi,
            from: "+15005550006".into(),
            to: "+442071838750".into(),
            status,
            answered_by: None,
            caller_name: None,
            forwarded_from: None,
            phone_number_sid: None,
            created_at: 0,
            updated_at: 0,
            start_time: None,
            end_time: None,
            duration_s: None,
            app: CallApp::Bridged,
            status_callback: None,
            timeout_s: 60,
            machine_detection: None,
            record: false,
            recording_status_callback: None,
            send_digits: None,
            error_code: None,
        }
    }

    fn recording(status: RecordingStatus) -> Recording {
        Recording {
            sid: "RE00000000000000000000000000000001".into(),
            account_sid: "AC00000000000000000000000000000000".into(),
            call_sid: "CA00000000000000000000000000000001".into(),
            status,
            source: RecordingSource::RecordVerb,
            channels: 1,
            duration_s: 7,
            start_time: 1_521_971_599_000,
            created_at: 0,
            updated_at: 0,
            error_code: None,
        }
    }

    /// The value of `name`, which must be there once at most.
    fn value<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
        let mut found = params.iter().filter(|(n, _)| n == name);
        let first = found.next().map(|(_, v)| v.as_str());
        assert!(found.next().is_none(), "{name} twice in {params:?}");
        first
    }

    fn request(call: Call, result: VerbResult) -> Vec<(String, String)> {
        voice_request(
            &VoiceRequest {
                call,
                result,
                at: 0,
            },
            BASE,
        )
    }

    #[test]
    fn a_voice_request_names_the_call_with_its_aliases_and_geography() {
        let mut inbound = call(CallStatus::Ringing);
        inbound.direction = CallDirection::Inbound;
        inbound.forwarded_from = Some("+15551110000".into());
        inbound.caller_name = Some("ADA LOVELACE".into());
        let params = request(inbound, VerbResult::Nothing);
        for (name, expected) in [
            ("CallSid", "CA00000000000000000000000000000001"),
            ("AccountSid", "AC00000000000000000000000000000000"),
            ("From", "+15005550006"),
            ("Caller", "+15005550006"),
            ("To", "+442071838750"),
            ("Called", "+442071838750"),
            ("CallStatus", "ringing"),
            ("ApiVersion", "2010-04-01"),
            ("Direction", "inbound"),
            ("ForwardedFrom", "+15551110000"),
            ("CallerName", "ADA LOVELACE"),
            ("FromCountry", "US"),
            ("CallerCountry", "US"),
            ("ToCountry", "GB"),
            ("CalledCountry", "GB"),
            ("FromCity", ""),
            ("CalledZip", ""),
        ] {
            assert_eq!(value(&params, name), Some(expected), "{name}");
        }
        for absent in ["ParentCallSid", "AnsweredBy", "Digits", "SpeechResult"] {
            assert_eq!(value(&params, absent), None, "{absent}");
        }

        let mut leg = call(CallStatus::InProgress);
        leg.direction = CallDirection::OutboundDial;
        leg.parent_call_sid = Some("CA00000000000000000000000000000002".into());
        leg.answered_by = Some("machine_start".into());
        leg.to = "client:alice".into();
        let params = request(leg, VerbResult::Nothing);
        assert_eq!(
            value(&params, "ParentCallSid"),
            Some("CA00000000000000000000000000000002")
        );
        assert_eq!(value(&params, "AnsweredBy"), Some("machine_start"));
        assert_eq!(value(&params, "Direction"), Some("outbound-dial"));
        assert_eq!(value(&params, "CallStatus"), Some("in-progress"));
        // Twilio looks up the geography of phone numbers only.
        assert_eq!(value(&params, "ToCountry"), None);
        assert_eq!(value(&params, "FromCountry"), Some("US"));
    }

    #[test]
    fn each_verb_reports_what_it_got_to_its_action() {
        let live = || call(CallStatus::InProgress);
        let keyed = request(
            live(),
            VerbResult::Gathered {
                digits: Some("12".into()),
                finished_on_key: Some("#".into()),
                speech: None,
            },
        );
        assert_eq!(value(&keyed, "Digits"), Some("12"));
        assert_eq!(value(&keyed, "FinishedOnKey"), Some("#"));
        assert_eq!(value(&keyed, "SpeechResult"), None);

        let spoken = request(
            live(),
            VerbResult::Gathered {
                digits: None,
                finished_on_key: None,
                speech: Some(("sales please".into(), 0.92)),
            },
        );
        assert_eq!(value(&spoken, "SpeechResult"), Some("sales please"));
        assert_eq!(value(&spoken, "Confidence"), Some("0.92"));
        assert_eq!(value(&spoken, "Digits"), None);
        assert_eq!(value(&spoken, "FinishedOnKey"), None);

        let recorded = request(
            live(),
            VerbResult::Recorded {
                recording: recording(RecordingStatus::Completed),
                digits: "hangup".into(),
            },
        );
        assert_eq!(
            value(&recorded, "RecordingUrl"),
            Some(
                "http://127.0.0.1:8080/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/RE00000000000000000000000000000001"
            )
        );
        assert_eq!(
            value(&recorded, "RecordingSid"),
            Some("RE00000000000000000000000000000001")
        );
        assert_eq!(value(&recorded, "RecordingDuration"), Some("7"));
        assert_eq!(value(&recorded, "Digits"), Some("hangup"));

        let dialed = request(
            live(),
            VerbResult::Dialed {
                status: CallStatus::Busy,
                call_sid: Some("CA00000000000000000000000000000003".into()),
                duration_s: Some(0),
                bridged: false,
            },
        );
        assert_eq!(value(&dialed, "DialCallStatus"), Some("busy"));
        assert_eq!(
            value(&dialed, "DialCallSid"),
            Some("CA00000000000000000000000000000003")
        );
        assert_eq!(value(&dialed, "DialCallDuration"), Some("0"));
        assert_eq!(value(&dialed, "DialBridged"), Some("false"));
    }

    fn progress(call: Call, event: CallEvent, sequence_number: u32) -> Vec<(String, String)> {
        call_status(&CallStatusNotice {
            call,
            event,
            sequence_number,
            at: 1_521_971_599_000,
        })
    }

    #[test]
    fn progress_callbacks_name_their_event_and_the_final_one_how_the_call_ended() {
        let initiated = progress(call(CallStatus::Queued), CallEvent::Initiated, 0);
        assert_eq!(value(&initiated, "CallStatus"), Some("initiated"));
        assert_eq!(value(&initiated, "SequenceNumber"), Some("0"));
        assert_eq!(
            value(&initiated, "CallbackSource"),
            Some("call-progress-events")
        );
        assert_eq!(
            value(&initiated, "Timestamp"),
            Some("Sun, 25 Mar 2018 09:53:19 +0000")
        );
        for absent in ["CallDuration", "Duration", "SipResponseCode"] {
            assert_eq!(value(&initiated, absent), None, "{absent}");
        }
        // The call may have moved on by the time an event is encoded; the event says its own.
        let ringing = progress(call(CallStatus::InProgress), CallEvent::Ringing, 1);
        assert_eq!(value(&ringing, "CallStatus"), Some("ringing"));
        let answered = progress(call(CallStatus::InProgress), CallEvent::Answered, 2);
        assert_eq!(value(&answered, "CallStatus"), Some("in-progress"));
        assert_eq!(value(&answered, "CallDuration"), None);

        let mut talked = call(CallStatus::Completed);
        talked.duration_s = Some(49);
        talked.answered_by = Some("human".into());
        let completed = progress(talked, CallEvent::Completed, 3);
        for (name, expected) in [
            ("CallStatus", "completed"),
            ("SequenceNumber", "3"),
            ("CallDuration", "49"),
            ("Duration", "1"),
            ("SipResponseCode", "200"),
            ("AnsweredBy", "human"),
        ] {
            assert_eq!(value(&completed, name), Some(expected), "{name}");
        }
        let mut long = call(CallStatus::Completed);
        long.duration_s = Some(61);
        assert_eq!(
            value(&progress(long, CallEvent::Completed, 1), "Duration"),
            Some("2")
        );

        for (status, sip) in [
            (CallStatus::Busy, "486"),
            (CallStatus::NoAnswer, "487"),
            (CallStatus::Canceled, "487"),
            (CallStatus::Failed, "500"),
        ] {
            let mut unanswered = call(status);
            unanswered.duration_s = Some(0);
            let ended = progress(unanswered, CallEvent::Completed, 1);
            assert_eq!(value(&ended, "CallStatus"), Some(status.as_str()));
            assert_eq!(value(&ended, "CallDuration"), Some("0"));
            assert_eq!(value(&ended, "Duration"), Some("0"), "{status:?}");
            assert_eq!(value(&ended, "SipResponseCode"), Some(sip));
        }
        let refused = progress(call(CallStatus::Busy), CallEvent::Completed, 0);
        assert_eq!(value(&refused, "CallDuration"), None);
        assert_eq!(value(&refused, "Duration"), None);
        assert_eq!(value(&refused, "SipResponseCode"), Some("486"));
    }

    #[test]
    fn a_recording_status_callback_describes_the_recording() {
        let notice = |recording| RecordingNotice { recording, at: 0 };
        let completed = recording_status(&notice(recording(RecordingStatus::Completed)), BASE);
        for (name, expected) in [
            ("AccountSid", "AC00000000000000000000000000000000"),
            ("CallSid", "CA00000000000000000000000000000001"),
            ("RecordingSid", "RE00000000000000000000000000000001"),
            ("RecordingStatus", "completed"),
            ("RecordingDuration", "7"),
            ("RecordingChannels", "1"),
            ("RecordingSource", "RecordVerb"),
            ("RecordingStartTime", "Sun, 25 Mar 2018 09:53:19 +0000"),
        ] {
            assert_eq!(value(&completed, name), Some(expected), "{name}");
        }
        assert!(value(&completed, "RecordingUrl").is_some_and(|url| url.starts_with(BASE)));
        assert_eq!(value(&completed, "ErrorCode"), None);
        let absent = recording_status(&notice(recording(RecordingStatus::Absent)), BASE);
        assert_eq!(value(&absent, "RecordingStatus"), Some("absent"));
        assert_eq!(value(&absent, "ErrorCode"), Some("16101"));
    }

    fn verbs(xml: &str) -> Vec<Verb> {
        parse(xml).expect("parses").verbs
    }

    #[test]
    fn the_python_builders_output_with_its_declaration() {
        let document = parse(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="alice" language="en-GB" loop="2">Hi &amp; bye</Say><Hangup /></Response>"#,
        )
        .unwrap();
        assert_eq!(
            document.verbs,
            vec![
                Verb::Say(Say {
                    text: "Hi & bye".into(),
                    voice: Some("alice".into()),
                    language: Some("en-GB".into()),
                    loops: 2,
                }),
                Verb::Hangup
            ]
        );
        assert!(document.warnings.is_empty());
    }

    #[test]
    fn ssml_inside_say_is_read_as_its_words() {
        let said = verbs(
            r#"<Response><Say voice="Polly.Joanna">Your code is <say-as interpret-as="digits">1234</say-as><break time="1s"/>. <sub alias="World Wide Web">WWW</sub> <prosody rate="slow">thanks</prosody></Say></Response>"#,
        );
        let Verb::Say(say) = &said[0] else {
            panic!("{said:?}")
        };
        assert_eq!(say.text, "Your code is 1234. World Wide Web thanks");
    }

    #[test]
    fn ssml_as_the_sdk_builders_write_it_reads_word_by_word() {
        // twilio-python's `Say` with one of each SSML child, as the <Say> docs show its output:
        // every child is written right after the last, with no space.
        let said = verbs(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="Polly.Joanna" language="en-US">Hi<break strength="x-weak" time="100ms"/><emphasis level="moderate">Words to emphasize</emphasis><p>Words to speak</p>aaaaaa<phoneme alphabet="x-sampa" ph="pI'kA:n">Words to speak</phoneme>bbbbbbb<prosody pitch="-10%" rate="85%" volume="-6dB">Words to speak</prosody><s>Words to speak</s><say-as format="mdy" interpret-as="spell-out">Words to speak</say-as><sub alias="alias">Words to be substituted</sub><w>Words to speak</w><lang xml:lang="fr-FR">Bonjour</lang><amazon:effect name="whispered">secret</amazon:effect></Say></Response>"#,
        );
        let Verb::Say(say) = &said[0] else {
            panic!("{said:?}")
        };
        assert_eq!(
            say.text,
            "Hi Words to emphasize Words to speak aaaaaa Words to speak bbbbbbb Words to speak \
             Words to speak Words to speak alias Words to speak Bonjour secret"
        );
        assert_eq!(
            (say.voice.as_deref(), say.language.as_deref()),
            (Some("Polly.Joanna"), Some("en-US"))
        );
        // A `<sub>` without an alias speaks its text; CDATA and comments are read as XML.
        let plain = verbs(
            "<Response><!-- greeting --><Say><sub>ACME</sub> <![CDATA[Tom & Jerry <3]]> &#x263A;</Say></Response>",
        );
        assert!(
            matches!(&plain[..], [Verb::Say(say)] if say.text == "ACME Tom & Jerry <3 \u{263A}")
        );
    }

    #[test]
    fn templates_with_whitespace_comments_and_namespaces() {
        let document = parse(
            "\u{feff}<?xml version=\"1.0\"?>\n<!-- IVR menu -->\n<Response xmlns=\"http://www.twilio.com/2010/TwiML\">\n  <!-- greet -->\n  <Say>\n    Hello   there\n  </Say>\n\n  <Pause/>\n</Response>\n<!-- end -->\n",
        )
        .unwrap();
        assert_eq!(document.verbs.len(), 2);
        assert!(matches!(&document.verbs[0], Verb::Say(say) if say.text == "Hello there"));
        assert_eq!(document.verbs[1], Verb::Pause(Pause { length_s: 1 }));
        // An entity XML does not define is not XML: Twilio's parser stops there too.
        assert_eq!(
            parse("<Response><Say>a&nbsp;b</Say></Response>").map_err(|f| f.code),
            Err(12100)
        );
    }

    #[test]
    fn every_sdk_writes_an_empty_verb_its_own_way() {
        // Python `<Hangup />`, Node and Java `<Hangup/>`, Go's encoding/xml `<Hangup></Hangup>`.
        for hangup in ["<Hangup />", "<Hangup/>", "<Hangup></Hangup>"] {
            let document = parse(&format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Say>Hi</Say>{hangup}</Response>\n"
            ))
            .unwrap();
            assert_eq!(document.verbs.len(), 2, "{hangup}");
            assert_eq!(document.verbs[1], Verb::Hangup);
            assert!(document.warnings.is_empty());
        }
    }

    #[test]
    fn an_sdk_built_document_with_every_attribute_in_camel_case() {
        let document = parse(
            r##"<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/menu" actionOnEmptyResult="true" finishOnKey="" hints="sales" input="speech" language="en-GB" method="GET" numDigits="1" partialResultCallback="/partial" partialResultCallbackMethod="GET" speechTimeout="3" timeout="7" bargeIn="true" speechModel="phone_call" enhanced="true"><Say>Press or say</Say></Gather><Record action="/voicemail" finishOnKey="*" maxLength="30" method="GET" playBeep="true" recordingStatusCallback="/rec" recordingStatusCallbackEvent="in-progress completed absent" recordingStatusCallbackMethod="GET" timeout="3" transcribe="true" transcribeCallback="/transcript" trim="trim-silence"/><Dial action="/after" answerOnBridge="true" callerId="+15550001111" hangupOnStar="false" method="GET" record="record-from-answer-dual" recordingStatusCallback="/dialrec" recordingStatusCallbackMethod="GET" ringTone="uk" timeLimit="600" timeout="20" sequential="true"><Number method="GET" sendDigits="wwww1928" statusCallback="/leg" statusCallbackEvent="initiated ringing answered completed" statusCallbackMethod="GET" url="/whisper" machineDetection="Enable">+15557770001</Number><Client statusCallback="/client" statusCallbackEvent="ringing"><Identity>alice</Identity><Parameter name="Role" value="agent"/></Client><Sip password="secret" username="admin" url="/sipwhisper">sip:agent@example.com</Sip><Queue>support</Queue><Application><ApplicationSid>AP00000000000000000000000000000000</ApplicationSid></Application></Dial><Reject reason="rejected"><Parameter name="a" value="b"/></Reject></Response>"##,
        )
        .unwrap();
        assert!(document.warnings.is_empty(), "{:?}", document.warnings);
        let [
            Verb::Gather(gather),
            Verb::Record(record),
            Verb::Dial(dial),
            Verb::Reject(reject),
        ] = &document.verbs[..]
        else {
            panic!("{:?}", document.verbs)
        };
        assert!(gather.input.speech && !gather.input.dtmf);
        assert_eq!(gather.finish_on_key, None);
        assert_eq!(gather.num_digits, Some(1));
        assert_eq!(gather.timeout_s, 7);
        assert_eq!(gather.speech_timeout, Some(SpeechTimeout::Seconds(3)));
        assert!(gather.action_on_empty_result);
        assert_eq!(gather.hints.as_deref(), Some("sales"));
        assert_eq!(gather.language.as_deref(), Some("en-GB"));
        assert_eq!(gather.partial_result_callback.as_deref(), Some("/partial"));
        assert_eq!(gather.partial_result_callback_method, HttpMethod::Get);

        assert_eq!(record.action.as_deref(), Some("/voicemail"));
        assert_eq!(record.method, HttpMethod::Get);
        assert_eq!((record.timeout_s, record.max_length_s), (3, 30));
        assert_eq!(record.finish_on_key, "*");
        assert!(record.play_beep && record.transcribe);
        assert_eq!(record.trim, "trim-silence");
        assert_eq!(record.recording_status_callback.as_deref(), Some("/rec"));
        assert_eq!(record.recording_status_callback_method, HttpMethod::Get);
        assert_eq!(
            record.recording_status_callback_event,
            ["in-progress", "completed", "absent"]
        );
        assert_eq!(record.transcribe_callback.as_deref(), Some("/transcript"));

        assert_eq!(dial.action.as_deref(), Some("/after"));
        assert_eq!(dial.method, HttpMethod::Get);
        assert!(dial.answer_on_bridge && !dial.hangup_on_star);
        assert_eq!(dial.caller_id.as_deref(), Some("+15550001111"));
        assert_eq!(dial.record, "record-from-answer-dual");
        assert_eq!(dial.recording_status_callback.as_deref(), Some("/dialrec"));
        assert_eq!(dial.recording_status_callback_method, HttpMethod::Get);
        assert_eq!(dial.ring_tone.as_deref(), Some("uk"));
        assert_eq!((dial.timeout_s, dial.time_limit_s), (20, 600));
        let [
            DialTarget::Number(number),
            DialTarget::Client(client),
            DialTarget::Sip(sip),
            DialTarget::NotSimulated { name: queue },
            DialTarget::NotSimulated { name: application },
        ] = &dial.targets[..]
        else {
            panic!("{:?}", dial.targets)
        };
        assert_eq!(number.address, "+15557770001");
        assert_eq!(number.send_digits.as_deref(), Some("wwww1928"));
        assert_eq!(number.url.as_deref(), Some("/whisper"));
        assert_eq!(number.method, HttpMethod::Get);
        assert_eq!(number.status_callback.as_deref(), Some("/leg"));
        assert_eq!(number.status_callback_method, HttpMethod::Get);
        assert_eq!(
            number.status_callback_event,
            ["initiated", "ringing", "answered", "completed"]
        );
        assert_eq!(client.address, "client:alice");
        assert_eq!(client.status_callback_event, ["ringing"]);
        assert_eq!(sip.address, "sip:agent@example.com");
        assert_eq!(sip.url.as_deref(), Some("/sipwhisper"));
        assert_eq!(
            (queue.as_str(), application.as_str()),
            ("Queue", "Application")
        );
        assert_eq!(reject.reason, "rejected");
    }

    #[test]
    fn unknown_names_and_values_are_warned_about_and_skipped() {
        let document = parse(
            r#"<Response><say>lower case</say><Gather numDigits="none"/><Record finishOnKey="5x"/><Dial record="always">+15550001111</Dial><Enqueue>support</Enqueue><Stop><Stream name="s"/></Stop></Response>"#,
        )
        .unwrap();
        assert!(matches!(&document.verbs[0], Verb::NotSimulated { name } if name == "say"));
        let Verb::Gather(gather) = &document.verbs[1] else {
            panic!()
        };
        assert_eq!(gather.num_digits, None);
        let Verb::Record(record) = &document.verbs[2] else {
            panic!()
        };
        assert_eq!(record.finish_on_key, "1234567890*#");
        let Verb::Dial(dial) = &document.verbs[3] else {
            panic!()
        };
        assert_eq!(dial.record, "do-not-record");
        assert!(matches!(&document.verbs[4], Verb::NotSimulated { name } if name == "Enqueue"));
        assert!(matches!(&document.verbs[5], Verb::NotSimulated { name } if name == "Stop"));
        // Four warnings: <say>, numDigits, finishOnKey, record. Twilio's own unmodelled verbs
        // are accepted without one.
        assert_eq!(document.warnings.len(), 4, "{:?}", document.warnings);
        assert!(document.warnings[0].contains("<say>"));
        let legacy = verbs(r#"<Response><Dial record="true">+15550001111</Dial></Response>"#);
        assert!(matches!(&legacy[0], Verb::Dial(dial) if dial.record == "record-from-answer"));
    }

    #[test]
    fn gather_attributes_and_its_prompts() {
        let parsed = verbs(
            r#"<Response><Gather input="dtmf speech" action="/menu" method="GET" timeout="3" numDigits="2" finishOnKey="*" speechTimeout="auto" actionOnEmptyResult="true" language="fr-FR" hints="sales, support"><Say>Choose</Say><Play>/beep.mp3</Play><Pause length="2"/><Dial>x</Dial></Gather></Response>"#,
        );
        let Verb::Gather(gather) = &parsed[0] else {
            panic!()
        };
        assert!(gather.input.dtmf && gather.input.speech);
        assert_eq!(gather.action.as_deref(), Some("/menu"));
        assert_eq!(gather.method, HttpMethod::Get);
        assert_eq!(gather.timeout_s, 3);
        assert_eq!(gather.num_digits, Some(2));
        assert_eq!(gather.finish_on_key, Some('*'));
        assert_eq!(gather.speech_timeout, Some(SpeechTimeout::Auto));
        assert!(gather.action_on_empty_result);
        assert_eq!(gather.language.as_deref(), Some("fr-FR"));
        assert_eq!(gather.prompts.len(), 3, "the nested Dial is not a prompt");

        let defaults = verbs("<Response><Gather/></Response>");
        let Verb::Gather(gather) = &defaults[0] else {
            panic!()
        };
        assert_eq!(
            (
                gather.timeout_s,
                gather.finish_on_key,
                gather.num_digits,
                gather.method
            ),
            (5, Some('#'), None, HttpMethod::Post)
        );
        assert!(gather.input.dtmf && !gather.input.speech);
        let no_key = verbs(r#"<Response><Gather finishOnKey=""/></Response>"#);
        let Verb::Gather(gather) = &no_key[0] else {
            panic!()
        };
        assert_eq!(gather.finish_on_key, None);
    }

    #[test]
    fn record_dial_and_the_rest() {
        let parsed = verbs(
            r##"<Response>
                <Record action="/vm" maxLength="20" timeout="0" finishOnKey="#" playBeep="false" trim="do-not-trim" recordingStatusCallback="/rs" recordingStatusCallbackEvent="in-progress completed"/>
                <Dial action="/dialed" timeout="10" callerId="+15550001111" hangupOnStar="true" timeLimit="60"><Number sendDigits="1w2" statusCallback="/leg" statusCallbackEvent="ringing answered">+15557770001</Number><Client>alice</Client><Sip>sip:bob@example.com</Sip><Conference>room</Conference></Dial>
                <Dial>+15557770002</Dial>
                <Redirect method="GET">/next</Redirect>
                <Reject reason="busy"/>
                <Play digits="ww12"/>
                <Pause length="3"/>
                <Message to="+15550003333">Sent from a call</Message>
                <Sms>Legacy</Sms>
                <Connect><Stream url="wss://x"/></Connect>
            </Response>"##,
        );
        assert_eq!(parsed.len(), 10);
        let Verb::Record(record) = &parsed[0] else {
            panic!()
        };
        assert_eq!(
            (record.max_length_s, record.timeout_s, record.play_beep),
            (20, 0, false)
        );
        assert_eq!(record.finish_on_key, "#");
        assert_eq!(record.trim, "do-not-trim");
        assert_eq!(
            record.recording_status_callback_event,
            ["in-progress", "completed"]
        );
        let Verb::Dial(dial) = &parsed[1] else {
            panic!()
        };
        assert_eq!(dial.targets.len(), 4);
        let DialTarget::Number(number) = &dial.targets[0] else {
            panic!()
        };
        assert_eq!(number.address, "+15557770001");
        assert_eq!(number.send_digits.as_deref(), Some("1w2"));
        assert_eq!(number.status_callback_event, ["ringing", "answered"]);
        let DialTarget::Client(client) = &dial.targets[1] else {
            panic!()
        };
        assert_eq!(client.address, "client:alice");
        assert!(
            matches!(&dial.targets[3], DialTarget::NotSimulated { name } if name == "Conference")
        );
        assert!(dial.hangup_on_star);
        assert_eq!((dial.timeout_s, dial.time_limit_s), (10, 60));
        let Verb::Dial(plain) = &parsed[2] else {
            panic!()
        };
        assert!(
            matches!(&plain.targets[0], DialTarget::Number(leg) if leg.address == "+15557770002")
        );
        assert_eq!(plain.timeout_s, 30);
        assert_eq!(
            parsed[3],
            Verb::Redirect(Redirect {
                url: "/next".into(),
                method: HttpMethod::Get
            })
        );
        assert_eq!(
            parsed[4],
            Verb::Reject(Reject {
                reason: "busy".into()
            })
        );
        let Verb::Message(message) = &parsed[7] else {
            panic!()
        };
        assert_eq!(
            (message.to.as_deref(), message.body.as_str()),
            (Some("+15550003333"), "Sent from a call")
        );
        assert!(matches!(&parsed[8], Verb::Message(m) if m.body == "Legacy"));
        assert!(matches!(&parsed[9], Verb::NotSimulated { name } if name == "Connect"));
    }

    #[test]
    fn bad_values_fall_back_with_a_warning() {
        let document = parse(
            r#"<Response><Pause length="soon"/><Gather timeout="x" method="PUT"/></Response>"#,
        )
        .unwrap();
        assert_eq!(document.verbs[0], Verb::Pause(Pause { length_s: 1 }));
        assert_eq!(document.warnings.len(), 3, "{:?}", document.warnings);
    }

    #[test]
    fn what_is_not_twiml_is_12100() {
        for bad in [
            "",
            "   ",
            "Hello",
            "<Response><Say>unclosed</Response>",
            "<Reply><Say>Hi</Say></Reply>",
            "<Response/><Response/>",
            "{\"say\": \"hi\"}",
        ] {
            let failure = parse(bad).unwrap_err();
            assert_eq!(failure.code, 12100, "{bad:?}");
        }
        assert_eq!(verbs("<Response/>"), vec![]);
    }

    #[test]
    fn answers_as_twilio_takes_them_by_status_and_content_type() {
        let url = "http://app/voice";
        let twiml = b"<Response><Say>Hi</Say></Response>";
        let code = |result: Result<Document, TwimlFailure>| result.map_err(|f| f.code);
        for content_type in ["text/xml; charset=utf-8", "application/xml", "TEXT/HTML"] {
            let document = read_answer(url, 200, Some(content_type), twiml).unwrap();
            assert!(matches!(&document.verbs[..], [Verb::Say(say)] if say.text == "Hi"));
        }
        assert_eq!(
            code(read_answer(url, 200, Some("text/xml"), b"<Response>")),
            Err(12100)
        );
        assert_eq!(
            code(read_answer(url, 200, Some("text/xml"), b"")),
            Err(12100)
        );
        for status in [301, 404, 500, 503] {
            assert_eq!(
                code(read_answer(url, status, Some("text/xml"), twiml)),
                Err(11200)
            );
        }
        assert_eq!(code(read_answer(url, 200, None, twiml)), Err(11200));
        for unsupported in ["application/json", "image/png", "audio/ogg", "video/mp4"] {
            assert_eq!(
                code(read_answer(url, 200, Some(unsupported), b"{}")),
                Err(12300),
                "{unsupported}"
            );
        }

        for audio in [
            "audio/mpeg",
            "audio/x-wav",
            "audio/wav; codecs=1",
            "audio/ulaw",
        ] {
            let played = read_answer(url, 200, Some(audio), b"RIFF....").unwrap();
            assert_eq!(
                played.verbs,
                [Verb::Play(Play {
                    url: Some(url.into()),
                    loops: 1,
                    digits: None
                })],
                "{audio}"
            );
        }
        let said = read_answer(url, 200, Some("text/plain"), b" Hello\n  there ").unwrap();
        assert!(matches!(&said.verbs[..], [Verb::Say(say)] if say.text == "Hello there"));
        let silent = read_answer(url, 204, Some("text/plain"), b"").unwrap();
        assert!(silent.verbs.is_empty());
    }
}
