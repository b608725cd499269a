//! The Numbers service: the senders a tenant may use.

use mockingbird::proto;
use tonic::Code;

use super::fixtures::*;
use crate::support::*;

#[tokio::test]
async fn numbers_are_the_senders_a_tenant_may_use() {
    let mut t = Fixture::tenant("numbers").await;
    let form = text_to(USER, "hi");
    let (status, body) = t.send(&form).await;
    assert_twilio_error(status, &body, 400, 21606);

    let added = t
        .control
        .numbers
        .add_number(proto::AddNumberRequest {
            account_sid: t.sid(),
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
    assert_eq!(t.send(&form).await.0, 201);

    let again = t
        .control
        .numbers
        .add_number(proto::AddNumberRequest {
            account_sid: t.sid(),
            phone_number: NUMBER.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists);
    let malformed = t
        .control
        .numbers
        .add_number(proto::AddNumberRequest {
            account_sid: t.sid(),
            phone_number: "555-0101".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);

    let updated = t
        .control
        .numbers
        .update_number(proto::UpdateNumberRequest {
            account_sid: t.sid(),
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
    let listed = t
        .control
        .numbers
        .list_numbers(proto::ListNumbersRequest {
            account_sid: t.sid(),
        })
        .await
        .unwrap()
        .into_inner()
        .numbers;
    assert_eq!(listed, vec![updated]);

    t.control
        .numbers
        .remove_number(proto::RemoveNumberRequest {
            account_sid: t.sid(),
            number: NUMBER.into(),
        })
        .await
        .unwrap();
    let (status, body) = t.send(&form).await;
    assert_twilio_error(status, &body, 400, 21606);
    let unknown = t
        .control
        .numbers
        .remove_number(proto::RemoveNumberRequest {
            account_sid: t.sid(),
            number: NUMBER.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}
