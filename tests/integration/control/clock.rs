//! The Clock service: a frozen clock walks lifecycles and retries without sleeping.

use mockingbird::proto::{self, MessageStatus as Status};
use tonic::Code;

use super::fixtures::*;

#[tokio::test]
async fn a_frozen_clock_walks_the_lifecycle_and_the_retry_schedule_without_sleeping() {
    let mut t = Fixture::tenant("clock")
        .with_number()
        .with_receiver()
        .frozen()
        .await;
    t.control
        .rules
        .add_rule(proto::AddRuleRequest {
            account_sid: t.sid(),
            rule: Some(proto::Rule {
                when: to(USER),
                outcome: lifecycle(&[(Status::Sent, 1_000, 0), (Status::Delivered, 3_000, 0)]),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    // The app fails the first delivered callback: Twilio retries it later (retry delay 5 s).
    t.receiver().answer_with(&[200, 500]);
    let sid = t.send_with_callback("hi").await;
    let state = t.advance(999).await;
    assert!(state.frozen);
    assert_eq!(state.pending_jobs, 1, "the next status change");
    let read = t
        .control
        .clock
        .get_clock(proto::GetClockRequest {
            account_sid: t.sid(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, state, "a frozen clock reads the same until advanced");
    assert_eq!(t.status_of(&sid).await, Status::Queued as i32);
    t.advance(1).await;
    assert_eq!(t.status_of(&sid).await, Status::Sent as i32);
    assert_eq!(
        t.receiver().wait_for(1).await[0].param("MessageStatus"),
        Some("sent")
    );
    t.advance(3_000).await;
    assert_eq!(t.status_of(&sid).await, Status::Delivered as i32);
    let requests = t.receiver().wait_for(2).await;
    assert_eq!(requests[1].param("MessageStatus"), Some("delivered"));
    t.advance(4_999).await;
    assert_eq!(t.receiver().requests().len(), 2, "no retry before its time");
    let state = t.advance(1).await;
    let requests = t.receiver().wait_for(3).await;
    assert_eq!(requests[2].param("MessageStatus"), Some("delivered"));
    assert_eq!(
        requests[2].header("i-twilio-idempotency-token"),
        requests[1].header("i-twilio-idempotency-token")
    );
    assert_eq!(state.pending_jobs, 0);

    let resumed = t
        .control
        .clock
        .resume(proto::ResumeRequest {
            account_sid: t.sid(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!resumed.frozen);
    let refused = t
        .control
        .clock
        .advance(proto::AdvanceRequest {
            account_sid: t.sid(),
            by: duration(1),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
}
