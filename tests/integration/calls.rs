//! Twilio's Calls and Recordings over REST: create with Twilio's validation, fetch, list with
//! filters and paging, update, delete; recordings and their audio; call lifecycles on a frozen
//! clock. The app's TwiML is not fetched here yet (the courier's voice seam is a placeholder),
//! so a call that is answered ends with an application error; what is asserted here does not
//! depend on TwiML.

use mockingbird::core::rules::Rule;
use serde_json::{Value, json};

use crate::support::*;

const TO: &str = "+15551234567";
const APP_URL: &str = "https://app.example/voice";
const STATUS_URL: &str = "https://app.example/status";

fn calls_path() -> String {
    format!("/2010-04-01/Accounts/{SID}/Calls.json")
}

fn call_path(sid: &str) -> String {
    format!("/2010-04-01/Accounts/{SID}/Calls/{sid}.json")
}

/// Place a call from the config's number to `to`; panics unless it is created.
async fn place(app: &TestApp, to: &str, extra: &[(&str, &str)]) -> Value {
    let mut form = vec![("To", to), ("From", FROM), ("Url", APP_URL)];
    form.extend_from_slice(extra);
    let (status, body) = app.post(&calls_path(), &form).await;
    assert_eq!(status, 201, "{body}");
    body
}

fn sid(body: &Value) -> &str {
    body["sid"]
        .as_str()
        .unwrap_or_else(|| panic!("a sid in {body}"))
}

async fn status_of(app: &TestApp, sid: &str) -> String {
    let (status, body) = app.get(&call_path(sid)).await;
    assert_eq!(status, 200, "{body}");
    body["status"].as_str().unwrap().to_owned()
}

