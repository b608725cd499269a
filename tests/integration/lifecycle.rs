//! Lifecycles and status callbacks, walked on a frozen clock: no sleeping.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use mockingbird::core::messaging::MessageStatus;
use mockingbird::core::rules::{AddressPattern, Match, Outcome, Rejection, Rule, Step};
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn sent_then_delivered_with_signed_callbacks() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    let callback = receiver.url("/status?tenant=a");
    let body = app.send_with_callback("+15551234567", &callback).await;
    let sid = body["sid"].as_str().unwrap();
    let path = format!("/2010-04-01/Accounts/{SID}/Messages/{sid}.json");

    // No callback for the initial status; nothing happens until time moves.
    app.advance(&tenant, 1.999).await;
    assert!(receiver.requests().is_empty());
    assert_eq!(app.get(&path).await.1["status"], "queued");

    app.advance(&tenant, 0.001).await;
    let requests = receiver.wait_for(1).await;
    assert_eq!(app.get(&path).await.1["status"], "sent");
    let sent = &requests[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.url, callback);
    assert_eq!(
        sent.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(sent.header("user-agent"), Some("TwilioProxy/1.1"));
    assert!(sent.header("i-twilio-idempotency-token").is_some());
    assert!(twilio_signed(sent, TOKEN), "{sent:#?}");
    for (name, value) in [
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("MessageStatus", "sent"),
        ("SmsStatus", "sent"),
        ("AccountSid", SID),
        ("From", FROM),
        ("To", "+15551234567"),
        ("ApiVersion", "2010-04-01"),
    ] {
        assert_eq!(sent.param(name), Some(value), "{name}");
    }
    assert_eq!(sent.param("ErrorCode"), None);
    assert!(sent.body.contains("MessageStatus=sent"), "{}", sent.body);

    app.advance(&tenant, 2.0).await;
    let requests = receiver.wait_for(2).await;
    let delivered = &requests[1];
    assert_eq!(delivered.param("MessageStatus"), Some("delivered"));
    assert!(
        delivered
            .param("RawDlrDoneDate")
            .is_some_and(|d| d.len() == 10)
    );
    assert!(twilio_signed(delivered, TOKEN));
    let fetched = app.get(&path).await.1;
    assert_eq!(fetched["status"], "delivered");
    assert!(fetched["date_sent"].is_string());

    app.advance(&tenant, 60.0).await;
    assert_eq!(receiver.requests().len(), 2, "no further callbacks");
}

#[tokio::test]
async fn failed_deliveries_are_retried_on_schedule_and_recorded() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    receiver.answer_with(&[500, 200, 503]);
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    app.send_with_callback("+15551234567", &receiver.url("/cb"))
        .await;

    app.advance(&tenant, 2.0).await;
    assert_eq!(receiver.requests().len(), 1, "first attempt at +2 s");
    // The next status change is not held up by the failing callback.
    app.advance(&tenant, 2.0).await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert_eq!(requests[1].param("MessageStatus"), Some("delivered"));

    // Retries of `sent` come 5 s after each failure: +7 s (503), then +12 s (200).
    app.advance(&tenant, 3.0).await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2].param("MessageStatus"), Some("sent"));
    app.advance(&tenant, 5.0).await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[3].param("MessageStatus"), Some("sent"));
    // Every attempt of one callback carries the same idempotency token.
    let token = requests[0].header("i-twilio-idempotency-token");
    assert!(
        requests
            .iter()
            .filter(|r| r.param("MessageStatus") == Some("sent"))
            .all(|r| r.header("i-twilio-idempotency-token") == token)
    );

    app.advance(&tenant, 60.0).await;
    assert_eq!(receiver.requests().len(), 4, "no attempts after success");

    let attempts = app.attempts(&tenant).await;
    let statuses: Vec<(String, i64, Option<i64>)> = attempts
        .iter()
        .rev()
        .map(|a| (a.status.clone(), a.attempt, a.response_status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("sent".into(), 1, Some(500)),
            ("delivered".into(), 1, Some(200)),
            ("sent".into(), 2, Some(503)),
            ("sent".into(), 3, Some(200)),
        ]
    );
    assert!(
        attempts
            .iter()
            .all(|a| a.request_body.contains("MessageSid="))
    );
}

