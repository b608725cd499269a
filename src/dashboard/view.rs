//! What the pages show, made from the core's records: plain strings a template prints (and
//! escapes), so the templates hold no logic beyond loops and conditions.

use chrono_tz::Tz;

use crate::core::events::{Event, EventData};
use crate::core::messaging::Message;
use crate::core::observe;
use crate::core::store::CallbackAttempt;
use crate::core::time::{self, Millis};
use crate::core::voice::{Call, Recording, TranscriptEntry};

/// The zone the pages show times in: the seed's `server.timezone`, an IANA name. Only the
/// pages use it; the API, webhooks, the control plane and the downloads keep UTC.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Zone(Tz);

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    /// The configured zone. As in the seed, a name that is no zone is a warning, not a
    /// refusal to start: the pages fall back to UTC.
    pub fn from_setting(name: &str) -> Zone {
        match name.parse::<Tz>() {
            Ok(zone) => Zone(zone),
            Err(_) => {
                tracing::warn!(
                    timezone = name,
                    "server.timezone is not an IANA zone name; the dashboard shows UTC"
                );
                Zone::UTC
            }
        }
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// A time as people read it in a table, in this zone: `2026-12-06 21:15:54.120`.
    pub fn moment(self, at: Millis) -> String {
        time::to_datetime(at)
            .with_timezone(&self.0)
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string()
    }
}

/// The first `limit` characters of a text, with an ellipsis when it was longer.
pub fn preview(text: &str, limit: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(limit).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// How a status is drawn: good, bad, or on its way.
pub fn tone(status: &str) -> &'static str {
    match status {
        "delivered" | "read" | "received" | "completed" | "sent" => "good",
        "failed" | "undelivered" | "busy" | "no-answer" | "canceled" => "bad",
        _ => "pending",
    }
}

pub struct MessageRow {
    pub sid: String,
    pub channel: &'static str,
    pub direction: &'static str,
    pub from: String,
    pub to: String,
    pub body: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub error: String,
    pub created: String,
}

impl MessageRow {
    pub fn new(message: &Message, zone: Zone) -> Self {
        let status = message.status.as_str();
        MessageRow {
            sid: message.sid.clone(),
            channel: message.channel().as_str(),
            direction: message.direction.as_str(),
            from: message.from.clone().unwrap_or_default(),
            to: message.to.clone(),
            body: preview(&message_text(message), 80),
            status,
            tone: tone(status),
            error: message
                .error_code
                .map(|code| code.to_string())
                .unwrap_or_default(),
            created: zone.moment(message.created_at),
        }
    }
}

/// A message's words: its body, or for a Cloud API message without one, its kind.
pub fn message_text(message: &Message) -> String {
    match &message.whatsapp {
        Some(whatsapp) if message.body.is_empty() => format!("[{}]", whatsapp.message_type),
        _ => message.body.clone(),
    }
}

pub struct CallRow {
    pub sid: String,
    pub direction: &'static str,
    pub from: String,
    pub to: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub duration: String,
    pub created: String,
}

impl CallRow {
    pub fn new(call: &Call, zone: Zone) -> Self {
        let status = call.status.as_str();
        CallRow {
            sid: call.sid.clone(),
            direction: call.direction.as_str(),
            from: call.from.clone(),
            to: call.to.clone(),
            status,
            tone: tone(status),
            duration: call
                .duration_s
                .map(|s| format!("{s} s"))
                .unwrap_or_default(),
            created: zone.moment(call.created_at),
        }
    }
}

pub struct AttemptRow {
    pub id: i64,
    pub resource_sid: String,
    /// The page of the message or call the attempt was about.
    pub resource_link: String,
    pub status: String,
    pub method: String,
    pub url: String,
    pub attempt: i64,
    /// The app's HTTP status, or what went wrong before it answered.
    pub outcome: String,
    pub ok: bool,
    pub latency: String,
    pub created: String,
    pub request_headers: String,
    pub request_body: String,
    pub response_body: String,
}