fn is_hex_sid(value: &Value, prefix: &str) -> bool {
    value.as_str().is_some_and(|s| {
        s.len() == 34 && s.starts_with(prefix) && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[tokio::test]
async fn create_answers_201_with_the_call_as_twilio_writes_it() {
    let app = spawn_app().await;
    app.state.core.freeze_clock(&app.tenant(SID));
    let body = place(&app, TO, &[]).await;

    assert!(is_hex_sid(&body["sid"], "CA"), "{body}");
    let sid = sid(&body);
    let base = format!("/2010-04-01/Accounts/{SID}/Calls/{sid}");
    assert_eq!(body["account_sid"], SID);
    assert_eq!(body["to"], TO);
    assert_eq!(body["to_formatted"], "(555) 123-4567");
    assert_eq!(body["from"], FROM);
    assert_eq!(body["from_formatted"], "(555) 000-0001");
    assert_eq!(body["status"], "queued");
    assert_eq!(body["direction"], "outbound-api");
    assert_eq!(body["api_version"], "2010-04-01");
    for null in [
        "duration",
        "start_time",
        "end_time",
        "price",
        "parent_call_sid",
        "answered_by",
        "group_sid",
        "trunk_sid",
        "forwarded_from",
        "caller_name",
    ] {
        assert!(body[null].is_null(), "{null} in {body}");
    }
    assert_eq!(body["price_unit"], "USD");
    assert_eq!(body["queue_time"], "0");
    assert!(chrono::DateTime::parse_from_rfc2822(body["date_created"].as_str().unwrap()).is_ok());
    assert_eq!(body["uri"], format!("{base}.json"));
    let subresources = body["subresource_uris"].as_object().unwrap();
    assert_eq!(subresources.len(), 9, "{body}");
    assert_eq!(
        subresources["recordings"],
        format!("{base}/Recordings.json")
    );
    assert_eq!(
        subresources["user_defined_message_subscriptions"],
        format!("{base}/UserDefinedMessageSubscriptions.json")
    );

    let (status, fetched) = app.get(&call_path(sid)).await;
    assert_eq!(status, 200);
    assert_eq!(fetched, body);

    // Another tenant neither finds it nor lists it.
    let other = app.control().await.tenant("other").await;
    let (id, token) = (&other.account_sid, &other.auth_token);
    let theirs = format!("/2010-04-01/Accounts/{id}/Calls/{sid}.json");
    let (status, body) = app.get_as(id, token, &theirs).await;
    assert_twilio_error(status, &body, 404, 20404);
    let theirs = format!("/2010-04-01/Accounts/{id}/Calls.json");
    let (status, body) = app.get_as(id, token, &theirs).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["calls"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn create_refuses_each_bad_parameter_with_twilios_code() {
    let app = spawn_app().await;
    let base = [("To", TO), ("From", FROM), ("Url", APP_URL)];
    let with = |extra: &[(&'static str, &'static str)]| {
        base.iter().chain(extra).copied().collect::<Vec<_>>()
    };
    let long_twiml = format!("<Response><Say>{}</Say></Response>", "a".repeat(4000));
    let cases: Vec<(Vec<(&str, &str)>, u64)> = vec![
        (vec![("From", FROM), ("Url", APP_URL)], 21201),
        (vec![("To", TO), ("Url", APP_URL)], 21213),
        (vec![("To", TO), ("From", FROM)], 21205),
        (vec![("To", "12"), ("From", FROM), ("Url", APP_URL)], 21211),
        (vec![("To", TO), ("From", "Acme"), ("Url", APP_URL)], 21212),
        (
            vec![("To", TO), ("From", FROM), ("Url", "ftp://app.example/x")],
            21205,
        ),
        (
            vec![
                ("To", TO),
                ("From", FROM),
                ("ApplicationSid", "AP0123456789abcdef0123456789abcdef"),
            ],
            21218,
        ),
        (with(&[("Method", "PUT")]), 21209),
        (with(&[("FallbackUrl", "nowhere")]), 21205),
        (with(&[("SendDigits", "12x4")]), 21206),
        (
            with(&[("SendDigits", "123456789012345678901234567890123")]),
            21206,
        ),
        (with(&[("Timeout", "soon")]), 21208),
        (
            with(&[
                ("StatusCallback", "https://app.example/status"),
                ("StatusCallbackEvent", "initiated hungup"),
            ]),
            21626,
        ),
        (
            with(&[
                ("StatusCallback", "https://app.example/status"),
                ("StatusCallbackMethod", "PATCH"),
            ]),
            21209,
        ),
        (with(&[("StatusCallback", "not a url")]), 21609),
        (
            vec![("To", TO), ("From", FROM), ("Twiml", long_twiml.as_str())],
            32018,
        ),
    ];
    for (form, code) in cases {
        let (status, body) = app.post(&calls_path(), &form).await;
        assert_twilio_error(status, &body, 400, code);
        if code == 21201 {
            assert_eq!(body["message"], "No 'To' number is specified");
        }
    }
    // Nothing refused was stored.
    let (_, list) = app.get(&calls_path()).await;
    assert_eq!(list["calls"], json!([]));

    // Accepted: a client address, space-separated events, a capped Timeout.
    let body = place(
        &app,
        "client:alice",
        &[
            ("StatusCallback", "https://app.example/status"),
            (
                "StatusCallbackEvent",
                "initiated ringing answered completed",
            ),
            ("Timeout", "900"),
            ("SendDigits", "wW1234#*"),
        ],
    )
    .await;
    assert_eq!(body["to"], "client:alice");
    assert_eq!(body["to_formatted"], "client:alice");
    app.stop().await;
}

#[tokio::test]
async fn magic_numbers_and_unowned_senders_answer_as_twilio_s_test_credentials() {
    let app = spawn_app().await;
    for (from, to, code) in [
        ("+15005550001", TO, 21212),
        (FROM, "+15005550001", 21217),
        (FROM, "+15005550002", 21214),
        (FROM, "+15005550003", 21215),
        (FROM, "+15005550004", 21216),
        ("+15557654321", TO, 21210),
    ] {
        let (status, body) = app
            .post(
                &calls_path(),
                &[("To", to), ("From", from), ("Url", APP_URL)],
            )
            .await;
        assert_twilio_error(status, &body, 400, code);
    }
    let (status, body) = app
        .post(
            &calls_path(),
            &[("To", TO), ("From", "+15005550006"), ("Url", APP_URL)],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["from_formatted"], "(500) 555-0006");
    assert_eq!(body["status"], "queued");
    app.stop().await;
}

#[tokio::test]
async fn lists_filter_and_page_as_twilio_does() {
    let app = spawn_app().await;
    app.state.core.freeze_clock(&app.tenant(SID));
    let first = place(&app, TO, &[]).await;
    let second = place(&app, "+15551230002", &[]).await;
    let third = place(&app, TO, &[]).await;
    // Canceled: it has ended, so it has an end time.
    let (status, canceled) = app
        .post(&call_path(sid(&second)), &[("Status", "canceled")])
        .await;
    assert_eq!(status, 200, "{canceled}");

    let (status, page) = app.get(&format!("{}?PageSize=2", calls_path())).await;
    assert_eq!(status, 200, "{page}");
    let sids = |page: &Value| -> Vec<String> {
        page["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["sid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(sids(&page), vec![sid(&third), sid(&second)], "newest first");
    assert_eq!(page["page_size"], 2);
    assert_eq!(page["start"], 0);
    assert_eq!(page["end"], 1);
    assert!(page["previous_page_uri"].is_null());
    let next = page["next_page_uri"].as_str().expect("a next page");
    assert!(
        next.contains(&format!("PageToken=PA{}", sid(&second))),
        "{next}"
    );
    let (status, page_two) = app.get(next).await;
    assert_eq!(status, 200, "{page_two}");
    assert_eq!(sids(&page_two), vec![sid(&first)]);
    assert!(page_two["next_page_uri"].is_null());
    assert!(page_two["previous_page_uri"].is_string());

    let (_, to) = app
        .get(&format!("{}?To=%2B15551230002", calls_path()))
        .await;
    assert_eq!(sids(&to), vec![sid(&second)]);
    let (_, queued) = app.get(&format!("{}?Status=queued", calls_path())).await;
    assert_eq!(sids(&queued), vec![sid(&third), sid(&first)]);
    let (_, from) = app
        .get(&format!("{}?From=%2B15550000009", calls_path()))
        .await;
    assert_eq!(sids(&from), Vec::<String>::new());

    // EndTime: only the canceled call has ended, today.
    let created =
        chrono::DateTime::parse_from_rfc2822(first["date_created"].as_str().unwrap()).unwrap();
    let today = created.format("%Y-%m-%d").to_string();
    let tomorrow = (created + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let (_, ended) = app.get(&format!("{}?EndTime={today}", calls_path())).await;
    assert_eq!(sids(&ended), vec![sid(&second)]);
    let (_, ended_on_or_after) = app
        .get(&format!("{}?EndTime%3E={tomorrow}", calls_path()))
        .await;
    assert_eq!(sids(&ended_on_or_after), Vec::<String>::new());
    let (_, ended_on_or_before) = app
        .get(&format!("{}?EndTime%3C={today}", calls_path()))
        .await;
    assert_eq!(sids(&ended_on_or_before), vec![sid(&second)]);
    // None has started (none was answered).
    let (_, started) = app
        .get(&format!("{}?StartTime={today}", calls_path()))
        .await;
    assert_eq!(sids(&started), Vec::<String>::new());

    let (status, body) = app.get(&format!("{}?Status=hungup", calls_path())).await;
    assert_twilio_error(status, &body, 400, 20001);
    let (status, body) = app.get(&format!("{}?StartTime=soon", calls_path())).await;
    assert_twilio_error(status, &body, 400, 20001);
    let (status, body) = app
        .get(&format!(
            "{}?PageToken=PACA0123456789abcdef0123456789abcdef",
            calls_path()
        ))
        .await;
    assert_twilio_error(status, &body, 400, 20001);
    app.stop().await;
}

#[tokio::test]
async fn updates_cancel_a_queued_call_and_redirect_only_one_in_progress() {
    let app = spawn_app().await;
    app.state.core.freeze_clock(&app.tenant(SID));
    let call = place(&app, TO, &[]).await;
    let path = call_path(sid(&call));

    let (status, body) = app
        .post(&path, &[("Url", "https://app.example/other")])
        .await;
    assert_twilio_error(status, &body, 400, 21220);
    assert_eq!(body["message"], "Call is not in-progress. Cannot redirect.");
    let (status, body) = app
        .post(
            &path,
            &[
                ("Url", "https://app.example/other"),
                ("Twiml", "<Response/>"),
            ],
        )
        .await;
    assert_twilio_error(status, &body, 400, 20001);
    let (status, body) = app.post(&path, &[("Status", "ringing")]).await;
    assert_twilio_error(status, &body, 400, 20001);
    let (status, body) = app
        .post(&path, &[("Method", "PUT"), ("Url", APP_URL)])
        .await;
    assert_twilio_error(status, &body, 400, 21209);

    let (status, body) = app.post(&path, &[("Status", "canceled")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "canceled");
    assert!(body["end_time"].is_string(), "{body}");
    assert!(body["duration"].is_null(), "never answered: {body}");
    assert_eq!(status_of(&app, sid(&call)).await, "canceled");
    // Nothing more happens to it.
    app.advance(&app.tenant(SID), 10.0).await;
    assert_eq!(status_of(&app, sid(&call)).await, "canceled");

    let unknown = call_path("CA0123456789abcdef0123456789abcdef");
    let (status, body) = app.post(&unknown, &[("Status", "canceled")]).await;
    assert_twilio_error(status, &body, 404, 20404);
    assert_eq!(
        body["message"],
        format!("The requested resource {unknown} was not found")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_live_call_cannot_be_deleted_and_an_ended_one_is_gone() {
    let app = spawn_app().await;
    app.state.core.freeze_clock(&app.tenant(SID));
    let call = place(&app, TO, &[]).await;
    let path = call_path(sid(&call));

    let (status, body) = app.delete(&path).await;
    assert_twilio_error(status, &body, 400, 20009);
    app.post(&path, &[("Status", "canceled")]).await;
    let (status, body) = app.delete(&path).await;
    assert_eq!(status, 204, "{body}");
    assert!(body.is_null());
    let (status, body) = app.get(&path).await;
    assert_twilio_error(status, &body, 404, 20404);
    let (status, body) = app.delete(&path).await;
    assert_twilio_error(status, &body, 404, 20404);
    // A path that names no call SID at all is not found either.
    let (status, body) = app
        .get(&format!("/2010-04-01/Accounts/{SID}/Calls/SM0123.json"))
        .await;
    assert_twilio_error(status, &body, 404, 20404);
    app.stop().await;
}

#[tokio::test]
async fn a_call_rings_then_is_answered_on_the_step_delay_with_its_callbacks_attempted() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    app.state.core.freeze_clock(&tenant);
    let call = place(
        &app,
        TO,
        &[
            ("StatusCallback", STATUS_URL),
            ("StatusCallbackEvent", "initiated"),
            ("StatusCallbackEvent", "ringing"),
            ("StatusCallbackEvent", "answered"),
            ("StatusCallbackEvent", "completed"),
        ],
    )
    .await;
    let sid = sid(&call);

    // No callback for the initial status; nothing happens until time moves.
    app.advance(&tenant, 1.999).await;
    assert_eq!(status_of(&app, sid).await, "queued");
    assert!(app.attempts(&tenant).await.is_empty());

    app.advance(&tenant, 0.001).await;
    assert_eq!(status_of(&app, sid).await, "ringing");
    let reported = |attempts: &[mockingbird::core::store::CallbackAttempt]| {
        let mut statuses: Vec<String> = attempts
            .iter()
            .filter(|a| a.resource_sid == sid && a.attempt == 1 && a.url == STATUS_URL)
            .map(|a| a.status.clone())
            .collect();
        statuses.reverse(); // attempts come newest first
        statuses
    };
    assert_eq!(
        reported(&app.attempts(&tenant).await),
        ["initiated", "ringing"]
    );

    // Picked up after the step delay: in progress, until the app's TwiML ends it. The app at
    // APP_URL cannot be reached, so the caller hears Twilio's application error at once and
    // the call completes, answered for no time at all.
    app.advance(&tenant, 2.0).await;
    let (_, answered) = app.get(&call_path(sid)).await;
    assert_eq!(answered["status"], "completed", "{answered}");
    assert!(answered["start_time"].is_string(), "{answered}");
    assert_eq!(answered["end_time"], answered["start_time"], "{answered}");
    assert_eq!(answered["duration"], "0", "{answered}");
    assert_eq!(
        reported(&app.attempts(&tenant).await),
        ["initiated", "ringing", "in-progress", "completed"]
    );
    app.stop().await;
}

#[tokio::test]
async fn a_busy_rule_ends_the_call_busy() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    let rule: Rule = serde_json::from_value(json!({
        "id": "busy",
        "when": {"channel": "voice", "to": {"exact": "+15551230007"}},
        "then": {"call": {"result": "busy"}}
    }))
    .expect("a rule");
    core.set_rules(&tenant, vec![rule]).await.unwrap();

    let call = place(&app, "+15551230007", &[]).await;
    let sid = sid(&call);
    app.advance(&tenant, 2.0).await;
    assert_eq!(status_of(&app, sid).await, "ringing");
    app.advance(&tenant, 2.0).await;
    let (_, ended) = app.get(&call_path(sid)).await;
    assert_eq!(ended["status"], "busy", "{ended}");
    assert!(ended["duration"].is_null(), "{ended}");
    assert!(ended["end_time"].is_string(), "{ended}");
    let (_, busy) = app.get(&format!("{}?Status=busy", calls_path())).await;
    assert_eq!(busy["calls"][0]["sid"], sid);
    app.stop().await;
}

#[tokio::test]
async fn a_seed_failure_number_fails_the_call() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    app.state.core.freeze_clock(&tenant);
    // `test_config()` lists +15559999999 among the seed's `failure_numbers`.
    let call = place(&app, "+15559999999", &[]).await;
    assert_eq!(call["status"], "queued");
    app.advance(&tenant, 2.0).await;
    let (_, failed) = app.get(&call_path(sid(&call))).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(failed["start_time"].is_null(), "{failed}");
    app.stop().await;
}

#[tokio::test]
async fn recordings_lists_start_empty_and_unknown_recordings_are_not_found() {
    let app = spawn_app().await;
    let path = format!("/2010-04-01/Accounts/{SID}/Recordings.json");
    let (status, body) = app.get(&path).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["recordings"], json!([]));
    assert_eq!(body["page"], 0);
    assert_eq!(body["page_size"], 50);
    assert_eq!(body["start"], 0);
    assert_eq!(body["end"], 0);
    assert_eq!(body["uri"], format!("{path}?PageSize=50&Page=0"));
    assert!(body["next_page_uri"].is_null());

    let unknown = "RE0123456789abcdef0123456789abcdef";
    for path in [
        format!("/2010-04-01/Accounts/{SID}/Recordings/{unknown}.json"),
        format!("/2010-04-01/Accounts/{SID}/Recordings/{unknown}.wav"),
        format!("/2010-04-01/Accounts/{SID}/Recordings/{unknown}"),
        format!("/2010-04-01/Accounts/{SID}/Recordings/CA0123.json"),
        format!(
            "/2010-04-01/Accounts/{SID}/Calls/CA0123456789abcdef0123456789abcdef/Recordings.json"
        ),
    ] {
        let (status, body) = app.get(&path).await;
        assert_twilio_error(status, &body, 404, 20404);
    }
    let (status, body) = app
        .delete(&format!(
            "/2010-04-01/Accounts/{SID}/Recordings/{unknown}.json"
        ))
        .await;
    assert_twilio_error(status, &body, 404, 20404);
    // The JSON resource needs credentials; the audio does not (see `recordings::fetch`).
    let response = app
        .http
        .get(app.url(&format!(
            "/2010-04-01/Accounts/{SID}/Recordings/{unknown}.json"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn a_recorded_call_leaves_a_recording_served_as_silent_wav() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    app.state.core.freeze_clock(&tenant);
    let call = place(&app, TO, &[("Record", "true")]).await;
    let call_sid = sid(&call).to_owned();
    // Dialed, answered, and ended by the app's TwiML failing (or by the callee).
    for _ in 0..5 {
        app.advance(&tenant, 2.0).await;
    }
    let (_, ended) = app.get(&call_path(&call_sid)).await;
    assert!(
        ended["status"] == "completed",
        "a recorded call has ended: {ended}"
    );

    let (status, list) = app
        .get(&format!(
            "/2010-04-01/Accounts/{SID}/Recordings.json?CallSid={call_sid}"
        ))
        .await;
    assert_eq!(status, 200, "{list}");
    let recordings = list["recordings"].as_array().unwrap();
    assert_eq!(recordings.len(), 1, "{list}");
    let recording = &recordings[0];
    assert!(is_hex_sid(&recording["sid"], "RE"), "{recording}");
    let re = recording["sid"].as_str().unwrap().to_owned();
    let path = format!("/2010-04-01/Accounts/{SID}/Recordings/{re}");
    assert_eq!(recording["call_sid"], call_sid.as_str());
    assert_eq!(recording["source"], "OutboundAPI");
    assert!(recording["duration"].is_string(), "{recording}");
    assert!(recording["conference_sid"].is_null());
    assert!(recording["price"].is_null());
    assert!(recording["encryption_details"].is_null());
    assert_eq!(recording["uri"], format!("{path}.json"));
    assert_eq!(
        recording["subresource_uris"]["transcriptions"],
        format!("{path}/Transcriptions.json")
    );
    let media_url = recording["media_url"].as_str().unwrap();
    assert!(media_url.ends_with(&path), "{media_url}");

    let (status, fetched) = app.get(&format!("{path}.json")).await;
    assert_eq!(status, 200);
    assert_eq!(&fetched, recording);

    // The audio, without credentials: a WAV of silence as long as the recording.
    let seconds: usize = recording["duration"].as_str().unwrap().parse().unwrap();
    for media in [path.clone(), format!("{path}.wav")] {
        let response = app.http.get(app.url(&media)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "audio/x-wav");
        let wav = response.bytes().await.unwrap();
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(&wav[8..12], b"WAVE");
        assert_eq!(wav.len(), 44 + seconds * 16_000);
    }
    let (status, body) = app.get(&format!("{path}.mp3")).await;
    assert_twilio_error(status, &body, 404, 20404);
    // Credentials are optional on the audio, but checked when they come.
    let (status, body) = app.get_as(SID, "wrong", &format!("{path}.wav")).await;
    assert_twilio_error(status, &body, 401, 20003);

    // The call's own list writes the call-recording resource.
    let call_recordings = format!("/2010-04-01/Accounts/{SID}/Calls/{call_sid}/Recordings");
    let (status, list) = app.get(&format!("{call_recordings}.json")).await;
    assert_eq!(status, 200, "{list}");
    let item = &list["recordings"][0];
    assert_eq!(item["sid"], re.as_str());
    assert_eq!(item["track"], "both");
    assert_eq!(item["uri"], format!("{call_recordings}/{re}.json"));
    assert!(item.get("media_url").is_none());
    let (status, one) = app.get(&format!("{call_recordings}/{re}.json")).await;
    assert_eq!(status, 200);
    assert_eq!(&one, item);

    let (status, _) = app.delete(&format!("{call_recordings}/{re}.json")).await;
    assert_eq!(status, 204);
    let (status, body) = app.get(&format!("{path}.json")).await;
    assert_twilio_error(status, &body, 404, 20404);
    app.stop().await;
}
