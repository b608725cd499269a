//! The control plane's Calls service and `mockingbird call`: a simulated caller dials a
//! tenant's number, the hand controls refuse what a call cannot do, call rules round-trip.
//!
//! No TwiML is read in this module: the app answers every voice webhook with 500, so every
//! call ends in Twilio's application error (11200), and what is asserted is what does not
//! depend on the app's TwiML — the call's creation, its end, its events and every refusal.

use mockingbird::proto::{
    self, CallStatus, EventKind, calls_client::CallsClient, event::Payload,
    reject_call_request::Reason,
};
use tokio::process::Command;
use tonic::Code;
use tonic::transport::Channel;

use crate::support::*;

const CALLER: &str = "+15557654321";
const NUMBER: &str = "+15550101010";
/// What Twilio says before it hangs up on an application error.
const APOLOGY: &str = "We are sorry, an application error has occurred. Goodbye.";

/// The server, its clients (with Calls), a tenant of the test's own and, when asked, the
/// tenant's number with its voice URL on a local app.
struct Line {
    app: TestApp,
    control: Control,
    calls: CallsClient<Channel>,
    tenant: proto::Tenant,
    /// Serves the number's voice URL (a local HTTP server standing for the app).
    app_server: Receiver,
}

impl Line {
    async fn new(label: &str) -> Line {
        let app = spawn_app().await;
        let mut control = app.control().await;
        let calls = CallsClient::connect(app.grpc.clone())
            .await
            .expect("connect to the control plane");
        let tenant = control.tenant(label).await;
        // The app fails every TwiML fetch (500): Twilio's 11200, whether or not the server
        // reads TwiML yet, so these tests hold once it does.
        let app_server = Receiver::start().await;
        app_server.answer_with(&[500; 16]);
        Line {
            app,
            control,
            calls,
            tenant,
            app_server,
        }
    }

    fn sid(&self) -> String {
        self.tenant.account_sid.clone()
    }

    /// Give the tenant `number`, its calls going to the local app's `/voice` (no voice URL
    /// when `voice` is false).
    async fn number(&mut self, number: &str, voice: bool) {
        self.control
            .numbers
            .add_number(proto::AddNumberRequest {
                account_sid: self.sid(),
                phone_number: number.into(),
                voice_url: if voice {
                    self.app_server.url("/voice")
                } else {
                    String::new()
                },
                ..Default::default()
            })
            .await
            .expect("AddNumber");
    }

