//! The Clock service: a frozen clock walks lifecycles and retries without sleeping.

use mockingbird::control::proto::{self, MessageStatus as Status};
use tonic::Code;

use super::fixtures::*;
use crate::support::*;

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