#[tokio::test]
async fn unreachable_apps_are_recorded_and_given_up_after_the_last_attempt() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    app.send_with_callback("+15559999999", &format!("{}/cb", closed_url()))
        .await;
    app.advance(&tenant, 30.0).await;
    let attempts = app.attempts(&tenant).await;
    assert_eq!(attempts.len(), 3, "retry_attempts counts every attempt");
    assert!(
        attempts
            .iter()
            .all(|a| a.response_status.is_none() && a.error.is_some())
    );
}

#[tokio::test]
async fn seed_number_lists_and_default_behavior_become_rules() {
    let mut config = test_config();
    config.twilio.default_behavior = mockingbird::config::DefaultBehavior::Failure;
    let app = spawn_with(config).await;
    let receiver = Receiver::start().await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    let mut sids = Vec::new();
    for to in ["+15551234567", "+15559999999", "+15550004444"] {
        let body = app
            .send(&[
                ("To", to),
                ("From", FROM),
                ("Body", "hi"),
                ("StatusCallback", &receiver.url(&format!("/{to}"))),
            ])
            .await;
        sids.push(body["sid"].as_str().unwrap().to_owned());
    }
    app.advance(&tenant, 10.0).await;
    let app = &app;
    let status = |sid: &str| {
        let path = format!("/2010-04-01/Accounts/{SID}/Messages/{sid}.json");
        async move { app.get(&path).await.1 }
    };
    assert_eq!(status(&sids[0]).await["status"], "delivered");
    let failed = status(&sids[1]).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error_code"], 30008);
    assert_eq!(failed["error_message"], "Unknown error");
    // The seed left unlisted numbers queued forever; default_behavior now decides.
    assert_eq!(status(&sids[2]).await["status"], "failed");

    let requests = receiver.requests();
    let failure_callback = requests
        .iter()
        .find(|r| r.url.ends_with("+15559999999"))
        .unwrap();
    assert_eq!(failure_callback.param("MessageStatus"), Some("failed"));
    assert_eq!(failure_callback.param("ErrorCode"), Some("30008"));
}

#[tokio::test]
async fn rules_reject_or_script_each_number() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    let core = &app.state.core;
    core.freeze_clock(&tenant);
    let rules = vec![
        Rule {
            id: "blocked".into(),
            when: Match {
                to: Some(AddressPattern::Prefix("+1666".into())),
                ..Match::default()
            },
            then: Outcome::Reject(Rejection::new(
                400,
                21610,
                "Attempt to send to unsubscribed recipient",
            )),
            first_n: None,
            latency_ms: 0,
            callbacks: Default::default(),
        },
        Rule {
            id: "carrier-filter-once".into(),
            when: Match {
                to: Some(AddressPattern::Glob("+1555???0007".into())),
                ..Match::default()
            },
            then: Outcome::Accept {
                script: vec![
                    Step::new(MessageStatus::Sent, 1000),
                    Step::failing(MessageStatus::Undelivered, 2000, 30007),
                ],
            },
            first_n: Some(1),
            latency_ms: 0,
            callbacks: Default::default(),
        },
    ];
    core.set_rules(&tenant, rules).await.unwrap();

    let (status, body) = app
        .post(
            &app.messages_path(SID),
            &[("To", "+16660001234"), ("From", FROM), ("Body", "x")],
        )
        .await;
    assert_twilio_error(status, &body, 400, 21610);

    let first = app
        .send(&[("To", "+15551230007"), ("From", FROM), ("Body", "x")])
        .await;
    let second = app
        .send(&[("To", "+15551230007"), ("From", FROM), ("Body", "x")])
        .await;
    app.advance(&tenant, 1.0).await;
    let path = |m: &Value| {
        format!(
            "/2010-04-01/Accounts/{SID}/Messages/{}.json",
            m["sid"].as_str().unwrap()
        )
    };
    assert_eq!(app.get(&path(&first)).await.1["status"], "sent");
    app.advance(&tenant, 2.0).await;
    let undelivered = app.get(&path(&first)).await.1;
    assert_eq!(undelivered["status"], "undelivered");
    assert_eq!(undelivered["error_code"], 30007);
    assert_eq!(undelivered["error_message"], "Message filtered");
    // first_n: the second message fell through to the default (delivered after 2 + 2 s).
    app.advance(&tenant, 2.0).await;
    assert_eq!(app.get(&path(&second)).await.1["status"], "delivered");
}