    async fn place(&mut self, from: &str, to: &str) -> Result<proto::CallDetail, tonic::Status> {
        self.calls
            .place_inbound_call(proto::PlaceInboundCallRequest {
                account_sid: self.sid(),
                from: from.into(),
                to: to.into(),
                caller_name: "Tendai".into(),
                ..Default::default()
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn list(&mut self, request: proto::ListCallsRequest) -> Vec<proto::Call> {
        self.calls
            .list_calls(proto::ListCallsRequest {
                account_sid: self.sid(),
                ..request
            })
            .await
            .expect("ListCalls")
            .into_inner()
            .calls
    }
}

/// A refusal's code, and that its message says `says`.
#[track_caller]
fn refused<T: std::fmt::Debug>(answer: Result<T, tonic::Status>, code: Code, says: &str) {
    let status = answer.expect_err("refused");
    assert_eq!(status.code(), code, "{}", status.message());
    assert!(
        status.message().contains(says),
        "{:?} should say {says:?}",
        status.message()
    );
}

fn types(detail: &proto::CallDetail) -> Vec<&str> {
    detail
        .transcript
        .iter()
        .map(|e| e.r#type.as_str())
        .collect()
}

#[tokio::test]
async fn a_call_needs_the_tenants_number_with_a_voice_url() {
    let mut line = Line::new("calls-refused").await;
    line.number(NUMBER, false).await;

    refused(
        line.place(CALLER, NUMBER).await,
        Code::FailedPrecondition,
        &format!("{NUMBER} has no voice URL"),
    );
    refused(
        line.place(CALLER, "+15550109999").await,
        Code::FailedPrecondition,
        "+15550109999 is not one of the tenant's phone numbers",
    );
    refused(
        line.place("", NUMBER).await,
        Code::InvalidArgument,
        "from is empty",
    );
    refused(
        line.place(CALLER, "").await,
        Code::InvalidArgument,
        "to is empty",
    );
    // Nothing half-made is stored.
    assert_eq!(line.list(proto::ListCallsRequest::default()).await, vec![]);
    // An unknown tenant is named.
    let unknown = "AC00000000000000000000000000000000";
    refused(
        line.calls
            .list_calls(proto::ListCallsRequest {
                account_sid: unknown.into(),
                ..Default::default()
            })
            .await,
        Code::NotFound,
        &format!("no tenant {unknown}"),
    );
}

#[tokio::test]
async fn an_inbound_call_whose_twiml_fails_ends_with_twilios_application_error() {
    let mut line = Line::new("calls-inbound").await;
    line.number(NUMBER, true).await;

    let detail = line.place(CALLER, NUMBER).await.expect("PlaceInboundCall");
    let call = detail.call.clone().expect("the call");
    assert!(
        call.sid.starts_with("CA") && call.sid.len() == 34,
        "{}",
        call.sid
    );
    assert_eq!(call.account_sid, line.sid());
    assert_eq!(call.direction, "inbound");
    assert_eq!((call.from.as_str(), call.to.as_str()), (CALLER, NUMBER));
    assert_eq!(call.status(), CallStatus::Completed);
    assert_eq!(call.error_code, 11200);
    assert!(call.end_time.is_some(), "{call:?}");
    assert_eq!(detail.waiting_for, "");
    let kinds = types(&detail);
    assert!(kinds.contains(&"application_error"), "{kinds:?}");
    let error = detail
        .transcript
        .iter()
        .find(|e| e.r#type == "application_error")
        .unwrap();
    assert!(
        error.description.starts_with("application error 11200"),
        "{error:?}"
    );
    let apology = detail
        .transcript
        .iter()
        .find(|e| e.r#type == "said")
        .expect("Twilio's apology is said");
    assert_eq!(apology.text, APOLOGY);
    assert_eq!(apology.description, format!("said {APOLOGY:?}"));
    assert_eq!(
        kinds.last(),
        Some(&"hung_up"),
        "the transcript ends with the hangup: {kinds:?}"
    );
    let json: serde_json::Value = serde_json::from_str(&apology.json).expect("JSON");
    assert_eq!(json["type"], "said");
    assert_eq!(json["text"], APOLOGY);

    // GetCall reads the same call back; ListCalls finds it, by its numbers and status.
    let fetched = line
        .calls
        .get_call(proto::GetCallRequest {
            account_sid: line.sid(),
            sid: call.sid.clone(),
        })
        .await
        .expect("GetCall")
        .into_inner();
    assert_eq!(fetched, detail);
    assert_eq!(
        line.list(proto::ListCallsRequest::default()).await,
        vec![call.clone()]
    );
    let to_number = proto::ListCallsRequest {
        to: NUMBER.into(),
        status: CallStatus::Completed as i32,
        ..Default::default()
    };
    assert_eq!(line.list(to_number).await, vec![call.clone()]);
    let ringing = proto::ListCallsRequest {
        status: CallStatus::Ringing as i32,
        ..Default::default()
    };
    assert_eq!(line.list(ringing).await, vec![]);
    let elsewhere = proto::ListCallsRequest {
        from: "+15550000000".into(),
        ..Default::default()
    };
    assert_eq!(line.list(elsewhere).await, vec![]);
    refused(
        line.calls
            .list_calls(proto::ListCallsRequest {
                account_sid: line.sid(),
                status: 99,
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "status: unknown call status 99",
    );

    // The call's events, for WaitFor.
    let of_call = |kinds: &[EventKind]| proto::EventFilter {
        sid: call.sid.clone(),
        ..events_of(&line.tenant, kinds)
    };
    let created = line
        .control
        .wait_for(of_call(&[EventKind::CallCreated]), 0)
        .await;
    let Some(Payload::CallCreated(created)) = created.payload else {
        panic!("{created:?}")
    };
    let created = created.call.expect("the call");
    assert_eq!(
        (created.sid.as_str(), created.direction.as_str()),
        (call.sid.as_str(), "inbound")
    );
    let ended = line
        .control
        .wait_for(
            proto::EventFilter {
                call_statuses: vec![CallStatus::Completed as i32],
                ..of_call(&[EventKind::CallStatusChanged])
            },
            0,
        )
        .await;
    let Some(Payload::CallStatusChanged(ended)) = ended.payload else {
        panic!("{ended:?}")
    };
    assert_eq!(ended.status(), CallStatus::Completed);
    let said = line
        .control
        .wait_for(
            proto::EventFilter {
                body_contains: "application error has occurred".into(),
                ..of_call(&[EventKind::CallVerb])
            },
            0,
        )
        .await;
    let Some(Payload::CallVerb(said)) = said.payload else {
        panic!("{said:?}")
    };
    assert_eq!(said.entry.expect("the line").text, APOLOGY);
    let notified = line
        .control
        .wait_for(of_call(&[EventKind::CallNotification]), 0)
        .await;
    let Some(Payload::CallNotification(notification)) = notified.payload else {
        panic!("{notified:?}")
    };
    assert_eq!(notification.code, 11200);
    assert_eq!(notification.sid, call.sid);

    // Another tenant sees none of it.
    let other = line.control.tenant("calls-other").await;
    refused(
        line.calls
            .get_call(proto::GetCallRequest {
                account_sid: other.account_sid.clone(),
                sid: call.sid.clone(),
            })
            .await,
        Code::NotFound,
        &format!("no call {}", call.sid),
    );
    let theirs = line
        .calls
        .list_calls(proto::ListCallsRequest {
            account_sid: other.account_sid,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .calls;
    assert_eq!(theirs, vec![]);
}

#[tokio::test]
async fn the_hand_controls_refuse_what_a_call_cannot_do() {
    let mut line = Line::new("calls-hand").await;
    line.number(NUMBER, true).await;
    let ended = line.place(CALLER, NUMBER).await.expect("PlaceInboundCall");
    let sid = ended.call.as_ref().unwrap().sid.clone();
    let account_sid = line.sid();
    let press = |sid: &str, digits: &str| proto::PressDigitsRequest {
        account_sid: account_sid.clone(),
        sid: sid.into(),
        digits: digits.into(),
    };
    let unknown = "CA00000000000000000000000000000000";

    refused(
        line.calls.press_digits(press(&sid, "1")).await,
        Code::FailedPrecondition,
        &format!("call {sid} is completed and cannot be"),
    );
    refused(
        line.calls.press_digits(press(&sid, "12x")).await,
        Code::InvalidArgument,
        "'x' is not a key",
    );
    refused(
        line.calls.press_digits(press(&sid, "")).await,
        Code::InvalidArgument,
        "digits is empty",
    );
    refused(
        line.calls.press_digits(press(unknown, "1")).await,
        Code::NotFound,
        &format!("no call {unknown}"),
    );
    refused(
        line.calls.press_digits(press("", "1")).await,
        Code::InvalidArgument,
        "sid is empty",
    );

    let say = |sid: &str, text: &str| proto::SaySpeechRequest {
        account_sid: account_sid.clone(),
        sid: sid.into(),
        text: text.into(),
    };
    refused(
        line.calls.say_speech(say(&sid, "sales please")).await,
        Code::FailedPrecondition,
        "is completed",
    );
    refused(
        line.calls.say_speech(say(&sid, "  ")).await,
        Code::InvalidArgument,
        "text is empty",
    );
    refused(
        line.calls.say_speech(say(unknown, "hello")).await,
        Code::NotFound,
        "no call",
    );

    let hang_up = |sid: &str| proto::HangUpRequest {
        account_sid: account_sid.clone(),
        sid: sid.into(),
    };
    refused(
        line.calls.hang_up(hang_up(&sid)).await,
        Code::FailedPrecondition,
        "it has ended",
    );
    refused(
        line.calls.hang_up(hang_up(unknown)).await,
        Code::NotFound,
        "no call",
    );
    refused(
        line.calls.hang_up(hang_up("")).await,
        Code::InvalidArgument,
        "sid is empty",
    );

    // Answer and reject are for a call the app placed, not for a caller's call.
    refused(
        line.calls
            .answer_call(proto::AnswerCallRequest {
                account_sid: account_sid.clone(),
                sid: sid.clone(),
                machine: false,
            })
            .await,
        Code::FailedPrecondition,
        "only a call the app placed",
    );
    refused(
        line.calls
            .answer_call(proto::AnswerCallRequest {
                account_sid: account_sid.clone(),
                sid: unknown.into(),
                machine: true,
            })
            .await,
        Code::NotFound,
        "no call",
    );
    let reject = |sid: &str, reason: i32| proto::RejectCallRequest {
        account_sid: account_sid.clone(),
        sid: sid.into(),
        reason,
    };
    refused(
        line.calls
            .reject_call(reject(&sid, Reason::NoAnswer as i32))
            .await,
        Code::FailedPrecondition,
        "only a call the app placed",
    );
    refused(
        line.calls.reject_call(reject(&sid, 7)).await,
        Code::InvalidArgument,
        "reason: unknown reason 7",
    );
    refused(
        line.calls.reject_call(reject("", 0)).await,
        Code::InvalidArgument,
        "sid is empty",
    );

    // Nothing refused changed the call.
    let after = line
        .calls
        .get_call(proto::GetCallRequest {
            account_sid: account_sid.clone(),
            sid: sid.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after, ended);
    refused(
        line.calls
            .get_call(proto::GetCallRequest {
                account_sid: account_sid.clone(),
                sid: String::new(),
            })
            .await,
        Code::InvalidArgument,
        "sid is empty",
    );
}

#[tokio::test]
async fn a_call_rule_round_trips() {
    let mut line = Line::new("calls-rules").await;
    let rule = proto::Rule {
        id: "busy-line".into(),
        when: Some(proto::MessageMatch {
            channel: "voice".into(),
            to: Some(proto::AddressPattern {
                pattern: Some(proto::address_pattern::Pattern::Exact(CALLER.into())),
            }),
            ..Default::default()
        }),
        outcome: Some(proto::rule::Outcome::Call(proto::CallBehavior {
            result: proto::call_behavior::Result::Busy as i32,
            ring: Some(prost_types::Duration {
                seconds: 3,
                nanos: 0,
            }),
            ..Default::default()
        })),
        ..Default::default()
    };
    let added = line
        .control
        .rules
        .add_rule(proto::AddRuleRequest {
            account_sid: line.sid(),
            rule: Some(rule.clone()),
        })
        .await
        .expect("AddRule")
        .into_inner();
    assert_eq!(added, rule);
    let listed = line
        .control
        .rules
        .list_rules(proto::ListRulesRequest {
            account_sid: line.sid(),
        })
        .await
        .expect("ListRules")
        .into_inner()
        .rules;
    assert_eq!(listed, vec![rule]);

    // A call rule without its result is refused with a sentence.
    let incomplete = proto::Rule {
        id: "no-result".into(),
        outcome: Some(proto::rule::Outcome::Call(proto::CallBehavior::default())),
        ..Default::default()
    };
    refused(
        line.control
            .rules
            .add_rule(proto::AddRuleRequest {
                account_sid: line.sid(),
                rule: Some(incomplete),
            })
            .await,
        Code::InvalidArgument,
        "call.result is required",
    );
}

#[tokio::test]
async fn the_calls_service_is_healthy_and_reflected() {
    let line = Line::new("calls-health").await;
    let channel = Channel::from_shared(line.app.grpc.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let answer = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "mockingbird.v1.Calls".into(),
        })
        .await
        .expect("Check")
        .into_inner();
    assert_eq!(
        answer.status(),
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );

    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(futures_util::stream::iter([request]))
        .await
        .expect("ServerReflectionInfo")
        .into_inner();
    let answer = tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut answers))
        .await
        .expect("reflection answers in time")
        .expect("an answer")
        .expect("a listing");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("{answer:?}")
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "mockingbird.v1.Calls"),
        "{list:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// `mockingbird call`

fn mockingbird() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mockingbird"));
    command
        .current_dir(std::env::temp_dir())
        .env_remove("MOCKINGBIRD_CONFIG")
        .env_remove("MOCKINGBIRD_GRPC")
        .env_remove("MOCKINGBIRD_READY_FILE")
        .kill_on_drop(true);
    command
}

/// `mockingbird call <args…> --server … --tenant …`: its exit status, stdout and stderr.
async fn call(line: &Line, args: &[&str]) -> (bool, String, String) {
    let run = mockingbird()
        .arg("call")
        .args(args)
        .args(["--server", &line.app.grpc, "--tenant", &line.sid()])
        .output();
    let output = tokio::time::timeout(WAIT, run)
        .await
        .unwrap_or_else(|_| panic!("mockingbird call {args:?} finishes in time"))
        .expect("run mockingbird call");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_cli_places_lists_shows_and_tails_a_call() {
    let mut line = Line::new("calls-cli").await;
    line.number(NUMBER, true).await;

    let (ok, listed, error) = call(&line, &["list"]).await;
    assert!(ok, "{error}");
    assert_eq!(listed.trim(), "no calls");

    let (ok, placed, error) = call(&line, &["place", "--from", CALLER, "--to", NUMBER]).await;
    assert!(ok, "{placed}{error}");
    let first = placed.lines().next().unwrap_or_default();
    let sid = first
        .strip_prefix("call ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("the first line names the call: {placed}"))
        .to_owned();
    assert!(sid.starts_with("CA"), "{placed}");
    assert!(
        first.ends_with(&format!(
            "inbound {CALLER} → {NUMBER} [completed, error 11200]"
        )),
        "{first}"
    );
    assert!(
        placed.contains("application error 11200"),
        "a line per transcript entry: {placed}"
    );
    assert!(placed.contains(&format!("said {APOLOGY:?}")), "{placed}");
    assert!(placed.contains("hung up by"), "{placed}");
    // Each transcript line starts with the tenant time.
    let time = regex::Regex::new(r"^\d\d:\d\d:\d\d\.\d{3} ").unwrap();
    for entry in placed.lines().skip(1) {
        assert!(time.is_match(entry), "{entry:?} in {placed}");
    }

    let (ok, listed, error) = call(&line, &["list"]).await;
    assert!(ok, "{error}");
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains(&sid), "{listed}");

    let (ok, shown, error) = call(&line, &["show", &sid]).await;
    assert!(ok, "{error}");
    assert_eq!(shown, placed);

    // An ended call's tail is its transcript; the command ends.
    let (ok, tailed, error) = call(&line, &["tail", &sid]).await;
    assert!(ok, "{error}");
    assert_eq!(tailed, placed);

    // Refusals are the server's sentences, on stderr, with a failing exit.
    let (ok, _, error) = call(&line, &["press", &sid, "1"]).await;
    assert!(!ok);
    assert!(
        error.contains(&format!("FailedPrecondition: call {sid} is completed")),
        "{error}"
    );
    let (ok, _, error) = call(
        &line,
        &["say", "CA00000000000000000000000000000000", "hi", "there"],
    )
    .await;
    assert!(!ok);
    assert!(error.contains("NotFound: no call CA0000"), "{error}");
    let (ok, _, error) = call(&line, &["tail", "CA00000000000000000000000000000000"]).await;
    assert!(!ok);
    assert!(error.contains("NotFound: no call CA0000"), "{error}");
    line.number("+15550102020", false).await;
    let (ok, _, error) = call(&line, &["place", "--from", CALLER, "--to", "+15550102020"]).await;
    assert!(!ok);
    assert!(error.contains("+15550102020 has no voice URL"), "{error}");
    let (ok, _, error) = call(&line, &["reject", &sid, "--busy", "--failed"]).await;
    assert!(!ok, "one reason at most");
    assert!(error.contains("cannot be used with"), "{error}");
}
