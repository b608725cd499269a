//! The Messages service: statuses set by hand and callbacks redelivered.

use mockingbird::proto::{self, MessageStatus as Status};
use tonic::Code;

use super::fixtures::*;
use crate::support::*;

#[tokio::test]
async fn a_test_sets_a_status_by_hand_and_redelivers_a_callback() {
    let mut t = Fixture::tenant("by hand")
        .with_number()
        .with_receiver()
        .frozen()
        .await;
    let sid = t.send_with_callback("hi").await;
    let set = t
        .control
        .messages
        .set_message_status(proto::SetMessageStatusRequest {
            account_sid: t.sid(),
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
    let (_, fetched) = t
        .app
        .get_as(
            &t.tenant.account_sid,
            &t.tenant.auth_token,
            &format!(
                "/2010-04-01/Accounts/{}/Messages/{sid}.json",
                t.tenant.account_sid
            ),
        )
        .await;
    assert_eq!(fetched["status"], "undelivered");
    assert_eq!(fetched["error_code"], 30003);

    // The callback goes now, on a frozen clock.
    let requests = t.receiver().wait_for(1).await;
    assert_eq!(requests[0].param("MessageStatus"), Some("undelivered"));
    assert_eq!(requests[0].param("ErrorCode"), Some("30003"));
    assert!(twilio_signed(&requests[0], &t.tenant.auth_token));
    // The script's own steps were dropped: nothing overwrites the status.
    t.advance(60_000).await;
    assert_eq!(t.receiver().requests().len(), 1);
    assert_eq!(t.status_of(&sid).await, Status::Undelivered as i32);

    let attempts = t
        .control
        .messages
        .list_callback_attempts(proto::ListCallbackAttemptsRequest {
            account_sid: t.sid(),
            resource_sid: sid.clone(),
            limit: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .attempts;
    assert_eq!(attempts.len(), 1);
    // The attempt carries the request's headers as the app got them.
    let sent = &attempts[0].request_headers;
    for name in [
        "x-twilio-signature",
        "i-twilio-idempotency-token",
        "user-agent",
    ] {
        assert_eq!(
            sent.get(name).map(String::as_str),
            requests[0].header(name),
            "{name} in {sent:?}"
        );
    }
    assert!(sent["content-type"].starts_with("application/x-www-form-urlencoded"));
    t.receiver().answer_with(&[503]);
    let again = t
        .control
        .messages
        .redeliver_callback(proto::RedeliverCallbackRequest {
            account_sid: t.sid(),
            attempt_id: attempts[0].id,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.response_status, 503);
    assert_eq!(again.attempt, 2);
    assert_ne!(again.id, attempts[0].id);
    let requests = t.receiver().wait_for(2).await;
    assert_eq!(requests[1].body, requests[0].body);
    assert_eq!(
        requests[1].header("i-twilio-idempotency-token"),
        requests[0].header("i-twilio-idempotency-token")
    );
    assert!(twilio_signed(&requests[1], &t.tenant.auth_token));
    // A failed redelivery is not retried.
    t.advance(60_000).await;
    assert_eq!(t.receiver().requests().len(), 2);

    let unknown = t
        .control
        .messages
        .redeliver_callback(proto::RedeliverCallbackRequest {
            account_sid: t.sid(),
            attempt_id: 999_999,
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}