#[tokio::test]
async fn status_callback_method_get_signs_the_url() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let tenant = app.tenant(SID);
    app.state.core.freeze_clock(&tenant);
    app.send(&[
        ("To", "+15551234567"),
        ("From", FROM),
        ("Body", "hi"),
        ("StatusCallback", &receiver.url("/cb?x=1")),
        ("StatusCallbackMethod", "GET"),
    ])
    .await;
    app.advance(&tenant, 2.0).await;
    let requests = receiver.wait_for(1).await;
    assert_eq!(requests[0].method, "GET");
    assert!(
        requests[0].url.contains("?x=1&MessageSid="),
        "{}",
        requests[0].url
    );
    assert!(requests[0].url.contains("MessageStatus=sent"));
    assert!(twilio_signed(&requests[0], TOKEN));
}

#[tokio::test]
async fn disabled_callbacks_still_progress_statuses() {
    let mut config = test_config();
    config.twilio.callbacks.enabled = false;
    let app = spawn_with(config).await;
    let receiver = Receiver::start().await;
    let tenant = app.tenant(SID);
    app.state.core.freeze_clock(&tenant);
    let body = app
        .send_with_callback("+15551234567", &receiver.url("/cb"))
        .await;
    app.advance(&tenant, 5.0).await;
    let path = format!(
        "/2010-04-01/Accounts/{SID}/Messages/{}.json",
        body["sid"].as_str().unwrap()
    );
    assert_eq!(app.get(&path).await.1["status"], "delivered");
    assert!(receiver.requests().is_empty());
}

#[tokio::test]
async fn real_time_lifecycle_reaches_the_app() {
    let mut config = test_config();
    config.twilio.callbacks.delay_seconds = 0.05;
    let app = spawn_with(config).await;
    let receiver = Receiver::start().await;
    app.send_with_callback("+15551234567", &receiver.url("/cb"))
        .await;
    let requests = receiver.wait_for(2).await;
    let statuses: Vec<_> = requests
        .iter()
        .map(|r| r.param("MessageStatus").unwrap().to_owned())
        .collect();
    assert_eq!(statuses, vec!["sent", "delivered"]);
}

