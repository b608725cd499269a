//! The gRPC control plane, through the generated client, against the real server: tenants,
//! rules, numbers, events and WaitFor, hand-set statuses and redelivery, inbound SMS, clocks.

use futures_util::StreamExt;
use mockingbird::control::proto::{
    self, EventKind, MessageStatus as Status, address_pattern, event::Payload, rule,
};
use tonic::Code;

use crate::support::*;

const USER: &str = "+15557654321";
const NUMBER: &str = "+15550101010";

fn duration(millis: u64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: (millis / 1000) as i64,
        nanos: ((millis % 1000) * 1_000_000) as i32,
    })
}

fn to(number: &str) -> Option<proto::MessageMatch> {
    Some(proto::MessageMatch {
        to: Some(proto::AddressPattern {
            pattern: Some(address_pattern::Pattern::Exact(number.into())),
        }),
        ..Default::default()
    })
}

/// A lifecycle: each status `delay` ms after the previous one.
fn lifecycle(steps: &[(Status, u64, u32)]) -> Option<rule::Outcome> {
    Some(rule::Outcome::Accept(proto::Lifecycle {
        steps: steps
            .iter()
            .map(|(status, delay, code)| proto::LifecycleStep {
                status: *status as i32,
                delay: duration(*delay),
                error_code: *code,
                error_message: String::new(),
            })
            .collect(),
    }))
}

/// The next event of a subscription, within 10 s.
async fn next_event(stream: &mut tonic::Streaming<proto::Event>) -> proto::Event {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an event in time")
        .expect("the stream goes on")
        .expect("no error")
}

/// Send `body` from the tenant's number to the user, with status callbacks to `callback`; the
/// message's SID.
async fn send_with_callback(
    app: &TestApp,
    tenant: &proto::Tenant,
    body: &str,
    callback: &str,
) -> String {
    let form = [
        ("To", USER),
        ("From", NUMBER),
        ("Body", body),
        ("StatusCallback", callback),
    ];
    let (status, answer) = app.send_as(tenant, &form).await;
    assert_eq!(status, 201, "{answer}");
    answer["sid"].as_str().unwrap().to_owned()
}

/// A tenant with a number, ready to send from it.
async fn tenant_with_number(control: &mut Control, label: &str) -> proto::Tenant {
    let tenant = control.tenant(label).await;
    control.number(&tenant, NUMBER, "").await;
    tenant
}

