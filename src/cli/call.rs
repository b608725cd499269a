//! `mockingbird call …`: a person on the phone with the app. Place a call to one of a tenant's
//! numbers, answer or reject a call the app placed, press keys, speak, hang up, and read or
//! follow what was heard, one transcript line at a time.

use clap::{Args, Subcommand};
use futures_util::StreamExt;
use tonic::transport::Channel;

use super::events::call_status_name;
use super::remote::{Connection, Remote, failed};
use crate::proto::{
    self, CallStatus, EventKind, calls_client::CallsClient, event::Payload,
    events_client::EventsClient, reject_call_request::Reason,
};

#[derive(Debug, Subcommand)]
pub enum CallCommand {
    /// A simulated caller dials one of the tenant's numbers: the app's voice URL is asked what
    /// to do, and its TwiML runs until it waits for the caller. Prints the call's SID and
    /// transcript.
    Place(PlaceArgs),
    /// Answer a call the app placed that is still ringing.
    Answer(AnswerArgs),
    /// End a call the app placed that has not been answered (busy unless told otherwise).
    Reject(RejectArgs),
    /// Press keys on a call in progress: 0-9, * and # (w waits half a second).
    Press(PressArgs),
    /// Speak on a call in progress: a speech <Gather> takes the words, a <Record> records them.
    Say(SayArgs),
    /// Hang up as the person on the line.
    Hangup(CallArgs),
    /// The tenant's calls, newest first, one line each.
    List(ListArgs),
    /// A call and its transcript.
    Show(CallArgs),
    /// Follow a call's transcript as it happens, until the call ends (or Ctrl-C).
    Tail(CallArgs),
}

/// The server and the tenant every `call` command talks to.
#[derive(Debug, Args)]
pub struct Target {
    #[command(flatten)]
    pub remote: Remote,
    /// The tenant (an account SID); the server's default tenant (the config file's account)
    /// by default.
    #[arg(long)]
    pub tenant: Option<String>,
}

#[derive(Debug, Args)]
pub struct PlaceArgs {
    #[command(flatten)]
    pub target: Target,
    /// The caller's number (E.164), `client:…` or `sip:…`.
    #[arg(long)]
    pub from: String,
    /// One of the tenant's numbers, with a voice URL.
    #[arg(long)]
    pub to: String,
    /// The caller ID name (`CallerName`).
    #[arg(long)]
    pub caller_name: Option<String>,
    /// The number the call was forwarded from (`ForwardedFrom`).
    #[arg(long)]
    pub forwarded_from: Option<String>,
}

#[derive(Debug, Args)]
pub struct CallArgs {
    #[command(flatten)]
    pub target: Target,
    /// The call (`CA…`).
    pub sid: String,
}

#[derive(Debug, Args)]
pub struct AnswerArgs {
    #[command(flatten)]
    pub call: CallArgs,
    /// An answering machine picks up, not a person.
    #[arg(long)]
    pub machine: bool,
}

#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct RejectReason {
    /// The line is busy (the default).
    #[arg(long)]
    pub busy: bool,
    /// Nobody picks up.
    #[arg(long)]
    pub no_answer: bool,
    /// The call fails.
    #[arg(long)]
    pub failed: bool,
}

#[derive(Debug, Args)]
pub struct RejectArgs {
    #[command(flatten)]
    pub call: CallArgs,
    #[command(flatten)]
    pub reason: RejectReason,
}

#[derive(Debug, Args)]
pub struct PressArgs {
    #[command(flatten)]
    pub call: CallArgs,
    /// The keys, e.g. `1` or `1234#`.
    pub digits: String,
}

#[derive(Debug, Args)]
pub struct SayArgs {
    #[command(flatten)]
    pub call: CallArgs,
    /// What the person says (the words may be given unquoted).
    #[arg(required = true, num_args = 1..)]
    pub text: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub target: Target,
    /// Only calls to this number.
    #[arg(long)]
    pub to: Option<String>,
    /// Only calls from this number.
    #[arg(long)]
    pub from: Option<String>,
    /// At most this many (50 by default, 1000 at most).
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
}

