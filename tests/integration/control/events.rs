//! The Events service: WaitFor, and Subscribe's replay, live stream and resumption.

use mockingbird::control::proto::{self, EventKind, MessageStatus as Status, event::Payload};
use tonic::Code;

use super::fixtures::*;
use crate::support::*;

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