#[tokio::test]
async fn tenants_are_created_fetched_listed_reset_and_deleted() {
    let app = spawn_app().await;
    let mut control = app.control().await;
    let tenant = control.tenant("checkout sends a receipt").await;
    assert!(tenant.account_sid.starts_with("AC") && tenant.account_sid.len() == 34);
    assert!(tenant.api_key_sid.starts_with("SK") && tenant.api_key_sid.len() == 34);
    assert!(!tenant.auth_token.is_empty() && !tenant.api_key_secret.is_empty());
    assert_eq!(tenant.label, "checkout sends a receipt");
    let whatsapp = tenant.whatsapp.clone().expect("a WhatsApp identity");
    assert!(whatsapp.phone_number_id.bytes().all(|b| b.is_ascii_digit()));
    assert!(whatsapp.access_token.starts_with("EAA"));
    assert!(!whatsapp.app_secret.is_empty() && !whatsapp.verify_token.is_empty());

    // Both credentials work against the Twilio API; the key sends as its account.
    control.number(&tenant, NUMBER, "").await;
    let form = [("To", USER), ("From", NUMBER), ("Body", "receipt")];
    let path = app.messages_path(&tenant.account_sid);
    let (status, body) = app
        .post_as(&tenant.api_key_sid, &tenant.api_key_secret, &path, &form)
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["account_sid"], tenant.account_sid.as_str());

    let fetched = control
        .tenants
        .get_tenant(proto::GetTenantRequest {
            account_sid: tenant.account_sid.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched, tenant);
    let listed = control
        .tenants
        .list_tenants(proto::ListTenantsRequest {})
        .await
        .unwrap()
        .into_inner()
        .tenants;
    assert!(listed.iter().any(|t| t.account_sid == SID));
    assert!(listed.contains(&tenant));

    // Reset: data and rules go; credentials and numbers stay.
    control
        .rules
        .add_rule(proto::AddRuleRequest {
            account_sid: tenant.account_sid.clone(),
            rule: Some(proto::Rule {
                when: to(USER),
                outcome: lifecycle(&[(Status::Sent, 0, 0)]),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let reset = control
        .tenants
        .reset_tenant(proto::ResetTenantRequest {
            account_sid: tenant.account_sid.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reset.tenant.as_ref(), Some(&tenant));
    let messages = control
        .messages
        .list_messages(proto::ListMessagesRequest {
            account_sid: tenant.account_sid.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .messages;
    assert!(messages.is_empty(), "{messages:?}");
    let rules = control
        .rules
        .list_rules(proto::ListRulesRequest {
            account_sid: tenant.account_sid.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .rules;
    assert!(rules.is_empty());
    let cleared = control
        .wait_for(events_of(&tenant, &[EventKind::DataCleared]), 0)
        .await;
    assert_eq!(cleared.sequence, reset.sequence);
    assert_eq!(app.send_as(&tenant, &form).await.0, 201);

    // Delete: the credentials stop working.
    control
        .tenants
        .delete_tenant(proto::DeleteTenantRequest {
            account_sid: tenant.account_sid.clone(),
        })
        .await
        .unwrap();
    let gone = control
        .tenants
        .get_tenant(proto::GetTenantRequest {
            account_sid: tenant.account_sid.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    let (status, body) = app.send_as(&tenant, &form).await;
    assert_twilio_error(status, &body, 401, 20003);

    // The config file's account stays; a missing SID is a bad request.
    let refused = control
        .tenants
        .delete_tenant(proto::DeleteTenantRequest {
            account_sid: SID.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let missing = control
        .tenants
        .get_tenant(proto::GetTenantRequest::default())
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn rules_are_replaced_added_listed_and_cleared() {
    let app = spawn_app().await;
    let mut control = app.control().await;
    let tenant = tenant_with_number(&mut control, "rules").await;
    let account_sid = tenant.account_sid.clone();
    let blocked = proto::Rule {
        id: "blocked".into(),
        when: to("+15550000004"),
        outcome: Some(rule::Outcome::Reject(proto::Rejection {
            error_code: 21610,
            ..Default::default()
        })),
        ..Default::default()
    };
    let replaced = control
        .rules
        .replace_rules(proto::ReplaceRulesRequest {
            account_sid: account_sid.clone(),
            rules: vec![blocked.clone()],
        })
        .await
        .unwrap()
        .into_inner()
        .rules;
    assert_eq!(replaced.len(), 1);
    let (status, body) = app
        .send_as(
            &tenant,
            &[("To", "+15550000004"), ("From", NUMBER), ("Body", "x")],
        )
        .await;
    assert_twilio_error(status, &body, 400, 21610);
    assert_eq!(body["message"], "Attempt to send to unsubscribed recipient");
    let matched = control
        .wait_for(events_of(&tenant, &[EventKind::RuleMatched]), 0)
        .await;
    let Some(Payload::RuleMatched(matched)) = matched.payload else {
        panic!("{matched:?}")
    };
    assert_eq!(
        (matched.rule_id.as_str(), matched.rejected_with),
        ("blocked", 21610)
    );

    // An added rule without an id gets one, and goes after the others.
    let added = control
        .rules
        .add_rule(proto::AddRuleRequest {
            account_sid: account_sid.clone(),
            rule: Some(proto::Rule {
                when: to(USER),
                outcome: lifecycle(&[(Status::Undelivered, 1000, 30003)]),
                first_n: 1,
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.id, "rule-2");
    let listed = control
        .rules
        .list_rules(proto::ListRulesRequest {
            account_sid: account_sid.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .rules;
    assert_eq!(listed, vec![replaced[0].clone(), added.clone()]);
    assert_eq!(listed[0].id, blocked.id);

    // Bad rules are refused whole.
    for bad in [
        proto::Rule {
            id: "blocked".into(),
            ..added.clone()
        },
        proto::Rule {
            id: "no-outcome".into(),
            ..Default::default()
        },
        proto::Rule {
            id: "bad-regex".into(),
            when: Some(proto::MessageMatch {
                body: Some(proto::BodyPattern {
                    pattern: Some(proto::body_pattern::Pattern::Regex("(".into())),
                }),
                ..Default::default()
            }),
            outcome: lifecycle(&[]),
            ..Default::default()
        },
    ] {
        let refused = control
            .rules
            .add_rule(proto::AddRuleRequest {
                account_sid: account_sid.clone(),
                rule: Some(bad),
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    }

    let cleared = control
        .rules
        .clear_rules(proto::ClearRulesRequest {
            account_sid: account_sid.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(cleared.rules.is_empty());
    let (status, _) = app
        .send_as(
            &tenant,
            &[("To", "+15550000004"), ("From", NUMBER), ("Body", "x")],
        )
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn numbers_are_the_senders_a_tenant_may_use() {
    let app = spawn_app().await;
    let mut control = app.control().await;
    let tenant = control.tenant("numbers").await;
    let form = [("To", USER), ("From", NUMBER), ("Body", "hi")];
    let (status, body) = app.send_as(&tenant, &form).await;
    assert_twilio_error(status, &body, 400, 21606);

    let added = control
        .numbers
        .add_number(proto::AddNumberRequest {
            account_sid: tenant.account_sid.clone(),
            phone_number: NUMBER.into(),
            sms_url: "http://app.test/sms".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(added.sid.starts_with("PN"));
    assert_eq!(added.friendly_name, NUMBER);
    assert_eq!(added.sms_method, proto::HttpMethod::Post as i32);
    assert_eq!(app.send_as(&tenant, &form).await.0, 201);

    let again = control
        .numbers
        .add_number(proto::AddNumberRequest {
            account_sid: tenant.account_sid.clone(),
            phone_number: NUMBER.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists);
    let malformed = control
        .numbers
        .add_number(proto::AddNumberRequest {
            account_sid: tenant.account_sid.clone(),
            phone_number: "555-0101".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);

    let updated = control
        .numbers
        .update_number(proto::UpdateNumberRequest {
            account_sid: tenant.account_sid.clone(),
            number: added.sid.clone(),
            sms_url: Some("http://app.test/v2/sms".into()),
            sms_method: Some(proto::HttpMethod::Get as i32),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.sms_url, "http://app.test/v2/sms");
    assert_eq!(updated.sms_method, proto::HttpMethod::Get as i32);
    assert_eq!(updated.friendly_name, NUMBER);
    let listed = control
        .numbers
        .list_numbers(proto::ListNumbersRequest {
            account_sid: tenant.account_sid.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .numbers;
    assert_eq!(listed, vec![updated]);

    control
        .numbers
        .remove_number(proto::RemoveNumberRequest {
            account_sid: tenant.account_sid.clone(),
            number: NUMBER.into(),
        })
        .await
        .unwrap();
    let (status, body) = app.send_as(&tenant, &form).await;
    assert_twilio_error(status, &body, 400, 21606);
    let unknown = control
        .numbers
        .remove_number(proto::RemoveNumberRequest {
            account_sid: tenant.account_sid.clone(),
            number: NUMBER.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn wait_for_returns_the_event_and_times_out_with_the_nearest_misses() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let mut control = app.control().await;
    let tenant = tenant_with_number(&mut control, "wait for").await;
    control.freeze(&tenant).await;
    let callback = receiver.url("/status");
    let sid = send_with_callback(&app, &tenant, "your code is 1234", &callback).await;

    // An event that already happened is found at once, with its payload.
    let created = control
        .wait_for(
            proto::EventFilter {
                account_sid: tenant.account_sid.clone(),
                body_regex: r"code is \d{4}".into(),
                ..Default::default()
            },
            0,
        )
        .await;
    let Some(Payload::MessageCreated(created)) = created.payload else {
        panic!("{created:?}")
    };
    assert_eq!(created.message.unwrap().sid, sid);

    // Not delivered yet: the timeout names the nearest events and what they got wrong.
    let delivered = proto::EventFilter {
        account_sid: tenant.account_sid.clone(),
        sid: sid.clone(),
        kinds: vec![EventKind::MessageStatusChanged as i32],
        statuses: vec![Status::Delivered as i32],
        ..Default::default()
    };
    let timeout = control
        .events
        .wait_for(proto::WaitForRequest {
            filter: Some(delivered.clone()),
            after_sequence: 0,
            timeout: duration(200),
        })
        .await
        .unwrap_err();
    assert_eq!(timeout.code(), Code::DeadlineExceeded);
    let message = timeout.message();
    assert!(message.contains("no event matched"), "{message}");
    assert!(
        message.contains("kind is message_created, wanted message_status_changed"),
        "{message}"
    );
    assert!(message.contains(&sid), "{message}");

    // Time moves; the wait started before it returns the change as it happens.
    let waiter = {
        let mut control = control.clone();
        let filter = delivered.clone();
        tokio::spawn(async move { control.wait_for(filter, 0).await })
    };
    control.advance(&tenant, 4_000).await;
    let event = tokio::time::timeout(WAIT, waiter).await.unwrap().unwrap();
    let Some(Payload::MessageStatusChanged(change)) = event.payload else {
        panic!("{event:?}")
    };
    assert_eq!(change.previous, Status::Sent as i32);
    assert_eq!((change.to.as_str(), change.from.as_str()), (USER, NUMBER));

    // The callback's attempt is an event with the app's answer.
    let attempt = control
        .wait_for(
            proto::EventFilter {
                account_sid: tenant.account_sid.clone(),
                kinds: vec![EventKind::CallbackAttempted as i32],
                statuses: vec![Status::Delivered as i32],
                to: USER.into(),
                ..Default::default()
            },
            0,
        )
        .await;
    let Some(Payload::CallbackAttempted(attempted)) = attempt.payload else {
        panic!("{attempt:?}")
    };
    let attempt = attempted.attempt.unwrap();
    assert_eq!(
        (attempt.response_status, attempt.response_body.as_str()),
        (200, "ok")
    );
    assert_eq!(attempt.url, callback);

    let bad = control
        .events
        .wait_for(proto::WaitForRequest {
            filter: Some(proto::EventFilter {
                body_regex: "(".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn subscribe_replays_history_then_streams_live_and_resumes_from_a_sequence() {
    let app = spawn_app().await;
    let mut control = app.control().await;
    let tenant = tenant_with_number(&mut control, "subscribe").await;
    let other = tenant_with_number(&mut control, "someone else").await;
    let form = |body: &'static str| [("To", USER), ("From", NUMBER), ("Body", body)];
    app.send_as(&tenant, &form("first")).await;
    app.send_as(&other, &form("not mine")).await;

    let created = events_of(&tenant, &[EventKind::MessageCreated]);
    let mut stream = control
        .events
        .subscribe(proto::SubscribeRequest {
            filter: Some(created.clone()),
            after_sequence: 0,
            live_only: false,
        })
        .await
        .unwrap()
        .into_inner();
    let body = |event: &proto::Event| match &event.payload {
        Some(Payload::MessageCreated(created)) => created.message.as_ref().unwrap().body.clone(),
        other => panic!("{other:?}"),
    };
    let first = next_event(&mut stream).await;
    assert_eq!(body(&first), "first");
    app.send_as(&other, &form("still not mine")).await;
    app.send_as(&tenant, &form("second")).await;
    let second = next_event(&mut stream).await;
    assert_eq!(body(&second), "second");
    assert!(second.sequence > first.sequence);
    drop(stream);

    // Missed while away; a new subscription from the last sequence gets exactly those.
    app.send_as(&tenant, &form("third")).await;
    let mut resumed = control
        .events
        .subscribe(proto::SubscribeRequest {
            filter: Some(created),
            after_sequence: second.sequence,
            live_only: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(body(&next_event(&mut resumed).await), "third");
}

#[tokio::test]
async fn a_stalled_subscriber_misses_nothing_across_a_reconnect() {
    let app = spawn_app().await;
    let mut control = app.control().await;
    let tenant = tenant_with_number(&mut control, "stalled").await;
    let created = events_of(&tenant, &[EventKind::MessageCreated]);
    // Subscribed, and never read while messages pour in: more than the server's in-memory
    // window of recent events, so catching up reads the database.
    let stalled = control
        .events
        .subscribe(proto::SubscribeRequest {
            filter: Some(created.clone()),
            after_sequence: 0,
            live_only: false,
        })
        .await
        .unwrap()
        .into_inner();
    let core_tenant = app.tenant(&tenant.account_sid);
    let total = 6_000;
    for i in 0..total {
        let message = mockingbird::core::messages::NewMessage {
            to: USER.into(),
            from: Some(NUMBER.into()),
            body: format!("m{i}"),
            ..Default::default()
        };
        app.state
            .core
            .send_message(&core_tenant, message)
            .await
            .expect("sent while a subscriber stalls");
    }
    // Read half, leave, and come back from the last sequence seen: every message once, in
    // order.
    let mut seen = Vec::new();
    let mut stream = stalled;
    let mut last = 0;
    while seen.len() < total / 2 {
        let event = next_event(&mut stream).await;
        last = event.sequence;
        seen.push(event);
    }
    drop(stream);
    let mut resumed = control
        .events
        .subscribe(proto::SubscribeRequest {
            filter: Some(created),
            after_sequence: last,
            live_only: false,
        })
        .await
        .unwrap()
        .into_inner();
    while seen.len() < total {
        let event = next_event(&mut resumed).await;
        seen.push(event);
    }
    let bodies: Vec<String> = seen
        .iter()
        .map(|e| match &e.payload {
            Some(Payload::MessageCreated(c)) => c.message.as_ref().unwrap().body.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let expected: Vec<String> = (0..total).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies, expected);
}

#[tokio::test]
async fn a_frozen_clock_walks_the_lifecycle_and_the_retry_schedule_without_sleeping() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let mut control = app.control().await;
    let tenant = tenant_with_number(&mut control, "clock").await;
    control
        .rules
        .add_rule(proto::AddRuleRequest {
            account_sid: tenant.account_sid.clone(),
            rule: Some(proto::Rule {
                when: to(USER),
                outcome: lifecycle(&[(Status::Sent, 1_000, 0), (Status::Delivered, 3_000, 0)]),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    control.freeze(&tenant).await;
    // The app fails the first delivered callback: Twilio retries it later (retry delay 5 s).
    receiver.answer_with(&[200, 500]);
    let callback = receiver.url("/status");
    let sid = send_with_callback(&app, &tenant, "hi", &callback).await;
    let status_of = |control: &mut Control| {
        let mut messages = control.messages.clone();
        let request = proto::GetMessageRequest {
            account_sid: tenant.account_sid.clone(),
            sid: sid.clone(),
        };
        async move {
            messages
                .get_message(request)
                .await
                .unwrap()
                .into_inner()
                .status
        }
    };
    let state = control.advance(&tenant, 999).await;
    assert!(state.frozen);
    assert_eq!(state.pending_jobs, 1, "the next status change");
    let read = control
        .clock
        .get_clock(proto::GetClockRequest {
            account_sid: tenant.account_sid.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, state, "a frozen clock reads the same until advanced");
    assert_eq!(status_of(&mut control).await, Status::Queued as i32);
    control.advance(&tenant, 1).await;
    assert_eq!(status_of(&mut control).await, Status::Sent as i32);
    assert_eq!(
        receiver.wait_for(1).await[0].param("MessageStatus"),
        Some("sent")
    );
    control.advance(&tenant, 3_000).await;
    assert_eq!(status_of(&mut control).await, Status::Delivered as i32);
    let requests = receiver.wait_for(2).await;
    assert_eq!(requests[1].param("MessageStatus"), Some("delivered"));
    control.advance(&tenant, 4_999).await;
    assert_eq!(receiver.requests().len(), 2, "no retry before its time");
    let state = control.advance(&tenant, 1).await;
    let requests = receiver.wait_for(3).await;
    assert_eq!(requests[2].param("MessageStatus"), Some("delivered"));
    assert_eq!(
        requests[2].header("i-twilio-idempotency-token"),
        requests[1].header("i-twilio-idempotency-token")
    );
    assert_eq!(state.pending_jobs, 0);

    let resumed = control
        .clock
        .resume(proto::ResumeRequest {
            account_sid: tenant.account_sid.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!resumed.frozen);
    let refused = control
        .clock
        .advance(proto::AdvanceRequest {
            account_sid: tenant.account_sid.clone(),
            by: duration(1),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn callbacks_can_be_dropped_duplicated_and_delivered_out_of_order() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let mut control = app.control().await;
    let tenant = tenant_with_number(&mut control, "disorder").await;
    let disorderly = |number: &str, disorder: proto::CallbackDisorder| proto::Rule {
        when: to(number),
        outcome: lifecycle(&[(Status::Sent, 1_000, 0), (Status::Delivered, 1_000, 0)]),
        callbacks: Some(disorder),
        ..Default::default()
    };
    control
        .rules
        .replace_rules(proto::ReplaceRulesRequest {
            account_sid: tenant.account_sid.clone(),
            rules: vec![
                disorderly(
                    "+15550000001",
                    proto::CallbackDisorder {
                        drop: vec![Status::Sent as i32],
                        duplicate: vec![Status::Delivered as i32],
                        ..Default::default()
                    },
                ),
                disorderly(
                    "+15550000002",
                    proto::CallbackDisorder {
                        delay: vec![proto::DelayedCallback {
                            status: Status::Sent as i32,
                            by: duration(5_000),
                        }],
                        ..Default::default()
                    },
                ),
            ],
        })
        .await
        .unwrap();
    control.freeze(&tenant).await;
    for to in ["+15550000001", "+15550000002"] {
        let callback = receiver.url(&format!("/status/{to}"));
        let form = [
            ("To", to),
            ("From", NUMBER),
            ("Body", "hi"),
            ("StatusCallback", callback.as_str()),
        ];
        assert_eq!(app.send_as(&tenant, &form).await.0, 201);
    }
    control.advance(&tenant, 10_000).await;
    let requests = receiver.wait_for(4).await;
    let of = |to: &str| -> Vec<(String, String)> {
        requests
            .iter()
            .filter(|r| r.param("To") == Some(to))
            .map(|r| {
                (
                    r.param("MessageStatus").unwrap().to_owned(),
                    r.header("i-twilio-idempotency-token").unwrap().to_owned(),
                )
            })
            .collect()
    };
    // Dropped `sent`, and `delivered` twice with one token.
    let first = of("+15550000001");
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(first.iter().all(|(status, _)| status == "delivered"));
    assert_eq!(first[0].1, first[1].1);
    // `sent` held back until after `delivered`.
    let second: Vec<String> = of("+15550000002").into_iter().map(|(s, _)| s).collect();
    assert_eq!(second, ["delivered", "sent"]);
}

#[tokio::test]
async fn a_test_sets_a_status_by_hand_and_redelivers_a_callback() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let mut control = app.control().await;
    let tenant = tenant_with_number(&mut control, "by hand").await;
    control.freeze(&tenant).await;
    let callback = receiver.url("/status");
    let sid = send_with_callback(&app, &tenant, "hi", &callback).await;
    let set = control
        .messages
        .set_message_status(proto::SetMessageStatusRequest {
            account_sid: tenant.account_sid.clone(),
            sid: sid.clone(),
            status: Status::Undelivered as i32,
            error_code: 30003,
            error_message: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(set.status, Status::Undelivered as i32);
    assert_eq!(set.error_code, 30003);
    assert_eq!(set.error_message, "Unreachable destination handset");
    let (_, fetched) = app
        .get_as(
            &tenant.account_sid,
            &tenant.auth_token,
            &format!(
                "/2010-04-01/Accounts/{}/Messages/{sid}.json",
                tenant.account_sid
            ),
        )
        .await;
    assert_eq!(fetched["status"], "undelivered");
    assert_eq!(fetched["error_code"], 30003);

    // The callback goes now, on a frozen clock.
    let requests = receiver.wait_for(1).await;
    assert_eq!(requests[0].param("MessageStatus"), Some("undelivered"));
    assert_eq!(requests[0].param("ErrorCode"), Some("30003"));
    assert!(twilio_signed(&requests[0], &tenant.auth_token));
    // The script's own steps were dropped: nothing overwrites the status.
    control.advance(&tenant, 60_000).await;
    assert_eq!(receiver.requests().len(), 1);
    let after = control
        .messages
        .get_message(proto::GetMessageRequest {
            account_sid: tenant.account_sid.clone(),
            sid: sid.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.status, Status::Undelivered as i32);

    let attempts = control
        .messages
        .list_callback_attempts(proto::ListCallbackAttemptsRequest {
            account_sid: tenant.account_sid.clone(),
            resource_sid: sid.clone(),
            limit: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .attempts;
    assert_eq!(attempts.len(), 1);
    receiver.answer_with(&[503]);
    let again = control
        .messages
        .redeliver_callback(proto::RedeliverCallbackRequest {
            account_sid: tenant.account_sid.clone(),
            attempt_id: attempts[0].id,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.response_status, 503);
    assert_eq!(again.attempt, 2);
    assert_ne!(again.id, attempts[0].id);
    let requests = receiver.wait_for(2).await;
    assert_eq!(requests[1].body, requests[0].body);
    assert_eq!(
        requests[1].header("i-twilio-idempotency-token"),
        requests[0].header("i-twilio-idempotency-token")
    );
    assert!(twilio_signed(&requests[1], &tenant.auth_token));
    // A failed redelivery is not retried.
    control.advance(&tenant, 60_000).await;
    assert_eq!(receiver.requests().len(), 2);

    let unknown = control
        .messages
        .redeliver_callback(proto::RedeliverCallbackRequest {
            account_sid: tenant.account_sid.clone(),
            attempt_id: 999_999,
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn an_inbound_text_reaches_the_app_signed_and_its_twiml_reply_is_sent() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let mut control = app.control().await;
    let tenant = control.tenant("inbound").await;
    control
        .number(&tenant, NUMBER, &receiver.url("/sms?app=1"))
        .await;
    receiver.reply_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>Got it: &quot;hello&quot;</Message></Response>",
    );
    let outcome = control
        .messages
        .send_inbound(proto::SendInboundRequest {
            account_sid: tenant.account_sid.clone(),
            from: USER.into(),
            to: NUMBER.into(),
            body: "hello".into(),
            media_urls: vec!["https://example.com/cat.jpg".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let inbound = outcome.message.unwrap();
    assert!(inbound.sid.starts_with("MM"));
    assert_eq!(inbound.direction, proto::Direction::Inbound as i32);
    assert_eq!(inbound.status, Status::Received as i32);
    let webhook = outcome.webhook.unwrap();
    assert_eq!(webhook.response_status, 200);
    assert!(webhook.response_body.contains("<Message>"));

    let request = &receiver.wait_for(1).await[0];
    assert!(twilio_signed(request, &tenant.auth_token), "{request:#?}");
    for (name, value) in [
        ("MessageSid", inbound.sid.as_str()),
        ("SmsSid", inbound.sid.as_str()),
        ("SmsMessageSid", inbound.sid.as_str()),
        ("AccountSid", tenant.account_sid.as_str()),
        ("From", USER),
        ("To", NUMBER),
        ("Body", "hello"),
        ("NumMedia", "1"),
        ("NumSegments", "1"),
        ("MediaUrl0", "https://example.com/cat.jpg"),
        ("MediaContentType0", "image/jpeg"),
        ("SmsStatus", "received"),
        ("ApiVersion", "2010-04-01"),
    ] {
        assert_eq!(request.param(name), Some(value), "{name}");
    }

    assert_eq!(outcome.replies.len(), 1);
    let reply = &outcome.replies[0];
    assert_eq!(reply.body, "Got it: \"hello\"");
    assert_eq!((reply.from.as_str(), reply.to.as_str()), (NUMBER, USER));
    assert_eq!(reply.direction, proto::Direction::OutboundReply as i32);
    let (_, listed) = app
        .get_as(
            &tenant.account_sid,
            &tenant.auth_token,
            &app.messages_path(&tenant.account_sid),
        )
        .await;
    let directions: Vec<&str> = listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["direction"].as_str().unwrap())
        .collect();
    assert_eq!(directions, ["outbound-reply", "inbound"]);

    let delivered = control
        .wait_for(events_of(&tenant, &[EventKind::InboundDelivered]), 0)
        .await;
    let Some(Payload::InboundDelivered(delivered)) = delivered.payload else {
        panic!("{delivered:?}")
    };
    assert_eq!(delivered.reply_sids, vec![reply.sid.clone()]);
    assert_eq!(delivered.webhook.unwrap().response_status, 200);

    let unknown = control
        .messages
        .send_inbound(proto::SendInboundRequest {
            account_sid: tenant.account_sid.clone(),
            from: USER.into(),
            to: "+15559990000".into(),
            body: "hello".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn stop_unsubscribes_a_user_until_start() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let mut control = app.control().await;
    let tenant = control.tenant("opt-out").await;
    control.number(&tenant, NUMBER, &receiver.url("/sms")).await;
    // The app answers every text with a reply, which Twilio must not send after STOP.
    receiver.reply_with("<Response><Message>Thanks!</Message></Response>");
    let text = |body: &str| proto::SendInboundRequest {
        account_sid: tenant.account_sid.clone(),
        from: USER.into(),
        to: NUMBER.into(),
        body: body.into(),
        ..Default::default()
    };
    let form = [("To", USER), ("From", NUMBER), ("Body", "sale!")];

    let stop = control
        .messages
        .send_inbound(text("Stop"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stop.opt_out_type, "STOP");
    assert_eq!(
        stop.replies.len(),
        1,
        "only Twilio's confirmation: {:?}",
        stop.replies
    );
    assert!(
        stop.replies[0]
            .body
            .starts_with("You have successfully been unsubscribed")
    );
    assert_eq!(
        receiver.wait_for(1).await[0].param("OptOutType"),
        Some("STOP")
    );
    let (status, body) = app.send_as(&tenant, &form).await;
    assert_twilio_error(status, &body, 400, 21610);

    let help = control
        .messages
        .send_inbound(text("help"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(help.opt_out_type, "HELP");
    assert_eq!(
        app.send_as(&tenant, &form).await.0,
        400,
        "HELP does not opt back in"
    );

    let start = control
        .messages
        .send_inbound(text("START"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(start.opt_out_type, "START");
    assert_eq!(start.replies.len(), 2, "confirmation and the app's reply");
    assert_eq!(app.send_as(&tenant, &form).await.0, 201);

    // An opt-out is per tenant number: another tenant's sends are untouched.
    let other = tenant_with_number(&mut control, "other").await;
    assert_eq!(app.send_as(&other, &form).await.0, 201);
}

#[tokio::test]
async fn twenty_tenants_driven_at_once_never_see_each_other() {
    let app = spawn_app().await;
    let control = app.control().await;
    let runs = (0..20).map(|i| {
        let mut control = control.clone();
        let app = &app;
        async move {
            let tenant = tenant_with_number(&mut control, &format!("parallel {i}")).await;
            let blocked = format!("+1555000{i:04}");
            control
                .rules
                .replace_rules(proto::ReplaceRulesRequest {
                    account_sid: tenant.account_sid.clone(),
                    rules: vec![proto::Rule {
                        id: format!("block-{i}"),
                        when: to(&blocked),
                        outcome: Some(rule::Outcome::Reject(proto::Rejection {
                            error_code: 21612,
                            ..Default::default()
                        })),
                        ..Default::default()
                    }],
                })
                .await
                .unwrap();
            control.freeze(&tenant).await;
            for n in 0..5 {
                let body = format!("tenant {i} message {n}");
                let form = [("To", USER), ("From", NUMBER), ("Body", body.as_str())];
                assert_eq!(app.send_as(&tenant, &form).await.0, 201);
            }
            let (status, _) = app
                .send_as(
                    &tenant,
                    &[("To", &blocked), ("From", NUMBER), ("Body", "x")],
                )
                .await;
            assert_eq!(status, 400);
            control.advance(&tenant, 4_000).await;
            (tenant, i)
        }
    });
    let tenants = futures_util::future::join_all(runs).await;

    // Clearing one tenant touches nobody else.
    let mut control = control;
    let (cleared, _) = &tenants[0];
    control
        .tenants
        .reset_tenant(proto::ResetTenantRequest {
            account_sid: cleared.account_sid.clone(),
        })
        .await
        .unwrap();
    for (tenant, i) in &tenants[1..] {
        let messages = control
            .messages
            .list_messages(proto::ListMessagesRequest {
                account_sid: tenant.account_sid.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .messages;
        assert_eq!(messages.len(), 5);
        assert!(
            messages
                .iter()
                .all(|m| m.body.starts_with(&format!("tenant {i} "))
                    && m.status == Status::Delivered as i32),
            "{messages:?}"
        );
        let rules = control
            .rules
            .list_rules(proto::ListRulesRequest {
                account_sid: tenant.account_sid.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .rules;
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].id, format!("block-{i}"));
        // Its events: all its own, 5 created + 10 status changes + 2 rule matches + 1 created.
        let mut stream = control
            .events
            .subscribe(proto::SubscribeRequest {
                filter: Some(events_of(tenant, &[])),
                after_sequence: 0,
                live_only: false,
            })
            .await
            .unwrap()
            .into_inner();
        let mut kinds = Vec::new();
        while kinds.len() < 17 {
            let event = next_event(&mut stream).await;
            assert_eq!(event.account_sid, tenant.account_sid);
            kinds.push(event.kind);
        }
        let count = |kind: EventKind| kinds.iter().filter(|k| **k == kind as i32).count();
        assert_eq!(count(EventKind::MessageCreated), 5);
        assert_eq!(count(EventKind::MessageStatusChanged), 10);
        assert_eq!(count(EventKind::RuleMatched), 1);
        assert_eq!(count(EventKind::TenantCreated), 1);
    }
}

#[tokio::test]
async fn a_bearer_token_guards_the_control_plane_but_not_health() {
    let mut config = test_config();
    config.control.token = Some("s3cret".into());
    let app = spawn_with(config).await;
    let mut control = app.control().await;
    let refused = control
        .tenants
        .list_tenants(proto::ListTenantsRequest {})
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);

    let mut request = tonic::Request::new(proto::ListTenantsRequest {});
    request
        .metadata_mut()
        .insert("authorization", "Bearer s3cret".parse().unwrap());
    assert!(control.tenants.list_tenants(request).await.is_ok());
    let mut wrong = tonic::Request::new(proto::ListTenantsRequest {});
    wrong
        .metadata_mut()
        .insert("authorization", "Bearer guess".parse().unwrap());
    assert_eq!(
        control
            .tenants
            .list_tenants(wrong)
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );

    let channel = tonic::transport::Channel::from_shared(app.grpc.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let answer = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "mockingbird.v1.Events".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        answer.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

#[tokio::test]
async fn reflection_lists_the_services_and_the_http_port_can_serve_grpc_too() {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut config = test_config();
    config.control.on_http_port = true;
    let app = spawn_with(config).await;
    // Over the HTTP port, beside the Twilio API.
    let channel = tonic::transport::Channel::from_shared(app.base.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut reflection = ServerReflectionClient::new(channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(futures_util::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let answer = tokio::time::timeout(WAIT, answers.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("{answer:?}")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for service in [
        "mockingbird.v1.Tenants",
        "mockingbird.v1.Rules",
        "mockingbird.v1.Numbers",
        "mockingbird.v1.Messages",
        "mockingbird.v1.Events",
        "mockingbird.v1.Clock",
        "grpc.health.v1.Health",
    ] {
        assert!(names.iter().any(|n| n == service), "{service} in {names:?}");
    }
    let mut tenants = proto::tenants_client::TenantsClient::new(channel);
    let tenant = tenants
        .create_tenant(proto::CreateTenantRequest::default())
        .await
        .unwrap()
        .into_inner();
    let (status, _) = app
        .get_as(
            &tenant.account_sid,
            &tenant.auth_token,
            &app.messages_path(&tenant.account_sid),
        )
        .await;
    assert_eq!(status, 200);
}