/// `mockingbird call …`.
pub async fn run(command: CallCommand) -> Result<(), String> {
    match command {
        CallCommand::Place(args) => place(args).await,
        CallCommand::Answer(args) => {
            let (mut calls, request) =
                open(&args.call, |account_sid, sid| proto::AnswerCallRequest {
                    account_sid,
                    sid,
                    machine: args.machine,
                })
                .await?;
            print_detail(
                &calls
                    .answer_call(request)
                    .await
                    .map_err(failed)?
                    .into_inner(),
            );
            Ok(())
        }
        CallCommand::Reject(args) => {
            let reason = match &args.reason {
                RejectReason {
                    no_answer: true, ..
                } => Reason::NoAnswer,
                RejectReason { failed: true, .. } => Reason::Failed,
                _ => Reason::Busy,
            };
            let (mut calls, request) =
                open(&args.call, |account_sid, sid| proto::RejectCallRequest {
                    account_sid,
                    sid,
                    reason: reason as i32,
                })
                .await?;
            print_detail(
                &calls
                    .reject_call(request)
                    .await
                    .map_err(failed)?
                    .into_inner(),
            );
            Ok(())
        }
        CallCommand::Press(args) => {
            let (mut calls, request) =
                open(&args.call, |account_sid, sid| proto::PressDigitsRequest {
                    account_sid,
                    sid,
                    digits: args.digits.clone(),
                })
                .await?;
            print_detail(
                &calls
                    .press_digits(request)
                    .await
                    .map_err(failed)?
                    .into_inner(),
            );
            Ok(())
        }
        CallCommand::Say(args) => {
            let (mut calls, request) =
                open(&args.call, |account_sid, sid| proto::SaySpeechRequest {
                    account_sid,
                    sid,
                    text: args.text.join(" "),
                })
                .await?;
            print_detail(
                &calls
                    .say_speech(request)
                    .await
                    .map_err(failed)?
                    .into_inner(),
            );
            Ok(())
        }
        CallCommand::Hangup(args) => {
            let (mut calls, request) = open(&args, |account_sid, sid| proto::HangUpRequest {
                account_sid,
                sid,
            })
            .await?;
            print_detail(&calls.hang_up(request).await.map_err(failed)?.into_inner());
            Ok(())
        }
        CallCommand::Show(args) => {
            let (mut calls, request) = open(&args, |account_sid, sid| proto::GetCallRequest {
                account_sid,
                sid,
            })
            .await?;
            print_detail(&calls.get_call(request).await.map_err(failed)?.into_inner());
            Ok(())
        }
        CallCommand::List(args) => list(args).await,
        CallCommand::Tail(args) => tail(args).await,
    }
}

/// The Calls client, and a request about the call `args` names, carrying the token.
async fn open<T>(
    args: &CallArgs,
    message: impl FnOnce(String, String) -> T,
) -> Result<(CallsClient<Channel>, tonic::Request<T>), String> {
    let connection = Connection::open(&args.target.remote).await?;
    let request = connection.request(message(tenant(&args.target), args.sid.clone()))?;
    Ok((CallsClient::new(connection.channel.clone()), request))
}

/// The tenant a command names; empty is the server's default tenant.
fn tenant(target: &Target) -> String {
    target.tenant.clone().unwrap_or_default()
}

async fn place(args: PlaceArgs) -> Result<(), String> {
    let connection = Connection::open(&args.target.remote).await?;
    let mut calls = CallsClient::new(connection.channel.clone());
    let detail = calls
        .place_inbound_call(connection.request(proto::PlaceInboundCallRequest {
            account_sid: tenant(&args.target),
            from: args.from,
            to: args.to,
            caller_name: args.caller_name.unwrap_or_default(),
            forwarded_from: args.forwarded_from.unwrap_or_default(),
        })?)
        .await
        .map_err(failed)?
        .into_inner();
    print_detail(&detail);
    Ok(())
}