/// Many messages on the real clock, to an app that answers each callback slowly and with jitter
/// (often slower than a step of the lifecycle): every message's callbacks still arrive in status
/// order, because a message's next callback waits for the previous one's answer. On several
/// threads, as the server runs, with more callbacks awaiting answers than may run at once: the
/// load under which they used to overtake each other.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_app_hears_each_message_in_status_order() {
    const MESSAGES: usize = 500;
    let mut config = test_config();
    config.twilio.callbacks.delay_seconds = 0.05;
    let app = spawn_with(config).await;
    let receiver = Receiver::start().await;
    receiver.answer_slowly(Duration::from_millis(50), Duration::from_millis(400));
    let url = receiver.url("/cb");
    let mut sids = HashSet::new();
    for chunk in (0..MESSAGES).collect::<Vec<_>>().chunks(100) {
        let sends = chunk
            .iter()
            .map(|_| app.send_with_callback("+15551234567", &url));
        for body in futures_util::future::join_all(sends).await {
            sids.insert(body["sid"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(sids.len(), MESSAGES);

    let requests = receiver.wait_for(2 * MESSAGES).await;
    let mut heard: HashMap<String, Vec<String>> = HashMap::new();
    for request in &requests {
        heard
            .entry(request.param("MessageSid").unwrap().to_owned())
            .or_default()
            .push(request.param("MessageStatus").unwrap().to_owned());
    }
    let out_of_order: Vec<_> = heard
        .iter()
        .filter(|(_, statuses)| *statuses != &["sent", "delivered"])
        .collect();
    assert!(
        out_of_order.is_empty(),
        "{} of {MESSAGES} messages heard otherwise: {out_of_order:?}",
        out_of_order.len()
    );
    assert_eq!(heard.len(), MESSAGES);
}

#[tokio::test]
async fn an_app_that_does_not_answer_in_time_is_retried() {
    let mut config = test_config();
    config.twilio.callbacks.timeout_seconds = 0.2;
    let app = spawn_with(config).await;
    let receiver = Receiver::start().await;
    receiver.answer_with(&[HANG]);
    let tenant = app.tenant(SID);
    app.state.core.freeze_clock(&tenant);
    app.send_with_callback("+15559999999", &receiver.url("/slow"))
        .await;
    app.advance(&tenant, 2.0).await;
    let attempts = app.attempts(&tenant).await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].response_status, None);
    assert!(
        attempts[0].error.as_deref().unwrap().contains("timed out"),
        "{attempts:?}"
    );

    app.advance(&tenant, 5.0).await;
    let attempts = app.attempts(&tenant).await;
    assert_eq!(attempts.len(), 2);
    assert_eq!(
        (attempts[0].attempt, attempts[0].response_status),
        (2, Some(200))
    );
}

#[tokio::test]
async fn deleting_a_message_drops_its_pending_retries() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    receiver.answer_with(&[500, 500, 500, 500]);
    let tenant = app.tenant(SID);
    app.state.core.freeze_clock(&tenant);
    let body = app
        .send_with_callback("+15551234567", &receiver.url("/cb"))
        .await;
    app.advance(&tenant, 4.0).await;
    assert_eq!(
        receiver.requests().len(),
        2,
        "sent and delivered, both failed"
    );
    let path = format!(
        "/2010-04-01/Accounts/{SID}/Messages/{}.json",
        body["sid"].as_str().unwrap()
    );
    assert_eq!(app.delete(&path).await.0, 204);
    app.advance(&tenant, 60.0).await;
    assert_eq!(receiver.requests().len(), 2, "no retries after the delete");
    assert_eq!(app.state.core.pending_jobs(&tenant), 0);
}

#[tokio::test]
async fn rule_latency_delays_the_api_answer() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    let slow = Rule {
        id: "slow-carrier".into(),
        when: Match {
            to: Some(AddressPattern::Exact("+15550007777".into())),
            ..Match::default()
        },
        then: Outcome::Accept {
            script: vec![Step::new(MessageStatus::Delivered, 0)],
        },
        first_n: None,
        latency_ms: 600,
        callbacks: Default::default(),
    };
    app.state.core.set_rules(&tenant, vec![slow]).await.unwrap();
    let started = std::time::Instant::now();
    app.send(&[("To", "+15550007777"), ("From", FROM), ("Body", "x")])
        .await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(600));
    // Other numbers answer at once (the margin is for a loaded machine).
    let started = std::time::Instant::now();
    app.send(&[("To", "+15550008888"), ("From", FROM), ("Body", "x")])
        .await;
    assert!(started.elapsed() < std::time::Duration::from_millis(600));
}

#[tokio::test]
async fn a_resumed_clock_runs_on_from_where_it_stood() {
    let mut config = test_config();
    config.twilio.callbacks.delay_seconds = 0.05;
    let app = spawn_with(config).await;
    let receiver = Receiver::start().await;
    let tenant = app.tenant(SID);
    let frozen_at = app.state.core.freeze_clock(&tenant);
    app.send_with_callback("+15551234567", &receiver.url("/cb"))
        .await;
    app.advance(&tenant, 3600.0).await;
    assert_eq!(
        receiver.requests().len(),
        2,
        "everything due ran while frozen"
    );

    let sent = app
        .send(&[
            ("To", "+15551234567"),
            ("From", FROM),
            ("Body", "later"),
            ("StatusCallback", &receiver.url("/cb")),
        ])
        .await;
    app.state.core.resume_clock(&tenant);
    // Tenant time continues from the frozen instant (an hour ahead of the wall clock)...
    assert!(tenant.now() >= frozen_at + 3_600_000);
    // ...and what falls due now runs without anyone advancing it.
    let requests = receiver.wait_for(4).await;
    assert!(
        requests[2..]
            .iter()
            .all(|r| r.param("MessageSid") == sent["sid"].as_str())
    );
}
