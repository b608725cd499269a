//! The Events service: WaitFor, and Subscribe's replay, live stream and resumption.

use mockingbird::proto::{self, EventKind, MessageStatus as Status, event::Payload};
use tonic::Code;

use super::fixtures::*;
use crate::support::*;

/// The body of the message a `MessageCreated` event carries.
fn body(event: &proto::Event) -> String {
    match &event.payload {
        Some(Payload::MessageCreated(created)) => created.message.as_ref().unwrap().body.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn wait_for_returns_the_event_and_times_out_with_the_nearest_misses() {
    let mut t = Fixture::tenant("wait for")
        .with_number()
        .with_receiver()
        .frozen()
        .await;
    let sid = t.send_with_callback("your code is 1234").await;

    // An event that already happened is found at once, with its payload.
    let created = t
        .control
        .wait_for(
            proto::EventFilter {
                account_sid: t.sid(),
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
        account_sid: t.sid(),
        sid: sid.clone(),
        kinds: vec![EventKind::MessageStatusChanged as i32],
        statuses: vec![Status::Delivered as i32],
        ..Default::default()
    };
    let timeout = t
        .control
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
        let mut control = t.control.clone();
        let filter = delivered.clone();
        tokio::spawn(async move { control.wait_for(filter, 0).await })
    };
    t.advance(4_000).await;
    let event = tokio::time::timeout(WAIT, waiter).await.unwrap().unwrap();
    let Some(Payload::MessageStatusChanged(change)) = event.payload else {
        panic!("{event:?}")
    };
    assert_eq!(change.previous, Status::Sent as i32);
    assert_eq!((change.to.as_str(), change.from.as_str()), (USER, NUMBER));

    // The callback's attempt is an event with the app's answer.
    let attempt = t
        .control
        .wait_for(
            proto::EventFilter {
                account_sid: t.sid(),
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
    assert_eq!(attempt.url, t.callback_url());

    let bad = t
        .control
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
    let mut t = Fixture::tenant("subscribe").with_number().await;
    let other = tenant_with_number(&mut t.control, "someone else").await;
    t.send(&text_to(USER, "first")).await;
    t.app.send_as(&other, &text_to(USER, "not mine")).await;

    let created = events_of(&t.tenant, &[EventKind::MessageCreated]);
    let mut stream = subscribe(&mut t.control, created.clone(), 0).await;
    let first = next_event(&mut stream).await;
    assert_eq!(body(&first), "first");
    t.app
        .send_as(&other, &text_to(USER, "still not mine"))
        .await;
    t.send(&text_to(USER, "second")).await;
    let second = next_event(&mut stream).await;
    assert_eq!(body(&second), "second");
    assert!(second.sequence > first.sequence);
    drop(stream);

    // Missed while away; a new subscription from the last sequence gets exactly those.
    t.send(&text_to(USER, "third")).await;
    let mut resumed = subscribe(&mut t.control, created, second.sequence).await;
    assert_eq!(body(&next_event(&mut resumed).await), "third");
}

#[tokio::test]
async fn a_stalled_subscriber_misses_nothing_across_a_reconnect() {
    let mut t = Fixture::tenant("stalled").with_number().await;
    let created = events_of(&t.tenant, &[EventKind::MessageCreated]);
    // Subscribed, and never read while messages pour in: more than the server's in-memory
    // window of recent events, so catching up reads the database.
    let stalled = subscribe(&mut t.control, created.clone(), 0).await;
    let core_tenant = t.app.tenant(&t.tenant.account_sid);
    let total = 6_000;
    for i in 0..total {
        let message = mockingbird::core::messaging::NewMessage {
            to: USER.into(),
            from: Some(NUMBER.into()),
            body: format!("m{i}"),
            ..Default::default()
        };
        t.app
            .state
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
    let mut resumed = subscribe(&mut t.control, created, last).await;
    while seen.len() < total {
        let event = next_event(&mut resumed).await;
        seen.push(event);
    }
    let bodies: Vec<String> = seen.iter().map(body).collect();
    let expected: Vec<String> = (0..total).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies, expected);
}