async fn list(args: ListArgs) -> Result<(), String> {
    let connection = Connection::open(&args.target.remote).await?;
    let mut calls = CallsClient::new(connection.channel.clone());
    let listed = calls
        .list_calls(connection.request(proto::ListCallsRequest {
            account_sid: tenant(&args.target),
            to: args.to.unwrap_or_default(),
            from: args.from.unwrap_or_default(),
            limit: args.limit,
            ..Default::default()
        })?)
        .await
        .map_err(failed)?
        .into_inner();
    if listed.calls.is_empty() {
        println!("no calls");
    }
    for call in &listed.calls {
        println!("{} {}", clock(call.created_at.as_ref()), summary(call));
    }
    Ok(())
}

/// Follow a call: its transcript so far (the stored events are replayed), then each line as
/// it happens, until the call reaches a final status.
async fn tail(args: CallArgs) -> Result<(), String> {
    let connection = Connection::open(&args.target.remote).await?;
    let account_sid = tenant(&args.target);
    let mut calls = CallsClient::new(connection.channel.clone());
    let detail = calls
        .get_call(connection.request(proto::GetCallRequest {
            account_sid: account_sid.clone(),
            sid: args.sid.clone(),
        })?)
        .await
        .map_err(failed)?
        .into_inner();
    let Some(call) = &detail.call else {
        return Err("the server returned no call".into());
    };
    // An ended call has nothing more to follow: its transcript is all there is (and its
    // events may have been cleared).
    if is_final(call.status) {
        print_detail(&detail);
        return Ok(());
    }
    let kinds = [
        EventKind::CallCreated,
        EventKind::CallStatusChanged,
        EventKind::CallVerb,
        EventKind::CallGathering,
        EventKind::CallNotification,
    ];
    let filter = proto::EventFilter {
        // The call's own tenant: the default tenant's SID when the command named none.
        account_sid: call.account_sid.clone(),
        sid: call.sid.clone(),
        kinds: kinds.iter().map(|k| *k as i32).collect(),
        ..Default::default()
    };
    let mut events = EventsClient::new(connection.channel.clone());
    let mut stream = events
        .subscribe(connection.request(proto::SubscribeRequest {
            filter: Some(filter),
            after_sequence: 0,
            live_only: false,
        })?)
        .await
        .map_err(failed)?
        .into_inner();
    while let Some(event) = stream.next().await {
        let event = event.map_err(failed)?;
        if let Some(line) = followed(&event) {
            println!("{line}");
        }
        if ended(&event) {
            return Ok(());
        }
    }
    Ok(())
}

/// What `call tail` prints for one of the call's events; none for events it skips.
fn followed(event: &proto::Event) -> Option<String> {
    let at = clock(event.at.as_ref());
    Some(match event.payload.as_ref()? {
        Payload::CallCreated(created) => format!("{at} call {}", summary(created.call.as_ref()?)),
        Payload::CallVerb(verb) => line(verb.entry.as_ref()?),
        Payload::CallGathering(g) => format!(
            "{at} waiting for {} ({}) until {}",
            g.verb,
            g.input,
            clock(g.deadline.as_ref())
        ),
        // What Twilio's debugger would show: the code, and the URL it concerns.
        Payload::CallNotification(n) => {
            let url = if n.url.is_empty() {
                String::new()
            } else {
                format!(" ({})", n.url)
            };
            format!("{at} notification {}: {}{url}", n.code, n.message)
        }
        Payload::CallStatusChanged(c) => format!(
            "{at} status {} → {}",
            call_status_name(c.previous),
            call_status_name(c.status)
        ),
        _ => return None,
    })
}

/// The call has reached a final status: nothing more will happen to it.
fn ended(event: &proto::Event) -> bool {
    matches!(&event.payload, Some(Payload::CallStatusChanged(c)) if is_final(c.status))
}

fn is_final(status: i32) -> bool {
    use CallStatus as S;
    matches!(
        S::try_from(status),
        Ok(S::Completed | S::Busy | S::NoAnswer | S::Failed | S::Canceled)
    )
}

/// A call and its transcript: a summary line, one line per entry, and what it waits for.
fn print_detail(detail: &proto::CallDetail) {
    if let Some(call) = &detail.call {
        println!("call {}", summary(call));
    }
    for entry in &detail.transcript {
        println!("{}", line(entry));
    }
    if !detail.waiting_for.is_empty() {
        println!("waiting for {}", detail.waiting_for);
    }
}