impl AttemptRow {
    pub fn new(attempt: &CallbackAttempt, tenant: &str, zone: Zone) -> Self {
        AttemptRow {
            id: attempt.id,
            resource_sid: attempt.resource_sid.clone(),
            resource_link: resource_link(&attempt.resource_sid, tenant),
            status: attempt.status.clone(),
            method: attempt.method.clone(),
            url: attempt.url.clone(),
            attempt: attempt.attempt,
            outcome: attempt
                .response_status
                .map(|s| s.to_string())
                .or_else(|| attempt.error.clone())
                .unwrap_or_else(|| "no answer".into()),
            ok: attempt.succeeded(),
            latency: format!("{} ms", attempt.latency_ms),
            created: zone.moment(attempt.created_at),
            request_headers: attempt.request_headers.clone(),
            request_body: attempt.request_body.clone(),
            response_body: attempt.response_body.clone().unwrap_or_default(),
        }
    }
}

/// The dashboard page of a message (`SM…`, `MM…`, a WhatsApp `wamid`) or a call (`CA…`).
pub fn resource_link(sid: &str, tenant: &str) -> String {
    let section = if sid.starts_with("CA") {
        "calls"
    } else {
        "messages"
    };
    format!("/ui/{section}/{}?tenant={tenant}", encode(sid))
}

/// A path segment or query value, percent-encoded.
pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// One line of the activity feed or of a timeline.
pub struct EventLine {
    pub seq: i64,
    pub at: String,
    pub kind: &'static str,
    pub text: String,
    pub link: Option<String>,
}

impl EventLine {
    pub fn new(event: &Event, zone: Zone) -> Self {
        // The summary opens with `#seq time account kind`, which the line shows apart.
        let summary = observe::summary(event);
        let text = summary.splitn(5, ' ').nth(4).unwrap_or_default().to_owned();
        let link = match &event.data {
            EventData::AccountCreated { .. } | EventData::DataCleared { .. } => None,
            data => data.sid().map(|sid| resource_link(sid, &event.account_sid)),
        };
        EventLine {
            seq: event.seq,
            at: zone.moment(event.at),
            kind: event.data.kind(),
            text,
            link,
        }
    }
}

/// A line of a call's transcript.
pub struct TranscriptLine {
    pub at: String,
    pub text: String,
}

impl TranscriptLine {
    pub fn new(entry: &TranscriptEntry, zone: Zone) -> Self {
        TranscriptLine {
            at: zone.moment(entry.at),
            text: entry.what.describe(),
        }
    }
}

pub struct RecordingRow {
    pub sid: String,
    pub duration: String,
    /// Twilio's media URL of the recording, which the page plays.
    pub audio: String,
}

impl From<&Recording> for RecordingRow {
    fn from(recording: &Recording) -> Self {
        RecordingRow {
            sid: recording.sid.clone(),
            duration: format!("{} s", recording.duration_s),
            audio: format!(
                "/2010-04-01/Accounts/{}/Recordings/{}.wav",
                recording.account_sid, recording.sid
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_cut_at_characters_not_bytes() {
        assert_eq!(preview("héllo wörld", 5), "héllo…");
        assert_eq!(preview("short", 5), "short");
    }

    #[test]
    fn times_show_in_the_configured_zone_and_a_bad_name_falls_back_to_utc() {
        // 2026-12-06 21:15:54.120 UTC.
        let at = 1_796_591_754_120;
        assert_eq!(Zone::UTC.moment(at), "2026-12-06 21:15:54.120");
        let tokyo = Zone::from_setting("Asia/Tokyo");
        assert_eq!(tokyo.name(), "Asia/Tokyo");
        assert_eq!(tokyo.moment(at), "2026-12-07 06:15:54.120");
        // New York is on standard time in December: five hours behind.
        assert_eq!(
            Zone::from_setting("America/New_York").moment(at),
            "2026-12-06 16:15:54.120"
        );
        assert_eq!(Zone::from_setting("Mars/Olympus_Mons"), Zone::UTC);
        assert_eq!(Zone::from_setting(""), Zone::UTC);
    }

    #[test]
    fn links_name_the_resource_page() {
        assert_eq!(resource_link("CA123", "AC1"), "/ui/calls/CA123?tenant=AC1");
        assert_eq!(
            resource_link("wamid.HB=/x", "AC1"),
            "/ui/messages/wamid.HB%3D%2Fx?tenant=AC1"
        );
    }
}
