//! The dashboard over real HTTP: every page renders the tenant's data with what apps and users
//! wrote escaped, the live stream pushes events and resumes after `Last-Event-ID`, state
//! changes are POSTs from this site only, and the token and `enabled` settings hold.

use std::time::Duration;

use serde_json::Value;

use crate::support::{FROM, Receiver, SID, TOKEN, spawn_app, spawn_with, test_config};

/// A body an attacker would like to see run: each piece must reach the page as text.
const HOSTILE: &str = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>"#;

/// Text as askama escapes it into a page.
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// A page's status, its headers and its HTML.
async fn page(http: &reqwest::Client, url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = http.get(url).send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("body"))
}

/// Assert a page is HTML of ours: 200, the CSP, and none of the hostile markup left whole.
fn assert_safe_page(url: &str, status: u16, headers: &reqwest::header::HeaderMap, html: &str) {
    assert_eq!(status, 200, "{url}: {html}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{url}"
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{url}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{url}: {csp}");
    assert!(
        !html.contains("<script>alert"),
        "{url} runs the body's script"
    );
    assert!(!html.contains("<img src=x"), "{url} draws the body's image");
}

#[tokio::test]
async fn every_page_shows_the_tenants_data_with_foreign_text_escaped() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    app.freeze_default().await;
    let receiver = Receiver::start().await;
    receiver.reply_with(HOSTILE);
    let sent = app
        .send(&[
            ("To", "+15551234567"),
            ("From", FROM),
            ("Body", HOSTILE),
            ("StatusCallback", &receiver.url("/status")),
        ])
        .await;
    let sid = sent["sid"].as_str().unwrap().to_owned();
    app.advance(&tenant, 10.0).await;
    receiver.wait_for(2).await;
    let (status, call) = app
        .post(
            &format!("/2010-04-01/Accounts/{SID}/Calls.json"),
            &[
                ("To", "+15551234567"),
                ("From", FROM),
                (
                    "Twiml",
                    "<Response><Say>Welcome &lt;script&gt; to the line</Say></Response>",
                ),
            ],
        )
        .await;
    assert_eq!(status, 201, "{call}");
    let call_sid = call["sid"].as_str().unwrap().to_owned();
    app.advance(&tenant, 10.0).await;

    let pages = [
        "/".to_owned(),
        format!("/?tenant={SID}"),
        "/ui/messages".to_owned(),
        format!("/ui/messages?tenant={SID}&to=%2B15551234567"),
        format!("/ui/messages/{sid}?tenant={SID}"),
        "/ui/calls".to_owned(),
        format!("/ui/calls/{call_sid}"),
        "/ui/callbacks".to_owned(),
        format!("/ui/callbacks?resource={sid}"),
        format!("/ui/clear?tenant={SID}&scope=tenant"),
    ];
    for path in &pages {
        let url = app.url(path);
        let (status, headers, html) = page(&app.http, &url).await;
        assert_safe_page(&url, status, &headers, &html);
    }

    let (_, _, messages) = page(&app.http, &app.url("/ui/messages")).await;
    assert!(messages.contains(&sid), "the list names the message");
    assert!(messages.contains(&escaped("<script>alert(1)</script>")));

    let (_, _, detail) = page(&app.http, &app.url(&format!("/ui/messages/{sid}"))).await;
    for status in ["queued", "sent", "delivered"] {
        assert!(detail.contains(status), "the timeline shows {status}");
    }
    assert!(detail.contains("callback_attempted"));
    assert!(
        detail.contains(&receiver.url("/status")),
        "the attempts name the app's URL"
    );

    let (_, _, call_page) = page(&app.http, &app.url(&format!("/ui/calls/{call_sid}"))).await;
    assert!(call_page.contains("completed"));
    assert!(
        call_page.contains(&escaped(r#"said "Welcome <script> to the line""#)),
        "the transcript shows what the caller heard: {call_page}"
    );

    let (_, _, callbacks) = page(&app.http, &app.url("/ui/callbacks")).await;
    assert!(callbacks.contains("delivered"));
    let signature = receiver.requests()[0]
        .header("x-twilio-signature")
        .unwrap()
        .to_owned();
    assert!(
        callbacks.contains(&escaped(&format!("x-twilio-signature: {signature}"))),
        "the request's headers, as sent"
    );
    assert!(callbacks.contains("user-agent: TwilioProxy/1.1"));
    assert!(
        callbacks.contains(&escaped("<img src=x onerror=alert(2)>")),
        "the app's answer, as text"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_seeds_paths_answer_and_unknown_ones_say_so() {
    let app = spawn_app().await;
    for path in [
        "/ui/messages",
        "/ui/calls",
        "/ui/callbacks",
        "/ui/assets/app.css",
        "/ui/assets/live.js",
    ] {
        let (status, _, _) = page(&app.http, &app.url(path)).await;
        assert_eq!(status, 200, "{path}");
    }
    for path in [
        "/ui/nothing-here",
        "/ui/messages/SM00000000000000000000000000000000",
        "/ui/calls/CA00000000000000000000000000000000",
        "/ui/messages?tenant=AC00000000000000000000000000000000",
        "/ui/assets/missing.js",
    ] {
        let (status, headers, html) = page(&app.http, &app.url(path)).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert!(html.contains("404 Not found"), "{path}: {html}");
    }
    let (status, _, html) = page(&app.http, &app.url("/ui/messages?after=SMnothing")).await;
    assert_eq!(status, 400, "{html}");
    // The providers' paths keep the providers' envelopes.
    let (status, body) = app.get("/2010-04-01/Nothing.json").await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(20404)));
    app.stop().await;
}

#[tokio::test]
async fn the_messages_list_pages_by_keyset_fifty_at_a_time() {
    let app = spawn_app().await;
    app.freeze_default().await;
    let mut sids = Vec::new();
    for n in 0..55 {
        let sent = app
            .send(&[
                ("To", "+15551234567"),
                ("From", FROM),
                ("Body", &format!("number {n}")),
            ])
            .await;
        sids.push(sent["sid"].as_str().unwrap().to_owned());
    }
    let (_, _, first) = page(&app.http, &app.url("/ui/messages")).await;
    assert!(first.contains(&sids[54]) && first.contains(&sids[5]));
    assert!(
        !first.contains(&sids[4]),
        "the first page holds the newest 50"
    );
    let older = format!("?tenant={SID}&after={}", sids[5]);
    assert!(
        first.contains(&escaped(&older)),
        "the first page links to the next"
    );
    let (_, _, second) = page(&app.http, &app.url(&format!("/ui/messages{older}"))).await;
    assert!(second.contains(&sids[4]) && second.contains(&sids[0]));
    assert!(!second.contains(&sids[5]));
    assert!(second.contains("Newer"));
    app.stop().await;
}

/// The live stream's events, read from its body until `count` have come.
async fn read_events(response: &mut reqwest::Response, count: usize) -> Vec<(i64, Value)> {
    let mut buffer = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while events.len() < count {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("events arrive in time")
            .expect("the stream reads")
            .expect("the stream stays open");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|line| line.strip_prefix(name))
                    .map(str::trim)
                    .map(str::to_owned)
            };
            if let (Some(id), Some(data)) = (field("id:"), field("data:")) {
                events.push((id.parse().unwrap(), serde_json::from_str(&data).unwrap()));
            }
        }
    }
    events
}