/// `CA… inbound +1… → +1… [completed, 12 s, error 11200]`.
fn summary(call: &proto::Call) -> String {
    let mut status = call_status_name(call.status);
    if call.duration_seconds > 0 {
        status.push_str(&format!(", {} s", call.duration_seconds));
    }
    if !call.answered_by.is_empty() {
        status.push_str(&format!(", answered by {}", call.answered_by));
    }
    if call.error_code != 0 {
        status.push_str(&format!(", error {}", call.error_code));
    }
    format!(
        "{} {} {} → {} [{status}]",
        call.sid, call.direction, call.from, call.to
    )
}

/// One transcript line: the tenant time, and what happened.
fn line(entry: &proto::TranscriptEntry) -> String {
    format!("{} {}", clock(entry.at.as_ref()), entry.description)
}

fn clock(at: Option<&prost_types::Timestamp>) -> String {
    at.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32))
        .map(|t| t.format("%H:%M:%S%.3f").to_string())
        .unwrap_or_else(|| "--:--:--.---".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(payload: Payload) -> proto::Event {
        proto::Event {
            at: Some(prost_types::Timestamp {
                seconds: 3_600 * 9 + 61,
                nanos: 5_000_000,
            }),
            payload: Some(payload),
            ..Default::default()
        }
    }

    #[test]
    fn a_followed_call_prints_a_line_per_event_and_ends_with_its_final_status() {
        let entry = proto::TranscriptEntry {
            at: Some(prost_types::Timestamp {
                seconds: 3_600 * 9 + 62,
                nanos: 0,
            }),
            r#type: "said".into(),
            text: "Press 1 for sales".into(),
            description: "said \"Press 1 for sales\"".into(),
            json: String::new(),
        };
        let said = event(Payload::CallVerb(proto::CallVerb {
            sid: "CA1".into(),
            entry: Some(entry),
            ..Default::default()
        }));
        assert_eq!(
            followed(&said).as_deref(),
            Some("09:01:02.000 said \"Press 1 for sales\"")
        );
        assert!(!ended(&said));

        let gathering = event(Payload::CallGathering(proto::CallGathering {
            sid: "CA1".into(),
            verb: "gather".into(),
            input: "dtmf".into(),
            deadline: Some(prost_types::Timestamp {
                seconds: 3_600 * 9 + 66,
                nanos: 5_000_000,
            }),
            ..Default::default()
        }));
        assert_eq!(
            followed(&gathering).as_deref(),
            Some("09:01:01.005 waiting for gather (dtmf) until 09:01:06.005")
        );

        let answered = event(Payload::CallStatusChanged(proto::CallStatusChanged {
            previous: CallStatus::Ringing as i32,
            status: CallStatus::InProgress as i32,
            ..Default::default()
        }));
        assert_eq!(
            followed(&answered).as_deref(),
            Some("09:01:01.005 status ringing → in-progress")
        );
        assert!(!ended(&answered));
        let busy = event(Payload::CallStatusChanged(proto::CallStatusChanged {
            previous: CallStatus::Ringing as i32,
            status: CallStatus::Busy as i32,
            ..Default::default()
        }));
        assert!(ended(&busy));

        let notified = event(Payload::CallNotification(proto::CallNotification {
            sid: "CA1".into(),
            code: 11200,
            message: "HTTP retrieval failure".into(),
            url: "http://app/voice".into(),
        }));
        assert_eq!(
            followed(&notified).as_deref(),
            Some("09:01:01.005 notification 11200: HTTP retrieval failure (http://app/voice)")
        );
        let other = event(Payload::CallDeleted(proto::CallDeleted {
            sid: "CA1".into(),
        }));
        assert_eq!(followed(&other), None);
    }

    #[test]
    fn a_call_reads_as_one_line() {
        let call = proto::Call {
            sid: "CA1".into(),
            direction: "outbound-api".into(),
            from: "+15550101010".into(),
            to: "+15557654321".into(),
            status: CallStatus::Completed as i32,
            duration_seconds: 12,
            answered_by: "human".into(),
            ..Default::default()
        };
        assert_eq!(
            summary(&call),
            "CA1 outbound-api +15550101010 → +15557654321 [completed, 12 s, answered by human]"
        );
    }
}
