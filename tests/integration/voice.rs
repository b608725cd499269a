//! Calls that run an app's TwiML, driven as a person on the phone would, on a frozen clock.
//! The IVR app is a small HTTP server of the test's own serving TwiML; every request it gets
//! is recorded and checked.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::IntoResponse;
use axum::routing::any;
use mockingbird::core::events::EventData;
use mockingbird::core::rules::{AddressPattern, CallOutcome, Match, Outcome, Rule};
use mockingbird::core::tenants::Tenant;
use mockingbird::core::voice::{
    CallApp, CallEvent, CallStatus, CallStatusCallback, CallView, Heard, InboundCall, NewCall,
};

use crate::support::*;

/// The caller of the IVR tests, and the IVR's own number.
const CALLER: &str = "+15557654321";
const IVR_NUMBER: &str = "+15550002222";
const AGENT: &str = "+15557770001";

/// A request the IVR app received: its path and form.
#[derive(Debug, Clone)]
struct AppRequest {
    path: String,
    form: Vec<(String, String)>,
}

impl AppRequest {
    fn param(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Ivr {
    requests: Mutex<Vec<AppRequest>>,
}

fn twiml(body: &str) -> axum::response::Response {
    (
        [("content-type", "text/xml")],
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>"#),
    )
        .into_response()
}

/// The IVR: a menu, a sales submenu that dials an agent, voicemail when the agent is busy.
async fn ivr(State(ivr): State<Arc<Ivr>>, uri: Uri, body: Bytes) -> axum::response::Response {
    let request = AppRequest {
        path: uri.path().to_owned(),
        form: url::form_urlencoded::parse(&body).into_owned().collect(),
    };
    ivr.requests.lock().unwrap().push(request.clone());
    match request.path.as_str() {
        "/voice" => twiml(
            r#"<Gather numDigits="1" action="/menu" timeout="5"><Say voice="Polly.Joanna">Press 1 for sales, 2 for support.</Say></Gather><Say>We did not get your choice. Goodbye.</Say>"#,
        ),
        "/menu" => match request.param("Digits") {
            Some("1") => twiml(
                r#"<Gather numDigits="1" action="/sales"><Say>Press 1 to talk to an agent.</Say></Gather>"#,
            ),
            _ => twiml("<Say>Support is closed.</Say><Hangup/>"),
        },
        "/sales" => twiml(&format!(
            r#"<Dial action="/dialed" timeout="20"><Number>{AGENT}</Number></Dial>"#
        )),
        "/dialed" => match request.param("DialCallStatus") {
            Some("completed") => twiml("<Hangup/>"),
            _ => twiml(
                r##"<Say>The agent is busy. Leave a message after the beep.</Say><Record action="/voicemail" maxLength="30" finishOnKey="#"/>"##,
            ),
        },
        "/voicemail" => twiml("<Say>Thank you. Goodbye.</Say><Hangup/>"),
        _ => (axum::http::StatusCode::NOT_FOUND, "no such page").into_response(),
    }
}

async fn serve_ivr() -> (String, Arc<Ivr>) {
    let state = Arc::new(Ivr::default());
    let router = axum::Router::new()
        .fallback(any(ivr))
        .with_state(Arc::clone(&state));
    (serve(router).await, state)
}

/// Give the default tenant a number whose voice URL is `voice_url`.
async fn ivr_number(app: &TestApp, voice_url: &str, status_callback: &str) {
    let (status, body) = app
        .post(
            &format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json"),
            &[
                ("PhoneNumber", IVR_NUMBER),
                ("VoiceUrl", voice_url),
                ("StatusCallback", status_callback),
            ],
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

fn said(view: &CallView) -> Vec<String> {
    view.transcript
        .iter()
        .filter_map(|entry| match &entry.what {
            Heard::Said { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn voice_rule(id: &str, to: &str, outcome: CallOutcome) -> Rule {
    Rule {
        id: id.into(),
        when: Match {
            channel: Some("voice".into()),
            to: Some(AddressPattern::Exact(to.into())),
            ..Match::default()
        },
        then: Outcome::Call(outcome),
        first_n: None,
        latency_ms: 0,
        callbacks: Default::default(),
    }
}

async fn call_events(app: &TestApp, tenant: &Tenant, sid: &str) -> Vec<String> {
    let batch = app
        .state
        .core
        .events()
        .read_after(0, Some(&tenant.sid()), 10_000)
        .await
        .unwrap();
    batch
        .events
        .iter()
        .filter(|e| e.data.sid() == Some(sid) && e.data.kind() != "callback_attempted")
        .map(|e| match &e.data {
            EventData::CallVerb { entry, .. } => format!(
                "verb {}",
                serde_json::to_value(entry).unwrap()["type"]
                    .as_str()
                    .unwrap()
            ),
            EventData::CallStatusChanged { status, .. } => format!("status {}", status.as_str()),
            other => other.kind().to_owned(),
        })
        .collect()
}

#[tokio::test]
async fn an_ivr_menu_dial_to_a_busy_agent_and_voicemail() {
    let app = spawn_app().await;
    let (ivr_url, ivr) = serve_ivr().await;
    let status_receiver = Receiver::start().await;
    ivr_number(
        &app,
        &format!("{ivr_url}/voice"),
        &status_receiver.url("/status"),
    )
    .await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    core.add_rule(
        &tenant,
        voice_rule(
            "agent-busy",
            AGENT,
            CallOutcome::Busy {
                ring_ms: Some(3000),
            },
        ),
    )
    .await
    .unwrap();

    // The caller dials in: the app is asked, the menu is said, the gather listens.
    let view = core
        .dial_in(
            &tenant,
            InboundCall {
                from: CALLER.into(),
                to: IVR_NUMBER.into(),
                ..InboundCall::default()
            },
        )
        .await
        .unwrap();
    let sid = view.call.sid.clone();
    assert_eq!(view.call.status, CallStatus::InProgress);
    assert_eq!(view.waiting_for, Some("gather"));
    assert_eq!(said(&view), vec!["Press 1 for sales, 2 for support."]);
    let first = ivr.requests.lock().unwrap()[0].clone();
    assert_eq!(first.path, "/voice");
    for (name, value) in [
        ("CallSid", sid.as_str()),
        ("AccountSid", SID),
        ("From", CALLER),
        ("To", IVR_NUMBER),
        ("Caller", CALLER),
        ("Called", IVR_NUMBER),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("ApiVersion", "2010-04-01"),
    ] {
        assert_eq!(first.param(name), Some(value), "{name}");
    }

    // 1: the sales menu.
    let view = core.press_digits(&tenant, &sid, "1").await.unwrap();
    assert_eq!(
        said(&view).last().map(String::as_str),
        Some("Press 1 to talk to an agent.")
    );
    let menu = ivr.requests.lock().unwrap()[1].clone();
    assert_eq!(menu.path, "/menu");
    assert_eq!(menu.param("Digits"), Some("1"));
    assert_eq!(menu.param("CallStatus"), Some("in-progress"));

    // 1 again: the agent is dialed; their phone rings for 3 s and is busy.
    let view = core.press_digits(&tenant, &sid, "1").await.unwrap();
    assert_eq!(view.waiting_for, Some("dial"));
    let legs = core
        .list_calls(
            &tenant,
            &mockingbird::core::voice::CallFilter {
                parent_call_sid: Some(sid.clone()),
                ..Default::default()
            },
            &mockingbird::core::paging::PageRequest::first(50),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(legs.len(), 1);
    let leg = &legs[0];
    assert_eq!(leg.to, AGENT);
    assert_eq!(
        leg.from, CALLER,
        "the caller's number is the leg's caller ID"
    );
    assert_eq!(leg.direction.as_str(), "outbound-dial");
    app.advance(&tenant, 3.0).await;
    let leg = core.call(&tenant, &leg.sid).await.unwrap();
    assert_eq!(leg.status, CallStatus::Busy);
    let view = core.call_view(&tenant, &sid).await.unwrap();
    assert_eq!(view.waiting_for, Some("record"));
    let dialed = ivr.requests.lock().unwrap()[3].clone();
    assert_eq!(dialed.path, "/dialed");
    assert_eq!(dialed.param("DialCallStatus"), Some("busy"));
    assert_eq!(dialed.param("DialCallSid"), Some(leg.sid.as_str()));

    // Voicemail: the caller speaks, 4 s pass, they press #.
    core.say_speech(&tenant, &sid, "Hi, call me back please")
        .await
        .unwrap();
    app.advance(&tenant, 4.0).await;
    let view = core.press_digits(&tenant, &sid, "#").await.unwrap();
    assert_eq!(view.call.status, CallStatus::Completed);
    assert_eq!(
        said(&view),
        vec![
            "Press 1 for sales, 2 for support.",
            "Press 1 to talk to an agent.",
            "The agent is busy. Leave a message after the beep.",
            "Thank you. Goodbye."
        ]
    );
    let requests = ivr.requests.lock().unwrap().clone();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/voice", "/menu", "/sales", "/dialed", "/voicemail"]
    );
    let voicemail = &requests[4];
    assert_eq!(voicemail.param("Digits"), Some("#"));
    let recording_sid = voicemail.param("RecordingSid").unwrap();
    assert!(recording_sid.starts_with("RE"), "{recording_sid}");
    let recording = core.recording(&tenant, recording_sid).await.unwrap();
    assert_eq!(recording.call_sid, sid);
    assert_eq!(recording.duration_s, 1, "trimmed to the caller's words");
    assert_eq!(voicemail.param("RecordingDuration"), Some("1"));
    assert!(
        voicemail.param("RecordingUrl").unwrap().ends_with(&format!(
            "/2010-04-01/Accounts/{SID}/Recordings/{recording_sid}"
        )),
        "{voicemail:?}"
    );

    // The number's status callback hears the end, once.
    let callbacks = status_receiver.wait_for(1).await;
    assert_eq!(callbacks.len(), 1);
    let completed = &callbacks[0];
    assert!(twilio_signed(completed, TOKEN), "{completed:#?}");
    assert_eq!(completed.param("CallStatus"), Some("completed"));
    assert_eq!(completed.param("CallSid"), Some(sid.as_str()));
    assert_eq!(completed.param("SequenceNumber"), Some("0"));
    assert_eq!(
        completed.param("CallbackSource"),
        Some("call-progress-events")
    );
    assert_eq!(completed.param("CallDuration"), Some("7"));
    assert_eq!(completed.param("Duration"), Some("1"));

    // Every event of the call, in order (its webhook attempts aside).
    assert_eq!(
        call_events(&app, &tenant, &sid).await,
        [
            "call_created",
            "verb fetched",
            "status in-progress",
            "verb said",
            "verb gathering",
            "call_gathering",
            "verb pressed",
            "verb gathered",
            "verb fetched",
            "verb said",
            "verb gathering",
            "call_gathering",
            "verb pressed",
            "verb gathered",
            "verb fetched",
            "verb dialed",
            "verb dial_ended",
            "verb fetched",
            "verb said",
            "verb recording_started",
            "call_gathering",
            "verb spoke",
            "verb pressed",
            "recording_created",
            "verb recording_ended",
            "verb fetched",
            "verb said",
            "verb hung_up",
            "status completed"
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn an_outbound_voice_otp_is_read_from_the_transcript() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    let call = core
        .place_call(
            &tenant,
            NewCall {
                status_callback: Some(CallStatusCallback {
                    url: receiver.url("/call-status"),
                    method: Default::default(),
                    events: vec![
                        CallEvent::Initiated,
                        CallEvent::Ringing,
                        CallEvent::Answered,
                        CallEvent::Completed,
                    ],
                }),
                ..place(
                    "+15551230001",
                    CallApp::Twiml {
                        twiml: r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say loop="2">Your code is 1 2 3 4</Say></Response>"#.into(),
                    },
                )
            },
        )
        .await
        .unwrap();
    assert_eq!(call.status, CallStatus::Queued);
    app.advance(&tenant, 2.0).await;
    assert_eq!(
        core.call(&tenant, &call.sid).await.unwrap().status,
        CallStatus::Ringing
    );
    app.advance(&tenant, 2.0).await;
    let view = core.call_view(&tenant, &call.sid).await.unwrap();
    assert_eq!(view.call.status, CallStatus::Completed);
    assert_eq!(said(&view), vec!["Your code is 1 2 3 4"]);
    let code: String = said(&view)[0]
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(code, "1234");

    let callbacks = receiver.wait_for(4).await;
    let statuses: Vec<_> = callbacks
        .iter()
        .map(|r| {
            (
                r.param("CallStatus").unwrap(),
                r.param("SequenceNumber").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("initiated", "0"),
            ("ringing", "1"),
            ("in-progress", "2"),
            ("completed", "3")
        ]
    );
    assert_eq!(callbacks[3].param("CallDuration"), Some("0"));
    app.stop().await;
}

#[tokio::test]
async fn a_url_that_fails_ends_the_call_with_11200_and_the_fallback_is_tried() {
    let app = spawn_app().await;
    let fallback = Receiver::start().await;
    fallback.reply_with("<Response><Say>Fallback speaking</Say></Response>");
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    let placed = |app_source: CallApp| place("+15551230002", app_source);
    let with_fallback = core
        .place_call(
            &tenant,
            placed(CallApp::Url {
                url: closed_url(),
                method: Default::default(),
                fallback: Some((fallback.url("/fallback"), Default::default())),
            }),
        )
        .await
        .unwrap();
    let without = core
        .place_call(
            &tenant,
            placed(CallApp::Url {
                url: closed_url(),
                method: Default::default(),
                fallback: None,
            }),
        )
        .await
        .unwrap();
    app.advance(&tenant, 4.0).await;

    let view = core.call_view(&tenant, &with_fallback.sid).await.unwrap();
    assert_eq!(said(&view), vec!["Fallback speaking"]);
    assert_eq!(view.call.status, CallStatus::Completed);

    let view = core.call_view(&tenant, &without.sid).await.unwrap();
    assert_eq!(view.call.status, CallStatus::Completed);
    assert_eq!(view.call.error_code, Some(11200));
    assert_eq!(
        said(&view),
        vec!["We are sorry, an application error has occurred. Goodbye."]
    );
    let events = call_events(&app, &tenant, &without.sid).await;
    assert!(
        events.contains(&"call_notification".to_owned()),
        "{events:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn twiml_that_does_not_parse_is_12100_and_a_bad_content_type_is_12300() {
    let app = spawn_app().await;
    let not_twiml = Receiver::start().await;
    not_twiml.reply_with("<Response><Say>unclosed</Response>");
    let json = serve(axum::Router::new().fallback(any(|| async {
        axum::Json(serde_json::json!({"say": "hello"}))
    })))
    .await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    let mut sids = Vec::new();
    for url in [not_twiml.url("/voice"), format!("{json}/voice")] {
        let call = core
            .place_call(
                &tenant,
                place(
                    "+15551230003",
                    CallApp::Url {
                        url,
                        method: Default::default(),
                        fallback: None,
                    },
                ),
            )
            .await
            .unwrap();
        sids.push(call.sid);
    }
    app.advance(&tenant, 4.0).await;
    for (sid, code) in sids.iter().zip([12100, 12300]) {
        let call = core.call(&tenant, sid).await.unwrap();
        assert_eq!(call.status, CallStatus::Completed);
        assert_eq!(call.error_code, Some(code));
    }
    app.stop().await;
}

#[tokio::test]
async fn a_gather_without_input_times_out_on_the_clock_and_the_document_goes_on() {
    let app = spawn_app().await;
    let (ivr_url, ivr) = serve_ivr().await;
    ivr_number(&app, &format!("{ivr_url}/voice"), "").await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    let view = core
        .dial_in(
            &tenant,
            InboundCall {
                from: CALLER.into(),
                to: IVR_NUMBER.into(),
                ..InboundCall::default()
            },
        )
        .await
        .unwrap();
    let sid = view.call.sid;
    app.advance(&tenant, 4.9).await;
    assert_eq!(
        core.call_view(&tenant, &sid).await.unwrap().waiting_for,
        Some("gather")
    );
    app.advance(&tenant, 0.1).await;
    let view = core.call_view(&tenant, &sid).await.unwrap();
    assert_eq!(view.call.status, CallStatus::Completed);
    assert_eq!(
        said(&view).last().map(String::as_str),
        Some("We did not get your choice. Goodbye.")
    );
    assert_eq!(view.call.duration_s, Some(5));
    assert_eq!(
        ivr.requests.lock().unwrap().len(),
        1,
        "no action without input"
    );
    app.stop().await;
}

#[tokio::test]
async fn rules_decide_the_callee_and_the_seed_lists_apply_to_calls() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    core.add_rule(
        &tenant,
        voice_rule(
            "machine",
            "+15551110001",
            CallOutcome::Answer {
                machine: true,
                ring_ms: Some(1000),
                talk_ms: Some(10_000),
            },
        ),
    )
    .await
    .unwrap();
    core.add_rule(
        &tenant,
        voice_rule("no-answer", "+15551110002", CallOutcome::NoAnswer),
    )
    .await
    .unwrap();
    let pausing = |to: &str| NewCall {
        timeout_s: 30,
        machine_detection: Some("Enable".into()),
        ..place(
            to,
            CallApp::Twiml {
                twiml: "<Response><Pause length=\"60\"/></Response>".into(),
            },
        )
    };
    let machine = core
        .place_call(&tenant, pausing("+15551110001"))
        .await
        .unwrap();
    let no_answer = core
        .place_call(&tenant, pausing("+15551110002"))
        .await
        .unwrap();
    let failing = core
        .place_call(&tenant, pausing("+15559999999"))
        .await
        .unwrap();
    let registered = core
        .place_call(&tenant, pausing("+15551234567"))
        .await
        .unwrap();

    app.advance(&tenant, 3.0).await;
    let machine_call = core.call(&tenant, &machine.sid).await.unwrap();
    assert_eq!(machine_call.status, CallStatus::InProgress);
    assert_eq!(machine_call.answered_by.as_deref(), Some("machine_start"));
    assert_eq!(
        core.call(&tenant, &failing.sid).await.unwrap().status,
        CallStatus::Failed
    );
    let registered_call = core.call(&tenant, &registered.sid).await.unwrap();
    assert_eq!(
        registered_call.status,
        CallStatus::Ringing,
        "rings for the step delay"
    );
    assert_eq!(
        core.call(&tenant, &no_answer.sid).await.unwrap().status,
        CallStatus::Ringing
    );

    app.advance(&tenant, 10.0).await;
    let machine_call = core.call(&tenant, &machine.sid).await.unwrap();
    assert_eq!(
        machine_call.status,
        CallStatus::Completed,
        "the callee hung up"
    );
    assert_eq!(machine_call.duration_s, Some(10));
    assert_eq!(
        core.call(&tenant, &registered.sid)
            .await
            .unwrap()
            .answered_by
            .as_deref(),
        Some("human")
    );

    app.advance(&tenant, 20.0).await;
    let no_answer_call = core.call(&tenant, &no_answer.sid).await.unwrap();
    assert_eq!(
        no_answer_call.status,
        CallStatus::NoAnswer,
        "after its 30 s Timeout"
    );
    assert_eq!(no_answer_call.duration_s, None);
    app.stop().await;
}

/// An app serving fixed TwiML pages (path → the body inside `<Response>`), recording every
/// request with its method.
#[derive(Default)]
struct Pages {
    pages: Vec<(String, String)>,
    requests: Mutex<Vec<(String, AppRequest)>>,
}

impl Pages {
    fn requests(&self) -> Vec<(String, AppRequest)> {
        self.requests.lock().unwrap().clone()
    }

    fn request(&self, path: &str) -> AppRequest {
        self.requests()
            .into_iter()
            .find(|(_, r)| r.path == path)
            .unwrap_or_else(|| panic!("no request for {path}: {:?}", self.requests()))
            .1
    }
}

async fn serve_pages(pages: &[(&str, &str)]) -> (String, Arc<Pages>) {
    let state = Arc::new(Pages {
        pages: pages
            .iter()
            .map(|(path, body)| (path.to_string(), body.to_string()))
            .collect(),
        ..Pages::default()
    });
    let router =
        axum::Router::new()
            .fallback(
                |State(pages): State<Arc<Pages>>,
                 method: axum::http::Method,
                 uri: Uri,
                 body: Bytes| async move {
                    let form = if method == axum::http::Method::GET {
                        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
                            .into_owned()
                            .collect()
                    } else {
                        url::form_urlencoded::parse(&body).into_owned().collect()
                    };
                    let request = AppRequest {
                        path: uri.path().to_owned(),
                        form,
                    };
                    pages
                        .requests
                        .lock()
                        .unwrap()
                        .push((method.to_string(), request.clone()));
                    match pages.pages.iter().find(|(path, _)| *path == request.path) {
                        Some((_, body)) => twiml(body),
                        None => (axum::http::StatusCode::NOT_FOUND, "no such page").into_response(),
                    }
                },
            )
            .with_state(Arc::clone(&state));
    (serve(router).await, state)
}

async fn call_in(app: &TestApp, tenant: &Arc<Tenant>) -> CallView {
    app.state
        .core
        .dial_in(
            tenant,
            InboundCall {
                from: CALLER.into(),
                to: IVR_NUMBER.into(),
                ..InboundCall::default()
            },
        )
        .await
        .unwrap()
}

fn place(to: &str, app_source: CallApp) -> NewCall {
    NewCall {
        to: to.into(),
        from: FROM.into(),
        app: app_source,
        status_callback: None,
        timeout_s: 60,
        machine_detection: None,
        record: false,
        recording_status_callback: None,
        send_digits: None,
    }
}

#[tokio::test]
async fn reject_as_the_first_verb_leaves_the_call_unanswered() {
    let app = spawn_app().await;
    let (busy_url, _) =
        serve_pages(&[("/voice", r#"<Reject reason="busy"/><Say>never</Say>"#)]).await;
    let status = Receiver::start().await;
    ivr_number(&app, &format!("{busy_url}/voice"), &status.url("/status")).await;
    let tenant = app.tenant(SID);
    app.state.core.freeze_clock(&tenant);
    let view = call_in(&app, &tenant).await;
    assert_eq!(view.call.status, CallStatus::Busy);
    assert_eq!(view.call.start_time, None, "never answered");
    assert_eq!(view.call.duration_s, None);
    assert!(said(&view).is_empty());
    let callbacks = status.wait_for(1).await;
    assert_eq!(callbacks[0].param("CallStatus"), Some("busy"));
    assert_eq!(callbacks[0].param("CallDuration"), None);

    let (rejected_url, _) = serve_pages(&[("/voice", "<Reject/>")]).await;
    let (status_code, body) = app
        .post(
            &format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json"),
            &[
                ("PhoneNumber", "+15550003333"),
                ("VoiceUrl", &format!("{rejected_url}/voice")),
            ],
        )
        .await;
    assert_eq!(status_code, 201, "{body}");
    let view = app
        .state
        .core
        .dial_in(
            &tenant,
            InboundCall {
                from: CALLER.into(),
                to: "+15550003333".into(),
                ..InboundCall::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(view.call.status, CallStatus::NoAnswer, "reason=rejected");
    app.stop().await;
}

#[tokio::test]
async fn speech_empty_results_finishing_keys_and_the_verbs_between() {
    let app = spawn_app().await;
    let (url, pages) = serve_pages(&[
        (
            "/voice",
            r#"<Gather input="speech" action="/heard" language="en-GB"><Say>How can we help?</Say></Gather>"#,
        ),
        (
            "/heard",
            r#"<Gather action="/empty" actionOnEmptyResult="true" timeout="2"><Pause length="1"/></Gather>"#,
        ),
        ("/empty", r#"<Gather finishOnKey="*" action="/keys"/>"#),
        (
            "/keys",
            r#"<Play loop="2">audio/hello.mp3</Play><Play digits="1w2"/><Message>Your ticket is 42</Message><Connect><Stream url="wss://example.com/s"/></Connect><Redirect method="GET">/last</Redirect>"#,
        ),
        ("/last", "<Say>Bye</Say><Hangup/><Say>never said</Say>"),
    ])
    .await;
    ivr_number(&app, &format!("{url}/voice"), "").await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    let sid = call_in(&app, &tenant).await.call.sid;

    // Keys go nowhere in a speech-only gather; words end it.
    core.press_digits(&tenant, &sid, "5").await.unwrap();
    assert_eq!(
        core.call_view(&tenant, &sid).await.unwrap().waiting_for,
        Some("gather")
    );
    core.say_speech(&tenant, &sid, "I lost my ticket")
        .await
        .unwrap();
    let heard = pages.request("/heard");
    assert_eq!(heard.param("SpeechResult"), Some("I lost my ticket"));
    assert_eq!(heard.param("Confidence"), Some("0.9"));
    assert_eq!(heard.param("Digits"), None);

    // Nothing entered: with actionOnEmptyResult the action still hears of it, after the
    // nested pause and the timeout.
    app.advance(&tenant, 2.9).await;
    assert!(pages.requests().iter().all(|(_, r)| r.path != "/empty"));
    app.advance(&tenant, 0.1).await;
    assert_eq!(pages.request("/empty").param("Digits"), Some(""));

    // The finishing key ends the digits and is reported apart.
    let view = core.press_digits(&tenant, &sid, "12*").await.unwrap();
    let keys = pages.request("/keys");
    assert_eq!(keys.param("Digits"), Some("12"));
    assert_eq!(keys.param("FinishedOnKey"), Some("*"));

    assert_eq!(view.call.status, CallStatus::Completed);
    assert_eq!(said(&view).last().map(String::as_str), Some("Bye"));
    let played: Vec<_> = view
        .transcript
        .iter()
        .filter_map(|entry| match &entry.what {
            Heard::Played { url, digits, loops } => Some((url.clone(), digits.clone(), *loops)),
            _ => None,
        })
        .collect();
    assert_eq!(
        played,
        [
            (Some(format!("{url}/audio/hello.mp3")), None, 2),
            (None, Some("1w2".into()), 1)
        ]
    );
    let message_sid = view
        .transcript
        .iter()
        .find_map(|entry| match &entry.what {
            Heard::MessageSent {
                message_sid,
                to,
                body,
            } => {
                assert_eq!((to.as_str(), body.as_str()), (CALLER, "Your ticket is 42"));
                Some(message_sid.clone())
            }
            _ => None,
        })
        .expect("the <Message> was sent");
    let message = core.message(&tenant, &message_sid).await.unwrap();
    assert_eq!(message.from.as_deref(), Some(IVR_NUMBER));
    // Twilio names a message sent during a call `outbound-call`, not a reply.
    assert_eq!(message.direction.as_str(), "outbound-call");
    assert!(
        view.transcript
            .iter()
            .any(|e| matches!(&e.what, Heard::NotSimulated { verb } if verb == "Connect"))
    );
    let (method, last) = pages
        .requests()
        .into_iter()
        .find(|(_, r)| r.path == "/last")
        .unwrap();
    assert_eq!(method, "GET");
    assert_eq!(
        last.param("CallSid"),
        Some(sid.as_str()),
        "a GET carries the parameters in its query"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_agent_who_answers_is_bridged_until_someone_hangs_up() {
    let app = spawn_app().await;
    let (url, pages) = serve_pages(&[
        (
            "/voice",
            &format!(
                r#"<Dial action="/after" hangupOnStar="true"><Number>{AGENT}</Number><Number>+15557770002</Number></Dial>"#
            ),
        ),
        ("/after", "<Say>The call has ended.</Say>"),
    ])
    .await;
    ivr_number(&app, &format!("{url}/voice"), "").await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    core.add_rule(
        &tenant,
        voice_rule(
            "agent",
            AGENT,
            CallOutcome::Answer {
                machine: false,
                ring_ms: Some(1000),
                talk_ms: None,
            },
        ),
    )
    .await
    .unwrap();
    core.add_rule(
        &tenant,
        voice_rule("other", "+15557770002", CallOutcome::Ring),
    )
    .await
    .unwrap();

    // The agent answers after a second; the other leg, still ringing, is hung up.
    let sid = call_in(&app, &tenant).await.call.sid;
    app.advance(&tenant, 1.0).await;
    let legs = core
        .list_calls(
            &tenant,
            &mockingbird::core::voice::CallFilter {
                parent_call_sid: Some(sid.clone()),
                ..Default::default()
            },
            &mockingbird::core::paging::PageRequest::first(50),
        )
        .await
        .unwrap()
        .items;
    let agent = legs.iter().find(|leg| leg.to == AGENT).unwrap();
    let other = legs.iter().find(|leg| leg.to != AGENT).unwrap();
    assert_eq!(
        core.call(&tenant, &agent.sid).await.unwrap().status,
        CallStatus::InProgress
    );
    assert_eq!(
        core.call(&tenant, &other.sid).await.unwrap().status,
        CallStatus::Canceled
    );
    assert_eq!(
        core.call_view(&tenant, &sid).await.unwrap().waiting_for,
        Some("dial")
    );

    // They talk for 5 s; the caller presses * to leave the agent.
    app.advance(&tenant, 5.0).await;
    let view = core.press_digits(&tenant, &sid, "*").await.unwrap();
    let after = pages.request("/after");
    assert_eq!(after.param("DialCallStatus"), Some("completed"));
    assert_eq!(after.param("DialCallSid"), Some(agent.sid.as_str()));
    assert_eq!(after.param("DialCallDuration"), Some("5"));
    assert_eq!(after.param("DialBridged"), Some("true"));
    assert_eq!(said(&view), ["The call has ended."]);
    assert_eq!(view.call.status, CallStatus::Completed);
    assert_eq!(
        core.call(&tenant, &agent.sid).await.unwrap().status,
        CallStatus::Completed
    );
    app.stop().await;
}

#[tokio::test]
async fn a_recording_ends_on_silence_at_its_maximum_length_or_when_the_caller_hangs_up() {
    let app = spawn_app().await;
    let (url, pages) = serve_pages(&[
        (
            "/voice",
            r#"<Record action="/one" timeout="3" trim="do-not-trim" recordingStatusCallback="/recording-status"/>"#,
        ),
        ("/one", r#"<Record action="/two" maxLength="4" timeout="0" playBeep="false"/>"#),
        ("/two", r#"<Record action="/three"/><Say>not reached</Say>"#),
        ("/three", "<Say>Too late</Say>"),
        ("/recording-status", ""),
    ])
    .await;
    ivr_number(&app, &format!("{url}/voice"), "").await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    let sid = call_in(&app, &tenant).await.call.sid;

    core.say_speech(&tenant, &sid, "one").await.unwrap();
    app.advance(&tenant, 3.0).await;
    let one = pages.request("/one");
    assert_eq!(
        one.param("RecordingDuration"),
        Some("3"),
        "untrimmed: the silence too"
    );
    assert_eq!(one.param("Digits"), None);
    let status = pages.request("/recording-status");
    assert_eq!(status.param("RecordingStatus"), Some("completed"));
    assert_eq!(status.param("RecordingSid"), one.param("RecordingSid"));
    assert_eq!(status.param("RecordingSource"), Some("RecordVerb"));

    core.say_speech(&tenant, &sid, "two").await.unwrap();
    app.advance(&tenant, 4.0).await;
    let two = pages.request("/two");
    assert_eq!(
        two.param("RecordingDuration"),
        Some("1"),
        "trimmed to the words"
    );

    core.say_speech(&tenant, &sid, "three").await.unwrap();
    let view = core.hang_up_call(&tenant, &sid).await.unwrap();
    assert_eq!(pages.request("/three").param("Digits"), Some("hangup"));
    assert_eq!(view.call.status, CallStatus::Completed);
    assert!(
        !said(&view).contains(&"Too late".to_owned()),
        "TwiML after a hangup is not run"
    );
    let recordings = core
        .list_recordings(
            &tenant,
            Some(&sid),
            &mockingbird::core::paging::PageRequest::first(50),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(recordings.len(), 3);

    // Nothing said: no recording, no action; the document goes on.
    let (quiet_url, quiet) = serve_pages(&[(
        "/voice",
        r#"<Record action="/never" timeout="2"/><Say>Nothing recorded</Say>"#,
    )])
    .await;
    let call = core
        .place_call(
            &tenant,
            place(
                "+15551230009",
                CallApp::Url {
                    url: format!("{quiet_url}/voice"),
                    method: Default::default(),
                    fallback: None,
                },
            ),
        )
        .await
        .unwrap();
    app.advance(&tenant, 4.0).await;
    app.advance(&tenant, 2.0).await;
    let view = core.call_view(&tenant, &call.sid).await.unwrap();
    assert_eq!(said(&view), ["Nothing recorded"]);
    assert!(quiet.requests().iter().all(|(_, r)| r.path != "/never"));
    app.stop().await;
}

#[tokio::test]
async fn record_true_records_the_whole_call_and_send_digits_play_on_answer() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    let call = core
        .place_call(
            &tenant,
            NewCall {
                record: true,
                recording_status_callback: Some((receiver.url("/recording"), Default::default())),
                send_digits: Some("1234#".into()),
                ..place(
                    "+15551230010",
                    CallApp::Twiml {
                        twiml: r#"<Response><Pause length="7"/></Response>"#.into(),
                    },
                )
            },
        )
        .await
        .unwrap();
    app.advance(&tenant, 4.0).await;
    app.advance(&tenant, 7.0).await;
    let view = core.call_view(&tenant, &call.sid).await.unwrap();
    assert_eq!(view.call.status, CallStatus::Completed);
    assert_eq!(view.call.duration_s, Some(7));
    assert!(
        matches!(&view.transcript[0].what, Heard::Played { digits: Some(d), .. } if d == "1234#"),
        "{:?}",
        view.transcript
    );
    let recordings = core
        .list_recordings(
            &tenant,
            Some(&call.sid),
            &mockingbird::core::paging::PageRequest::first(5),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(recordings.len(), 1);
    assert_eq!(recordings[0].duration_s, 7);
    assert_eq!(recordings[0].source.as_str(), "OutboundAPI");
    let posted = receiver.wait_for(1).await;
    assert_eq!(
        posted[0].param("RecordingSid"),
        Some(recordings[0].sid.as_str())
    );
    assert_eq!(posted[0].param("RecordingDuration"), Some("7"));
    assert!(twilio_signed(&posted[0], TOKEN));
    app.stop().await;
}

#[tokio::test]
async fn the_app_redirects_cancels_and_hangs_up_calls_and_the_test_answers_or_rejects_them() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    core.add_rule(
        &tenant,
        voice_rule("ring", "+15551239999", CallOutcome::Ring),
    )
    .await
    .unwrap();
    let gather = CallApp::Twiml {
        twiml: r#"<Response><Gather timeout="30"><Say>Waiting</Say></Gather></Response>"#.into(),
    };

    // Ringing until the test answers it as a machine.
    let call = core
        .place_call(&tenant, place("+15551239999", gather.clone()))
        .await
        .unwrap();
    let redirect = mockingbird::core::voice::CallUpdate {
        redirect: Some(CallApp::Twiml {
            twiml: "<Response><Say>Moved</Say></Response>".into(),
        }),
        ..Default::default()
    };
    let refused = core
        .update_call(&tenant, &call.sid, redirect.clone())
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("21220"), "{refused}");
    app.advance(&tenant, 2.0).await;
    let view = core.answer_call(&tenant, &call.sid, false).await.unwrap();
    assert_eq!(view.waiting_for, Some("gather"));
    // A redirect runs the new TwiML at once, ending the gather.
    let updated = core
        .update_call(&tenant, &call.sid, redirect)
        .await
        .unwrap();
    assert_eq!(updated.status, CallStatus::Completed);
    assert_eq!(
        said(&core.call_view(&tenant, &call.sid).await.unwrap()),
        ["Waiting", "Moved"]
    );

    // Rejected by the test as busy.
    let busy = core
        .place_call(&tenant, place("+15551239999", gather.clone()))
        .await
        .unwrap();
    app.advance(&tenant, 2.0).await;
    let view = core
        .reject_call(
            &tenant,
            &busy.sid,
            mockingbird::core::voice::Unanswered::Busy,
        )
        .await
        .unwrap();
    assert_eq!(view.call.status, CallStatus::Busy);

    // Canceled while queued; completed (hung up) by the app while in progress.
    let queued = core
        .place_call(&tenant, place("+15551239999", gather.clone()))
        .await
        .unwrap();
    let cancel = mockingbird::core::voice::CallUpdate {
        status: Some(CallStatus::Canceled),
        ..Default::default()
    };
    let canceled = core
        .update_call(&tenant, &queued.sid, cancel)
        .await
        .unwrap();
    assert_eq!(canceled.status, CallStatus::Canceled);
    app.advance(&tenant, 10.0).await;
    assert_eq!(
        core.call(&tenant, &queued.sid).await.unwrap().status,
        CallStatus::Canceled,
        "its steps are stale"
    );

    let live = core
        .place_call(&tenant, place("+15551230011", gather))
        .await
        .unwrap();
    app.advance(&tenant, 4.0).await;
    assert_eq!(
        core.call(&tenant, &live.sid).await.unwrap().status,
        CallStatus::InProgress
    );
    let hang_up = mockingbird::core::voice::CallUpdate {
        status: Some(CallStatus::Completed),
        ..Default::default()
    };
    let ended = core.update_call(&tenant, &live.sid, hang_up).await.unwrap();
    assert_eq!(ended.status, CallStatus::Completed);
    assert!(
        core.press_digits(&tenant, &live.sid, "1").await.is_err(),
        "an ended call takes no keys"
    );
    core.delete_call(&tenant, &live.sid).await.unwrap();
    assert!(core.call(&tenant, &live.sid).await.is_err());
    app.stop().await;
}