#[tokio::test]
async fn live_events_are_pushed_and_a_reconnect_resumes_after_the_last_one_seen() {
    let app = spawn_app().await;
    app.freeze_default().await;
    let live = app.url(&format!("/ui/live?tenant={SID}"));
    let mut stream = app.http.get(&live).send().await.expect("the stream opens");
    assert_eq!(
        stream.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let sent = app
        .send(&[("To", "+15551234567"), ("From", FROM), ("Body", HOSTILE)])
        .await;
    let sid = sent["sid"].as_str().unwrap();
    let (seq, created) = loop {
        let (seq, event) = read_events(&mut stream, 1).await.remove(0);
        if event["kind"] == "message_created" {
            break (seq, event);
        }
    };
    assert_eq!(created["sid"], sid);
    let html = created["html"].as_str().unwrap();
    assert!(
        html.starts_with("<li") && html.contains(&escaped("<script>")),
        "{html}"
    );
    drop(stream);

    // The lifecycle moves while no one listens; a browser reconnecting with the last id it
    // saw gets what it missed, in order, from the next event on.
    app.advance(&app.tenant(SID), 10.0).await;
    let missed = app
        .state
        .core
        .events()
        .read_after(seq, Some(SID), 100)
        .await
        .unwrap()
        .events;
    assert!(missed.len() >= 2, "sent and delivered happened");
    let mut resumed = app
        .http
        .get(&live)
        .header("Last-Event-ID", seq.to_string())
        .send()
        .await
        .expect("the stream reopens");
    let heard = read_events(&mut resumed, missed.len()).await;
    let heard_seqs: Vec<i64> = heard.iter().map(|(seq, _)| *seq).collect();
    let missed_seqs: Vec<i64> = missed.iter().map(|e| e.seq).collect();
    assert_eq!(heard_seqs, missed_seqs);
    assert!(
        heard
            .iter()
            .filter(|(_, e)| e["kind"] == "message_status_changed")
            .count()
            >= 2
    );
    app.stop().await;
}

#[tokio::test]
async fn clearing_asks_first_and_takes_a_post_from_this_site_only() {
    let app = spawn_app().await;
    app.freeze_default().await;
    app.send(&[("To", "+15551234567"), ("From", FROM), ("Body", "keep me")])
        .await;
    let stored = || async {
        app.get(&app.messages_path(SID)).await.1["messages"]
            .as_array()
            .unwrap()
            .len()
    };
    let form = [("tenant", SID), ("scope", "tenant")];

    let (status, _, question) = page(&app.http, &app.url("/ui/clear?scope=tenant")).await;
    assert_eq!(status, 200);
    assert!(question.contains("Yes, clear") && question.contains("method=\"post\""));
    assert_eq!(stored().await, 1, "asking removes nothing");

    let forged = app
        .http
        .post(app.url("/ui/clear"))
        .header("Origin", "http://evil.test")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    let cross_site = app
        .http
        .post(app.url("/ui/clear"))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status().as_u16(), 403);
    assert_eq!(stored().await, 1, "a forged form removes nothing");

    let bad = app
        .http
        .post(app.url("/ui/clear"))
        .form(&[("tenant", SID), ("scope", "everything")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let origin = app.base.clone();
    let cleared = no_redirects
        .post(app.url("/ui/clear"))
        .header("Origin", origin)
        .header("Sec-Fetch-Site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status().as_u16(), 303);
    assert_eq!(stored().await, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_callback_is_redelivered_from_its_page() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    app.freeze_default().await;
    let receiver = Receiver::start().await;
    let sent = app
        .send(&[
            ("To", "+15551234567"),
            ("From", FROM),
            ("Body", "again"),
            ("StatusCallback", &receiver.url("/status")),
        ])
        .await;
    app.advance(&tenant, 10.0).await;
    receiver.wait_for(2).await;
    let first = app.attempts(&tenant).await[0].clone();
    assert_eq!(first.resource_sid, sent["sid"]);
    let response = app
        .http
        .post(app.url(&format!("/ui/callbacks/{}/redeliver", first.id)))
        .form(&[("tenant", SID)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        200,
        "redirected back to the list"
    );
    let requests = receiver.wait_for(3).await;
    assert_eq!(
        requests[2].param("MessageStatus"),
        requests[1].param("MessageStatus")
    );
    assert_eq!(app.attempts(&tenant).await.len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn a_token_guards_every_page_and_disabled_means_no_page() {
    let mut config = test_config();
    config.dashboard.token = Some("let-me-in".into());
    let app = spawn_with(config).await;
    let (status, headers, _) = page(&app.http, &app.url("/ui/messages")).await;
    assert_eq!(status, 401);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let with = |request: reqwest::RequestBuilder| async move {
        request.send().await.unwrap().status().as_u16()
    };
    assert_eq!(
        with(
            app.http
                .get(app.url("/"))
                .basic_auth("me", Some("let-me-in"))
        )
        .await,
        200
    );
    assert_eq!(
        with(app.http.get(app.url("/ui/live")).bearer_auth("let-me-in")).await,
        200
    );
    assert_eq!(
        with(app.http.get(app.url("/")).basic_auth("me", Some("wrong"))).await,
        401
    );
    // The Twilio API keeps its own credentials.
    assert_eq!(app.get(&app.messages_path(SID)).await.0, 200);
    app.stop().await;

    let mut config = test_config();
    config.dashboard.enabled = false;
    let app = spawn_with(config).await;
    let (status, body) = app.get_as(SID, TOKEN, "/").await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(20404)));
    let (status, _, _) = page(&app.http, &app.url("/ui/messages")).await;
    assert_eq!(status, 404);
    app.stop().await;
}

/// A server whose `server.timezone` is `zone`, the messages page after one message was sent,
/// and when the API says the message was created (UTC, to the second).
async fn messages_page_in_zone(zone: &str) -> (String, chrono::DateTime<chrono::Utc>) {
    let mut config = test_config();
    config.server.timezone = zone.into();
    let app = spawn_with(config).await;
    let sent = app
        .send(&[("To", "+15551234567"), ("From", FROM), ("Body", "hi")])
        .await;
    let created = chrono::DateTime::parse_from_rfc2822(sent["date_created"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let (_, _, html) = page(&app.http, &app.url("/ui/messages")).await;
    app.stop().await;
    (html, created)
}

/// How a page's `<time>` opens for a moment, to the second.
fn shown(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("<time>{}.", at.format("%Y-%m-%d %H:%M:%S"))
}

#[tokio::test]
async fn pages_show_times_in_the_configured_zone_as_the_seed_did() {
    // Tokyo is nine hours ahead of UTC all year (no daylight saving time).
    let (html, created) = messages_page_in_zone("Asia/Tokyo").await;
    assert!(html.contains("Times in Asia/Tokyo"), "{html}");
    let in_tokyo = shown(created + chrono::Duration::hours(9));
    assert!(html.contains(&in_tokyo), "{in_tokyo}: {html}");
    assert!(!html.contains(&shown(created)), "{html}");

    // As in the seed, a name that is no zone does not stop the server: the pages show UTC.
    let (html, created) = messages_page_in_zone("Mars/Olympus_Mons").await;
    assert!(html.contains("Times in UTC"), "{html}");
    assert!(html.contains(&shown(created)), "{html}");
}

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_person_writes_as_a_whatsapp_user_and_taps_the_bots_button() {
    use crate::support::whatsapp::{ACCESS_TOKEN, USER, messages_path};
    let receiver = Receiver::start().await;
    let mut config = test_config();
    config.whatsapp.webhook_url = Some(receiver.url("/bot"));
    let app = spawn_with(config).await;

    // The user writes from the simulator, with a profile name no page may run.
    let form = [
        ("tenant", SID),
        ("from", USER),
        ("profile_name", HOSTILE),
        ("kind", "text"),
        ("message", "hi"),
    ];
    let wrote = no_redirects()
        .post(app.url("/ui/simulator/whatsapp"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(wrote.status().as_u16(), 303);
    let thread = wrote.headers()["location"].to_str().unwrap().to_owned();
    assert!(thread.starts_with("/ui/conversations/thread?"), "{thread}");
    let webhook: Value = serde_json::from_str(&receiver.wait_for(1).await[0].body).unwrap();
    let change = &webhook["entry"][0]["changes"][0]["value"];
    assert_eq!(change["messages"][0]["text"]["body"], "hi");
    assert_eq!(change["contacts"][0]["profile"]["name"], HOSTILE);

    // The bot answers with two reply buttons through the Cloud API.
    let question = serde_json::json!({
        "messaging_product": "whatsapp",
        "to": USER,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": { "text": "Pay now?" },
            "action": { "buttons": [
                { "type": "reply", "reply": { "id": "pay", "title": "Pay" } },
                { "type": "reply", "reply": { "id": "later", "title": "Later" } }
            ] }
        }
    });
    let (status, sent) = app
        .graph_post(ACCESS_TOKEN, &messages_path(), &question)
        .await;
    assert_eq!(status, 200, "{sent}");
    let wamid = sent["messages"][0]["id"].as_str().unwrap().to_owned();

    let (status, headers, html) = page(&app.http, &app.url(&thread)).await;
    assert_safe_page(&thread, status, &headers, &html);
    assert!(
        html.contains("Pay now?") && html.contains(">Pay</button>"),
        "{html}"
    );
    assert!(
        html.contains(&escaped(&wamid)),
        "the buttons answer the bot's message"
    );
    let (_, _, threads) = page(&app.http, &app.url("/ui/conversations")).await;
    assert!(threads.contains(USER) && threads.contains("Pay now?"));

    // Tapping "Pay" is the user's button reply, in context, as Meta's webhook writes it.
    let tap = [
        ("tenant", SID),
        ("from", USER),
        ("kind", "button_reply"),
        ("id", "pay"),
        ("title", "Pay"),
        ("context", wamid.as_str()),
    ];
    let tapped = no_redirects()
        .post(app.url("/ui/simulator/whatsapp"))
        .form(&tap)
        .send()
        .await
        .unwrap();
    assert_eq!(tapped.status().as_u16(), 303);
    let webhook: Value = serde_json::from_str(&receiver.wait_for(2).await[1].body).unwrap();
    let message = &webhook["entry"][0]["changes"][0]["value"]["messages"][0];
    assert_eq!(message["interactive"]["button_reply"]["id"], "pay");
    assert_eq!(message["context"]["id"], wamid.as_str());
    let (_, _, html) = page(&app.http, &app.url(&thread)).await;
    assert!(
        html.contains("class=\"bubble mine\""),
        "the user's messages are drawn as theirs"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_person_texts_the_app_and_the_thread_shows_its_reply() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    receiver.reply_with("<Response><Message>Thanks for writing</Message></Response>");
    let mut control = app.control().await;
    let tenant = mockingbird::proto::Tenant {
        account_sid: SID.into(),
        ..Default::default()
    };
    control
        .number(&tenant, "+15550101010", &receiver.url("/sms"))
        .await;
    let (status, _, simulator) = page(&app.http, &app.url("/ui/simulator")).await;
    assert_eq!(status, 200);
    assert!(simulator.contains("<option>+15550101010</option>"));
    let wrote = no_redirects()
        .post(app.url("/ui/simulator/sms"))
        .form(&[
            ("tenant", SID),
            ("from", "+15557654321"),
            ("to", "+15550101010"),
            ("body", "hello"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrote.status().as_u16(), 303);
    assert_eq!(receiver.wait_for(1).await[0].param("Body"), Some("hello"));
    let thread = wrote.headers()["location"].to_str().unwrap().to_owned();
    let (_, _, html) = page(&app.http, &app.url(&thread)).await;
    let hello = html.find(">hello<").expect("the user's text");
    let thanks = html.find(">Thanks for writing<").expect("the app's reply");
    assert!(hello < thanks, "oldest first");

    let bad = app
        .http
        .post(app.url("/ui/simulator/sms"))
        .form(&[
            ("tenant", SID),
            ("from", "not a number"),
            ("to", "+15550101010"),
            ("body", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    assert!(bad.text().await.unwrap().contains("E.164"));
    app.stop().await;
}

#[tokio::test]
async fn a_person_calls_the_app_and_presses_keys_from_the_calls_page() {
    let app = spawn_app().await;
    app.freeze_default().await;
    let receiver = Receiver::start().await;
    receiver.reply_with(
        r#"<Response><Gather numDigits="1"><Say>Press 1 for sales</Say></Gather></Response>"#,
    );
    let (status, body) = app
        .post(
            &format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json"),
            &[
                ("PhoneNumber", "+15550101010"),
                ("VoiceUrl", &receiver.url("/voice")),
            ],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let placed = no_redirects()
        .post(app.url("/ui/simulator/call"))
        .form(&[
            ("tenant", SID),
            ("from", "+15557654321"),
            ("to", "+15550101010"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status().as_u16(), 303);
    let call_page = placed.headers()["location"].to_str().unwrap().to_owned();
    let (_, _, html) = page(&app.http, &app.url(&call_page)).await;
    assert!(
        html.contains("Press 1 for sales") && html.contains("waiting for gather"),
        "{html}"
    );
    assert!(
        html.contains("value=\"hangup\""),
        "the caller's controls are on the page"
    );
    let sid = call_page
        .trim_start_matches("/ui/calls/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let pressed = no_redirects()
        .post(app.url(&format!("/ui/calls/{sid}/hand")))
        .form(&[("tenant", SID), ("action", "press"), ("input", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(pressed.status().as_u16(), 303);
    assert_eq!(receiver.wait_for(2).await[1].param("Digits"), Some("1"));
    let hung_up = no_redirects()
        .post(app.url(&format!("/ui/calls/{sid}/hand")))
        .form(&[("tenant", SID), ("action", "hangup")])
        .send()
        .await
        .unwrap();
    assert_eq!(hung_up.status().as_u16(), 303);
    let (_, _, html) = page(&app.http, &app.url(&call_page)).await;
    assert!(html.contains("completed") && !html.contains("value=\"hangup\""));
    let refused = app
        .http
        .post(app.url(&format!("/ui/calls/{sid}/hand")))
        .form(&[("tenant", SID), ("action", "press"), ("input", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status().as_u16(),
        400,
        "an ended call takes no keys"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_tenants_page_shows_what_each_tenant_is_set_to_do() {
    let app = spawn_app().await;
    let mut control = app.control().await;
    let other = control.tenant("checkout tests").await;
    control
        .number(&other, "+15550102020", "http://127.0.0.1:9/sms")
        .await;
    let (status, _, html) = page(&app.http, &app.url("/ui/tenants")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(SID) && html.contains(&other.account_sid) && html.contains("checkout tests")
    );
    assert!(
        html.contains(TOKEN),
        "the default tenant's credentials, for the app's settings"
    );
    let (_, _, html) = page(
        &app.http,
        &app.url(&format!("/ui/tenants?tenant={}", other.account_sid)),
    )
    .await;
    assert!(html.contains("+15550102020") && html.contains("POST http://127.0.0.1:9/sms"));
    assert!(html.contains(&other.auth_token));
    app.stop().await;
}

#[tokio::test]
async fn messages_are_found_by_status_direction_channel_and_words() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    app.freeze_default().await;
    let code = app
        .send(&[
            ("To", "+15551234567"),
            ("From", FROM),
            ("Body", "Your verification code is 4711"),
        ])
        .await;
    let picture = app
        .send(&[
            ("To", "+15551234567"),
            ("From", FROM),
            ("Body", "a picture"),
            ("MediaUrl", "https://example.com/cat.jpg"),
        ])
        .await;
    let failing = app
        .send(&[
            ("To", "+15559999999"),
            ("From", FROM),
            ("Body", "this one fails"),
        ])
        .await;
    app.advance(&tenant, 10.0).await;
    let sids = |html: &str| -> Vec<String> {
        [&code, &picture, &failing]
            .iter()
            .map(|m| m["sid"].as_str().unwrap().to_owned())
            .filter(|sid| html.contains(&format!("data-sid=\"{sid}\"")))
            .collect()
    };
    let sid = |m: &Value| m["sid"].as_str().unwrap().to_owned();
    let found = |query: &'static str| {
        let url = app.url(&format!("/ui/messages?{query}"));
        let http = app.http.clone();
        async move {
            let (status, _, html) = page(&http, &url).await;
            assert_eq!(status, 200, "{url}: {html}");
            html
        }
    };
    assert_eq!(
        sids(&found("q=verif").await),
        vec![sid(&code)],
        "a word's beginning"
    );
    assert_eq!(
        sids(&found("q=code+4711").await),
        vec![sid(&code)],
        "every word"
    );
    assert!(sids(&found("q=nothing+like+this").await).is_empty());
    assert_eq!(sids(&found("channel=mms").await), vec![sid(&picture)]);
    assert_eq!(sids(&found("status=failed").await), vec![sid(&failing)]);
    assert_eq!(
        sids(&found("status=delivered&channel=sms").await),
        vec![sid(&code)]
    );
    assert_eq!(sids(&found("direction=outbound-api").await).len(), 3);
    assert!(sids(&found("direction=inbound").await).is_empty());
    let (status, _, html) = page(&app.http, &app.url("/ui/messages?status=lost")).await;
    assert_eq!(status, 400, "{html}");

    // The overview counts them by channel and status, and draws them over time.
    let (_, _, overview) = page(&app.http, &app.url("/")).await;
    for (channel, status) in [
        ("sms", "delivered"),
        ("mms", "delivered"),
        ("sms", "failed"),
    ] {
        let link = escaped(&format!(
            "/ui/messages?tenant={SID}&channel={channel}&status={status}"
        ));
        assert!(overview.contains(&link), "a count of {channel} {status}");
    }
    assert!(
        overview.contains("<svg")
            && overview
                .contains("The newest 3 messages: 2 delivered or sent, 0 on their way, 1 failed.")
    );
    app.stop().await;
}

#[tokio::test]
async fn everything_a_page_shows_downloads_as_json() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    app.freeze_default().await;
    let receiver = Receiver::start().await;
    // More than one batch of the download's reads (500).
    for n in 0..510 {
        app.send(&[
            ("To", "+15551234567"),
            ("From", FROM),
            ("Body", &format!("n{n}")),
        ])
        .await;
    }
    app.send_with_callback("+15551234567", &receiver.url("/status"))
        .await;
    app.advance(&tenant, 10.0).await;
    receiver.wait_for(2).await;
    let download = |what: &'static str| {
        let url = app.url(&format!("/ui/export/{what}.json?tenant={SID}"));
        let http = app.http.clone();
        async move {
            let response = http.get(&url).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{url}");
            assert!(
                response.headers()["content-disposition"]
                    .to_str()
                    .unwrap()
                    .contains(&format!("{SID}-{what}.json"))
            );
            let text = response.text().await.unwrap();
            serde_json::from_str::<Vec<Value>>(&text).expect("a JSON array")
        }
    };
    let messages = download("messages").await;
    assert_eq!(messages.len(), 511);
    assert_eq!(messages[510]["body"], "n0", "newest first, the oldest last");
    let callbacks = download("callbacks").await;
    assert_eq!(callbacks.len(), 2);
    assert_eq!(callbacks[0]["url"], receiver.url("/status"));
    assert!(download("calls").await.is_empty());
    let events = download("events").await;
    assert!(
        events.len() > 511 * 3,
        "every message's creation and status changes"
    );
    assert!(
        events
            .windows(2)
            .all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64())
    );
    let (status, _, _) = page(&app.http, &app.url("/ui/export/secrets.json")).await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn text_search_follows_redactions_deletions_and_new_messages() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    app.freeze_default().await;
    let app = &app;
    let send = |body: &'static str| async move {
        app.send(&[("To", "+15551234567"), ("From", FROM), ("Body", body)])
            .await
    };
    let first = send("alpha one").await["sid"].as_str().unwrap().to_owned();
    let second = send("alpha two").await["sid"].as_str().unwrap().to_owned();
    let found = || async {
        let (status, _, html) = page(&app.http, &app.url("/ui/messages?q=alpha")).await;
        assert_eq!(status, 200, "{html}");
        html.matches("<tr id=\"row-").count()
    };
    assert_eq!(
        found().await,
        2,
        "the first search indexes what was stored before it"
    );
    app.advance(&tenant, 10.0).await;
    let path = |sid: &str| format!("/2010-04-01/Accounts/{SID}/Messages/{sid}.json");
    let (status, body) = app.post(&path(&first), &[("Body", "")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(found().await, 1, "a redacted body is no longer found");
    let (status, _) = app.delete(&path(&second)).await;
    assert_eq!(status, 204);
    assert_eq!(found().await, 0, "a deleted message is no longer found");
    send("alpha three").await;
    assert_eq!(
        found().await,
        1,
        "a message stored after a deletion is found"
    );
}

#[tokio::test]
async fn a_message_is_redacted_and_deleted_from_its_page_as_the_api_allows() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    app.freeze_default().await;
    let sent = app
        .send(&[
            ("To", "+15551234567"),
            ("From", FROM),
            ("Body", "secret 1234"),
        ])
        .await;
    let sid = sent["sid"].as_str().unwrap();
    let act = |what: &'static str| {
        let url = app.url(&format!("/ui/messages/{sid}/{what}"));
        async move {
            no_redirects()
                .post(url)
                .form(&[("tenant", SID)])
                .send()
                .await
                .unwrap()
        }
    };
    let early = act("delete").await;
    assert_eq!(
        early.status().as_u16(),
        400,
        "a message on its way is kept, as the API keeps it"
    );
    assert!(early.text().await.unwrap().contains("20009"));
    app.advance(&tenant, 10.0).await;
    assert_eq!(act("redact").await.status().as_u16(), 303);
    let (_, fetched) = app
        .get(&format!("/2010-04-01/Accounts/{SID}/Messages/{sid}.json"))
        .await;
    assert_eq!(fetched["body"], "");
    assert_eq!(act("delete").await.status().as_u16(), 303);
    let (status, _) = app
        .get(&format!("/2010-04-01/Accounts/{SID}/Messages/{sid}.json"))
        .await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn the_callbacks_page_lists_the_attempts_the_app_refused_alone() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    app.freeze_default().await;
    let receiver = Receiver::start().await;
    receiver.answer_with(&[500]);
    app.send_with_callback("+15551234567", &receiver.url("/status"))
        .await;
    app.advance(&tenant, 2.0).await;
    receiver.wait_for(1).await;
    app.advance(&tenant, 2.0).await;
    receiver.wait_for(2).await;
    let rows = |html: &str| html.matches("Redeliver</button>").count();
    let (_, _, all) = page(&app.http, &app.url("/ui/callbacks")).await;
    let (status, _, failed) = page(&app.http, &app.url("/ui/callbacks?outcome=failed")).await;
    assert_eq!(status, 200);
    assert_eq!((rows(&all), rows(&failed)), (2, 1), "{failed}");
    assert!(failed.contains(">500<"));
    let (status, _, _) = page(&app.http, &app.url("/ui/callbacks?outcome=lost")).await;
    assert_eq!(status, 400);
    app.stop().await;
}

#[tokio::test]
async fn the_callbacks_page_pages_back_through_every_attempt() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    app.freeze_default().await;
    let receiver = Receiver::start().await;
    // 51 messages, each called back as sent and as delivered: 102 attempts, a page and two.
    for _ in 0..51 {
        app.send_with_callback("+15551234567", &receiver.url("/status"))
            .await;
    }
    app.advance(&tenant, 10.0).await;
    receiver.wait_for(102).await;
    let rows = |html: &str| html.matches("Redeliver</button>").count();
    let older_link = |html: &str| {
        let start = html.find(r#"rel="next""#)?;
        let href = html[..start].rfind("href=\"?")? + "href=\"".len();
        let end = html[href..].find('"')? + href;
        Some(html[href..end].replace("&#38;", "&"))
    };

    let (_, _, newest) = page(&app.http, &app.url("/ui/callbacks?outcome=any")).await;
    assert_eq!(rows(&newest), 100);
    assert!(!newest.contains("← Newest"));
    let older = older_link(&newest).expect("a link to older attempts");
    assert!(older.contains("outcome=any"), "the filter is kept: {older}");
    let (status, _, last) = page(&app.http, &app.url(&format!("/ui/callbacks{older}"))).await;
    assert_eq!(status, 200);
    assert_eq!(rows(&last), 2, "{last}");
    assert!(last.contains("← Newest"));
    assert_eq!(older_link(&last), None);
    app.stop().await;
}
